//! Parametric-EQ fitting: a cascade of peaking filters and optional shelves that follows a
//! target curve (a correction, a simulation), for the Low CPU engine and the exporters.
//!
//! What is AutoEq's (`autoeq/peq.py`, `constants.py`; DSP_REFERENCE.md §2): the 1.02-step
//! grid from 20 Hz to 20 kHz, the loss (mean level only above 10 kHz, RMS, sharpness penalty
//! for peaking filters), the filter limits and configurations and the greedy
//! initialisation. So our filters and AutoEq's can be compared on the same yardstick
//! ([`evaluate`]). The preamp follows AutoEq's rule except that it never boosts
//! ([`preamp_db`]).
//!
//! What is ours: the optimiser. AutoEq runs SciPy's SLSQP on finite differences and stops
//! when the loss stalls. The loss is a sum of squares, so a Levenberg–Marquardt method fits
//! it better: the Jacobian is exact (dual-number cookbook coefficients, one logarithm per
//! grid point), bounds are kept by an active set plus projection, and each step costs tens
//! of microseconds. The time saved buys deterministic restarts (growing the EQ one filter
//! at a time, re-seeding the weakest filter, jittered copies of the best solution), which is
//! where most of the gain over AutoEq comes from: a single greedy start falls into local
//! minima (two filters sharing one feature, a shelf at the wrong corner).
//!
//! # Regularisation: sane filters, not just a low loss
//!
//! AutoEq's loss alone rewards anything that follows the curve, and a thorough search finds
//! it: on real corrections the unregularised optimum is a cascade of wide ±15–20 dB filters
//! that cancel each other down to a ±6 dB curve (Sony MDR-XB50 → Harman OE: PK 4659 Hz
//! +20 dB Q 0.52 against PK 1220 Hz −14 dB and PK 235 Hz −13.7 dB). Such an EQ wastes
//! headroom, amplifies coefficient and rounding errors, moves when the sample rate changes,
//! and nobody would trust it. [`Regularisation`] adds two things to the loss:
//!
//! * **A cancellation penalty.** At each grid point, `B` = summed response of the boosting
//!   filters, `C` = minus that of the cutting ones; what they spend cancelling each other is
//!   about `min(B, C)`. The penalty is `μ·mean(max(0, c − c₀)²)` with the smooth minimum
//!   `c = B·C/(B + C)` (between `min/2` and `min`, differentiable), as extra least-squares
//!   residuals with exact derivatives, so LM handles it like the data. It is zero for any EQ
//!   whose boosts and cuts do not overlap by more than `c₀`, so sane fits keep their
//!   accuracy; it grows with the square of the cancelled level, so ±20 dB cascades lose.
//!   Computing `B` and `C` costs one more logarithm per grid point (the filters are
//!   multiplied per sign group).
//! * **A gain bound from the curve**: free gains are limited to `±(max|curve| + 3 dB)`.
//!   Once the penalty is on this rarely binds; it is a guard for what the penalty cannot
//!   see (a filter parked at the 20 Hz edge, the energy-only region above 10 kHz).
//!
//! The defaults (μ = 0.01, c₀ = 0.5 dB, margin 3 dB) were chosen by measurement
//! (`cargo run --release --example compare_autoeq_fit -- --sweep --all-targets`, 32
//! curves: AutoEq's HD 600 and DT 770 results, 7 AutoEq-like corrections, 23 corrections of
//! refcan's own pipeline to four targets). With 8 PK + 2 fixed shelves, going from μ = 0 to
//! the default moves the mean RMS error (20 Hz–10 kHz) from 0.101 to 0.119 dB, the mean
//! largest |gain| from 17.2 to 7.3 dB, the mean Σ|gain| from 72 to 38 dB, the mean worst
//! cancellation from 16 to 4 dB, and opposing pairs (within 1/2 octave, both beyond ±6 dB)
//! from 42 to 0; every fit still beats AutoEq's on RMS and loss (also with 10 PK, where
//! pairs drop from 70 to 3, and with free shelves). μ = 0.001 leaves pairs; μ ≥ 0.03 costs
//! error with little further gain in sanity and starts losing to AutoEq with free shelves.
//! The fit time does not change (38 vs 46 ms for 8 + 2, 55 vs 50 ms for 10 PK,
//! `benches/fit.rs`). [`Regularisation::OFF`] gives the plain least-squares fit.
//!
//! ```
//! use refcan::fit::{fit, FitConfig};
//! let freq: Vec<f64> = (0..200).map(|k| 20.0 * 1.035f64.powi(k)).collect();
//! let target: Vec<f64> = freq.iter().map(|f| 4.0 * (-(f / 3000.0).log2().powi(2)).exp()).collect();
//! let result = fit(&freq, &target, &FitConfig::autoeq_10_peaking()).unwrap();
//! assert!(result.errors.rms_db < 0.1);
//! ```

