//! The rule: what the CLI, reports and docs read, and the compiled
//! conditions the engine runs.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rampart_findings::{RiskFactor, Severity};
use rampart_inventory::Resource;

use crate::lang::Cond;
use crate::template::Template;

/// Text in English and Korean.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Localized {
    pub en: String,
    pub ko: String,
}

impl Localized {
    /// The text in `lang` (`ko`, `ko-KR`, …), English otherwise.
    pub fn get(&self, lang: &str) -> &str {
        if lang.to_ascii_lowercase().starts_with("ko") {
            &self.ko
        } else {
            &self.en
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Remediation {
    pub text: Localized,
    /// AWS CLI commands.
    pub cli: Option<String>,
    /// Terraform snippet.
    pub terraform: Option<String>,
    /// Console steps.
    pub console: Option<Localized>,
}

/// Lifecycle of a rule, as ruff does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleStatus {
    Preview,
    Stable,
    Deprecated,
}

impl RuleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Preview => "preview",
            RuleStatus::Stable => "stable",
            RuleStatus::Deprecated => "deprecated",
        }
    }
}

impl fmt::Display for RuleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RuleStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "preview" => Ok(RuleStatus::Preview),
            "stable" => Ok(RuleStatus::Stable),
            "deprecated" => Ok(RuleStatus::Deprecated),
            _ => Err(format!(
                "unknown status `{s}` (expected preview, stable or deprecated)"
            )),
        }
    }
}

/// What an inline test case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expect {
    Pass,
    Fail,
    NotApplicable,
    Error,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Pass => "pass",
            Expect::Fail => "fail",
            Expect::NotApplicable => "not_applicable",
            Expect::Error => "error",
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One inline test case of a rule.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    pub expect: Expect,
    pub resource: Resource,
    /// Evaluation time; [`crate::testing::DEFAULT_TEST_NOW`] when absent.
    pub now: Option<DateTime<Utc>>,
    /// A substring the finding's reason must contain.
    pub reason_contains: Option<String>,
}

/// One rule, loaded and compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable kebab-case id naming the bad state.
    pub id: String,
    pub status: RuleStatus,
    /// The version the rule arrived in.
    pub since: String,
    pub title: Localized,
    pub description: Localized,
    pub severity: Severity,
    /// The resource type it evaluates, e.g. `aws.s3.bucket`.
    pub resource_type: String,
    pub remediation: Remediation,
    /// Name of an automatic fix action.
    pub fix: Option<String>,
    /// MITRE ATT&CK technique ids.
    pub mitre: Vec<String>,
    /// What a failure of this rule says about its resource (public
    /// exposure, privilege, unencrypted data): prioritisation and severity
    /// escalation read these.
    pub risk_factors: Vec<RiskFactor>,
    pub references: Vec<String>,
    /// The file, as shown in diagnostics.
    pub source: String,
    pub tests: Vec<TestCase>,
    pub(crate) applies_if: Option<Cond>,
    pub(crate) fail_if: Cond,
    pub(crate) reason: Option<Template>,
    pub(crate) pass_reason: Option<Template>,
    /// Top-level props read by `applies_if`.
    pub(crate) applies_reads: Vec<String>,
    /// Top-level props read by `fail_if`.
    pub(crate) fail_reads: Vec<String>,
}

impl Rule {
    /// Top-level props the rule's conditions read (sorted, deduplicated).
    pub fn props_read(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .applies_reads
            .iter()
            .chain(&self.fail_reads)
            .map(String::as_str)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}
