//! Regression tests for what the fuzz targets in `fuzz/` found (docs/RELIABILITY.md,
//! "Fuzzing"): each test is the smallest input that failed, fed to the same entry point.

use refcan::headphones::HeadphoneEntry;

fn entry() -> HeadphoneEntry {
    HeadphoneEntry::parse(
        "h.json",
        r#"{"format": "refcan-headphone-1", "id": "h", "name": "H", "brand": "B",
            "form": "over_ear", "rig": "r",
            "source": {"repository": "r", "commit": "c", "path": "p", "author": "a",
                       "licence": "l"},
            "normalisation": "0 dB at 1 kHz", "fit_rms_db": 0.0,
            "points": [[20, 5.0], [1000, 0.0], [20000, -10.0]]}"#,
    )
    .expect("a valid entry")
}

/// headphone_entry, finding 1: `level_at(NaN)` indexed the table at −1 (subtract with
/// overflow) instead of answering.
#[test]
fn headphone_level_at_a_nan_frequency_is_nan_not_a_panic() {
    let e = entry();
    assert!(e.level_at(f64::NAN).is_nan());
    assert_eq!(e.level_at(f64::INFINITY), -10.0);
    assert_eq!(e.level_at(f64::NEG_INFINITY), 5.0);
    assert_eq!(e.level_at(1000.0), 0.0);
    let mut empty = e.clone();
    empty.points.clear();
    assert!(empty.level_at(1000.0).is_nan());
}

/// headphone_entry, finding 2: an entry whose table has a single point inside 20 Hz–20 kHz
/// (here 10 Hz and 20 kHz), or a level beyond ±200 dB, was accepted by the library reader but
/// refused when installed ("Not installed"); the reader now refuses it, naming the field.
#[test]
fn headphone_entries_that_cannot_be_installed_are_refused_when_read() {
    let with_points = |points: &str| {
        format!(
            r#"{{"format": "refcan-headphone-1", "id": "h", "name": "H", "brand": "B",
                "form": "over_ear", "rig": "r",
                "source": {{"repository": "r", "commit": "c", "path": "p", "author": "a",
                           "licence": "l"}},
                "normalisation": "0 dB at 1 kHz", "fit_rms_db": 0.05, "points": {points}}}"#
        )
    };
    // The fuzzer's input, reduced to its table.
    let e = HeadphoneEntry::parse("crash.json", &with_points("[[10, 53.0], [20000, -10.0]]"))
        .expect_err("one point in the band");
    assert_eq!(
        e.to_string(),
        "crash.json: field `points`: expected at least two points between 20 Hz and 20 kHz, \
         found 1 (2 points in total)"
    );
    let e = HeadphoneEntry::parse("loud.json", &with_points("[[20, 1e3], [20000, 0]]"))
        .expect_err("1000 dB");
    assert!(
        e.to_string()
            .contains("field `points`: point 0: expected a level within ±200 dB, found 1000"),
        "{e}"
    );
    // And what is accepted installs.
    let ok = HeadphoneEntry::parse("ok.json", &with_points("[[20, 3], [20000, 0]]")).expect("ok");
    let correction = ok.to_headphone().correction(
        &refcan::curve::Response::flat(),
        &refcan::curve::CorrectionSettings::default(),
    );
    assert!(correction.is_ok());
}
