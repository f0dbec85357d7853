//! Crossfeed: a speaker-like stereo image on headphones, after Bauer's bs2b presets.
//!
//! Each ear hears the other channel low-passed and attenuated, as a loudspeaker pair's
//! acoustic crosstalk does. Written through the side signal so mono is untouched by
//! construction:
//!
//! ```text
//! y  = g · LP₁(L − R)          (first-order low-pass, unity at DC)
//! L' = L − y,   R' = R + y     ⇒  L' = (1 − g·LP)·L + g·LP·R,  and L = R gives L' = L exactly.
//! ```
//!
//! For a hard-panned source the interaural level difference (ILD) is `|1 − g·LP| / |g·LP|`.
//! bs2b (Boris Mikhaylov, `bs2b.c` `init()`, presets in `bs2b.h`) is given a cut-off `Fc` and a
//! feed level `F` dB: its cross path is `G_lo·LP(Fc)` with `G_lo = 10^((−5F/6 − 3)/20)`, its
//! direct path a high-boost shelf that is `10^((F/6 − 3)/20)` below unity at low frequencies,
//! so its ILD is `F` dB at DC and `f / (G_lo·Fc)` far above `Fc`. Here `g = 1 / (1 + 10^(F/20))`
//! gives the same `F` dB at DC, and the cut-off `fc = Fc·G_lo/g` the same high-frequency
//! asymptote; in between the two differ by at most a dB or so ([`bs2b_ild_db`] and
//! [`ild_db`] let tests and docs compare them). Zero latency; nothing is allocated.

use std::f64::consts::TAU;

/// One crossfeed strength: a bs2b preset's cut-off and feed level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossfeedPreset {
    /// Stable id (the `crossfeed` parameter's variant id).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// bs2b's cut-off frequency `Fc`, Hz.
    pub cutoff_hz: f64,
    /// bs2b's feed level `F`: the ILD at low frequencies, dB (lower = stronger crossfeed).
    pub feed_db: f64,
}

/// The strengths, mildest first, with bs2b's published presets (`bs2b.h`: `BS2B_JMEIER_CLEVEL`
/// 650 Hz / 9.5 dB, `BS2B_CMOY_CLEVEL` 700 Hz / 6.0 dB, `BS2B_DEFAULT_CLEVEL` 700 Hz / 4.5 dB).
pub const PRESETS: [CrossfeedPreset; 3] = [
    CrossfeedPreset {
        id: "meier",
        name: "Light (Jan Meier: 650 Hz, 9.5 dB)",
        cutoff_hz: 650.0,
        feed_db: 9.5,
    },
    CrossfeedPreset {
        id: "chu_moy",
        name: "Medium (Chu Moy: 700 Hz, 6 dB)",
        cutoff_hz: 700.0,
        feed_db: 6.0,
    },
    CrossfeedPreset {
        id: "bs2b_default",
        name: "Strong (bs2b default: 700 Hz, 4.5 dB)",
        cutoff_hz: 700.0,
        feed_db: 4.5,
    },
];

/// How long a change of strength (or on/off) takes, seconds: a ramp of the coefficients,
/// short enough to follow a click and long enough not to click.
pub const CROSSFEED_RAMP_S: f64 = 0.010;

/// bs2b's cross-path gain `G_lo` for a feed level of `feed_db`.
fn bs2b_g_lo(feed_db: f64) -> f64 {
    10f64.powf((-5.0 * feed_db / 6.0 - 3.0) / 20.0)
}

impl CrossfeedPreset {
    /// Refcan's cross gain `g` (unity-DC low-pass scaled): `F` dB ILD at DC.
    pub fn gain(&self) -> f64 {
        1.0 / (1.0 + 10f64.powf(self.feed_db / 20.0))
    }

    /// Refcan's low-pass cut-off, Hz: bs2b's high-frequency ILD asymptote.
    pub fn lowpass_hz(&self) -> f64 {
        self.cutoff_hz * bs2b_g_lo(self.feed_db) / self.gain()
    }
}

/// The response of a one-pole low-pass `y = (1 − x)·s + x·y₋₁` at `freq_hz`, as (re, im).
fn one_pole(x: f64, freq_hz: f64, sample_rate_hz: f64) -> (f64, f64) {
    let w = TAU * freq_hz / sample_rate_hz;
    // H = (1 − x) / (1 − x·e^{−jw})
    let (dr, di) = (1.0 - x * w.cos(), x * w.sin());
    let d2 = dr * dr + di * di;
    ((1.0 - x) * dr / d2, -(1.0 - x) * di / d2)
}