pub mod config;
pub mod grid;
mod init;
mod lm;
mod problem;
mod response;
mod search;

pub use config::{
    Effort, FilterSlot, FitConfig, FitKind, Param, Regularisation, Shelves, autoeq_limits,
};

use crate::filter::{FilterKind, FilterSpec, cascade_magnitude_db};
use grid::{CleanCurve, log_grid};
use lm::{LmOptions, minimise};
use problem::{Coords, Problem};
use serde::{Deserialize, Serialize};

/// Why a fit could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The curve's points break the project's rule for points (the error names the point).
    #[error("curve: {0}")]
    Curve(#[from] crate::curve::PointError),
    /// A configuration value is out of range.
    #[error("invalid fit configuration: {field}: {reason}")]
    InvalidConfig {
        /// Which field (e.g. `filters[3].q`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// How well a set of filters follows a target, measured on AutoEq's 1.02-step grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitErrors {
    /// RMS of `target − response` over the grid points from 20 Hz to 10 kHz, dB.
    pub rms_db: f64,
    /// Largest `|target − response|` over 20 Hz–10 kHz, dB.
    pub max_abs_db: f64,
    /// AutoEq's full loss (20 Hz–20 kHz, mean level only above 10 kHz, plus the sharpness
    /// penalty of peaking filters), dB.
    pub autoeq_loss: f64,
}

/// A fitted parametric EQ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitResult {
    /// The filters, in the order of the configuration's slots.
    pub filters: Vec<FilterSpec>,
    /// Preamp that keeps the summed response at or below 0 dB, never positive (see
    /// [`preamp_db`]), dB.
    pub preamp_db: f64,
    /// Errors of the fitted filters.
    pub errors: FitErrors,
    /// AutoEq's loss of the greedy initial guess. Without regularisation the result's loss is
    /// never higher; with it, the result's loss plus penalty is never higher than the
    /// start's, so a (rare) regularised result may trade a little loss for sanity.
    pub initial_autoeq_loss: f64,
    /// Optimiser iterations spent in all restarts.
    pub iterations: usize,
}

/// AutoEq's optimiser grid: 20 Hz to 20 kHz in steps of 1.02.
fn fit_grid() -> Vec<f64> {
    log_grid(
        autoeq_limits::LOSS_MIN_HZ,
        autoeq_limits::LOSS_MAX_HZ,
        autoeq_limits::GRID_STEP,
    )
}

