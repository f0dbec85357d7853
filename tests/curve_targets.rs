//! Every built-in target against the DSP_REFERENCE.md §1.1 table (dB re 1 kHz).
//!
//! Tolerance: the §1.1 values are read from AutoEq's 1.01-step grid "from the nearest point
//! or interpolated (±0.05 dB)", and our tables are within 0.04 dB of the source files
//! (`table_error_db` in each preset, verified by tools/derive_targets.py), so 0.1 dB.

use refcan::curve::Response;
use refcan::filter::FilterSpec;
use refcan::presets::PresetLibrary;

const FREQS_HZ: [f64; 13] = [
    20.0, 50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 3_000.0, 5_000.0, 8_000.0, 10_000.0,
    16_000.0, 20_000.0,
];
const TOLERANCE_DB: f64 = 0.1;

// DSP_REFERENCE.md §1.1 rows.
const DIFFUSE_FIELD_ISO: [f64; 13] = [
    -4.10, -4.10, -4.10, -3.51, -2.00, 0.0, 6.91, 11.51, 6.49, 5.39, 2.69, -3.42, -6.91,
];
const IN_ROOM_FLAT_2013: [f64; 13] = [
    -4.00, -4.10, -3.81, -3.50, -1.79, 0.0, 6.12, 10.92, 7.64, 3.81, 1.20, -8.22, -14.15,
];
const HARMAN_OE_2018_CURRENT: [f64; 13] = [
    3.86, 3.31, 1.05, -1.95, -0.84, 0.0, 5.28, 8.32, 6.44, 2.43, -0.70, -9.17, -22.92,
];
const HARMAN_OE_2018_WO_BASS: [f64; 13] = [
    -2.13, -2.38, -2.23, -2.39, -0.85, 0.0, 5.28, 8.32, 6.44, 2.43, -0.70, -9.17, -22.92,
];
const HARMAN_IE_2019_WO_BASS: [f64; 13] = [
    -1.38, -1.86, -2.10, -1.68, -1.43, 0.0, 5.81, 9.30, 7.71, 3.60, -0.76, -10.19, -20.61,
];
const DIFFUSE_FIELD_GRAS_KEMAR: [f64; 13] = [
    -3.85, -3.85, -3.83, -3.82, -1.75, 0.0, 7.88, 11.26, 6.93, 5.45, 3.15, -2.68, -5.17,
];
const HARMAN_IE_2019_V2_PUBLISHED: [f64; 13] = [
    7.70, 6.66, 2.88, -0.87, -1.38, 0.0, 5.82, 9.40, 7.84, 3.65, -0.72, -10.31, -21.10,
];

fn check(name: &str, curve: &Response, want: &[f64; 13], tolerance_db: f64) {
    for (f, w) in FREQS_HZ.iter().zip(want) {
        let got = curve.gain_at(*f);
        assert!(
            (got - w).abs() <= tolerance_db,
            "{name} at {f} Hz: {got:.3} dB, DSP_REFERENCE §1.1 says {w:+.2}"
        );
    }
}

fn library() -> PresetLibrary {
    let lib = PresetLibrary::builtin();
    assert!(lib.messages.is_empty(), "{:?}", lib.messages);
    lib
}

fn curve(lib: &PresetLibrary, id: &str) -> Response {
    match lib.target(id).map(|t| t.curve()) {
        Some(Ok(c)) => c,
        other => panic!("target {id}: {other:?}"),
    }
}

/// The table alone (without its filters), centred.
fn table(lib: &PresetLibrary, id: &str) -> Response {
    match lib.target(id).map(|t| Response::from_pairs(&t.points)) {
        Some(Ok(c)) => c.centered(),
        other => panic!("target {id}: {other:?}"),
    }
}

