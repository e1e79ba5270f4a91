//! Reading findings back: a scan's results with their lifecycle as of now,
//! a finding's history, and the events of a period.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rampart_findings::{Finding, Severity, Status};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::{At, StoreError, corrupt};
use crate::{Store, scans, time};

/// Which of a scan's findings to return. Empty lists mean "any"; all the
/// conditions given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingFilter {
    pub statuses: Vec<Status>,
    /// At least this severe.
    pub min_severity: Option<Severity>,
    pub severities: Vec<Severity>,
    /// Services as in the resource type: `s3` for `aws.s3.bucket`.
    pub services: Vec<String>,
    pub rule_ids: Vec<String>,
    /// A case-insensitive substring of the resource uid or name.
    pub resource: Option<String>,
    pub regions: Vec<String>,
    pub accounts: Vec<String>,
}

/// Where a finding is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleState {
    /// Evaluated, never failed.
    NeverFailed,
    /// Failing (or muted) since `first_seen`, or since it was last reopened.
    Open,
    /// Failed once, passes or is gone now.
    Resolved,
}

impl LifecycleState {
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleState::NeverFailed => "never_failed",
            LifecycleState::Open => "open",
            LifecycleState::Resolved => "resolved",
        }
    }
}

impl FromStr for LifecycleState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            LifecycleState::NeverFailed,
            LifecycleState::Open,
            LifecycleState::Resolved,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| format!("unknown lifecycle state `{s}`"))
    }
}

/// A change of lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingEventKind {
    Opened,
    Resolved,
    Reopened,
}

impl FindingEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingEventKind::Opened => "opened",
            FindingEventKind::Resolved => "resolved",
            FindingEventKind::Reopened => "reopened",
        }
    }
}

impl fmt::Display for FindingEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FindingEventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            FindingEventKind::Opened,
            FindingEventKind::Resolved,
            FindingEventKind::Reopened,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| format!("unknown finding event `{s}`"))
    }
}

/// One change of a finding's state, made by scan `scan_id` (whose start
/// time is `at`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingEvent {
    pub finding_id: String,
    pub rule_id: String,
    pub resource_uid: String,
    pub scan_id: i64,
    pub at: DateTime<Utc>,
    pub event: FindingEventKind,
}

/// A finding's lifecycle as of now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingLifecycle {
    pub finding_id: String,
    pub state: LifecycleState,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// How many times it failed again after being resolved.
    pub reopen_count: u32,
    /// The latest scan with a result for it.
    pub last_scan_id: i64,
}

/// A finding's result in one scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingResult {
    pub scan_id: i64,
    pub scan_started_at: DateTime<Utc>,
    pub status: Status,
    pub severity: Severity,
    pub reason: String,
}

pub(crate) fn parse_status(path: &Path, s: &str) -> Result<Status, StoreError> {
    s.parse().map_err(|_| corrupt(path, "status", s))
}

pub(crate) fn parse_severity(path: &Path, s: &str) -> Result<Severity, StoreError> {
    s.parse().map_err(|_| corrupt(path, "severity", s))
}

/// `?, ?, ?` for `n` parameters.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// A finding row as SQLite returns it.
struct RawFinding {
    id: String,
    rule_id: String,
    title: String,
    severity: String,
    status: String,
    resource_uid: String,
    resource_type: String,
    resource_name: String,
    account: String,
    region: String,
    reason: String,
    first_seen: Option<String>,
    last_seen: Option<String>,
    resolved_at: Option<String>,
    context: Option<String>,
}

/// The risk and mute of a result as stored in `scan_results.context`.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Context {
    #[serde(default, skip_serializing_if = "rampart_findings::Risk::is_empty")]
    risk: rampart_findings::Risk,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mute: Option<rampart_findings::MuteNote>,
}

/// `NULL` when the finding has neither risk context nor a mute.
pub(crate) fn encode_context(f: &Finding) -> Option<String> {
    if f.risk.is_empty() && f.mute.is_none() {
        return None;
    }
    serde_json::to_string(&Context {
        risk: f.risk.clone(),
        mute: f.mute.clone(),
    })
    .ok()
}

