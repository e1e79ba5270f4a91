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
