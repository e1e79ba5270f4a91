//! `kill -9` of a writer, for real.
//!
//! The test re-runs this test binary as a child process with
//! `RAMPART_STORE_CRASH_CHILD=MODE:PATH`, which selects the `crash_child`
//! test; that child opens the store, begins a scan, writes part of it,
//! says `READY <scan id>` on stdout and waits to be killed. The parent
//! kills it with SIGKILL, reopens the store, and checks that every earlier
//! scan reads exactly as before, that the killed scan is `interrupted`, and
//! that `PRAGMA integrity_check` passes.
//!
//! Modes:
//! - `inventory`: killed after `save_inventory` committed and before
//!   `complete_scan`: the inventory survives, the results never existed.
//! - `mid-commit`: killed inside the results transaction. The store's own
//!   `complete_scan` cannot be paused half-way, so the child writes what it
//!   writes (findings, results, the scan marked completed) through a raw
//!   connection with a tiny page cache, so that uncommitted pages spill
//!   into the WAL file before the kill. While it holds the write lock, the
//!   parent also checks that a reader can open the store and read.
//! - `loop`: the real API, scan after scan, killed at whatever point it
//!   has reached after a while.
// Test helpers outside #[test] functions panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use rampart_findings::{Finding, Status, Summary};
use rampart_inventory::{Inventory, Resource};
use rampart_store::{CompletedScan, FindingFilter, NewScan, ScanStatus, Store};
use serde_json::json;

const CHILD_ENV: &str = "RAMPART_STORE_CRASH_CHILD";

fn inventory(n: usize, salt: &str) -> Inventory {
    Inventory {
        collected_at: Some(day(20)),
        accounts: vec![ACCOUNT.into()],
        regions: vec![REGION.into()],
        services: vec![],
        resource_types: vec![],
        resources: (0..n)
            .map(|i| Resource {
                uid: format!("arn:aws:s3:::bucket-{i}"),
                resource_type: "aws.s3.bucket".into(),
                account: ACCOUNT.into(),
                region: REGION.into(),
                name: format!("bucket-{i}"),
                tags: BTreeMap::new(),
                props: json!({"i": i, "salt": salt, "versioning": {"status": "Enabled"}}),
                errors: vec![],
            })
            .collect(),
        errors: vec![],
    }
}

/// The child's loop works on its own buckets in its own account, so that
/// its lifecycle changes do not touch the parent's findings.
const CHILD_ACCOUNT: &str = "333333333333";

fn findings(n: usize, status: Status, account: &str) -> Vec<Finding> {
    (0..n)
        .map(|i| {
            in_scope(
                finding("s3-public", &format!("bucket-{account}-{i}"), status),
                account,
                REGION,
            )
        })
        .collect()
}

fn completed(findings: &[Finding], account: &str) -> CompletedScan {
    CompletedScan {
        finished_at: chrono::Utc::now(),
        duration_ms: 5,
        summary: Summary::of(findings),
        errors: vec![],
        rules_evaluated: vec!["s3-public".into()],
        accounts: vec![account.into()],
        regions: vec![REGION.into()],
    }
}

