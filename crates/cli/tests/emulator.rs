//! The whole product against the AWS emulator, through the CLI: seed the
//! company account, `rampart scan` it with the real AWS SDK, and check that
//! every planted misconfiguration is found and no compliant twin fails.
//!
//! Needs moto (scripts/moto.sh installs it). When it cannot start, the test
//! fails; it never passes silently.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Moto {
    state: PathBuf,
    endpoint: String,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let state = std::env::temp_dir().join(format!("rampart-cli-moto-{}", std::process::id()));
        let out = Command::new("bash")
            .arg(repo().join("scripts/moto.sh"))
            .args(["start", &port.to_string()])
            .env("RAMPART_MOTO_DIR", &state)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the moto emulator could not be started (scripts/moto.sh install): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Moto {
            state,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    fn seed(&self, scale: u32) -> Value {
        let venv = std::env::var("RAMPART_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo().join(".venv"));
        let out = Command::new(venv.join("bin/python"))
            .arg(repo().join("scripts/seed_demo.py"))
            .args(["--endpoint", &self.endpoint, "--scale", &scale.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "seeding failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("scripts/moto.sh"))
            .arg("stop")
            .env("RAMPART_MOTO_DIR", &self.state)
            .output();
    }
}

fn rampart(moto: &Moto, db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rampart"));
    c.arg("--db")
        .arg(db)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/rampart-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/rampart-test-credentials",
        )
        .env_remove("AWS_PROFILE")
        .env_remove("RAMPART_DB")
        .env("NO_COLOR", "1");
    c
}

#[test]
fn every_planted_misconfiguration_is_found_and_no_compliant_twin_fails() {
    let moto = Moto::start();
    let manifest = moto.seed(1);
    let dir = tempfile::tempdir().unwrap();
    let out = rampart(&moto, &dir.path().join("r.db"))
        .args([
            "scan",
            "--regions",
            "ap-northeast-2,us-east-1",
            "--format",
            "json",
            "--fail-on",
            "critical",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "critical findings exist: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = scan["findings"].as_array().unwrap();
    assert!(scan["scan"]["api_calls"].as_u64().unwrap() > 0);

    // The rules' resource types: a planted resource of another type has no
    // rule yet and cannot be judged.
    let rules = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    let rules: Value = serde_json::from_slice(&rules.stdout).unwrap();
    // A full scan covers every service, so every rule is evaluated (the
    // account-wide types count too, whatever their service segment).
    assert_eq!(
        scan["scan"]["rules"].as_u64().unwrap() as usize,
        rules.as_array().unwrap().len()
    );
    let ruled: BTreeSet<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource_type"].as_str().unwrap())
        .collect();

    let on = |p: &Value| -> Vec<&Value> {
        findings
            .iter()
            .filter(|f| {
                f["resource_type"] == p["type"]
                    && f["resource_name"] == p["name"]
                    && f["region"] == p["region"]
            })
            .collect()
    };
    let mut judged = 0;
    let mut problems = Vec::new();
    for bad in manifest["bad"].as_array().unwrap() {
        if !ruled.contains(bad["type"].as_str().unwrap()) {
            continue;
        }
        judged += 1;
        let fs = on(bad);
        if fs.is_empty() {
            problems.push(format!("planted {bad} was not collected"));
        } else if !fs.iter().any(|f| f["status"] == "fail") {
            problems.push(format!("planted misconfiguration not found: {bad}"));
        }
    }
    for good in manifest["good"].as_array().unwrap() {
        if !ruled.contains(good["type"].as_str().unwrap()) {
            continue;
        }
        judged += 1;
        // No finding at all is fine: the twin is out of every rule's scope
        // (an unattached policy, say). The collector tests check it exists.
        let fs = on(good);
        for f in fs.iter().filter(|f| f["status"] != "pass") {
            problems.push(format!(
                "compliant twin {} ({}) {}s {}: {}",
                good["name"], good["region"], f["status"], f["rule_id"], f["reason"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        judged >= 40,
        "only {judged} planted resources could be judged"
    );
    // Everything the emulator serves is collected: no error findings, but
    // for the APIs moto does not implement at all (IAM Access Analyzer, the
    // SSM service settings), which must be `error` saying so — never `pass`.
    const UNSUPPORTED_BY_MOTO: [&str; 2] =
        ["aws.accessanalyzer.region", "aws.ssm.account_settings"];
    let (expected, errors): (Vec<&Value>, Vec<&Value>) = findings
        .iter()
        .filter(|f| f["status"] == "error")
        .partition(|f| {
            UNSUPPORTED_BY_MOTO.contains(&f["resource_type"].as_str().unwrap_or_default())
        });
    assert!(errors.is_empty(), "{errors:#?}");
    for f in &expected {
        assert!(
            f["reason"]
                .as_str()
                .unwrap()
                .contains("is not supported by the endpoint"),
            "{f}"
        );
    }
    cis_controls_fail_where_planted(&moto, &dir.path().join("r.db"));

    for rtype in UNSUPPORTED_BY_MOTO {
        let regions: BTreeSet<&str> = findings
            .iter()
            .filter(|f| f["resource_type"] == rtype)
            .map(|f| {
                assert_eq!(f["status"], "error", "{f}");
                f["region"].as_str().unwrap()
            })
            .collect();
        assert_eq!(
            regions,
            BTreeSet::from(["ap-northeast-2", "us-east-1"]),
            "{rtype}"
        );
    }
}

/// Every CIS AWS Foundations control that maps to rules has a planted
/// violation in the seeded account, so its requirement fails, except the
/// ones listed here with the reason they cannot be planted in the emulator.
fn cis_controls_fail_where_planted(moto: &Moto, db: &Path) {
    // (v3.0 id, v5.0 id, why it cannot fail here)
    const NOT_PLANTABLE: [(&str, &str, &str); 10] = [
        (
            "1.4",
            "1.3",
            "root access keys cannot be created in the emulator",
        ),
        (
            "1.6",
            "1.5",
            "the emulator's root user has no MFA device to judge",
        ),
        ("1.7", "1.6", "root use needs a root sign-in"),
        ("1.12", "1.11", "credentials cannot be back-dated 45 days"),
        ("1.14", "1.13", "access keys cannot be back-dated 90 days"),
        (
            "1.20",
            "1.19",
            "the emulator lacks IAM Access Analyzer: error, never pass",
        ),
        (
            "4.1",
            "4.1",
            "the seeded chain for unauthorized API calls is complete (good twin)",
        ),
        (
            "4.3",
            "4.3",
            "the seeded chain for root usage is complete (good twin)",
        ),
        (
            "4.4",
            "4.4",
            "the seeded chain for IAM policy changes is complete (good twin)",
        ),
        (
            "4.10",
            "4.10",
            "the seeded chain for security group changes is complete (good twin)",
        ),
    ];
    for (fw, pick) in [("cis-aws-3.0", 0), ("cis-aws-5.0", 1)] {
        let out = rampart(moto, db)
            .args(["compliance", fw, "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let exempt: BTreeSet<&str> = NOT_PLANTABLE
            .iter()
            .map(|e| if pick == 0 { e.0 } else { e.1 })
            .collect();
        let mut missed = Vec::new();
        let mut checked = 0;
        for r in report["requirements"].as_array().unwrap() {
            let id = r["id"].as_str().unwrap();
            if r["status"] == "manual" || exempt.contains(id) {
                continue;
            }
            checked += 1;
            if r["status"] != "fail" {
                missed.push(format!("{fw} {id}: {}", r["status"]));
            }
        }
        assert!(
            missed.is_empty(),
            "CIS controls without a planted violation:\n{}",
            missed.join("\n")
        );
        assert!(checked >= 40, "{fw}: only {checked} controls checked");
    }
}
