//! End-to-end runs of the `rampart` binary: exit codes, JSON, the store
//! through the CLI, bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rampart"));
    c.env_remove("RAMPART_DB").env("NO_COLOR", "1");
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example() -> PathBuf {
    repo().join("examples/inventory.json")
}

fn run(args: &[&str], db: &Path) -> Output {
    bin().arg("--db").arg(db).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_scan(db: &Path, inventory: &Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec![
        "scan",
        "--inventory",
        inventory.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args, db);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (out, v)
}

fn find<'a>(v: &'a Value, rule: &str, uid: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule && f["resource_uid"] == uid)
        .unwrap_or_else(|| panic!("no finding {rule} on {uid}"))
}

#[test]
fn scan_json_lists_every_evaluated_finding_with_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let (out, v) = json_scan(&db, &example(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(v["scan"]["status"], "completed");
    assert_eq!(v["scan"]["id"], 1);
    assert_eq!(v["scan"]["resources"], 29);
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings.len() > 29,
        "every rule on every resource of its type"
    );
    for f in findings {
        for key in [
            "id",
            "rule_id",
            "title",
            "severity",
            "status",
            "resource_uid",
            "resource_type",
            "resource_name",
            "account",
            "region",
            "reason",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        assert!(
            !f["reason"].as_str().unwrap().is_empty(),
            "empty reason: {f}"
        );
    }
    let statuses: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains("pass") && statuses.contains("fail") && statuses.contains("error"),
        "{statuses:?}"
    );
    let s = &v["summary"];
    assert_eq!(
        s["total"].as_u64().unwrap(),
        s["pass"].as_u64().unwrap()
            + s["fail"].as_u64().unwrap()
            + s["error"].as_u64().unwrap()
            + s["muted"].as_u64().unwrap()
    );
    assert!(s["score"].as_f64().unwrap() > 0.0 && s["score"].as_f64().unwrap() < 100.0);
}

#[test]
fn collection_errors_become_error_findings_never_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (_, v) = json_scan(&dir.path().join("r.db"), &example(), &[]);
    // The example records ec2:DescribeSecurityGroups denied in us-east-1.
    let errors: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["resource_type"] == "aws.ec2.security_group" && f["region"] == "us-east-1")
        .collect();
    assert!(!errors.is_empty());
    for f in errors {
        assert_eq!(f["status"], "error", "{f}");
        assert!(
            f["reason"]
                .as_str()
                .unwrap()
                .contains("ec2:DescribeSecurityGroups"),
            "{f}"
        );
    }
    assert_eq!(v["scan"]["collection_errors"][0]["kind"], "access_denied");
}

#[test]
fn fail_on_sets_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let inv = example();
    let inv = inv.to_str().unwrap();
    let o = run(&["scan", "--inventory", inv, "--fail-on", "high"], &db);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // A clean inventory (only compliant resources) exits 0 even with --fail-on info.
    let clean = dir.path().join("clean.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(inv).unwrap()).unwrap();
    v["resources"] = Value::Array(vec![]);
    v["errors"] = Value::Array(vec![]);
    std::fs::write(&clean, v.to_string()).unwrap();
    let o = run(
        &[
            "scan",
            "--inventory",
            clean.to_str().unwrap(),
            "--fail-on",
            "info",
        ],
        &db,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn table_output_groups_failures_and_ends_with_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &["scan", "--inventory", example().to_str().unwrap()],
        &dir.path().join("r.db"),
    );
    let text = stdout(&o);
    assert!(text.contains("CRITICAL ("), "{text}");
    assert!(text.contains("COULD NOT SCAN"), "{text}");
    assert!(
        text.contains("access denied for ec2:DescribeSecurityGroups"),
        "{text}"
    );
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("Score ") && last.contains(" evaluated: "),
        "{last}"
    );
}

#[test]
fn malformed_inventory_names_file_line_and_column_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"resources\": [\n    {\"uid\": \"x\", \"type\": \"aws.s3.bucket\",, }\n  ]\n}\n",
    )
    .unwrap();
    let o = run(
        &["scan", "--inventory", bad.to_str().unwrap()],
        &dir.path().join("r.db"),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:3:", bad.display())), "{err}");
    // The failed scan is recorded as such; nothing else is lost.
    let o = run(&["scans", "--format", "json"], &dir.path().join("r.db"));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["scan"]["status"], "failed");
}

