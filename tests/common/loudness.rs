//! Measured loudness of audio (ITU-R BS.1770): K-weighting (the library's coefficients, the
//! standard filter), mean square per channel summed with unit weights, −0.691 + 10·log10.
//! Ungated: on stationary noise the gates (−70 LUFS absolute, −10 LU relative over 400 ms
//! blocks) remove nothing. The VST3 host test measures with pyloudnorm, an independent meter.

use refcan::curve::loudness::k_weighting_coefficients;

/// Loudness of `channels` at `sample_rate_hz`, LUFS (ungated, see the module docs), from
/// frame `skip` on (the filters settle on the frames before).
pub fn lufs(channels: &[Vec<f32>], sample_rate_hz: f64, skip: usize) -> f64 {
    let stages = k_weighting_coefficients(sample_rate_hz);
    let mut total = 0.0;
    for x in channels {
        let mut y: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        for c in &stages {
            let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
            for v in &mut y {
                let out = c.b0 * *v + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;
                (x2, x1, y2, y1) = (x1, *v, y1, out);
                *v = out;
            }
        }
        let tail = &y[skip.min(y.len())..];
        total += tail.iter().map(|v| v * v).sum::<f64>() / tail.len().max(1) as f64;
    }
    -0.691 + 10.0 * total.max(1e-30).log10()
}
