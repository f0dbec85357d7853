//! Signal processing that runs on (or is designed for) the audio thread, free of plugin types.

pub mod cascade;
pub mod convolver;
pub mod delay;
pub mod denormals;
pub mod engine;
pub mod input;
pub mod output;
pub mod ramp;
