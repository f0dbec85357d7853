//! Shared pieces of the host-level integration tests: a small CLAP host on clack-host
//! ([`host`]), a tiny VST3 host ([`vst3_host`]), test signals and measurements ([`signal`]),
//! and [`isolated`], which runs a test scenario in a child process so that an abort inside the
//! plugin (for example nice-plug's `assert_process_allocs` catching an allocation in
//! `process()`) fails that scenario by name instead of killing the whole test binary.
//!
//! Use it from a test file with `mod common;`. Not every test file uses every helper.
#![allow(dead_code)]

pub mod activate;
pub mod fixtures;
pub mod host;
pub mod loudness;
pub mod memory;
pub mod offline;
pub mod pink;
pub mod shared_data;
pub mod signal;
pub mod vst3_host;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming the one scenario a child test process runs in-process.
pub const SCENARIO_ENV: &str = "REFCAN_TEST_SCENARIO";

/// Printed by a child after its scenario body returned; the parent requires it, so a child
/// that ran nothing (a misspelt name) cannot pass.
const DONE_MARKER: &str = "REFCAN-SCENARIO-DONE:";

/// A child scenario that runs longer than this is killed and reported as hung.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs `body` as the scenario `name` in a fresh child process (this test binary re-executed
/// with `--exact name`), and fails with the scenario's name, exit status or signal and the tail
/// of its output if the child panics or aborts. `name` must be the name of the calling `#[test]`
/// function (its path inside the test crate).
///
/// In the child (where [`SCENARIO_ENV`] equals `name`) the body runs directly.
pub fn isolated(name: &str, body: impl FnOnce()) {
    match std::env::var(SCENARIO_ENV) {
        Ok(current) if current == name => {
            body();
            println!("{DONE_MARKER}{name}");
            return;
        }
        Ok(current) => panic!(
            "scenario `{name}` started inside the child process of scenario `{current}`; \
             the `isolated` name does not match the test function name"
        ),
        Err(_) => {}
    }

    let exe = std::env::current_exe().expect("the test binary knows its own path");
    let mut child = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(SCENARIO_ENV, name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("scenario `{name}`: could not start the child process: {e}"));

    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > SCENARIO_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("scenario `{name}`: waiting for the child failed: {e}"),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();

    // Relay what the child measured, so `--nocapture` shows it, as one block so that parallel
    // scenarios do not interleave.
    let mut report = String::new();
    for line in stdout.lines() {
        // The child's harness prints "test <name> ... " without a newline before the output.
        let line = match line.split_once(" ... ") {
            Some((head, rest)) if head.starts_with("test ") => rest,
            _ => line,
        };
        let noise = line.starts_with("running ")
            || line.starts_with("test result:")
            || line.starts_with(DONE_MARKER)
            || matches!(line.trim(), "" | "ok" | "FAILED" | "failures:");
        if !noise {
            report.push_str(&format!("[{name}] {line}\n"));
        }
    }
    print!("{report}");

    let finished = stdout.contains(&format!("{DONE_MARKER}{name}"));
    let ok = status.is_some_and(|s| s.success());
    if ok && finished {
        return;
    }
    let why = match status {
        None => format!("hung: killed after {} s", SCENARIO_TIMEOUT.as_secs()),
        Some(s) => describe_exit(s),
    };
    panic!(
        "scenario `{name}` failed in its child process: {why}{}\n--- child stderr (tail) ---\n{}\n\
         --- child stdout (tail) ---\n{}",
        if ok && !finished {
            " (it exited cleanly but never ran the scenario body: is the name right?)"
        } else {
            ""
        },
        tail(&stderr, 40),
        tail(&stdout, 40),
    );
}

/// Reads a child's pipe to the end on a helper thread.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// A readable account of how a child ended, naming the usual abort signals.
fn describe_exit(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let what = match signal {
                6 => {
                    "SIGABRT: an abort inside the plugin or host, e.g. an allocation inside \
                     process() caught by assert_process_allocs, or a panic across the C ABI"
                }
                11 => "SIGSEGV: invalid memory access",
                9 => "SIGKILL",
                _ => "signal",
            };
            return format!("killed by signal {signal} ({what})");
        }
    }
    match status.code() {
        Some(101) => "a panic or failed assertion (exit code 101)".to_string(),
        Some(code) => format!("exit code {code}"),
        None => "no exit code".to_string(),
    }
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
