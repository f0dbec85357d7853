#!/usr/bin/env python3
"""Derives Refcan's built-in headphone library (presets/headphones/*.json) from AutoEq.

Usage:
    python3 tools/derive_headphones.py AUTOEQ [--out presets/headphones] [--check]

AUTOEQ is either a git directory of github.com/jaakkopasanen/AutoEq (bare or the .git of a
clone; each file is read with `git show COMMIT:PATH` at the commit recorded below), or a
directory laid out like an AutoEq checkout (each file read from AUTOEQ/PATH; use it only with
the file versions recorded below).

For each model: the raw measurement column is normalised to 0 dB at 1 kHz (level interpolated
linearly in log10 frequency, the same centring Refcan applies on import), then reduced to a
table of the source's own points (adaptive: a point is kept where leaving it out would move the
table by more than TOLERANCE_DB somewhere), rounded to 0.01 dB. fit_rms_db is the RMS
difference between the normalised source and the table interpolated linearly in log10
frequency, at the source's own points between 20 Hz and 16 kHz. Any entry above MAX_FIT_DB
fails the run. Output is deterministic (fixed key order, fixed number formatting).

Standard library only.
"""

import argparse
import json
import math
import os
import subprocess
import sys

FORMAT = "refcan-headphone-1"
REPOSITORY = "https://github.com/jaakkopasanen/AutoEq"
LICENCE = (
    "AutoEq is MIT-licensed (see LICENSE in the repository); the measurements are "
    "oratory1990's, published through AutoEq. Reduced table derived from the source CSV; "
    "attribution kept in this record."
)
AUTHOR = "oratory1990 (via AutoEq)"
RIGS = {
    "over_ear": "GRAS 43AG-7 ear and cheek simulator with KB5000/KB5001 pinna (oratory1990; "
    "AutoEq README: 'Gras 43AG and 43AC couplers')",
    "on_ear": "GRAS 43AG-7 ear and cheek simulator with KB5000/KB5001 pinna (oratory1990; "
    "AutoEq README: 'Gras 43AG and 43AC couplers')",
    "in_ear": "GRAS 43AG/43AC ear simulator with IEC 60318-4 (711) coupler (oratory1990; "
    "AutoEq README: 'Gras 43AG and 43AC couplers')",
    "earbud": "GRAS 43AG/43AC ear simulator with IEC 60318-4 (711) coupler (oratory1990; "
    "AutoEq README: 'Gras 43AG and 43AC couplers')",
}
CENTER_HZ = 1000.0
FIT_LO_HZ, FIT_HI_HZ = 20.0, 16000.0
TOLERANCE_DB = 0.12
MAX_FIT_DB = 0.3

O = "measurements/oratory1990/data/"
C_D00 = "d00f69e53ea57b16582b80e17622ad263a03abe0"
C_F62 = "f624f4f7d0cfaf702fb206827abb5a54cf6be6ba"
C_146 = "1467667b1d17feffff62c48313c0bc16f0c7e93e"
C_BD8 = "bd85230283320f6c7dc3635f2e2a0a6a0e21c444"
C_8DB = "8db5ef94eced8039f84adddebe6df051e760beae"

