//! rampart-collect (being built)
