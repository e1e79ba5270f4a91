//! Where a scan stands on a framework: each requirement's status from the
//! findings of the rules mapped to it.
//!
//! A requirement passes only on positive evidence. The statuses, in the
//! order they are decided:
//!
//! | status | when |
//! |---|---|
//! | `manual` | the requirement is `manual: true`: a person decides |
//! | `fail` | a mapped rule failed on at least one resource |
//! | `error` | nothing failed, but a mapped rule could not be evaluated: its input could not be collected (an `error` finding), or its resources were outside the scan's scope |
//! | `pass` | every mapped rule was evaluated and passed on every resource it applies to (muted failures count as not failing, and are counted apart) |
//! | `not_applicable` | every mapped rule was evaluated and none applied to any resource |
//!
//! The pass rate is `pass / (pass + fail + error)`: manual and not
//! applicable requirements are shown but not counted, because the scan says
//! nothing about them. An error counts against the rate: an unchecked
//! requirement is never a passed one.

use std::collections::{HashMap, HashSet};

use rampart_findings::{Finding, Severity, Status};
use serde::Serialize;

use crate::model::{Check, Framework, Requirement, Text};

/// The status of one requirement in one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReqStatus {
    Fail,
    Error,
    Pass,
    NotApplicable,
    Manual,
}

impl ReqStatus {
    /// In the order reports list them: what needs action first.
    pub const ALL: [ReqStatus; 5] = [
        ReqStatus::Fail,
        ReqStatus::Error,
        ReqStatus::Pass,
        ReqStatus::NotApplicable,
        ReqStatus::Manual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReqStatus::Pass => "pass",
            ReqStatus::Fail => "fail",
            ReqStatus::Error => "error",
            ReqStatus::Manual => "manual",
            ReqStatus::NotApplicable => "not_applicable",
        }
    }

    /// The status as a person reads it, in `lang`.
    pub fn label(self, lang: &str) -> &'static str {
        match (self, lang == "ko") {
            (ReqStatus::Pass, false) => "pass",
            (ReqStatus::Fail, false) => "fail",
            (ReqStatus::Error, false) => "error",
            (ReqStatus::Manual, false) => "manual",
            (ReqStatus::NotApplicable, false) => "n/a",
            (ReqStatus::Pass, true) => "충족",
            (ReqStatus::Fail, true) => "미충족",
            (ReqStatus::Error, true) => "점검 불가",
            (ReqStatus::Manual, true) => "수동 점검",
            (ReqStatus::NotApplicable, true) => "해당 없음",
        }
    }
}

impl std::fmt::Display for ReqStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ReqStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase().replace(['-', '/'], "_");
        let s = if s == "n_a" || s == "na" {
            "not_applicable".to_string()
        } else {
            s
        };
        ReqStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown requirement status `{s}` (expected pass, fail, error, manual or not_applicable)"
                )
            })
    }
}

/// The findings of one scan, indexed by rule, and which rules the scan
/// evaluated. Build it once and assess every framework against it.
#[derive(Debug, Default)]
pub struct Evidence<'a> {
    by_rule: HashMap<&'a str, Vec<&'a Finding>>,
    evaluated: HashSet<String>,
}

impl<'a> Evidence<'a> {
    /// `findings` of one scan; `evaluated`: the rules whose input was in
    /// the scan's scope (a rule evaluated on zero resources is evaluated; a
    /// rule whose resource type was not collected is not).
    pub fn new<I, S>(findings: &'a [Finding], evaluated: I) -> Evidence<'a>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut by_rule: HashMap<&str, Vec<&Finding>> = HashMap::new();
        for f in findings {
            by_rule.entry(f.rule_id.as_str()).or_default().push(f);
        }
        Evidence {
            by_rule,
            evaluated: evaluated.into_iter().map(Into::into).collect(),
        }
    }

    fn findings(&self, rule_id: &str) -> &[&'a Finding] {
        self.by_rule.get(rule_id).map_or(&[], Vec::as_slice)
    }

    fn was_evaluated(&self, rule_id: &str) -> bool {
        // A rule with findings was evaluated, whatever the scope says.
        self.evaluated.contains(rule_id) || self.by_rule.contains_key(rule_id)
    }
}

/// What one mapped rule said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleTally {
    pub rule_id: String,
    /// False when the rule's resources were outside the scan's scope.
    pub evaluated: bool,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub muted: usize,
}

/// A resource named in a requirement's result: failing, errored or muted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceResult {
    pub rule_id: String,
    pub severity: Severity,
    pub resource_uid: String,
    pub resource_name: String,
    pub resource_type: String,
    pub account: String,
    pub region: String,
    /// The finding's reason: the offending value, or why it could not be
    /// checked.
    pub reason: String,
    /// For muted findings: the mute's reason and owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute: Option<String>,
}

impl ResourceResult {
    fn of(f: &Finding) -> ResourceResult {
        ResourceResult {
            rule_id: f.rule_id.clone(),
            severity: f.severity,
            resource_uid: f.resource_uid.clone(),
            resource_name: f.resource_name.clone(),
            resource_type: f.resource_type.clone(),
            account: f.account.clone(),
            region: f.region.clone(),
            reason: f.reason.clone(),
            mute: f.mute.as_ref().map(|m| {
                format!(
                    "{} ({}, until {})",
                    m.reason,
                    m.owner,
                    m.expires.format("%Y-%m-%d")
                )
            }),
        }
    }
}

