#!/usr/bin/env python3
"""Derive Refcan's built-in device simulations (presets/simulations/*.json).

Usage (from the repository root):
    python3 tools/derive_simulations.py                                 # print parameters and errors
    python3 tools/derive_simulations.py --write presets/simulations

Needs numpy and scipy. Deterministic (no random starts).

Definition (same as src/curve/simulation.rs): a simulation is dS(f) = D(f) - R(f), with R the
reference target "Harman loudspeaker in-room flat 2013" (preset harman_in_room_flat_2013) and
every curve in dB re 1 kHz on the ear-simulator rig. Every input is a file of this repository:
the target presets (presets/targets/*.json: table + filters, as TargetPreset::curve builds
them) and the built-in headphone tables (presets/headphones/*.json, each within its recorded
fit_rms_db of an oratory1990 measurement published in AutoEq, whose path and commit it keeps).
So tests/curve_simulations.rs recomputes every fit error below from the same data, without
../shared. Curves are put on Refcan's grid (1001
points, 20 Hz-20 kHz, linear interpolation in log f, held outside), centred at 1 kHz and
smoothed the way Refcan smooths (Savitzky-Golay order 2, 1/12 octave, 2 octaves above a
6-8 kHz sigmoid blend, as AutoEq's smoothen()).

* Harman over-ear / in-ear: dS = T - R, the target difference, fitted with a few RBJ filters.
  T is built as Refcan builds it: the 'without bass' table + RBJ low shelf 105 Hz Q 0.7
  (+6 dB over-ear, +9.5 dB in-ear) at 44.1 kHz.
* Measured devices (built-in headphone tables; oratory1990, GRAS 43AG/43AC): the device part D - T_meas is fitted with a
  few filters against the Harman target it is judged by (over-ear 2018 for over-ears and
  earbuds, in-ear 2019 v2 for in-ears); the simulation is that part's filters followed by the
  Harman simulation's filters (T_meas - R), so dS = (D - T_meas) + (T_meas - R) = D - R.
* Loudspeaker devices: no numeric measurements are available; parameters are engineering
  estimates from the qualitative sources of DSP_REFERENCE.md section 6.2 and are marked so.

Fit: scipy.optimize.least_squares on the smoothed difference over 20 Hz-20 kHz, weight 1 up
to 10 kHz and 0.25 above (details above 10 kHz depend on fit and insertion depth; AutoEq's
optimiser likewise only matches the average above 10 kHz). Filters are seeded greedily at the
largest remaining deviation and then optimised jointly, with a small ridge penalty on peaking
gains (GAIN_RIDGE) so that no two large filters cancel each other. Errors are reported after rounding the
parameters as stored: rms and max over 20 Hz-10 kHz, and max over 10-20 kHz.
"""
import json
import os
import sys

import numpy as np
from scipy.optimize import least_squares
from scipy.signal import savgol_filter

FS = 44100.0  # REFERENCE_SAMPLE_RATE_HZ in src/curve/mod.rs (AutoEq DEFAULT_FS)
GRID = 20.0 * 1000.0 ** (np.arange(1001) / 1000.0)
LOG_GRID = np.log10(GRID)
REPO = "jaakkopasanen/AutoEq"
COMMAND = "python3 tools/derive_simulations.py --write presets/simulations"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAIN_BAND = GRID <= 10000.0
HIGH_BAND = GRID > 10000.0
WEIGHTS = np.where(MAIN_BAND, 1.0, 0.25)
GAIN_RIDGE = 0.2
SEED_BAND = ((GRID >= 40.0) & (GRID <= 12000.0)).astype(float)

# ---------------------------------------------------------------- curves

def on_grid(points):
    """A [[f, dB], ...] table on the grid: linear in log f, end values held (Response::from_pairs)."""
    a = np.array(points, dtype=float)
    return np.interp(LOG_GRID, np.log10(a[:, 0]), a[:, 1])