# (id, brand, name, form, path in AutoEq, commit of that file version)
MODELS = [
    ("akg_k371", "AKG", "K371", "over_ear", O + "over-ear/AKG K371.csv", C_D00),
    ("beats_studio3", "Beats", "Studio3 Wireless", "over_ear",
     O + "over-ear/Beats Studio3 Wireless.csv", C_D00),
    ("beyerdynamic_dt770_pro_worn", "Beyerdynamic", "DT 770 Pro (worn earpads)", "over_ear",
     O + "over-ear/Beyerdynamic DT 770 Pro (worn earpads).csv", C_146),
    ("apple_airpods", "Apple", "AirPods", "earbud", O + "earbud/Apple AirPods.csv", C_F62),
    ("apple_earpods", "Apple", "EarPods", "earbud",
     O + "earbud/Apple EarPods/Apple EarPods.csv", "15d9380ecb56656deba0a377d64e03a15dd72375"),
    ("beats_powerbeats_pro", "Beats", "Powerbeats Pro", "in_ear",
     O + "in-ear/Beats Powerbeats Pro.csv", C_F62),
    ("sony_mdr_xb50", "Sony", "MDR-XB50", "in_ear", O + "in-ear/Sony MDR-XB50.csv", C_F62),
    ("audio_technica_ath_m50x", "Audio-Technica", "ATH-M50x", "over_ear",
     O + "over-ear/Audio-Technica ATH-M50x.csv", C_D00),
    ("beyerdynamic_dt880", "Beyerdynamic", "DT 880", "over_ear",
     O + "over-ear/Beyerdynamic DT 880.csv", C_D00),
    ("sennheiser_hd650", "Sennheiser", "HD 650", "over_ear",
     O + "over-ear/Sennheiser HD 650.csv", C_D00),
    ("sony_mdr_7506", "Sony", "MDR-7506", "over_ear", O + "over-ear/Sony MDR-7506.csv", C_D00),
    ("akg_k702", "AKG", "K702", "over_ear", O + "over-ear/AKG K702.csv", C_D00),
    ("etymotic_er4sr", "Etymotic", "ER4SR", "in_ear", O + "in-ear/Etymotic ER4SR.csv", C_D00),
    ("audeze_lcd_x", "Audeze", "LCD-X", "over_ear", O + "over-ear/Audeze LCD-X.csv", C_F62),
    ("sennheiser_hd280_pro", "Sennheiser", "HD 280 Pro", "over_ear",
     O + "over-ear/Sennheiser HD 280 Pro.csv", C_D00),
    ("sennheiser_hd560s", "Sennheiser", "HD 560S", "over_ear",
     O + "over-ear/Sennheiser HD 560S.csv", C_BD8),
    ("sony_wh_1000xm4", "Sony", "WH-1000XM4", "over_ear",
     O + "over-ear/Sony WH-1000XM4.csv", C_F62),
    ("moondrop_blessing2", "Moondrop", "Blessing 2", "in_ear",
     O + "in-ear/Moondrop Blessing 2.csv", C_D00),
    ("audio_technica_ath_m40x", "Audio-Technica", "ATH-M40x", "over_ear",
     O + "over-ear/Audio-Technica ATH-M40x.csv", C_D00),
    ("akg_k712", "AKG", "K712", "over_ear", O + "over-ear/AKG K712.csv", C_BD8),
    ("beyerdynamic_dt990", "Beyerdynamic", "DT 990", "over_ear",
     O + "over-ear/Beyerdynamic DT 990 (fresh earpads).csv",
     "8451a6c930414585758d77c9607520c4e73d1134"),
    ("sony_ier_m9", "Sony", "IER-M9", "in_ear", O + "in-ear/Sony IER-M9.csv", C_F62),
    ("sennheiser_ie900", "Sennheiser", "IE 900", "in_ear", O + "in-ear/Sennheiser IE 900.csv",
     C_D00),
    ("sony_wf_1000xm4", "Sony", "WF-1000XM4", "in_ear", O + "in-ear/Sony WF-1000XM4.csv",
     C_F62),
    ("beyerdynamic_dt700_pro_x", "Beyerdynamic", "DT 700 Pro X", "over_ear",
     O + "over-ear/Beyerdynamic DT 700 Pro X.csv", C_D00),
    ("beyerdynamic_dt900_pro_x", "Beyerdynamic", "DT 900 Pro X", "over_ear",
     O + "over-ear/Beyerdynamic DT 900 Pro X.csv", C_D00),
    ("austrian_audio_hi_x55", "Austrian Audio", "Hi-X55", "over_ear",
     O + "over-ear/Austrian Audio Hi-X55.csv", C_F62),
    ("akg_k240_studio", "AKG", "K240 Studio", "over_ear", O + "over-ear/AKG K240 Studio.csv",
     C_D00),
    ("samsung_galaxy_buds_pro", "Samsung", "Galaxy Buds Pro", "in_ear",
     O + "in-ear/Samsung Galaxy Buds Pro.csv", C_D00),
    ("audio_technica_ath_m70x", "Audio-Technica", "ATH-M70x", "over_ear",
     O + "over-ear/Audio-Technica ATH-M70x.csv", C_8DB),
    ("sony_mdr_7550", "Sony", "MDR-7550", "in_ear", O + "in-ear/Sony MDR-7550.csv", C_D00),
    ("sennheiser_ie200", "Sennheiser", "IE 200", "in_ear", O + "in-ear/Sennheiser IE 200.csv",
     C_8DB),
    ("7hz_timeless", "7Hz", "Timeless", "in_ear", O + "in-ear/7Hz Timeless.csv", C_BD8),
    ("moondrop_chu", "Moondrop", "Chu", "in_ear", O + "in-ear/Moondrop Chu.csv", C_D00),
    ("audeze_lcd_2_classic", "Audeze", "LCD-2 Classic", "over_ear",
     O + "over-ear/Audeze LCD-2 Classic.csv", C_D00),
    ("apple_me186_in_ear", "Apple", "In-Ear Headphones (ME186)", "in_ear",
     O + "in-ear/Apple ME186 In-Ear Headphones.csv", C_D00),
    ("beats_solo_pro", "Beats", "Solo Pro", "on_ear", O + "over-ear/Beats Solo Pro.csv", C_D00),
    ("sony_wf_1000xm5", "Sony", "WF-1000XM5", "in_ear", O + "in-ear/Sony WF-1000XM5.csv",
     C_8DB),
    ("akg_k361", "AKG", "K361", "over_ear", O + "over-ear/AKG K361.csv", C_F62),
    ("austrian_audio_hi_x60", "Austrian Audio", "Hi-X60", "over_ear",
     O + "over-ear/Austrian Audio Hi-X60.csv", C_BD8),
    ("shure_se112", "Shure", "SE112", "in_ear", O + "in-ear/Shure SE112.csv", C_F62),
    ("bose_quietcomfort_20", "Bose", "QuietComfort 20", "in_ear",
     O + "in-ear/Bose QuietComfort 20.csv", C_D00),
    ("jabra_elite_75t", "Jabra", "Elite 75t", "in_ear", O + "in-ear/Jabra Elite 75t.csv", C_F62),
    ("akg_k812", "AKG", "K812", "over_ear", O + "over-ear/AKG K812.csv", C_F62),
    ("sennheiser_momentum_true_wireless_3", "Sennheiser", "Momentum True Wireless 3", "in_ear",
     O + "in-ear/Sennheiser Momentum True Wireless 3.csv", C_BD8),
    ("audio_technica_ath_m20x", "Audio-Technica", "ATH-M20x", "over_ear",
     O + "over-ear/Audio-Technica ATH-M20x.csv", "ab5869c8f4996f8eea88abca50a41510263ed098"),
    ("sony_mh755", "Sony", "MH755", "in_ear", O + "in-ear/Sony MH755.csv", C_F62),
    ("samsung_galaxy_buds2_pro", "Samsung", "Galaxy Buds2 Pro", "in_ear",
     O + "in-ear/Samsung Galaxy Buds2 Pro.csv", C_D00),
    ("bang_olufsen_beoplay_h95", "Bang & Olufsen", "Beoplay H95", "over_ear",
     O + "over-ear/Bang & Olufsen Beoplay H95.csv", C_F62),
    ("final_audio_e3000", "Final Audio", "E3000", "in_ear", O + "in-ear/Final Audio E3000.csv",
     C_BD8),
]


