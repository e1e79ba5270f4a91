//! The collectors, one module per service, and the list that registers them.
//!
//! Adding a service: write `services/<name>.rs` with a `SERVICE` constant and
//! a `collect(scope) -> Output` function, add one line to [`SERVICES`], and
//! document its resource types in docs/resources.md.

use std::future::Future;
use std::pin::Pin;

use crate::scope::{Output, Scope};

mod accessanalyzer;
mod cloudtrail;
mod cloudwatch;
mod config;
mod dynamodb;
mod ec2;
mod ec2_network;
mod ecr;
mod efs;
mod eks;
mod elbv2;
mod guardduty;
mod iam;
mod iam_account;
mod kinesis;
mod kms;
mod lambda;
mod logs;
mod opensearch;
mod organizations;
mod rds;
mod redshift;
mod s3;
mod secretsmanager;
mod securityhub;
mod sns;
mod sqs;
mod ssm;

pub(crate) type CollectFn = fn(Scope) -> Pin<Box<dyn Future<Output = Output> + Send>>;

/// One service's collector.
pub(crate) struct Service {
    pub name: &'static str,
    /// Collected once per account (region `global`) rather than per region.
    pub global: bool,
    /// The resource types it produces (named in scope-level errors).
    pub types: &'static [&'static str],
    pub collect: CollectFn,
}

/// Every collector, in the order they are started.
pub(crate) const SERVICES: &[Service] = &[
    iam::SERVICE,
    s3::SERVICE,
    ec2::SERVICE,
    cloudtrail::SERVICE,
    kms::SERVICE,
    logs::SERVICE,
    sns::SERVICE,
    sqs::SERVICE,
    config::SERVICE,
    guardduty::SERVICE,
    rds::SERVICE,
    lambda::SERVICE,
    securityhub::SERVICE,
    accessanalyzer::SERVICE,
    cloudwatch::SERVICE,
    ecr::SERVICE,
    eks::SERVICE,
    elbv2::SERVICE,
    dynamodb::SERVICE,
    secretsmanager::SERVICE,
    ssm::SERVICE,
    efs::SERVICE,
    redshift::SERVICE,
    kinesis::SERVICE,
    opensearch::SERVICE,
    organizations::SERVICE,
];

pub(crate) const NAMES: &[&str] = &[
    "iam",
    "s3",
    "ec2",
    "cloudtrail",
    "kms",
    "logs",
    "sns",
    "sqs",
    "config",
    "guardduty",
    "rds",
    "lambda",
    "securityhub",
    "accessanalyzer",
    "cloudwatch",
    "ecr",
    "eks",
    "elbv2",
    "dynamodb",
    "secretsmanager",
    "ssm",
    "efs",
    "redshift",
    "kinesis",
    "opensearch",
    "organizations",
];

pub(crate) fn find(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_registry() {
        let names: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
        assert_eq!(names, NAMES);
        for s in SERVICES {
            assert!(!s.types.is_empty(), "{}", s.name);
            for t in s.types {
                let svc = rampart_inventory::service_of(t);
                assert!(svc == s.name || svc == "account", "{t}");
            }
        }
    }
}