/// The pole of the one-pole low-pass at `cutoff_hz` (bs2b's form: `exp(−2π·fc/fs)`).
fn pole(cutoff_hz: f64, sample_rate_hz: f64) -> f64 {
    (-TAU * cutoff_hz / sample_rate_hz).exp()
}

/// Refcan's ILD for a hard-panned source at `freq_hz`, dB.
pub fn ild_db(preset: &CrossfeedPreset, freq_hz: f64, sample_rate_hz: f64) -> f64 {
    let g = preset.gain();
    let (re, im) = one_pole(
        pole(preset.lowpass_hz(), sample_rate_hz),
        freq_hz,
        sample_rate_hz,
    );
    let (xr, xi) = (g * re, g * im);
    let direct = ((1.0 - xr).powi(2) + xi.powi(2)).sqrt();
    let cross = (xr * xr + xi * xi).sqrt();
    20.0 * (direct / cross).log10()
}

/// bs2b's own ILD for a hard-panned source at `freq_hz`, dB, from its published formulas
/// (direct path: its high-boost filter; cross path: `G_lo` times its low-pass).
pub fn bs2b_ild_db(preset: &CrossfeedPreset, freq_hz: f64, sample_rate_hz: f64) -> f64 {
    let level = preset.feed_db;
    let gb_lo = -5.0 * level / 6.0 - 3.0;
    let gb_hi = level / 6.0 - 3.0;
    let g_lo = 10f64.powf(gb_lo / 20.0);
    let g_hi = 1.0 - 10f64.powf(gb_hi / 20.0);
    let fc_hi = preset.cutoff_hz * 2f64.powf((gb_lo - 20.0 * g_hi.log10()) / 12.0);
    let (lr, li) = one_pole(
        pole(preset.cutoff_hz, sample_rate_hz),
        freq_hz,
        sample_rate_hz,
    );
    let cross = g_lo * (lr * lr + li * li).sqrt();
    // High boost: (a0 + a1·z⁻¹)/(1 − b1·z⁻¹), a0 = 1 − G_hi(1 − x), a1 = −x, b1 = x.
    let x = pole(fc_hi, sample_rate_hz);
    let w = TAU * freq_hz / sample_rate_hz;
    let a0 = 1.0 - g_hi * (1.0 - x);
    let (nr, ni) = (a0 - x * w.cos(), x * w.sin());
    let (dr, di) = (1.0 - x * w.cos(), x * w.sin());
    let direct = ((nr * nr + ni * ni) / (dr * dr + di * di)).sqrt();
    20.0 * (direct / cross).log10()
}

/// The crossfeed stage of one activation (stereo only; a mono layout passes through).
#[derive(Debug, Clone)]
pub struct Crossfeed {
    sample_rate_hz: f64,
    /// The cross gain and pole now, and where they are heading.
    gain: f64,
    pole: f64,
    target_gain: f64,
    target_pole: f64,
    step_gain: f64,
    step_pole: f64,
    ramp_left: usize,
    /// The low-pass state.
    state: f64,
    /// The strength asked for last (0 = off, k = `PRESETS[k − 1]`).
    choice: usize,
}

impl Crossfeed {
    /// Off, at `sample_rate_hz`.
    pub fn new(sample_rate_hz: f64) -> Self {
        let p = pole(PRESETS[0].lowpass_hz(), sample_rate_hz);
        Self {
            sample_rate_hz,
            gain: 0.0,
            pole: p,
            target_gain: 0.0,
            target_pole: p,
            step_gain: 0.0,
            step_pole: 0.0,
            ramp_left: 0,
            state: 0.0,
            choice: 0,
        }
    }

    fn targets(&self, choice: usize) -> (f64, f64) {
        match choice.checked_sub(1).and_then(|k| PRESETS.get(k)) {
            Some(p) => (p.gain(), pole(p.lowpass_hz(), self.sample_rate_hz)),
            // Off: no cross gain; keep the pole, so the fade out is a pure gain ramp.
            None => (0.0, self.target_pole),
        }
    }

    /// Jumps to `choice` without a ramp and forgets the filter state (host reset).
    pub fn reset(&mut self, choice: usize) {
        let (g, p) = self.targets(choice);
        self.choice = choice;
        self.gain = g;
        self.pole = p;
        self.target_gain = g;
        self.target_pole = p;
        self.ramp_left = 0;
        self.state = 0.0;
    }

