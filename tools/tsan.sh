#!/usr/bin/env bash
# Runs the concurrency test (src/concurrency_tests.rs) under ThreadSanitizer: the audio thread
# plays while editor, host-save and designer threads work on the same instance, and TSan
# reports any data race. Needs the nightly toolchain with rust-src
# (`rustup component add rust-src --toolchain nightly`): std is rebuilt with the sanitizer.
#
#   tools/tsan.sh                         # the CI-sized run (3 storms of 400 ms)
#   REFCAN_CONCURRENCY_ROUNDS=40 REFCAN_CONCURRENCY_STORM_MS=3000 tools/tsan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target="$(rustc +nightly -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Zsanitizer=thread"
export RUSTDOCFLAGS="-Zsanitizer=thread"
# Stop at the first report, so a race fails the run instead of scrolling past.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/tsan}"
exec cargo +nightly test -Zbuild-std --target "$target" --lib concurrency_tests -- --nocapture "$@"
