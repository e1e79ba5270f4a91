//! Load errors: every problem, with file, line and column.

use super::lang::errors;
use crate::RuleSet;

#[test]
fn condition_errors_have_positions() {
    assert_eq!(
        errors("prop.x: 1"),
        vec![
            "1:1: unknown path root `prop` in `prop.x`: expected uid, type, account, region, name, tags.<key> or props.<field>"
        ]
    );
    assert_eq!(
        errors("props.x:\n  eqq: 1"),
        vec!["2:3: unknown operator `eqq`; did you mean `eq`? (see docs/rules.md for the list)"]
    );
    assert_eq!(
        errors("props.x: {regex: '(a'}")[0],
        "1:18: bad regex `(a`: error: unclosed group"
    );
    assert_eq!(
        errors("props.x: {cidr_contains: 10.0.0.0/33}"),
        vec![
            "1:26: bad CIDR `10.0.0.0/33`: expected an address or network like 10.0.0.0/8 or ::/0"
        ]
    );
    assert_eq!(
        errors("props.x: {gt: [1]}"),
        vec!["1:15: `gt` takes a number or a string, got a list"]
    );
    assert_eq!(
        errors("props.x: {exists: yes please}"),
        vec!["1:19: `exists` takes true or false, got a string"]
    );
    assert_eq!(
        errors("props.x: {port_includes: 70000}"),
        vec!["1:26: port 70000 is out of range 0-65535"]
    );
    assert_eq!(
        errors("props.x: {policy_allows: GetObject}"),
        vec![
            "1:26: `GetObject` is not an IAM action: expected `service:Action` such as `s3:GetObject`"
        ]
    );
    assert_eq!(
        errors("eq: 1"),
        vec![
            "1:1: operator `eq` needs a path: write `some.path: {eq: ...}` or `{path: some.path, eq: ...}`"
        ]
    );
    assert_eq!(
        errors("any: {props.x: 1}"),
        vec!["1:1: `any` takes a non-empty list of conditions, got a mapping"]
    );
    assert_eq!(
        errors("props.x: [1, 2]"),
        vec![
            "1:10: a list here is ambiguous: write `props.x: {in: [...]}` for membership or `props.x: {eq: [...]}` to compare a whole list"
        ]
    );
    assert_eq!(
        errors("props.ingress[x].a: 1"),
        vec![
            "1:1: malformed path `props.ingress[x].a`: `[x]` is not `[*]`, an index like `[0]` or a quoted key like `[\"a.b\"]`"
        ]
    );
    // Several problems at once, nested inside quantifiers.
    let e = errors("props.l:\n  any:\n    a: {bogus: 1}\n    b: {in: 3}\nname: {lt: {}}\n");
    assert_eq!(
        e,
        vec![
            "3:9: unknown operator `bogus` (see docs/rules.md for the list)",
            "4:13: `in` takes a list, got an integer",
            "5:12: `lt` takes a number or a string, got a mapping",
        ]
    );
}

const GOOD: &str = r#"id: demo-rule
status: preview
since: 0.1.0
title: {en: Demo, ko: 데모}
description: {en: Demo rule, ko: 데모 규칙}
severity: low
resource: aws.s3.bucket
fail_if:
  props.versioning.status: {ne: Enabled}
remediation: {en: Enable it, ko: 켜십시오}
tests:
  - {name: off, expect: fail, resource: {props: {versioning: {status: Suspended}}}}
  - {name: on, expect: pass, resource: {props: {versioning: {status: Enabled}}}}
"#;

fn load_err(files: &[(&str, &str)]) -> Vec<String> {
    match RuleSet::from_sources(files) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.diagnostics.iter().map(|d| d.to_string()).collect(),
    }
}

#[test]
fn good_rule_loads() {
    let set = RuleSet::from_sources(&[("custom/demo-rule.yaml", GOOD)]).unwrap();
    let r = set.get("demo-rule").unwrap();
    assert_eq!(r.title.get("ko"), "데모");
    assert_eq!(r.title.get("en-US"), "Demo");
    assert_eq!(r.props_read(), vec!["versioning"]);
    assert!(crate::run_tests(&set).all_passed());
}

