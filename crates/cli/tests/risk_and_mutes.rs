//! Context escalation, prioritised order and mutes through the CLI, on the
//! sample inventory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn run(args: &[&str], db: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .env_remove("RAMPART_DB")
        .env("NO_COLOR", "1")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/inventory.json")
        .to_str()
        .unwrap()
        .to_string()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().unwrap()
}

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    (dir, db)
}

#[test]
fn escalated_findings_say_why_and_come_first() {
    let (_d, db) = temp_db();
    let out = run(
        &["scan", "--inventory", &example(), "--format", "json"],
        &db,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    let escalated: Vec<&Value> = findings(&v)
        .iter()
        .filter(|f| !f["risk"]["escalation"].is_null())
        .collect();
    assert!(
        !escalated.is_empty(),
        "the sample has a public bucket holding personal data"
    );
    for f in &escalated {
        assert_eq!(f["severity"], "critical");
        assert_eq!(f["status"], "fail");
        assert!(
            !f["risk"]["escalation"]["reason"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        assert_ne!(f["risk"]["escalation"]["from"], "critical");
    }
    assert!(
        escalated
            .iter()
            .any(|f| f["resource_name"] == "hanbit-payroll-export"
                && f["risk"]["escalation"]["reason"]
                    .as_str()
                    .unwrap()
                    .contains("personal data")),
        "{escalated:#?}"
    );

    // Priority order: failing first; within a severity, more risk factors first.
    let list = findings(&v);
    let key = |f: &Value| {
        let sev = match f["severity"].as_str().unwrap() {
            "critical" => 4,
            "high" => 3,
            "medium" => 2,
            "low" => 1,
            _ => 0,
        };
        let factors = f["risk"]["factors"].as_array().map_or(0, Vec::len);
        (sev, factors)
    };
    let failing: Vec<&Value> = list.iter().filter(|f| f["status"] == "fail").collect();
    for w in failing.windows(2) {
        assert!(key(w[0]) >= key(w[1]), "{} before {}", w[0], w[1]);
    }

    // The table explains the escalation in words.
    let table = run(&["findings"], &db);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("escalated from high"), "{text}");
    assert!(text.contains("risk: public_exposure"), "{text}");
}

#[test]
fn mute_add_list_remove_through_the_cli() {
    let (_d, db) = temp_db();
    let first = run(
        &["scan", "--inventory", &example(), "--format", "json"],
        &db,
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let v = json(&first);
    let target = findings(&v)
        .iter()
        .find(|f| f["status"] == "fail")
        .unwrap()
        .clone();
    let (rule, uid) = (
        target["rule_id"].as_str().unwrap(),
        target["resource_uid"].as_str().unwrap(),
    );

    // Reason, owner and expiry are required; the past is refused.
    let missing = run(
        &[
            "mute",
            "add",
            "--rule",
            rule,
            "--owner",
            "me",
            "--expires",
            "+30d",
        ],
        &db,
    );
    assert_eq!(missing.status.code(), Some(2));
    let past = run(
        &[
            "mute",
            "add",
            "--rule",
            rule,
            "--reason",
            "r",
            "--owner",
            "me",
            "--expires",
            "2020-01-01",
        ],
        &db,
    );
    assert_eq!(past.status.code(), Some(2));
    assert!(stderr(&past).contains("in the past"), "{}", stderr(&past));
    let unknown = run(
        &[
            "mute",
            "add",
            "--rule",
            "no-such-rule",
            "--reason",
            "r",
            "--owner",
            "me",
            "--expires",
            "+1d",
        ],
        &db,
    );
    assert_eq!(unknown.status.code(), Some(2));

    let add = run(
        &[
            "mute",
            "add",
            "--rule",
            rule,
            "--resource",
            uid,
            "--reason",
            "accepted until the migration",
            "--owner",
            "platform-team",
            "--expires",
            "+30d",
        ],
        &db,
    );
    assert!(add.status.success(), "{}", stderr(&add));
    assert!(
        stderr(&add).contains("mutes 1 failing finding"),
        "{}",
        stderr(&add)
    );

    let nothing = run(
        &[
            "mute",
            "add",
            "--tag",
            "nobody=here",
            "--reason",
            "r",
            "--owner",
            "me",
            "--expires",
            "+1d",
        ],
        &db,
    );
    assert!(nothing.status.success());
    assert!(
        stderr(&nothing).contains("matches no failing finding"),
        "{}",
        stderr(&nothing)
    );

    // The muted finding stays visible as muted, with its mute.
    let all = json(&run(&["findings", "--format", "json"], &db));
    let f = findings(&all)
        .iter()
        .find(|f| f["rule_id"] == rule && f["resource_uid"] == uid)
        .unwrap();
    assert_eq!(f["status"], "muted");
    assert_eq!(f["mute"]["owner"], "platform-team");
    let fails = json(&run(
        &["findings", "--status", "fail", "--format", "json"],
        &db,
    ));
    assert!(
        !findings(&fails)
            .iter()
            .any(|f| f["rule_id"] == rule && f["resource_uid"] == uid)
    );

    // A new scan applies it and warns about the one that matches nothing.
    let second = run(
        &["scan", "--inventory", &example(), "--format", "json"],
        &db,
    );
    let v2 = json(&second);
    assert_eq!(v2["summary"]["muted"], 1);
    assert!(
        stderr(&second).contains("matched no failing finding"),
        "{}",
        stderr(&second)
    );

    let list = json(&run(&["mute", "list", "--format", "json"], &db));
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["state"], "active");
    let id = rows[0]["id"].as_i64().unwrap().to_string();

    let rm = run(&["mute", "remove", &id], &db);
    assert!(rm.status.success(), "{}", stderr(&rm));
    assert_eq!(run(&["mute", "remove", &id], &db).status.code(), Some(2));
    let after = json(&run(&["findings", "--format", "json"], &db));
    let f = findings(&after)
        .iter()
        .find(|f| f["rule_id"] == rule && f["resource_uid"] == uid)
        .unwrap();
    assert_eq!(f["status"], "fail", "a removed mute no longer applies");
    let audit = json(&run(&["mute", "list", "--all", "--format", "json"], &db));
    assert_eq!(audit.as_array().unwrap()[0]["state"], "removed");
}
