//! Scans, inventories, filters and the file itself.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::*;
use rampart_findings::{Severity, Status, Summary};
use rampart_inventory::{CollectionError, ErrorKind, Inventory, PropError, Resource};
use rampart_store::{FindingFilter, NewScan, SCHEMA_VERSION, ScanStatus, Store, StoreError};
use serde_json::json;

fn resource(i: usize, props: serde_json::Value) -> Resource {
    Resource {
        uid: format!("arn:aws:s3:::bucket-{i}"),
        resource_type: "aws.s3.bucket".into(),
        account: ACCOUNT.into(),
        region: "global".into(),
        name: format!("bucket-{i}"),
        tags: BTreeMap::from([("team".to_string(), format!("t{}", i % 3))]),
        props,
        errors: Vec::new(),
    }
}

fn sample_inventory(n: usize) -> Inventory {
    let mut resources: Vec<Resource> = (0..n)
        .map(|i| {
            resource(
                i,
                json!({"versioning": {"status": "Enabled"}, "z_first": 1, "a_last": [i % 2]}),
            )
        })
        .collect();
    resources[0].errors.push(PropError {
        prop: "policy".into(),
        action: "s3:GetBucketPolicy".into(),
        kind: ErrorKind::AccessDenied,
        message: "denied".into(),
    });
    Inventory {
        collected_at: Some(day(1)),
        accounts: vec![ACCOUNT.into()],
        regions: vec!["global".into(), REGION.into()],
        services: vec!["s3".into()],
        resource_types: vec![
            "aws.s3.bucket".into(),
            "aws.s3.account_public_access_block".into(),
        ],
        resources,
        errors: vec![CollectionError {
            account: ACCOUNT.into(),
            region: REGION.into(),
            service: "ec2".into(),
            resource_types: vec!["aws.ec2.instance".into()],
            action: "ec2:DescribeInstances".into(),
            kind: ErrorKind::Throttled,
            message: "slow down".into(),
        }],
    }
}

