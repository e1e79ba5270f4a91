//! Crate tests, split by topic.

mod context;
mod engine;
mod errors;
mod iam;
mod lang;
mod shipped;