/// Fits the configured filters to the curve `(freq_hz, target_db)`.
///
/// The curve is checked under the project's one rule for points
/// ([`crate::curve::points::clean`]: an unusable point is an error, unsorted input is
/// sorted) and resampled (linear in log f, ends held) onto AutoEq's 1.02-step grid from
/// 20 Hz to 20 kHz. Deterministic: the same input gives the same filters.
pub fn fit(freq_hz: &[f64], target_db: &[f64], config: &FitConfig) -> Result<FitResult, FitError> {
    config.validate()?;
    let curve = CleanCurve::new(freq_hz, target_db)?;
    let grid = fit_grid();
    let target = curve.resample(&grid);
    let slots = match config.regularisation.gain_margin_db {
        Some(margin) => {
            let limit =
                max_abs_in_band(&grid, &target, config.loss_min_hz, config.loss_max_hz) + margin;
            bounded_gains(&config.filters, limit)
        }
        None => config.filters.clone(),
    };
    let pr = Problem::new(
        grid,
        target,
        config.sample_rate_hz,
        slots,
        config.loss_min_hz,
        config.loss_max_hz,
        config.energy_only_above_hz,
    )
    .with_cancellation(
        config.regularisation.cancellation_weight,
        config.regularisation.cancellation_allowance_db,
    );
    let mut ws = pr.workspace();
    let start = init::greedy(&pr);
    let initial_filters = pr.filters(&start);

    let first = minimise(&pr, &start, LmOptions::default(), &mut ws);
    let mut best = search::Best {
        cost: first.cost,
        coords: first.coords,
        iterations: first.iterations,
    };
    search::restarts(&pr, config.effort, &mut best, &mut ws);
    let iterations = best.iterations;
    let best = (best.cost, best.coords);
    let filters = pr.filters(&best.1);
    let errors = errors_on_grid(&pr.grid_hz, &pr.target_db, &filters, config.sample_rate_hz);
    let initial = errors_on_grid(
        &pr.grid_hz,
        &pr.target_db,
        &initial_filters,
        config.sample_rate_hz,
    );
    Ok(FitResult {
        preamp_db: preamp_db(&filters, config.sample_rate_hz),
        filters,
        errors,
        initial_autoeq_loss: initial.autoeq_loss,
        iterations,
    })
}

/// Largest `|value|` of the grid points within `[min_hz, max_hz]` (0 when there are none).
fn max_abs_in_band(grid: &[f64], value: &[f64], min_hz: f64, max_hz: f64) -> f64 {
    grid.iter()
        .zip(value)
        .filter(|(f, _)| (min_hz..=max_hz).contains(*f))
        .fold(0.0, |m, (_, v)| m.max(v.abs()))
}

/// `slots` with every free gain range narrowed to `±limit_db`; a range that does not reach
/// into `±limit_db` is kept as configured (the bound is advice, the configuration is law).
fn bounded_gains(slots: &[FilterSlot], limit_db: f64) -> Vec<FilterSlot> {
    slots
        .iter()
        .map(|s| match s.gain_db {
            Param::Free { min, max } if min.max(-limit_db) <= max.min(limit_db) => FilterSlot {
                gain_db: Param::Free {
                    min: min.max(-limit_db),
                    max: max.min(limit_db),
                },
                ..*s
            },
            _ => *s,
        })
        .collect()
}

/// Errors of `filters` against the curve `(freq_hz, target_db)`, measured like [`fit`]
/// measures its own result (same grid, same loss), so filters from elsewhere (an AutoEq
/// ParametricEQ.txt) can be compared with ours.
pub fn evaluate(
    freq_hz: &[f64],
    target_db: &[f64],
    filters: &[FilterSpec],
    sample_rate_hz: f64,
) -> Result<FitErrors, FitError> {
    let curve = CleanCurve::new(freq_hz, target_db)?;
    let grid = fit_grid();
    let target = curve.resample(&grid);
    Ok(errors_on_grid(&grid, &target, filters, sample_rate_hz))
}

