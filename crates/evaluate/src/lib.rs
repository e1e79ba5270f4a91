//! rampart-evaluate (being built)