/// The child side; does nothing in a normal test run.
#[test]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (mode, path) = spec.split_once(':').unwrap();
    let path = Path::new(path);
    let mut store = Store::open(path).unwrap();
    let ready = |id: i64| {
        let mut out = std::io::stdout();
        writeln!(out, "READY {id}").unwrap();
        out.flush().unwrap();
    };
    match mode {
        "inventory" => {
            let id = store
                .begin_scan(&NewScan::new(json!({"mode": mode})))
                .unwrap();
            store
                .save_inventory(id, &inventory(10_000, "child"))
                .unwrap();
            ready(id);
        }
        "mid-commit" => {
            let id = store
                .begin_scan(&NewScan::new(json!({"mode": mode})))
                .unwrap();
            let mut conn = rusqlite::Connection::open(path).unwrap();
            conn.pragma_update(None, "cache_size", 8).unwrap();
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .unwrap();
            for i in 0..20_000 {
                tx.execute(
                    "INSERT INTO findings (id, rule_id, title, resource_uid, resource_type, \
                     service, resource_name, account, region, state, first_seen, last_seen, \
                     last_scan_id) VALUES (?1, 'ghost', 't', ?1, 'aws.s3.bucket', 's3', 'n', \
                     ?2, ?3, 'open', '2026-11-24T00:00:00.000000000Z', \
                     '2026-11-24T00:00:00.000000000Z', ?4)",
                    rusqlite::params![format!("ghost-{i}"), ACCOUNT, REGION, id],
                )
                .unwrap();
                let fid = tx.last_insert_rowid();
                tx.execute(
                    "INSERT INTO scan_results (scan_id, fid, status, severity, reason) \
                     VALUES (?1, ?2, 'fail', 'high', 'half-written')",
                    rusqlite::params![id, fid],
                )
                .unwrap();
            }
            tx.execute(
                "UPDATE findings SET state = 'resolved', resolved_at = last_seen WHERE rule_id = 's3-public'",
                [],
            )
            .unwrap();
            tx.execute("UPDATE scans SET status = 'completed' WHERE id = ?1", [id])
                .unwrap();
            // Uncommitted pages must have reached the WAL file.
            let wal = std::fs::metadata(path.with_extension("db-wal")).unwrap();
            assert!(wal.len() > 100_000, "WAL is only {} bytes", wal.len());
            ready(id);
            std::thread::sleep(Duration::from_secs(600));
            drop(tx);
        }
        "loop" => {
            let mut first = true;
            for round in 0.. {
                let id = store
                    .begin_scan(&NewScan::new(json!({"round": round})))
                    .unwrap();
                store
                    .save_inventory(id, &inventory(2_000, &round.to_string()))
                    .unwrap();
                let status = if round % 2 == 0 {
                    Status::Pass
                } else {
                    Status::Fail
                };
                let mut f = findings(5_000, status, CHILD_ACCOUNT);
                store
                    .complete_scan(id, &completed(&f, CHILD_ACCOUNT), &mut f)
                    .unwrap();
                if first {
                    ready(id);
                    first = false;
                }
            }
        }
        other => panic!("unknown mode {other}"),
    }
    std::thread::sleep(Duration::from_secs(600));
}

/// Starts the child and waits for its `READY <id>`.
fn spawn_child(mode: &str, path: &Path) -> (Child, i64) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{mode}:{}", path.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            // libtest prints "test crash_child ... " without a newline first.
            if let Some((_, id)) = line.split_once("READY ") {
                let _ = tx.send(id.trim().parse::<i64>().unwrap());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(id) => (child, id),
        Err(e) => {
            let _ = child.kill();
            let status = child.wait().unwrap();
            panic!("child in mode {mode} never got ready ({e}); it exited with {status}");
        }
    }
}

fn kill_9(mut child: Child) {
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    const SIGKILL: i32 = 9;
    assert_eq!(status.signal(), Some(SIGKILL), "{status}");
}

fn integrity(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// Everything a reader sees of the scans made before the crash.
#[derive(Debug, PartialEq)]
struct Snapshot {
    scans: Vec<rampart_store::ScanRecord>,
    findings: Vec<Vec<Finding>>,
    inventories: Vec<Inventory>,
}

fn snapshot(store: &Store, ids: &[i64]) -> Snapshot {
    Snapshot {
        scans: ids
            .iter()
            .map(|id| store.scan(*id).unwrap().unwrap())
            .collect(),
        findings: ids
            .iter()
            .map(|id| store.findings(*id, &FindingFilter::default()).unwrap())
            .collect(),
        inventories: ids.iter().map(|id| store.inventory(*id).unwrap()).collect(),
    }
}

/// Two completed scans made by this process before any child runs.
fn earlier_scans(store: &mut Store) -> Vec<i64> {
    let mut ids = Vec::new();
    for (d, status) in [(1, Status::Fail), (2, Status::Fail)] {
        let id = store
            .begin_scan(&NewScan {
                who: "parent@test".into(),
                scope: json!({"source": "test"}),
                started_at: day(d),
            })
            .unwrap();
        store.save_inventory(id, &inventory(100, "parent")).unwrap();
        let mut f = findings(100, status, ACCOUNT);
        store
            .complete_scan(id, &completed(&f, ACCOUNT), &mut f)
            .unwrap();
        ids.push(id);
    }
    ids
}

/// Like `assert_eq!`, without printing thousands of findings.
#[track_caller]
fn assert_same(now: &Snapshot, before: &Snapshot) {
    assert_eq!(now.scans, before.scans, "the earlier scan records changed");
    for (a, b) in now.findings.iter().zip(&before.findings) {
        assert_eq!(a.len(), b.len(), "the earlier scans' findings changed");
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x, y, "an earlier scan's finding changed");
        }
    }
    assert!(
        now.inventories == before.inventories,
        "the earlier inventories changed"
    );
}

