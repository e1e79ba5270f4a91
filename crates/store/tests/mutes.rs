//! Mutes: stored with reason, owner and expiry; applied to failing
//! findings only while in force; removed ones kept for audit; risk context
//! and mute notes survive the round trip through the database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{ALL, day, finding, open_temp, scan};
use rampart_findings::{Escalation, RiskFactor, Severity, Status};
use rampart_store::{FindingFilter, NewMute, apply_mutes};

fn mute(
    rule: Option<&str>,
    resource: Option<&str>,
    expires: chrono::DateTime<chrono::Utc>,
) -> NewMute {
    NewMute {
        rule: rule.map(str::to_string),
        resource: resource.map(str::to_string),
        reason: "accepted: static website assets".into(),
        owner: "web-team".into(),
        expires_at: expires,
        created_by: "tester@host".into(),
        ..NewMute::default()
    }
}

#[test]
fn add_list_remove_keeps_an_audit_trail() {
    let (_dir, mut store) = open_temp();
    let a = store
        .add_mute(&mute(Some("s3-public"), None, day(30)))
        .unwrap();
    let b = store.add_mute(&mute(None, Some("logs"), day(30))).unwrap();
    assert_eq!(store.mutes(false).unwrap().len(), 2);
    assert!(store.remove_mute(a).unwrap());
    assert!(!store.remove_mute(a).unwrap(), "removing twice says no");
    let live = store.mutes(false).unwrap();
    assert_eq!(live.iter().map(|m| m.id).collect::<Vec<_>>(), vec![b]);
    let all = store.mutes(true).unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[0].removed_at.is_some());
    assert_eq!(all[1].scope(), "resource=logs");
}

#[test]
fn a_mute_needs_criteria_reason_and_owner() {
    let (_dir, mut store) = open_temp();
    let err = store.add_mute(&mute(None, None, day(30))).unwrap_err();
    assert!(err.to_string().contains("at least one of rule"), "{err}");
    let mut m = mute(Some("s3-public"), None, day(30));
    m.reason = "  ".into();
    assert!(
        store
            .add_mute(&m)
            .unwrap_err()
            .to_string()
            .contains("reason")
    );
}

#[test]
fn mutes_apply_to_failures_only_while_in_force() {
    let (_dir, mut store) = open_temp();
    store
        .add_mute(&mute(Some("s3-*"), Some("assets"), day(20)))
        .unwrap();
    let mut tagged = mute(None, None, day(20));
    tagged.tag = Some(("team".into(), Some("sandbox".into())));
    let tag_id = store.add_mute(&tagged).unwrap();
    let unused = store
        .add_mute(&mute(Some("iam-no-mfa"), None, day(20)))
        .unwrap();
    let mutes = store.mutes(false).unwrap();

    let mut findings = vec![
        finding("s3-public", "assets", Status::Fail),
        finding("s3-unencrypted", "assets", Status::Error),
        finding("s3-public", "customers", Status::Fail),
        finding("s3-unencrypted", "sandbox-1", Status::Fail),
        finding("s3-public", "assets-2", Status::Pass),
    ];
    let tags: BTreeMap<String, BTreeMap<String, String>> = [(
        "arn:aws:s3:::sandbox-1".to_string(),
        [("team".to_string(), "sandbox".to_string())].into(),
    )]
    .into();
    let hits = apply_mutes(&mut findings, &mutes, |uid| tags.get(uid), day(10));
    let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
    assert_eq!(
        statuses,
        vec![
            Status::Muted,
            Status::Error,
            Status::Fail,
            Status::Muted,
            Status::Pass
        ],
        "errors are never muted: a check that could not run stays visible"
    );
    let note = findings[0].mute.as_ref().unwrap();
    assert_eq!((note.owner.as_str(), note.expires), ("web-team", day(20)));
    assert_eq!(hits[&tag_id], 1);
    assert_eq!(hits[&unused], 0, "a mute that matches nothing is reported");

    // After the expiry the same findings fail again, by themselves.
    let hits = apply_mutes(&mut findings, &mutes, |uid| tags.get(uid), day(21));
    assert!(hits.is_empty());
    assert_eq!(findings[0].status, Status::Fail);
    assert!(findings[0].mute.is_none());
    assert_eq!(findings[3].status, Status::Fail);
}

#[test]
fn risk_and_mute_survive_the_database() {
    let (_dir, mut store) = open_temp();
    let mut f = finding("s3-public", "customers", Status::Fail);
    f.severity = Severity::Critical;
    f.risk.add(RiskFactor::PersonalData);
    f.risk.add(RiskFactor::PublicExposure);
    f.risk.escalation = Some(Escalation {
        from: Severity::High,
        reason: "public and tagged as holding personal data".into(),
    });
    let id = store
        .add_mute(&mute(Some("s3-unencrypted"), None, day(25)))
        .unwrap();
    let mutes = store.mutes(false).unwrap();
    let mut findings = vec![f, finding("s3-unencrypted", "customers", Status::Fail)];
    apply_mutes(&mut findings, &mutes, |_| None, day(3));
    let (scan_id, _) = scan(&mut store, day(3), findings, &ALL);

    let back = store.findings(scan_id, &FindingFilter::default()).unwrap();
    let public = back.iter().find(|f| f.rule_id == "s3-public").unwrap();
    assert_eq!(public.severity, Severity::Critical);
    assert_eq!(
        public.risk.factors,
        vec![RiskFactor::PublicExposure, RiskFactor::PersonalData]
    );
    assert_eq!(
        public.risk.escalation.as_ref().unwrap().from,
        Severity::High
    );
    let muted = back.iter().find(|f| f.rule_id == "s3-unencrypted").unwrap();
    assert_eq!(muted.status, Status::Muted);
    assert_eq!(muted.mute.as_ref().unwrap().id, id);
}
