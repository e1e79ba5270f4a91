//! Findings: what evaluating one rule on one resource says.
//!
//! A finding is a value, not an error. Its id is derived from the rule id and
//! the resource uid only, so the same problem on the same resource keeps its
//! id across scans and a SIEM or ticket system can de-duplicate on it. The
//! lifecycle fields (first seen, last seen, resolved at) are filled by the
//! store, which knows the history.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod risk;
mod score;
pub use risk::{Escalation, MuteNote, Risk, RiskFactor};
pub use score::{Summary, security_score, severity_weight};

/// How bad a failing finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected critical, high, medium, low or info)")
            })
    }
}

/// The outcome of one rule on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// The rule's input could not be collected; the reason says why.
    Error,
    /// Failing, but accepted by a mute with a reason, owner and expiry.
    Muted,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Fail, Status::Error, Status::Muted, Status::Pass];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Muted => "muted",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown status `{s}` (expected pass, fail, error or muted)"))
    }
}

/// The stable id of the finding of `rule_id` on `resource_uid`: the same
/// inputs give the same id in every scan, on every machine.
pub fn finding_id(rule_id: &str, resource_uid: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0u8]);
    h.update(resource_uid.as_bytes());
    let digest = h.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in digest.iter().take(16) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// One rule evaluated on one resource (or on one uncollectable scope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id, see [`finding_id`].
    pub id: String,
    pub rule_id: String,
    /// The rule's English title.
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub resource_uid: String,
    pub resource_type: String,
    pub resource_name: String,
    pub account: String,
    pub region: String,
    /// One line naming the offending value (fail), what is right (pass), or
    /// what could not be collected (error).
    pub reason: String,
    /// When this rule first failed on this resource (set by the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    /// The latest scan that evaluated it (set by the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    /// When it stopped failing, if it has (set by the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Risk factors of the resource and any severity escalation.
    #[serde(default, skip_serializing_if = "Risk::is_empty")]
    pub risk: Risk,
    /// The mute that accepted this failure (status `muted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute: Option<MuteNote>,
}

impl Finding {
    /// The service part of the resource type (`s3` for `aws.s3.bucket`).
    pub fn service(&self) -> &str {
        self.resource_type
            .split('.')
            .nth(1)
            .unwrap_or(&self.resource_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_ids_are_stable_and_distinct() {
        let a = finding_id("s3-bucket-public-read", "arn:aws:s3:::a");
        assert_eq!(a, finding_id("s3-bucket-public-read", "arn:aws:s3:::a"));
        assert_eq!(a.len(), 32);
        // Pinned: ids are a contract with SIEMs and tickets; never change them.
        assert_eq!(
            finding_id("s3-bucket-public-read", "arn:aws:s3:::a"),
            "9d365551a16c104a01ebf2309dbdcbed"
        );
        assert_ne!(a, finding_id("s3-bucket-public-read", "arn:aws:s3:::b"));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(finding_id("ab", "c"), finding_id("a", "bc"));
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("urgent".parse::<Severity>().is_err());
        assert_eq!(serde_json::to_string(&Status::Muted).unwrap(), "\"muted\"");
    }
}
