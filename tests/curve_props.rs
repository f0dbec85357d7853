//! Property tests: no input slices (NaN, empty, unsorted, huge) panic the curve
//! constructors; they return errors, and what they accept stays finite.

use proptest::prelude::*;
use refcan::curve::simulation::other_headphone_delta;
use refcan::curve::target::custom_target;
use refcan::curve::{
    CorrectionSettings, PersonalTarget, Response, correct, k_weighted_pink_gain_db,
};
use refcan::presets::{SimulationPreset, TargetPreset};

fn all_finite(r: &Response) -> bool {
    r.values_db().iter().all(|v| v.is_finite())
}

/// Any f64 at all, weighted towards the troublesome ones.
fn wild_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => proptest::num::f64::ANY,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN_POSITIVE),
        4 => 1.0f64..30_000.0,
    ]
}

/// Valid-looking curves: strictly increasing positive frequencies, bounded gains.
fn valid_points() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    prop::collection::vec((1.001f64..1.5, -60.0f64..60.0), 2..300).prop_map(|steps| {
        let mut f = 10.0;
        let mut freq = Vec::with_capacity(steps.len());
        let mut gain = Vec::with_capacity(steps.len());
        for (ratio, g) in steps {
            freq.push(f);
            gain.push(g);
            f *= ratio;
        }
        (freq, gain)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn from_points_never_panics(
        freq in prop::collection::vec(wild_f64(), 0..64),
        gain in prop::collection::vec(wild_f64(), 0..64),
    ) {
        let points = Response::from_points(&freq, &gain);
        if let Ok(r) = &points {
            prop_assert!(all_finite(r));
            prop_assert_eq!(r.values_db().len(), refcan::curve::GRID_LEN);
        }
        // A custom target is the same points, centred: accepted exactly when they are.
        let target = custom_target(&freq, &gain);
        prop_assert_eq!(target.is_ok(), points.is_ok());
        if let Ok(t) = &target {
            prop_assert!(all_finite(t));
        }
    }

    #[test]
    fn unsorted_input_gives_the_same_curve_as_sorted(pts in valid_points(), i in any::<prop::sample::Index>()) {
        // The one rule for points sorts them: swapping two points changes nothing.
        let (mut freq, mut gain) = pts.clone();
        let k = i.index(freq.len() - 1) + 1;
        freq.swap(k - 1, k);
        gain.swap(k - 1, k);
        let sorted = Response::from_points(&pts.0, &pts.1);
        let swapped = Response::from_points(&freq, &gain);
        prop_assert_eq!(sorted, swapped);
    }

    #[test]
    fn accepted_curves_interpolate_within_their_range((freq, gain) in valid_points(), probe in wild_f64()) {
        match Response::from_points(&freq, &gain) {
            Ok(r) => {
                let lo = gain.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = gain.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let v = r.gain_at(probe);
                prop_assert!(v.is_finite());
                prop_assert!(v >= lo - 1e-9 && v <= hi + 1e-9);
            }
            // Only a curve with fewer than two points in 20 Hz–20 kHz may be refused.
            Err(e) => {
                let outside = matches!(e, refcan::curve::PointError::TooFewInBand { .. });
                prop_assert!(outside, "{}", e);
            }
        }
    }

    #[test]
    fn the_whole_pipeline_stays_finite(
        (hf, hg) in valid_points(),
        (tf, tg) in valid_points(),
        boost in wild_f64(),
        amount in wild_f64(),
        knobs in (wild_f64(), wild_f64(), wild_f64(), wild_f64()),
    ) {
        if let (Ok(h), Ok(t)) = (Response::from_points(&hf, &hg), custom_target(&tf, &tg)) {
            let target = PersonalTarget {
                room_gain_db: knobs.0,
                pinna_gain_percent: knobs.1,
                tilt_db_per_oct: knobs.2,
                treble_db: knobs.3,
            }
            .build(&t);
            prop_assert!(all_finite(&target));
            let settings = CorrectionSettings {
                max_boost_db: boost,
                amount_percent: amount,
                ..Default::default()
            };
            let c = correct(&target, &h, &settings);
            prop_assert!(all_finite(&c));
            prop_assert!(c.max_db() <= 12.0 + 1e-9);
            prop_assert!(k_weighted_pink_gain_db(&c).is_finite());
            prop_assert!(all_finite(&other_headphone_delta(&h, &target, 0.5)));
        }
    }

    #[test]
    fn preset_parsers_never_panic(text in ".{0,400}") {
        let _ = TargetPreset::parse("fuzz.json", &text);
        let _ = SimulationPreset::parse("fuzz.json", &text);
    }

    #[test]
    fn preset_parsers_survive_wild_numbers(f in wild_f64(), g in wild_f64(), q in wild_f64()) {
        let num = |v: f64| if v.is_finite() { format!("{v:e}") } else { "1e999".to_string() };
        let target = format!(
            r#"{{"format":"refcan-target-1","id":"t","name":"t","points":[[{},{}],[20000,0]],
               "filters":[{{"kind":"low_shelf","freq_hz":{},"q":{},"gain_db":{}}}]}}"#,
            num(f), num(g), num(f), num(q), num(g)
        );
        if let Ok(t) = TargetPreset::parse("t.json", &target) {
            let c = t.curve();
            prop_assert!(c.is_ok());
            if let Ok(c) = c { prop_assert!(all_finite(&c)); }
        }
        let sim = format!(
            r#"{{"format":"refcan-simulation-1","id":"s","name":"s","relative_to":"t",
               "filters":[{{"kind":"peaking","freq_hz":{},"q":{},"gain_db":{}}}],
               "band_limit":{{"highpass":{{"freq_hz":{},"order":4}}}}}}"#,
            num(f), num(q), num(g), num(f)
        );
        if let Ok(s) = SimulationPreset::parse("s.json", &sim) {
            prop_assert!(all_finite(&s.delta()));
        }
    }
}

#[test]
fn a_million_points_are_accepted() {
    let n = 1_000_000;
    let freq: Vec<f64> = (0..n).map(|i| 10.0 + i as f64 * 0.025).collect();
    let gain: Vec<f64> = freq.iter().map(|f| (f / 1000.0).sin()).collect();
    let r = Response::from_points(&freq, &gain);
    assert!(r.is_ok_and(|r| all_finite(&r)));
}

#[test]
fn huge_and_tiny_values_are_refused_with_errors() {
    assert!(Response::from_points(&[20.0, 20_000.0], &[0.0, 1e300]).is_err());
    // Extreme but valid frequencies are usable points; with none inside 20 Hz–20 kHz the
    // curve is refused, with two inside it is accepted and stays finite.
    assert!(Response::from_points(&[f64::MIN_POSITIVE, f64::MAX], &[0.0, 1.0]).is_err());
    let r = Response::from_points(
        &[f64::MIN_POSITIVE, 20.0, 20_000.0, f64::MAX],
        &[0.0, 1.0, 2.0, 3.0],
    );
    assert!(r.is_ok_and(|r| all_finite(&r)));
    assert!(Response::from_points(&[1e-300, 2e-300], &[0.0, 1.0]).is_err());
}
