//! Completing a scan: per-scan results, the finding lifecycle, the summary.
//!
//! The rules, for each finding id in the scan (see [`next`]):
//! - `fail` or `muted` (muted is accepted risk, still failing): a finding
//!   that never failed is **opened** (`first_seen` = this scan); a resolved
//!   one is **reopened** (`resolved_at` cleared, reopen count + 1); an open
//!   one stays open.
//! - `pass`: an open finding is **resolved** (`resolved_at` = this scan).
//! - `error`: nothing changes; we could not tell.
//!
//! `last_seen` moves to this scan for every result, `error` included: it
//! says when a scan last evaluated the finding.
//!
//! An open finding absent from the scan is **resolved** too (the resource
//! was deleted, or no longer matches the rule's type), but only when the
//! scan covered it: its rule was evaluated, its account and region were in
//! scope, its service was in the saved inventory's scope, no collection
//! error names its account, region and type, and the same rule did not
//! report `error` for that account and region. A scan narrowed to one
//! service or region thus leaves everything else as it was.
//!
//! Times are the scan's start: the state was observed then.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rampart_findings::{Finding, Status};
use rampart_inventory::CollectionError;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use crate::error::{At, StoreError, corrupt, to_json};
use crate::findings::{FindingEventKind, LifecycleState};
use crate::scans::{CompletedScan, Coverage};
use crate::{Store, scans, time};

/// The lifecycle columns of one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifecycle {
    pub state: LifecycleState,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The lifecycle after a scan at `at` reported `status`, and the event
/// that made, if any. `prev` is `None` for a finding never evaluated.
pub(crate) fn next(
    prev: Option<Lifecycle>,
    status: Status,
    at: DateTime<Utc>,
) -> (Lifecycle, Option<FindingEventKind>) {
    let failing = matches!(status, Status::Fail | Status::Muted);
    let Some(prev) = prev else {
        return if failing {
            let l = Lifecycle {
                state: LifecycleState::Open,
                first_seen: Some(at),
                last_seen: at,
                resolved_at: None,
            };
            (l, Some(FindingEventKind::Opened))
        } else {
            let l = Lifecycle {
                state: LifecycleState::NeverFailed,
                first_seen: None,
                last_seen: at,
                resolved_at: None,
            };
            (l, None)
        };
    };
    // Scans completing out of order must not move last_seen backwards.
    let mut l = Lifecycle {
        last_seen: prev.last_seen.max(at),
        ..prev
    };
    let event = match (status, prev.state) {
        (Status::Error, _) => None,
        (Status::Fail | Status::Muted, LifecycleState::NeverFailed) => {
            l.state = LifecycleState::Open;
            l.first_seen = Some(at);
            Some(FindingEventKind::Opened)
        }
        (Status::Fail | Status::Muted, LifecycleState::Resolved) => {
            l.state = LifecycleState::Open;
            l.resolved_at = None;
            Some(FindingEventKind::Reopened)
        }
        (Status::Fail | Status::Muted, LifecycleState::Open) => None,
        (Status::Pass, LifecycleState::Open) => {
            l.state = LifecycleState::Resolved;
            l.resolved_at = Some(at);
            Some(FindingEventKind::Resolved)
        }
        (Status::Pass, LifecycleState::NeverFailed | LifecycleState::Resolved) => None,
    };
    (l, event)
}

/// What a completed scan covered, for resolution by absence.
struct Covered<'a> {
    rules: HashSet<&'a str>,
    accounts: HashSet<String>,
    regions: HashSet<String>,
    /// Empty: every service.
    services: HashSet<String>,
    errors: &'a [CollectionError],
    /// (rule, account, region) that reported `error` in this scan.
    errored: HashSet<(&'a str, &'a str, &'a str)>,
}

/// An open finding that this scan did not report.
struct Absent {
    fid: i64,
    rule_id: String,
    account: String,
    region: String,
    resource_type: String,
    service: String,
}

