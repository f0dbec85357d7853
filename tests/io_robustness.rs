//! Property tests: no input makes the detector, the importers, the EQ evaluation or the
//! exporters panic.

use proptest::prelude::*;
use refcan::filter::{FilterKind, FilterSpec};
use refcan::io::export::{
    CamillaOptions, GraphicEqOptions, camilladsp_yaml, graphic_eq_frequencies, graphic_eq_txt,
    parametric_eq_txt,
};
use refcan::io::{
    Channel, Content, EqStage, ImportOptions, ParametricEq, import_bytes, import_bytes_with,
};

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

/// Every filter kind an EQ file can hold.
fn filter_kind_strategy() -> impl Strategy<Value = FilterKind> {
    prop_oneof![
        Just(FilterKind::Peaking),
        Just(FilterKind::LowShelf),
        Just(FilterKind::HighShelf),
        Just(FilterKind::LowPass),
        Just(FilterKind::HighPass),
        Just(FilterKind::BandPass),
        Just(FilterKind::Notch),
        Just(FilterKind::AllPass),
    ]
}

fn filter_strategy() -> impl Strategy<Value = FilterSpec> {
    let kind = filter_kind_strategy();
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

/// `a` and `b` agree within `abs` (the precision a value was written with) plus the rounding
/// of f64 formatting at that magnitude.
fn close(a: f64, b: f64, abs: f64) -> bool {
    (a - b).abs() <= abs + 1e-12 * a.abs().max(b.abs())
}

/// What `parametric_eq_txt` wrote must read back as the same EQ, to the decimals it writes
/// (Fc and Q 4, gains and preamp 3): every filter's shape, Fc, Q and gain (for the shapes that
/// have one), and the preamp. Returns a description of the first difference.
fn parametric_round_trip(eq: &ParametricEq, text: &str) -> Result<(), String> {
    let imported = import_bytes("rt.txt", text.as_bytes()).map_err(|e| format!("refused: {e}"))?;
    let Content::Eq(config) = imported.content else {
        return Err("read back as a curve".into());
    };
    let back = config
        .to_parametric(48_000.0, Channel::Left)
        .ok_or("read back with a graphic stage")?;
    if config.is_stereo() {
        return Err("read back as a stereo EQ".into());
    }
    if !close(back.preamp_db, eq.preamp_db, 5e-4) {
        return Err(format!(
            "preamp {} read back as {}",
            eq.preamp_db, back.preamp_db
        ));
    }
    if back.filters.len() != eq.filters.len() {
        return Err(format!(
            "{} filters read back as {}",
            eq.filters.len(),
            back.filters.len()
        ));
    }
    for (i, (a, b)) in eq.filters.iter().zip(&back.filters).enumerate() {
        let has_gain = matches!(
            a.kind,
            FilterKind::Peaking | FilterKind::LowShelf | FilterKind::HighShelf
        );
        if a.kind != b.kind
            || !close(a.freq_hz, b.freq_hz, 5e-5)
            || !close(a.q, b.q, 5e-5)
            || (has_gain && !close(a.gain_db, b.gain_db, 5e-4))
        {
            return Err(format!("filter {}: {a:?} read back as {b:?}", i + 1));
        }
    }
    Ok(())
}

/// What `graphic_eq_txt` wrote must read back as a graphic EQ on AutoEq's nodes (plus 20 kHz
/// when asked) whose gains are the curve's, interpolated linearly in log f and held beyond its
/// ends, to the decimals written (after AutoEq's normalisation and first-node clip when asked).
fn graphic_round_trip(
    freq: &[f64],
    db: &[f64],
    options: &GraphicEqOptions,
    text: &str,
) -> Result<(), String> {
    let imported = import_bytes("g.txt", text.as_bytes()).map_err(|e| format!("refused: {e}"))?;
    let Content::Eq(config) = imported.content else {
        return Err("read back as a curve".into());
    };
    let graphic: Vec<_> = config
        .stages
        .iter()
        .filter_map(|s| match &s.stage {
            EqStage::Graphic(c) => Some(c),
            _ => None,
        })
        .collect();
    let [nodes] = graphic[..] else {
        return Err(format!("{} graphic stages read back", graphic.len()));
    };
    if nodes.freq_hz != graphic_eq_frequencies(options.include_20k) {
        return Err(format!("nodes read back as {:?}", nodes.freq_hz));
    }
    // Independent of the exporter: linear in log f between the curve's points, ends held.
    let at = |f: f64| -> f64 {
        let k = freq.partition_point(|&x| x <= f);
        if k == 0 {
            return db[0];
        }
        if k == freq.len() {
            return db[freq.len() - 1];
        }
        let t = (f / freq[k - 1]).ln() / (freq[k] / freq[k - 1]).ln();
        db[k - 1] + t * (db[k] - db[k - 1])
    };
    let mut want: Vec<f64> = nodes.freq_hz.iter().map(|&f| at(f)).collect();
    if let Some(top) = options.normalize_max_db {
        let max = want.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        want.iter_mut().for_each(|g| *g += top - max);
    }
    if options.clip_first_node_boost && want[0] > 0.0 {
        want[0] = 0.0;
    }
    let half_step = 0.5 * 10f64.powi(-(options.decimals as i32));
    for ((f, got), want) in nodes.freq_hz.iter().zip(&nodes.db).zip(&want) {
        if !close(*got, *want, half_step + 1e-9) {
            return Err(format!("{f} Hz: {want} dB read back as {got} dB"));
        }
    }
    Ok(())
}

/// A curve the graphic exporter accepts: 1–40 points, strictly increasing from 1–100 Hz.
fn curve_strategy() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (
        1.0f64..100.0,
        proptest::collection::vec((0.001f64..1.5, -60.0f64..60.0), 1..40),
    )
        .prop_map(|(start, steps)| {
            let mut f = start;
            steps
                .into_iter()
                .map(|(octaves, db)| {
                    let here = f;
                    f *= 2f64.powf(octaves);
                    (here, db)
                })
                .unzip()
        })
}

