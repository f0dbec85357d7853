//! The Low CPU engine's filter: a cascade of RBJ biquads in transposed direct form II with
//! coefficients and state in f64, both channels in one pass.
//!
//! Why this form (DSP_REFERENCE.md §4.2): in f32, rounding the coefficients of a low
//! bell at high rates costs up to 0.8 dB and any direct form loses SNR; in f64 (CamillaDSP's
//! default processing type, and Equalizer APO's) both are negligible, and TDF2 needs the
//! fewest operations per sample (five multiply-adds). A state-variable filter would survive
//! f32 and coefficient modulation, but the engine never modulates coefficients (it crossfades
//! two running cascades) and cost 2× more here (`benches/engine.rs`, 16 sections, stereo,
//! 512 frames: 24.5 µs as SVF, 12.3 µs as TDF2). The coefficients are the cookbook's
//! ([`crate::filter::Coefficients`]), so fitted or imported AutoEq / Equalizer APO filters run
//! exactly as designed.
//!
//! Coefficients are computed off the audio thread ([`CascadeCoefficients::design`]);
//! processing allocates nothing.

use crate::filter::{Coefficients, FilterSpec};

/// A designed cascade: sections for one channel and a final linear gain.
#[derive(Debug, Clone, PartialEq)]
pub struct CascadeCoefficients {
    /// The sections, in order.
    pub sections: Vec<Coefficients>,
    /// Linear gain after the sections (the preamp).
    pub gain: f64,
}

impl CascadeCoefficients {
    /// Designs `filters` at `sample_rate_hz`, followed by `gain_db`.
    pub fn design(filters: &[FilterSpec], sample_rate_hz: f64, gain_db: f64) -> Self {
        Self {
            sections: filters
                .iter()
                .map(|f| Coefficients::design(f, sample_rate_hz))
                .collect(),
            gain: 10f64.powf(gain_db / 20.0),
        }
    }
}

/// One section for both channels: each coefficient and state as a pair of lanes, so the
/// compiler runs left and right together (two independent recurrences per instruction).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Lanes {
    b0: [f64; 2],
    b1: [f64; 2],
    b2: [f64; 2],
    a1: [f64; 2],
    a2: [f64; 2],
    s1: [f64; 2],
    s2: [f64; 2],
}

impl Lanes {
    const IDENTITY: Self = Self::from([Coefficients::IDENTITY; 2]);

    const fn from(c: [Coefficients; 2]) -> Self {
        Self {
            b0: [c[0].b0, c[1].b0],
            b1: [c[0].b1, c[1].b1],
            b2: [c[0].b2, c[1].b2],
            a1: [c[0].a1, c[1].a1],
            a2: [c[0].a2, c[1].a2],
            s1: [0.0; 2],
            s2: [0.0; 2],
        }
    }
}

/// A running cascade for one or two channels: the loaded coefficients (up to a capacity set
/// once) and their states.
#[derive(Debug, Clone)]
pub struct CascadeRunner {
    sections: Vec<Lanes>,
    used: usize,
    gain: [f64; 2],
}

impl CascadeRunner {
    /// A runner for up to `max_sections` sections, holding the identity.
    pub fn new(max_sections: usize) -> Self {
        Self {
            sections: vec![Lanes::IDENTITY; max_sections],
            used: 0,
            gain: [1.0; 2],
        }
    }

    /// Sections this runner can hold.
    pub fn capacity(&self) -> usize {
        self.sections.len()
    }

    /// Loads `left` and `right` (the same cascade for both in mono) with states at rest.
    /// Sections beyond the capacity are dropped (the designer never makes more); a shorter
    /// cascade is padded with identity sections.
    pub fn load(&mut self, left: &CascadeCoefficients, right: &CascadeCoefficients) {
        let used = left
            .sections
            .len()
            .max(right.sections.len())
            .min(self.sections.len());
        for (i, lanes) in self.sections.iter_mut().enumerate().take(used) {
            let pick = |c: &CascadeCoefficients| {
                c.sections.get(i).copied().unwrap_or(Coefficients::IDENTITY)
            };
            *lanes = Lanes::from([pick(left), pick(right)]);
        }
        self.used = used;
        self.gain = [left.gain, right.gain];
    }

    /// States back to rest.
    pub fn reset(&mut self) {
        for s in &mut self.sections {
            s.s1 = [0.0; 2];
            s.s2 = [0.0; 2];
        }
    }

    /// Filters two channels (`left` through the left coefficients, `right` through the
    /// right) into the outputs; all four slices have the same length.
    pub fn process_stereo(
        &mut self,
        left: &[f32],
        right: &[f32],
        out_l: &mut [f32],
        out_r: &mut [f32],
    ) {
        let sections = &mut self.sections[..self.used];
        let n = left
            .len()
            .min(right.len())
            .min(out_l.len())
            .min(out_r.len());
        for i in 0..n {
            let mut v = [left[i] as f64, right[i] as f64];
            for s in sections.iter_mut() {
                v = step(s, v);
            }
            out_l[i] = (v[0] * self.gain[0]) as f32;
            out_r[i] = (v[1] * self.gain[1]) as f32;
        }
        self.flush();
    }

    /// Filters one channel through the left coefficients.
    pub fn process_mono(&mut self, input: &[f32], output: &mut [f32]) {
        let sections = &mut self.sections[..self.used];
        for (x, y) in input.iter().zip(output.iter_mut()) {
            let mut v = [*x as f64, 0.0];
            for s in sections.iter_mut() {
                v = step(s, v);
            }
            *y = (v[0] * self.gain[0]) as f32;
        }
        self.flush();
    }

