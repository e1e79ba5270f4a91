//! Running the inline test cases of rules (`rampart rules test`).

use chrono::{DateTime, Utc};

use crate::RuleSet;
use crate::engine::{Outcome, outcome};
use crate::rule::Expect;

/// The evaluation time of a test case without `now`.
pub const DEFAULT_TEST_NOW: &str = "2026-01-01T00:00:00Z";

/// One inline test case, run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub rule_id: String,
    /// The rule's file.
    pub source: String,
    pub case: String,
    pub expected: Expect,
    pub actual: Expect,
    pub passed: bool,
    /// The finding's reason, and on failure what went wrong.
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    pub cases: Vec<CaseResult>,
}

impl TestReport {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed).count()
    }
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }
    pub fn all_passed(&self) -> bool {
        self.cases.iter().all(|c| c.passed)
    }
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases.iter().filter(|c| !c.passed)
    }
}

fn default_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(DEFAULT_TEST_NOW)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Runs every inline test case of every rule.
pub fn run_tests(rules: &RuleSet) -> TestReport {
    let mut cases = Vec::new();
    for rule in rules.rules() {
        for tc in &rule.tests {
            let now = tc.now.unwrap_or_else(default_now);
            let (actual, reason) = match outcome(rule, &tc.resource, now) {
                Outcome::NotApplicable => (Expect::NotApplicable, String::new()),
                Outcome::Pass(s) => (Expect::Pass, s),
                Outcome::Fail(s) => (Expect::Fail, s),
                Outcome::Error(s) => (Expect::Error, s),
            };
            let mut passed = actual == tc.expect;
            let mut message = reason.clone();
            if !passed {
                message = format!("expected {}, got {}: {reason}", tc.expect, actual);
            } else if let Some(want) = &tc.reason_contains
                && !reason.contains(want.as_str())
            {
                passed = false;
                message = format!("reason `{reason}` does not contain `{want}`");
            }
            cases.push(CaseResult {
                rule_id: rule.id.clone(),
                source: rule.source.clone(),
                case: tc.name.clone(),
                expected: tc.expect,
                actual,
                passed,
                message,
            });
        }
    }
    TestReport { cases }
}
