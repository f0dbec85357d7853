//! Export → import round trips: ParametricEQ.txt, GraphicEQ.txt and CamillaDSP YAML must
//! reproduce the exact response within 0.05 dB over 20 Hz–20 kHz.

use proptest::prelude::*;
use refcan::filter::{FilterKind, FilterSpec};
use refcan::io::export::{
    CamillaOptions, CamillaSyntax, GraphicEqOptions, camilladsp_yaml, camilladsp_yaml_stereo,
    graphic_eq_frequencies, graphic_eq_txt, parametric_eq_txt, parametric_eq_txt_stereo,
};
use refcan::io::{Channel, Content, EqConfig, ParametricEq, import_bytes};

const TOLERANCE_DB: f64 = 0.05;

fn log_grid(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 20.0 * 1000f64.powf(i as f64 / (n - 1) as f64))
        .collect()
}

fn import_eq(name: &str, text: &str) -> EqConfig {
    let imported = import_bytes(name, text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(
        imported.warnings.is_empty(),
        "{:?}\n{text}",
        imported.warnings
    );
    match imported.content {
        Content::Eq(e) => e,
        other => panic!("expected an EQ, got {other:?}"),
    }
}

/// Max |a − b| over points where the exact response is above `floor_db` (the bottom of a
/// notch is numerically meaningless in dB).
fn max_diff(exact: &[f64], other: &[f64], floor_db: f64) -> f64 {
    exact
        .iter()
        .zip(other)
        .filter(|(e, _)| **e > floor_db)
        .map(|(e, o)| (e - o).abs())
        .fold(0.0, f64::max)
}

/// An AutoEq-like correction: shelves at 105 Hz / 10 kHz and peaks across the band, with the
/// odd values (non-integer Fc, Q to many digits) an optimiser produces.
fn autoeq_like() -> ParametricEq {
    ParametricEq {
        preamp_db: -6.834_12,
        filters: vec![
            FilterSpec::low_shelf(105.0, 0.7, 6.512_3),
            FilterSpec::peaking(124.813, 0.552_71, -2.734_9),
            FilterSpec::peaking(8445.27, 1.613_3, 3.312),
            FilterSpec::peaking(522.1, 1.021_9, 0.713),
            FilterSpec::peaking(1298.456, 2.141_7, -1.234_5),
            FilterSpec::high_shelf(10_000.0, 0.7, -3.123),
            FilterSpec::peaking(3158.9, 3.671_2, -1.816),
            FilterSpec::peaking(21.37, 5.999, 11.87),
            FilterSpec::peaking(6639.0, 5.82, 2.2),
            FilterSpec::peaking(1000.125, 0.182_5, -19.9),
        ],
    }
}

fn all_kinds() -> ParametricEq {
    let spec = |kind, freq_hz, q, gain_db| FilterSpec {
        kind,
        freq_hz,
        q,
        gain_db,
    };
    ParametricEq {
        preamp_db: -1.5,
        filters: vec![
            spec(FilterKind::LowPass, 17_123.4, 0.654_3, 0.0),
            spec(FilterKind::HighPass, 18.77, 0.9, 0.0),
            spec(FilterKind::BandPass, 1000.0, 0.05, 0.0),
            spec(FilterKind::Notch, 15_000.5, 12.345, 0.0),
            spec(FilterKind::AllPass, 700.0, 2.0, 0.0),
            spec(FilterKind::LowShelf, 300.3, 0.55, -4.44),
            spec(FilterKind::HighShelf, 4321.0, 0.45, 5.55),
        ],
    }
}

fn parametric_round_trip(eq: &ParametricEq) -> f64 {
    let text = parametric_eq_txt(eq).unwrap();
    let profile = import_eq("rt ParametricEQ.txt", &text);
    let freqs = log_grid(1500);
    let mut worst: f64 = 0.0;
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let exact = eq.response_db(&freqs, fs);
        for channel in [Channel::Left, Channel::Right] {
            let back = profile.response_db(&freqs, fs, channel);
            worst = worst.max(max_diff(&exact, &back, -30.0));
        }
    }
    worst
}

#[test]
fn parametric_eq_round_trip() {
    for (label, eq) in [("AutoEq-like", autoeq_like()), ("all kinds", all_kinds())] {
        let err = parametric_round_trip(&eq);
        println!("ParametricEQ.txt round trip ({label}): max error {err:.2e} dB");
        assert!(err < TOLERANCE_DB, "{label}: {err}");
    }
}

