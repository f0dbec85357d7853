//! Signal processing that runs on (or is designed for) the audio thread, free of plugin types.

pub mod convolver;
pub mod output;
pub mod ramp;
