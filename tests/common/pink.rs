//! Pink noise for headroom and loudness tests: white Gaussian noise shaped to −3 dB/octave in
//! the frequency domain (one FFT over the whole signal, so the spectrum is exact from the
//! lowest bin up), band-limited to 20 Hz–20 kHz.

use super::signal::Rng;
use realfft::RealFftPlanner;

/// `frames` samples of pink noise, peak-normalised to `peak` (1.0 = full scale).
pub fn pink_noise(rng: &mut Rng, frames: usize, sample_rate_hz: f64, peak: f32) -> Vec<f32> {
    let n = frames.next_power_of_two().max(2);
    let mut planner = RealFftPlanner::<f64>::new();
    let inverse = planner.plan_fft_inverse(n);
    let mut spectrum = inverse.make_input_vec();
    let bin_hz = sample_rate_hz / n as f64;
    for (k, bin) in spectrum.iter_mut().enumerate() {
        let f = k as f64 * bin_hz;
        if !(20.0..=20_000.0).contains(&f) || k == n / 2 {
            continue;
        }
        let amplitude = 1.0 / f.sqrt();
        *bin = realfft::num_complex::Complex::new(gauss(rng), gauss(rng)) * amplitude;
    }
    let mut out = inverse.make_output_vec();
    inverse
        .process(&mut spectrum, &mut out)
        .expect("inverse FFT of a well-formed spectrum");
    out.truncate(frames);
    let max = out.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-30);
    out.iter().map(|x| (x / max) as f32 * peak).collect()
}

/// A standard normal sample (Box–Muller).
fn gauss(rng: &mut Rng) -> f64 {
    let u1 = rng.unit().max(1e-300);
    let u2 = rng.unit();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}