impl RawFinding {
    fn decode(self, path: &Path) -> Result<Finding, StoreError> {
        let context: Context = match &self.context {
            Some(text) => serde_json::from_str(text)
                .map_err(|_| corrupt(path, "scan_results.context", text.clone()))?,
            None => Context::default(),
        };
        Ok(Finding {
            risk: context.risk,
            mute: context.mute,
            severity: parse_severity(path, &self.severity)?,
            status: parse_status(path, &self.status)?,
            first_seen: time::decode_opt(path, "findings.first_seen", self.first_seen)?,
            last_seen: time::decode_opt(path, "findings.last_seen", self.last_seen)?,
            resolved_at: time::decode_opt(path, "findings.resolved_at", self.resolved_at)?,
            id: self.id,
            rule_id: self.rule_id,
            title: self.title,
            resource_uid: self.resource_uid,
            resource_type: self.resource_type,
            resource_name: self.resource_name,
            account: self.account,
            region: self.region,
            reason: self.reason,
        })
    }
}

impl Store {
    /// Scan `scan_id`'s results that match `filter`, most severe first,
    /// with their lifecycle (first seen, last seen, resolved at) as of now.
    /// A scan that did not complete has no results.
    pub fn findings(
        &self,
        scan_id: i64,
        filter: &FindingFilter,
    ) -> Result<Vec<Finding>, StoreError> {
        scans::status_of(&self.conn, &self.path, scan_id)?;
        self.query_findings(
            "FROM scan_results r JOIN findings f ON f.fid = r.fid WHERE r.scan_id = ?",
            vec![Value::Integer(scan_id)],
            filter,
        )
    }

    /// Where we stand across scans: every finding's latest result (from the
    /// latest scan that evaluated it), matching `filter`, most severe first.
    /// Unlike [`Store::findings`] of the newest scan, this keeps what a
    /// narrowed scan (one service, one region) did not look at.
    pub fn current_findings(&self, filter: &FindingFilter) -> Result<Vec<Finding>, StoreError> {
        self.query_findings(
            "FROM findings f JOIN scan_results r ON r.fid = f.fid AND r.scan_id = f.last_scan_id \
             WHERE 1 = 1",
            Vec::new(),
            filter,
        )
    }

    /// `from_where` joins `scan_results r` and `findings f` and ends in a
    /// WHERE clause; the filter's conditions are added to it.
    fn query_findings(
        &self,
        from_where: &str,
        mut args: Vec<Value>,
        filter: &FindingFilter,
    ) -> Result<Vec<Finding>, StoreError> {
        let mut sql = format!(
            "SELECT f.id, f.rule_id, f.title, r.severity, r.status, f.resource_uid, \
             f.resource_type, f.resource_name, f.account, f.region, r.reason, \
             f.first_seen, f.last_seen, f.resolved_at, r.context {from_where}"
        );
        let mut any_of = |column: &str, values: Vec<String>, sql: &mut String| {
            if !values.is_empty() {
                sql.push_str(&format!(
                    " AND {column} IN ({})",
                    placeholders(values.len())
                ));
                args.extend(values.into_iter().map(Value::Text));
            }
        };
        any_of(
            "r.status",
            filter
                .statuses
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            &mut sql,
        );
        any_of(
            "r.severity",
            filter
                .severities
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            &mut sql,
        );
        if let Some(min) = filter.min_severity {
            let at_least = Severity::ALL
                .into_iter()
                .filter(|s| *s >= min)
                .map(|s| s.as_str().to_string())
                .collect();
            any_of("r.severity", at_least, &mut sql);
        }
        any_of("f.service", filter.services.clone(), &mut sql);
        any_of("f.rule_id", filter.rule_ids.clone(), &mut sql);
        any_of("f.region", filter.regions.clone(), &mut sql);
        any_of("f.account", filter.accounts.clone(), &mut sql);
        if let Some(needle) = filter.resource.as_ref().filter(|s| !s.is_empty()) {
            sql.push_str(
                " AND (instr(lower(f.resource_uid), lower(?)) > 0 \
                 OR instr(lower(f.resource_name), lower(?)) > 0)",
            );
            args.push(Value::Text(needle.clone()));
            args.push(Value::Text(needle.clone()));
        }
        sql.push_str(
            " ORDER BY CASE r.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 \
             WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, \
             CASE r.status WHEN 'fail' THEN 0 WHEN 'error' THEN 1 WHEN 'muted' THEN 2 ELSE 3 END, \
             f.rule_id, f.resource_uid",
        );
        let mut stmt = self.conn.prepare(&sql).at(&self.path)?;
        let raw: Vec<RawFinding> = stmt
            .query_map(params_from_iter(args), |r| {
                Ok(RawFinding {
                    id: r.get(0)?,
                    rule_id: r.get(1)?,
                    title: r.get(2)?,
                    severity: r.get(3)?,
                    status: r.get(4)?,
                    resource_uid: r.get(5)?,
                    resource_type: r.get(6)?,
                    resource_name: r.get(7)?,
                    account: r.get(8)?,
                    region: r.get(9)?,
                    reason: r.get(10)?,
                    first_seen: r.get(11)?,
                    last_seen: r.get(12)?,
                    resolved_at: r.get(13)?,
                    context: r.get(14)?,
                })
            })
            .at(&self.path)?
            .collect::<Result<_, _>>()
            .at(&self.path)?;
        raw.into_iter().map(|f| f.decode(&self.path)).collect()
    }

