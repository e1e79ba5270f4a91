//! Crate tests, split by topic.

mod errors;
mod iam;
mod lang;
mod shipped;