def read_source(autoeq, path, commit):
    """The file's text: `git show` from a git directory, else a file under the directory."""
    is_git = os.path.isfile(os.path.join(autoeq, "HEAD")) and os.path.isdir(
        os.path.join(autoeq, "objects")
    )
    if is_git:
        out = subprocess.run(
            ["git", "--git-dir", autoeq, "show", f"{commit}:{path}"],
            check=False, capture_output=True,
        )
        if out.returncode != 0:
            sys.exit(f"error: git show {commit}:{path}: {out.stderr.decode().strip()}")
        return out.stdout.decode("utf-8")
    full = os.path.join(autoeq, path)
    if not os.path.isfile(full):
        sys.exit(f"error: {full}: no such file")
    with open(full, encoding="utf-8") as f:
        return f.read()


def parse_csv(text, path):
    """(freqs, levels) from the 'frequency' and 'raw' columns of an AutoEq CSV."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    header = [h.strip().lower() for h in lines[0].split(",")]
    if "frequency" not in header or "raw" not in header:
        sys.exit(f"error: {path}: header has no frequency/raw column: {lines[0]!r}")
    fi, ri = header.index("frequency"), header.index("raw")
    freqs, levels = [], []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        try:
            f, v = float(cells[fi]), float(cells[ri])
        except (ValueError, IndexError):
            sys.exit(f"error: {path}:{n}: not a number pair: {line!r}")
        if freqs and f <= freqs[-1]:
            sys.exit(f"error: {path}:{n}: frequencies not increasing")
        freqs.append(f)
        levels.append(v)
    if len(freqs) < 10:
        sys.exit(f"error: {path}: only {len(freqs)} points")
    return freqs, levels


def interp_log(xs, ys, f):
    """ys at frequency f, linear in log10 f between points, ends held."""
    if f <= xs[0]:
        return ys[0]
    if f >= xs[-1]:
        return ys[-1]
    lo, hi = 0, len(xs) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xs[mid] <= f:
            lo = mid
        else:
            hi = mid
    t = (math.log10(f) - math.log10(xs[lo])) / (math.log10(xs[hi]) - math.log10(xs[lo]))
    return ys[lo] + t * (ys[hi] - ys[lo])


def reduce_points(freqs, levels, tol):
    """Indices of a subset of points (ends always kept) such that the table interpolated in
    log10 f is within tol of every source point (Douglas-Peucker along log f)."""
    logf = [math.log10(f) for f in freqs]
    keep = {0, len(freqs) - 1}
    stack = [(0, len(freqs) - 1)]
    while stack:
        a, b = stack.pop()
        worst, worst_i = -1.0, None
        for i in range(a + 1, b):
            t = (logf[i] - logf[a]) / (logf[b] - logf[a])
            err = abs(levels[a] + t * (levels[b] - levels[a]) - levels[i])
            if err > worst:
                worst, worst_i = err, i
        if worst_i is not None and worst > tol:
            keep.add(worst_i)
            stack.append((a, worst_i))
            stack.append((worst_i, b))
    return sorted(keep)


def fit_rms(freqs, levels, table):
    """RMS difference, dB, between the source and the table over FIT_LO_HZ..FIT_HI_HZ."""
    tx = [p[0] for p in table]
    ty = [p[1] for p in table]
    errs = [
        interp_log(tx, ty, f) - v
        for f, v in zip(freqs, levels)
        if FIT_LO_HZ <= f <= FIT_HI_HZ
    ]
    return math.sqrt(sum(e * e for e in errs) / len(errs))


def fmt_num(x):
    """Shortest fixed formatting: integers without a point, else up to two decimals."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def derive(autoeq, model):
    ident, brand, name, form, path, commit = model
    freqs, raw = parse_csv(read_source(autoeq, path, commit), path)
    ref = interp_log(freqs, raw, CENTER_HZ)
    levels = [v - ref for v in raw]
    idx = reduce_points(freqs, levels, TOLERANCE_DB)
    table = [[round(freqs[i], 2), round(levels[i], 2)] for i in idx]
    rms = fit_rms(freqs, levels, table)
    entry = {
        "format": FORMAT,
        "id": ident,
        "name": f"{brand} {name}",
        "brand": brand,
        "form": form,
        "rig": RIGS[form],
        "source": {
            "repository": REPOSITORY,
            "commit": commit,
            "path": path,
            "author": AUTHOR,
            "licence": LICENCE,
        },
        "normalisation": "0 dB at 1 kHz",
        "fit_rms_db": round(rms, 3),
        "points": table,
    }
    return entry, rms