#[test]
fn rule_file_errors() {
    let bad = GOOD
        .replace("severity: low", "severity: urgent\ncolour: red")
        .replace("title: {en: Demo, ko: 데모}", "title: {en: Demo}")
        .replace(
            "  - {name: on, expect: pass, resource: {props: {versioning: {status: Enabled}}}}\n",
            "",
        );
    assert_eq!(
        load_err(&[("x/demo-rule.yaml", &bad)]),
        vec![
            "x/demo-rule.yaml:4:8: missing required key `ko` in `title`",
            "x/demo-rule.yaml:6:11: unknown severity `urgent` (expected critical, high, medium, low or info)",
            "x/demo-rule.yaml:7:1: unknown key `colour` in the rule (expected one of: id, status, since, title, description, severity, resource, applies_if, fail_if, reason, pass_reason, remediation, fix, mitre, risk_factors, references, tests)",
            "x/demo-rule.yaml:13:3: tests need at least one `pass` case",
        ]
    );
    let bad = GOOD
        .replace("id: demo-rule", "id: Demo_Rule")
        .replace(
            "since: 0.1.0",
            "since: soon\nmitre: [T15, T1078.004]\nreferences: [docs.aws]",
        )
        .replace(
            "resource: {props: {versioning: {status: Suspended}}}",
            "resource: {props: [1], tags: {pii: true}, colour: 1}",
        );
    assert_eq!(
        load_err(&[("x/demo-rule.yaml", &bad)]),
        vec![
            "x/demo-rule.yaml:1:5: rule id `Demo_Rule` must be kebab-case (a-z, 0-9 and single dashes)",
            "x/demo-rule.yaml:3:8: `since` must be a version like 0.1.0, got `soon`",
            "x/demo-rule.yaml:4:9: `T15` is not a MITRE ATT&CK technique id like T1530 or T1078.004",
            "x/demo-rule.yaml:5:14: reference `docs.aws` is not an http(s) URL",
            "x/demo-rule.yaml:14:49: `props` must be a mapping, got a list",
            "x/demo-rule.yaml:14:66: tag values are strings: quote it (got a boolean)",
            "x/demo-rule.yaml:14:73: unknown key `colour` in a test resource (expected one of: uid, name, account, region, tags, props, errors)",
        ]
    );
}

#[test]
fn yaml_syntax_error_and_duplicate_ids() {
    let e = load_err(&[("a/demo-rule.yaml", "id: [unclosed\n")]);
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("a/demo-rule.yaml:"), "{}", e[0]);
    assert!(e[0].contains("invalid YAML"), "{}", e[0]);
    let e = load_err(&[("a/demo-rule.yaml", GOOD), ("b/demo-rule.yaml", GOOD)]);
    assert_eq!(
        e,
        vec![
            "b/demo-rule.yaml:1:5: duplicate rule id `demo-rule`: already defined in a/demo-rule.yaml:1:5"
        ]
    );
    let e = load_err(&[("a/other.yaml", GOOD)]);
    assert_eq!(
        e,
        vec![
            "a/other.yaml:1:5: rule id `demo-rule` does not match the file name `other`: name the file `demo-rule.yaml`"
        ]
    );
}

#[test]
fn ten_broken_files_report_ten_errors_or_more() {
    let dir = tempfile::tempdir().unwrap();
    let breakages: [(&str, &str); 10] = [
        ("severity: low", "severity: huge"),
        ("status: preview", "status: beta"),
        (
            "props.versioning.status: {ne: Enabled}",
            "props.versioning.status: {nee: Enabled}",
        ),
        (
            "props.versioning.status: {ne: Enabled}",
            "prop.versioning.status: Enabled",
        ),
        (
            "props.versioning.status: {ne: Enabled}",
            "props.name: {regex: '[a'}",
        ),
        ("resource: aws.s3.bucket", "resource: S3Bucket"),
        ("since: 0.1.0", "since: 0.1.0\nextra: 1"),
        (
            "remediation: {en: Enable it, ko: 켜십시오}",
            "remediation: {en: Enable it}",
        ),
        ("title: {en: Demo, ko: 데모}", "title: [Demo]"),
        ("fail_if:", "fail_if: [\n"),
    ];
    for (i, (from, to)) in breakages.iter().enumerate() {
        let sub = dir.path().join(format!("svc{i}"));
        std::fs::create_dir_all(&sub).unwrap();
        let id = format!("broken-{i}");
        let text = GOOD.replace("demo-rule", &id).replace(from, to);
        assert_ne!(
            text,
            GOOD.replace("demo-rule", &id),
            "breakage {i} did not apply"
        );
        std::fs::write(sub.join(format!("{id}.yaml")), text).unwrap();
    }
    let err = RuleSet::load(false, &[dir.path().to_path_buf()]).unwrap_err();
    let files: std::collections::BTreeSet<&str> =
        err.diagnostics.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(files.len(), 10, "{err}");
    for d in &err.diagnostics {
        assert!(d.line > 0 && d.column > 0, "{d}");
    }
    // Custom ids may not clash with the shipped ones.
    let clash = tempfile::tempdir().unwrap();
    std::fs::write(
        clash.path().join("s3-bucket-public-read.yaml"),
        GOOD.replace("demo-rule", "s3-bucket-public-read"),
    )
    .unwrap();
    let err = RuleSet::load(true, &[clash.path().to_path_buf()]).unwrap_err();
    assert!(err.to_string().contains("duplicate rule id `s3-bucket-public-read`: already defined in rules/aws/s3/s3-bucket-public-read.yaml"), "{err}");
}

