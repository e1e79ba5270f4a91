//! `rampart compliance` end to end: scan the example inventory into a
//! database, then read each framework back. Every framework has at least
//! one requirement whose result is checked by hand against
//! examples/inventory.json (the comments say why it is what it is).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rampart"));
    c.env_remove("RAMPART_DB").env("NO_COLOR", "1");
    c
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/inventory.json")
}

fn run(db: &Path, args: &[&str]) -> Output {
    bin().arg("--db").arg(db).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A database holding one completed scan of the example inventory.
fn scanned() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let out = run(
        &db,
        &[
            "scan",
            "--inventory",
            example().to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    // Exit 1: the example has failing findings.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    (dir, db)
}

fn json(db: &Path, args: &[&str]) -> Value {
    let out = run(db, args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

fn framework(db: &Path, id: &str) -> Value {
    json(db, &["compliance", id, "--format", "json"])
}

fn req<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no requirement {id}"))
}

/// The (rule, resource uid) pairs a requirement lists as failing.
fn failing(r: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = r["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["resource_uid"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn pair(rule: &str, uid: &str) -> (String, String) {
    (rule.to_string(), uid.to_string())
}

const ROOT: &str = "123456789012:account";
const PAYROLL: &str = "arn:aws:s3:::hanbit-payroll-export";
const BASTION_SG: &str =
    "arn:aws:ec2:ap-northeast-2:123456789012:security-group/sg-0a11ssh0000000001";

#[test]
fn cis_aws_3_0_by_hand() {
    let (_dir, db) = scanned();
    let v = framework(&db, "cis-aws-3.0");
    assert_eq!(v["framework"]["id"], "cis-aws-3.0");
    assert_eq!(v["framework"]["version"], "3.0.0");
    assert_eq!(v["source"]["scan_id"], 1);

    // 1.4: the account summary says root_access_keys_present: true.
    let r = req(&v, "1.4");
    assert_eq!(r["status"], "fail");
    assert_eq!(failing(r), [pair("iam-root-access-keys-present", ROOT)]);
    let f = &r["failing"][0];
    assert_eq!(f["account"], "123456789012");
    assert_eq!(f["region"], "global");
    assert_eq!(f["severity"], "critical");

    // 1.1 (contact details) is decided by a person.
    assert_eq!(req(&v, "1.1")["status"], "manual");
    // 2.3.1: the example has no RDS instance; the rule ran on nothing.
    let r = req(&v, "2.3.1");
    assert_eq!(r["status"], "not_applicable");
    assert_eq!(r["rules"][0]["evaluated"], true);
    // 3.6: one key rotates (Seoul), one does not (us-east-1).
    let r = req(&v, "3.6");
    assert_eq!(r["status"], "fail");
    assert_eq!(
        failing(r),
        [pair(
            "kms-key-rotation-disabled",
            "arn:aws:kms:us-east-1:123456789012:key/9999aaaa-0000-bbbb-1111-cccc2222dddd"
        )]
    );
    assert_eq!(r["rules"][0]["pass"], 1);
    // 5.2: SSH open on bastion-open in Seoul, and security groups could not
    // be listed in us-east-1 (access denied): the failure is listed and the
    // error too.
    let r = req(&v, "5.2");
    assert_eq!(r["status"], "fail");
    assert!(failing(r).contains(&pair("ec2-security-group-ssh-open-to-internet", BASTION_SG)));
    let errors = r["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| {
        e["region"] == "us-east-1"
            && e["reason"]
                .as_str()
                .unwrap()
                .contains("ec2:DescribeSecurityGroups")
    }));

    // The totals add up and the rate excludes manual and not applicable.
    let t = &v["totals"];
    let n = |k: &str| t[k].as_u64().unwrap();
    assert_eq!(
        n("requirements"),
        n("pass") + n("fail") + n("error") + n("manual") + n("not_applicable")
    );
    assert_eq!(n("requirements"), 62);
    let assessed = n("pass") + n("fail") + n("error");
    assert_eq!(
        v["pass_percent"].as_u64().unwrap(),
        n("pass") * 100 / assessed
    );
}

#[test]
fn one_requirement_per_other_framework_by_hand() {
    let (_dir, db) = scanned();

    // CIS v5.0.0 renumbered root access keys to 1.3.
    let v = framework(&db, "cis-aws-5.0");
    assert_eq!(
        failing(req(&v, "1.3")),
        [pair("iam-root-access-keys-present", ROOT)]
    );

    // ISMS-P 2.5.3 user authentication: kim.dev signs in to the console
    // without MFA and root has no MFA; lee.ops has MFA.
    let v = framework(&db, "isms-p-2023");
    let r = req(&v, "2.5.3");
    assert_eq!(r["status"], "fail");
    let f = failing(r);
    assert!(f.contains(&pair(
        "iam-user-console-without-mfa",
        "arn:aws:iam::123456789012:user/kim.dev"
    )));
    assert!(f.contains(&pair("iam-root-mfa-disabled", ROOT)));
    assert!(!f.iter().any(|(_, uid)| uid.ends_with("user/lee.ops")));
    // Section 3 (processing stages) is manual.
    assert_eq!(req(&v, "3.4.1")["status"], "manual");

    // PCI DSS 4.2: the payroll bucket has no TLS-only policy; the backup
    // bucket denies aws:SecureTransport = false.
    let v = framework(&db, "pci-dss-4.0");
    let r = req(&v, "4.2");
    assert_eq!(r["status"], "fail");
    assert_eq!(failing(r), [pair("s3-bucket-tls-not-enforced", PAYROLL)]);

    // NIST CSF PR.DS-02 is the same evidence.
    let v = framework(&db, "nist-csf-2.0");
    assert_eq!(
        failing(req(&v, "PR.DS-02")),
        [pair("s3-bucket-tls-not-enforced", PAYROLL)]
    );

    // ISO 27001 A.8.5 secure authentication: same MFA failures as ISMS-P.
    let v = framework(&db, "iso-27001-2022");
    assert_eq!(req(&v, "A.8.5")["status"], "fail");
    assert_eq!(req(&v, "A.7.1")["status"], "manual");

    // SOC 2 CC6.6: bastion-open allows SSH from the internet.
    let v = framework(&db, "soc2");
    assert!(
        failing(req(&v, "CC6.6"))
            .contains(&pair("ec2-security-group-ssh-open-to-internet", BASTION_SG))
    );

    // CSAP 6 incident response: GuardDuty and Security Hub are evaluated
    // but the example holds neither resource type.
    let v = framework(&db, "csap");
    let r = req(&v, "6");
    assert_eq!(r["status"], "not_applicable", "{r:#}");

    // 전자금융감독규정 제32조: the password policy asks for 8 characters.
    let v = framework(&db, "efsr");
    let r = req(&v, "제32조");
    assert_eq!(r["status"], "fail");
    assert!(failing(r).contains(&pair(
        "iam-password-policy-min-length-under-14",
        "123456789012:password-policy"
    )));

    // 안전성 확보조치 기준 제7조: of the two contains_pii buckets, only the
    // payroll export is unencrypted.
    let v = framework(&db, "pipa");
    let r = req(&v, "제7조");
    assert_eq!(r["status"], "fail");
    let f = failing(r);
    assert!(f.contains(&pair("s3-bucket-pii-unencrypted", PAYROLL)));
    assert!(!f.iter().any(|(_, uid)| uid.contains("customer-db-backup")));
}

#[test]
fn the_list_shows_every_framework_with_its_rate() {
    let (_dir, db) = scanned();
    let out = run(&db, &["compliance"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for id in [
        "cis-aws-3.0",
        "cis-aws-5.0",
        "isms-p-2023",
        "pci-dss-4.0",
        "csap",
        "efsr",
        "pipa",
        "nist-csf-2.0",
        "iso-27001-2022",
        "soc2",
    ] {
        assert!(s.contains(id), "{id} missing:\n{s}");
    }
    assert!(s.contains("PASSED") && s.contains("RATE"), "{s}");
    assert!(s.contains("Manual and not-applicable requirements are not counted"));

    let v = json(&db, &["compliance", "--format", "json"]);
    let list = v["frameworks"].as_array().unwrap();
    assert_eq!(list.len(), 10);
    let cis = list.iter().find(|f| f["id"] == "cis-aws-3.0").unwrap();
    let detail = framework(&db, "cis-aws-3.0");
    assert_eq!(cis["totals"], detail["totals"]);
    assert_eq!(cis["pass_percent"], detail["pass_percent"]);

    let out = run(&db, &["compliance", "--format", "csv"]);
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "framework,name,version,requirements,pass,fail,error,manual,not_applicable,pass_percent"
    );
    assert_eq!(lines.count(), 10);
}

#[test]
fn the_table_gives_the_totals_line_and_korean_titles() {
    let (_dir, db) = scanned();
    let v = framework(&db, "cis-aws-3.0");
    let t = &v["totals"];
    let assessed =
        t["pass"].as_u64().unwrap() + t["fail"].as_u64().unwrap() + t["error"].as_u64().unwrap();
    let expected = format!(
        "{} / {} requirements passed ({}%)",
        t["pass"], assessed, v["pass_percent"]
    );

    let out = run(&db, &["compliance", "cis-aws-3.0"]);
    let s = text(&out.stdout);
    assert!(s.contains(&expected), "{expected}\n{s}");
    assert!(s.contains("not counted:"), "{s}");
    assert!(s.contains("1 Identity and Access Management"), "{s}");
    assert!(s.contains("FAIL"), "{s}");
    assert!(
        s.contains("iam-root-access-keys-present  123456789012/global"),
        "{s}"
    );

    let out = run(&db, &["compliance", "cis-aws-3.0", "--lang", "ko"]);
    let s = text(&out.stdout);
    assert!(s.contains("루트 사용자 액세스 키가 없어야 함"), "{s}");
    assert!(s.contains("요구사항 충족"), "{s}");
    assert!(s.contains("계정 및 접근 관리"), "{s}");
}

#[test]
fn status_filter_lists_only_those_but_keeps_the_totals() {
    let (_dir, db) = scanned();
    let all = framework(&db, "isms-p-2023");
    let v = json(
        &db,
        &[
            "compliance",
            "isms-p-2023",
            "--format",
            "json",
            "--status",
            "fail,error",
        ],
    );
    let reqs = v["requirements"].as_array().unwrap();
    assert!(!reqs.is_empty());
    assert!(
        reqs.iter()
            .all(|r| r["status"] == "fail" || r["status"] == "error")
    );
    assert_eq!(v["totals"], all["totals"]);

    let out = run(
        &db,
        &[
            "compliance",
            "isms-p-2023",
            "--format",
            "csv",
            "--status",
            "fail",
        ],
    );
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("framework,requirement,section,title,status,rule_id")
    );
    // One row per failing resource, each of a failing requirement.
    for l in lines {
        assert!(l.starts_with("isms-p-2023,"), "{l}");
        assert!(l.contains(",fail,"), "{l}");
    }
}

#[test]
fn an_inventory_file_gives_the_same_answer_without_a_store() {
    let (_dir, db) = scanned();
    let stored = framework(&db, "cis-aws-3.0");
    let empty = tempfile::tempdir().unwrap();
    let v = json(
        &empty.path().join("none.db"),
        &[
            "compliance",
            "cis-aws-3.0",
            "--format",
            "json",
            "--inventory",
            example().to_str().unwrap(),
        ],
    );
    assert!(v["source"]["scan_id"].is_null());
    assert_eq!(v["totals"], stored["totals"]);
    for id in ["1.4", "3.6", "5.2"] {
        assert_eq!(req(&v, id)["status"], req(&stored, id)["status"], "{id}");
        assert_eq!(failing(req(&v, id)), failing(req(&stored, id)), "{id}");
    }
}

#[test]
fn without_a_scan_the_list_names_the_frameworks_and_a_detail_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let out = run(&db, &["compliance"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("isms-p-2023") && s.contains("No completed scan yet"),
        "{s}"
    );

    let out = run(&db, &["compliance", "isms-p-2023"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no completed scan yet"));

    let out = run(&db, &["compliance", "no-such-framework"]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("unknown framework `no-such-framework`") && e.contains("cis-aws-3.0"),
        "{e}"
    );
}

#[test]
fn a_bad_custom_framework_is_reported_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("frameworks");
    std::fs::create_dir(&fw).unwrap();
    std::fs::write(
        fw.join("house.yaml"),
        "id: house\nname: House rules\nversion: '1'\nrequirements:\n  - id: H1\n    title: {en: No public buckets, ko: 공개 버킷 금지}\n    rules: [s3-bucket-publc-read]\n",
    )
    .unwrap();
    let out = run(
        &dir.path().join("r.db"),
        &["compliance", "--frameworks", fw.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("house.yaml:7:13: requirement `H1`: unknown rule `s3-bucket-publc-read`; did you mean `s3-bucket-public-read`?"), "{e}");
    assert!(e.contains("1 problem in framework files"), "{e}");

    // Fixed, it loads beside the shipped ones and is assessed like them.
    std::fs::write(
        fw.join("house.yaml"),
        "id: house\nname: House rules\nversion: '1'\nrequirements:\n  - id: H1\n    title: {en: No public buckets, ko: 공개 버킷 금지}\n    rules: [s3-bucket-public-read]\n",
    )
    .unwrap();
    let v = json(
        &dir.path().join("r.db"),
        &[
            "compliance",
            "house",
            "--frameworks",
            fw.to_str().unwrap(),
            "--format",
            "json",
            "--inventory",
            example().to_str().unwrap(),
        ],
    );
    assert_eq!(
        failing(req(&v, "H1")),
        [pair("s3-bucket-public-read", PAYROLL)]
    );
}

#[test]
fn a_muted_failure_does_not_fail_the_requirement_but_is_listed() {
    let (_dir, db) = scanned();
    let out = run(
        &db,
        &[
            "mute",
            "add",
            "--rule",
            "kms-key-rotation-disabled",
            "--reason",
            "legacy key, retired in Q1",
            "--owner",
            "secops",
            "--expires",
            "+30d",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Mutes apply to the scans that follow.
    let out = run(&db, &["scan", "--inventory", example().to_str().unwrap()]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    let v = framework(&db, "cis-aws-3.0");
    let r = req(&v, "3.6");
    assert_eq!(r["status"], "pass", "{r:#}");
    assert!(r["failing"].as_array().unwrap().is_empty());
    assert_eq!(r["rules"][0]["muted"], 1);
    let m = &r["muted"][0];
    assert_eq!(m["rule_id"], "kms-key-rotation-disabled");
    assert!(
        m["mute"]
            .as_str()
            .unwrap()
            .starts_with("legacy key, retired in Q1 (secops, until ")
    );
}
