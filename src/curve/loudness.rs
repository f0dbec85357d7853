//! Loudness-match gain of a curve: the K-weighted power of pink noise through it.
//!
//! DSP_REFERENCE.md §5.2, estimator 2: `g = 10·log10( Σ 10^((E+K)/10) / Σ 10^(K/10) )` over
//! a log-spaced grid (equal weight per point = pink noise), with `K(f)` the ITU-R BS.1770
//! K-weighting magnitude. `g` is the predicted change in BS.1770 loudness of pink noise
//! played through the curve `E`; subtracting it level-matches the curve.
//! K-weighting: the any-rate analog-prototype design of §5.3 (libebur128/pyloudnorm style,
//! from the "ITU-R BS.1770-1 filter specifications (unofficial)" derivation), evaluated at
//! [`K_WEIGHTING_SAMPLE_RATE_HZ`] = 48 kHz, the rate BS.1770 specifies its coefficients at.

use super::grid::grid_hz;
use super::response::Response;
use crate::filter::Coefficients;
use std::f64::consts::PI;
use std::sync::LazyLock;

/// The rate at which the K-weighting filter is designed and evaluated (BS.1770 tabulates it
/// at 48 kHz).
pub const K_WEIGHTING_SAMPLE_RATE_HZ: f64 = 48_000.0;

/// The two K-weighting stages (shelf, RLB high-pass) designed for `sample_rate_hz` from the
/// analog prototype (DSP_REFERENCE.md §5.3).
pub fn k_weighting_coefficients(sample_rate_hz: f64) -> [Coefficients; 2] {
    // Stage 1: high-frequency shelf.
    let (f0, gain_db, q) = (1681.974450955533, 3.999843853973347, 0.7071752369554196);
    let k = (PI * f0 / sample_rate_hz).tan();
    let vh = 10f64.powf(gain_db / 20.0);
    let vb = vh.powf(0.4996667741545416);
    let a0 = 1.0 + k / q + k * k;
    let shelf = Coefficients {
        b0: (vh + vb * k / q + k * k) / a0,
        b1: 2.0 * (k * k - vh) / a0,
        b2: (vh - vb * k / q + k * k) / a0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / q + k * k) / a0,
    };
    // Stage 2: revised low-frequency B-curve (RLB) high-pass, numerator [1, −2, 1].
    let (f0, q) = (38.13547087602444, 0.5003270373238773);
    let k = (PI * f0 / sample_rate_hz).tan();
    let a0 = 1.0 + k / q + k * k;
    let highpass = Coefficients {
        b0: 1.0,
        b1: -2.0,
        b2: 1.0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / q + k * k) / a0,
    };
    [shelf, highpass]
}

/// K-weighting magnitude in dB at `freq_hz` (at 48 kHz: −13.3 dB at 20 Hz, +0.7 dB at
/// 1 kHz, +4.0 dB at 4–16 kHz; DSP_REFERENCE.md §5.3).
pub fn k_weighting_db(freq_hz: f64) -> f64 {
    k_weighting_coefficients(K_WEIGHTING_SAMPLE_RATE_HZ)
        .iter()
        .map(|c| c.magnitude_db(freq_hz, K_WEIGHTING_SAMPLE_RATE_HZ))
        .sum()
}

/// `10^(K/10)` on the grid, computed once.
static K_POWER: LazyLock<Vec<f64>> = LazyLock::new(|| {
    grid_hz()
        .iter()
        .map(|&f| 10f64.powf(k_weighting_db(f) / 10.0))
        .collect()
});

/// The loudness change in dB (K-weighted pink-noise power, 20 Hz–20 kHz) caused by the
/// curve `curve`; subtract it to level-match. Golden values (§5.2): LS 105 Hz Q 0.7 +6 dB
/// → +0.67, +9.5 dB → +1.43, HS 10 kHz −4 dB → −0.60, PK 3 kHz Q 1.4 +6 dB → +1.67.
pub fn k_weighted_pink_gain_db(curve: &Response) -> f64 {
    let (num, den) = curve
        .values_db()
        .iter()
        .zip(K_POWER.iter())
        .fold((0.0, 0.0), |(n, d), (&e, &k)| {
            (n + k * 10f64.powf(e / 10.0), d + k)
        });
    if num > 0.0 && den > 0.0 {
        10.0 * (num / den).log10()
    } else {
        0.0
    }
}

