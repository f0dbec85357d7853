//! The last stage of the chain: output trim, bypass crossfade, and output hygiene.
//!
//! Framework-free: the plugin hands it the processed (wet) channels, the dry input delayed by
//! the engine's latency (so bypass stays latency-aligned), per-sample trim values (already
//! smoothed) and the bypass switch; the stage owns the crossfade so toggling bypass is
//! click-free, and it guarantees the host never receives NaN, infinity or subnormal samples.

use super::ramp::Ramp;

/// Crossfade time for bypass and mono switching, in milliseconds.
pub const SWITCH_FADE_MS: f32 = 10.0;

/// Output trim and bypass for one plugin instance (1 or 2 channels).
#[derive(Debug, Clone)]
pub struct OutputStage {
    bypass: Ramp,
    /// The last trim converted to a linear gain, so a steady trim costs no `powf` per sample.
    trim_cache: (f32, f32),
}

impl Default for OutputStage {
    fn default() -> Self {
        Self::new(48_000.0)
    }
}

impl OutputStage {
    /// A stage for `sample_rate_hz`, not bypassed.
    pub fn new(sample_rate_hz: f32) -> Self {
        Self {
            bypass: Ramp::new(false, fade_samples(sample_rate_hz)),
            trim_cache: (0.0, 1.0),
        }
    }

    /// Re-times the crossfade for a new sample rate.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.bypass.set_length(fade_samples(sample_rate_hz));
    }

    /// Jumps to the given switch position without fading (after activation or a reset).
    pub fn reset(&mut self, bypass: bool) {
        self.bypass.reset(bypass);
    }

    /// Trims `wet` in place and crossfades it with `dry` (the input, delayed like the wet
    /// path) while `bypass` is on. `trim_db[i]` is the output gain for frame `i`; only the
    /// first `wet[0].len()` values are read. Once bypassed the output is `dry` bit for bit.
    pub fn process(
        &mut self,
        wet: &mut [&mut [f32]],
        dry: &[&[f32]],
        trim_db: &[f32],
        bypass: bool,
    ) {
        self.bypass.set_target(bypass);
        let frames = wet
            .iter()
            .map(|c| c.len())
            .chain(dry.iter().map(|c| c.len()))
            .min()
            .unwrap_or(0)
            .min(trim_db.len());
        for i in 0..frames {
            let b = self.bypass.next_weight();
            if b == 1.0 {
                // True bypass: the (delayed) input, bit for bit, after hygiene.
                for (w, d) in wet.iter_mut().zip(dry) {
                    w[i] = sanitize(d[i]);
                }
                continue;
            }
            let gain = self.trim_gain(trim_db[i]);
            for (w, d) in wet.iter_mut().zip(dry) {
                let trimmed = gain * w[i];
                // Finite input can still overflow (filters, trim): sanitize.
                w[i] = sanitize(trimmed + b * (sanitize(d[i]) - trimmed));
            }
        }
    }

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
pub(crate) fn fade_samples(sample_rate_hz: f32) -> u32 {
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

    fn run(stage: &mut OutputStage, l: &mut [f32], r: &mut [f32], db: f32, bypass: bool) {
        let trim = vec![db; l.len()];
        let (dl, dr) = (l.to_vec(), r.to_vec());
        stage.process(&mut [l, r], &[&dl, &dr], &trim, bypass);
    }

    #[test]
    fn trim_applies_exact_gain() {
        let mut s = OutputStage::new(48_000.0);
        let mut l = vec![0.5; 64];
        let mut r = vec![-0.25; 64];
        run(&mut s, &mut l, &mut r, -6.0, false);
        let g = 10f32.powf(-6.0 / 20.0);
        assert!((l[10] - 0.5 * g).abs() < 1e-7);
        assert!((r[10] + 0.25 * g).abs() < 1e-7);
    }

    #[test]
    fn bypass_settles_to_the_exact_dry_input_and_fades_without_jumps() {
        let mut s = OutputStage::new(48_000.0);
        let input: Vec<f32> = (0..2000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let mut l = input.clone();
        let mut r = input.clone();
        run(&mut s, &mut l, &mut r, -12.0, true);
        // After the 10 ms fade (480 samples) the output is the input.
        assert_eq!(&l[480..], &input[480..]);
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
    fn non_finite_and_subnormal_samples_never_reach_the_output() {
        let mut s = OutputStage::new(48_000.0);
        let mut l = vec![f32::NAN, f32::INFINITY, 1e-40, 0.5];
        let mut r = vec![f32::NEG_INFINITY, 0.25, -1e-42, f32::NAN];
        run(&mut s, &mut l, &mut r, 0.0, false);
        for x in l.iter().chain(&r) {
            assert!(x.is_finite() && (*x == 0.0 || x.abs() >= f32::MIN_POSITIVE));
        }
        assert_eq!(l[3], 0.5);
        // Finite but huge samples overflow under +12 dB trim.
        let mut l = vec![3.0e38, -3.0e38, 1.0];
        let mut r = vec![3.0e38, -3.0e38, 1.0];
        run(&mut s, &mut l, &mut r, 12.0, false);
        assert!(l.iter().chain(&r).all(|x| x.is_finite()));
    }
}
