//! Functions the condition language calls for what YAML cannot say well:
//! IAM policy analysis, CIDR and port-range tests, ages.

pub mod iam;
pub mod net;
pub mod time;
