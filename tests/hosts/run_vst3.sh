#!/usr/bin/env bash
# VST3 host test: bundle Refcan in *debug* (so nice-plug's assert_process_allocs is active) and
# run tests/hosts/test_vst3.py in pedalboard from a venv this script creates in .venv/.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check "pedalboard>=0.9,<0.10" "numpy>=1.24" "pyloudnorm==0.1.1"
if [ "${REFCAN_SKIP_BUNDLE:-0}" != 1 ]; then
  cargo xtask bundle refcan
fi
# The test writes presets and reference curves with the CLI (debug build).
cargo build --bin refcan
# Cargo and the bundler write under $CARGO_TARGET_DIR when it is set (relative to here).
target=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
export REFCAN_BIN="$target/debug/refcan"
export REFCAN_VST3="${REFCAN_VST3:-$target/bundled/Refcan.vst3}"
exec .venv/bin/python tests/hosts/test_vst3.py
