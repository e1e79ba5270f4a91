//! The embedded store: scan history, each scan's inventory, and the finding
//! lifecycle, in one SQLite file.
//!
//! Why SQLite: one file a user can copy, back up or delete, no server, and
//! a write-ahead log so that `rampart findings` in one terminal reads while
//! `rampart scan` writes in another. The schema is versioned by embedded
//! migrations (see [`SCHEMA_VERSION`]); a file written by a newer Rampart is
//! refused with a clear error rather than misread.
//!
//! # Crash safety
//! A scan is registered as `running`, with its writer's pid and host, in a
//! transaction of its own before any work starts. Its inventory is written
//! in one transaction ([`Store::save_inventory`]) and its results, the
//! lifecycle changes and the summary in another ([`Store::complete_scan`]).
//! A writer killed at any point therefore leaves every earlier scan intact,
//! and its own scan `running`; the next [`Store::open`] on the same host
//! sees that the writer is gone and marks the scan `interrupted`.
//!
//! # Finding lifecycle
//! A finding (one rule on one resource, [`rampart_findings::finding_id`])
//! is `opened` the first time it fails, `resolved` when it later passes or
//! disappears from a scan that covered its rule, account and region, and
//! `reopened` when it fails again. `muted` counts as failing; `error` changes
//! nothing, because it says we could not tell. See [`Store::complete_scan`].
//!
//! # Reading
//! [`Store::findings`] gives one scan's results; [`Store::current_findings`]
//! gives every finding's latest result, which is where things stand when
//! some scans were narrowed to a service or region. Both carry the
//! lifecycle as of now. [`Store::finding_history`],
//! [`Store::finding_results`] and [`Store::finding_events_between`] give
//! the history behind MTTR and "opened and closed this month".
//!
//! # Storage
//! Tables: `scans`; `scan_inventories` (scope and collection errors of a
//! saved inventory), `scan_resources` (each scan's resources in order) and
//! `resource_docs` (tags, props and prop errors as JSON text, stored once
//! per distinct content, keyed by a hash, so an unchanged resource costs
//! one short row per scan); `findings` (one row per finding id with its
//! lifecycle), `scan_results` (each scan's status, severity and reason per
//! finding, by integer key) and `finding_events`. Measured with
//! `examples/store_size.rs`: 10,000 resources and 50,000 results make a
//! ~25 MB file after the first scan and ~4.6 MB more per scan;
//! [`Store::prune_inventories`] drops old inventories.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

mod error;
mod findings;
mod inventory;
mod lifecycle;
mod migrations;
mod mutes;
mod process;
mod scans;
mod time;

pub use error::StoreError;
pub use findings::{
    FindingEvent, FindingEventKind, FindingFilter, FindingLifecycle, FindingResult, LifecycleState,
};
pub use migrations::SCHEMA_VERSION;
pub use mutes::{Mute, NewMute, apply_mutes};
pub use process::{hostname, who};
pub use scans::{CompletedScan, NewScan, ScanRecord, ScanStatus};

/// The environment variable naming the database file.
pub const DB_ENV: &str = "RAMPART_DB";

/// An open database. Reads take `&self`; writes take `&mut self` and each
/// is one transaction.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    host: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens the database at `path`, creating it and its parent directories
    /// if needed, migrating it to this build's schema, and marking scans
    /// whose writer died on this host as `interrupted`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let conn = migrations::connect(path)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            host: process::hostname(),
        };
        store.interrupt_dead_scans_on_open()?;
        Ok(store)
    }

    /// `RAMPART_DB` when set and not empty, else `rampart.db` in the
    /// user's data directory (`~/.local/share/rampart` on Linux,
    /// `~/Library/Application Support/rampart` on macOS). Directories are
    /// created by [`Store::open`], not here.
    pub fn default_path() -> Result<PathBuf, StoreError> {
        default_path_from(std::env::var_os(DB_ENV))
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn default_path_from(env: Option<std::ffi::OsString>) -> Result<PathBuf, StoreError> {
    if let Some(p) = env.filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "rampart")
        .map(|d| d.data_dir().join("rampart.db"))
        .ok_or(StoreError::NoDataDir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_prefers_the_environment() {
        let p = default_path_from(Some("/tmp/x/r.db".into())).unwrap();
        assert_eq!(p, PathBuf::from("/tmp/x/r.db"));
        // Empty means unset.
        if let Ok(p) = default_path_from(Some("".into())) {
            assert!(p.ends_with("rampart.db"), "{}", p.display());
        }
    }
}
