//! Scans: registering one, failing or interrupting it, and reading the
//! history back. Completing a scan is in `lifecycle.rs`.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rampart_findings::Summary;
use rampart_inventory::CollectionError;
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::error::{At, StoreError, corrupt, from_json, to_json};
use crate::process::{self, Liveness};
use crate::{Store, migrations, time};

/// Where a scan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanStatus {
    /// Registered; its writer has not finished (or died on another host).
    Running,
    Completed,
    /// Its writer died before completing it.
    Interrupted,
    /// Its writer gave up with an error, see [`ScanRecord::message`].
    Failed,
}

impl ScanStatus {
    pub const ALL: [ScanStatus; 4] = [
        ScanStatus::Running,
        ScanStatus::Completed,
        ScanStatus::Interrupted,
        ScanStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Running => "running",
            ScanStatus::Completed => "completed",
            ScanStatus::Interrupted => "interrupted",
            ScanStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for ScanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScanStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ScanStatus::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown scan status `{s}` (expected running, completed, interrupted or failed)"
                )
            })
    }
}

/// What [`Store::begin_scan`] records before any work starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewScan {
    /// `user@host`, see [`crate::who`].
    pub who: String,
    /// The command and its scope, for example
    /// `{"source": "aws", "accounts": [...], "regions": [...], "services": [...]}`
    /// or `{"source": "inventory:FILE", ...}`.
    pub scope: serde_json::Value,
    pub started_at: DateTime<Utc>,
}

impl NewScan {
    /// A scan of `scope` started now by the current user.
    pub fn new(scope: serde_json::Value) -> NewScan {
        NewScan {
            who: process::who(),
            scope,
            started_at: Utc::now(),
        }
    }
}

/// What [`Store::complete_scan`] records at the end.
///
/// `rules_evaluated`, `accounts` and `regions` bound resolution by
/// absence: an open finding missing from this scan is resolved only if its
/// rule is in `rules_evaluated` and its account and region are listed (an
/// empty list means: those of this scan's findings). List only rules whose
/// input was collected, and list the region `global` when global services
/// were collected. Findings in a scope named by a collection error in
/// `errors`, or by an `error` result of the same rule, account and region,
/// are never resolved by absence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletedScan {
    pub finished_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub summary: Summary,
    pub errors: Vec<CollectionError>,
    pub rules_evaluated: Vec<String>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

/// One scan as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRecord {
    pub id: i64,
    pub who: String,
    pub scope: serde_json::Value,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    pub status: ScanStatus,
    /// Counts and score; set once completed.
    pub summary: Option<Summary>,
    /// Collection errors; empty until completed.
    pub errors: Vec<CollectionError>,
    /// How many rules were evaluated; set once completed.
    pub rules_evaluated: Option<usize>,
    /// The accounts and regions the scan covered (as used for resolution by
    /// absence); empty until completed.
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// Why it failed or was interrupted.
    pub message: Option<String>,
    /// The writer process and its host.
    pub pid: u32,
    pub host: String,
}

/// The coverage of a completed scan, stored as JSON.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Coverage {
    pub rules: Vec<String>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
}

const SCAN_COLUMNS: &str = "id, who, scope, started_at, finished_at, duration_ms, status, \
     summary, collection_errors, rules_evaluated, coverage, message, pid, host";

/// A scans row as SQLite returns it, before decoding.
struct RawScan {
    id: i64,
    who: String,
    scope: String,
    started_at: String,
    finished_at: Option<String>,
    duration_ms: Option<i64>,
    status: String,
    summary: Option<String>,
    errors: Option<String>,
    rules_evaluated: Option<i64>,
    coverage: Option<String>,
    message: Option<String>,
    pid: i64,
    host: String,
}

impl RawScan {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<RawScan> {
        Ok(RawScan {
            id: r.get(0)?,
            who: r.get(1)?,
            scope: r.get(2)?,
            started_at: r.get(3)?,
            finished_at: r.get(4)?,
            duration_ms: r.get(5)?,
            status: r.get(6)?,
            summary: r.get(7)?,
            errors: r.get(8)?,
            rules_evaluated: r.get(9)?,
            coverage: r.get(10)?,
            message: r.get(11)?,
            pid: r.get(12)?,
            host: r.get(13)?,
        })
    }