/// Error figures of `filters` against `target` on `grid` (AutoEq's grid).
fn errors_on_grid(
    grid: &[f64],
    target: &[f64],
    filters: &[FilterSpec],
    sample_rate_hz: f64,
) -> FitErrors {
    let response: Vec<f64> = grid
        .iter()
        .map(|&f| cascade_magnitude_db(filters, f, sample_rate_hz))
        .collect();
    let mut sum_sq = 0.0;
    let mut count = 0usize;
    let mut max_abs: f64 = 0.0;
    for ((&f, t), r) in grid.iter().zip(target).zip(&response) {
        if (autoeq_limits::LOSS_MIN_HZ..=autoeq_limits::ENERGY_ONLY_ABOVE_HZ).contains(&f) {
            let d = t - r;
            sum_sq += d * d;
            count += 1;
            max_abs = max_abs.max(d.abs());
        }
    }
    let rms_db = if count > 0 {
        (sum_sq / count as f64).sqrt()
    } else {
        0.0
    };
    // AutoEq's loss with its default band, as a fixed yardstick whatever the fit's band was:
    // the data term from the whole cascade, the sharpness penalty from its peaking filters.
    let peaking: Vec<FilterSlot> = filters
        .iter()
        .filter(|f| f.kind == FilterKind::Peaking)
        .map(|f| FilterSlot {
            kind: FitKind::Peaking,
            freq_hz: Param::Fixed(f.freq_hz),
            q: Param::Fixed(f.q),
            gain_db: Param::Fixed(f.gain_db),
        })
        .collect();
    let peaking_coords: Vec<Coords> = filters
        .iter()
        .filter(|f| f.kind == FilterKind::Peaking)
        .map(|f| Problem::to_coords(f.freq_hz, f.q, f.gain_db))
        .collect();
    let pr = Problem::new(
        grid.to_vec(),
        target.to_vec(),
        sample_rate_hz,
        peaking,
        autoeq_limits::LOSS_MIN_HZ,
        autoeq_limits::LOSS_MAX_HZ,
        autoeq_limits::ENERGY_ONLY_ABOVE_HZ,
    );
    let cost = pr.data_cost(&response) + pr.penalty(&peaking_coords);
    FitErrors {
        rms_db,
        max_abs_db: max_abs,
        autoeq_loss: cost.max(0.0).sqrt(),
    }
}

