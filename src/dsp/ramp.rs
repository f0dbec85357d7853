//! A linear 0…1 ramp with a raised-cosine crossfade shape, for click-free switching.
//!
//! Used wherever two signals that are strongly correlated (dry/wet, stereo/mono, old/new filter)
//! have to be exchanged: an equal-gain crossfade keeps their sum at unity, and the raised-cosine
//! shape has no slope discontinuity at either end.

/// A position that moves linearly towards 0 or 1 over a fixed number of samples.
///
/// The position is an integer sample count, so the ends are reached exactly.
#[derive(Debug, Clone)]
pub struct Ramp {
    position: u32,
    target: u32,
    length: u32,
}

impl Ramp {
    /// A ramp resting at `value` that takes `length_samples` to cross the full range.
    pub fn new(value: bool, length_samples: u32) -> Self {
        let length = length_samples.max(1);
        let v = if value { length } else { 0 };
        Self {
            position: v,
            target: v,
            length,
        }
    }

    /// Sets how many samples a full 0 → 1 transition takes, keeping the current weight.
    pub fn set_length(&mut self, length_samples: u32) {
        let length = length_samples.max(1);
        let fraction = self.position as f64 / self.length as f64;
        let on = self.target == self.length;
        self.length = length;
        self.position = (fraction * length as f64).round() as u32;
        self.target = if on { length } else { 0 };
    }

    /// Starts moving towards 1 (`true`) or 0 (`false`) from wherever the ramp is now.
    pub fn set_target(&mut self, on: bool) {
        self.target = if on { self.length } else { 0 };
    }

    /// Jumps to `on` without a transition (after a reset, when there is nothing to fade from).
    pub fn reset(&mut self, on: bool) {
        self.set_target(on);
        self.position = self.target;
    }

    /// True when the ramp rests at its target.
    pub fn is_settled(&self) -> bool {
        self.position == self.target
    }

    /// The target the ramp is heading to.
    pub fn target(&self) -> bool {
        self.target == self.length
    }

    /// Advances one sample and returns the crossfade weight (0…1, raised-cosine shaped).
    #[inline]
    pub fn next_weight(&mut self) -> f32 {
        if self.position < self.target {
            self.position += 1;
        } else if self.position > self.target {
            self.position -= 1;
        }
        self.weight()
    }

    /// The current crossfade weight without advancing.
    #[inline]
    pub fn weight(&self) -> f32 {
        if self.position == 0 {
            0.0
        } else if self.position == self.length {
            1.0
        } else {
            shape(self.position as f32 / self.length as f32)
        }
    }
}

/// Raised-cosine shape: 0 → 0, 1 → 1, zero slope at both ends.
#[inline]
fn shape(x: f32) -> f32 {
    0.5 - 0.5 * (std::f32::consts::PI * x).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaches_target_in_length_and_is_monotonic() {
        let mut r = Ramp::new(false, 100);
        r.set_target(true);
        let mut last = 0.0;
        for i in 0..100 {
            let w = r.next_weight();
            assert!(w >= last, "step {i}");
            last = w;
        }
        assert!(r.is_settled());
        assert_eq!(r.weight(), 1.0);
        r.set_target(false);
        for _ in 0..100 {
            r.next_weight();
        }
        assert_eq!(r.weight(), 0.0);
    }

    #[test]
    fn reversal_mid_fade_is_continuous() {
        let mut r = Ramp::new(false, 64);
        r.set_target(true);
        let mut prev = 0.0;
        for _ in 0..20 {
            prev = r.next_weight();
        }
        r.set_target(false);
        let w = r.next_weight();
        assert!((w - prev).abs() < 0.05);
    }
}
