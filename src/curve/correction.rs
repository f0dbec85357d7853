//! The headphone correction `C = T − H` and the clip-safe preamp.
//!
//! Pipeline (AutoEq `process()` → `compensate()`, `smoothen()`, `equalize()`,
//! `AutoEq:autoeq/frequency_response.py@02d6a1e5`, DSP_REFERENCE.md §2.2), per channel:
//! 1. `C₀ = T − H` (AutoEq: `equalization ≈ −(raw − target)`), shifted so its mean over
//!    100 Hz–10 kHz is 0 dB ([`LEVEL_ALIGN_BAND_HZ`], AutoEq's `min_mean_error`): the level
//!    the boost limit is measured from. (PRODUCT.md says "centred at 1 kHz"; both curves are
//!    dB re 1 kHz on input, but the band mean is the more robust reference for the limit.)
//! 2. Smoothed: 1/12 octave, 2 octaves above 6–8 kHz ([`Smoothing::default`]).
//! 3. Slope limited to 18 dB/octave: AutoEq's left-to-right and right-to-left passes, each
//!    limiting how fast the correction may rise, combined with `min`; a limited region is
//!    kept only if it contains a peak of the correction (prominence ≥ 1 dB), and regions
//!    around dips deeper than their neighbouring dips are exempt (AutoEq's
//!    `protection_mask`). This stops narrow measurement notches from being boosted.
//! 4. Boost clipped to `max_boost_db` (AutoEq clips positive gain to `max_gain`, 6 dB by
//!    default).
//! 5. Smoothed with a 1/5-octave window (AutoEq's final smoothing, in AutoEq's order: after
//!    the clip, so the clip's corner is rounded, which the FIR designs need to follow the
//!    curve within 0.1 dB), then clipped once more so the smoothing's small overshoot never
//!    exceeds the limit (a deviation from AutoEq, whose limit is not exact).
//! 6. Faded to 0 dB outside the measured band of `H` ([`fade_weight`]): a raised cosine in
//!    log frequency over `fade_oct` octaves beyond each band edge. Inside the band nothing
//!    changes; the held (unmeasured) values are never applied at full strength.
//! 7. Scaled by `amount_percent`.

use super::channels::ChannelResponses;
use super::grid::{LOG10_STEP, grid_hz};
use super::peaks::prominent_peaks;
use super::response::Response;
use super::smoothing::Smoothing;
use std::f64::consts::LOG2_10;

/// Correction settings (PRODUCT.md: max boost default +6 dB, range 0–12; amount 0–100 %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorrectionSettings {
    /// Largest boost in dB (clamped to 0…12).
    pub max_boost_db: f64,
    /// Slope limit in dB/octave (AutoEq `DEFAULT_MAX_SLOPE` = 18).
    pub max_slope_db_per_oct: f64,
    /// Correction strength in percent (clamped to 0…100).
    pub amount_percent: f64,
    /// Width of the fade beyond each edge of the measured band, in octaves.
    pub fade_oct: f64,
}

impl Default for CorrectionSettings {
    fn default() -> Self {
        Self {
            max_boost_db: 6.0,
            max_slope_db_per_oct: 18.0,
            amount_percent: 100.0,
            fade_oct: 0.5,
        }
    }
}

/// Range of the max-boost setting in dB (PRODUCT.md).
pub const MAX_BOOST_RANGE_DB: std::ops::RangeInclusive<f64> = 0.0..=12.0;

/// Peaks and dips smaller than this prominence (dB) are ignored by the slope limiter
/// (AutoEq `find_peaks(prominence=1)`).
const MIN_PROMINENCE_DB: f64 = 1.0;

impl CorrectionSettings {
    fn max_boost(&self) -> f64 {
        finite_or(self.max_boost_db, 6.0)
            .clamp(*MAX_BOOST_RANGE_DB.start(), *MAX_BOOST_RANGE_DB.end())
    }

    fn amount(&self) -> f64 {
        finite_or(self.amount_percent, 100.0).clamp(0.0, 100.0) / 100.0
    }
}

fn finite_or(v: f64, default: f64) -> f64 {
    if v.is_finite() { v } else { default }
}

/// The correction curve `C` that turns headphone `measurement` into `target` (steps 1–7 in
/// the module docs). Its band is the measurement's band. The measurement may be at any level
/// (e.g. absolute SPL): the level alignment of step 1 removes it.
pub fn correct(
    target: &Response,
    measurement: &Response,
    settings: &CorrectionSettings,
) -> Response {
    let raw = target.minus(measurement);
    let offset = band_mean_db(&raw);
    finish(raw.offset(-offset), measurement.band_hz(), settings)
}

