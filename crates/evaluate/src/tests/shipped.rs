//! The shipped rules load cleanly and pass their inline tests.

use crate::{RuleSet, run_tests};

#[test]
fn builtin_rules_load() {
    let rules = match RuleSet::builtin() {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    assert!(!rules.is_empty());
}

#[test]
fn builtin_inline_tests_pass() {
    let rules = RuleSet::builtin().unwrap();
    let report = run_tests(&rules);
    let failures: Vec<String> = report
        .failures()
        .map(|c| format!("{} [{}] {}: {}", c.source, c.rule_id, c.case, c.message))
        .collect();
    assert!(
        failures.is_empty(),
        "failing inline tests:\n{}",
        failures.join("\n")
    );
    for c in &report.cases {
        eprintln!("{} / {}: {} ({})", c.rule_id, c.case, c.actual, c.message);
    }
}

fn rule_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rule_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

#[test]
fn every_rule_file_is_embedded_and_laid_out_by_service() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let mut files = Vec::new();
    rule_files(&root, &mut files);
    let rules = RuleSet::builtin().unwrap();
    assert_eq!(
        rules.len(),
        files.len(),
        "embedded rules are stale: rebuild"
    );
    for r in rules.rules() {
        // rules/aws/<service>/<id>.yaml, the service matching the resource type
        // (VPC resources are EC2 API types).
        let parts: Vec<&str> = r.source.split('/').collect();
        assert_eq!(parts.len(), 4, "{}", r.source);
        assert_eq!(parts[3], format!("{}.yaml", r.id));
        let service = rampart_inventory::service_of(&r.resource_type);
        assert!(
            parts[2] == service
                || (parts[2] == "vpc" && service == "ec2")
                || (parts[2] == "iam" && service == "account"),
            "{} is under {} but evaluates {}",
            r.id,
            parts[2],
            r.resource_type
        );
        assert!(!r.remediation.text.ko.is_empty() && !r.description.ko.is_empty());
        assert!(
            r.remediation.cli.is_some() || r.remediation.console.is_some(),
            "{}",
            r.id
        );
    }
}

#[test]
fn shipped_rules_only_use_documented_resource_types() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/resources.md"),
    )
    .unwrap();
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let rules = RuleSet::builtin().unwrap();
    for t in rules.resource_types() {
        assert!(documented.contains(&t), "{t} is not in docs/resources.md");
    }
}

/// The conditions shown in docs/rules.md compile: the user documentation
/// cannot drift from the language.
#[test]
fn documented_conditions_compile() {
    use crate::lang::compile::Compiler;
    use crate::load::node;
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md"),
    )
    .unwrap();
    let mut checked = 0;
    for block in doc.split("```yaml\n").skip(1) {
        let text = block.split("```").next().unwrap();
        let Ok(n) = node::parse(text) else {
            continue; // the cheat sheet repeats keys on purpose
        };
        let mut diags = Vec::new();
        let mut cc = Compiler {
            file: "docs/rules.md",
            diags: &mut diags,
            known: None,
            check_elements: false,
        };
        for key in ["applies_if", "fail_if"] {
            if let Some(c) = n.get(key) {
                cc.cond(c, false);
                checked += 1;
            }
        }
        if n.get("fail_if").is_none()
            && n.as_map().is_some_and(|m| {
                m.first()
                    .and_then(|(k, _)| k.as_str())
                    .is_some_and(|k| k.starts_with("props."))
            })
        {
            cc.cond(&n, false);
            checked += 1;
        }
        assert!(diags.is_empty(), "{text}\n{diags:?}");
    }
    assert!(checked >= 10, "only {checked} documented conditions found");
}
