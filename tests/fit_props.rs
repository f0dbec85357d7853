//! Property tests of `refcan::fit`: random smooth curves and random junk never panic, the
//! result is finite, inside the bounds, and never worse than the greedy start.

use proptest::prelude::*;
use refcan::filter::FilterKind;
use refcan::fit::{Effort, FitConfig, Param, Regularisation, Shelves, fit};

/// A smooth curve: Gaussian bumps in log frequency, a tilt and an offset.
fn smooth_curve(
    bumps: &[(f64, f64, f64)],
    tilt_db_per_oct: f64,
    offset_db: f64,
    n_points: usize,
) -> (Vec<f64>, Vec<f64>) {
    let step = (1000f64).ln() / (n_points.max(2) - 1) as f64;
    let freq: Vec<f64> = (0..n_points.max(2))
        .map(|k| 20.0 * (k as f64 * step).exp())
        .collect();
    let value = freq
        .iter()
        .map(|&f| {
            let oct = (f / 1000.0).log2();
            offset_db
                + tilt_db_per_oct * oct
                + bumps
                    .iter()
                    .map(|&(centre, width, gain)| {
                        gain * (-((oct - centre) / width).powi(2) / 2.0).exp()
                    })
                    .sum::<f64>()
        })
        .collect();
    (freq, value)
}

fn configs() -> Vec<FitConfig> {
    vec![
        FitConfig::autoeq_8_peaking_with_shelves(),
        FitConfig::autoeq_10_peaking(),
        FitConfig::peaking_with_shelves(4, Shelves::Free)
            .with_gain_range_db(-12.0, 12.0)
            .with_peaking_q_range(0.1, 7.0),
    ]
}

fn in_range(p: Param, v: f64) -> bool {
    let (lo, hi) = p.range();
    v >= lo - 1e-9 * lo.abs().max(1.0) && v <= hi + 1e-9 * hi.abs().max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn smooth_curves_fit_within_bounds_and_improve_on_the_start(
        bumps in prop::collection::vec((-5.5f64..4.5, 0.05f64..3.0, -15.0f64..15.0), 0..6),
        tilt in -1.5f64..1.5,
        offset in -5.0f64..5.0,
        n_points in 2usize..400,
        which in 0usize..3,
        regularised in any::<bool>(),
    ) {
        let (freq, value) = smooth_curve(&bumps, tilt, offset, n_points);
        let reg = if regularised { Regularisation::DEFAULT } else { Regularisation::OFF };
        let config = configs()[which].clone().with_effort(Effort::Single).with_regularisation(reg);
        let r = fit(&freq, &value, &config).unwrap();
        prop_assert!(r.errors.rms_db.is_finite());
        prop_assert!(r.errors.max_abs_db.is_finite());
        prop_assert!(r.errors.autoeq_loss.is_finite());
        prop_assert!(r.preamp_db.is_finite() && r.preamp_db <= 0.0);
        if regularised {
            // Free gains stay within the curve's own range plus the margin.
            let max_curve = value.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let margin = Regularisation::DEFAULT.gain_margin_db.unwrap_or(f64::INFINITY);
            for f in &r.filters {
                prop_assert!(f.gain_db.abs() <= max_curve + margin + 1e-9, "{:?}", f);
            }
        } else {
            // Unregularised, the loss itself is what the optimiser lowers from the start.
            prop_assert!(r.errors.autoeq_loss <= r.initial_autoeq_loss + 1e-9,
                "{} > {}", r.errors.autoeq_loss, r.initial_autoeq_loss);
        }
        for (slot, f) in config.filters.iter().zip(&r.filters) {
            prop_assert_eq!(FilterKind::from(slot.kind), f.kind);
            prop_assert!(in_range(slot.freq_hz, f.freq_hz), "{:?} {:?}", slot, f);
            prop_assert!(in_range(slot.q, f.q), "{:?} {:?}", slot, f);
            prop_assert!(in_range(slot.gain_db, f.gain_db), "{:?} {:?}", slot, f);
        }
    }

    #[test]
    fn junk_input_never_panics(
        points in prop::collection::vec(
            (prop_oneof![any::<f64>(), 1.0f64..30_000.0], prop_oneof![any::<f64>(), -50.0f64..50.0]),
            0..40,
        ),
    ) {
        let (freq, value): (Vec<f64>, Vec<f64>) = points.into_iter().unzip();
        let config = FitConfig::autoeq_10_peaking().with_effort(Effort::Single);
        if let Ok(r) = fit(&freq, &value, &config) {
            prop_assert!(r.errors.autoeq_loss.is_finite());
            prop_assert!(r.filters.iter().all(|f| f.gain_db.is_finite() && f.q > 0.0));
        }
    }
}

#[test]
fn thorough_effort_is_never_worse_than_single() {
    let (freq, value) = smooth_curve(
        &[
            (-4.0, 1.0, 6.0),
            (1.5, 0.3, -7.0),
            (2.5, 0.15, 5.0),
            (0.0, 2.0, -2.0),
        ],
        -0.4,
        1.0,
        300,
    );
    // Compared on AutoEq's loss, which is the objective only without regularisation.
    for config in configs() {
        let config = config.with_regularisation(Regularisation::OFF);
        let single = fit(&freq, &value, &config.clone().with_effort(Effort::Single)).unwrap();
        let thorough = fit(&freq, &value, &config).unwrap();
        assert!(thorough.errors.autoeq_loss <= single.errors.autoeq_loss + 1e-12);
    }
}
