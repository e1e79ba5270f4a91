//! Helpers shared by the integration tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeZone, Utc};
use rampart_findings::{Finding, Severity, Status, Summary, finding_id};
use rampart_store::{CompletedScan, NewScan, Store};

pub const ACCOUNT: &str = "111111111111";
pub const REGION: &str = "us-east-1";

pub fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, 9, 0, 0).unwrap()
}

/// A finding of `rule` on the S3 bucket `bucket` in ACCOUNT/REGION.
pub fn finding(rule: &str, bucket: &str, status: Status) -> Finding {
    let uid = format!("arn:aws:s3:::{bucket}");
    Finding {
        id: finding_id(rule, &uid),
        rule_id: rule.to_string(),
        title: format!("title of {rule}"),
        severity: Severity::High,
        status,
        resource_uid: uid,
        resource_type: "aws.s3.bucket".to_string(),
        resource_name: bucket.to_string(),
        account: ACCOUNT.to_string(),
        region: REGION.to_string(),
        reason: format!("{rule} says {status} on {bucket}"),
        first_seen: None,
        last_seen: None,
        resolved_at: None,
        risk: Default::default(),
        mute: None,
    }
}

pub fn in_scope(mut f: Finding, account: &str, region: &str) -> Finding {
    f.account = account.to_string();
    f.region = region.to_string();
    f
}

pub fn with_type(mut f: Finding, resource_type: &str) -> Finding {
    f.resource_type = resource_type.to_string();
    f
}

pub struct Scope<'a> {
    pub rules: &'a [&'a str],
    pub accounts: &'a [&'a str],
    pub regions: &'a [&'a str],
}

pub const ALL: Scope<'static> = Scope {
    rules: &["s3-public", "s3-unencrypted", "iam-no-mfa"],
    accounts: &[ACCOUNT],
    regions: &[REGION],
};

/// Runs one whole scan started on `when` and returns its id and the
/// findings with lifecycle fields filled.
pub fn scan(
    store: &mut Store,
    when: DateTime<Utc>,
    mut findings: Vec<Finding>,
    scope: &Scope<'_>,
) -> (i64, Vec<Finding>) {
    let id = store
        .begin_scan(&NewScan {
            who: "tester@host".into(),
            scope: serde_json::json!({"source": "test", "regions": scope.regions}),
            started_at: when,
        })
        .unwrap();
    let done = CompletedScan {
        finished_at: when + chrono::Duration::seconds(3),
        duration_ms: 3000,
        summary: Summary::of(&findings),
        errors: Vec::new(),
        rules_evaluated: scope.rules.iter().map(|s| s.to_string()).collect(),
        accounts: scope.accounts.iter().map(|s| s.to_string()).collect(),
        regions: scope.regions.iter().map(|s| s.to_string()).collect(),
    };
    store.complete_scan(id, &done, &mut findings).unwrap();
    (id, findings)
}

pub fn open_temp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("rampart.db")).unwrap();
    (dir, store)
}
