//! The last stage of the chain: mono check, output trim, bypass crossfade, and output hygiene.
//!
//! Framework-free: the plugin hands it per-sample trim values (already smoothed) and the
//! current bypass/mono switches; the stage owns the crossfades so that toggling either one is
//! click-free, and it guarantees the host never receives NaN, infinity or subnormal samples.

use super::ramp::Ramp;

/// Crossfade time for bypass and mono switching, in milliseconds.
pub const SWITCH_FADE_MS: f32 = 10.0;

/// Mono check, output trim and bypass for one plugin instance (1 or 2 channels).
#[derive(Debug, Clone)]
pub struct OutputStage {
    bypass: Ramp,
    mono: Ramp,
    /// The last trim converted to a linear gain, so a steady trim costs no `powf` per sample.
    trim_cache: (f32, f32),
}

impl Default for OutputStage {
    fn default() -> Self {
        Self::new(48_000.0)
    }
}

impl OutputStage {
    /// A stage for `sample_rate_hz`, not bypassed, in stereo.
    pub fn new(sample_rate_hz: f32) -> Self {
        let len = fade_samples(sample_rate_hz);
        Self {
            bypass: Ramp::new(false, len),
            mono: Ramp::new(false, len),
            trim_cache: (0.0, 1.0),
        }
    }

    /// Re-times the crossfades for a new sample rate.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let len = fade_samples(sample_rate_hz);
        self.bypass.set_length(len);
        self.mono.set_length(len);
    }

    /// Jumps to the given switch positions without fading (after activation or a reset).
    pub fn reset(&mut self, bypass: bool, mono: bool) {
        self.bypass.reset(bypass);
        self.mono.reset(mono);
    }

    /// Processes `channels` in place. `trim_db[i]` is the output gain for frame `i`; only the
    /// first `channels[0].len()` values are read. With one channel the mono switch does nothing.
    pub fn process(
        &mut self,
        channels: &mut [&mut [f32]],
        trim_db: &[f32],
        bypass: bool,
        mono: bool,
    ) {
        self.bypass.set_target(bypass);
        self.mono.set_target(mono);
        let frames = channels.first().map_or(0, |c| c.len()).min(trim_db.len());

        match channels {
            [left, right] => {
                for i in 0..frames {
                    let dry_l = sanitize(left[i]);
                    let dry_r = sanitize(right[i]);
                    let m = self.mono.next_weight();
                    let b = self.bypass.next_weight();
                    if b == 1.0 {
                        // True bypass: the input, bit for bit (apart from NaN/denormal hygiene).
                        left[i] = dry_l;
                        right[i] = dry_r;
                        continue;
                    }
                    let gain = self.trim_gain(trim_db[i]);
                    let mid = 0.5 * (dry_l + dry_r);
                    let wet_l = gain * ((1.0 - m) * dry_l + m * mid);
                    let wet_r = gain * ((1.0 - m) * dry_r + m * mid);
                    // Finite input can still overflow (trim or L + R near f32::MAX): sanitize.
                    left[i] = sanitize(wet_l + b * (dry_l - wet_l));
                    right[i] = sanitize(wet_r + b * (dry_r - wet_r));
                }
            }
            _ => {
                for i in 0..frames {
                    let b = self.bypass.next_weight();
                    self.mono.next_weight();
                    let gain = if b == 1.0 {
                        1.0
                    } else {
                        db_to_gain(trim_db[i])
                    };
                    for ch in channels.iter_mut() {
                        let dry = sanitize(ch[i]);
                        let wet = gain * dry;
                        ch[i] = sanitize(wet + b * (dry - wet));
                    }
                }
            }
        }
    }
}

impl OutputStage {
    /// Linear gain of `db`, recomputed only when the trim moves.
    #[inline]
    fn trim_gain(&mut self, db: f32) -> f32 {
        if db != self.trim_cache.0 {
            self.trim_cache = (db, db_to_gain(db));
        }
        self.trim_cache.1
    }
}

