//! The finding lifecycle across scans.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_findings::Status;
use rampart_store::{FindingEventKind, FindingFilter, LifecycleState};

fn events(store: &rampart_store::Store, id: &str) -> Vec<(i64, FindingEventKind)> {
    store
        .finding_history(id)
        .unwrap()
        .into_iter()
        .map(|e| (e.scan_id, e.event))
        .collect()
}

#[test]
fn opened_still_failing_resolved_reopened() {
    let (_dir, mut store) = open_temp();
    let failing = finding("s3-public", "a", Status::Fail);
    let id = failing.id.clone();

    let (s1, out) = scan(&mut store, day(1), vec![failing.clone()], &ALL);
    assert_eq!(out[0].first_seen, Some(day(1)));
    assert_eq!(out[0].last_seen, Some(day(1)));
    assert_eq!(out[0].resolved_at, None);

    // Still failing: first_seen kept, last_seen moves.
    let (s2, out) = scan(&mut store, day(2), vec![failing.clone()], &ALL);
    assert_eq!(out[0].first_seen, Some(day(1)));
    assert_eq!(out[0].last_seen, Some(day(2)));

    // Passes: resolved.
    let (s3, out) = scan(
        &mut store,
        day(3),
        vec![finding("s3-public", "a", Status::Pass)],
        &ALL,
    );
    assert_eq!(out[0].first_seen, Some(day(1)));
    assert_eq!(out[0].resolved_at, Some(day(3)));

    // Still passing: nothing changes but last_seen.
    let (_, out) = scan(
        &mut store,
        day(4),
        vec![finding("s3-public", "a", Status::Pass)],
        &ALL,
    );
    assert_eq!(out[0].resolved_at, Some(day(3)));
    assert_eq!(out[0].last_seen, Some(day(4)));

    // Fails again: reopened, first_seen kept, resolved_at cleared.
    let (s5, out) = scan(&mut store, day(5), vec![failing.clone()], &ALL);
    assert_eq!(out[0].first_seen, Some(day(1)));
    assert_eq!(out[0].resolved_at, None);
    assert_eq!(out[0].last_seen, Some(day(5)));

    assert_eq!(
        events(&store, &id),
        vec![
            (s1, FindingEventKind::Opened),
            (s3, FindingEventKind::Resolved),
            (s5, FindingEventKind::Reopened),
        ]
    );
    let life = store.finding_lifecycle(&id).unwrap().unwrap();
    assert_eq!(life.state, LifecycleState::Open);
    assert_eq!(life.reopen_count, 1);
    assert_eq!(life.last_scan_id, s5);

    // Reading an old scan gives its result with the lifecycle as of now.
    let old = store.findings(s2, &FindingFilter::default()).unwrap();
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].status, Status::Fail);
    assert_eq!(old[0].first_seen, Some(day(1)));
    assert_eq!(old[0].last_seen, Some(day(5)));
    assert_eq!(old[0].reason, failing.reason);

    let results = store.finding_results(&id).unwrap();
    let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Fail,
            Status::Fail,
            Status::Pass,
            Status::Pass,
            Status::Fail
        ]
    );
}

#[test]
fn a_finding_that_only_ever_passed_has_no_first_seen_and_no_events() {
    let (_dir, mut store) = open_temp();
    let f = finding("s3-public", "a", Status::Pass);
    let (_, out) = scan(&mut store, day(1), vec![f.clone()], &ALL);
    assert_eq!((out[0].first_seen, out[0].resolved_at), (None, None));
    assert_eq!(out[0].last_seen, Some(day(1)));
    assert!(store.finding_history(&f.id).unwrap().is_empty());
    let life = store.finding_lifecycle(&f.id).unwrap().unwrap();
    assert_eq!(life.state, LifecycleState::NeverFailed);
}

#[test]
fn muted_counts_as_failing() {
    let (_dir, mut store) = open_temp();
    let (_, out) = scan(
        &mut store,
        day(1),
        vec![finding("s3-public", "a", Status::Muted)],
        &ALL,
    );
    assert_eq!(out[0].first_seen, Some(day(1)));
    // Fail after muted: still the same open finding, no new event.
    let (_, out) = scan(
        &mut store,
        day(2),
        vec![finding("s3-public", "a", Status::Fail)],
        &ALL,
    );
    assert_eq!(out[0].first_seen, Some(day(1)));
    assert_eq!(events(&store, &out[0].id).len(), 1);
    // Muted after resolved reopens.
    scan(
        &mut store,
        day(3),
        vec![finding("s3-public", "a", Status::Pass)],
        &ALL,
    );
    let (s4, _) = scan(
        &mut store,
        day(4),
        vec![finding("s3-public", "a", Status::Muted)],
        &ALL,
    );
    assert_eq!(
        events(&store, &out[0].id).last(),
        Some(&(s4, FindingEventKind::Reopened))
    );
}

