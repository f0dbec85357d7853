#!/usr/bin/env python3
"""VST3 host test: load target/bundled/Refcan.vst3 in pedalboard (JUCE's VST3 hosting) and
check the plugin by measuring the audio it returns.

Run through tests/hosts/run_vst3.sh, which builds the bundle and prepares a venv. The bundle is
expected to be a *debug* build (nice-plug's `assert_process_allocs` aborts the process on any
allocation inside process(), which fails this script).
"""

import csv
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np
import pedalboard
import pyloudnorm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUNDLE = os.environ.get("REFCAN_VST3", os.path.join(ROOT, "target", "bundled", "Refcan.vst3"))
REFCAN = os.environ.get("REFCAN_BIN", os.path.join(ROOT, "target", "debug", "refcan"))
TARGET = "harman_in_room_flat_2013"

RATES = [44100, 48000, 96000]
BLOCKS = [1, 31, 64, 512, 4096]
SETTLE_S = 0.1  # longer than the 20 ms trim smoothing and the 10 ms switch crossfades

failures = []
figures = []


def check(cond, what):
    if cond:
        print(f"  ok   {what}")
    else:
        print(f"  FAIL {what}")
        failures.append(what)


def set_gain(p, gain_db):
    """Sets output_gain exactly through the normalised value: pedalboard snaps values set by
    attribute to the ~0.035 dB grid it infers from the parameter's text, which is its
    approximation, not the plugin's."""
    p.parameters["output_gain_db"].raw_value = (gain_db + 24.0) / 36.0


def set_switch(p, name, on):
    p.parameters[name].raw_value = 1.0 if on else 0.0


def switch(p, name):
    return p.parameters[name].raw_value >= 0.5


def gain_of(p):
    return p.parameters["output_gain_db"].raw_value * 36.0 - 24.0


_TRANSPARENT = None


def transparent_state():
    """A plugin state with no headphone, eight identity slots (so the reference is unity and
    the common preamp 0 dB) and offline rendering opted in: pedalboard always renders offline,
    and the scenarios that test trim, mono, bypass and state machinery compare with the input."""
    global _TRANSPARENT
    if _TRANSPARENT is None:
        folder = tempfile.mkdtemp(prefix="refcan-vst3-base-")
        path = os.path.join(folder, "base.json")
        refcan("preset", "--offline-render", "process", "-o", path)
        with open(path) as f:
            state = json.load(f)
        doc = json.loads(state["fields"]["refcan"])
        identity = {"simulation": {"id": "identity", "name": "Identity",
                                   "simulation": {"filters": [], "band_limit": {}, "mono": False}}}
        doc["slots"] = [identity] * 8
        state["fields"]["refcan"] = json.dumps(doc)
        _TRANSPARENT = json.dumps(state).encode()
    return _TRANSPARENT


def load(state=None):
    """A fresh instance with `state` (default: the transparent one) as its component state."""
    p = pedalboard.load_plugin(BUNDLE)
    p.preset_data = with_component_state(p.preset_data, state if state is not None else transparent_state())
    return p


def noise(rate, seconds=0.5, channels=2, seed=1):
    rng = np.random.default_rng(seed)
    return (0.25 * rng.standard_normal((channels, int(rate * seconds)))).astype(np.float32)


def sines(rate, seconds=0.5):
    t = np.arange(int(rate * seconds)) / rate
    left = 0.5 * np.sin(2 * math.pi * 997.0 * t)
    right = 0.3 * np.sin(2 * math.pi * 211.0 * t + 0.4)
    return np.stack([left, right]).astype(np.float32)


def rms_db(x):
    return 10 * math.log10(float(np.mean(np.square(x.astype(np.float64)))))


def test_parameters():
    print("parameters")
    p = load()
    names = set(p.parameters.keys())
    for name in ["bypass", "output_gain_db", "mono", "correct", "amount", "target", "filter_mode",
                 "room_gain_db", "pinna_gain", "tilt_db_oct", "treble_db", "listen", "level_match"]:
        check(name in names, f"parameter {name} exists (have {sorted(names)})")
    check(p.parameters["filter_mode"].string_value == "Zero latency", "filter mode defaults to Zero latency")
    check(p.parameters["target"].string_value == "Harman in-room flat 2013", "target defaults to Harman in-room flat")
    check(p.reported_latency_samples == 0, "reports 0 samples of latency")
    # Text <-> value: set by value, read the text back, set the text again.
    for value in [-24.0, -6.02, 0.0, 3.5, 12.0]:
        set_gain(p, value)
        got = gain_of(p)
        text = p.parameters["output_gain_db"].string_value
        check(abs(got - value) < 1e-5, f"output_gain set {value} reads back {got:.5f} ({text!r})")
        check(abs(float(text) - value) < 0.006, f"output_gain text {text!r} matches {value}")
    set_switch(p, "mono", True)
    check(switch(p, "mono") and p.parameters["mono"].string_value == "Mono", "mono reads back Mono")
    set_switch(p, "mono", False)
    check(not switch(p, "mono") and p.parameters["mono"].string_value == "Stereo", "mono reads back Stereo")