/// One requirement's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequirementResult {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub title: Text,
    pub status: ReqStatus,
    /// One entry per mapped rule (none for manual requirements).
    pub rules: Vec<RuleTally>,
    /// Failing resources, most severe first.
    pub failing: Vec<ResourceResult>,
    /// Evaluations that could not be made.
    pub errors: Vec<ResourceResult>,
    /// Mapped rules whose resources were outside the scan's scope.
    pub not_evaluated: Vec<String>,
    /// Failures accepted by a mute: not failing, but shown.
    pub muted: Vec<ResourceResult>,
}

/// Requirement counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub requirements: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub manual: usize,
    pub not_applicable: usize,
}

impl Totals {
    fn add(&mut self, s: ReqStatus) {
        self.requirements += 1;
        match s {
            ReqStatus::Pass => self.pass += 1,
            ReqStatus::Fail => self.fail += 1,
            ReqStatus::Error => self.error += 1,
            ReqStatus::Manual => self.manual += 1,
            ReqStatus::NotApplicable => self.not_applicable += 1,
        }
    }

    /// The requirements the scan could speak to: pass + fail + error.
    pub fn assessed(&self) -> usize {
        self.pass + self.fail + self.error
    }

    /// `pass / assessed` in percent, rounded down (one failing requirement
    /// out of a thousand is 99%, never 100%); None when nothing was
    /// assessed.
    pub fn pass_percent(&self) -> Option<u32> {
        let assessed = self.assessed();
        if assessed == 0 {
            return None;
        }
        u32::try_from(self.pass * 100 / assessed).ok()
    }
}

/// Serialisable identity of the framework a result is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameworkInfo {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_ko: Option<String>,
    pub version: String,
}

/// A whole framework's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub framework: FrameworkInfo,
    pub totals: Totals,
    /// The pass rate in percent (see [`Totals::pass_percent`]).
    pub pass_percent: Option<u32>,
    /// In framework order.
    pub requirements: Vec<RequirementResult>,
}

/// Assesses every requirement of `framework` against `evidence`.
pub fn assess(framework: &Framework, evidence: &Evidence<'_>) -> Assessment {
    let mut totals = Totals::default();
    let requirements: Vec<RequirementResult> = framework
        .requirements
        .iter()
        .map(|r| {
            let res = assess_requirement(r, evidence);
            totals.add(res.status);
            res
        })
        .collect();
    Assessment {
        framework: FrameworkInfo {
            id: framework.id.clone(),
            name: framework.name.clone(),
            name_ko: framework.name_ko.clone(),
            version: framework.version.clone(),
        },
        pass_percent: totals.pass_percent(),
        totals,
        requirements,
    }
}

/// One requirement's status and the resources behind it.
pub fn assess_requirement(req: &Requirement, evidence: &Evidence<'_>) -> RequirementResult {
    let mut out = RequirementResult {
        id: req.id.clone(),
        section: req.section.clone(),
        title: req.title.clone(),
        status: ReqStatus::Manual,
        rules: Vec::new(),
        failing: Vec::new(),
        errors: Vec::new(),
        not_evaluated: Vec::new(),
        muted: Vec::new(),
    };
    let Check::Rules(rule_ids) = &req.check else {
        return out;
    };
    for rule_id in rule_ids {
        let mut tally = RuleTally {
            rule_id: rule_id.clone(),
            evaluated: evidence.was_evaluated(rule_id),
            pass: 0,
            fail: 0,
            error: 0,
            muted: 0,
        };
        if !tally.evaluated {
            out.not_evaluated.push(rule_id.clone());
        }
        for f in evidence.findings(rule_id) {
            match f.status {
                Status::Pass => tally.pass += 1,
                Status::Fail => {
                    tally.fail += 1;
                    out.failing.push(ResourceResult::of(f));
                }
                Status::Error => {
                    tally.error += 1;
                    out.errors.push(ResourceResult::of(f));
                }
                Status::Muted => {
                    tally.muted += 1;
                    out.muted.push(ResourceResult::of(f));
                }
            }
        }
        out.rules.push(tally);
    }
    let sum = |f: fn(&RuleTally) -> usize| out.rules.iter().map(f).sum::<usize>();
    out.status = if sum(|t| t.fail) > 0 {
        ReqStatus::Fail
    } else if sum(|t| t.error) > 0 || !out.not_evaluated.is_empty() {
        ReqStatus::Error
    } else if sum(|t| t.pass) + sum(|t| t.muted) > 0 {
        ReqStatus::Pass
    } else {
        ReqStatus::NotApplicable
    };
    let order = |a: &ResourceResult, b: &ResourceResult| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.account.cmp(&b.account))
            .then_with(|| a.region.cmp(&b.region))
            .then_with(|| a.resource_uid.cmp(&b.resource_uid))
    };
    out.failing.sort_by(order);
    out.errors.sort_by(order);
    out.muted.sort_by(order);
    out
}

#[cfg(test)]
#[path = "assess_tests.rs"]
mod tests;