#[test]
fn odd_files_are_diagnosed_not_panicked_on() {
    for (text, want) in [
        ("", "the rule must be a mapping"),
        ("- a\n- b\n", "the rule must be a mapping, got a list"),
        ("id: x\n\tbad: tab\n", "invalid YAML"),
        ("a: &x [*x]\n", ""),
    ] {
        let e = load_err(&[("odd/x.yaml", text)]);
        assert!(!e.is_empty());
        assert!(e.iter().any(|d| d.contains(want)), "{text:?}: {e:?}");
        assert!(e.iter().all(|d| d.starts_with("odd/x.yaml:")), "{e:?}");
    }
}

#[test]
fn template_errors_point_at_the_template() {
    let bad = GOOD.replace(
        "remediation:",
        "reason: \"bucket {nme}: {match}\"\npass_reason: \"{props.x\"\nremediation:",
    );
    assert_eq!(
        load_err(&[("x/demo-rule.yaml", &bad)]),
        vec![
            "x/demo-rule.yaml:10:9: `reason`: in template placeholder `{nme}`: unknown path root `nme` in `nme`: expected uid, type, account, region, name, tags.<key> or props.<field>",
            "x/demo-rule.yaml:11:14: `pass_reason`: unclosed `{props.x` in template",
        ]
    );
}

#[test]
fn custom_directories_load_yml_recursively_next_to_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("team/s3");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("demo-rule.yml"), GOOD).unwrap();
    std::fs::write(sub.join("notes.txt"), "not a rule").unwrap();
    let set = RuleSet::load(true, &[dir.path().to_path_buf()]).unwrap();
    let builtin = RuleSet::builtin().unwrap();
    assert_eq!(set.len(), builtin.len() + 1);
    assert!(
        set.get("demo-rule")
            .unwrap()
            .source
            .ends_with("team/s3/demo-rule.yml")
    );
    let missing = RuleSet::load(false, &[dir.path().join("nope")]).unwrap_err();
    assert!(
        missing.diagnostics[0]
            .message
            .starts_with("cannot read rule directory"),
        "{missing}"
    );
}

#[test]
fn undocumented_prop_names_are_reported_for_documented_types() {
    let rule = |cond: &str| {
        GOOD.replace("resource: aws.s3.bucket", "resource: aws.iam.user")
            .replace("  props.versioning.status: {ne: Enabled}", cond)
            .replace(
                "{versioning: {status: Suspended}}",
                "{access_keys: [{status: Active}]}",
            )
            .replace("{versioning: {status: Enabled}}", "{access_keys: []}")
    };
    let e = load_err(&[(
        "x/demo-rule.yaml",
        &rule(
            "  props.acess_keys: {any: {status: Active}}\n  props.access_keys:\n    any: {staus: Active}\n    count: {where: {creat_date: {exists: true}}, gt: 0}",
        ),
    )]);
    assert_eq!(
        e,
        vec![
            "x/demo-rule.yaml:9:3: unknown field `acess_keys` in `props.acess_keys`: docs/resources.md documents no such name for this resource type; did you mean `access_keys`?",
            "x/demo-rule.yaml:11:11: unknown field `staus` in `staus`: docs/resources.md documents no such name for this resource type; did you mean `status`?",
            "x/demo-rule.yaml:12:21: unknown field `creat_date` in `creat_date`: docs/resources.md documents no such name for this resource type; did you mean `create_date`?",
        ]
    );
    let bad_test = rule("  props.access_keys: {any: {status: Active}}")
        .replace("{access_keys: []}", "{acces_keys: []}");
    assert_eq!(
        load_err(&[("x/demo-rule.yaml", &bad_test)]),
        vec![
            "x/demo-rule.yaml:13:49: test resource prop `acces_keys` is not documented for aws.iam.user in docs/resources.md"
        ]
    );
    // Inside policy documents, and on undocumented types, anything goes.
    let ok = rule("  props.inline_policies[*].document.Statement:\n    any: {Effect: Allow}");
    assert!(RuleSet::from_sources(&[("x/demo-rule.yaml", &ok)]).is_ok());
    let custom = GOOD
        .replace("resource: aws.s3.bucket", "resource: aws.custom.widget")
        .replace("props.versioning.status", "props.anything_at_all");
    let custom = custom
        .replace("{versioning: {status: Suspended}}", "{anything_at_all: x}")
        .replace(
            "{versioning: {status: Enabled}}",
            "{anything_at_all: Enabled}",
        );
    assert!(RuleSet::from_sources(&[("x/demo-rule.yaml", &custom)]).is_ok());
}