    /// Every change of state of finding `finding_id`, oldest first; empty
    /// for an id never seen.
    pub fn finding_history(&self, finding_id: &str) -> Result<Vec<FindingEvent>, StoreError> {
        self.query_events(
            "SELECT f.id, f.rule_id, f.resource_uid, e.scan_id, e.at, e.event \
             FROM finding_events e JOIN findings f ON f.fid = e.fid \
             WHERE f.id = ?1 ORDER BY e.id",
            [finding_id],
        )
    }

    /// Every change of state of any finding at or after `from` and before
    /// `until`, oldest first: what opened and closed in a period.
    pub fn finding_events_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<FindingEvent>, StoreError> {
        self.query_events(
            "SELECT f.id, f.rule_id, f.resource_uid, e.scan_id, e.at, e.event \
             FROM finding_events e JOIN findings f ON f.fid = e.fid \
             WHERE e.at >= ?1 AND e.at < ?2 ORDER BY e.at, e.id",
            [time::encode(from), time::encode(until)],
        )
    }

    fn query_events<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<Vec<FindingEvent>, StoreError> {
        let path = &self.path;
        let mut stmt = self.conn.prepare_cached(sql).at(path)?;
        type Raw = (String, String, String, i64, String, String);
        let raw: Vec<Raw> = stmt
            .query_map(params, |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .at(path)?
            .collect::<Result<_, _>>()
            .at(path)?;
        raw.into_iter()
            .map(|(finding_id, rule_id, resource_uid, scan_id, at, event)| {
                Ok(FindingEvent {
                    finding_id,
                    rule_id,
                    resource_uid,
                    scan_id,
                    at: time::decode(path, "finding_events.at", &at)?,
                    event: event
                        .parse()
                        .map_err(|_| corrupt(path, "finding_events.event", event))?,
                })
            })
            .collect()
    }

    /// The lifecycle of finding `finding_id` as of now, if it was ever
    /// evaluated.
    pub fn finding_lifecycle(
        &self,
        finding_id: &str,
    ) -> Result<Option<FindingLifecycle>, StoreError> {
        let path = &self.path;
        type Raw = (String, Option<String>, String, Option<String>, i64, i64);
        let raw: Option<Raw> = self
            .conn
            .query_row(
                "SELECT state, first_seen, last_seen, resolved_at, reopen_count, last_scan_id \
                 FROM findings WHERE id = ?1",
                [finding_id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()
            .at(path)?;
        let Some((state, first, last, resolved, reopen_count, last_scan_id)) = raw else {
            return Ok(None);
        };
        Ok(Some(FindingLifecycle {
            finding_id: finding_id.to_string(),
            state: state
                .parse()
                .map_err(|_| corrupt(path, "findings.state", state))?,
            first_seen: time::decode_opt(path, "findings.first_seen", first)?,
            last_seen: time::decode(path, "findings.last_seen", &last)?,
            resolved_at: time::decode_opt(path, "findings.resolved_at", resolved)?,
            reopen_count: u32::try_from(reopen_count)
                .map_err(|_| corrupt(path, "findings.reopen_count", reopen_count.to_string()))?,
            last_scan_id,
        }))
    }

    /// Finding `finding_id`'s result in every scan that evaluated it,
    /// oldest first.
    pub fn finding_results(&self, finding_id: &str) -> Result<Vec<FindingResult>, StoreError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.scan_id, s.started_at, r.status, r.severity, r.reason \
                 FROM findings f JOIN scan_results r ON r.fid = f.fid \
                 JOIN scans s ON s.id = r.scan_id \
                 WHERE f.id = ?1 ORDER BY r.scan_id",
            )
            .at(path)?;
        type Raw = (i64, String, String, String, String);
        let raw: Vec<Raw> = stmt
            .query_map([finding_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .at(path)?
            .collect::<Result<_, _>>()
            .at(path)?;
        raw.into_iter()
            .map(|(scan_id, started, status, severity, reason)| {
                Ok(FindingResult {
                    scan_id,
                    scan_started_at: time::decode(path, "scans.started_at", &started)?,
                    status: parse_status(path, &status)?,
                    severity: parse_severity(path, &severity)?,
                    reason,
                })
            })
            .collect()
    }
}