fn count(path: &std::path::Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn inventory_round_trips_exactly_and_documents_are_shared() {
    let (dir, mut store) = open_temp();
    let inv = sample_inventory(50);
    let a = store
        .begin_scan(&NewScan::new(json!({"source": "aws"})))
        .unwrap();
    store.save_inventory(a, &inv).unwrap();
    let back = store.inventory(a).unwrap();
    assert_eq!(back, inv);
    // Key order inside props is kept (serde_json preserve_order).
    assert_eq!(
        serde_json::to_string(&back.resources[1].props).unwrap(),
        serde_json::to_string(&inv.resources[1].props).unwrap()
    );

    // Two distinct documents per tag value and parity, plus the one with errors.
    let docs = count(&dir.path().join("rampart.db"), "resource_docs");
    assert!(docs <= 7, "{docs} documents for 50 resources");

    // A second scan of the same resources adds no documents.
    let b = store
        .begin_scan(&NewScan::new(json!({"source": "aws"})))
        .unwrap();
    store.save_inventory(b, &inv).unwrap();
    assert_eq!(count(&dir.path().join("rampart.db"), "resource_docs"), docs);
    assert_eq!(store.inventory(b).unwrap(), inv);

    // Saving again replaces.
    let small = sample_inventory(2);
    store.save_inventory(b, &small).unwrap();
    assert_eq!(store.inventory(b).unwrap(), small);
    assert_eq!(store.inventory(a).unwrap(), inv);
}

#[test]
fn inventory_errors_name_the_problem() {
    let (_dir, mut store) = open_temp();
    let id = store.begin_scan(&NewScan::new(json!({}))).unwrap();
    let err = store.inventory(id).unwrap_err();
    assert!(matches!(err, StoreError::NoInventory { .. }), "{err}");
    assert!(
        store
            .inventory(999)
            .unwrap_err()
            .to_string()
            .contains("no scan with id 999")
    );
    // A completed scan takes no inventory.
    let (done, _) = scan(&mut store, day(1), vec![], &ALL);
    let err = store
        .save_inventory(done, &Inventory::default())
        .unwrap_err();
    assert!(
        err.to_string().contains("is completed, not running"),
        "{err}"
    );
}

#[test]
fn scans_are_recorded_with_their_life() {
    let (_dir, mut store) = open_temp();
    assert!(store.latest_completed_scan().unwrap().is_none());
    let f = finding("s3-public", "a", Status::Fail);
    let (s1, _) = scan(&mut store, day(1), vec![f.clone()], &ALL);
    let s2 = store
        .begin_scan(&NewScan {
            who: "alice@laptop".into(),
            scope: json!({"source": "inventory:inv.json", "services": ["s3"]}),
            started_at: day(2),
        })
        .unwrap();
    store.fail_scan(s2, "credentials expired").unwrap();
    let s3 = store
        .begin_scan(&NewScan::new(json!({"source": "aws"})))
        .unwrap();

    let all = store.scans(10).unwrap();
    let ids: Vec<i64> = all.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![s3, s2, s1]);
    assert_eq!(store.scans(1).unwrap().len(), 1);

    let r1 = store.scan(s1).unwrap().unwrap();
    assert_eq!(r1.status, ScanStatus::Completed);
    assert_eq!(r1.who, "tester@host");
    assert_eq!(r1.started_at, day(1));
    assert_eq!(r1.finished_at, Some(day(1) + chrono::Duration::seconds(3)));
    assert_eq!(r1.duration_ms, Some(3000));
    assert_eq!(r1.rules_evaluated, Some(3));
    assert_eq!(r1.regions, vec![REGION.to_string()]);
    assert_eq!(r1.summary, Some(Summary::of(&[f])));
    assert_eq!(r1.pid, std::process::id());

    let r2 = store.scan(s2).unwrap().unwrap();
    assert_eq!(r2.status, ScanStatus::Failed);
    assert_eq!(r2.message.as_deref(), Some("credentials expired"));
    assert_eq!(r2.scope["source"], "inventory:inv.json");
    assert!(r2.summary.is_none());

    let r3 = store.scan(s3).unwrap().unwrap();
    assert_eq!(r3.status, ScanStatus::Running);
    assert!(r3.who.contains('@'));

    assert_eq!(store.latest_completed_scan().unwrap().unwrap().id, s1);
    assert!(store.scan(12345).unwrap().is_none());

    // Ending a scan twice is refused, with the state named.
    let err = store.fail_scan(s2, "again").unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::ScanNotRunning {
                status: ScanStatus::Failed,
                ..
            }
        ),
        "{err}"
    );
    let err = store
        .complete_scan(s1, &done_nothing(), &mut [])
        .unwrap_err();
    assert!(err.to_string().contains("scan 1 is completed"), "{err}");

    // Interrupting explicitly.
    store.mark_interrupted(s3, "host lost").unwrap();
    assert_eq!(
        store.scan(s3).unwrap().unwrap().status,
        ScanStatus::Interrupted
    );
    assert!(
        store
            .findings(s3, &FindingFilter::default())
            .unwrap()
            .is_empty()
    );
}

fn done_nothing() -> rampart_store::CompletedScan {
    rampart_store::CompletedScan {
        finished_at: day(1),
        duration_ms: 0,
        summary: Summary::default(),
        errors: vec![],
        rules_evaluated: vec![],
        accounts: vec![],
        regions: vec![],
    }
}