    /// Processes a stereo block in place with the strength `choice` (0 = off, k = preset k);
    /// a change ramps over [`CROSSFEED_RAMP_S`]. Other layouts pass through.
    pub fn process(&mut self, channels: &mut [&mut [f32]], choice: usize) {
        if choice != self.choice {
            self.choice = choice;
            let (g, p) = self.targets(choice);
            self.target_gain = g;
            self.target_pole = p;
            let n = ((CROSSFEED_RAMP_S * self.sample_rate_hz).round() as usize).max(1);
            self.step_gain = (g - self.gain) / n as f64;
            self.step_pole = (p - self.pole) / n as f64;
            self.ramp_left = n;
        }
        let [left, right] = channels else {
            return;
        };
        if self.gain == 0.0 && self.ramp_left == 0 {
            // Off and settled: bit-exact pass-through, and the filter starts from silence.
            self.state = 0.0;
            return;
        }
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            if self.ramp_left > 0 {
                self.ramp_left -= 1;
                if self.ramp_left == 0 {
                    self.gain = self.target_gain;
                    self.pole = self.target_pole;
                } else {
                    self.gain += self.step_gain;
                    self.pole += self.step_pole;
                }
            }
            let side = f64::from(*l) - f64::from(*r);
            self.state = (1.0 - self.pole) * side + self.pole * self.state;
            let y = self.gain * self.state;
            *l = (f64::from(*l) - y) as f32;
            *r = (f64::from(*r) + y) as f32;
        }
        // Keep the state out of the subnormal range in long silences.
        if self.state.abs() < 1e-30 {
            self.state = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hard-left sine through the stage; the steady-state ILD in dB.
    fn measured_ild_db(choice: usize, freq_hz: f64, fs: f64) -> f64 {
        let mut cf = Crossfeed::new(fs);
        cf.reset(choice);
        let n = (fs * 0.5) as usize;
        let mut l: Vec<f32> = (0..n)
            .map(|i| (TAU * freq_hz * i as f64 / fs).sin() as f32)
            .collect();
        let mut r = vec![0.0f32; n];
        cf.process(&mut [&mut l, &mut r], choice);
        let rms = |x: &[f32]| {
            let tail = &x[n / 2..];
            (tail.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / tail.len() as f64).sqrt()
        };
        20.0 * (rms(&l) / rms(&r)).log10()
    }

    #[test]
    fn the_ild_is_the_feed_level_at_low_frequencies_and_bs2b_asymptote_above() {
        for fs in [44_100.0, 48_000.0, 96_000.0] {
            for (k, p) in PRESETS.iter().enumerate() {
                let low = measured_ild_db(k + 1, 40.0, fs);
                assert!(
                    (low - p.feed_db).abs() < 0.1,
                    "{} at {fs}: ILD at 40 Hz {low:.2} dB, feed level {}",
                    p.id,
                    p.feed_db
                );
                assert!((bs2b_ild_db(p, 40.0, fs) - p.feed_db).abs() < 0.1);
                let high = measured_ild_db(k + 1, 8_000.0, fs);
                let bs2b = bs2b_ild_db(p, 8_000.0, fs);
                assert!(
                    (high - bs2b).abs() < 0.5,
                    "{} at {fs}: ILD at 8 kHz {high:.2} dB, bs2b {bs2b:.2} dB",
                    p.id
                );
                assert!((ild_db(p, 8_000.0, fs) - high).abs() < 0.05);
            }
        }
    }

    #[test]
    fn mono_passes_bit_exact_and_off_is_a_pass_through() {
        let mut cf = Crossfeed::new(48_000.0);
        let x: Vec<f32> = (0..4096)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        for choice in 0..=PRESETS.len() {
            let (mut l, mut r) = (x.clone(), x.clone());
            cf.process(&mut [&mut l, &mut r], choice);
            assert_eq!(l, x, "mono L, choice {choice}");
            assert_eq!(r, x, "mono R, choice {choice}");
        }
        let mut cf = Crossfeed::new(48_000.0);
        let (mut l, mut r) = (x.clone(), vec![0.0; x.len()]);
        cf.process(&mut [&mut l, &mut r], 0);
        assert_eq!(l, x);
        assert!(r.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn switching_ramps_without_a_step() {
        let fs = 48_000.0;
        let mut cf = Crossfeed::new(fs);
        let n = 9600;
        let mut l: Vec<f32> = (0..n)
            .map(|i| (TAU * 100.0 * i as f64 / fs).sin() as f32)
            .collect();
        let mut r = vec![0.0f32; n];
        let (a, b) = l.split_at_mut(n / 2);
        let (c, d) = r.split_at_mut(n / 2);
        cf.process(&mut [a, c], 0);
        cf.process(&mut [b, d], 3);
        // The right ear rises from silence over 10 ms: no sample jumps by more than the
        // largest per-sample change of the steady crossfed signal.
        let largest_step = r
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(largest_step < 0.01, "largest step {largest_step}");
        assert!(r[n - 1].abs() > 0.0 || r[n - 2].abs() > 0.0);
    }
}
