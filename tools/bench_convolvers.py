#!/usr/bin/env python3
"""Same-run comparison of Refcan's Zero-latency engine with CamillaDSP and fft-convolver.

Writes 60 s of seeded stereo noise at 48 kHz and a seeded 8192-tap IR as raw f32, then for
each block size runs, alternating, round after round:
  refcan bench convolve          (the plugin's engine; prints its processing-loop seconds)
  fftconv_bench                  (fft-convolver 0.4 TwoStageFFTConvolver, same loop shape)
  fftconv_bench --uniform        (fft-convolver 0.4 FFTConvolver)
  camilladsp                     (if found: $CAMILLADSP or on PATH; chunksize = block)
and checks every output against numpy's FFT convolution. Times: the processing loop for the
two Rust programs (their own clock), and user CPU of the whole process for CamillaDSP (it has
no loop timer) and, for a like-for-like column, for refcan too. Best of the rounds.

Run through tools/bench_convolvers.sh (builds the binaries, prepares numpy).
"""

import os
import resource
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATE = 48000
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BLOCKS = [int(b) for b in os.environ.get("BENCH_BLOCKS", "32 64 128 256 512 1024").split()]
TAPS = 8192


def run_timed(cmd):
    """Runs cmd; returns (printed seconds or None, user CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    printed = None
    first = out.stdout.strip().split(" ", 1)[0] if out.stdout.strip() else ""
    try:
        printed = float(first)
    except ValueError:
        pass
    return printed, after - before


def main():
    refcan = os.path.join(ROOT, "target", "release", "refcan")
    fftconv = os.path.join(ROOT, "target", "release", "examples", "fftconv_bench")
    camilla = os.environ.get("CAMILLADSP") or shutil.which("camilladsp")
    for exe in (refcan, fftconv):
        if not os.path.exists(exe):
            sys.exit(f"missing {exe}: run tools/bench_convolvers.sh")
    work = tempfile.mkdtemp(prefix="refcan-bench-")
    rng = np.random.default_rng(2026)
    frames = int(SECONDS * RATE)
    x = (0.25 * rng.standard_normal((frames, 2))).astype(np.float32)
    ir = (rng.standard_normal(TAPS) * np.exp(-np.arange(TAPS) / 1500.0) * 0.05).astype(np.float32)
    in_raw, ir_raw = os.path.join(work, "in.raw"), os.path.join(work, "ir.raw")
    x.tofile(in_raw)
    ir.tofile(ir_raw)
    n = frames + TAPS
    size = 1 << (n - 1).bit_length()
    spec = np.fft.rfft(ir.astype(np.float64), size)
    ref = np.stack(
        [np.fft.irfft(np.fft.rfft(x[:, c].astype(np.float64), size) * spec, size)[:frames] for c in range(2)],
        axis=1,
    )
    print(f"{SECONDS:.0f} s of stereo noise at {RATE} Hz, {TAPS}-tap IR, best of {ROUNDS} rounds")
    print(f"CamillaDSP: {camilla or 'not found (set CAMILLADSP); its columns are skipped'}")

    programs = [
        ("refcan", lambda b, o: [refcan, "bench", "convolve", "--ir", ir_raw, "--block", str(b), in_raw, o]),
        ("two_stage", lambda b, o: [fftconv, "--ir", ir_raw, "--block", str(b), in_raw, o]),
        ("uniform", lambda b, o: [fftconv, "--ir", ir_raw, "--block", str(b), "--uniform", in_raw, o]),
    ]
    rows = []
    worst = {}
    for block in BLOCKS:
        best = {}
        for _ in range(ROUNDS):
            for name, cmd in programs:
                out = os.path.join(work, f"out-{name}.raw")
                loop, cpu = run_timed(cmd(block, out))
                best[name] = min(best.get(name, (1e9, 1e9)), (loop, cpu))
                y = np.fromfile(out, dtype=np.float32).reshape(-1, 2)
                worst[name] = max(worst.get(name, 0.0), float(np.max(np.abs(y - ref))))
            if camilla:
                out = os.path.join(work, "out-camilla.raw")
                conf = os.path.join(work, "conf.yml")
                with open(conf, "w") as f:
                    f.write(
                        "devices:\n"
                        f"  samplerate: {RATE}\n"
                        f"  chunksize: {block}\n"
                        f"  capture: {{ type: RawFile, filename: {in_raw}, format: F32_LE, channels: 2 }}\n"
                        f"  playback: {{ type: File, filename: {out}, format: F32_LE, channels: 2 }}\n"
                        "filters:\n"
                        f"  conv: {{ type: Conv, parameters: {{ type: Raw, filename: {ir_raw}, format: F32_LE }} }}\n"
                        "pipeline:\n"
                        "  - { type: Filter, channels: [0, 1], names: [conv] }\n"
                    )
                _, cpu = run_timed([camilla, "-l", "error", conf])
                best["camilla"] = min(best.get("camilla", (None, 1e9)), (None, cpu), key=lambda t: t[1])
                y = np.fromfile(out, dtype=np.float32).reshape(-1, 2)[:frames]
                worst["camilla"] = max(worst.get("camilla", 0.0), float(np.max(np.abs(y - ref[: len(y)]))))
        rows.append((block, best))

    print()
    print("| block | refcan loop s | two-stage loop s | uniform loop s | refcan/two-stage | refcan/uniform "
          "| refcan process CPU s | CamillaDSP process CPU s | refcan/CamillaDSP |")
    print("|---|---|---|---|---|---|---|---|---|")
    for block, best in rows:
        r, t, u = best["refcan"], best["two_stage"], best["uniform"]
        c = best.get("camilla")
        cam = f"{c[1]:.3f}" if c else "–"
        ratio_c = f"{r[1] / c[1]:.2f}" if c else "–"
        print(f"| {block} | {r[0]:.3f} | {t[0]:.3f} | {u[0]:.3f} | {r[0] / t[0]:.2f} | {r[0] / u[0]:.2f} "
              f"| {r[1]:.3f} | {cam} | {ratio_c} |")
    print()
    for name, err in worst.items():
        print(f"max |output − numpy convolution| {name}: {err:.2e}")
    bad = [name for name, err in worst.items() if err > 1e-4]
    if bad:
        sys.exit(f"outputs differ from the reference convolution: {bad}")


if __name__ == "__main__":
    main()