#[test]
fn filters_select_findings() {
    let (_dir, mut store) = open_temp();
    let mut crit = finding("s3-public", "payroll-prod", Status::Fail);
    crit.severity = Severity::Critical;
    let mut low = finding("s3-unencrypted", "logs", Status::Fail);
    low.severity = Severity::Low;
    let pass = finding("s3-unencrypted", "payroll-prod", Status::Pass);
    let iam = in_scope(
        with_type(
            finding("iam-no-mfa", "alice", Status::Muted),
            "aws.iam.user",
        ),
        "222222222222",
        "global",
    );
    let err = in_scope(
        finding("s3-public", "eu", Status::Error),
        ACCOUNT,
        "eu-west-1",
    );
    let all = [
        crit.clone(),
        low.clone(),
        pass.clone(),
        iam.clone(),
        err.clone(),
    ];
    let (id, _) = scan(&mut store, day(1), all.to_vec(), &ALL);

    let uids = |filter: FindingFilter| -> Vec<String> {
        store
            .findings(id, &filter)
            .unwrap()
            .into_iter()
            .map(|f| f.resource_name + "/" + &f.rule_id)
            .collect()
    };
    // Most severe first, then failing before the rest.
    assert_eq!(
        uids(FindingFilter::default()),
        vec![
            "payroll-prod/s3-public",
            "eu/s3-public",
            "alice/iam-no-mfa",
            "payroll-prod/s3-unencrypted",
            "logs/s3-unencrypted"
        ]
    );
    assert_eq!(
        uids(FindingFilter {
            statuses: vec![Status::Fail],
            ..Default::default()
        }),
        vec!["payroll-prod/s3-public", "logs/s3-unencrypted"]
    );
    assert_eq!(
        uids(FindingFilter {
            min_severity: Some(Severity::High),
            statuses: vec![Status::Fail, Status::Muted],
            ..Default::default()
        }),
        vec!["payroll-prod/s3-public", "alice/iam-no-mfa"]
    );
    assert_eq!(
        uids(FindingFilter {
            severities: vec![Severity::Low],
            ..Default::default()
        }),
        vec!["logs/s3-unencrypted"]
    );
    assert_eq!(
        uids(FindingFilter {
            services: vec!["iam".into()],
            ..Default::default()
        }),
        vec!["alice/iam-no-mfa"]
    );
    assert_eq!(
        uids(FindingFilter {
            rule_ids: vec!["s3-unencrypted".into()],
            ..Default::default()
        }),
        vec!["payroll-prod/s3-unencrypted", "logs/s3-unencrypted"]
    );
    // Resource: case-insensitive substring of uid or name.
    assert_eq!(
        uids(FindingFilter {
            resource: Some("PAYROLL".into()),
            statuses: vec![Status::Pass],
            ..Default::default()
        }),
        vec!["payroll-prod/s3-unencrypted"]
    );
    assert_eq!(
        uids(FindingFilter {
            resource: Some("arn:aws:s3:::lo".into()),
            ..Default::default()
        }),
        vec!["logs/s3-unencrypted"]
    );
    assert_eq!(
        uids(FindingFilter {
            regions: vec!["eu-west-1".into()],
            ..Default::default()
        }),
        vec!["eu/s3-public"]
    );
    assert_eq!(
        uids(FindingFilter {
            accounts: vec!["222222222222".into()],
            ..Default::default()
        }),
        vec!["alice/iam-no-mfa"]
    );
    // A filter matching nothing, and a scan that does not exist.
    assert!(
        uids(FindingFilter {
            accounts: vec!["nope".into()],
            ..Default::default()
        })
        .is_empty()
    );
    let err = store.findings(99, &FindingFilter::default()).unwrap_err();
    assert!(
        matches!(err, StoreError::ScanNotFound { id: 99, .. }),
        "{err}"
    );

    // Full findings come back as they went in, lifecycle added.
    let back = store
        .findings(
            id,
            &FindingFilter {
                rule_ids: vec!["iam-no-mfa".into()],
                ..Default::default()
            },
        )
        .unwrap();
    let mut expected = iam.clone();
    expected.first_seen = Some(day(1));
    expected.last_seen = Some(day(1));
    assert_eq!(back, vec![expected]);
}

#[test]
fn a_database_from_a_newer_rampart_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    {
        let mut store = Store::open(&path).unwrap();
        scan(
            &mut store,
            day(1),
            vec![finding("s3-public", "a", Status::Fail)],
            &ALL,
        );
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);

    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::SchemaTooNew { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("newer"), "{msg}");

    // Untouched: the version is still the newer one and the data is there.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION + 1);
    assert_eq!(count(&path, "scans"), 1);
}

