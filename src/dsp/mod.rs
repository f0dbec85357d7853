//! Signal processing that runs on (or is designed for) the audio thread, free of plugin types.

pub mod cascade;
pub mod convolver;
pub mod crossfeed;
pub mod delay;
pub mod denormals;
pub mod engine;
pub mod input;
pub mod output;
pub mod processor;
pub mod ramp;

/// Test signals shared by the unit tests of the audio-thread code.
#[cfg(test)]
pub(crate) mod testing {
    /// Deterministic pseudo-random numbers in −`amplitude`…`amplitude` (xorshift64).
    pub fn noise(len: usize, seed: u64, amplitude: f32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 23) as f32 - 1.0) * amplitude
            })
            .collect()
    }
}