fn assert_interrupted(store: &Store, id: i64) {
    let rec = store.scan(id).unwrap().unwrap();
    assert_eq!(rec.status, ScanStatus::Interrupted, "{rec:?}");
    let msg = rec.message.unwrap_or_default();
    assert!(msg.contains(&format!("pid {}", rec.pid)), "{msg}");
    assert!(
        store
            .findings(id, &FindingFilter::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn killed_writers_leave_earlier_scans_intact_and_their_scan_interrupted() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rampart.db");
    let mut store = Store::open(&path).unwrap();
    let earlier = earlier_scans(&mut store);
    let before = snapshot(&store, &earlier);
    let open_before = store.finding_lifecycle(&before.findings[1][0].id).unwrap();
    drop(store);

    // Killed between its inventory and its results.
    let (child, id) = spawn_child("inventory", &path);
    kill_9(child);
    let store = Store::open(&path).unwrap();
    assert_interrupted(&store, id);
    assert_eq!(store.inventory(id).unwrap(), inventory(10_000, "child"));
    assert_same(&snapshot(&store, &earlier), &before);
    assert_eq!(integrity(&path), "ok");
    drop(store);

    // Killed inside the results transaction, with pages in the WAL.
    let (child, id) = spawn_child("mid-commit", &path);
    {
        // A reader opens and reads while the child holds the write lock;
        // the child is alive, so its scan is still running.
        let reader = Store::open(&path).unwrap();
        assert_same(&snapshot(&reader, &earlier), &before);
        assert_eq!(
            reader.scan(id).unwrap().unwrap().status,
            ScanStatus::Running
        );
    }
    kill_9(child);
    let store = Store::open(&path).unwrap();
    assert_interrupted(&store, id);
    assert_same(&snapshot(&store, &earlier), &before);
    assert_eq!(
        store.finding_lifecycle(&before.findings[1][0].id).unwrap(),
        open_before
    );
    assert!(store.finding_lifecycle("ghost-0").unwrap().is_none());
    assert_eq!(integrity(&path), "ok");
    drop(store);

    // Killed wherever the real API happens to be.
    let (child, first) = spawn_child("loop", &path);
    std::thread::sleep(Duration::from_millis(700));
    kill_9(child);
    let store = Store::open(&path).unwrap();
    assert_eq!(integrity(&path), "ok");
    assert_same(&snapshot(&store, &earlier), &before);
    let child_scans: Vec<_> = store
        .scans(1_000)
        .unwrap()
        .into_iter()
        .filter(|s| s.id >= first)
        .collect();
    assert!(!child_scans.is_empty());
    let mut interrupted = 0;
    for s in &child_scans {
        match s.status {
            ScanStatus::Completed => {
                // Completed means whole: every result and the summary.
                let got = store.findings(s.id, &FindingFilter::default()).unwrap();
                assert_eq!(got.len(), 5_000);
                assert_eq!(
                    Some(Summary::of(&got).fail),
                    s.summary.as_ref().map(|x| x.fail)
                );
                assert_eq!(store.inventory(s.id).unwrap().resources.len(), 2_000);
            }
            ScanStatus::Interrupted => interrupted += 1,
            other => panic!("scan {} is {other}", s.id),
        }
    }
    assert!(interrupted <= 1, "{interrupted} interrupted scans");
    eprintln!(
        "loop: {} scans completed, {interrupted} interrupted",
        child_scans.len() - interrupted
    );
    // Opening again changes nothing.
    drop(store);
    let again = Store::open(&path).unwrap();
    assert_eq!(
        again.scans(1_000).unwrap().len(),
        earlier.len() + 2 + child_scans.len()
    );
}
