//! The default database path. Its own test binary, because it sets an
//! environment variable for the whole process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_store::{DB_ENV, Store};

#[test]
fn default_path_honours_rampart_db_and_falls_back_to_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let wanted = dir.path().join("nested/dir/custom.db");
    // SAFETY: this test binary has this one test; no other thread reads
    // the environment meanwhile.
    unsafe { std::env::set_var(DB_ENV, &wanted) };
    let path = Store::default_path().unwrap();
    assert_eq!(path, wanted);
    // Opening it creates the parent directories.
    let store = Store::open(&path).unwrap();
    assert!(wanted.exists());
    drop(store);

    // Unset (or empty): the user's data directory.
    unsafe { std::env::set_var(DB_ENV, "") };
    let fallback = Store::default_path().unwrap();
    assert!(
        fallback.ends_with("rampart/rampart.db"),
        "{}",
        fallback.display()
    );
    unsafe { std::env::remove_var(DB_ENV) };
    assert_eq!(Store::default_path().unwrap(), fallback);
}