/// [`correct`] for every channel of a profile (stereo when the measurement is). Both ears
/// share one level alignment (the mean of their band means), so a measured left/right level
/// difference is corrected rather than hidden.
pub fn correct_channels(
    target: &Response,
    measurement: &ChannelResponses,
    settings: &CorrectionSettings,
) -> ChannelResponses {
    let raw = measurement.map(|h| target.minus(h));
    let means: Vec<f64> = raw.curves().map(band_mean_db).collect();
    let offset = means.iter().sum::<f64>() / means.len().max(1) as f64;
    measurement.zip_with(&raw, |h, r| {
        finish(r.clone().offset(-offset), h.band_hz(), settings)
    })
}

/// Band over which the correction's level is aligned before the boost limit (AutoEq's
/// `min_mean_error` band), Hz.
pub const LEVEL_ALIGN_BAND_HZ: (f64, f64) = (100.0, 10_000.0);

/// Mean of a curve over [`LEVEL_ALIGN_BAND_HZ`] (grid points, i.e. equal weight per
/// log-frequency step). The raw correction is shifted by it so that the boost limit is
/// measured from the headphone's average level, as AutoEq aligns target and measurement
/// (`min_mean_error`, `AutoEq:autoeq/frequency_response.py@02d6a1e5`): a headphone with a
/// 1 kHz bump, or a leaky earbud short of bass, is not penalised by the choice of one
/// reference frequency. The correction's overall level is arbitrary anyway; the preamp and
/// level matching set the output level.
fn band_mean_db(curve: &Response) -> f64 {
    let (lo, hi) = LEVEL_ALIGN_BAND_HZ;
    let (sum, n) = grid_hz()
        .iter()
        .zip(curve.values_db())
        .filter(|(f, _)| (lo..=hi).contains(*f))
        .fold((0.0, 0usize), |(s, n), (_, v)| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// Steps 2–7 on a level-aligned raw correction.
fn finish(aligned: Response, band: (f64, f64), settings: &CorrectionSettings) -> Response {
    let smoothed = aligned.smoothed();
    let max_boost = settings.max_boost();
    // AutoEq's order: limit slopes, clip the boost, then the final 1/5-octave smoothing, which
    // rounds the corner the clip leaves (a corner no FIR can follow exactly). The smoothing
    // may overshoot the limit by a fraction of a dB: clip once more.
    let limited: Vec<f64> = limit_slopes(smoothed.values_db(), settings.max_slope_db_per_oct)
        .into_iter()
        .map(|c| c.min(max_boost))
        .collect();
    let rounded = Smoothing::uniform(0.2).apply(&limited);
    let amount = settings.amount();
    let values = grid_hz()
        .iter()
        .zip(rounded)
        .map(|(&f, c)| c.min(max_boost) * fade_weight(f, band, settings.fade_oct) * amount)
        .collect();
    Response::from_raw(values, band)
}

/// The same path for an imported EQ that already *is* the correction (ParametricEQ.txt,
/// GraphicEQ.txt given as a curve): only `amount_percent` applies. The file's author
/// designed its shape, boosts and band (Equalizer APO holds a GraphicEQ's end values), so
/// it is not re-smoothed, slope limited, boost clipped or faded; the preamp
/// ([`headroom_preamp_db`]) keeps it from clipping.
pub fn imported_correction(eq: &Response, settings: &CorrectionSettings) -> Response {
    eq.scaled(settings.amount())
}

/// Weight in 0…1 that fades a correction outside `band_hz`: 1 inside, then
/// `cos²(π/2 · d/fade_oct)` at `d` octaves beyond the nearest edge, 0 from `fade_oct` on.
pub fn fade_weight(freq_hz: f64, band_hz: (f64, f64), fade_oct: f64) -> f64 {
    let (low, high) = band_hz;
    let beyond_oct = if freq_hz < low {
        (low / freq_hz).log2()
    } else if freq_hz > high {
        (freq_hz / high).log2()
    } else {
        return 1.0;
    };
    if !beyond_oct.is_finite() || fade_oct <= 0.0 || beyond_oct >= fade_oct {
        return 0.0;
    }
    (0.5 * std::f64::consts::PI * beyond_oct / fade_oct)
        .cos()
        .powi(2)
}

/// A slot's whole curve before the preamp: correction + simulation − level-match gain.
pub fn chain_curve(
    correction: &Response,
    simulation_delta: &Response,
    level_gain_db: f64,
) -> Response {
    correction.plus(simulation_delta).offset(-level_gain_db)
}

/// The preamp in dB (≤ 0) that keeps every given chain curve at or below 0 dB:
/// `−max(0, max over curves and frequencies)`. Pass the chains of *all* slots (and the
/// reference, and both channels) so one value serves every slot and switching never jumps
/// (PRODUCT.md "Headroom"; Sonarworks' Safe Headroom and AutoEq's preamp are the same rule).
pub fn headroom_preamp_db<'a>(chains: impl IntoIterator<Item = &'a Response>) -> f64 {
    let peak = chains
        .into_iter()
        .map(Response::max_db)
        .fold(0.0f64, f64::max);
    -peak
}

/// Slope limiting (step 3): values on the grid in, limited values out.
pub fn limit_slopes(y: &[f64], max_slope_db_per_oct: f64) -> Vec<f64> {
    let n = y.len();
    if n < 3 || max_slope_db_per_oct.is_nan() || max_slope_db_per_oct <= 0.0 {
        return y.to_vec();
    }
    let peaks = prominent_peaks(y, MIN_PROMINENCE_DB);
    let neg: Vec<f64> = y.iter().map(|v| -v).collect();
    let dips = prominent_peaks(&neg, MIN_PROMINENCE_DB);
    if peaks.is_empty() && dips.is_empty() {
        return y.to_vec();
    }
    let step_oct = LOG10_STEP * LOG2_10;
    let max_step_db = max_slope_db_per_oct * step_oct;
    let mask = protection_mask(y, &peaks, &dips);
    let rtl_start = rtl_start(y, &peaks, &dips);

    let ltr = limit_rises(y, max_step_db, 0, &peaks, &mask);

    let flip = |v: &[f64]| v.iter().rev().copied().collect::<Vec<f64>>();
    let y_rev = flip(y);
    let mask_rev: Vec<bool> = mask.iter().rev().copied().collect();
    let peaks_rev: Vec<usize> = peaks.iter().rev().map(|&p| n - 1 - p).collect();
    let rtl = flip(&limit_rises(
        &y_rev,
        max_step_db,
        n - 1 - rtl_start,
        &peaks_rev,
        &mask_rev,
    ));

    ltr.iter().zip(&rtl).map(|(a, b)| a.min(*b)).collect()
}

/// One left-to-right pass: from `start` on, a rise of more than `max_step_db` per grid step
/// is replaced by a rise of exactly that much. A limited region that contains none of
/// `peaks` is undone (it is a recovery from a dip, not the flank of a boost); `mask`ed
/// points are never limited.
fn limit_rises(
    y: &[f64],
    max_step_db: f64,
    start: usize,
    peaks: &[usize],
    mask: &[bool],
) -> Vec<f64> {
    let n = y.len();
    let mut limited = Vec::with_capacity(n);
    let mut clipped = vec![false; n];
    let mut region_start = 0;
    for i in 0..n {
        if i <= start || i == 0 {
            limited.push(y[i]);
            continue;
        }
        let prev = limited[i - 1];
        let exempt = mask.get(i).copied().unwrap_or(false);
        if y[i] - prev > max_step_db && !exempt {
            if !clipped[i - 1] {
                region_start = i;
            }
            clipped[i] = true;
            limited.push(prev + max_step_db);
        } else {
            limited.push(y[i]);
            if clipped[i - 1] && !peaks.iter().any(|&p| p >= region_start && p < i) {
                for k in region_start..i {
                    limited[k] = y[k];
                    clipped[k] = false;
                }
            }
        }
    }
    limited
}

/// AutoEq's `protection_mask`: around each interior dip, the stretch where the curve is
/// below the neighbouring dips' levels is exempt from slope limiting.
fn protection_mask(y: &[f64], peaks: &[usize], dips: &[usize]) -> Vec<bool> {
    let n = y.len();
    let mut mask = vec![false; n];
    let mut dip_idx: Vec<usize> = dips.to_vec();
    let mut levels: Vec<f64> = dips.iter().map(|&d| y[d]).collect();
    match (peaks.last(), dips.last()) {
        (Some(&p), last_dip) if last_dip.is_none_or(|&d| p > d) => {
            let tail_min = argmin(&y[p..]) + p;
            dip_idx.push(tail_min);
            levels.push(y[tail_min]);
        }
        _ => {
            dip_idx.push(n - 1);
            levels.push(y.iter().copied().fold(f64::INFINITY, f64::min));
        }
    }
    if dip_idx.len() < 3 {
        return mask;
    }
    for i in 1..dip_idx.len() - 1 {
        let dip = dip_idx[i];
        let (left_level, right_level) = (levels[i - 1], levels[i + 1]);
        let left = y[..dip]
            .iter()
            .rposition(|&v| v >= left_level)
            .map_or(0, |j| j + 1);
        let right = y[dip..]
            .iter()
            .position(|&v| v >= right_level)
            .map_or(n - 1, |j| (j + dip).saturating_sub(1));
        if left <= right {
            for m in &mut mask[left..=right] {
                *m = true;
            }
        }
    }
    mask
}

/// AutoEq's `find_rtl_start`: where the right-to-left pass begins.
fn rtl_start(y: &[f64], peaks: &[usize], dips: &[usize]) -> usize {
    let n = y.len();
    match (peaks.last(), dips.last()) {
        (Some(&p), last_dip) if last_dip.is_none_or(|&d| p > d) => {
            let threshold = match last_dip {
                Some(&d) => y[d],
                None => y[0].max(y[n - 1]),
            };
            y[p..]
                .iter()
                .position(|&v| v <= threshold)
                .map_or(n - 1, |j| j + p)
        }
        (_, Some(&d)) => d,
        _ => n - 1,
    }
}

fn argmin(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .fold(
            (0, f64::INFINITY),
            |(bi, bv), (i, &x)| if x < bv { (i, x) } else { (bi, bv) },
        )
        .0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::grid::points_per_octave;

    #[test]
    fn fade_is_one_inside_and_zero_far_outside() {
        let band = (100.0, 10_000.0);
        assert_eq!(fade_weight(1_000.0, band, 0.5), 1.0);
        assert_eq!(fade_weight(100.0, band, 0.5), 1.0);
        assert!((fade_weight(100.0 / 2f64.powf(0.25), band, 0.5) - 0.5).abs() < 1e-12);
        assert_eq!(fade_weight(50.0, band, 0.5), 0.0);
        assert_eq!(fade_weight(20_000.0, band, 0.5), 0.0);
    }

    #[test]
    fn a_narrow_boost_is_slope_limited_but_a_narrow_cut_is_not() {
        let n = 1001;
        let ppo = points_per_octave();
        // A 12 dB, 1/10-octave-wide boost at index 500: its flanks are ≈ 240 dB/oct.
        let boost: Vec<f64> = (0..n)
            .map(|i| {
                if (i as f64 - 500.0).abs() < ppo / 20.0 {
                    12.0
                } else {
                    0.0
                }
            })
            .collect();
        let limited = limit_slopes(&boost, 18.0);
        let max = limited.iter().copied().fold(f64::MIN, f64::max);
        // Rising 18 dB/oct over 1/20 octave from each side gives ≈ 0.9 dB.
        assert!(max < 1.5, "{max}");
        for w in limited.windows(2) {
            assert!((w[1] - w[0]).abs() * ppo <= 18.0 + 1e-6, "{w:?}");
        }
        // The same shape as a cut passes through: no peak inside its recovery region.
        let cut: Vec<f64> = boost.iter().map(|v| -v).collect();
        assert_eq!(limit_slopes(&cut, 18.0), cut);
    }

    #[test]
    fn smooth_gentle_curves_are_untouched_by_the_limiter() {
        let y: Vec<f64> = (0..1001).map(|i| 3.0 * (i as f64 / 80.0).sin()).collect();
        let out = limit_slopes(&y, 18.0);
        for (a, b) in out.iter().zip(&y) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn preamp_covers_every_chain() {
        let a = Response::flat().offset(2.0);
        let b = Response::from_fn(|f| if f > 1_000.0 { 5.0 } else { -1.0 });
        assert_eq!(headroom_preamp_db([&a, &b]), -5.0);
        assert_eq!(headroom_preamp_db([&Response::flat().offset(-3.0)]), 0.0);
        let chain = chain_curve(&a, &b, 1.5);
        assert!((chain.gain_at(5_000.0) - 5.5).abs() < 1e-12);
    }
}
