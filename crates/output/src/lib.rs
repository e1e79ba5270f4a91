//! rampart-output (being built)
