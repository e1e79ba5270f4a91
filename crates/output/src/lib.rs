//! Output: the same scan result for people (a table on a terminal) and for
//! machines (JSON). Both render a [`ScanReport`]; neither decides anything.
//!
//! The JSON document is a contract with users' scripts:
//! `{"scan": {...}, "summary": {...}, "findings": [...]}`, with every
//! evaluated finding (pass, fail, error, muted) in `findings`.

use std::collections::HashMap;
use std::io::{self, Write};

use chrono::{DateTime, Utc};
use rampart_findings::{Finding, Summary};
use rampart_inventory::CollectionError;
use serde::{Deserialize, Serialize};

mod table;
pub use table::{TableOptions, write_findings_table, write_scans_table, write_table};

/// What a scan was and how it went: the `scan` object of the JSON output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanInfo {
    /// The scan's id in the store (absent with `--no-store`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// `completed`, `running`, `interrupted` or `failed`.
    pub status: String,
    /// Where the inventory came from: `aws` or `inventory:PATH`.
    pub source: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// Resources evaluated.
    pub resources: usize,
    /// Rules evaluated.
    pub rules: usize,
    /// AWS API calls made while collecting (live scans only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_calls: Option<u64>,
    /// What could not be collected, and why.
    pub collection_errors: Vec<CollectionError>,
}

/// Everything one rendering needs.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport<'a> {
    pub scan: &'a ScanInfo,
    pub summary: &'a Summary,
    pub findings: &'a [Finding],
}

/// Writes the report as pretty JSON followed by a newline.
pub fn write_json(mut w: impl Write, report: &ScanReport<'_>) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut w, report).map_err(io::Error::other)?;
    writeln!(w)
}

/// Findings in priority order: failing first; then most severe (after
/// context escalation); then most risk factors on the resource (public
/// exposure, privilege, personal data, production, unencrypted); then the
/// rules failing on the most resources; then by rule and resource, so the
/// same input always prints the same way.
pub fn sort_for_display(findings: &mut [Finding]) {
    // Resources each rule fails on: a problem repeated across the estate
    // comes before a one-off of the same severity and risk.
    let mut affected: HashMap<String, usize> = HashMap::new();
    for f in findings.iter().filter(|f| status_rank(f) == 0) {
        *affected.entry(f.rule_id.clone()).or_default() += 1;
    }
    let spread = |f: &Finding| affected.get(&f.rule_id).copied().unwrap_or(0);
    findings.sort_by(|a, b| {
        status_rank(a)
            .cmp(&status_rank(b))
            .then(b.severity.cmp(&a.severity))
            .then(b.risk.factors.len().cmp(&a.risk.factors.len()))
            .then_with(|| spread(b).cmp(&spread(a)))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.resource_uid.cmp(&b.resource_uid))
    });
}

fn status_rank(f: &Finding) -> u8 {
    use rampart_findings::Status::*;
    match f.status {
        Fail => 0,
        Error => 1,
        Muted => 2,
        Pass => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_findings::{Severity, Status, finding_id};

    pub(crate) fn finding(rule: &str, sev: Severity, status: Status) -> Finding {
        Finding {
            id: finding_id(rule, "arn:aws:s3:::b"),
            rule_id: rule.into(),
            title: format!("title of {rule}"),
            severity: sev,
            status,
            resource_uid: "arn:aws:s3:::b".into(),
            resource_type: "aws.s3.bucket".into(),
            resource_name: "b".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            reason: format!("reason of {rule}"),
            first_seen: None,
            last_seen: None,
            resolved_at: None,
            risk: Default::default(),
            mute: None,
        }
    }

    #[test]
    fn json_has_the_three_sections_and_every_finding() {
        let findings = vec![
            finding("a", Severity::High, Status::Fail),
            finding("b", Severity::Low, Status::Pass),
        ];
        let summary = Summary::of(&findings);
        let scan = ScanInfo {
            status: "completed".into(),
            source: "aws".into(),
            ..Default::default()
        };
        let mut out = Vec::new();
        write_json(
            &mut out,
            &ScanReport {
                scan: &scan,
                summary: &summary,
                findings: &findings,
            },
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["scan"]["status"], "completed");
        assert_eq!(v["summary"]["fail"], 1);
        assert_eq!(v["findings"].as_array().unwrap().len(), 2);
        assert_eq!(v["findings"][0]["severity"], "high");
    }

    #[test]
    fn display_order_is_failing_then_severity() {
        let mut v = vec![
            finding("p", Severity::Critical, Status::Pass),
            finding("l", Severity::Low, Status::Fail),
            finding("e", Severity::High, Status::Error),
            finding("c", Severity::Critical, Status::Fail),
        ];
        sort_for_display(&mut v);
        let ids: Vec<&str> = v.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, ["c", "l", "e", "p"]);
    }
}
