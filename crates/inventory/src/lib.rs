//! The inventory: resources as collectors produce them, and the record of
//! what could not be collected.
//!
//! This is the contract between the collect stage and everything after it
//! (see DESIGN.md, "Resource"). A resource is a plain value: `uid`, `type`,
//! `account`, `region`, `name`, `tags` and `props`, the last holding the
//! normalised configuration under documented names. Nothing here talks to
//! AWS, so every later stage builds and tests without the SDK.
//!
//! Failures are data too. A collector that cannot list a resource type in a
//! region records a [`CollectionError`]; one that listed a resource but could
//! not read one of its parts (a bucket policy, say) records a [`PropError`]
//! on the resource. Rules that read what is missing report `error`, never
//! `pass`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Region name used for global services (IAM, Organizations, S3 bucket
/// listing) and account-wide settings.
pub const GLOBAL_REGION: &str = "global";

/// One cloud resource, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Globally unique id, the ARN where AWS has one.
    pub uid: String,
    /// `aws.<service>.<kind>`, for example `aws.s3.bucket`.
    #[serde(rename = "type")]
    pub resource_type: String,
    pub account: String,
    pub region: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Normalised configuration: always a JSON object.
    #[serde(default = "empty_object")]
    pub props: serde_json::Value,
    /// Parts of this resource that could not be collected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<PropError>,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

impl Resource {
    /// The service part of the type: `s3` for `aws.s3.bucket`.
    pub fn service(&self) -> &str {
        service_of(&self.resource_type)
    }

    /// The error recorded for top-level prop `prop`, if any.
    pub fn prop_error(&self, prop: &str) -> Option<&PropError> {
        self.errors.iter().find(|e| e.prop == prop)
    }
}

/// The service part of a resource type: `s3` for `aws.s3.bucket`.
pub fn service_of(resource_type: &str) -> &str {
    resource_type.split('.').nth(1).unwrap_or(resource_type)
}

/// A part of one resource that could not be collected: the top-level
/// `props` key it would have filled, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropError {
    /// Top-level key of `props` left unset, for example `policy`.
    pub prop: String,
    /// The API action that failed, IAM style: `s3:GetBucketPolicy`.
    pub action: String,
    pub kind: ErrorKind,
    pub message: String,
}

/// Why something could not be collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The credentials lack the IAM action named in the error.
    AccessDenied,
    /// The API kept throttling after all retries.
    Throttled,
    /// The region is not enabled for the account (opt-in regions).
    RegionDisabled,
    /// The endpoint could not be reached or timed out.
    Unreachable,
    /// The endpoint does not implement the API.
    Unsupported,
    /// Anything else, with the service's message.
    Other,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::Throttled => "throttled",
            ErrorKind::RegionDisabled => "region_disabled",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Other => "other",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure to collect a whole scope: one or more resource types of one
/// service in one account and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionError {
    pub account: String,
    pub region: String,
    pub service: String,
    /// Resource types whose inventory is incomplete because of this error.
    pub resource_types: Vec<String>,
    /// The API action that failed, IAM style: `ec2:DescribeSecurityGroups`.
    pub action: String,
    pub kind: ErrorKind,
    pub message: String,
}

impl CollectionError {
    /// The one-line reason a rule reports when its input is missing.
    pub fn reason(&self) -> String {
        describe_failure(self.kind, &self.action, &self.message)
    }
}

impl PropError {
    pub fn reason(&self) -> String {
        describe_failure(self.kind, &self.action, &self.message)
    }
}

fn describe_failure(kind: ErrorKind, action: &str, message: &str) -> String {
    let what = match kind {
        ErrorKind::AccessDenied => format!("access denied for {action}"),
        ErrorKind::Throttled => format!("{action} throttled after retries"),
        ErrorKind::RegionDisabled => "region is disabled for this account".to_string(),
        ErrorKind::Unreachable => format!("endpoint unreachable for {action}"),
        ErrorKind::Unsupported => format!("{action} is not supported by the endpoint"),
        ErrorKind::Other => format!("{action} failed"),
    };
    if message.is_empty() {
        format!("could not collect: {what}")
    } else {
        format!("could not collect: {what} ({message})")
    }
}

