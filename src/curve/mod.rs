//! Response curves, targets, corrections, simulations and loudness.
//!
//! Everything here works on [`Response`], a magnitude curve in dB on one fixed logarithmic
//! frequency grid (20 Hz–20 kHz, see [`grid`]), in the spirit of AutoEq's `FrequencyResponse`
//! (`jaakkopasanen/AutoEq:autoeq/frequency_response.py`): construct from points, centre,
//! smooth, combine. The data flows one way: file → `Response` → target / correction /
//! simulation curves → filter designs. Nothing here knows about the plugin framework, and
//! the API takes plain slices so importers, the CLI and tests can feed it.

pub mod channels;
pub mod correction;
pub mod grid;
pub mod loudness;
pub mod peaks;
pub mod points;
pub mod response;
pub mod simulation;
pub mod smoothing;
pub mod target;

pub use channels::{Channel, ChannelResponses};
pub use correction::{
    CorrectionSettings, chain_curve, correct, correct_channels, headroom_preamp_db,
    imported_correction,
};
pub use grid::{GRID_LEN, GRID_MAX_HZ, GRID_MIN_HZ, grid_hz};
pub use loudness::{
    k_weighted_pink_gain_db, k_weighted_pink_gains_db_of_sums, level_match_gains_db, linear_powers,
};
pub use points::{CleanPoints, PointError};
pub use response::Response;
pub use simulation::{BandLimit, PassFilter, Simulation, other_headphone_delta};
pub use smoothing::Smoothing;
pub use target::{PersonalTarget, PinnaBand, custom_target};

/// Sample rate at which the RBJ shelves and peaks of targets and simulations are evaluated
/// into curves. AutoEq builds its targets at `DEFAULT_FS = 44100`
/// (`AutoEq:autoeq/constants.py@07154ab4`), and the Harman with-bass files equal the
/// without-bass tables plus a 44.1 kHz shelf (DSP_REFERENCE.md §1.2), so we use the same rate.
pub const REFERENCE_SAMPLE_RATE_HZ: f64 = 44_100.0;

/// The frequency every curve is normalised to 0 dB at (AutoEq `center()`).
pub const CENTER_HZ: f64 = 1_000.0;