#[test]
fn error_neither_resolves_nor_opens() {
    let (_dir, mut store) = open_temp();
    let open = finding("s3-public", "a", Status::Fail);
    let never = finding("s3-unencrypted", "a", Status::Error);
    scan(&mut store, day(1), vec![open.clone(), never.clone()], &ALL);
    let (_, out) = scan(
        &mut store,
        day(2),
        vec![finding("s3-public", "a", Status::Error), never.clone()],
        &ALL,
    );
    // The open one stays open, the never-failed one is not opened.
    assert_eq!(out[0].first_seen, Some(day(1)));
    assert_eq!(out[0].resolved_at, None);
    assert_eq!(out[0].last_seen, Some(day(2)));
    assert_eq!(out[1].first_seen, None);
    assert!(store.finding_history(&never.id).unwrap().is_empty());
    assert_eq!(events(&store, &open.id).len(), 1);
    assert_eq!(
        store.finding_lifecycle(&open.id).unwrap().unwrap().state,
        LifecycleState::Open
    );
}

#[test]
fn disappearance_resolves_within_the_scans_coverage() {
    let (_dir, mut store) = open_temp();
    let gone = finding("s3-public", "deleted-bucket", Status::Fail);
    let stays = finding("s3-public", "kept", Status::Fail);
    scan(&mut store, day(1), vec![gone.clone(), stays.clone()], &ALL);
    // The bucket was deleted: the next full scan does not report it.
    let (s2, _) = scan(&mut store, day(2), vec![stays.clone()], &ALL);
    let life = store.finding_lifecycle(&gone.id).unwrap().unwrap();
    assert_eq!(life.state, LifecycleState::Resolved);
    assert_eq!(life.resolved_at, Some(day(2)));
    // Absent findings were not evaluated: last_seen stays.
    assert_eq!(life.last_seen, day(1));
    assert_eq!(
        events(&store, &gone.id),
        vec![
            (1, FindingEventKind::Opened),
            (s2, FindingEventKind::Resolved)
        ]
    );
    assert_eq!(
        store.finding_lifecycle(&stays.id).unwrap().unwrap().state,
        LifecycleState::Open
    );
}

#[test]
fn narrowed_scans_do_not_resolve_outside_their_scope() {
    let (_dir, mut store) = open_temp();
    let s3 = finding("s3-public", "a", Status::Fail);
    let iam = with_type(finding("iam-no-mfa", "alice", Status::Fail), "aws.iam.user");
    let other_region = in_scope(
        finding("s3-unencrypted", "b", Status::Fail),
        ACCOUNT,
        "eu-west-1",
    );
    let other_account = in_scope(
        finding("s3-unencrypted", "c", Status::Fail),
        "222222222222",
        REGION,
    );
    scan(
        &mut store,
        day(1),
        vec![
            s3.clone(),
            iam.clone(),
            other_region.clone(),
            other_account.clone(),
        ],
        &Scope {
            rules: ALL.rules,
            accounts: &[ACCOUNT, "222222222222"],
            regions: &[REGION, "eu-west-1"],
        },
    );
    // Only S3 rules, only us-east-1, only the first account, nothing found.
    scan(
        &mut store,
        day(2),
        vec![],
        &Scope {
            rules: &["s3-unencrypted"],
            accounts: &[ACCOUNT],
            regions: &[REGION],
        },
    );
    for f in [&s3, &iam, &other_region, &other_account] {
        let life = store.finding_lifecycle(&f.id).unwrap().unwrap();
        assert_eq!(
            life.state,
            LifecycleState::Open,
            "{} was resolved",
            f.resource_uid
        );
    }
    // The same rule in scope does resolve.
    scan(
        &mut store,
        day(3),
        vec![],
        &Scope {
            rules: &["s3-public"],
            accounts: &[ACCOUNT],
            regions: &[REGION],
        },
    );
    assert_eq!(
        store.finding_lifecycle(&s3.id).unwrap().unwrap().state,
        LifecycleState::Resolved
    );
    assert_eq!(
        store.finding_lifecycle(&iam.id).unwrap().unwrap().state,
        LifecycleState::Open
    );
}

#[test]
fn empty_accounts_and_regions_mean_those_of_the_findings() {
    let (_dir, mut store) = open_temp();
    let gone = in_scope(
        finding("s3-public", "a", Status::Fail),
        ACCOUNT,
        "eu-west-1",
    );
    let here = finding("s3-public", "b", Status::Pass);
    scan(
        &mut store,
        day(1),
        vec![gone.clone(), here.clone()],
        &Scope {
            rules: ALL.rules,
            accounts: &[],
            regions: &[],
        },
    );
    // The second scan only has findings in REGION: eu-west-1 is not covered.
    scan(
        &mut store,
        day(2),
        vec![here.clone()],
        &Scope {
            rules: ALL.rules,
            accounts: &[],
            regions: &[],
        },
    );
    assert_eq!(
        store.finding_lifecycle(&gone.id).unwrap().unwrap().state,
        LifecycleState::Open
    );
}

