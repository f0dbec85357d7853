#!/usr/bin/env bash
# Builds `refcan` and the fft-convolver peer in release, prepares numpy in .venv, and runs
# tools/bench_convolvers.py (same-run comparison with CamillaDSP and fft-convolver). CamillaDSP
# is a separate tool: install it with
#   apt-get install -y libasound2-dev && cargo install camilladsp --version 5.0.0-beta.1 --root <dir>
# and pass CAMILLADSP=<dir>/bin/camilladsp. BENCH_SECONDS, BENCH_ROUNDS, BENCH_BLOCKS override
# the defaults (60 s, 3 rounds, 32 … 1024).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin refcan --example fftconv_bench
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check "numpy>=1.24"
exec .venv/bin/python tools/bench_convolvers.py