def test_output_gain():
    print("output gain measured")
    p = load()
    worst = 0.0
    for rate in RATES:
        x = noise(rate)
        skip = int(SETTLE_S * rate)
        for gain_db in [-24.0, -6.02, 0.0, 3.5, 12.0]:
            for block in [64, 512]:
                set_gain(p, gain_db)
                y = p.process(x, rate, buffer_size=block, reset=True)
                measured = rms_db(y[:, skip:]) - rms_db(x[:, skip:])
                err = abs(measured - gain_db)
                worst = max(worst, err)
                check(err < 0.01, f"{rate} Hz block {block}: set {gain_db:+.2f} dB, measured {measured:+.4f} dB")
    figures.append(f"output gain: worst error {worst:.5f} dB over 3 rates x 5 settings x 2 block sizes")


def test_bypass_and_block_sizes():
    print("bypass equals input, all block sizes")
    p = load()
    for rate in RATES:
        x = sines(rate)
        skip = int(SETTLE_S * rate)
        for block in BLOCKS:
            set_gain(p, -9.0)
            set_switch(p, "bypass", True)
            y = p.process(x, rate, buffer_size=block, reset=True)
            check(np.array_equal(y[:, skip:], x[:, skip:]), f"{rate} Hz block {block}: bypassed output == input")
            set_switch(p, "bypass", False)
            y = p.process(x, rate, buffer_size=block, reset=True)
            measured = rms_db(y[:, skip:]) - rms_db(x[:, skip:])
            check(abs(measured + 9.0) < 0.01, f"{rate} Hz block {block}: active, measured {measured:+.4f} dB")


def test_mono():
    print("mono check")
    p = load()
    for rate in RATES:
        x = noise(rate, seed=7)
        skip = int(SETTLE_S * rate)
        set_gain(p, 0.0)
        set_switch(p, "mono", True)
        y = p.process(x, rate, buffer_size=512, reset=True)
        check(np.array_equal(y[0, skip:], y[1, skip:]), f"{rate} Hz: L == R")
        mid = 0.5 * (x[0] + x[1])
        err = float(np.max(np.abs(y[0, skip:] - mid[skip:])))
        check(err < 1e-6, f"{rate} Hz: output = (L+R)/2 (max error {err:.2e})")
        set_switch(p, "mono", False)
        y = p.process(x, rate, buffer_size=512, reset=True)
        check(not np.array_equal(y[0, skip:], y[1, skip:]), f"{rate} Hz: mono off keeps stereo")


def test_random_parameters_stay_finite():
    print("random parameters, noise input")
    rng = np.random.default_rng(3)
    p = load()
    bad = []
    rounds = 0
    for i in range(40):
        rate = int(rng.choice(RATES))
        block = int(rng.integers(1, 3000))
        set_gain(p, float(rng.uniform(-24.0, 12.0)))
        set_switch(p, "mono", bool(rng.integers(0, 2)))
        set_switch(p, "bypass", bool(rng.integers(0, 2)))
        x = noise(rate, seconds=0.05, seed=i) * float(rng.uniform(0.0, 4.0))
        y = p.process(x, rate, buffer_size=block, reset=bool(rng.integers(0, 2)))
        finite = bool(np.all(np.isfinite(y)))
        nz = np.abs(y[y != 0])
        subnormal = bool(np.any(nz < np.finfo(np.float32).tiny)) if nz.size else False
        rounds += 1
        if not finite or subnormal:
            bad.append(f"round {i}: finite={finite} subnormal={subnormal}")
    check(rounds == 40 and not bad, f"{rounds} random rounds: no NaN, inf or subnormal output {bad}")
    # Non-finite input must not reach the output or poison later blocks.
    x = noise(48000, seconds=0.1)
    x[0, 100] = np.nan
    x[1, 200] = np.inf
    y = p.process(x, 48000, buffer_size=256, reset=True)
    check(bool(np.all(np.isfinite(y))), "NaN/inf input samples are not passed on")


# JUCE's MemoryBlock::toBase64Encoding alphabet (juce_MemoryBlock.cpp).
JUCE_BASE64 = ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+"


