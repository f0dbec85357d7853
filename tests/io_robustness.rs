//! Property tests: no input makes the detector, the importers, the EQ evaluation or the
//! exporters panic.

use proptest::prelude::*;
use refcan::filter::{FilterKind, FilterSpec};
use refcan::io::export::{
    CamillaOptions, GraphicEqOptions, camilladsp_yaml, graphic_eq_txt, parametric_eq_txt,
};
use refcan::io::{Channel, Content, ImportOptions, ParametricEq, import_bytes, import_bytes_with};

const PROBE_HZ: [f64; 9] = [
    0.0,
    -1.0,
    f64::NAN,
    1e-9,
    20.0,
    1000.0,
    23_999.0,
    24_000.0,
    1e12,
];

/// Imports, and when it succeeds, uses the result the way the rest of Refcan will.
fn exercise(bytes: &[u8], column: Option<String>) {
    let options = ImportOptions {
        column,
        ..ImportOptions::default()
    };
    match import_bytes_with("fuzz.txt", bytes, &options) {
        Ok(imported) => match &imported.content {
            Content::Eq(eq) => {
                for fs in [44_100.0, 48_000.0, 8_000.0, 0.0, f64::NAN] {
                    for ch in [Channel::Left, Channel::Right] {
                        let _ = eq.response_db(&PROBE_HZ, fs, ch);
                        let _ = eq.filter_specs(fs, ch);
                        let _ = eq.to_parametric(fs, ch);
                    }
                }
            }
            Content::Curve(c) => {
                let curve = c.channels.channel(Channel::Left);
                assert!(curve.freq_hz.windows(2).all(|w| w[0] < w[1]));
                assert!(curve.db.iter().all(|d| d.is_finite()));
                for f in PROBE_HZ {
                    let _ = curve.value_at(f);
                }
            }
        },
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.contains('\n'), "{shown}");
            assert!(shown.starts_with("fuzz.txt"), "{shown}");
        }
    }
}

/// Lines assembled from the vocabulary of the supported formats, to get past detection.
fn token_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("Preamp:".to_owned()),
        Just("Filter".to_owned()),
        Just("Filter 1:".to_owned()),
        Just("ON".to_owned()),
        Just("OFF".to_owned()),
        Just("PK".to_owned()),
        Just("LS".to_owned()),
        Just("HSC".to_owned()),
        Just("NO".to_owned()),
        Just("Fc".to_owned()),
        Just("Hz".to_owned()),
        Just("Gain".to_owned()),
        Just("dB".to_owned()),
        Just("Q".to_owned()),
        Just("BW Oct".to_owned()),
        Just("GraphicEQ:".to_owned()),
        Just("Channel:".to_owned()),
        Just("L".to_owned()),
        Just("all".to_owned()),
        Just("frequency,raw".to_owned()),
        Just("* Freq(Hz)\tSPL(dB)".to_owned()),
        Just(",".to_owned()),
        Just(";".to_owned()),
        Just("\t".to_owned()),
        Just("|".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("1.000".to_owned()),
        Just("-0".to_owned()),
        Just("1e308".to_owned()),
        Just("e".to_owned()),
        Just("\u{A0}".to_owned()),
        any::<f64>().prop_map(|v| v.to_string()),
        (0u32..30_000).prop_map(|v| v.to_string()),
        (-300.0f64..300.0).prop_map(|v| format!("{v:.2}")),
    ];
    proptest::collection::vec(token, 0..120).prop_map(|t| t.join(" "))
}

fn filter_strategy() -> impl Strategy<Value = FilterSpec> {
    let kind = prop_oneof![
        Just(FilterKind::Peaking),
        Just(FilterKind::LowShelf),
        Just(FilterKind::HighShelf),
        Just(FilterKind::LowPass),
        Just(FilterKind::HighPass),
        Just(FilterKind::BandPass),
        Just(FilterKind::Notch),
        Just(FilterKind::AllPass),
    ];
    (kind, any::<f64>(), any::<f64>(), any::<f64>()).prop_map(|(kind, freq_hz, q, gain_db)| {
        FilterSpec {
            kind,
            freq_hz,
            q,
            gain_db,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        exercise(&bytes, None);
    }

    #[test]
    fn arbitrary_printable_text_never_panics(text in "[ -~\t\r\n]{0,1500}") {
        exercise(text.as_bytes(), None);
    }

    #[test]
    fn arbitrary_unicode_text_never_panics(text in "\\PC{0,500}", column in proptest::option::of("\\PC{0,10}")) {
        exercise(text.as_bytes(), column);
    }

}

// Fewer cases for the slower generators (debug builds are ~40x slower than release here).
proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn format_vocabulary_never_panics(text in token_text(), column in proptest::option::of("[a-z]{1,6}")) {
        exercise(text.as_bytes(), column);
    }

    #[test]
    fn numeric_tables_never_panic(
        rows in proptest::collection::vec((any::<f64>(), any::<f64>()), 0..200),
        sep in prop_oneof![Just(","), Just(";"), Just("\t"), Just(" "), Just("|")],
    ) {
        let text: String = rows.iter().map(|(f, d)| format!("{f}{sep}{d}\n")).collect();
        exercise(text.as_bytes(), None);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn exporters_never_panic_and_reimport(
        filters in proptest::collection::vec(filter_strategy(), 0..8),
        preamp in any::<f64>(),
        curve in proptest::collection::vec((any::<f64>(), any::<f64>()), 0..40),
    ) {
        let eq = ParametricEq { preamp_db: preamp, filters };
        if let Ok(text) = parametric_eq_txt(&eq) {
            // Whatever we write, the importer must accept or refuse cleanly.
            let _ = import_bytes("rt.txt", text.as_bytes());
        }
        let _ = camilladsp_yaml(&eq, &CamillaOptions::default());
        let (f, d): (Vec<f64>, Vec<f64>) = curve.into_iter().unzip();
        for options in [GraphicEqOptions::default(), GraphicEqOptions::autoeq()] {
            if let Ok(text) = graphic_eq_txt(&f, &d, &options) {
                let _ = import_bytes("g.txt", text.as_bytes());
            }
        }
    }
}