    fn decode(self, path: &Path) -> Result<ScanRecord, StoreError> {
        let coverage: Coverage = match &self.coverage {
            Some(c) => from_json(path, "scan coverage", c)?,
            None => Coverage::default(),
        };
        Ok(ScanRecord {
            id: self.id,
            who: self.who,
            scope: from_json(path, "scan scope", &self.scope)?,
            started_at: time::decode(path, "scans.started_at", &self.started_at)?,
            finished_at: time::decode_opt(path, "scans.finished_at", self.finished_at)?,
            duration_ms: self
                .duration_ms
                .map(|d| {
                    u64::try_from(d).map_err(|_| corrupt(path, "scans.duration_ms", d.to_string()))
                })
                .transpose()?,
            status: self
                .status
                .parse()
                .map_err(|_| corrupt(path, "scans.status", self.status.clone()))?,
            summary: self
                .summary
                .as_deref()
                .map(|s| from_json(path, "scan summary", s))
                .transpose()?,
            errors: match &self.errors {
                Some(e) => from_json(path, "scan collection errors", e)?,
                None => Vec::new(),
            },
            rules_evaluated: self
                .rules_evaluated
                .map(|n| {
                    usize::try_from(n)
                        .map_err(|_| corrupt(path, "scans.rules_evaluated", n.to_string()))
                })
                .transpose()?,
            accounts: coverage.accounts,
            regions: coverage.regions,
            message: self.message,
            pid: u32::try_from(self.pid)
                .map_err(|_| corrupt(path, "scans.pid", self.pid.to_string()))?,
            host: self.host,
        })
    }
}

/// The status and start of scan `id`, or `ScanNotFound`.
pub(crate) fn status_of(
    conn: &rusqlite::Connection,
    path: &Path,
    id: i64,
) -> Result<(ScanStatus, DateTime<Utc>), StoreError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT status, started_at FROM scans WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .at(path)?;
    let Some((status, started)) = row else {
        return Err(StoreError::ScanNotFound {
            path: path.to_path_buf(),
            id,
        });
    };
    let status = status
        .parse()
        .map_err(|_| corrupt(path, "scans.status", status.clone()))?;
    Ok((status, time::decode(path, "scans.started_at", &started)?))
}

/// The start of scan `id` if it is running, else the matching error.
pub(crate) fn require_running(
    conn: &rusqlite::Connection,
    path: &Path,
    id: i64,
) -> Result<DateTime<Utc>, StoreError> {
    let (status, started) = status_of(conn, path, id)?;
    if status != ScanStatus::Running {
        return Err(StoreError::ScanNotRunning {
            path: path.to_path_buf(),
            id,
            status,
        });
    }
    Ok(started)
}

fn millis_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_milliseconds().max(0)
}