#[test]
fn collection_errors_and_error_results_block_resolution_by_absence() {
    let (_dir, mut store) = open_temp();
    let bucket = finding("s3-public", "a", Status::Fail);
    let sg = with_type(
        finding("s3-unencrypted", "x", Status::Fail),
        "aws.ec2.security_group",
    );
    scan(&mut store, day(1), vec![bucket.clone(), sg.clone()], &ALL);

    // Scan 2: listing buckets was denied, and the evaluator reported one
    // scope-level error for s3-unencrypted.
    let id = store
        .begin_scan(&rampart_store::NewScan::new(
            serde_json::json!({"source": "test"}),
        ))
        .unwrap();
    let mut results = vec![with_type(
        finding("s3-unencrypted", "scope", Status::Error),
        "aws.ec2.security_group",
    )];
    let done = rampart_store::CompletedScan {
        finished_at: day(2),
        duration_ms: 1,
        summary: rampart_findings::Summary::of(&results),
        errors: vec![rampart_inventory::CollectionError {
            account: ACCOUNT.into(),
            region: REGION.into(),
            service: "s3".into(),
            resource_types: vec!["aws.s3.bucket".into()],
            action: "s3:ListAllMyBuckets".into(),
            kind: rampart_inventory::ErrorKind::AccessDenied,
            message: String::new(),
        }],
        rules_evaluated: ALL.rules.iter().map(|s| s.to_string()).collect(),
        accounts: vec![ACCOUNT.into()],
        regions: vec![REGION.into()],
    };
    store.complete_scan(id, &done, &mut results).unwrap();
    for f in [&bucket, &sg] {
        assert_eq!(
            store.finding_lifecycle(&f.id).unwrap().unwrap().state,
            LifecycleState::Open,
            "{} was resolved",
            f.resource_uid
        );
    }
    let rec = store.scan(id).unwrap().unwrap();
    assert_eq!(rec.errors, done.errors);
}

#[test]
fn a_saved_inventory_limited_to_services_bounds_resolution() {
    let (_dir, mut store) = open_temp();
    let iam = with_type(finding("iam-no-mfa", "alice", Status::Fail), "aws.iam.user");
    scan(&mut store, day(1), vec![iam.clone()], &ALL);
    // A caller that passes every rule but only collected S3.
    let id = store
        .begin_scan(&rampart_store::NewScan::new(serde_json::json!({})))
        .unwrap();
    let inv = rampart_inventory::Inventory {
        services: vec!["s3".into()],
        ..Default::default()
    };
    store.save_inventory(id, &inv).unwrap();
    let done = rampart_store::CompletedScan {
        finished_at: day(2),
        duration_ms: 1,
        summary: rampart_findings::Summary::default(),
        errors: vec![],
        rules_evaluated: ALL.rules.iter().map(|s| s.to_string()).collect(),
        accounts: vec![ACCOUNT.into()],
        regions: vec![REGION.into()],
    };
    store.complete_scan(id, &done, &mut []).unwrap();
    assert_eq!(
        store.finding_lifecycle(&iam.id).unwrap().unwrap().state,
        LifecycleState::Open
    );
}

#[test]
fn duplicate_ids_in_one_scan_count_once() {
    let (_dir, mut store) = open_temp();
    let f = finding("s3-public", "a", Status::Fail);
    let mut dup = f.clone();
    dup.status = Status::Pass;
    let (s1, out) = scan(&mut store, day(1), vec![f.clone(), dup], &ALL);
    assert_eq!(out[1].first_seen, Some(day(1)));
    let stored = store.findings(s1, &FindingFilter::default()).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].status, Status::Fail);
}

#[test]
fn events_of_a_period() {
    let (_dir, mut store) = open_temp();
    scan(
        &mut store,
        day(1),
        vec![finding("s3-public", "a", Status::Fail)],
        &ALL,
    );
    scan(
        &mut store,
        day(10),
        vec![
            finding("s3-public", "a", Status::Pass),
            finding("s3-public", "b", Status::Fail),
        ],
        &ALL,
    );
    let ev = store.finding_events_between(day(5), day(15)).unwrap();
    let kinds: Vec<(String, FindingEventKind)> = ev
        .iter()
        .map(|e| (e.resource_uid.clone(), e.event))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("arn:aws:s3:::a".to_string(), FindingEventKind::Resolved),
            ("arn:aws:s3:::b".to_string(), FindingEventKind::Opened),
        ]
    );
}