/// The loudness change in dB of each curve `a + b` for every `b` in `others` (as
/// [`k_weighted_pink_gain_db`]`(a.plus(b))`), from linear powers: one `10^(x/10)` per grid point
/// of each curve instead of one per pair, which the chain needs for nine listen choices × two
/// ears × correction on and off at every settings change.
pub fn k_weighted_pink_gains_db_of_sums(a: &Response, others: &[Vec<f64>]) -> Vec<f64> {
    let weighted: Vec<f64> = a
        .values_db()
        .iter()
        .zip(K_POWER.iter())
        .map(|(&e, &k)| k * 10f64.powf(e / 10.0))
        .collect();
    let den: f64 = K_POWER.iter().sum();
    others
        .iter()
        .map(|b| {
            let num: f64 = weighted.iter().zip(b).map(|(w, p)| w * p).sum();
            if num > 0.0 && den > 0.0 {
                10.0 * (num / den).log10()
            } else {
                0.0
            }
        })
        .collect()
}

/// `10^(x/10)` of every grid value of `curve`: the linear powers
/// [`k_weighted_pink_gains_db_of_sums`] takes.
pub fn linear_powers(curve: &Response) -> Vec<f64> {
    curve
        .values_db()
        .iter()
        .map(|&e| 10f64.powf(e / 10.0))
        .collect()
}

/// Level-match gain of each simulation slot relative to the reference: for slot k with
/// curve `ΔS_k` (relative to the reference, so the reference itself is 0 dB and gets 0),
/// `g_k` = [`k_weighted_pink_gain_db`]`(ΔS_k)`. The chain plays `ΔS_k − g_k`, which is as
/// loud as the reference for pink noise. The correction is common to the reference and
/// every slot, so it is left out (its effect on the difference is second order).
pub fn level_match_gains_db(simulation_deltas: &[Response]) -> Vec<f64> {
    simulation_deltas
        .iter()
        .map(k_weighted_pink_gain_db)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FilterSpec;

    #[test]
    fn k_weighting_48k_matches_bs1770_table_coefficients() {
        // DSP_REFERENCE.md §5.3, coefficients at 48 kHz.
        let [shelf, hp] = k_weighting_coefficients(48_000.0);
        assert!((shelf.b0 - 1.53512485958697).abs() < 1e-10);
        assert!((shelf.b1 + 2.69169618940638).abs() < 1e-10);
        assert!((shelf.b2 - 1.19839281085285).abs() < 1e-10);
        assert!((shelf.a1 + 1.69065929318241).abs() < 1e-10);
        assert!((shelf.a2 - 0.73248077421585).abs() < 1e-10);
        assert!((hp.a1 + 1.99004745483398).abs() < 1e-8);
        assert!((hp.a2 - 0.99007225036621).abs() < 1e-8);
    }

    #[test]
    fn k_weighting_magnitudes() {
        for (f, want) in [
            (20.0, -13.3),
            (50.0, -3.9),
            (100.0, -1.1),
            (1_000.0, 0.7),
            (2_000.0, 3.1),
            (8_000.0, 4.0),
        ] {
            let got = k_weighting_db(f);
            assert!((got - want).abs() < 0.06, "{f}: {got}");
        }
    }

    #[test]
    fn gains_of_sums_equal_the_gain_of_each_sum() {
        let a = Response::from_filters(&[FilterSpec::low_shelf(105.0, 0.7, 6.0)], 48_000.0);
        let bs = [
            Response::from_filters(&[FilterSpec::peaking(3_000.0, 1.4, 6.0)], 48_000.0),
            Response::from_filters(&[FilterSpec::high_shelf(10_000.0, 0.7, -4.0)], 48_000.0),
            Response::flat(),
        ];
        let powers: Vec<Vec<f64>> = bs.iter().map(linear_powers).collect();
        let fast = k_weighted_pink_gains_db_of_sums(&a, &powers);
        for (b, got) in bs.iter().zip(fast) {
            let want = k_weighted_pink_gain_db(&a.plus(b));
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    #[test]
    fn golden_loudness_gains() {
        let cases = [
            (FilterSpec::low_shelf(105.0, 0.7, 6.0), 0.67),
            (FilterSpec::low_shelf(105.0, 0.7, 9.5), 1.43),
            (FilterSpec::high_shelf(10_000.0, 0.7, -4.0), -0.60),
            (FilterSpec::peaking(3_000.0, 1.4, 6.0), 1.67),
        ];
        for (spec, want) in cases {
            let curve = Response::from_filters(&[spec], 44_100.0);
            let got = k_weighted_pink_gain_db(&curve);
            eprintln!("{spec:?}: {got:+.3} dB (DSP_REFERENCE §5.2: {want:+.2})");
            assert!((got - want).abs() <= 0.05, "{spec:?}: {got} vs {want}");
        }
    }

    #[test]
    fn flat_and_offset_curves() {
        assert!(k_weighted_pink_gain_db(&Response::flat()).abs() < 1e-12);
        let up = Response::flat().offset(3.0);
        assert!((k_weighted_pink_gain_db(&up) - 3.0).abs() < 1e-12);
        let gains = level_match_gains_db(&[Response::flat(), up]);
        assert_eq!(gains.len(), 2);
        assert!((gains[1] - 3.0).abs() < 1e-12);
    }
}