/// A whole collected inventory, as `--save-inventory` writes it and
/// `--inventory` reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// When collection started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<DateTime<Utc>>,
    /// Accounts in scope. Empty means: the accounts of the resources.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Regions in scope. Empty means: the regions of the resources.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Services in scope. Empty means: all.
    #[serde(default)]
    pub services: Vec<String>,
    /// Resource types the collection covered. Empty means: every type of
    /// the services in scope (a service's types can have another service
    /// segment: IAM collects `aws.account.summary`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_types: Vec<String>,
    #[serde(default)]
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub errors: Vec<CollectionError>,
}

impl Inventory {
    /// Accounts in scope, from the explicit list or else the resources.
    pub fn scope_accounts(&self) -> Vec<String> {
        let mut v: Vec<String> = if self.accounts.is_empty() {
            self.resources.iter().map(|r| r.account.clone()).collect()
        } else {
            self.accounts.clone()
        };
        v.sort();
        v.dedup();
        v
    }

    /// Regions in scope, from the explicit list or else the resources.
    pub fn scope_regions(&self) -> Vec<String> {
        let mut v: Vec<String> = if self.regions.is_empty() {
            self.resources.iter().map(|r| r.region.clone()).collect()
        } else {
            self.regions.clone()
        };
        v.sort();
        v.dedup();
        v
    }

    /// Whether `service` was in scope of this collection.
    pub fn covers_service(&self, service: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| s == service)
    }

    /// Whether resources of `resource_type` were in scope of this
    /// collection: listed in `resource_types`, or, when that is empty, of a
    /// service in scope.
    pub fn covers_type(&self, resource_type: &str) -> bool {
        if self.resource_types.is_empty() {
            self.covers_service(service_of(resource_type))
        } else {
            self.resource_types.iter().any(|t| t == resource_type)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_round_trips_with_type_key() {
        let json = r#"{"uid":"arn:aws:s3:::b","type":"aws.s3.bucket","account":"1","region":"global","name":"b","tags":{"contains_pii":"true"},"props":{"versioning":{"status":"Enabled"}}}"#;
        let r: Resource = serde_json::from_str(json).unwrap();
        assert_eq!(r.service(), "s3");
        assert_eq!(r.tags["contains_pii"], "true");
        let back = serde_json::to_string(&r).unwrap();
        assert_eq!(back, json);
    }

    #[test]
    fn unknown_resource_keys_are_rejected() {
        let json = r#"{"uid":"u","type":"aws.s3.bucket","account":"1","region":"r","prop":{}}"#;
        let err = serde_json::from_str::<Resource>(json).unwrap_err();
        assert!(err.to_string().contains("unknown field `prop`"), "{err}");
    }

    #[test]
    fn coverage_by_type_wins_over_service_segments() {
        let mut inv = Inventory {
            services: vec!["iam".into()],
            ..Inventory::default()
        };
        assert!(inv.covers_type("aws.iam.user"));
        assert!(
            !inv.covers_type("aws.account.summary"),
            "service segment alone"
        );
        inv.resource_types = vec!["aws.iam.user".into(), "aws.account.summary".into()];
        assert!(inv.covers_type("aws.account.summary"));
        assert!(!inv.covers_type("aws.s3.bucket"));
        assert!(
            Inventory::default().covers_type("aws.s3.bucket"),
            "an offline inventory covers all"
        );
    }

    #[test]
    fn failure_reasons_name_the_action() {
        let e = PropError {
            prop: "policy".into(),
            action: "s3:GetBucketPolicy".into(),
            kind: ErrorKind::AccessDenied,
            message: String::new(),
        };
        assert_eq!(
            e.reason(),
            "could not collect: access denied for s3:GetBucketPolicy"
        );
    }
}
