//! The engine: findings, statuses, error scopes, reasons.

use rampart_findings::{Status, finding_id};
use rampart_inventory::{CollectionError, ErrorKind, Inventory, PropError, Resource};
use serde_json::json;

use crate::{RuleSet, evaluate};

const RULE: &str = r#"id: s3-policy-public
status: stable
since: 0.1.0
title: {en: Bucket policy is public, ko: 버킷 정책이 공개됨}
description: {en: d, ko: d}
severity: high
resource: aws.s3.bucket
applies_if:
  tags.scope: {ne: ignore}
fail_if:
  props.policy: {policy_public: true}
reason: "bucket {name}: {match}"
pass_reason: "bucket {name} policy is not public"
remediation: {en: r, ko: r}
tests:
  - name: public
    expect: fail
    resource: {props: {policy: {Statement: [{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}]}}}
  - {name: none, expect: pass, resource: {props: {policy: null}}}
  - {name: ignored, expect: not_applicable, resource: {tags: {scope: ignore}, props: {}}}
  - name: unreadable policy
    expect: error
    reason_contains: access denied for s3:GetBucketPolicy
    resource:
      props: {}
      errors: [{prop: policy, action: "s3:GetBucketPolicy", kind: access_denied, message: ""}]
"#;

fn bucket(name: &str, account: &str, region: &str, policy: serde_json::Value) -> Resource {
    serde_json::from_value(json!({
        "uid": format!("arn:aws:s3:::{name}"), "type": "aws.s3.bucket",
        "account": account, "region": region, "name": name,
        "props": {"policy": policy}
    }))
    .unwrap()
}

fn public_policy() -> serde_json::Value {
    json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}]})
}

#[test]
fn inline_tests_cover_every_expectation() {
    let set = RuleSet::from_sources(&[("t/s3-policy-public.yaml", RULE)]).unwrap();
    let report = crate::run_tests(&set);
    assert_eq!(report.cases.len(), 4);
    assert!(
        report.all_passed(),
        "{:?}",
        report.failures().collect::<Vec<_>>()
    );
}

#[test]
fn findings_statuses_and_reasons() {
    let set = RuleSet::from_sources(&[("t/s3-policy-public.yaml", RULE)]).unwrap();
    let mut unreadable = bucket("c", "1", "r1", json!(null));
    unreadable.errors.push(PropError {
        prop: "policy".into(),
        action: "s3:GetBucketPolicy".into(),
        kind: ErrorKind::AccessDenied,
        message: String::new(),
    });
    // A prop error on a prop the rule does not read changes nothing.
    let mut other_error = bucket("d", "1", "r1", json!(null));
    other_error.errors.push(PropError {
        prop: "logging".into(),
        action: "s3:GetBucketLogging".into(),
        kind: ErrorKind::Throttled,
        message: String::new(),
    });
    let inv = Inventory {
        resources: vec![
            bucket("a", "1", "r1", public_policy()),
            bucket("b", "1", "r1", json!(null)),
            unreadable,
            other_error,
        ],
        errors: vec![
            CollectionError {
                account: "2".into(),
                region: "r2".into(),
                service: "s3".into(),
                resource_types: vec!["aws.s3.bucket".into()],
                action: "s3:ListAllMyBuckets".into(),
                kind: ErrorKind::AccessDenied,
                message: "not authorized".into(),
            },
            // The same scope twice gives one finding.
            CollectionError {
                account: "2".into(),
                region: "r2".into(),
                service: "s3".into(),
                resource_types: vec!["aws.s3.bucket".into(), "aws.s3.other".into()],
                action: "s3:GetBucketLocation".into(),
                kind: ErrorKind::Throttled,
                message: String::new(),
            },
        ],
        ..Inventory::default()
    };
    let now = "2026-01-01T00:00:00Z".parse().unwrap();
    let f = evaluate(&set, &inv, now);
    let summary: Vec<(String, Status, String)> = f
        .iter()
        .map(|f| (f.resource_uid.clone(), f.status, f.reason.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "arn:aws:s3:::a".into(),
                Status::Fail,
                "bucket a: props.policy: Statement[0] allows s3:GetObject to Principal * without a restricting condition".into()
            ),
            ("arn:aws:s3:::b".into(), Status::Pass, "bucket b policy is not public".into()),
            (
                "arn:aws:s3:::c".into(),
                Status::Error,
                "could not collect: access denied for s3:GetBucketPolicy".into()
            ),
            ("arn:aws:s3:::d".into(), Status::Pass, "bucket d policy is not public".into()),
            (
                "scope:2:r2:aws.s3.bucket".into(),
                Status::Error,
                "could not collect: access denied for s3:ListAllMyBuckets (not authorized)".into()
            ),
        ]
    );
    let scope = &f[4];
    assert_eq!(
        scope.id,
        finding_id("s3-policy-public", "scope:2:r2:aws.s3.bucket")
    );
    assert_eq!(scope.resource_name, "aws.s3.bucket");
    assert_eq!((scope.account.as_str(), scope.region.as_str()), ("2", "r2"));
    assert_eq!(f[0].id, finding_id("s3-policy-public", "arn:aws:s3:::a"));
    assert!(
        f.iter()
            .all(|f| f.first_seen.is_none() && f.last_seen.is_none() && f.resolved_at.is_none())
    );
}

#[test]
fn parallel_evaluation_matches_single_threaded() {
    let set = RuleSet::from_sources(&[("t/s3-policy-public.yaml", RULE)]).unwrap();
    let resources: Vec<Resource> = (0..10_000)
        .map(|i| {
            let p = if i % 3 == 0 {
                public_policy()
            } else {
                json!(null)
            };
            bucket(&format!("b{i}"), "1", "r", p)
        })
        .collect();
    let now = "2026-01-01T00:00:00Z".parse().unwrap();
    let single = crate::evaluate_resources(&set, &resources, now);
    let inv = Inventory {
        resources,
        ..Inventory::default()
    };
    assert_eq!(evaluate(&set, &inv, now), single);
}
