//! Filter design off the audio thread: FIR taps from chain curves, and the background
//! designer that turns settings into ready-to-run filters for the engine.

pub mod fir;