/// Filters of every shape in the ranges an EQ uses: 10 Hz–22 kHz, Q 0.05–20, ±30 dB.
fn usual_filter_strategy() -> impl Strategy<Value = FilterSpec> {
    let kind = filter_kind_strategy();
    (kind, 10.0f64..22_000.0, 0.05f64..20.0, -30.0f64..30.0).prop_map(
        |(kind, freq_hz, q, gain_db)| FilterSpec {
            kind,
            freq_hz,
            q,
            gain_db,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary values (NaN, infinities, extremes): the exporters refuse what they cannot
    /// write, and what they write either reads back as the same EQ or is refused by the
    /// importer with a clean error (e.g. a Q so small it is written as 0).
    #[test]
    fn exporters_never_panic_and_reimport(
        filters in proptest::collection::vec(filter_strategy(), 0..8),
        preamp in any::<f64>(),
        curve in proptest::collection::vec((any::<f64>(), any::<f64>()), 0..40),
    ) {
        let eq = ParametricEq { preamp_db: preamp, filters };
        let written = parametric_eq_txt(&eq);
        prop_assert_eq!(
            camilladsp_yaml(&eq, &CamillaOptions::default()).is_ok(),
            written.is_ok(),
            "the two parametric exporters disagree on what they can write"
        );
        if let Ok(text) = written
            && let Err(why) = parametric_round_trip(&eq, &text)
        {
            prop_assert!(why.starts_with("refused: rt.txt"), "{why}\n{text}");
        }
        let (f, d): (Vec<f64>, Vec<f64>) = curve.into_iter().unzip();
        for options in [GraphicEqOptions::default(), GraphicEqOptions::autoeq()] {
            if let Ok(text) = graphic_eq_txt(&f, &d, &options)
                && let Err(why) = graphic_round_trip(&f, &d, &options, &text)
            {
                prop_assert!(why.starts_with("refused: g.txt"), "{why}\n{text}");
            }
        }
    }

    /// EQs and curves in the ranges real ones have: both exporters write them, and they read
    /// back as exactly what was written, to the decimals of each format.
    #[test]
    fn exports_of_usual_eqs_reimport_as_written(
        filters in proptest::collection::vec(usual_filter_strategy(), 0..12),
        preamp in -30.0f64..6.0,
        (f, d) in curve_strategy(),
    ) {
        let eq = ParametricEq { preamp_db: preamp, filters };
        let text = parametric_eq_txt(&eq).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(camilladsp_yaml(&eq, &CamillaOptions::default()).is_ok());
        if let Err(why) = parametric_round_trip(&eq, &text) {
            return Err(TestCaseError::fail(format!("{why}\n{text}")));
        }
        for options in [GraphicEqOptions::default(), GraphicEqOptions::autoeq()] {
            let text = graphic_eq_txt(&f, &d, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if let Err(why) = graphic_round_trip(&f, &d, &options, &text) {
                return Err(TestCaseError::fail(format!("{why}\n{text}")));
            }
        }
    }
}

/// Found by `exporters_never_panic_and_reimport`: a Q of 1.6e-308 passed the exporters' check
/// (> 0) but was written as `Q 0`, which reads back as a shelf with its default slope (Q 0.67),
/// another filter. Values that would be written as 0 are refused now.
#[test]
fn a_q_or_frequency_written_as_zero_is_refused() {
    for (freq_hz, q) in [(100.0, 1.6e-308), (100.0, 0.000_04), (0.000_04, 0.7)] {
        let eq = ParametricEq {
            preamp_db: 0.0,
            filters: vec![FilterSpec {
                kind: FilterKind::LowShelf,
                freq_hz,
                q,
                gain_db: 3.0,
            }],
        };
        assert!(parametric_eq_txt(&eq).is_err(), "{freq_hz} Hz, Q {q}");
        assert!(camilladsp_yaml(&eq, &CamillaOptions::default()).is_err());
    }
    let smallest = ParametricEq {
        preamp_db: 0.0,
        filters: vec![FilterSpec::low_shelf(100.0, 0.000_05, 3.0)],
    };
    let text = parametric_eq_txt(&smallest).expect("0.00005 is written as 0.0001");
    assert!(text.contains("Q 0.0001"), "{text}");
}