#[test]
fn open_creates_parent_directories_and_reports_paths() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/c/rampart.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.path(), path);
    assert!(path.exists());

    // A parent that is a file cannot be created.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let err = Store::open(&blocker.join("rampart.db")).unwrap_err();
    assert!(
        matches!(err, StoreError::CreateDir { .. }) || matches!(err, StoreError::Open { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains(&blocker.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_reader_reads_while_a_writer_holds_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rampart.db");
    let mut writer = Store::open(&path).unwrap();
    let (s1, _) = scan(
        &mut writer,
        day(1),
        vec![finding("s3-public", "a", Status::Fail)],
        &ALL,
    );

    // Another connection takes the write lock and keeps it.
    let mut lock = rusqlite::Connection::open(&path).unwrap();
    let tx = lock
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    tx.execute("UPDATE scans SET who = 'someone' WHERE id = ?1", [s1])
        .unwrap();

    let started = std::time::Instant::now();
    let reader = Store::open(&path).unwrap();
    assert_eq!(reader.scans(10).unwrap().len(), 1);
    assert_eq!(reader.scan(s1).unwrap().unwrap().who, "tester@host");
    assert_eq!(
        reader
            .findings(s1, &FindingFilter::default())
            .unwrap()
            .len(),
        1
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    tx.rollback().unwrap();
}

#[test]
fn current_findings_keep_what_narrowed_scans_did_not_look_at() {
    let (_dir, mut store) = open_temp();
    let bucket = finding("s3-public", "a", Status::Fail);
    let user = with_type(finding("iam-no-mfa", "alice", Status::Fail), "aws.iam.user");
    scan(&mut store, day(1), vec![bucket.clone(), user.clone()], &ALL);
    let narrowed = Scope {
        rules: &["s3-public"],
        accounts: ALL.accounts,
        regions: ALL.regions,
    };
    let (s2, _) = scan(
        &mut store,
        day(2),
        vec![finding("s3-public", "a", Status::Pass)],
        &narrowed,
    );
    // The newest scan alone knows only the bucket ...
    assert_eq!(
        store.findings(s2, &FindingFilter::default()).unwrap().len(),
        1
    );
    // ... the current state has both, each from its latest scan.
    let now = store.current_findings(&FindingFilter::default()).unwrap();
    let got: Vec<(String, Status)> = now
        .iter()
        .map(|f| (f.resource_name.clone(), f.status))
        .collect();
    assert_eq!(
        got,
        vec![
            ("alice".to_string(), Status::Fail),
            ("a".to_string(), Status::Pass)
        ]
    );
    assert_eq!(now[1].resolved_at, Some(day(2)));
    let failing = store
        .current_findings(&FindingFilter {
            statuses: vec![Status::Fail],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0].id, user.id);
}

#[test]
fn pruning_keeps_the_newest_inventories_and_drops_unused_documents() {
    let (dir, mut store) = open_temp();
    let db = dir.path().join("rampart.db");
    let mut ids = Vec::new();
    for n in 0..3 {
        let mut inv = sample_inventory(10);
        for r in &mut inv.resources {
            r.props["scan"] = json!(n);
        }
        let id = store.begin_scan(&NewScan::new(json!({}))).unwrap();
        store.save_inventory(id, &inv).unwrap();
        let mut f = vec![finding("s3-public", "a", Status::Fail)];
        store.complete_scan(id, &done_nothing(), &mut f).unwrap();
        ids.push((id, inv));
    }
    let running = store.begin_scan(&NewScan::new(json!({}))).unwrap();
    store.save_inventory(running, &sample_inventory(1)).unwrap();
    let docs_before = count(&db, "resource_docs");

    // Keeps the running scan's and the newest one besides.
    assert_eq!(store.prune_inventories(1).unwrap(), 2);
    for (id, _) in &ids[..2] {
        let err = store.inventory(*id).unwrap_err();
        assert!(matches!(err, StoreError::NoInventory { .. }), "{err}");
        // Results and lifecycle stay.
        assert_eq!(
            store
                .findings(*id, &FindingFilter::default())
                .unwrap()
                .len(),
            1
        );
    }
    assert_eq!(store.inventory(ids[2].0).unwrap(), ids[2].1);
    assert_eq!(store.inventory(running).unwrap(), sample_inventory(1));
    assert!(count(&db, "resource_docs") < docs_before);
    assert_eq!(store.prune_inventories(1).unwrap(), 0);
}

#[test]
fn many_processes_worth_of_connections_can_create_the_same_file_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("race.db");
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path)?;
                let id = store.begin_scan(&NewScan::new(json!({})))?;
                store.fail_scan(id, "only testing")?;
                Ok::<_, StoreError>(())
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.scans(100).unwrap().len(), 8);
}
