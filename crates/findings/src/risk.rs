//! Risk context of a finding: the factors that make it matter more, why its
//! severity was raised, and the mute that accepted it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Severity;

/// Something about a resource that makes a failing check on it matter more.
/// Findings are prioritised by how many of these their resource has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskFactor {
    /// Reachable or readable from the internet (a failing exposure rule).
    PublicExposure,
    /// Holds administrator or otherwise broad privilege.
    Privilege,
    /// Tagged as holding personal data (`contains_pii` by default).
    PersonalData,
    /// Tagged as production (`env`/`environment`/`stage` = prod/production/prd).
    Production,
    /// Data at rest or in transit left unencrypted (a failing encryption rule).
    Unencrypted,
}

impl RiskFactor {
    pub const ALL: [RiskFactor; 5] = [
        RiskFactor::PublicExposure,
        RiskFactor::Privilege,
        RiskFactor::PersonalData,
        RiskFactor::Production,
        RiskFactor::Unencrypted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RiskFactor::PublicExposure => "public_exposure",
            RiskFactor::Privilege => "privilege",
            RiskFactor::PersonalData => "personal_data",
            RiskFactor::Production => "production",
            RiskFactor::Unencrypted => "unencrypted",
        }
    }

    /// A short label for tables, in English or Korean.
    pub fn label(self, lang: &str) -> &'static str {
        let ko = lang.to_ascii_lowercase().starts_with("ko");
        match (self, ko) {
            (RiskFactor::PublicExposure, false) => "public",
            (RiskFactor::PublicExposure, true) => "외부 노출",
            (RiskFactor::Privilege, false) => "privileged",
            (RiskFactor::Privilege, true) => "고권한",
            (RiskFactor::PersonalData, false) => "PII",
            (RiskFactor::PersonalData, true) => "개인정보",
            (RiskFactor::Production, false) => "production",
            (RiskFactor::Production, true) => "운영",
            (RiskFactor::Unencrypted, false) => "unencrypted",
            (RiskFactor::Unencrypted, true) => "암호화 없음",
        }
    }
}

impl fmt::Display for RiskFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RiskFactor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RiskFactor::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown risk factor `{s}` (expected public_exposure, privilege, \
                     personal_data, production or unencrypted)"
                )
            })
    }
}

/// A severity raised because risks combine on one resource or path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The rule's own severity before the raise.
    pub from: Severity,
    /// Why, in one line naming the combined risks and resources.
    pub reason: String,
}

/// The risk context of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Risk {
    /// Factors of the finding's resource, sorted, without duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<RiskFactor>,
    /// Set when the severity was raised above the rule's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
}

impl Risk {
    pub fn is_empty(&self) -> bool {
        self.factors.is_empty() && self.escalation.is_none()
    }

    /// Add a factor, keeping the list sorted and unique.
    pub fn add(&mut self, f: RiskFactor) {
        if let Err(i) = self.factors.binary_search(&f) {
            self.factors.insert(i, f);
        }
    }
}

/// The mute that turned a failing finding into `muted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteNote {
    pub id: i64,
    pub reason: String,
    pub owner: String,
    pub expires: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_stay_sorted_and_unique() {
        let mut r = Risk::default();
        r.add(RiskFactor::Production);
        r.add(RiskFactor::PublicExposure);
        r.add(RiskFactor::Production);
        assert_eq!(
            r.factors,
            vec![RiskFactor::PublicExposure, RiskFactor::Production]
        );
        assert_eq!(
            "personal_data".parse::<RiskFactor>(),
            Ok(RiskFactor::PersonalData)
        );
        assert!("pii".parse::<RiskFactor>().is_err());
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"factors":["public_exposure","production"]}"#
        );
    }
}
