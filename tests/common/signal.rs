//! Test signals (seeded noise, sines), block-size plans and the measurements the host tests
//! compare against expectations.

/// A small seeded generator (SplitMix64, Steele, Lea & Flood 2014), so a failing case can be
/// reproduced from its seed with no dependency whose output might change between versions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub fn int(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
}

/// White noise, uniform in ±`amplitude`, one vector per channel (channels independent).
pub fn noise(rng: &mut Rng, channels: usize, frames: usize, amplitude: f32) -> Vec<Vec<f32>> {
    (0..channels)
        .map(|_| {
            (0..frames)
                .map(|_| rng.range(-1.0, 1.0) as f32 * amplitude)
                .collect()
        })
        .collect()
}

/// A sine of `freq_hz` at `sample_rate_hz`, starting at `phase_rad`.
pub fn sine(
    freq_hz: f64,
    sample_rate_hz: f64,
    frames: usize,
    amplitude: f32,
    phase_rad: f64,
) -> Vec<f32> {
    let w = 2.0 * std::f64::consts::PI * freq_hz / sample_rate_hz;
    (0..frames)
        .map(|i| (amplitude as f64 * (w * i as f64 + phase_rad).sin()) as f32)
        .collect()
}

/// Block sizes that cover `frames`: `size` repeated.
pub fn fixed_blocks(size: usize) -> Vec<usize> {
    vec![size]
}

/// Random block sizes in 1..=`max`, enough to cover `frames` (the host cycles through them).
pub fn random_blocks(rng: &mut Rng, max: usize, frames: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut covered = 0;
    while covered < frames {
        // Favour small sizes now and then: hosts do send 1..16-frame blocks around loop points.
        let size = if rng.unit() < 0.3 {
            rng.int(1, 16.min(max))
        } else {
            rng.int(1, max)
        };
        sizes.push(size);
        covered += size;
    }
    sizes
}

/// Root mean square of `x` (accumulated in f64).
pub fn rms(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Level of `output` relative to `input` in dB, from their RMS values.
pub fn gain_db(output: &[f32], input: &[f32]) -> f64 {
    20.0 * (rms(output) / rms(input)).log10()
}

/// Amplitude of the `freq_hz` component of `x` (a single-bin DFT over the whole slice, in f64).
/// Exact for a sine that completes whole cycles in `x`; a few 1e-4 off otherwise. Used to read
/// a filter's gain at one frequency from a sine that went through the plugin.
pub fn tone_amplitude(x: &[f32], freq_hz: f64, sample_rate_hz: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq_hz / sample_rate_hz;
    let (re, im) = x.iter().enumerate().fold((0.0, 0.0), |(re, im), (i, &v)| {
        let phase = w * i as f64;
        (re + v as f64 * phase.cos(), im - v as f64 * phase.sin())
    });
    2.0 * (re * re + im * im).sqrt() / x.len().max(1) as f64
}

/// Gain in dB at `freq_hz` from `input` to `output` (see [`tone_amplitude`]).
pub fn tone_gain_db(output: &[f32], input: &[f32], freq_hz: f64, sample_rate_hz: f64) -> f64 {
    20.0 * (tone_amplitude(output, freq_hz, sample_rate_hz)
        / tone_amplitude(input, freq_hz, sample_rate_hz))
    .log10()
}

/// Largest sample-to-sample step |x[i] − x[i−1]|.
pub fn max_step(x: &[f32]) -> f64 {
    x.windows(2)
        .map(|w| (w[1] as f64 - w[0] as f64).abs())
        .fold(0.0, f64::max)
}

/// Checks one channel `y` of a switch at frame `at` from `was` (the output of the old choice
/// alone) to `will` (the new one alone): `was` up to `at`, then the raised-cosine crossfade
/// of `fade_len` frames starting exactly there, then `will`, equal to rounding (a fade one
/// frame early or late is off by ~1e-4 on the test sines); audible; and no sample step larger
/// than the signal's own before and after the fade. Returns the figure line for `label`.
pub fn assert_switch_at(
    label: &str,
    y: &[f32],
    was: &[f32],
    will: &[f32],
    at: usize,
    fade_len: usize,
) -> String {
    let expected = |i: usize| {
        let pos = i.saturating_sub(at).min(fade_len) as f64 / fade_len as f64;
        let w = 0.5 - 0.5 * (std::f64::consts::PI * pos).cos();
        let (a, b) = (f64::from(was[i]), f64::from(will[i]));
        if i < at { a } else { a + w * (b - a) }
    };
    let worst = (at - 2_000..at + fade_len + 2_000)
        .map(|i| (f64::from(y[i]) - expected(i)).abs())
        .fold(0.0f64, f64::max);
    assert!(
        worst < 1e-5,
        "{label}: off the crossfade at {at} by {worst}"
    );
    let moved = (at..at + fade_len).any(|i| (y[i] - was[i]).abs() > 1e-3);
    assert!(moved, "{label}: the switch is not audible");
    let steady = max_step(&y[2_000..at]).max(max_step(&y[at + fade_len..]));
    let across = max_step(&y[at - 1_000..at + fade_len]);
    assert!(
        across <= steady * 1.001,
        "{label}: step {across} across the switch vs {steady}"
    );
    format!(
        "{label}: off the crossfade starting at its frame by {worst:.1e}; largest step \
         {across:.4} vs the sine's {steady:.4}"
    )
}

/// The first sample that a host or validator would reject: NaN, infinite or subnormal.
pub fn first_unclean(x: &[f32]) -> Option<(usize, f32)> {
    x.iter()
        .position(|v| !v.is_finite() || v.is_subnormal())
        .map(|i| (i, x[i]))
}

/// Milliseconds to frames at `sample_rate_hz`, rounded.
pub fn ms_to_frames(ms: f64, sample_rate_hz: f64) -> usize {
    (ms * 1e-3 * sample_rate_hz).round() as usize
}
