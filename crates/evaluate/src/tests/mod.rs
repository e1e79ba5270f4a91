//! Crate tests, split by topic.

mod shipped;