impl Covered<'_> {
    fn covers(&self, f: &Absent) -> bool {
        self.rules.contains(f.rule_id.as_str())
            && self.accounts.contains(&f.account)
            && self.regions.contains(&f.region)
            && (self.services.is_empty() || self.services.contains(&f.service))
            && !self
                .errored
                .contains(&(f.rule_id.as_str(), f.account.as_str(), f.region.as_str()))
            && !self.errors.iter().any(|e| {
                e.account == f.account
                    && e.region == f.region
                    && (e.resource_types.contains(&f.resource_type)
                        || (e.resource_types.is_empty()
                            && (e.service == f.service || e.service.is_empty())))
            })
    }
}

impl Store {
    /// Completes running scan `scan_id` in one transaction: stores each
    /// finding's result, applies the lifecycle, fills `first_seen`,
    /// `last_seen` and `resolved_at` in `findings`, stores the summary,
    /// collection errors and coverage, and marks the scan `completed`. If a
    /// finding id appears more than once, the first one counts.
    ///
    /// The lifecycle, with the scan's start as the time of every change:
    /// - `fail` or `muted`: a finding that never failed is opened
    ///   (`first_seen` set); a resolved one is reopened (`resolved_at`
    ///   cleared, reopen count + 1); an open one stays open.
    /// - `pass`: an open finding is resolved (`resolved_at` set).
    /// - `error`: no change.
    /// - `last_seen` moves to this scan for every result, `error` included.
    /// - An open finding missing from this scan is resolved only if the scan
    ///   covered it, see [`CompletedScan`]; its `last_seen` stays.
    ///
    /// Every change is recorded, see [`Store::finding_history`].
    pub fn complete_scan(
        &mut self,
        scan_id: i64,
        done: &CompletedScan,
        findings: &mut [Finding],
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        let at = scans::require_running(&tx, &path, scan_id)?;

        let lifecycles = record_results(&tx, &path, scan_id, at, findings)?;
        for f in findings.iter_mut() {
            if let Some(l) = lifecycles.get(&f.id) {
                f.first_seen = l.first_seen;
                f.last_seen = Some(l.last_seen);
                f.resolved_at = l.resolved_at;
            }
        }

        let derive = |given: &[String], of: fn(&Finding) -> &str| -> Vec<String> {
            let mut v: Vec<String> = if given.is_empty() {
                findings.iter().map(|f| of(f).to_string()).collect()
            } else {
                given.to_vec()
            };
            v.sort();
            v.dedup();
            v
        };
        let accounts = derive(&done.accounts, |f| f.account.as_str());
        let regions = derive(&done.regions, |f| f.region.as_str());
        let covered = Covered {
            rules: done.rules_evaluated.iter().map(String::as_str).collect(),
            accounts: accounts.iter().cloned().collect(),
            regions: regions.iter().cloned().collect(),
            services: Store::inventory_services(&tx, &path, scan_id)?
                .into_iter()
                .collect(),
            errors: &done.errors,
            errored: findings
                .iter()
                .filter(|f| f.status == Status::Error)
                .map(|f| (f.rule_id.as_str(), f.account.as_str(), f.region.as_str()))
                .collect(),
        };
        resolve_absent(&tx, &path, scan_id, at, &covered)?;

        let mut rules = done.rules_evaluated.clone();
        rules.sort();
        rules.dedup();
        let coverage = Coverage {
            rules,
            accounts,
            regions,
        };
        tx.execute(
            "UPDATE scans SET status = 'completed', finished_at = ?2, duration_ms = ?3, \
             summary = ?4, collection_errors = ?5, rules_evaluated = ?6, coverage = ?7 \
             WHERE id = ?1",
            params![
                scan_id,
                time::encode(done.finished_at),
                i64::try_from(done.duration_ms).unwrap_or(i64::MAX),
                to_json(&path, "scan summary", &done.summary)?,
                to_json(&path, "scan collection errors", &done.errors)?,
                i64::try_from(coverage.rules.len()).unwrap_or(i64::MAX),
                to_json(&path, "scan coverage", &coverage)?,
            ],
        )
        .at(&path)?;
        tx.commit().at(&path)
    }
}

