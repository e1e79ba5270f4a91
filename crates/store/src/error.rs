//! Typed errors. Every message names the database file, because the first
//! question after "it failed" is "which file?".

use std::path::{Path, PathBuf};

use crate::scans::ScanStatus;

/// Anything the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("cannot create directory {path} for the database: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "database {path} has schema version {found}, newer than this Rampart supports \
         (up to {supported}): it was written by a newer Rampart; upgrade, or pass another --db"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("{path} is not a Rampart database ({why}); pass another --db")]
    NotRampart { path: PathBuf, why: String },

    #[error("cannot migrate database {path} to schema version {version}: {source}")]
    Migration {
        path: PathBuf,
        version: i64,
        #[source]
        source: rusqlite::Error,
    },

    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("database {path}: cannot encode or decode {what} as JSON: {source}")]
    Json {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },

    #[error("database {path}: unexpected value {value:?} in {what}")]
    Corrupt {
        path: PathBuf,
        what: &'static str,
        value: String,
    },

    #[error("database {path}: no scan with id {id}")]
    ScanNotFound { path: PathBuf, id: i64 },

    #[error("database {path}: scan {id} is {status}, not running")]
    ScanNotRunning {
        path: PathBuf,
        id: i64,
        status: ScanStatus,
    },

    #[error("database {path}: scan {id} has no saved inventory")]
    NoInventory { path: PathBuf, id: i64 },

    #[error("{0}")]
    Invalid(String),

    #[error(
        "no data directory could be determined for this user: set RAMPART_DB or pass --db PATH"
    )]
    NoDataDir,
}

/// Attaches the database path to lower-level errors.
pub(crate) trait At<T> {
    fn at(self, path: &Path) -> Result<T, StoreError>;
}

impl<T> At<T> for Result<T, rusqlite::Error> {
    fn at(self, path: &Path) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// JSON encoding and decoding with the path and what was being handled.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(
    path: &Path,
    what: &'static str,
    value: &T,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Json {
        path: path.to_path_buf(),
        what,
        source,
    })
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Json {
        path: path.to_path_buf(),
        what,
        source,
    })
}

pub(crate) fn corrupt(path: &Path, what: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        what,
        value: value.into(),
    }
}
