//! Counts and the security score.
//!
//! The score is the severity-weighted share of evaluations that pass:
//!
//! ```text
//! score = 100 × Σ weight(pass) / Σ weight(pass, fail, error)
//! weights: critical 10, high 5, medium 3, low 1, info 0
//! ```
//!
//! `error` counts against the score: a check that could not be made is not a
//! check that passed. `muted` findings (accepted risk) count on neither side.
//! With nothing weighed the score is 100. It is rounded down to one decimal,
//! so 99.99 is never shown as a perfect 100.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Finding, Severity, Status};

/// The weight of one evaluation of this severity in the score.
pub fn severity_weight(s: Severity) -> u64 {
    match s {
        Severity::Critical => 10,
        Severity::High => 5,
        Severity::Medium => 3,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

/// The score of a set of findings, 0.0–100.0, see the module docs.
pub fn security_score<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> f64 {
    let (mut good, mut all) = (0u64, 0u64);
    for f in findings {
        let w = severity_weight(f.severity);
        match f.status {
            Status::Pass => {
                good += w;
                all += w;
            }
            Status::Fail | Status::Error => all += w,
            Status::Muted => {}
        }
    }
    if all == 0 {
        return 100.0;
    }
    ((good as f64 * 1000.0) / all as f64).floor() / 10.0
}

/// Counts per status and, for failing findings, per severity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub muted: usize,
    /// Failing findings per severity, every severity present.
    pub fail_by_severity: BTreeMap<Severity, usize>,
    pub score: f64,
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding> + Clone) -> Summary {
        let mut s = Summary {
            fail_by_severity: Severity::ALL.iter().map(|s| (*s, 0)).collect(),
            ..Summary::default()
        };
        for f in findings.clone() {
            s.total += 1;
            match f.status {
                Status::Pass => s.pass += 1,
                Status::Fail => {
                    s.fail += 1;
                    *s.fail_by_severity.entry(f.severity).or_default() += 1;
                }
                Status::Error => s.error += 1,
                Status::Muted => s.muted += 1,
            }
        }
        s.score = security_score(findings);
        s
    }

    /// The most severe level with a failing finding.
    pub fn worst_failing(&self) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| self.fail_by_severity.get(s).copied().unwrap_or(0) > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding_id;

    fn f(sev: Severity, status: Status) -> Finding {
        Finding {
            id: finding_id("r", "u"),
            rule_id: "r".into(),
            title: "t".into(),
            severity: sev,
            status,
            resource_uid: "u".into(),
            resource_type: "aws.s3.bucket".into(),
            resource_name: "n".into(),
            account: "1".into(),
            region: "global".into(),
            reason: String::new(),
            first_seen: None,
            last_seen: None,
            resolved_at: None,
            risk: Default::default(),
            mute: None,
        }
    }

    #[test]
    fn score_weights_by_severity() {
        // One critical fail (10) and one high pass (5): 5 / 15.
        let v = [
            f(Severity::Critical, Status::Fail),
            f(Severity::High, Status::Pass),
        ];
        assert_eq!(security_score(&v), 33.3);
    }

    #[test]
    fn errors_count_against_and_mutes_count_nowhere() {
        let v = [
            f(Severity::High, Status::Pass),
            f(Severity::High, Status::Error),
            f(Severity::Critical, Status::Muted),
            f(Severity::Info, Status::Fail),
        ];
        assert_eq!(security_score(&v), 50.0);
        assert_eq!(security_score(&[]), 100.0);
    }

    #[test]
    fn score_never_rounds_up_to_perfect() {
        let mut v: Vec<Finding> = (0..10_000)
            .map(|_| f(Severity::Low, Status::Pass))
            .collect();
        v.push(f(Severity::Low, Status::Fail));
        assert_eq!(security_score(&v), 99.9);
    }

    #[test]
    fn summary_counts() {
        let v = [
            f(Severity::High, Status::Fail),
            f(Severity::High, Status::Fail),
            f(Severity::Low, Status::Pass),
            f(Severity::Low, Status::Error),
        ];
        let s = Summary::of(&v);
        assert_eq!((s.total, s.pass, s.fail, s.error, s.muted), (4, 1, 2, 1, 0));
        assert_eq!(s.fail_by_severity[&Severity::High], 2);
        assert_eq!(s.worst_failing(), Some(Severity::High));
    }
}