impl Store {
    /// Registers a scan as `running`, with this process as its writer, and
    /// commits before returning: the scan is visible (and recoverable) even
    /// if the process dies the next instant.
    pub fn begin_scan(&mut self, scan: &NewScan) -> Result<i64, StoreError> {
        let scope = to_json(&self.path, "scan scope", &scan.scope)?;
        let pid = process::current_pid();
        self.conn
            .execute(
                "INSERT INTO scans (who, scope, started_at, status, pid, host, pid_start) \
                 VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6)",
                params![
                    scan.who,
                    scope,
                    time::encode(scan.started_at),
                    i64::from(pid),
                    self.host,
                    process::start_token(pid),
                ],
            )
            .at(&self.path)?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Marks a running scan `failed` with `message`. Whatever it saved (its
    /// inventory, say) stays readable.
    pub fn fail_scan(&mut self, scan_id: i64, message: &str) -> Result<(), StoreError> {
        self.end_without_results(scan_id, ScanStatus::Failed, message)
    }

    /// Marks a running scan `interrupted`, for a writer known to be gone
    /// that [`Store::open`] could not judge (another host, say).
    pub fn mark_interrupted(&mut self, scan_id: i64, message: &str) -> Result<(), StoreError> {
        self.end_without_results(scan_id, ScanStatus::Interrupted, message)
    }

    fn end_without_results(
        &mut self,
        scan_id: i64,
        status: ScanStatus,
        message: &str,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        let started = require_running(&tx, &path, scan_id)?;
        let now = Utc::now();
        let (finished, duration) = if status == ScanStatus::Failed {
            (Some(time::encode(now)), Some(millis_between(started, now)))
        } else {
            // When an interrupted writer died is not known.
            (None, None)
        };
        tx.execute(
            "UPDATE scans SET status = ?2, message = ?3, finished_at = ?4, duration_ms = ?5 \
             WHERE id = ?1",
            params![scan_id, status.as_str(), message, finished, duration],
        )
        .at(&path)?;
        tx.commit().at(&path)
    }

    /// Marks `interrupted` every running scan written from this host whose
    /// writer process is gone; returns their ids. [`Store::open`] does this.
    pub fn interrupt_dead_scans(&mut self) -> Result<Vec<i64>, StoreError> {
        let path = self.path.clone();
        let candidates: Vec<(i64, i64, Option<String>)> = {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT id, pid, pid_start FROM scans WHERE status = 'running' AND host = ?1",
                )
                .at(&path)?;
            stmt.query_map([&self.host], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .at(&path)?
                .collect::<Result<_, _>>()
                .at(&path)?
        };
        let dead: Vec<(i64, i64)> = candidates
            .into_iter()
            .filter(|(_, pid, start)| {
                u32::try_from(*pid)
                    .map(|pid| process::liveness(pid, start.as_deref()) == Liveness::Dead)
                    .unwrap_or(false)
            })
            .map(|(id, pid, _)| (id, pid))
            .collect();
        if dead.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        let mut marked = Vec::new();
        for (id, pid) in dead {
            let message = format!(
                "the writing process (pid {pid} on {}) ended before completing the scan",
                self.host
            );
            let n = tx
                .execute(
                    "UPDATE scans SET status = 'interrupted', message = ?2 \
                     WHERE id = ?1 AND status = 'running'",
                    params![id, message],
                )
                .at(&path)?;
            if n == 1 {
                marked.push(id);
            }
        }
        tx.commit().at(&path)?;
        Ok(marked)
    }

    /// On open, interrupting dead scans is housekeeping: if another writer
    /// holds the lock for long, leave it to the next open rather than make
    /// a reader wait or fail.
    pub(crate) fn interrupt_dead_scans_on_open(&mut self) -> Result<(), StoreError> {
        let short = Duration::from_millis(500);
        self.conn.busy_timeout(short).at(&self.path)?;
        let result = self.interrupt_dead_scans();
        self.conn
            .busy_timeout(migrations::BUSY_TIMEOUT)
            .at(&self.path)?;
        match result {
            Ok(_) => Ok(()),
            Err(StoreError::Sqlite { source, .. }) if cannot_write_now(&source) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Scans, newest first, at most `limit`.
    pub fn scans(&self, limit: usize) -> Result<Vec<ScanRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.query_scans(
            &format!("SELECT {SCAN_COLUMNS} FROM scans ORDER BY id DESC LIMIT ?1"),
            [limit],
        )
    }

    /// One scan, if it exists.
    pub fn scan(&self, id: i64) -> Result<Option<ScanRecord>, StoreError> {
        Ok(self
            .query_scans(
                &format!("SELECT {SCAN_COLUMNS} FROM scans WHERE id = ?1"),
                [id],
            )?
            .pop())
    }

    /// The newest completed scan, if any.
    pub fn latest_completed_scan(&self) -> Result<Option<ScanRecord>, StoreError> {
        Ok(self
            .query_scans(
                &format!(
                    "SELECT {SCAN_COLUMNS} FROM scans WHERE status = 'completed' \
                     ORDER BY id DESC LIMIT 1"
                ),
                [],
            )?
            .pop())
    }

    fn query_scans<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<Vec<ScanRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).at(&self.path)?;
        let raw: Vec<RawScan> = stmt
            .query_map(params, RawScan::from_row)
            .at(&self.path)?
            .collect::<Result<_, _>>()
            .at(&self.path)?;
        raw.into_iter().map(|r| r.decode(&self.path)).collect()
    }
}

/// Another writer holds the lock, or the file is read-only to us: a
/// reader can still read.
fn cannot_write_now(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(
            rusqlite::ErrorCode::DatabaseBusy
                | rusqlite::ErrorCode::DatabaseLocked
                | rusqlite::ErrorCode::ReadOnly
        )
    )
}
