//! Peak meters: the audio thread publishes block peaks through atomics, the editor reads them
//! and applies meter ballistics. Nothing here locks or allocates on the audio side.

use atomic_float::AtomicF32;
use std::sync::atomic::{AtomicBool, Ordering};

/// A sample at or above this magnitude (0 dBFS) lights the clip lamp.
pub const CLIP_LEVEL: f32 = 1.0;

/// Peaks of one stereo point (input or output), published by the audio thread.
#[derive(Debug, Default)]
pub struct PeakMeter {
    peaks: [AtomicF32; 2],
    clipped: AtomicBool,
}

impl PeakMeter {
    /// Audio thread: folds the block's peak per channel into the published peaks (a mono
    /// layout feeds both), and lights the clip lamp at 0 dBFS or on a non-finite sample.
    pub fn record(&self, channels: &[&mut [f32]]) {
        let mut clipped = false;
        for (ch, samples) in channels.iter().take(2).enumerate() {
            let (peak, nan) = block_peak(samples);
            clipped |= nan || peak >= CLIP_LEVEL;
            self.peaks[ch].fetch_max(peak, Ordering::Relaxed);
            if channels.len() == 1 {
                self.peaks[1].fetch_max(peak, Ordering::Relaxed);
            }
        }
        if clipped {
            self.clipped.store(true, Ordering::Relaxed);
        }
    }

    /// Editor: the largest magnitude per channel since the last call (linear), and resets it.
    pub fn take(&self) -> [f32; 2] {
        [
            self.peaks[0].swap(0.0, Ordering::Relaxed),
            self.peaks[1].swap(0.0, Ordering::Relaxed),
        ]
    }

    /// True once a sample reached 0 dBFS, until [`PeakMeter::clear_clip`].
    pub fn clipped(&self) -> bool {
        self.clipped.load(Ordering::Relaxed)
    }

    /// Turns the clip lamp off (the user clicked it).
    pub fn clear_clip(&self) {
        self.clipped.store(false, Ordering::Relaxed);
    }
}

/// The largest magnitude in `samples` and whether any is NaN, in eight independent lanes so
/// the compiler vectorises it (a scalar loop with branches cost a fifth of the engine).
fn block_peak(samples: &[f32]) -> (f32, bool) {
    let mut peak = [0.0f32; 8];
    let mut nan = [false; 8];
    let chunks = samples.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for ((p, n), &x) in peak.iter_mut().zip(nan.iter_mut()).zip(chunk) {
            *p = p.max(x.abs());
            *n |= x.is_nan();
        }
    }
    for (i, &x) in rest.iter().enumerate() {
        peak[i] = peak[i].max(x.abs());
        nan[i] |= x.is_nan();
    }
    (
        peak.iter().copied().fold(0.0, f32::max),
        nan.iter().any(|n| *n),
    )
}

/// The input and output meters of one plugin instance.
#[derive(Debug, Default)]
pub struct Meters {
    /// Before anything Refcan does.
    pub input: PeakMeter,
    /// After the output trim.
    pub output: PeakMeter,
}

/// Lowest level a meter shows, dBFS.
pub const METER_FLOOR_DB: f32 = -60.0;
/// How fast a meter bar falls, dB per second (a PPM-like fall: 20 dB in 1 s).
pub const METER_FALL_DB_PER_S: f32 = 20.0;
/// How long the peak-hold tick stays before it falls, seconds.
pub const METER_HOLD_S: f32 = 1.5;

/// Meter ballistics for one channel on the editor side: instant rise, linear fall in dB, and
/// a peak-hold tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ballistics {
    /// The bar's level, dBFS (at least [`METER_FLOOR_DB`]).
    pub level_db: f32,
    /// The held peak, dBFS.
    pub hold_db: f32,
    hold_age_s: f32,
}

impl Default for Ballistics {
    fn default() -> Self {
        Self {
            level_db: METER_FLOOR_DB,
            hold_db: METER_FLOOR_DB,
            hold_age_s: 0.0,
        }
    }
}

impl Ballistics {
    /// Advances by `dt_s` seconds with the peak `peak` (linear) measured meanwhile.
    pub fn update(&mut self, peak: f32, dt_s: f32) {
        let dt = if dt_s.is_finite() { dt_s.max(0.0) } else { 0.0 };
        let new_db = if peak.is_finite() && peak > 0.0 {
            (20.0 * peak.log10()).max(METER_FLOOR_DB)
        } else if peak.is_finite() {
            METER_FLOOR_DB
        } else {
            // A non-finite sample: show it as full scale rather than hiding it.
            0.0
        };
        let fallen = (self.level_db - METER_FALL_DB_PER_S * dt).max(METER_FLOOR_DB);
        self.level_db = new_db.max(fallen);
        if new_db >= self.hold_db {
            self.hold_db = new_db;
            self.hold_age_s = 0.0;
        } else {
            self.hold_age_s += dt;
            if self.hold_age_s > METER_HOLD_S {
                self.hold_db = self.level_db;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keeps_the_largest_peak_per_channel_until_taken() {
        let m = PeakMeter::default();
        let mut l = vec![0.1, -0.5, 0.2];
        let mut r = vec![0.05, 0.0, -0.25];
        m.record(&[&mut l, &mut r]);
        let mut l2 = vec![0.3];
        let mut r2 = vec![-0.75];
        m.record(&[&mut l2, &mut r2]);
        assert_eq!(m.take(), [0.5, 0.75]);
        assert_eq!(m.take(), [0.0, 0.0], "taking resets");
        assert!(!m.clipped());
    }

    #[test]
    fn mono_feeds_both_and_full_scale_or_nan_lights_the_clip_lamp() {
        let m = PeakMeter::default();
        let mut mono = vec![0.4, -0.6];
        m.record(&[&mut mono]);
        assert_eq!(m.take(), [0.6, 0.6]);
        let mut l = vec![0.99];
        m.record(&[&mut l]);
        assert!(!m.clipped(), "0.99 is below 0 dBFS");
        let mut l = vec![-1.0];
        m.record(&[&mut l]);
        assert!(m.clipped(), "-1.0 is full scale");
        m.clear_clip();
        assert!(!m.clipped());
        let mut l = vec![f32::NAN];
        m.record(&[&mut l]);
        assert!(m.clipped(), "NaN counts as a clip");
    }

    #[test]
    fn ballistics_rise_at_once_fall_at_20_db_per_second_and_hold_the_peak() {
        let mut b = Ballistics::default();
        b.update(1.0, 0.01);
        assert_eq!(b.level_db, 0.0);
        assert_eq!(b.hold_db, 0.0);
        b.update(0.0, 0.5);
        assert!((b.level_db - -10.0).abs() < 1e-4, "{}", b.level_db);
        assert_eq!(b.hold_db, 0.0, "held for 1.5 s");
        b.update(0.0, 1.1);
        assert!((b.level_db - -32.0).abs() < 1e-4);
        assert_eq!(
            b.hold_db, b.level_db,
            "the hold falls with the bar after 1.5 s"
        );
        b.update(0.0, 10.0);
        assert_eq!(b.level_db, METER_FLOOR_DB);
        b.update(f32::INFINITY, 0.01);
        assert_eq!(b.level_db, 0.0, "non-finite shows as full scale");
    }
}
