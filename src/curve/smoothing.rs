//! Fractional-octave smoothing as AutoEq does it (`smoothen()`,
//! `AutoEq:autoeq/frequency_response.py@02d6a1e5`, DSP_REFERENCE.md §2.2 step 4).
//!
//! Method: a Savitzky–Golay filter of polynomial order 2 (the same filter AutoEq applies with
//! `scipy.signal.savgol_filter(data, n, 2)`) on the uniform log grid, with the window length
//! `n` = the number of grid steps in the window's octaves, rounded and forced odd
//! (`utils.smoothing_window_size`). Near the ends, where the window does not fit, a
//! quadratic is least-squares fitted to the first/last `n` points and evaluated there
//! (SciPy's default `mode='interp'`). Two smoothings, a normal one (1/12 octave) and a
//! treble one (2 octaves), are blended with AutoEq's log-frequency sigmoid between 6 and
//! 8 kHz (`utils.log_f_sigmoid`). Our grid is finer (≈ 100 points/octave instead of ≈ 70),
//! so a window holds more points but spans the same octaves.

use super::grid::{grid_hz, points_per_octave};

/// Smoothing settings: window sizes in octaves and the treble transition band in Hz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smoothing {
    /// Window below the transition, in octaves (AutoEq `DEFAULT_SMOOTHING_WINDOW_SIZE` 1/12).
    pub window_oct: f64,
    /// Window above the transition, in octaves (AutoEq `DEFAULT_TREBLE_SMOOTHING_WINDOW_SIZE` 2).
    pub treble_window_oct: f64,
    /// Start of the sigmoid transition in Hz (AutoEq `DEFAULT_TREBLE_F_LOWER` 6000).
    pub treble_low_hz: f64,
    /// End of the sigmoid transition in Hz (AutoEq `DEFAULT_TREBLE_F_UPPER` 8000).
    pub treble_high_hz: f64,
}

impl Default for Smoothing {
    fn default() -> Self {
        Self {
            window_oct: 1.0 / 12.0,
            treble_window_oct: 2.0,
            treble_low_hz: 6_000.0,
            treble_high_hz: 8_000.0,
        }
    }
}

impl Smoothing {
    /// The same window at every frequency (AutoEq's final 1/5-octave equalisation smoothing
    /// uses `Smoothing::uniform(0.2)`).
    pub fn uniform(window_oct: f64) -> Self {
        Self {
            window_oct,
            treble_window_oct: window_oct,
            ..Self::default()
        }
    }

    /// Smooths values that lie on the fixed grid (one value per grid point).
    pub fn apply(&self, data: &[f64]) -> Vec<f64> {
        let normal = savgol2(data, window_points(self.window_oct));
        if self.treble_window_oct == self.window_oct {
            return normal;
        }
        let treble = savgol2(data, window_points(self.treble_window_oct));
        grid_hz()
            .iter()
            .zip(normal.iter().zip(&treble))
            .map(|(&f, (&n, &t))| {
                let k = log_f_sigmoid(f, self.treble_low_hz, self.treble_high_hz);
                n * (1.0 - k) + t * k
            })
            .collect()
    }
}

/// Window length in grid points for a window in octaves: rounded, forced odd, at least 1
/// (AutoEq `smoothing_window_size`).
pub fn window_points(window_oct: f64) -> usize {
    let n = (window_oct.max(0.0) * points_per_octave()).round();
    let n = if n.is_finite() { n as usize } else { 1 };
    if n.is_multiple_of(2) { n + 1 } else { n }
}

/// AutoEq's `log_f_sigmoid`: 0 well below `low_hz`, 1 well above `high_hz`, ½ at their
/// geometric mean, logistic in log10 f with scale (half the log range)/4.
pub fn log_f_sigmoid(freq_hz: f64, low_hz: f64, high_hz: f64) -> f64 {
    let centre = (low_hz * high_hz).sqrt().log10();
    let half_range = high_hz.log10() - centre;
    if half_range.is_nan() || half_range <= 0.0 {
        return if freq_hz.log10() >= centre { 1.0 } else { 0.0 };
    }
    let x = (freq_hz.log10() - centre) / (half_range / 4.0);
    1.0 / (1.0 + (-x).exp())
}

/// Savitzky–Golay smoothing, polynomial order 2, window `window` (odd), SciPy `interp` edges.
pub fn savgol2(data: &[f64], window: usize) -> Vec<f64> {
    let len = data.len();
    // The window cannot exceed the data; keep it odd.
    let mut n = window.min(len);
    if n.is_multiple_of(2) {
        n = n.saturating_sub(1);
    }
    if n < 3 {
        return data.to_vec();
    }
    let m = n / 2;
    // Central coefficients for a quadratic fit evaluated at the centre:
    // c_j = 3(3m² + 3m − 1 − 5j²) / ((2m − 1)(2m + 1)(2m + 3)), j = −m…m (Savitzky & Golay 1964).
    let mf = m as f64;
    let norm = (2.0 * mf - 1.0) * (2.0 * mf + 1.0) * (2.0 * mf + 3.0);
    let coeffs: Vec<f64> = (0..n)
        .map(|i| {
            let j = i as f64 - mf;
            3.0 * (3.0 * mf * mf + 3.0 * mf - 1.0 - 5.0 * j * j) / norm
        })
        .collect();
    let mut out = data.to_vec();
    for (centre, slot) in out.iter_mut().enumerate().take(len - m).skip(m) {
        *slot = data[centre - m..=centre + m]
            .iter()
            .zip(&coeffs)
            .map(|(y, c)| y * c)
            .sum();
    }
    // Edges: quadratic least-squares fit over the first/last n points.
    let head = fit_quadratic(&data[..n]);
    for (i, slot) in out.iter_mut().enumerate().take(m) {
        *slot = head.eval(i as f64 - mf);
    }
    let tail = fit_quadratic(&data[len - n..]);
    for i in 0..m {
        let pos = n - m + i; // position inside the last window
        out[len - m + i] = tail.eval(pos as f64 - mf);
    }
    out
}