def render(entry):
    """JSON text with one line per field and the points on one line."""
    head = {k: v for k, v in entry.items() if k != "points"}
    body = json.dumps(head, indent=2, ensure_ascii=False)[:-2]
    pts = ",".join(f"[{fmt_num(f)},{fmt_num(v)}]" for f, v in entry["points"])
    return body + f',\n  "points": [{pts}]\n}}\n'


def render_builtin_list(ids):
    """The Rust slice `src/headphones.rs` includes: (path, contents) of every file."""
    lines = [
        "// Written by tools/derive_headphones.py: the embedded headphone library files.",
        "&[",
    ]
    for ident in ids:
        rel = f"presets/headphones/{ident}.json"
        lines.append(
            f'    ("{rel}", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/{rel}"))),'
        )
    lines.append("]")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("autoeq", help="AutoEq git directory, or a directory laid out like one")
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "presets", "headphones"))
    ap.add_argument("--check", action="store_true",
                    help="write nothing; fail if a file differs from what would be written")
    args = ap.parse_args()

    ids = [m[0] for m in MODELS]
    for ident in ids:
        if not ident or any(c not in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in ident):
            sys.exit(f"error: invalid id {ident!r}")
    if len(set(ids)) != len(ids):
        sys.exit("error: duplicate ids")

    failures, stale, fits = [], [], []
    for model in MODELS:
        entry, rms = derive(args.autoeq, model)
        fits.append(rms)
        print(f"{entry['id']:<36} {len(entry['points']):4d} points  fit {rms:.3f} dB  "
              f"{entry['source']['path']}")
        if rms > MAX_FIT_DB:
            failures.append(f"{entry['id']}: fit {rms:.3f} dB > {MAX_FIT_DB} dB")
        text = render(entry)
        target = os.path.join(args.out, f"{entry['id']}.json")
        if args.check:
            try:
                with open(target, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(target)
            except FileNotFoundError:
                stale.append(target)
        else:
            os.makedirs(args.out, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
    listing = render_builtin_list(sorted(ids))
    listing_path = os.path.join(args.out, "builtin.rs")
    if args.check:
        try:
            with open(listing_path, encoding="utf-8") as f:
                if f.read() != listing:
                    stale.append(listing_path)
        except FileNotFoundError:
            stale.append(listing_path)
    else:
        with open(listing_path, "w", encoding="utf-8", newline="\n") as f:
            f.write(listing)
    if not args.check:
        known = {f"{i}.json" for i in ids}
        for name in sorted(os.listdir(args.out)):
            if name.endswith(".json") and name not in known:
                print(f"warning: {name} is not in the model list", file=sys.stderr)
    fits.sort()
    print(f"{len(MODELS)} models; fit max {fits[-1]:.3f} dB, median "
          f"{fits[len(fits) // 2]:.3f} dB")
    if failures:
        sys.exit("FAILED: fit above limit:\n  " + "\n  ".join(failures))
    if stale:
        sys.exit("FAILED: out of date (rerun without --check):\n  " + "\n  ".join(stale))


if __name__ == "__main__":
    main()