#[test]
fn findings_and_scans_query_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    json_scan(&db, &example(), &[]);
    json_scan(&db, &example(), &[]);
    let o = run(&["scans", "--format", "json"], &db);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["scan"]["id"], 2, "newest first");

    let o = run(
        &[
            "findings",
            "--status",
            "fail",
            "--service",
            "s3",
            "--format",
            "json",
        ],
        &db,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let fs = v["findings"].as_array().unwrap();
    assert!(!fs.is_empty());
    for f in fs {
        assert_eq!(f["status"], "fail");
        assert!(f["resource_type"].as_str().unwrap().starts_with("aws.s3."));
        assert!(
            f["first_seen"].is_string() && f["last_seen"].is_string(),
            "{f}"
        );
    }
    let o = run(&["findings", "--scan", "99"], &db);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no scan with id 99"));
}

#[test]
fn a_fixed_resource_is_resolved_and_a_reopened_one_keeps_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let text = std::fs::read_to_string(example()).unwrap();
    let (_, first) = json_scan(&db, &example(), &[]);
    let uid = "arn:aws:ec2:ap-northeast-2:123456789012:volume/vol-0plain00000000001";
    let failing: Vec<Value> = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["resource_uid"] == uid && f["status"] == "fail")
        .cloned()
        .collect();
    assert_eq!(failing.len(), 1, "the unencrypted volume fails one rule");
    let rule = failing[0]["rule_id"].as_str().unwrap().to_string();
    let id = failing[0]["id"].as_str().unwrap().to_string();

    // Encrypt the volume: the finding passes and is resolved.
    let fixed = dir.path().join("fixed.json");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for r in v["resources"].as_array_mut().unwrap() {
        if r["uid"] == uid {
            r["props"]["encrypted"] = Value::Bool(true);
        }
    }
    std::fs::write(&fixed, v.to_string()).unwrap();
    let (_, second) = json_scan(&db, &fixed, &[]);
    let f = find(&second, &rule, uid);
    assert_eq!(f["status"], "pass");
    assert_eq!(f["id"], id.as_str());
    assert!(f["resolved_at"].is_string(), "{f}");

    // It fails again: reopened, same id, resolved_at cleared, first_seen kept.
    let (_, third) = json_scan(&db, &example(), &[]);
    let f = find(&third, &rule, uid);
    assert_eq!(f["status"], "fail");
    assert_eq!(f["id"], id.as_str());
    assert!(f.get("resolved_at").is_none_or(Value::is_null), "{f}");
    assert_eq!(f["first_seen"], find(&first, &rule, uid)["first_seen"]);
}

#[test]
fn a_scan_killed_half_way_leaves_history_intact_and_is_marked_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let (out, first) = json_scan(&db, &example(), &[]);
    assert_eq!(out.status.code(), Some(0));

    // An inventory big enough that the scan is still busy when we look.
    let big = dir.path().join("big.json");
    let mut resources = Vec::new();
    for i in 0..120_000 {
        resources.push(serde_json::json!({
            "uid": format!("arn:aws:ec2:ap-northeast-2:123456789012:volume/vol-{i:017}"),
            "type": "aws.ec2.volume", "account": "123456789012", "region": "ap-northeast-2",
            "name": format!("vol-{i:017}"),
            "props": {"volume_id": format!("vol-{i:017}"), "encrypted": i % 2 == 0, "state": "in-use", "size": 8, "attachments": []}
        }));
    }
    std::fs::write(
        &big,
        serde_json::json!({"resources": resources}).to_string(),
    )
    .unwrap();

    let mut child = bin()
        .arg("--db")
        .arg(&db)
        .args(["scan", "--format", "json", "--inventory"])
        .arg(&big)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let o = run(&["scans", "--format", "json"], &db);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        if v[0]["scan"]["id"] == 2 && v[0]["scan"]["status"] == "running" {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the scan finished before it could be killed"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the scan never showed as running"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let o = run(&["scans", "--format", "json"], &db);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["scan"]["id"], 2);
    assert_eq!(v[0]["scan"]["status"], "interrupted", "{v}");
    assert_eq!(v[1]["scan"]["status"], "completed");

    // The earlier scan's findings read back exactly.
    let o = run(&["findings", "--scan", "1", "--format", "json"], &db);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["findings"].as_array().unwrap().len(),
        first["findings"].as_array().unwrap().len()
    );
    // And `findings` without --scan still means the latest completed scan.
    let o = run(&["findings", "--format", "json"], &db);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["scan"]["id"], 1);
}