    /// Runs the last input through without keeping the output (warm-up from history): the
    /// slices are the left and right histories, oldest first, in one or two parts each.
    pub fn warm_up(&mut self, left: [&[f32]; 2], right: [&[f32]; 2], scratch: &mut [f32]) {
        let half = scratch.len() / 2;
        let (a, b) = scratch.split_at_mut(half);
        for part in 0..2 {
            let (l, r) = (left[part], right[part]);
            let n = l.len().min(r.len());
            let mut at = 0;
            while at < n {
                let len = (n - at).min(half);
                self.process_stereo(
                    &l[at..at + len],
                    &r[at..at + len],
                    &mut a[..len],
                    &mut b[..len],
                );
                at += len;
            }
        }
    }

    /// Tiny states decay into subnormals on silence: flush them.
    fn flush(&mut self) {
        for s in &mut self.sections[..self.used] {
            for v in s.s1.iter_mut().chain(s.s2.iter_mut()) {
                if v.abs() < 1e-30 {
                    *v = 0.0;
                }
            }
        }
    }
}

/// One sample of one section on both lanes (transposed direct form II).
#[inline(always)]
fn step(s: &mut Lanes, x: [f64; 2]) -> [f64; 2] {
    let mut y = [0.0; 2];
    for l in 0..2 {
        y[l] = s.b0[l] * x[l] + s.s1[l];
        s.s1[l] = s.b1[l] * x[l] - s.a1[l] * y[l] + s.s2[l];
        s.s2[l] = s.b2[l] * x[l] - s.a2[l] * y[l];
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FilterKind;
    use std::f64::consts::PI;

    /// Magnitude of the cascade at `f` from its impulse response (DFT of 16384 samples).
    fn measured_db(c: &CascadeCoefficients, f: f64, fs: f64) -> f64 {
        let n = 1 << 15;
        let mut x = vec![0.0f32; n];
        x[0] = 1.0;
        let mut y = vec![0.0f32; n];
        let mut runner = CascadeRunner::new(c.sections.len());
        runner.load(c, c);
        runner.process_mono(&x, &mut y);
        let w = 2.0 * PI * f / fs;
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for (i, &v) in y.iter().enumerate() {
            re += v as f64 * (w * i as f64).cos();
            im -= v as f64 * (w * i as f64).sin();
        }
        10.0 * (re * re + im * im).log10()
    }

    #[test]
    fn every_shape_runs_with_the_cookbook_magnitude() {
        let kinds = [
            FilterKind::Peaking,
            FilterKind::LowShelf,
            FilterKind::HighShelf,
            FilterKind::LowPass,
            FilterKind::HighPass,
            FilterKind::BandPass,
            FilterKind::Notch,
            FilterKind::AllPass,
        ];
        for fs in [44_100.0, 96_000.0] {
            for kind in kinds {
                for (f0, q, g) in [(700.0, 1.3, -5.5), (105.0, 0.7, 6.0), (8_000.0, 2.0, 4.0)] {
                    let spec = FilterSpec {
                        kind,
                        freq_hz: f0,
                        q,
                        gain_db: g,
                    };
                    let c = CascadeCoefficients::design(&[spec], fs, 0.0);
                    let rbj = Coefficients::design(&spec, fs);
                    for f in [50.0, 300.0, f0, 2_000.0, 12_000.0] {
                        let want = rbj.magnitude_db(f, fs);
                        if want < -60.0 {
                            continue;
                        }
                        let got = measured_db(&c, f, fs);
                        assert!(
                            (got - want).abs() < 0.01,
                            "{kind:?} {f0} at {f}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn gain_and_identity() {
        let c = CascadeCoefficients::design(&[], 48_000.0, -6.0206);
        let mut y = [0.0f32; 4];
        let mut runner = CascadeRunner::new(4);
        runner.load(&c, &c);
        runner.process_mono(&[1.0, -1.0, 0.5, 0.0], &mut y);
        assert!((y[0] - 0.5).abs() < 1e-6 && (y[2] - 0.25).abs() < 1e-6);
        // Stereo lanes with different cascades equal two mono runs.
        let l = CascadeCoefficients::design(&[FilterSpec::peaking(100.0, 1.0, 6.0)], 48_000.0, 0.0);
        let r = CascadeCoefficients::design(
            &[FilterSpec::high_shelf(5_000.0, 0.7, -3.0)],
            48_000.0,
            -1.0,
        );
        let x: Vec<f32> = (0..500)
            .map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0)
            .collect();
        let (mut yl, mut yr) = (vec![0.0; 500], vec![0.0; 500]);
        let mut stereo = CascadeRunner::new(4);
        stereo.load(&l, &r);
        stereo.process_stereo(&x, &x, &mut yl, &mut yr);
        for (c, y) in [(&l, &yl), (&r, &yr)] {
            let mut mono = CascadeRunner::new(4);
            mono.load(c, c);
            let mut want = vec![0.0; 500];
            mono.process_mono(&x, &mut want);
            assert_eq!(&want, y);
        }
        let bad = FilterSpec::peaking(30_000.0, 1.0, 6.0);
        let c = CascadeCoefficients::design(&[bad], 48_000.0, 0.0);
        assert_eq!(c.sections, vec![Coefficients::IDENTITY]);
    }
}