/// Number of samples in one switch crossfade at `sample_rate_hz`.
fn fade_samples(sample_rate_hz: f32) -> u32 {
    ((SWITCH_FADE_MS * 1e-3 * sample_rate_hz).round() as u32).max(1)
}

/// Decibels to linear amplitude.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db * 0.05)
}

/// Replaces non-finite input samples by silence so they never reach the output or any state.
#[inline]
pub fn sanitize(x: f32) -> f32 {
    if x.is_finite() { flush(x) } else { 0.0 }
}

/// Flushes subnormal values to zero (hosts and validators reject subnormal output).
#[inline]
pub fn flush(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE { 0.0 } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        stage: &mut OutputStage,
        l: &mut [f32],
        r: &mut [f32],
        db: f32,
        bypass: bool,
        mono: bool,
    ) {
        let trim = vec![db; l.len()];
        stage.process(&mut [l, r], &trim, bypass, mono);
    }

    #[test]
    fn trim_applies_exact_gain() {
        let mut s = OutputStage::new(48_000.0);
        let mut l = vec![0.5; 64];
        let mut r = vec![-0.25; 64];
        run(&mut s, &mut l, &mut r, -6.0, false, false);
        let g = 10f32.powf(-6.0 / 20.0);
        assert!((l[10] - 0.5 * g).abs() < 1e-7);
        assert!((r[10] + 0.25 * g).abs() < 1e-7);
    }

    #[test]
    fn bypass_settles_to_the_exact_input_and_fades_without_jumps() {
        let mut s = OutputStage::new(48_000.0);
        let input: Vec<f32> = (0..2000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let mut l = input.clone();
        let mut r = input.clone();
        run(&mut s, &mut l, &mut r, -12.0, true, false);
        // After the 10 ms fade (480 samples) the output is the input.
        assert_eq!(&l[480..], &input[480..]);
        // During the fade the output moves smoothly from the trimmed to the dry signal.
        let max_step = l
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        let input_step = input
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(max_step < input_step * 1.5, "{max_step} vs {input_step}");
    }

    #[test]
    fn mono_gives_identical_channels() {
        let mut s = OutputStage::new(48_000.0);
        s.reset(false, true);
        let mut l: Vec<f32> = (0..256).map(|i| (i as f32 * 0.1).sin()).collect();
        let mut r: Vec<f32> = (0..256).map(|i| (i as f32 * 0.37).cos()).collect();
        let expect: Vec<f32> = l.iter().zip(&r).map(|(a, b)| 0.5 * (a + b)).collect();
        run(&mut s, &mut l, &mut r, 0.0, false, true);
        assert_eq!(l, r);
        for (a, b) in l.iter().zip(&expect) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn non_finite_and_subnormal_input_never_reaches_the_output() {
        let mut s = OutputStage::new(48_000.0);
        let mut l = vec![f32::NAN, f32::INFINITY, 1e-40, 0.5];
        let mut r = vec![f32::NEG_INFINITY, 0.25, -1e-42, f32::NAN];
        run(&mut s, &mut l, &mut r, 0.0, false, false);
        for x in l.iter().chain(&r) {
            assert!(x.is_finite() && (*x == 0.0 || x.abs() >= f32::MIN_POSITIVE));
        }
        assert_eq!(l[3], 0.5);

        // Finite but huge input overflows under +12 dB trim or in the mono sum.
        for mono in [false, true] {
            let mut s = OutputStage::new(48_000.0);
            s.reset(false, mono);
            let mut l = vec![3.0e38, -3.0e38, 1.0];
            let mut r = vec![3.0e38, -3.0e38, 1.0];
            run(&mut s, &mut l, &mut r, 12.0, false, mono);
            for x in l.iter().chain(&r) {
                assert!(x.is_finite(), "mono={mono}: {x}");
            }
        }
    }
}
