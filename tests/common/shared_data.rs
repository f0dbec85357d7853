//! The measurement data beside the repository (`../shared/data`, or `$REFCAN_SHARED/data`),
//! read at run time and never copied into the repository.
//!
//! A test that needs it calls [`data_dir`]: when the folder is missing the test is skipped
//! with a message, unless `REFCAN_REQUIRE_SHARED_DATA=1` (as `.ci/run` sets it), where the
//! test fails instead, so CI cannot pass without having compared anything.
//!
//! Included with `mod common;` or, by files that need nothing else from `common`, with
//! `#[path = "common/shared_data.rs"] mod shared_data;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Set to `1` to make a missing data folder a test failure instead of a skip.
pub const REQUIRE_ENV: &str = "REFCAN_REQUIRE_SHARED_DATA";

/// True when `REFCAN_REQUIRE_SHARED_DATA=1`.
pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// `../shared` next to the repository, or `$REFCAN_SHARED`.
pub fn shared_root() -> PathBuf {
    std::env::var("REFCAN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// `<shared>/data/<sub>` when it is a folder. When it is missing: `None` after a message (the
/// caller returns, skipping its comparison), or a panic naming the folder when
/// `REFCAN_REQUIRE_SHARED_DATA=1`.
pub fn data_dir(sub: &str) -> Option<PathBuf> {
    let dir = shared_root().join("data").join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !required(),
        "{} is missing and {REQUIRE_ENV}=1: this test compares with that data",
        dir.display()
    );
    println!(
        "skipped: {} is missing (set {REQUIRE_ENV}=1 to make this a failure)",
        dir.display()
    );
    None
}
