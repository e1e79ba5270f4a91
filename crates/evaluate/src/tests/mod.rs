//! Crate tests, split by topic.

mod engine;
mod errors;
mod iam;
mod lang;
mod shipped;
