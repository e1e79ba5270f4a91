//! rampart-store (being built)