#[test]
fn every_builtin_target_is_checked_here() {
    let lib = library();
    let ids: Vec<&str> = lib.targets.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "diffuse_field_iso_11904_2",
            "harman_in_room_flat_2013",
            "harman_oe_2018",
            "harman_ie_2019v2",
            "diffuse_field_gras_kemar",
            "diffuse_field_5128"
        ]
    );
    for t in &lib.targets {
        let c = curve(&lib, &t.id);
        assert!(c.gain_at(1_000.0).abs() < 1e-9, "{} not centred", t.id);
        let err = t.table_error_db.as_ref().map_or(f64::INFINITY, |e| e.max);
        assert!(err <= 0.1, "{}: recorded table error {err}", t.id);
        assert!(t.source.commit.as_deref().is_some_and(|c| c.len() == 40));
    }
}

#[test]
fn diffuse_field_matches_reference_table() {
    let lib = library();
    check(
        "DF ISO 11904-2",
        &curve(&lib, "diffuse_field_iso_11904_2"),
        &DIFFUSE_FIELD_ISO,
        TOLERANCE_DB,
    );
}

#[test]
fn gras_kemar_diffuse_field_matches_reference_table() {
    let lib = library();
    // The §1.1 row's 8 kHz value (+5.45) sits on a +0.3 dB-per-step slope of the source
    // (5.35 at 7989 Hz, 5.61 at 8069 Hz: 5.39 at 8 kHz), hence 0.15 dB for this row; the
    // exact comparison with the source file is `rig_diffuse_fields_match_their_source_files`.
    check(
        "DF GRAS KEMAR",
        &curve(&lib, "diffuse_field_gras_kemar"),
        &DIFFUSE_FIELD_GRAS_KEMAR,
        0.15,
    );
}

/// The rig-specific diffuse fields against their AutoEq files in ../shared/data at every
/// source point, both centred at 1 kHz (DSP_REFERENCE.md has no 5128 row, and its GRAS KEMAR
/// row is read to ±0.05 dB on steep slopes). A missing file fails the test when
/// `REFCAN_REQUIRE_SHARED_DATA=1`, as CI sets it. Tolerance: the table's 0.04 dB, twice (the
/// target is re-centred at its own 1 kHz value, itself within 0.04 dB): 0.08 dB (measured
/// 0.061 dB for the 5128; printed with `--nocapture`).
#[test]
fn rig_diffuse_fields_match_their_source_files() {
    let required = std::env::var("REFCAN_REQUIRE_SHARED_DATA").is_ok_and(|v| v == "1");
    let lib = library();
    for (id, file) in [
        ("diffuse_field_5128", "Diffuse field 5128.csv"),
        ("diffuse_field_gras_kemar", "diffuse_field_gras_kemar.csv"),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/autoeq")
            .join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert!(!required, "{} is missing", path.display());
            println!("skipped: {} not found", path.display());
            continue;
        };
        let mut source = Vec::new();
        for line in text.lines().skip(1) {
            let mut cols = line.split(',').map(|v| v.trim().parse::<f64>());
            let (Some(Ok(f)), Some(Ok(v))) = (cols.next(), cols.next()) else {
                panic!("{}: bad line {line:?}", path.display())
            };
            source.push([f, v]);
        }
        let source = match Response::from_pairs(&source) {
            Ok(r) => r,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let at_1k = source.gain_at(1_000.0);
        let c = curve(&lib, id);
        let (mut worst, mut at): (f64, f64) = (0.0, 0.0);
        for &f in refcan::curve::grid_hz() {
            let e = (c.gain_at(f) - (source.gain_at(f) - at_1k)).abs();
            if e > worst {
                (worst, at) = (e, f);
            }
        }
        println!("{id}: max |target − source| {worst:.3} dB at {at:.0} Hz on the grid");
        assert!(worst <= 0.08, "{id}: {worst:.3} dB at {at:.0} Hz");
    }
}

#[test]
fn in_room_flat_matches_reference_table() {
    let lib = library();
    check(
        "in-room flat 2013",
        &curve(&lib, "harman_in_room_flat_2013"),
        &IN_ROOM_FLAT_2013,
        TOLERANCE_DB,
    );
}