/// `a + b·x + c·x²` with x centred on the window.
struct Quadratic {
    a: f64,
    b: f64,
    c: f64,
}

impl Quadratic {
    fn eval(&self, x: f64) -> f64 {
        self.a + self.b * x + self.c * x * x
    }
}

/// Least-squares quadratic through `y` sampled at x = i − (len−1)/2 (odd length, so the
/// odd moments vanish and the normal equations decouple).
fn fit_quadratic(y: &[f64]) -> Quadratic {
    let half = (y.len() as f64 - 1.0) / 2.0;
    let (mut s0, mut s2, mut s4, mut sy, mut sxy, mut sx2y) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &v) in y.iter().enumerate() {
        let x = i as f64 - half;
        let x2 = x * x;
        s0 += 1.0;
        s2 += x2;
        s4 += x2 * x2;
        sy += v;
        sxy += x * v;
        sx2y += x2 * v;
    }
    let det = s0 * s4 - s2 * s2;
    let c = if det != 0.0 {
        (s0 * sx2y - s2 * sy) / det
    } else {
        0.0
    };
    let a = if s0 != 0.0 { (sy - c * s2) / s0 } else { 0.0 };
    let b = if s2 != 0.0 { sxy / s2 } else { 0.0 };
    Quadratic { a, b, c }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::grid::GRID_LEN;

    #[test]
    fn window_sizes_match_autoeq_rule() {
        // ≈ 100.34 points per octave: 1/12 oct → 8.36 → 8 → odd 9; 2 oct → 200.7 → 201.
        assert_eq!(window_points(1.0 / 12.0), 9);
        assert_eq!(window_points(2.0), 201);
        assert_eq!(window_points(0.2), 21);
        assert_eq!(window_points(0.0), 1);
        assert_eq!(window_points(f64::NAN), 1);
    }

    #[test]
    fn quadratics_pass_unchanged_everywhere_including_edges() {
        let data: Vec<f64> = (0..GRID_LEN)
            .map(|i| {
                let x = i as f64 / 100.0;
                3.0 - 2.0 * x + 0.7 * x * x
            })
            .collect();
        for window in [9, 21, 201] {
            let out = savgol2(&data, window);
            for (a, b) in out.iter().zip(&data) {
                assert!((a - b).abs() < 1e-9, "window {window}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn coefficients_match_scipy_for_window_five() {
        // scipy.signal.savgol_coeffs(5, 2) = [-3, 12, 17, 12, -3] / 35.
        let mut impulse = vec![0.0; 11];
        impulse[5] = 1.0;
        let out = savgol2(&impulse, 5);
        let want = [-3.0, 12.0, 17.0, 12.0, -3.0].map(|c| c / 35.0);
        for (k, w) in want.iter().enumerate() {
            assert!((out[3 + k] - w).abs() < 1e-12, "{k}: {} vs {w}", out[3 + k]);
        }
    }

    #[test]
    fn a_narrow_peak_is_smoothed_more_in_the_treble() {
        let g = grid_hz();
        let spike = |centre_hz: f64| -> Vec<f64> {
            g.iter()
                .map(|&f| {
                    if (f / centre_hz).log2().abs() < 0.02 {
                        6.0
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        let s = Smoothing::default();
        let peak_at = |data: &[f64]| data.iter().copied().fold(f64::MIN, f64::max);
        let low = peak_at(&s.apply(&spike(1_000.0)));
        let high = peak_at(&s.apply(&spike(14_000.0)));
        assert!(low > 2.0, "{low}");
        assert!(high < 0.5, "{high}");
    }

    #[test]
    fn sigmoid_is_half_at_geometric_mean() {
        let mid = (6_000.0f64 * 8_000.0).sqrt();
        assert!((log_f_sigmoid(mid, 6_000.0, 8_000.0) - 0.5).abs() < 1e-12);
        assert!(log_f_sigmoid(1_000.0, 6_000.0, 8_000.0) < 1e-6);
        assert!(log_f_sigmoid(16_000.0, 6_000.0, 8_000.0) > 1.0 - 1e-6);
        // expit(4) at the upper edge, as in AutoEq.
        let at_hi = log_f_sigmoid(8_000.0, 6_000.0, 8_000.0);
        assert!((at_hi - 1.0 / (1.0 + (-4.0f64).exp())).abs() < 1e-12);
    }
}
