//! The first stage of the chain: input hygiene and the mono check.
//!
//! Non-finite and subnormal input samples become silence here, before any filter state sees
//! them, so a NaN burst never poisons the engine and the output recovers as soon as the input
//! is finite again. The mono check sums the channels before the correction (the listener's
//! device or the mix goes mono; each ear of the engineer's headphone keeps its own
//! correction), crossfaded over [`super::output::SWITCH_FADE_MS`] so toggling it is
//! click-free.

use super::output::{fade_samples, sanitize};
use super::ramp::Ramp;

/// Mono check and input hygiene for one plugin instance (1 or 2 channels).
#[derive(Debug, Clone)]
pub struct InputStage {
    mono: Ramp,
}

impl Default for InputStage {
    fn default() -> Self {
        Self::new(48_000.0)
    }
}

impl InputStage {
    /// A stage for `sample_rate_hz`, in stereo.
    pub fn new(sample_rate_hz: f32) -> Self {
        Self {
            mono: Ramp::new(false, fade_samples(sample_rate_hz)),
        }
    }

    /// Re-times the crossfade for a new sample rate.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.mono.set_length(fade_samples(sample_rate_hz));
    }

    /// Jumps to the switch position without fading.
    pub fn reset(&mut self, mono: bool) {
        self.mono.reset(mono);
    }

    /// Processes `channels` in place: sanitises every sample and, in stereo, fades towards
    /// `(L + R)/2` on both channels while `mono` is on.
    pub fn process(&mut self, channels: &mut [&mut [f32]], mono: bool) {
        self.mono.set_target(mono);
        match channels {
            [left, right] => {
                let frames = left.len().min(right.len());
                for i in 0..frames {
                    let (l, r) = (sanitize(left[i]), sanitize(right[i]));
                    let m = self.mono.next_weight();
                    if m == 0.0 {
                        left[i] = l;
                        right[i] = r;
                    } else if m == 1.0 {
                        // Exactly equal channels once the fade is done.
                        let mid = sanitize(0.5 * (l + r));
                        left[i] = mid;
                        right[i] = mid;
                    } else {
                        let mid = sanitize(0.5 * (l + r));
                        left[i] = l + m * (mid - l);
                        right[i] = r + m * (mid - r);
                    }
                }
            }
            _ => {
                for ch in channels.iter_mut() {
                    for x in ch.iter_mut() {
                        *x = sanitize(*x);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_gives_identical_channels_and_hygiene_zeroes_bad_samples() {
        let mut s = InputStage::new(48_000.0);
        s.reset(true);
        let mut l: Vec<f32> = (0..256).map(|i| (i as f32 * 0.1).sin()).collect();
        let mut r: Vec<f32> = (0..256).map(|i| (i as f32 * 0.37).cos()).collect();
        let expect: Vec<f32> = l.iter().zip(&r).map(|(a, b)| 0.5 * (a + b)).collect();
        s.process(&mut [&mut l, &mut r], true);
        assert_eq!(l, r);
        for (a, b) in l.iter().zip(&expect) {
            assert!((a - b).abs() < 1e-6);
        }
        let mut l = vec![f32::NAN, f32::INFINITY, 1e-40, 0.5];
        let mut r = vec![3.0e38, 3.0e38, -1e-42, f32::NAN];
        s.process(&mut [&mut l, &mut r], true);
        assert!(l.iter().chain(&r).all(|x| x.is_finite()));
    }
}
