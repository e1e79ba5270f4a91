//! Opening the file: pragmas, the schema check and migrations.
//!
//! Migrations are SQL files under `migrations/`, embedded at build time and
//! applied in order inside one `BEGIN IMMEDIATE` transaction, so two
//! processes opening a new file at once cannot both migrate it. The schema
//! version is `PRAGMA user_version`; `PRAGMA application_id` marks the file
//! as Rampart's, so that `--db` pointing at some other SQLite file is
//! refused instead of being filled with our tables.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::StoreError;

/// "RAMP" in ASCII.
pub(crate) const APPLICATION_ID: i32 = 0x5241_4D50;

/// How long a writer waits for another writer before giving up.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// The migrations, in order: entry `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_inventory_resource_types.sql"),
    include_str!("../migrations/0003_risk_and_mutes.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(crate) fn connect(path: &Path) -> Result<Connection, StoreError> {
    let open_err = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(open_err)?;

    // The first read of the header: a file that is not SQLite fails here.
    // One read transaction, so that the application id, the version and
    // the table count come from the same snapshot even while another
    // process is creating the schema.
    let version = {
        let snapshot = conn.unchecked_transaction().map_err(open_err)?;
        let (app_id, version) = header(&snapshot).map_err(open_err)?;
        check_header(&snapshot, path, app_id, version).map_err(|e| match e {
            CheckError::Sqlite(source) => open_err(source),
            CheckError::Store(e) => e,
        })?;
        snapshot.commit().map_err(open_err)?;
        version
    };

    // WAL lets readers (`rampart findings` in another terminal) read while
    // a scan writes. The mode is persistent; set it only when it is not.
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .map_err(open_err)?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(open_err)?;
    }
    // In WAL mode NORMAL is safe against process crashes (kill -9); only a
    // power loss can drop the last committed transactions.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(open_err)?;
    // 32 MiB of page cache (the default is 2 MiB): completing a scan of
    // 50,000 results touches random pages of the findings id index.
    conn.pragma_update(None, "cache_size", -32_768)
        .map_err(open_err)?;

    if version < SCHEMA_VERSION {
        migrate(&mut conn, path)?;
    }
    Ok(conn)
}

fn header(conn: &Connection) -> rusqlite::Result<(i32, i64)> {
    let app_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok((app_id, version))
}

enum CheckError {
    Sqlite(rusqlite::Error),
    Store(StoreError),
}

fn check_header(
    conn: &Connection,
    path: &Path,
    app_id: i32,
    version: i64,
) -> Result<(), CheckError> {
    let not_ours = |why: String| {
        CheckError::Store(StoreError::NotRampart {
            path: path.to_path_buf(),
            why,
        })
    };
    if app_id == APPLICATION_ID {
        if version > SCHEMA_VERSION {
            return Err(CheckError::Store(StoreError::SchemaTooNew {
                path: path.to_path_buf(),
                found: version,
                supported: SCHEMA_VERSION,
            }));
        }
        return Ok(());
    }
    if app_id != 0 {
        return Err(not_ours(format!("its application id is {app_id:#x}")));
    }
    if version != 0 {
        return Err(not_ours(format!(
            "it has schema version {version} but no Rampart application id"
        )));
    }
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(CheckError::Sqlite)?;
    if tables > 0 {
        return Err(not_ours(format!(
            "it already holds {tables} schema objects of another application"
        )));
    }
    Ok(())
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let fail = |version, source| StoreError::Migration {
        path: path.to_path_buf(),
        version,
        source,
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| fail(SCHEMA_VERSION, e))?;
    // Another process may have migrated while we waited for the lock.
    let (app_id, current) = header(&tx).map_err(|e| fail(SCHEMA_VERSION, e))?;
    check_header(&tx, path, app_id, current).map_err(|e| match e {
        CheckError::Sqlite(source) => fail(SCHEMA_VERSION, source),
        CheckError::Store(e) => e,
    })?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current {
            continue;
        }
        tx.execute_batch(sql).map_err(|e| fail(version, e))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(|e| fail(version, e))?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(|e| fail(SCHEMA_VERSION, e))?;
    tx.commit().map_err(|e| fail(SCHEMA_VERSION, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_to_an_empty_database_and_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        drop(connect(&path).unwrap());
        let conn = connect(&path).unwrap();
        assert_eq!(header(&conn).unwrap(), (APPLICATION_ID, SCHEMA_VERSION));
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn another_applications_database_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let other = Connection::open(&path).unwrap();
        other.execute_batch("CREATE TABLE t (x)").unwrap();
        drop(other);
        let err = connect(&path).unwrap_err();
        assert!(matches!(err, StoreError::NotRampart { .. }), "{err}");
        assert!(err.to_string().contains("other.db"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_an_open_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.db");
        std::fs::write(
            &path,
            "these are not the pages you are looking for, ".repeat(50),
        )
        .unwrap();
        let err = connect(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("cannot open database "), "{msg}");
        assert!(msg.contains("notes.db"), "{msg}");
    }
}
