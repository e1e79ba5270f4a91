//! `rampart rules …` and custom rules through the CLI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rampart"));
    c.env_remove("RAMPART_DB").env("NO_COLOR", "1");
    c
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/inventory.json")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const CUSTOM: &str = r#"id: custom-volume-unencrypted-pii
status: stable
since: 0.1.0
title: {en: PII volume unencrypted, ko: 개인정보 볼륨 암호화 안 됨}
description: {en: A volume tagged as holding PII is not encrypted., ko: 개인정보 태그가 있는 볼륨이 암호화되지 않았습니다.}
severity: critical
resource: aws.ec2.volume
applies_if:
  tags.contains_pii: {eq_ci: "true"}
fail_if:
  props.encrypted: {ne: true}
remediation: {en: Encrypt it., ko: 암호화하십시오.}
tests:
  - {name: bad, expect: fail, resource: {tags: {contains_pii: "true"}, props: {encrypted: false}}}
  - {name: good, expect: pass, resource: {tags: {contains_pii: "true"}, props: {encrypted: true}}}
"#;

#[test]
fn ten_broken_rule_files_are_all_reported_with_positions_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..10 {
        // Each file has one mistake on line 3: an unknown key.
        let body = CUSTOM
            .replace("custom-volume-unencrypted-pii", &format!("broken-{i}"))
            .replace("since: 0.1.0", &format!("since: 0.1.0\nseverty{i}: high"));
        std::fs::write(dir.path().join(format!("broken-{i}.yaml")), body).unwrap();
    }
    let o = bin()
        .args(["rules", "validate"])
        .arg(dir.path())
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for i in 0..10 {
        let file = dir.path().join(format!("broken-{i}.yaml"));
        assert!(
            err.contains(&format!("{}:4:1:", file.display())),
            "broken-{i} not reported at 4:1:\n{err}"
        );
        assert!(err.contains(&format!("severty{i}")), "{err}");
    }
    assert!(err.contains("10 problems"), "{err}");
    // A scan with the broken rules refuses to run, with the same messages.
    let o = bin()
        .args(["scan", "--no-store", "--inventory"])
        .arg(example())
        .arg("--rules")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("broken-7.yaml:4:1:"));
}

#[test]
fn custom_rules_load_without_rebuild_and_are_tested() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custom-volume-unencrypted-pii.yaml"),
        CUSTOM,
    )
    .unwrap();
    let o = bin()
        .args(["rules", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("rules: 2 passed, 0 failed"), "{out}");

    // Tag the unencrypted example volume as PII and scan with the custom rule.
    let inv = dir.path().join("inv.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap();
    for r in v["resources"].as_array_mut().unwrap() {
        if r["type"] == "aws.ec2.volume" {
            r["tags"] = serde_json::json!({"contains_pii": "true"});
        }
    }
    std::fs::write(&inv, v.to_string()).unwrap();
    let o = bin()
        .args(["scan", "--no-store", "--format", "json", "--inventory"])
        .arg(&inv)
        .arg("--rules")
        .arg(dir.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let custom: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "custom-volume-unencrypted-pii")
        .collect();
    assert_eq!(custom.len(), 2);
    assert_eq!(custom.iter().filter(|f| f["status"] == "fail").count(), 1);

    // A failing inline case makes `rules test` exit 1 and say which.
    std::fs::write(
        dir.path().join("custom-volume-unencrypted-pii.yaml"),
        CUSTOM.replace(
            "expect: pass, resource: {tags: {contains_pii: \"true\"}, props: {encrypted: true}}",
            "expect: pass, resource: {tags: {contains_pii: \"true\"}, props: {encrypted: false}}",
        ),
    )
    .unwrap();
    let o = bin()
        .args(["rules", "test"])
        .arg(dir.path())
        .output()
        .unwrap();
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("FAIL custom-volume-unencrypted-pii / good"),
        "{out}"
    );
    assert!(out.contains("rules: 1 passed, 1 failed"), "{out}");
}

#[test]
fn a_custom_rule_may_not_reuse_a_builtin_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ec2-ebs-volume-unencrypted.yaml"),
        CUSTOM.replace(
            "custom-volume-unencrypted-pii",
            "ec2-ebs-volume-unencrypted",
        ),
    )
    .unwrap();
    let o = bin()
        .args(["rules", "list", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let (_, err) = text(&o);
    assert!(err.contains("ec2-ebs-volume-unencrypted.yaml:1:"), "{err}");
    assert!(err.contains("ec2-ebs-volume-unencrypted"), "{err}");
}

#[test]
fn builtin_rules_all_pass_their_tests_and_show_in_korean() {
    let o = bin().args(["rules", "test"]).output().unwrap();
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains(" passed, 0 failed"), "{out}");

    let o = bin()
        .args(["--lang", "ko", "rules", "show", "s3-bucket-pii-unencrypted"])
        .output()
        .unwrap();
    let (out, _) = text(&o);
    assert!(out.contains("개인정보"), "{out}");
    assert!(out.contains("조치 방법"), "{out}");
    assert!(
        out.contains("Terraform:") && out.contains("AWS CLI:"),
        "{out}"
    );

    let o = bin()
        .args(["rules", "show", "no-such-rule"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