/// The preamp that keeps `filters` from boosting: minus the maximum of their summed response
/// over 20 Hz–20 kHz on a 1/200-octave grid, and 0 when that maximum is at or below 0 dB, dB.
///
/// AutoEq writes `−max` over its 1.02 grid, which turns into a *boost* when every filter
/// cuts (an EQ of −3 dB everywhere gets `Preamp: +3 dB`). We never boost: the preamp is for
/// headroom only (PRODUCT.md: "the chain never boosts above 0 dB"); making up the lost level
/// is the job of the plugin's loudness matching, and a system-wide export that raises the
/// level of everything the user plays is a surprise (and a clipping risk on content whose
/// peaks the cuts do not touch).
pub fn preamp_db(filters: &[FilterSpec], sample_rate_hz: f64) -> f64 {
    let top = (sample_rate_hz * 0.5).min(autoeq_limits::LOSS_MAX_HZ);
    let max = log_grid(autoeq_limits::LOSS_MIN_HZ, top, 2f64.powf(1.0 / 200.0))
        .iter()
        .map(|&f| cascade_magnitude_db(filters, f, sample_rate_hz))
        .fold(f64::NEG_INFINITY, f64::max);
    if max.is_finite() && max > 0.0 {
        -max
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FS: f64 = 44_100.0;

    fn grid() -> Vec<f64> {
        log_grid(20.0, 20_000.0, 1.01)
    }

    fn curve_of(filters: &[FilterSpec]) -> (Vec<f64>, Vec<f64>) {
        let f = grid();
        let v = f
            .iter()
            .map(|&x| cascade_magnitude_db(filters, x, FS))
            .collect();
        (f, v)
    }

    /// A plausible correction made of filters inside AutoEq's limits (positive gains below
    /// the sharpness limit so the penalty does not bias the optimum).
    fn known_filters() -> Vec<FilterSpec> {
        vec![
            FilterSpec::low_shelf(105.0, 0.7, 5.0),
            FilterSpec::high_shelf(10_000.0, 0.7, -3.0),
            FilterSpec::peaking(60.0, 1.2, -3.0),
            FilterSpec::peaking(250.0, 0.8, 2.0),
            FilterSpec::peaking(900.0, 2.0, -2.5),
            FilterSpec::peaking(2_500.0, 3.0, 4.0),
            FilterSpec::peaking(4_200.0, 4.0, -5.0),
            FilterSpec::peaking(6_500.0, 2.5, 3.0),
        ]
    }

    fn within(param: Param, v: f64) -> bool {
        let (lo, hi) = param.range();
        v >= lo - 1e-9 * lo.abs().max(1.0) && v <= hi + 1e-9 * hi.abs().max(1.0)
    }

    fn assert_in_bounds(config: &FitConfig, result: &FitResult) {
        assert_eq!(config.filters.len(), result.filters.len());
        for (slot, f) in config.filters.iter().zip(&result.filters) {
            assert_eq!(FilterKind::from(slot.kind), f.kind);
            assert!(within(slot.freq_hz, f.freq_hz), "{f:?} vs {slot:?}");
            assert!(within(slot.q, f.q), "{f:?} vs {slot:?}");
            assert!(within(slot.gain_db, f.gain_db), "{f:?} vs {slot:?}");
        }
    }

    #[test]
    fn recovers_a_curve_made_of_filters() {
        let (f, v) = curve_of(&known_filters());
        let config = FitConfig::peaking_with_shelves(6, Shelves::Fixed);
        let r = fit(&f, &v, &config).unwrap();
        assert!(r.errors.rms_db < 0.01, "{:?}", r.errors);
        assert!(r.errors.max_abs_db < 0.05, "{:?}", r.errors);
        assert!(r.errors.autoeq_loss <= r.initial_autoeq_loss);
        assert_in_bounds(&config, &r);
    }

    #[test]
    fn beats_the_greedy_start_and_single_effort() {
        let (f, v) = curve_of(&known_filters());
        // Fewer filters than the curve has: no exact solution, local minima matter.
        let base = FitConfig::peaking_with_shelves(4, Shelves::Free);
        let single = fit(&f, &v, &base.clone().with_effort(Effort::Single)).unwrap();
        let thorough = fit(&f, &v, &base).unwrap();
        assert!(single.errors.autoeq_loss < single.initial_autoeq_loss);
        assert!(thorough.errors.autoeq_loss <= single.errors.autoeq_loss + 1e-12);
        assert_in_bounds(&base, &thorough);
    }

    #[test]
    fn respects_bounds_and_device_limits_on_a_hard_curve() {
        // ±25 dB square-ish wiggles: far beyond what the filters may do.
        let f = grid();
        let v: Vec<f64> = f
            .iter()
            .map(|x| 25.0 * (3.0 * x.log2()).sin().signum())
            .collect();
        for config in [
            FitConfig::autoeq_10_peaking(),
            FitConfig::peaking_with_shelves(8, Shelves::Free)
                .with_gain_range_db(-6.0, 6.0)
                .with_peaking_q_range(0.5, 3.0),
        ] {
            let r = fit(&f, &v, &config).unwrap();
            assert_in_bounds(&config, &r);
            assert!(r.errors.rms_db.is_finite() && r.preamp_db.is_finite());
        }
    }

    #[test]
    fn flat_and_constant_curves_are_handled() {
        let f = grid();
        let r = fit(
            &f,
            &vec![0.0; f.len()],
            &FitConfig::autoeq_8_peaking_with_shelves(),
        )
        .unwrap();
        assert!(
            r.errors.rms_db < 1e-9 && r.errors.autoeq_loss < 1e-9,
            "{:?}",
            r.errors
        );
        assert!(r.filters.iter().all(|x| x.gain_db.abs() < 1e-6));
        assert!(r.preamp_db.abs() < 1e-6);
        // A constant +3 dB: the peaks cannot make an offset but must not blow up.
        let r = fit(&f, &vec![3.0; f.len()], &FitConfig::autoeq_10_peaking()).unwrap();
        assert!(r.errors.rms_db.is_finite() && r.errors.rms_db < 3.0);
        // No filters at all.
        let none = FitConfig::new(Vec::new());
        let r = fit(&f, &vec![1.0; f.len()], &none).unwrap();
        assert!(r.filters.is_empty());
        assert!((r.errors.rms_db - 1.0).abs() < 1e-12);
        assert_eq!(r.preamp_db, 0.0);
    }

    #[test]
    fn degenerate_inputs_give_errors_not_panics() {
        use crate::curve::PointError;
        let c = FitConfig::autoeq_10_peaking();
        assert!(matches!(
            fit(&[], &[], &c),
            Err(FitError::Curve(PointError::TooFewInBand { in_band: 0, .. }))
        ));
        assert!(matches!(
            fit(&[100.0], &[1.0], &c),
            Err(FitError::Curve(PointError::TooFewInBand { in_band: 1, .. }))
        ));
        assert!(matches!(
            fit(&[100.0, 200.0], &[1.0], &c),
            Err(FitError::Curve(PointError::LengthMismatch { .. }))
        ));
        assert!(fit(&[f64::NAN, 0.0, -1.0], &[1.0, 2.0, 3.0], &c).is_err());
        let bad = c.clone().with_sample_rate(0.0);
        assert!(matches!(
            fit(&[100.0, 200.0], &[1.0, 2.0], &bad),
            Err(FitError::InvalidConfig { .. })
        ));
        // Levels beyond ±200 dB are not a curve.
        let f = grid();
        let v: Vec<f64> = f
            .iter()
            .map(|x| if *x < 1000.0 { 1e6 } else { -1e6 })
            .collect();
        assert!(matches!(
            fit(&f, &v, &c),
            Err(FitError::Curve(PointError::InvalidLevel { index: 0, .. }))
        ));
        // Absurd but admitted values: clamped by the bounds, never NaN.
        let v: Vec<f64> = f
            .iter()
            .map(|x| if *x < 1000.0 { 190.0 } else { -190.0 })
            .collect();
        let r = fit(&f, &v, &c).unwrap();
        assert!(r.filters.iter().all(|x| x.gain_db.abs() <= 20.0));
        assert!(r.errors.rms_db.is_finite() && r.errors.autoeq_loss.is_finite());
        // Two points are enough (a straight line in log f).
        let r = fit(&[20.0, 20_000.0], &[-3.0, 3.0], &c).unwrap();
        assert!(r.errors.rms_db < 1.0, "{:?}", r.errors);
    }

    #[test]
    fn order_does_not_matter_and_bad_points_are_named() {
        let (f, v) = curve_of(&known_filters());
        let c = FitConfig::autoeq_8_peaking_with_shelves().with_effort(Effort::Single);
        let clean = fit(&f, &v, &c).unwrap();
        let mut f2: Vec<f64> = f.iter().rev().copied().collect();
        let mut v2: Vec<f64> = v.iter().rev().copied().collect();
        assert_eq!(clean, fit(&f2, &v2, &c).unwrap());
        f2.push(500.0);
        v2.push(f64::INFINITY);
        let index = f2.len() - 1;
        assert!(matches!(
            fit(&f2, &v2, &c),
            Err(FitError::Curve(crate::curve::PointError::InvalidLevel { index: i, .. })) if i == index
        ));
    }

    #[test]
    fn graphic_eq_only_moves_gains() {
        let (f, v) = curve_of(&known_filters());
        let c = FitConfig::autoeq_10_band_graphic_eq();
        let r = fit(&f, &v, &c).unwrap();
        assert_in_bounds(&c, &r);
        assert!((r.filters[9].freq_hz - 16_000.0).abs() < 1e-9);
        assert!(r.errors.rms_db < 1.5, "{:?}", r.errors);
        assert!(r.errors.autoeq_loss < r.initial_autoeq_loss);
    }

    #[test]
    fn deterministic() {
        let (f, v) = curve_of(&known_filters());
        let c = FitConfig::autoeq_10_peaking();
        assert_eq!(fit(&f, &v, &c).unwrap(), fit(&f, &v, &c).unwrap());
    }

    #[test]
    fn reported_errors_match_evaluate() {
        let (f, v) = curve_of(&known_filters());
        let c = FitConfig::autoeq_10_peaking().with_effort(Effort::Single);
        let r = fit(&f, &v, &c).unwrap();
        let e = evaluate(&f, &v, &r.filters, FS).unwrap();
        assert!((e.rms_db - r.errors.rms_db).abs() < 1e-12);
        assert!((e.autoeq_loss - r.errors.autoeq_loss).abs() < 1e-12);
    }

    #[test]
    fn evaluate_counts_the_sharpness_penalty() {
        // One sharp +10 dB bell at Q 6 (limit 3.3 dB): the target is the bell itself, so the
        // data term is 0 and the loss is the penalty, sqrt(mean(fr²)).
        let bell = FilterSpec::peaking(1000.0, 6.0, 10.0);
        let (f, v) = curve_of(&[bell]);
        let e = evaluate(&f, &v, &[bell], FS).unwrap();
        assert!(e.rms_db < 0.01);
        let g = fit_grid();
        let mean_sq = g
            .iter()
            .map(|&x| bell.magnitude_db(x, FS).powi(2))
            .sum::<f64>()
            / g.len() as f64;
        assert!((e.autoeq_loss - mean_sq.sqrt()).abs() < 0.01, "{e:?}");
    }

    #[test]
    fn preamp_is_minus_the_peak_of_the_cascade() {
        let boost = [FilterSpec::peaking(1000.0, 2.0, 6.0)];
        assert!((preamp_db(&boost, FS) + 6.0).abs() < 0.01);
        // All cut: AutoEq's rule (−max) would boost by 3 dB here; we never boost.
        let cut = [
            FilterSpec::low_shelf(105.0, 0.7, -3.0),
            FilterSpec::high_shelf(10_000.0, 0.7, -3.0),
            FilterSpec::peaking(1000.0, 0.5, -3.0),
        ];
        let max = (0..1000)
            .map(|k| cascade_magnitude_db(&cut, 20.0 * 1.007f64.powi(k), FS))
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(
            max < -0.5,
            "the cut EQ must be below 0 dB everywhere: {max}"
        );
        assert_eq!(preamp_db(&cut, FS), 0.0);
        assert_eq!(
            preamp_db(&[FilterSpec::peaking(1000.0, 2.0, -6.0)], FS),
            0.0
        );
        assert_eq!(preamp_db(&[], FS), 0.0);
    }

    /// Largest `min(B, C)` over the 1.02 grid: B the response of the boosting filters, C
    /// minus that of the cutting ones (how much the EQ spends cancelling itself), dB.
    fn worst_cancellation_db(filters: &[FilterSpec]) -> f64 {
        let (boost, cut): (Vec<FilterSpec>, Vec<FilterSpec>) =
            filters.iter().partition(|f| f.gain_db >= 0.0);
        fit_grid()
            .iter()
            .map(|&f| {
                let b = cascade_magnitude_db(&boost, f, FS).max(0.0);
                let c = (-cascade_magnitude_db(&cut, f, FS)).max(0.0);
                b.min(c)
            })
            .fold(0.0, f64::max)
    }

    /// A correction-like curve with more detail than 10 filters can follow (as in
    /// `benches/fit.rs`): the kind of curve on which an unregularised fit builds cascades of
    /// large opposing filters.
    fn detailed_curve() -> (Vec<f64>, Vec<f64>) {
        let f = grid();
        let bumps = [
            FilterSpec::low_shelf(90.0, 0.6, 6.0),
            FilterSpec::peaking(180.0, 1.5, -3.0),
            FilterSpec::peaking(1_100.0, 0.8, 2.0),
            FilterSpec::peaking(2_900.0, 3.5, -4.0),
            FilterSpec::peaking(5_600.0, 5.0, 5.0),
            FilterSpec::peaking(8_200.0, 2.0, -6.0),
        ];
        let v = f
            .iter()
            .map(|&x| {
                let oct = (x / 1000.0).log2();
                cascade_magnitude_db(&bumps, x, FS) + 0.6 * (std::f64::consts::TAU * oct).sin()
                    - 0.3 * oct
            })
            .collect();
        (f, v)
    }

    #[test]
    fn regularisation_stops_filters_cancelling_each_other() {
        let (f, v) = detailed_curve();
        let base = FitConfig::autoeq_8_peaking_with_shelves();
        let off = fit(
            &f,
            &v,
            &base.clone().with_regularisation(Regularisation::OFF),
        )
        .unwrap();
        let on = fit(&f, &v, &base).unwrap();
        let max_gain = |r: &FitResult| {
            r.filters
                .iter()
                .map(|x| x.gain_db.abs())
                .fold(0.0, f64::max)
        };
        let max_curve = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        // Unregularised, the optimiser buys its last hundredths of a dB with filters that
        // cancel each other by many dB (this is what the regularisation is for).
        let (off_cancel, on_cancel) = (
            worst_cancellation_db(&off.filters),
            worst_cancellation_db(&on.filters),
        );
        assert!(
            off_cancel > 10.0 && max_gain(&off) > max_curve + 6.0,
            "{off:?}"
        );
        assert!(on_cancel < 5.0, "cancellation {on_cancel} dB: {on:?}");
        assert!(max_gain(&on) <= max_curve + 3.0 + 1e-9, "{on:?}");
        // … at a small price in error.
        assert!(
            on.errors.rms_db < off.errors.rms_db + 0.05,
            "{on:?} vs {off:?}"
        );
    }

    #[test]
    fn gain_bound_follows_the_curve_and_respects_the_configuration() {
        let f = grid();
        // ±4 dB at most: with a 3 dB margin no free gain may leave ±7 dB.
        let v: Vec<f64> = f
            .iter()
            .map(|&x| 4.0 * (2.0 * (x / 1000.0).log2()).sin())
            .collect();
        let reg = Regularisation {
            cancellation_weight: 0.0,
            cancellation_allowance_db: 0.0,
            gain_margin_db: Some(3.0),
        };
        let config = FitConfig::autoeq_10_peaking().with_regularisation(reg);
        let r = fit(&f, &v, &config).unwrap();
        assert!(
            r.filters.iter().all(|x| x.gain_db.abs() <= 7.0 + 1e-9),
            "{r:?}"
        );
        // A slot whose configured range lies outside the bound keeps its range.
        let mut odd = config.clone();
        odd.filters[0].gain_db = Param::Free {
            min: 10.0,
            max: 15.0,
        };
        let r = fit(&f, &v, &odd).unwrap();
        assert!((10.0..=15.0).contains(&r.filters[0].gain_db), "{r:?}");
        let bounded = bounded_gains(&odd.filters, 7.0);
        assert_eq!(bounded[0].gain_db, odd.filters[0].gain_db);
        assert_eq!(
            bounded[1].gain_db,
            Param::Free {
                min: -7.0,
                max: 7.0
            }
        );
    }

    #[test]
    fn regularisation_settings_are_validated() {
        let c = FitConfig::autoeq_10_peaking();
        for (weight, allowance, margin, field) in [
            (-1.0, 0.5, Some(3.0), "regularisation.cancellation_weight"),
            (
                f64::NAN,
                0.5,
                Some(3.0),
                "regularisation.cancellation_weight",
            ),
            (
                0.01,
                -0.1,
                Some(3.0),
                "regularisation.cancellation_allowance_db",
            ),
            (
                0.01,
                0.5,
                Some(f64::INFINITY),
                "regularisation.gain_margin_db",
            ),
            (0.01, 0.5, Some(-1.0), "regularisation.gain_margin_db"),
        ] {
            let reg = Regularisation {
                cancellation_weight: weight,
                cancellation_allowance_db: allowance,
                gain_margin_db: margin,
            };
            match fit(
                &[100.0, 200.0],
                &[1.0, 2.0],
                &c.clone().with_regularisation(reg),
            ) {
                Err(FitError::InvalidConfig { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{reg:?}: expected InvalidConfig, got {other:?}"),
            }
        }
        assert_eq!(
            FitConfig::autoeq_10_peaking().regularisation,
            Regularisation::DEFAULT
        );
    }
}