#[test]
fn harman_over_ear_is_wo_bass_table_plus_6db_shelf() {
    let lib = library();
    check(
        "OE 2018 table",
        &table(&lib, "harman_oe_2018"),
        &HARMAN_OE_2018_WO_BASS,
        TOLERANCE_DB,
    );
    // Table + LS 105 Hz Q 0.7 +6 dB reproduces AutoEq's current with-bass file.
    check(
        "OE 2018",
        &curve(&lib, "harman_oe_2018"),
        &HARMAN_OE_2018_CURRENT,
        TOLERANCE_DB,
    );
    let t = lib.target("harman_oe_2018").map(|t| t.filters.clone());
    assert_eq!(t, Some(vec![FilterSpec::low_shelf(105.0, 0.7, 6.0)]));
}

#[test]
fn harman_in_ear_is_wo_bass_table_plus_9_5db_shelf() {
    let lib = library();
    check(
        "IE 2019 table",
        &table(&lib, "harman_ie_2019v2"),
        &HARMAN_IE_2019_WO_BASS,
        TOLERANCE_DB,
    );
    // Expected: the without-bass row + the shelf, re-centred (§1.2 shelf values at 44.1 kHz).
    let shelf = FilterSpec::low_shelf(105.0, 0.7, 9.5);
    let at_1k = shelf.magnitude_db(1_000.0, 44_100.0);
    let mut want = HARMAN_IE_2019_WO_BASS;
    for (w, f) in want.iter_mut().zip(FREQS_HZ) {
        *w += shelf.magnitude_db(f, 44_100.0) - at_1k;
    }
    check(
        "IE 2019",
        &curve(&lib, "harman_ie_2019v2"),
        &want,
        TOLERANCE_DB,
    );
    // The published with-bass file is not an exact shelf difference (§1.2): ours is
    // 0.4 dB above it at 20 Hz and within 0.2 dB over 200 Hz–10 kHz. (The §1.1 row is the
    // older `compensation/harman_in-ear_2019v2.csv@20c84146`, which also differs by ~0.5 dB
    // at 20 kHz; against `targets/harman_in-ear_2019v2.csv@e6a7b6cd` the derivation script
    // records the maximum, 0.49 dB at 20 Hz, in the preset's with_bass_check.)
    let ie = curve(&lib, "harman_ie_2019v2");
    let d20 = ie.gain_at(20.0) - HARMAN_IE_2019_V2_PUBLISHED[0];
    assert!((0.3..0.5).contains(&d20), "{d20}");
    for (i, f) in FREQS_HZ.iter().enumerate().take(11).skip(3) {
        let d = ie.gain_at(*f) - HARMAN_IE_2019_V2_PUBLISHED[i];
        assert!(d.abs() <= 0.2, "{f}: {d}");
    }
}

#[test]
fn pinna_gain_on_every_builtin_target() {
    use refcan::curve::PersonalTarget;
    let lib = library();
    for t in &lib.targets {
        let base = curve(&lib, &t.id);
        let same = PersonalTarget::default().build(&base);
        assert_eq!(
            same.values_db(),
            base.values_db(),
            "{}: 100 % must be exact",
            t.id
        );
        let flat = PersonalTarget {
            pinna_gain_percent: 0.0,
            ..Default::default()
        }
        .build(&base);
        // 0 %: the 2–5 kHz ear-gain peak (+8.3…+11.5 dB) is gone; what is left is the line
        // between the baseline's values at 1 and 10 kHz (≤ +3.2 dB on these targets: the
        // GRAS KEMAR diffuse field is +3.15 dB at 10 kHz).
        let peak_base = base.gain_at(3_000.0).max(base.gain_at(3_300.0));
        let peak_flat = [2_000.0, 2_500.0, 3_000.0, 3_500.0, 4_000.0, 5_000.0]
            .iter()
            .map(|&f| flat.gain_at(f))
            .fold(f64::MIN, f64::max);
        assert!(
            peak_base > 8.0 && peak_flat < 3.2,
            "{}: {peak_base} → {peak_flat}",
            t.id
        );
        // Outside 1–10 kHz nothing moves.
        for f in [20.0, 100.0, 500.0, 12_000.0, 20_000.0] {
            assert!(
                (flat.gain_at(f) - base.gain_at(f)).abs() < 1e-9,
                "{} at {f}",
                t.id
            );
        }
    }
}