#[test]
fn parametric_eq_stereo_round_trip() {
    let left = autoeq_like();
    let right = all_kinds();
    let text = parametric_eq_txt_stereo(&left, &right).unwrap();
    let profile = import_eq("stereo.txt", &text);
    let freqs = log_grid(800);
    for (channel, eq) in [(Channel::Left, &left), (Channel::Right, &right)] {
        let err = max_diff(
            &eq.response_db(&freqs, 48_000.0),
            &profile.response_db(&freqs, 48_000.0, channel),
            -30.0,
        );
        println!("stereo ParametricEQ.txt round trip {channel:?}: max error {err:.2e} dB");
        assert!(err < TOLERANCE_DB, "{channel:?}: {err}");
    }
}

fn peak_strategy() -> impl Strategy<Value = FilterSpec> {
    // AutoEq's filter limits (DSP_REFERENCE.md §2.1): peaks fc 20–10 kHz, Q 0.18–6, ±20 dB;
    // shelves fc 20–10 kHz, Q 0.4–0.7.
    (
        0usize..3,
        20.0f64..10_000.0,
        0.182_48f64..6.0,
        -20.0f64..20.0,
        0.4f64..0.7,
    )
        .prop_map(|(k, f, q, g, shelf_q)| match k {
            0 => FilterSpec::peaking(f, q, g),
            1 => FilterSpec::low_shelf(f, shelf_q, g),
            _ => FilterSpec::high_shelf(f, shelf_q, g),
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn parametric_round_trip_random(
        filters in proptest::collection::vec(peak_strategy(), 1..12),
        preamp in -30.0f64..0.0,
    ) {
        let eq = ParametricEq { preamp_db: preamp, filters };
        let err = parametric_round_trip(&eq);
        prop_assert!(err < TOLERANCE_DB, "{err}");
    }
}

/// A smooth correction-like curve on a 1/48-octave table, and the exact function behind it.
fn smooth_curve() -> (Vec<f64>, Vec<f64>, impl Fn(f64) -> f64) {
    let eq = ParametricEq {
        preamp_db: 0.0,
        filters: vec![
            FilterSpec::low_shelf(105.0, 0.7, 6.0),
            FilterSpec::peaking(2800.0, 1.2, -5.0),
            FilterSpec::peaking(6500.0, 2.0, 3.0),
            FilterSpec::high_shelf(10_000.0, 0.7, -2.0),
        ],
    };
    let exact = move |f: f64| eq.response_db(&[f], 48_000.0)[0];
    let freqs: Vec<f64> = (0..=480)
        .map(|i| 20.0 * 2f64.powf(i as f64 / 48.0))
        .collect();
    let db: Vec<f64> = freqs.iter().map(|&f| exact(f)).collect();
    (freqs, db, exact)
}

fn table_value(freqs: &[f64], db: &[f64], f: f64) -> f64 {
    refcan::io::Curve {
        freq_hz: freqs.to_vec(),
        db: db.to_vec(),
    }
    .value_at(f)
}

#[test]
fn graphic_eq_round_trip() {
    let (freqs, db, exact) = smooth_curve();
    let text = graphic_eq_txt(&freqs, &db, &GraphicEqOptions::default()).unwrap();
    let profile = import_eq("rt GraphicEQ.txt", &text);
    let nodes = graphic_eq_frequencies(true);
    let at_nodes = profile.response_db(&nodes, 48_000.0, Channel::Left);
    let node_err = nodes
        .iter()
        .zip(&at_nodes)
        .map(|(&f, &g)| (g - table_value(&freqs, &db, f)).abs())
        .fold(0.0, f64::max);
    println!("GraphicEQ.txt round trip at the nodes (2 decimals): max error {node_err:.4} dB");
    assert!(node_err < TOLERANCE_DB, "{node_err}");

    // Between nodes: EAPO interpolates linearly in log f; report how far that is from the
    // smooth curve.
    let dense = log_grid(4000);
    let back = profile.response_db(&dense, 48_000.0, Channel::Left);
    let (between_err, at_f) = dense
        .iter()
        .zip(&back)
        .map(|(&f, &g)| ((g - exact(f)).abs(), f))
        .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
    println!(
        "GraphicEQ.txt between-node error on a smooth curve (LS 105 Hz +6, PK 2.8 kHz −5, \
         PK 6.5 kHz +3 Q2, HS 10 kHz −2): max {between_err:.3} dB at {at_f:.0} Hz"
    );
    assert!(between_err < 0.15, "{between_err}");
}

#[test]
fn graphic_eq_autoeq_options_round_trip() {
    let (freqs, db, _) = smooth_curve();
    let options = GraphicEqOptions {
        preamp_db: Some(-1.25),
        ..GraphicEqOptions::autoeq()
    };
    let text = graphic_eq_txt(&freqs, &db, &options).unwrap();
    assert!(
        text.starts_with("Preamp: -1.25 dB\nGraphicEQ: 20 "),
        "{text}"
    );
    let profile = import_eq("rt GraphicEQ.txt", &text);
    let nodes = graphic_eq_frequencies(false);
    let table: Vec<f64> = nodes.iter().map(|&f| table_value(&freqs, &db, f)).collect();
    let offset = -0.2 - table.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let back = profile.response_db(&nodes, 48_000.0, Channel::Left);
    let max_back = back.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!((max_back - (-0.2 - 1.25)).abs() < 0.051, "{max_back}");
    // 1 decimal as AutoEq: within 0.05 dB (+ float slack) after the normalisation shift; the
    // first node is clipped to 0 dB only when it would be a boost (not the case here).
    let err = table
        .iter()
        .zip(&back)
        .map(|(t, b)| (t + offset - 1.25 - b).abs())
        .fold(0.0, f64::max);
    println!("GraphicEQ.txt with AutoEq options (1 decimal): max error at nodes {err:.4} dB");
    assert!(err <= 0.05 + 1e-9, "{err}");
}

// ---- A tiny YAML reader for the CamillaDSP fragment (block maps, block lists, scalars, flow
// lists of numbers). It knows nothing about our writer beyond YAML indentation rules.

#[derive(Debug, Clone)]
enum Yaml {
    Map(Vec<(String, Yaml)>),
    List(Vec<Yaml>),
    Scalar(String),
}

impl Yaml {
    fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self) -> &str {
        match self {
            Yaml::Scalar(s) => s,
            other => panic!("expected a scalar, got {other:?}"),
        }
    }
    fn num(&self, key: &str) -> f64 {
        self.get(key)
            .unwrap_or_else(|| panic!("missing {key}"))
            .str()
            .parse()
            .unwrap_or_else(|e| panic!("{key}: {e}"))
    }
}

fn yaml_lines(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .map(|l| match l.find('#') {
            Some(i) => &l[..i],
            None => l,
        })
        .filter(|l| !l.trim().is_empty())
        .map(|l| (l.len() - l.trim_start().len(), l.trim().to_owned()))
        .collect()
}

fn parse_block(lines: &[(usize, String)], pos: &mut usize, indent: usize) -> Yaml {
    if lines[*pos].1.starts_with("- ") {
        let mut items = Vec::new();
        while *pos < lines.len() && lines[*pos].0 == indent && lines[*pos].1.starts_with("- ") {
            // "- key: value" opens a map whose further keys sit at indent + 2.
            let rest = lines[*pos].1[2..].to_owned();
            let mut sub: Vec<(usize, String)> = vec![(indent + 2, rest)];
            *pos += 1;
            while *pos < lines.len() && lines[*pos].0 > indent {
                sub.push(lines[*pos].clone());
                *pos += 1;
            }
            let mut p = 0;
            items.push(if sub[0].1.contains(':') {
                parse_block(&sub, &mut p, indent + 2)
            } else {
                Yaml::Scalar(sub[0].1.clone())
            });
        }
        return Yaml::List(items);
    }
    let mut map = Vec::new();
    while *pos < lines.len() && lines[*pos].0 == indent {
        let line = lines[*pos].1.clone();
        let (key, value) = line.split_once(':').expect("key: value");
        *pos += 1;
        let value = value.trim();
        if value.is_empty() {
            let child_indent = lines[*pos].0;
            assert!(child_indent > indent || lines[*pos].1.starts_with("- "));
            map.push((key.to_owned(), parse_block(lines, pos, child_indent)));
        } else {
            map.push((key.to_owned(), Yaml::Scalar(value.to_owned())));
        }
    }
    Yaml::Map(map)
}

/// Interprets the fragment as CamillaDSP would: per channel, the cascade of the named filters.
fn camilla_channel_eqs(text: &str) -> [ParametricEq; 2] {
    let lines = yaml_lines(text);
    let mut pos = 0;
    let doc = parse_block(&lines, &mut pos, 0);
    assert_eq!(pos, lines.len(), "unparsed YAML");
    let filters = doc.get("filters").expect("filters");
    let Yaml::List(steps) = doc.get("pipeline").expect("pipeline") else {
        panic!("pipeline must be a list")
    };
    let mut out = [ParametricEq::default(), ParametricEq::default()];
    for step in steps {
        assert_eq!(step.get("type").map(Yaml::str), Some("Filter"));
        let channels: Vec<usize> = match (step.get("channels"), step.get("channel")) {
            (Some(list), None) => list
                .str()
                .trim_matches(['[', ']'])
                .split(',')
                .map(|c| c.trim().parse().unwrap())
                .collect(),
            (None, Some(ch)) => vec![ch.str().parse().unwrap()],
            other => panic!("step needs channels or channel: {other:?}"),
        };
        let Some(Yaml::List(names)) = step.get("names") else {
            panic!("names")
        };
        for name in names {
            let filter = filters
                .get(name.str())
                .unwrap_or_else(|| panic!("undefined filter {}", name.str()));
            let params = filter.get("parameters").expect("parameters");
            for &ch in &channels {
                let eq = &mut out[ch];
                match filter.get("type").map(Yaml::str) {
                    Some("Gain") => {
                        assert_eq!(params.get("scale").map(Yaml::str), Some("dB"));
                        assert_eq!(params.get("inverted").map(Yaml::str), Some("false"));
                        eq.preamp_db += params.num("gain");
                    }
                    Some("Biquad") => {
                        let kind = match params.get("type").map(Yaml::str) {
                            Some("Peaking") => FilterKind::Peaking,
                            Some("Lowshelf") => FilterKind::LowShelf,
                            Some("Highshelf") => FilterKind::HighShelf,
                            Some("Lowpass") => FilterKind::LowPass,
                            Some("Highpass") => FilterKind::HighPass,
                            Some("Bandpass") => FilterKind::BandPass,
                            Some("Notch") => FilterKind::Notch,
                            Some("Allpass") => FilterKind::AllPass,
                            other => panic!("biquad type {other:?}"),
                        };
                        let gain_db = if params.get("gain").is_some() {
                            params.num("gain")
                        } else {
                            0.0
                        };
                        eq.filters.push(FilterSpec {
                            kind,
                            freq_hz: params.num("freq"),
                            q: params.num("q"),
                            gain_db,
                        });
                    }
                    other => panic!("filter type {other:?}"),
                }
            }
        }
    }
    out
}

#[test]
fn camilladsp_round_trip_v2_v3_and_stereo() {
    let freqs = log_grid(1000);
    let eq = autoeq_like();
    for syntax in [CamillaSyntax::V3, CamillaSyntax::V2] {
        let options = CamillaOptions {
            syntax,
            ..CamillaOptions::default()
        };
        let text = camilladsp_yaml(&eq, &options).unwrap();
        let [left, right] = camilla_channel_eqs(&text);
        for back in [left, right] {
            let err = max_diff(
                &eq.response_db(&freqs, 48_000.0),
                &back.response_db(&freqs, 48_000.0),
                -30.0,
            );
            println!("CamillaDSP {syntax:?} round trip: max error {err:.2e} dB");
            assert!(err < TOLERANCE_DB, "{err}");
        }
    }
    let (l, r) = (autoeq_like(), all_kinds());
    let text = camilladsp_yaml_stereo(&l, &r, &CamillaOptions::default()).unwrap();
    let [left, right] = camilla_channel_eqs(&text);
    for (exact, back) in [(&l, left), (&r, right)] {
        let err = max_diff(
            &exact.response_db(&freqs, 48_000.0),
            &back.response_db(&freqs, 48_000.0),
            -30.0,
        );
        println!("CamillaDSP stereo round trip: max error {err:.2e} dB");
        assert!(err < TOLERANCE_DB, "{err}");
    }
}

#[test]
fn imported_profile_converts_for_export() {
    // A file with BW Oct and corner shelves → cookbook specs at 48 kHz → exporters.
    let profile = import_eq(
        "in.txt",
        "Preamp: -3 dB\nFilter 1: ON PK Fc 1000 Hz Gain 4 dB BW Oct 1\nFilter 2: ON LS 6dB Fc 80 Hz Gain 5 dB\n",
    );
    let eq = profile
        .to_parametric(48_000.0, Channel::Left)
        .expect("parametric");
    let back = import_eq("out.txt", &parametric_eq_txt(&eq).unwrap());
    let freqs = log_grid(500);
    let err = max_diff(
        &profile.response_db(&freqs, 48_000.0, Channel::Left),
        &back.response_db(&freqs, 48_000.0, Channel::Left),
        -30.0,
    );
    assert!(err < TOLERANCE_DB, "{err}");
}