def read_json(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as fh:
        return json.load(fh)


def read_target(target_id):
    """A target preset's curve as TargetPreset::curve builds it: table + filters, centred."""
    t = read_json("presets", "targets", target_id + ".json")
    assert t.get("filter_sample_rate_hz", FS) == FS, target_id
    return centre(on_grid(t["points"]) + cascade_db(t["filters"])), t


def read_headphone(headphone_id):
    """A built-in headphone table (presets/headphones/<id>.json), centred at 1 kHz."""
    h = read_json("presets", "headphones", headphone_id + ".json")
    return centre(on_grid(h["points"])), h


def centre(v):
    return v - np.interp(3.0, LOG_GRID, v)


def smooth(v):
    """Refcan/AutoEq smoothing: SG order 2, 9 points (1/12 oct), 201 points (2 oct), sigmoid 6-8 kHz."""
    normal = savgol_filter(v, 9, 2)
    treble = savgol_filter(v, 201, 2)
    fc = np.log10(np.sqrt(6000.0 * 8000.0))
    half = np.log10(8000.0) - fc
    k = 1.0 / (1.0 + np.exp(-(LOG_GRID - fc) / (half / 4.0)))
    return normal * (1.0 - k) + treble * k


def rbj(kind, f0, q, gain_db):
    """RBJ cookbook biquad (W3C Audio EQ Cookbook), normalised (b, a)."""
    a_lin = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * f0 / FS
    cs, sn = np.cos(w0), np.sin(w0)
    alpha = sn / (2.0 * q)
    sa = 2.0 * np.sqrt(a_lin) * alpha
    A = a_lin
    if kind == "peaking":
        b = [1 + alpha * A, -2 * cs, 1 - alpha * A]
        a = [1 + alpha / A, -2 * cs, 1 - alpha / A]
    elif kind == "low_shelf":
        b = [A * ((A + 1) - (A - 1) * cs + sa), 2 * A * ((A - 1) - (A + 1) * cs), A * ((A + 1) - (A - 1) * cs - sa)]
        a = [(A + 1) + (A - 1) * cs + sa, -2 * ((A - 1) + (A + 1) * cs), (A + 1) + (A - 1) * cs - sa]
    elif kind == "high_shelf":
        b = [A * ((A + 1) + (A - 1) * cs + sa), -2 * A * ((A - 1) + (A + 1) * cs), A * ((A + 1) + (A - 1) * cs - sa)]
        a = [(A + 1) - (A - 1) * cs + sa, 2 * ((A - 1) - (A + 1) * cs), (A + 1) - (A - 1) * cs - sa]
    elif kind == "high_pass":
        b = [(1 + cs) / 2, -(1 + cs), (1 + cs) / 2]
        a = [1 + alpha, -2 * cs, 1 - alpha]
    elif kind == "low_pass":
        b = [(1 - cs) / 2, 1 - cs, (1 - cs) / 2]
        a = [1 + alpha, -2 * cs, 1 - alpha]
    else:
        raise ValueError(kind)
    return np.array(b) / a[0], np.array(a) / a[0]


def filter_db(flt, f=GRID):
    b, a = rbj(flt["kind"], flt["freq_hz"], flt["q"], flt.get("gain_db", 0.0))
    z = np.exp(-1j * 2.0 * np.pi * f / FS)
    h = (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return 20.0 * np.log10(np.abs(h))


def cascade_db(filters):
    total = np.zeros_like(GRID)
    for flt in filters:
        total += filter_db(flt)
    return total


def butterworth_sections(kind, freq_hz, order):
    n = order
    return [{"kind": kind, "freq_hz": freq_hz, "q": 1.0 / (2.0 * np.cos((2 * k - 1) * np.pi / (2 * n))),
             "gain_db": 0.0} for k in range(1, n // 2 + 1)]


# ---------------------------------------------------------------- fitting

BOUNDS = {  # (freq, q, gain) bounds per kind
    "peaking": ((25.0, 16000.0), (0.5, 5.0), (-12.0, 12.0)),
    "low_shelf": ((20.0, 2000.0), (0.4, 0.7), (-15.0, 15.0)),
    "high_shelf": ((2000.0, 16000.0), (0.4, 0.7), (-15.0, 15.0)),
    "high_pass": ((10.0, 1000.0), (0.4, 1.5), (0.0, 0.0)),
    "low_pass": ((2000.0, 20000.0), (0.4, 1.5), (0.0, 0.0)),
}


def has_gain(kind):
    return kind in ("peaking", "low_shelf", "high_shelf")


def pack(filters):
    x, lo, hi = [], [], []
    for flt in filters:
        (f_lo, f_hi), (q_lo, q_hi), (g_lo, g_hi) = BOUNDS[flt["kind"]]
        x += [np.log10(flt["freq_hz"]), np.log(flt["q"])]
        lo += [np.log10(f_lo), np.log(q_lo)]
        hi += [np.log10(f_hi), np.log(q_hi)]
        if has_gain(flt["kind"]):
            x.append(flt["gain_db"])
            lo.append(g_lo)
            hi.append(g_hi)
    x = np.clip(np.array(x), np.array(lo) + 1e-9, np.array(hi) - 1e-9)
    return x, (np.array(lo), np.array(hi))


def unpack(x, template):
    out, i = [], 0
    for flt in template:
        new = {"kind": flt["kind"], "freq_hz": 10.0 ** x[i], "q": float(np.exp(x[i + 1])), "gain_db": 0.0}
        i += 2
        if has_gain(flt["kind"]):
            new["gain_db"] = float(x[i])
            i += 1
        out.append(new)
    return out


def optimise(target, filters):
    x0, bounds = pack(filters)

    gains = [i for i, f in enumerate(filters) if f["kind"] == "peaking"]

    def residual(x):
        flts = unpack(x, filters)
        fit_part = WEIGHTS * (cascade_db(flts) - target)
        # Small ridge on peaking gains: stops pairs of large opposite filters from cancelling
        # each other (numerically poor in a biquad engine) for a negligible loss in fit.
        ridge = [GAIN_RIDGE * flts[i]["gain_db"] for i in gains]
        return np.concatenate([fit_part, ridge])

    res = least_squares(residual, x0, bounds=bounds, method="trf", x_scale="jac", max_nfev=4000)
    return unpack(res.x, filters)


def fit(target, structure, n_peaks):
    """Structure filters first, then greedily seeded peaking filters, optimised jointly."""
    filters = optimise(target, structure) if structure else []
    for _ in range(n_peaks):
        # Seed where the 1/3-octave-smoothed residual is largest, away from the band ends
        # (the shelves and high-pass of the structure own the ends).
        resid = savgol_filter(target - cascade_db(filters), 35, 2) * SEED_BAND
        k = int(np.argmax(np.abs(resid)))
        filters.append({"kind": "peaking", "freq_hz": float(GRID[k]), "q": 1.4, "gain_db": float(resid[k])})
        filters = optimise(target, filters)
    return [rounded(f) for f in filters]


def rounded(flt):
    return {"kind": flt["kind"], "freq_hz": round(float(flt["freq_hz"]), 1), "q": round(float(flt["q"]), 3),
            "gain_db": round(float(flt["gain_db"]), 2)}


def errors(target, filters):
    e = cascade_db(filters) - target
    return {
        "rms": round(float(np.sqrt(np.mean(e[MAIN_BAND] ** 2))), 3),
        "max": round(float(np.max(np.abs(e[MAIN_BAND]))), 3),
        "band_hz": [20.0, 10000.0],
        "max_above_10k": round(float(np.max(np.abs(e[HIGH_BAND]))), 3),
    }


# ---------------------------------------------------------------- presets

def target_source(t, role):
    src = t["source"]
    return {"repository": src["repository"], "path": src["path"], "commit": src["commit"],
            "licence": src.get("licence", "MIT"),
            "role": f"{role}, via presets/targets/{t['id']}.json ({t['name']})"}


def headphone_source(h):
    src = h["source"]
    return {"repository": "jaakkopasanen/AutoEq", "path": src["path"], "commit": src["commit"],
            "licence": "MIT",
            "role": f"measurement ({src['author']}, {h['rig'].split(' (')[0]}), via the built-in table "
                    f"presets/headphones/{h['id']}.json (within {h['fit_rms_db']} dB RMS of the source)"}


def describe(device, meas_target, meas_name):
    """A plain summary of a device against the Harman target it is judged by, from the data."""
    d = smooth(device - meas_target)
    band = lambda lo, hi: float(np.mean(d[(GRID >= lo) & (GRID <= hi)]))
    parts = [f"bass 30-80 Hz {band(30.0, 80.0):+.1f} dB", f"low mids 150-500 Hz {band(150.0, 500.0):+.1f} dB",
             f"presence 2-5 kHz {band(2000.0, 5000.0):+.1f} dB", f"treble 6-10 kHz {band(6000.0, 10000.0):+.1f} dB"]
    return f"Against {meas_name} (smoothed, 1 kHz = 0): " + ", ".join(parts) + "."


# Measured devices: (simulation id, display name, category, built-in headphone id, the Harman
# target it is judged by, structure, peaking filters, notes or None for a summary from the data).
# The first five ids are the original set (stable); the rest widen the list of listeners' devices.
HP = lambda f, q: [{"kind": "high_pass", "freq_hz": f, "q": q, "gain_db": 0.0}]
SHELVES = [{"kind": "low_shelf", "freq_hz": 200.0, "q": 0.7, "gain_db": 0.0},
           {"kind": "high_shelf", "freq_hz": 8000.0, "q": 0.7, "gain_db": 0.0}]
DEVICES = [
    ("open_earbuds", "Open earbuds (Apple AirPods)", "earbud", "apple_airpods", "oe", HP(92.0, 0.54) + SHELVES, 4,
     "Unsealed earbud: steep bass loss below ~100 Hz (2nd-order high-pass relative to Harman, "
     "DSP_REFERENCE.md section 6.1), forward 2-5 kHz."),
    ("wired_earbuds", "Wired earbuds (Apple EarPods)", "earbud", "apple_earpods", "oe", HP(106.0, 0.68) + SHELVES, 5,
     "Unsealed wired earbud: bass loss below ~110 Hz, +6-9 dB between 2 and 6 kHz relative to Harman."),
    ("consumer_over_ear_warm", "Consumer over-ear, warm (Beats Studio3)", "headphone", "beats_studio3", "oe",
     SHELVES, 5,
     "Warm upper bass and low mids (+6 dB near 380 Hz relative to Harman) and a 5 kHz dip "
     "(DSP_REFERENCE.md section 6.1)."),
    ("bass_boosted_earbuds", "Bass-boosted in-ears (Sony MDR-XB50 Extra Bass)", "in_ear", "sony_mdr_xb50", "ie",
     SHELVES, 4,
     "Sealed 'extra bass' in-ear: upper bass +5 dB above Harman in-ear (which already has +9.5 dB), "
     "recessed 2-5 kHz and treble."),
    ("sport_earbuds", "True-wireless sport in-ears (Beats Powerbeats Pro)", "in_ear", "beats_powerbeats_pro", "ie",
     SHELVES, 4,
     "Sealed true-wireless in-ear: close to Harman in-ear below 3 kHz, 4-7 dB less from 4 kHz up."),
    ("sony_wh_1000xm4", "Noise-cancelling over-ear (Sony WH-1000XM4)", "headphone", "sony_wh_1000xm4", "oe",
     SHELVES, 7, None),
    ("beats_solo_pro", "Consumer on-ear (Beats Solo Pro)", "headphone", "beats_solo_pro", "oe", SHELVES, 7, None),
    ("bang_olufsen_beoplay_h95", "Premium wireless over-ear (Bang & Olufsen Beoplay H95)", "headphone",
     "bang_olufsen_beoplay_h95", "oe", SHELVES, 7, None),
    ("sony_mdr_7506", "Studio closed-back (Sony MDR-7506)", "headphone", "sony_mdr_7506", "oe", SHELVES, 7, None),
    ("audio_technica_ath_m50x", "Studio closed-back (Audio-Technica ATH-M50x)", "headphone",
     "audio_technica_ath_m50x", "oe", SHELVES, 7, None),
    ("sennheiser_hd280_pro", "Studio closed-back (Sennheiser HD 280 Pro)", "headphone", "sennheiser_hd280_pro",
     "oe", SHELVES, 7, None),
    ("beyerdynamic_dt770_pro_worn", "Studio closed-back, worn pads (Beyerdynamic DT 770 Pro)", "headphone",
     "beyerdynamic_dt770_pro_worn", "oe", SHELVES, 7, None),
    ("sennheiser_hd650", "Audiophile open-back (Sennheiser HD 650)", "headphone", "sennheiser_hd650", "oe",
     SHELVES, 7, None),
    ("samsung_galaxy_buds_pro", "True-wireless in-ears (Samsung Galaxy Buds Pro)", "in_ear",
     "samsung_galaxy_buds_pro", "ie", SHELVES, 7, None),
    ("samsung_galaxy_buds2_pro", "True-wireless in-ears (Samsung Galaxy Buds2 Pro)", "in_ear",
     "samsung_galaxy_buds2_pro", "ie", SHELVES, 7, None),
    ("sony_wf_1000xm4", "Noise-cancelling in-ears (Sony WF-1000XM4)", "in_ear", "sony_wf_1000xm4", "ie",
     SHELVES, 7, None),
    ("sony_wf_1000xm5", "Noise-cancelling in-ears (Sony WF-1000XM5)", "in_ear", "sony_wf_1000xm5", "ie",
     SHELVES, 7, None),
    ("jabra_elite_75t", "True-wireless in-ears (Jabra Elite 75t)", "in_ear", "jabra_elite_75t", "ie", SHELVES, 7,
     None),
    ("sennheiser_momentum_true_wireless_3", "True-wireless in-ears (Sennheiser Momentum True Wireless 3)",
     "in_ear", "sennheiser_momentum_true_wireless_3", "ie", SHELVES, 7, None),
    ("bose_quietcomfort_20", "Noise-cancelling wired in-ears (Bose QuietComfort 20)", "in_ear",
     "bose_quietcomfort_20", "ie", SHELVES, 7, None),
    ("sony_mh755", "Bundled phone in-ears (Sony MH755)", "in_ear", "sony_mh755", "ie", SHELVES, 7, None),
    ("apple_me186_in_ear", "Apple In-Ear Headphones (ME186)", "in_ear", "apple_me186_in_ear", "ie", SHELVES, 7,
     None),
]


def main():
    if len(sys.argv) > 1 and sys.argv[1] != "--write":
        print(__doc__)
        sys.exit(2)
    out_dir = sys.argv[sys.argv.index("--write") + 1] if "--write" in sys.argv else None

    ls = lambda g: [{"kind": "low_shelf", "freq_hz": 105.0, "q": 0.7, "gain_db": g}]
    ref, ref_preset = read_target("harman_in_room_flat_2013")
    oe, oe_preset = read_target("harman_oe_2018")
    ie, ie_preset = read_target("harman_ie_2019v2")
    judged_by = {"oe": (oe, oe_preset, "Harman over-ear 2018"), "ie": (ie, ie_preset, "Harman in-ear 2019")}

    presets = []

    def target_sim(sim_id, name, target, target_preset, shelf_db, n_peaks, notes):
        goal = smooth(target - ref)
        structure = ls(shelf_db) + [{"kind": "high_shelf", "freq_hz": 10000.0, "q": 0.7, "gain_db": -2.0}]
        filters = fit(goal, structure, n_peaks)
        err = errors(goal, filters)
        presets.append({
            "id": sim_id, "name": name, "category": "headphone",
            "filters": filters, "mono": False, "band_limit": {},
            "derivation": {
                "method": "fit",
                "fitted": "smoothed target difference: Harman target (without-bass table + 105 Hz shelf) - in-room flat",
                "target_id": target_preset["id"],
                "fit_error_db": err,
                "fit_error_against": "smoothed (target - in-room flat)",
            },
            "sources": [target_source(target_preset, "Harman target, without-bass table"),
                        target_source(ref_preset, "reference")],
            "notes": notes,
        })
        return filters

    sim_filters = {
        "oe": target_sim(
            "harman_oe_2018", "Harman over-ear 2018 (audiophile neutral)", oe, oe_preset, 6.0, 4,
            "What a listener on a Harman-tuned over-ear headphone hears relative to a flat loudspeaker in "
            "a room: about +7.5 dB of bass below 100 Hz, 2-3 kHz slightly lower, treble slightly lower "
            "(DSP_REFERENCE.md section 1.1 difference table)."),
        "ie": target_sim(
            "harman_ie_2019", "Harman in-ear 2019 (audiophile neutral IEM)", ie, ie_preset, 9.5, 4,
            "What a listener on a Harman-tuned in-ear headphone hears relative to a flat loudspeaker in a "
            "room: about +11 dB of bass below 60 Hz. The in-ear target belongs to a coupler rig; the "
            "difference is meaningful because both Harman targets share the in-room baseline (Olive)."),
    }

    for sim_id, name, category, hp_id, judged, structure, n_peaks, notes in DEVICES:
        device, h = read_headphone(hp_id)
        meas_target, meas_preset, meas_name = judged_by[judged]
        goal = smooth(device - meas_target)
        part = fit(goal, structure, n_peaks)
        part_err = errors(goal, part)
        total = part + sim_filters[judged]
        total_err = errors(smooth(device - ref), total)
        presets.append({
            "id": sim_id, "name": name, "category": category,
            "filters": total, "mono": False, "band_limit": {},
            "derivation": {
                "method": "fit",
                "fitted": f"first {len(part)} filters: smoothed (device - {meas_name}); the rest: the "
                          f"{meas_name} simulation ({meas_name} - in-room flat)",
                "headphone_id": hp_id,
                "target_id": meas_preset["id"],
                "device_part_fit_error_db": part_err,
                "fit_error_db": total_err,
                "fit_error_against": "smoothed (device - in-room flat)",
            },
            "sources": [headphone_source(h),
                        target_source(meas_preset, "target it is judged by"),
                        target_source(ref_preset, "reference")],
            "notes": notes or describe(device, meas_target, meas_name),
        })

    def estimate(sim_id, name, category, filters, mono, band_limit, sources, notes):
        presets.append({
            "id": sim_id, "name": name, "category": category,
            "filters": [rounded(f) for f in filters], "mono": mono, "band_limit": band_limit,
            "derivation": {"method": "engineering_estimate",
                           "statement": "Engineering estimate from qualitative published descriptions, not a "
                                        "measurement or a fit; no fit error exists."},
            "sources": sources, "notes": notes,
        })

    pk = lambda f, q, g: {"kind": "peaking", "freq_hz": f, "q": q, "gain_db": g}
    lsf = lambda f, q, g: {"kind": "low_shelf", "freq_hz": f, "q": q, "gain_db": g}
    hsf = lambda f, q, g: {"kind": "high_shelf", "freq_hz": f, "q": q, "gain_db": g}
    estimate("phone_speaker", "Phone speaker (mono)", "loudspeaker",
             [pk(900.0, 2.0, 4.0)], True,
             {"highpass": {"freq_hz": 700.0, "order": 4}, "lowpass": {"freq_hz": 12000.0, "order": 2}},
             [{"description": "Fairchild, 'Audio quality improvement for mobile device loudspeakers', EETimes 2011: "
                              "largest deviations below a few hundred Hz",
               "url": "http://www.eetimes.com/design/analog-design/4217253/Audio-quality-improvement-for-mobile-device-loudspeakers"}],
             "DSP_REFERENCE.md section 6.2 proposal: 4th-order high-pass at 500-800 Hz (700 Hz here), a "
             "resonance peak near the corner (+4 dB, Q 2), low-pass near 12 kHz; summed to mono.")
    estimate("laptop_speakers", "Laptop speakers", "loudspeaker",
             [pk(1500.0, 1.0, 2.0)], False,
             {"highpass": {"freq_hz": 350.0, "order": 4}, "lowpass": {"freq_hz": 9000.0, "order": 2}},
             [{"description": "Framework laptop measured with REW/UMIK-1: output falls off quickly below 400 Hz, "
                              "high-frequency roll-off from about 7 kHz",
               "url": "https://community.frame.work/t/speakers-sound-quality/1078/34"},
              {"description": "Dell Inspiron E1505: usable range about 300 Hz-20 kHz",
               "url": "https://www.danmarx.org/blog/?p=263"}],
             "DSP_REFERENCE.md section 6.2 proposal: Butterworth 4th-order high-pass at 300-400 Hz, "
             "2nd-order low-pass at 8-10 kHz, mild presence peak at 1-2 kHz.")
    estimate("car", "Car audio", "loudspeaker",
             [lsf(70.0, 0.7, 11.0), pk(200.0, 1.0, 2.5), hsf(8000.0, 0.7, -2.0)], False, {},
             [{"description": "Dennis (Nissan), AES Conv. Paper 9393 (2015): listeners preferred +13 dB bass and "
                              "-2 dB treble relative to flat in a high-quality car system",
               "url": "https://www.scribd.com/document/610178006/17950"},
              {"description": "Cabin gain: +12 dB/octave below 48-87 Hz depending on car size",
               "url": "https://trueaudio.com/post_001.htm"},
              {"description": "AudioControl DQS manual: bass 6-9 dB above the rest is preferred; door mid-bass "
                              "100-300 Hz often strong",
               "url": "http://audio.manualsonline.com/manuals/mfg/audiocontrol/dqs.html?p=23"}],
             "DSP_REFERENCE.md section 6.2 proposal: low shelf 60-80 Hz +10-13 dB (70 Hz, +11 dB here), "
             "door mid-bass bump 150-250 Hz +2-3 dB, high shelf 8 kHz -2 dB.")
    estimate("tv", "Flat-screen TV speakers", "loudspeaker",
             [pk(3000.0, 1.0, -2.0), hsf(8000.0, 0.7, -4.0)], False,
             {"highpass": {"freq_hz": 150.0, "order": 4}},
             [{"description": "Rtings TV frequency-response test scores low-frequency extension",
               "url": "https://www.rtings.com/tv/tests/sound-quality/frequency-response"},
              {"description": "Consumer Reports 2010: many slim sets cannot handle lower bass",
               "url": "https://www.consumerreports.org/cro/news/2010/10/sound-suffers-on-slimmer-smaller-tvs/index.htm"},
              {"description": "Rear/down-firing drivers hurt clarity",
               "url": "https://hdguru.com/what-hdtv-manufacturers-dont-want-to-tell-you-about-tv-sound/"}],
             "DSP_REFERENCE.md section 6.2 proposal: high-pass 2nd-4th order at 120-200 Hz (4th order, "
             "150 Hz here), high shelf 8 kHz -4 dB, dip near 3 kHz -2 dB for rear-firing drivers.")
    estimate("club_pa", "Club PA", "loudspeaker",
             [lsf(90.0, 0.7, 8.0), hsf(10000.0, 0.7, -3.0)], False,
             {"highpass": {"freq_hz": 32.0, "order": 4}},
             [{"description": "Sunsonic, 'Sound for Underground Dance': argues for flat, accurate systems; no "
                              "numeric target published",
               "url": "http://unrec.com/sunsonic/sound2.htm"}],
             "DSP_REFERENCE.md section 6.2 practical proposal [unverified there]: sub region +6-10 dB via a "
             "low shelf at 80-100 Hz (90 Hz, +8 dB here), 4th-order subsonic high-pass at 30-35 Hz, "
             "high-frequency loss above 10 kHz at distance (-3 dB shelf).")
    estimate("studio_monitors_room", "Studio monitors in a room", "loudspeaker", [], False, {},
             [target_source(ref_preset, "reference: a flat loudspeaker in a good room, measured on the rig")],
             "The reference itself: Refcan's simulations are expressed relative to Harman's in-room "
             "response of flat loudspeakers, so a good studio monitor pair in a treated room is dS = 0 dB "
             "by definition. Kept as a slot so an A/B between devices and monitors needs no mode switch.")

    for p in presets:
        p["format"] = "refcan-simulation-1"
        p["relative_to"] = "harman_in_room_flat_2013"
        p["derivation"]["tool"] = "tools/derive_simulations.py"
        p["derivation"]["command"] = COMMAND
        print(f"{p['id']}:")
        for f in p["filters"]:
            print(f"    {f['kind']:<10} {f['freq_hz']:>8.1f} Hz  Q {f['q']:<6.3f} {f['gain_db']:+6.2f} dB")
        if p["band_limit"]:
            print(f"    band limit {p['band_limit']}")
        d = p["derivation"]
        if "fit_error_db" in d:
            e = d["fit_error_db"]
            line = f"    fit error 20 Hz-10 kHz: rms {e['rms']:.2f} dB, max {e['max']:.2f} dB; max above 10 kHz {e['max_above_10k']:.2f} dB"
            if "device_part_fit_error_db" in d:
                q = d["device_part_fit_error_db"]
                line += f"\n    device part only: rms {q['rms']:.2f} dB, max {q['max']:.2f} dB"
            print(line)
        else:
            print("    engineering estimate")
        if out_dir:
            order = ["format", "id", "name", "category", "relative_to", "filters", "mono", "band_limit",
                     "derivation", "sources", "notes"]
            obj = {k: p[k] for k in order}
            with open(os.path.join(out_dir, p["id"] + ".json"), "w", encoding="utf-8") as fh:
                fh.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