/// Stores each finding's result and its new lifecycle; returns the
/// lifecycle per finding id.
fn record_results(
    tx: &Transaction<'_>,
    path: &std::path::Path,
    scan_id: i64,
    at: DateTime<Utc>,
    findings: &[Finding],
) -> Result<HashMap<String, Lifecycle>, StoreError> {
    let at_text = time::encode(at);
    let mut get = tx
        .prepare_cached(
            "SELECT fid, state, first_seen, last_seen, resolved_at FROM findings WHERE id = ?1",
        )
        .at(path)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO findings (id, rule_id, title, resource_uid, resource_type, service, \
             resource_name, account, region, state, first_seen, last_seen, resolved_at, \
             reopen_count, last_scan_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 0, ?14)",
        )
        .at(path)?;
    let mut update = tx
        .prepare_cached(
            "UPDATE findings SET title = ?2, resource_type = ?3, service = ?4, \
             resource_name = ?5, account = ?6, region = ?7, state = ?8, first_seen = ?9, \
             last_seen = ?10, resolved_at = ?11, reopen_count = reopen_count + ?12, \
             last_scan_id = CASE WHEN last_seen <= ?14 THEN ?13 ELSE last_scan_id END \
             WHERE fid = ?1",
        )
        .at(path)?;
    let mut result = tx
        .prepare_cached(
            "INSERT INTO scan_results (scan_id, fid, status, severity, reason, context) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .at(path)?;
    let mut event = tx
        .prepare_cached(
            "INSERT INTO finding_events (fid, scan_id, at, event) VALUES (?1, ?2, ?3, ?4)",
        )
        .at(path)?;

    let mut done: HashMap<String, Lifecycle> = HashMap::with_capacity(findings.len());
    for f in findings {
        if done.contains_key(&f.id) {
            continue;
        }
        type Raw = (i64, String, Option<String>, String, Option<String>);
        let prev: Option<Raw> = get
            .query_row([&f.id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()
            .at(path)?;
        let (fid, prev) = match prev {
            Some((fid, state, first, last, resolved)) => {
                let l = Lifecycle {
                    state: state
                        .parse()
                        .map_err(|_| corrupt(path, "findings.state", state))?,
                    first_seen: time::decode_opt(path, "findings.first_seen", first)?,
                    last_seen: time::decode(path, "findings.last_seen", &last)?,
                    resolved_at: time::decode_opt(path, "findings.resolved_at", resolved)?,
                };
                (Some(fid), Some(l))
            }
            None => (None, None),
        };
        let (l, ev) = next(prev, f.status, at);
        let first = l.first_seen.map(time::encode);
        let last = time::encode(l.last_seen);
        let resolved = l.resolved_at.map(time::encode);
        let fid = match fid {
            Some(fid) => {
                let reopened = i64::from(ev == Some(FindingEventKind::Reopened));
                update
                    .execute(params![
                        fid,
                        f.title,
                        f.resource_type,
                        f.service(),
                        f.resource_name,
                        f.account,
                        f.region,
                        l.state.as_str(),
                        first,
                        last,
                        resolved,
                        reopened,
                        scan_id,
                        at_text,
                    ])
                    .at(path)?;
                fid
            }
            None => {
                insert
                    .execute(params![
                        f.id,
                        f.rule_id,
                        f.title,
                        f.resource_uid,
                        f.resource_type,
                        f.service(),
                        f.resource_name,
                        f.account,
                        f.region,
                        l.state.as_str(),
                        first,
                        last,
                        resolved,
                        scan_id,
                    ])
                    .at(path)?;
                tx.last_insert_rowid()
            }
        };
        result
            .execute(params![
                scan_id,
                fid,
                f.status.as_str(),
                f.severity.as_str(),
                f.reason,
                crate::findings::encode_context(f),
            ])
            .at(path)?;
        if let Some(ev) = ev {
            event
                .execute(params![fid, scan_id, at_text, ev.as_str()])
                .at(path)?;
        }
        done.insert(f.id.clone(), l);
    }
    Ok(done)
}

/// Resolves the open findings this scan covered but did not report.
fn resolve_absent(
    tx: &Transaction<'_>,
    path: &std::path::Path,
    scan_id: i64,
    at: DateTime<Utc>,
    covered: &Covered<'_>,
) -> Result<(), StoreError> {
    if covered.rules.is_empty() {
        return Ok(());
    }
    let absent: Vec<Absent> = {
        let mut stmt = tx
            .prepare_cached(
                "SELECT fid, rule_id, account, region, resource_type, service FROM findings f \
                 WHERE state = 'open' AND NOT EXISTS \
                 (SELECT 1 FROM scan_results r WHERE r.scan_id = ?1 AND r.fid = f.fid)",
            )
            .at(path)?;
        stmt.query_map([scan_id], |r| {
            Ok(Absent {
                fid: r.get(0)?,
                rule_id: r.get(1)?,
                account: r.get(2)?,
                region: r.get(3)?,
                resource_type: r.get(4)?,
                service: r.get(5)?,
            })
        })
        .at(path)?
        .collect::<Result<_, _>>()
        .at(path)?
    };
    let at_text = time::encode(at);
    let mut resolve = tx
        .prepare_cached("UPDATE findings SET state = 'resolved', resolved_at = ?2 WHERE fid = ?1")
        .at(path)?;
    let mut event = tx
        .prepare_cached(
            "INSERT INTO finding_events (fid, scan_id, at, event) VALUES (?1, ?2, ?3, 'resolved')",
        )
        .at(path)?;
    for f in absent.iter().filter(|f| covered.covers(f)) {
        resolve.execute(params![f.fid, at_text]).at(path)?;
        event.execute(params![f.fid, scan_id, at_text]).at(path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap()
    }

    #[test]
    fn transitions() {
        use FindingEventKind::{Opened, Reopened};
        use LifecycleState::{NeverFailed, Open};
        let (l, e) = next(None, Status::Pass, t(1));
        assert_eq!((l.state, l.first_seen, e), (NeverFailed, None, None));
        let (l, e) = next(Some(l), Status::Error, t(2));
        assert_eq!((l.state, l.last_seen, e), (NeverFailed, t(2), None));
        let (l, e) = next(Some(l), Status::Muted, t(3));
        assert_eq!((l.state, l.first_seen, e), (Open, Some(t(3)), Some(Opened)));
        let (l, e) = next(Some(l), Status::Fail, t(4));
        assert_eq!(
            (l.state, l.first_seen, l.last_seen, e),
            (Open, Some(t(3)), t(4), None)
        );
        let (l, e) = next(Some(l), Status::Error, t(5));
        assert_eq!((l.state, l.resolved_at, e), (Open, None, None));
        let (l, e) = next(Some(l), Status::Pass, t(6));
        assert_eq!(
            (l.state, l.resolved_at, e),
            (
                LifecycleState::Resolved,
                Some(t(6)),
                Some(FindingEventKind::Resolved)
            )
        );
        let (l, e) = next(Some(l), Status::Fail, t(7));
        assert_eq!(
            (l.state, l.first_seen, l.resolved_at, e),
            (Open, Some(t(3)), None, Some(Reopened))
        );
        // An older scan completing late does not move last_seen back.
        let (l, _) = next(Some(l), Status::Fail, t(2));
        assert_eq!(l.last_seen, t(7));
    }
}
