//! Proves that the host tests run with nice-plug's `assert_process_allocs` armed: with the
//! debug-only allocation probe switched on (`REFCAN_ALLOC_PROBE=1` when the instance is
//! created, see `refcan::Refcan`), `process()` allocates and the CLAP host (clack-host,
//! `tests/common/host.rs`) must be aborted by nice-plug with its allocation message; the same
//! library without the probe processes the same audio and exits cleanly. Each run is a child
//! process (this test binary re-executed), since the abort takes the whole process down.
//!
//! The VST3 side (pedalboard) is checked the same way in `tests/hosts/test_vst3.py`.

mod common;

use common::host::Plugin;
use common::signal::{Rng, noise};
use std::process::{Command, Output, Stdio};

/// Set in the child: run the host body instead of spawning.
const CHILD_ENV: &str = "REFCAN_ALLOC_PROBE_CHILD";
/// Printed by the child once its audio came back from the plugin.
const PROCESSED: &str = "REFCAN-ALLOC-PROBE: processed";
/// nice-plug's allocation check (nice-assert-no-alloc) logs "Memory allocation of 64 bytes
/// failed from: <backtrace>" and then calls `handle_alloc_error`, whose hook prints "memory
/// allocation of 64 bytes failed" and aborts; matched without case, so either line counts.
/// (64 bytes is the probe's allocation: no real out-of-memory fails on 64 bytes.)
const NICE_PLUG_MESSAGE: &str = "memory allocation of 64 bytes failed";

const TEST_NAME: &str = "an_allocation_in_process_aborts_the_clap_host";

/// Loads the plugin in the CLAP host, activates it and processes a few blocks.
fn host_body() {
    let mut p = Plugin::new().expect("load the plugin");
    p.activate(48_000.0, 512).expect("activate");
    let input = noise(&mut Rng::new(5), 2, 4096, 0.25);
    let out = p.process(&input, &[512], &[]).expect("process");
    assert_eq!(out.len(), 2);
    println!("{PROCESSED}");
}

fn run_child(probe: bool) -> Output {
    let exe = std::env::current_exe().expect("the test binary knows its own path");
    let mut cmd = Command::new(exe);
    cmd.args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env_remove(refcan::ALLOC_PROBE_ENV)
        .stdin(Stdio::null());
    if probe {
        cmd.env(refcan::ALLOC_PROBE_ENV, "1");
    }
    cmd.output().expect("start the child process")
}

#[cfg(unix)]
fn signal_of(out: &Output) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    out.status.signal()
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the probe and assert_process_allocs exist in debug builds only"
)]
fn an_allocation_in_process_aborts_the_clap_host() {
    if std::env::var_os(CHILD_ENV).is_some() {
        host_body();
        return;
    }
    let text = |o: &Output| {
        format!(
            "status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    let clean = run_child(false);
    let clean_stdout = String::from_utf8_lossy(&clean.stdout);
    assert!(
        clean.status.success() && clean_stdout.contains(PROCESSED),
        "without the probe the host must process and exit cleanly: {}",
        text(&clean)
    );
    println!("without the probe: {}, audio processed", clean.status);

    let probed = run_child(true);
    let stdout = String::from_utf8_lossy(&probed.stdout);
    let stderr = String::from_utf8_lossy(&probed.stderr);
    assert_eq!(
        signal_of(&probed),
        Some(6),
        "with the probe the host must die of SIGABRT: {}",
        text(&probed)
    );
    assert!(
        stderr.to_lowercase().contains(NICE_PLUG_MESSAGE),
        "the abort must be nice-plug's allocation check: {}",
        text(&probed)
    );
    assert!(
        !stdout.contains(PROCESSED),
        "no audio may come back: {}",
        text(&probed)
    );
    let line = stderr
        .lines()
        .find(|l| l.to_lowercase().contains(NICE_PLUG_MESSAGE))
        .unwrap_or_default();
    println!("with the probe: killed by SIGABRT after `{}`", line.trim());
}