def juce_component_state(raw):
    """The plugin's component state inside pedalboard's raw_state: JUCE's VST3 state is
    "VC2!", a length, then XML whose <IComponent> holds "<size>.<chars>", the bytes as a
    little-endian bit stream of 6-bit digits in JUCE's own base64 alphabet."""
    found = re.search(rb"<IComponent>([0-9]+)\.([^<]*)</IComponent>", raw)
    if raw[:4] != b"VC2!" or found is None:
        raise ValueError("not a JUCE VST3 state with an IComponent")
    size, chars = int(found.group(1)), found.group(2).decode("ascii")
    bits = 0
    for i, c in enumerate(chars):
        bits |= JUCE_BASE64.index(c) << (6 * i)
    return bits.to_bytes((6 * len(chars) + 7) // 8, "little")[:size]


def test_state_round_trip():
    print("raw_state round trip")
    a = load()
    set_gain(a, -7.25)
    set_switch(a, "mono", True)
    # VST3 delivers controller-side changes to the processor with the next process call, as in
    # a DAW where the transport or the audio engine runs before a project is saved.
    a.process(np.zeros((2, 64), np.float32), 48000)
    state = a.raw_state
    # The blob is JUCE's VST3 state; its IComponent part is Refcan's own state, nice-plug's
    # JSON: the parameters just set (plain values) and the state document (JSON text in the
    # `refcan` field) with the transparent slots load() installed.
    try:
        saved = json.loads(juce_component_state(state))
        params = saved["params"]
        doc = json.loads(saved["fields"]["refcan"])
        saved_gain = params["output_gain"]["f32"]
        saved_mono = params["mono"]["bool"]
        saved_slots = [s["simulation"]["id"] for s in doc["slots"]]
        saved_offline = doc["offline_render"]
    except (ValueError, KeyError, TypeError) as exc:
        saved_gain, saved_mono, saved_slots, saved_offline = None, None, None, None
        print(f"  (raw_state is not the expected state document: {exc!r}: {state[:200]!r})")
    check(saved_gain is not None and abs(saved_gain + 7.25) < 1e-5 and saved_mono is True
          and saved_slots == ["identity"] * 8 and saved_offline == "process",
          f"raw_state ({len(state)} bytes) holds output_gain {saved_gain}, mono {saved_mono}, "
          f"slots {saved_slots}, offline_render {saved_offline}")
    b = pedalboard.load_plugin(BUNDLE)
    b.raw_state = state
    check(abs(gain_of(b) + 7.25) < 1e-5, f"restored output_gain = {gain_of(b):.5f}")
    check(switch(b, "mono"), "restored mono = on")
    x = noise(48000, seed=11)
    ya = a.process(x, 48000, buffer_size=512, reset=True)
    yb = b.process(x, 48000, buffer_size=512, reset=True)
    check(np.array_equal(ya, yb), "restored instance processes identically")
    # ...and what both play is the saved settings, not two instances at their defaults (which
    # would also be identical): (L+R)/2 on both channels at -7.25 dB, the transparent slots.
    skip = int(SETTLE_S * 48000)
    want = 0.5 * (x[0] + x[1]) * 10 ** (-7.25 / 20)
    err = float(max(np.max(np.abs(yb[ch, skip:] - want[skip:])) for ch in range(2)))
    check(err < 1e-5, f"restored instance plays mono at -7.25 dB (max error {err:.2e})")
    # A corrupted state blob: refused or ignored, and the plugin keeps working as before.
    c = load()
    set_gain(c, -3.0)
    c.process(np.zeros((2, 64), np.float32), 48000)
    try:
        c.raw_state = b"this is not a Refcan state" * 10
    except Exception as exc:  # pedalboard may raise; either way the plugin must keep working
        print(f"  (corrupted state raised: {type(exc).__name__})")
    y = c.process(x, 48000, buffer_size=512, reset=True)
    skip = int(SETTLE_S * 48000)
    measured = rms_db(y[:, skip:]) - rms_db(x[:, skip:])
    check(abs(measured + 3.0) < 0.01, f"after a corrupted state the plugin still works ({measured:+.4f} dB)")


def test_mono_layout():
    print("mono (1-channel) layout")
    p = load()
    x = noise(48000, channels=1, seed=5)
    set_gain(p, -6.0)
    try:
        y = p.process(x, 48000, buffer_size=512, reset=True)
    except Exception as exc:
        check(False, f"mono layout processes ({exc})")
        return
    skip = int(SETTLE_S * 48000)
    measured = rms_db(y[:, skip:]) - rms_db(x[:, skip:])
    check(y.shape[0] == 1 and abs(measured + 6.0) < 0.01, f"1 channel in/out, measured {measured:+.4f} dB")


def preset_chunks(preset_data):
    """The chunks of a .vstpreset (VST3 SDK preset format: header, chunk data, chunk list) by
    id; 'Comp' is the plugin's own state (the JSON `refcan preset` writes)."""
    if preset_data[:4] != b"VST3":
        raise ValueError("not a .vstpreset")
    list_at = struct.unpack("<q", preset_data[40:48])[0]
    count = struct.unpack("<i", preset_data[list_at + 4:list_at + 8])[0]
    chunks = {}
    for i in range(count):
        e = preset_data[list_at + 8 + 20 * i:list_at + 28 + 20 * i]
        offset, size = struct.unpack("<q", e[4:12])[0], struct.unpack("<q", e[12:20])[0]
        chunks[e[:4]] = preset_data[offset:offset + size]
    return chunks


def with_offline_render(component, choice):
    """The plugin state `component` with the state document's `offline_render` set to `choice`
    (the document is JSON text in the state's `refcan` field)."""
    state = json.loads(component)
    doc = json.loads(state["fields"]["refcan"])
    doc["offline_render"] = choice
    state["fields"]["refcan"] = json.dumps(doc)
    return json.dumps(state).encode()


def with_component_state(preset_data, component):
    """A .vstpreset with its 'Comp' chunk, the plugin's own state, replaced by `component`."""
    chunks = preset_chunks(preset_data)
    chunks[b"Comp"] = component
    out = bytearray(preset_data[:40]) + bytearray(8)
    entries = []
    for cid in [b"Comp", b"Cont"]:
        data = chunks.get(cid, b"")
        entries.append((cid, len(out), len(data)))
        out += data
    list_at = len(out)
    out += b"List" + struct.pack("<i", len(entries))
    for cid, offset, size in entries:
        out += cid + struct.pack("<q", offset) + struct.pack("<q", size)
    out[40:48] = struct.pack("<q", list_at)
    return bytes(out)


def write_headphone(folder):
    """A synthetic headphone measured per ear, squig.link style (`X L.txt`/`X R.txt`, REW text,
    absolute SPL): a bass shortfall, a presence peak and a treble dip that differ by ear."""
    def level(f, ear):
        if ear == "L":
            d = -6 / (1 + (f / 90) ** 2) + 5 * math.exp(-4 * math.log2(f / 3500) ** 2)
        else:
            d = -4 / (1 + (f / 110) ** 2) + 3 * math.exp(-3 * math.log2(f / 2500) ** 2)
        return 75 + d - 6 * math.exp(-8 * math.log2(f / 8000) ** 2)

    for ear in "LR":
        with open(os.path.join(folder, f"VST HP {ear}.txt"), "w") as f:
            f.write("* Freq(Hz)\tSPL(dB)\n")
            freq = 20.0
            while freq <= 20000.0:
                f.write(f"{freq:.3f}\t{level(freq, ear):.4f}\n")
                freq *= 1.01
    return os.path.join(folder, "VST HP L.txt")


def refcan(*args):
    out = subprocess.run([REFCAN, *args], check=True, capture_output=True, text=True)
    return out.stdout


def reference_chain(folder, headphone):
    """The 'reference chain L/R' columns `refcan curves` reports: what the plugin plays."""
    path = os.path.join(folder, "curves.csv")
    refcan("curves", "--headphone", headphone, "--target", TARGET, "-o", path)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    freq = np.array([float(r["frequency"]) for r in rows])
    chains = [np.array([float(r[f"reference chain {ear}"]) for r in rows]) for ear in "LR"]
    return freq, chains


def magnitude_db(response, rate, freqs):
    n = 1 << max(18, int(math.ceil(math.log2(len(response)))))
    spectrum = np.abs(np.fft.rfft(response.astype(np.float64), n))
    bins = np.arange(len(spectrum)) * rate / n
    return np.interp(freqs, bins, 20 * np.log10(np.maximum(spectrum, 1e-12)))


def test_preset_correction():
    print("headphone correction through a refcan preset (all engines, 3 rates)")
    folder = tempfile.mkdtemp(prefix="refcan-vst3-")
    headphone = write_headphone(folder)
    freq, chains = reference_chain(folder, headphone)
    band = (freq >= 20) & (freq <= 16000)
    # (pedalboard keeps its own copy of parameter values and does not refresh it from a loaded
    # preset, so the engine in use is proven by the latency and the response, not the text.)
    for mode in ["zero_latency", "linear_phase", "low_cpu"]:
        path = os.path.join(folder, f"{mode}.json")
        report = refcan("preset", "--headphone", headphone, "--target", TARGET, "--filter-mode", mode,
                        "--offline-render", "process", "-o", path)
        fit_error = {float(m.group(1)): float(m.group(2))
                     for m in re.finditer(r"low_cpu fit at (\d+) Hz: max error ([\d.]+) dB", report)}
        with open(path, "rb") as f:
            state = f.read()
        for rate in RATES:
            p = load(state)
            # Past the linear-phase latency: pedalboard drops that many output samples to
            # compensate it, and the pre-ringing before the impulse must not be cut.
            impulse_at = int(0.2 * rate)
            x = np.zeros((2, int(1.2 * rate)), np.float32)
            x[:, impulse_at] = 1.0
            y = p.process(x, rate, buffer_size=512, reset=True)
            latency = p.reported_latency_samples
            # Just above what was measured (docs/PERFORMANCE.md): Zero latency 0.0013 dB,
            # Linear phase 0.0095-0.0098 dB, Low CPU its fit error (to 0.001 dB).
            tolerance = fit_error[rate] + 0.005 if mode == "low_cpu" else {"zero_latency": 0.003, "linear_phase": 0.015}[mode]
            worst = 0.0
            for ch in range(2):
                peak = int(np.argmax(np.abs(y[ch])))
                if mode == "linear_phase":
                    # pedalboard compensates the reported latency: the symmetric response is
                    # centred on the impulse only if the latency is the true delay.
                    check(latency > 3000 and peak == impulse_at,
                          f"{mode} {rate} Hz ch {ch}: reported latency {latency}, compensated peak at {peak - impulse_at:+d}")
                else:
                    check(latency == 0 and 0 <= peak - impulse_at < 0.002 * rate,
                          f"{mode} {rate} Hz ch {ch}: latency {latency}, peak {peak - impulse_at} samples after the impulse")
                measured = magnitude_db(y[ch], rate, freq[band])
                worst = max(worst, float(np.max(np.abs(measured - chains[ch][band]))))
            check(worst <= tolerance,
                  f"{mode} {rate} Hz: |measured − refcan curves| ≤ {worst:.4f} dB over 20 Hz–16 kHz (allowed {tolerance:.3f})")
            figures.append(f"{mode} {rate} Hz: worst {worst:.4f} dB (allowed {tolerance:.3f}), latency {latency}")
    # Bypassed in Linear phase: exactly the input (the bypass path is delayed like the filter).
    with open(os.path.join(folder, "linear_phase.json"), "rb") as f:
        state = f.read()
    p = load(state)
    set_switch(p, "bypass", True)
    x = noise(48000, seconds=0.5)
    y = p.process(x, 48000, buffer_size=512, reset=True)
    skip = int(SETTLE_S * 48000)
    check(p.reported_latency_samples > 3000 and np.array_equal(y[:, skip:], x[:, skip:]),
          f"Linear phase bypassed: output == input after latency compensation ({p.reported_latency_samples} samples)")


def curves_columns(folder, headphone, *extra):
    """Every column of `refcan curves` (the plugin's eight slots) by name."""
    path = os.path.join(folder, "columns.csv")
    refcan("curves", "--headphone", headphone, "--target", TARGET, "-o", path, *extra)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def chain_of(columns, listen, ear):
    base = "reference chain" if listen == 0 else f"slot {listen} chain"
    return columns.get(f"{base} {ear}", columns.get(base))


def set_listen(p, k):
    """listen = Reference (0) or Slot k, through the normalised value (nine choices)."""
    p.parameters["listen"].raw_value = k / 8.0


def pink(rate, seconds, seed, channels=1):
    """Pink noise (−3 dB/octave over 20 Hz–20 kHz, shaped in the frequency domain)."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    out = []
    for _ in range(channels):
        spectrum = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
        f = np.arange(n // 2 + 1) * rate / n
        shape = np.where((f >= 20) & (f <= 20000), 1.0 / np.sqrt(np.maximum(f, 1.0)), 0.0)
        out.append(np.fft.irfft(spectrum * shape, n))
    x = np.stack(out)
    return (x / np.max(np.abs(x))).astype(np.float32)


def test_slots():
    print("translation-check slots: responses, mono, loudness match (pyloudnorm, ITU-R BS.1770)")
    folder = tempfile.mkdtemp(prefix="refcan-vst3-slots-")
    headphone = write_headphone(folder)
    columns = curves_columns(folder, headphone)
    freq = columns["frequency"]
    band = (freq >= 20) & (freq <= 16000)
    path = os.path.join(folder, "slots.json")
    refcan("preset", "--headphone", headphone, "--target", TARGET, "--offline-render", "process", "-o", path)
    with open(path, "rb") as f:
        state = f.read()
    rate = 48000
    # Responses: the reference and every slot against `refcan curves` (±0.02 dB where the chain
    # is within 60 dB of its peak; the phone's high-pass is −130 dB at 20 Hz). Measured: worst
    # 0.0158 dB (slot 8, the laptop), 0.0013-0.0081 dB for the others.
    p = load(state)
    impulse_at = int(0.2 * rate)
    x = np.zeros((2, int(0.8 * rate)), np.float32)
    x[:, impulse_at] = 1.0
    worst_by_listen = []
    for listen in range(9):
        set_listen(p, listen)
        y = p.process(x, rate, buffer_size=512, reset=True)
        worst = 0.0
        for ch, ear in enumerate("LR"):
            want = chain_of(columns, listen, ear)
            keep = band & (want >= np.max(want) - 60.0)
            measured = magnitude_db(y[ch, impulse_at:], rate, freq[keep])
            worst = max(worst, float(np.max(np.abs(measured - want[keep]))))
        worst_by_listen.append(worst)
        check(worst <= 0.02, f"listen {listen}: |measured − refcan curves| ≤ {worst:.4f} dB (allowed 0.02)")
    figures.append("VST3 chains, worst dB per listen choice 0–8: " + ", ".join(f"{w:.4f}" for w in worst_by_listen))
    # Mono slot (5, phone): an impulse in the LEFT input only. Summed to mono, both ears get
    # half of it through their own correction: R is not silent, |L| = chain L − 6.02 dB, and
    # L − R is the correction's L − R (0 for a one-curve headphone).
    set_listen(p, 5)
    x1 = np.zeros((2, int(0.8 * rate)), np.float32)
    x1[0, impulse_at] = 1.0
    y = p.process(x1, rate, buffer_size=512, reset=True)
    sel = (freq >= 800) & (freq <= 10000)
    ml = magnitude_db(y[0, impulse_at:], rate, freq[sel])
    mr = magnitude_db(y[1, impulse_at:], rate, freq[sel])
    want_l = chain_of(columns, 5, "L")[sel] - 20 * math.log10(2.0)
    want_r = chain_of(columns, 5, "R")[sel] - 20 * math.log10(2.0)
    err = float(max(np.max(np.abs(ml - want_l)), np.max(np.abs(mr - want_r))))
    check(err < 0.2, f"mono slot, impulse in L only: both ears get (L+R)/2 through their chain within {err:.4f} dB (800 Hz–10 kHz)")
    # Loudness: pink noise at −20 dBFS RMS-ish through every choice, correction on, headphone
    # installed; integrated loudness (BS.1770) per choice.
    meter = pyloudnorm.Meter(rate)
    seconds = 6.0
    coherent = 0.25 * np.repeat(pink(rate, seconds, 21), 2, axis=0)
    decorrelated = 0.25 * pink(rate, seconds, 22, channels=2)
    results = {}
    for level_match in [True, False]:
        set_switch(p, "level_match", level_match)
        for kind, sig in [("coherent", coherent), ("decorrelated", decorrelated)]:
            louds = []
            for listen in range(9):
                set_listen(p, listen)
                y = p.process(sig, rate, buffer_size=512, reset=True)
                skip = int(0.5 * rate)
                louds.append(meter.integrated_loudness(y[:, skip:].T.astype(np.float64)))
            results[(level_match, kind)] = louds
    set_switch(p, "level_match", True)
    coh = results[(True, "coherent")]
    spread = max(coh) - min(coh)
    # Measured 0.131 LU (README: within 0.13 LU); allowed 0.15.
    check(spread <= 0.15, f"level match on, coherent pink noise: loudness spread {spread:.3f} LU over Reference + 8 slots (≤ 0.15)")
    dec = results[(True, "decorrelated")]
    stereo = [v for k, v in enumerate(dec) if k != 5]
    spread_dec = max(stereo) - min(stereo)
    # Measured 0.021 LU; allowed 0.03.
    check(spread_dec <= 0.03, f"level match on, decorrelated pink noise, stereo slots: spread {spread_dec:.3f} LU (≤ 0.03)")
    off = results[(False, "coherent")]
    check(max(off) - min(off) > 1.0, f"level match off: spread {max(off) - min(off):.2f} LU (the match does something)")
    figures.append("loudness, coherent pink, level match on (LUFS, ref + slots 1–8): " + ", ".join(f"{v:.2f}" for v in coh))
    figures.append("loudness, decorrelated pink, level match on: " + ", ".join(f"{v:.2f}" for v in dec)
                   + f" (phone, a mono sum, {dec[5] - dec[0]:+.2f} LU vs the reference)")
    figures.append("loudness, coherent pink, level match off: " + ", ".join(f"{v:.2f}" for v in off)
                   + f" (spread {max(off) - min(off):.2f} LU)")
    # Headroom: full-scale pink noise never clips, in any choice.
    peak = 0.0
    full = np.repeat(pink(rate, 2.0, 23), 2, axis=0)
    for listen in range(9):
        set_listen(p, listen)
        y = p.process(full, rate, buffer_size=512, reset=True)
        peak = max(peak, float(np.max(np.abs(y))))
    check(peak <= 1.0, f"full-scale pink noise: highest output peak {20 * math.log10(peak):.2f} dBFS over all nine choices")
    # The slots and listen survive a state round trip.
    set_listen(p, 7)
    p.process(np.zeros((2, 64), np.float32), rate)
    saved = p.raw_state
    q = pedalboard.load_plugin(BUNDLE)
    q.raw_state = saved
    sig = noise(rate, seed=9)
    check(np.array_equal(p.process(sig, rate, buffer_size=512, reset=True),
                         q.process(sig, rate, buffer_size=512, reset=True)),
          "raw_state round trip: the restored instance plays slot 7 identically")


def test_offline_render():
    print("offline render safety (pedalboard renders offline: JUCE setNonRealtime(true))")
    # The default state (no preset): untouched from the first sample, whatever the knobs say.
    p = pedalboard.load_plugin(BUNDLE)
    set_gain(p, -9.0)
    set_switch(p, "mono", True)
    for rate in RATES:
        x = noise(rate, seed=21)
        for block in [64, 512]:
            y = p.process(x, rate, buffer_size=block, reset=True)
            check(np.array_equal(y, x), f"{rate} Hz block {block}: default state, output == input from the first sample")
    # A corrected preset in each convolution engine, default choice and opt-out.
    folder = tempfile.mkdtemp(prefix="refcan-vst3-offline-")
    headphone = write_headphone(folder)
    x = noise(48000, seed=22)
    for mode in ["zero_latency", "linear_phase"]:
        path = os.path.join(folder, f"{mode}.json")
        refcan("preset", "--headphone", headphone, "--target", TARGET, "--filter-mode", mode, "-o", path)
        with open(path, "rb") as f:
            state = f.read()
        check(json.loads(json.loads(state)["fields"]["refcan"])["offline_render"] == "bypass",
              f"{mode}: refcan preset writes offline_render = bypass by default")
        for choice in ["bypass", "process"]:
            p = load(with_offline_render(state, choice))
            y = p.process(x, 48000, buffer_size=512, reset=True)
            latency = p.reported_latency_samples
            if choice == "bypass":
                check(np.array_equal(y, x),
                      f"{mode}, offline_render = bypass: output == input, bit-identical ({latency} samples latency compensated)")
            else:
                diff = rms_db(y - x) - rms_db(x)
                check(diff > -30.0, f"{mode}, offline_render = process: the correction is rendered ({diff:+.1f} dB RMS difference re input)")


# bs2b's presets (bs2b.h): (id, cut-off Hz, feed level dB), in the order of the crossfeed
# parameter's strengths 1–3.
BS2B_PRESETS = [("meier", 650.0, 9.5), ("chu_moy", 700.0, 6.0), ("bs2b_default", 700.0, 4.5)]


def bs2b_ild_db(fcut, feed, f, rate):
    """bs2b's interaural level difference for a hard-panned source at f, from the formulas of
    bs2b.c init(): the direct path's high boost over the cross path's G_lo-scaled low-pass."""
    gb_lo = feed * -5.0 / 6.0 - 3.0
    gb_hi = feed / 6.0 - 3.0
    g_lo = 10 ** (gb_lo / 20.0)
    g_hi = 1.0 - 10 ** (gb_hi / 20.0)
    fc_hi = fcut * 2.0 ** ((gb_lo - 20.0 * math.log10(g_hi)) / 12.0)
    z1 = np.exp(-1j * 2 * math.pi * f / rate)
    x_lo = math.exp(-2 * math.pi * fcut / rate)
    cross = abs(g_lo * (1 - x_lo) / (1 - x_lo * z1))
    x_hi = math.exp(-2 * math.pi * fc_hi / rate)
    direct = abs((1 - g_hi * (1 - x_hi) - x_hi * z1) / (1 - x_hi * z1))
    return 20 * math.log10(direct / cross)


def set_crossfeed(p, k):
    """crossfeed = Off (0) or strength k (1–3), through the normalised value."""
    p.parameters["crossfeed"].raw_value = k / 3.0


def test_crossfeed():
    print("crossfeed")
    rate = 48000
    p = load()
    check(p.parameters["crossfeed"].string_value == "Off", "crossfeed defaults to Off")
    x = np.zeros((2, rate), dtype=np.float32)
    x[0, 1000] = 1.0
    freqs = [40.0, 100.0, 700.0, 4000.0, 8000.0]
    rows = []
    for k, (name, fcut, feed) in enumerate(BS2B_PRESETS, start=1):
        set_crossfeed(p, k)
        y = p.process(x, rate, buffer_size=512, reset=True)
        check(p.reported_latency_samples == 0 and int(np.argmax(np.abs(y[0]))) == 1000,
              f"{name}: no latency, the direct sound stays at its sample")
        ild = magnitude_db(y[0, 1000:], rate, freqs) - magnitude_db(y[1, 1000:], rate, freqs)
        expected = [bs2b_ild_db(fcut, feed, f, rate) for f in freqs]
        worst_edges = max(abs(a - b) for f, a, b in zip(freqs, ild, expected) if f <= 100 or f >= 4000)
        worst_mid = max(abs(a - b) for a, b in zip(ild, expected))
        # README: within 0.04 dB at 40/100 Hz and 4/8 kHz, 0.36 dB anywhere, in both hosts.
        check(worst_edges <= 0.05 and worst_mid <= 0.37,
              f"{name}: ILD within {worst_edges:.3f} dB of bs2b at 40/100 Hz and 4/8 kHz, {worst_mid:.3f} dB anywhere")
        rows.append(f"{name} " + ", ".join(f"{f:g}: {a:.2f}/{b:.2f}" for f, a, b in zip(freqs, ild, expected)))
    figures.append("VST3 crossfeed ILD (dB, measured/bs2b) for a hard-left impulse at 48 kHz: " + "; ".join(rows))
    mono = np.repeat(noise(rate, 0.5, channels=1, seed=7), 2, axis=0)
    set_crossfeed(p, 0)
    off = p.process(mono, rate, buffer_size=512, reset=True)
    for k in range(1, 4):
        set_crossfeed(p, k)
        on = p.process(mono, rate, buffer_size=512, reset=True)
        check(np.array_equal(on, off), f"strength {k}: a mono input comes out bit for bit as with crossfeed off")
    meter = pyloudnorm.Meter(rate)
    skip = int(0.5 * rate)
    moved = {}
    for kind, sig in [("coherent", 0.25 * np.repeat(pink(rate, 6.0, 31), 2, axis=0)),
                      ("decorrelated", 0.25 * pink(rate, 6.0, 32, channels=2))]:
        louds = []
        for k in range(4):
            set_crossfeed(p, k)
            y = p.process(sig, rate, buffer_size=512, reset=True)
            louds.append(meter.integrated_loudness(y[:, skip:].T.astype(np.float64)))
        moved[kind] = [v - louds[0] for v in louds[1:]]
    # Coherent pink is a mono input, which passes bit for bit: it moves by 0 (allowed 0.001).
    check(max(abs(v) for v in moved["coherent"]) <= 0.001,
          f"coherent pink: loudness moves {', '.join(f'{v:+.3f}' for v in moved['coherent'])} LU (≤ 0.001)")
    # README: 0.56 / 0.74 / 0.80 LU lost (light / medium / strong); allowed 0.85.
    check(max(abs(v) for v in moved["decorrelated"]) <= 0.85,
          f"decorrelated pink: loudness moves {', '.join(f'{v:+.3f}' for v in moved['decorrelated'])} LU (≤ 0.85)")
    figures.append("VST3 crossfeed loudness change (LU, strengths 1–3): coherent "
                   + ", ".join(f"{v:+.3f}" for v in moved["coherent"]) + "; decorrelated "
                   + ", ".join(f"{v:+.3f}" for v in moved["decorrelated"]))


PROBE_CHILD = r"""
import sys
import numpy as np
import pedalboard
p = pedalboard.load_plugin(sys.argv[1])
p.process(np.zeros((2, 4096), np.float32), 48000, buffer_size=512)
print("REFCAN-ALLOC-PROBE: processed", flush=True)
"""

# nice-plug's allocation check logs "Memory allocation of 64 bytes failed from: <backtrace>",
# then handle_alloc_error prints "memory allocation of 64 bytes failed" and aborts: either line
# (matched without case) names the probe's 64 bytes.
ALLOC_MESSAGE = "memory allocation of 64 bytes failed"


def run_probe_child(bundle, probe):
    env = {k: v for k, v in os.environ.items() if k != "REFCAN_ALLOC_PROBE"}
    if probe:
        env["REFCAN_ALLOC_PROBE"] = "1"
    return subprocess.run([sys.executable, "-c", PROBE_CHILD, bundle], env=env,
                          capture_output=True, text=True, timeout=300)


def test_alloc_probe():
    """assert_process_allocs is armed in this bundle: with the debug-only probe switched on
    (REFCAN_ALLOC_PROBE=1 when the instance is created) process() allocates and nice-plug must
    abort pedalboard (SIGABRT, its allocation message); without it the same bundle processes."""
    print("allocation probe: assert_process_allocs aborts pedalboard")
    clean = run_probe_child(BUNDLE, False)
    check(clean.returncode == 0 and "REFCAN-ALLOC-PROBE: processed" in clean.stdout,
          f"without the probe: exit {clean.returncode}, audio processed"
          + ("" if clean.returncode == 0 else f"\n{clean.stderr[-2000:]}"))
    probed = run_probe_child(BUNDLE, True)
    line = next((l.strip() for l in probed.stderr.splitlines() if ALLOC_MESSAGE in l.lower()), None)
    check(probed.returncode == -6 and line is not None and "processed" not in probed.stdout,
          f"with the probe: exit {probed.returncode} (-6 = SIGABRT) after {line!r}"
          + ("" if line else f"\n{probed.stderr[-2000:]}"))
    figures.append(f"allocation probe in pedalboard: exit {clean.returncode} without, "
                   f"{probed.returncode} with ({line})")


def main():
    print(f"pedalboard {pedalboard.__version__}, bundle {BUNDLE}")
    if not os.path.exists(BUNDLE):
        print(f"missing bundle {BUNDLE}: run `cargo xtask bundle refcan` first")
        return 2
    for test in [
        test_alloc_probe,
        test_parameters,
        test_output_gain,
        test_bypass_and_block_sizes,
        test_mono,
        test_random_parameters_stay_finite,
        test_state_round_trip,
        test_mono_layout,
        test_preset_correction,
        test_slots,
        test_offline_render,
        test_crossfeed,
    ]:
        test()
    print()
    for f in figures:
        print(f"figure: {f}")
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all VST3 host checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
