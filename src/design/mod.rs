//! Filter design off the audio thread: settings and a headphone in, a [`Design`] out that the
//! audio engine ([`crate::dsp::engine`]) runs without further work.
//!
//! [`design`] computes the chain ([`crate::chain`]) and realises the curve being heard in the
//! chosen [`FilterMode`]: a minimum-phase FIR (Zero latency), a linear-phase FIR (Linear
//! phase) or a fitted cascade of state-variable biquads (Low CPU). [`designer`] runs it on a
//! background thread and hands the results over lock-free.

pub mod designer;
pub mod fir;

use crate::chain::SlotSource;
use crate::chain::{self, ChainCurves, ChainInputs, ChainSettings, Listen};
use crate::curve::{ChannelResponses, Response, grid_hz};
use crate::dsp::cascade::CascadeCoefficients;
use crate::dsp::convolver::{FilterSpectra, PartitionPlan};
use crate::filter::FilterSpec;
use crate::fit::{self, Effort, FitError};
use crate::presets::PresetLibrary;
use crate::source::{Headphone, SourceError};
use crate::state::{SLOT_COUNT, SlotContent};
use fir::Phase;
use std::sync::Arc;

/// How the chain curve is realised (the `filter_mode` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterMode {
    /// Minimum-phase FIR, partitioned convolution with a zero-latency head: 0 samples.
    #[default]
    ZeroLatency,
    /// Linear-phase FIR: no phase change, `(taps − 1)/2` samples of latency.
    LinearPhase,
    /// Fitted parametric biquads (SVF, f64): 0 samples, a fraction of the CPU.
    LowCpu,
}

/// Parametric filters of the Low CPU engine: 2 shelves + 14 peaking.
pub const LOW_CPU_FILTERS: usize = 16;

/// Most biquad sections a Low CPU design can hold: the reference's fitted filters, then a
/// slot's simulation (its filters, and up to 4 + 4 Butterworth band-limit sections for
/// 8th-order high- and low-passes), then its warp fix. The engine's cascade runner is sized
/// for this, so a composed slot never loses sections.
pub const MAX_CASCADE_SECTIONS: usize =
    LOW_CPU_FILTERS + crate::curve::simulation::MAX_SIMULATION_FILTERS + 8 + WARP_FIX_FILTERS;

/// Highest centre frequency of a Low CPU peaking filter, Hz (AutoEq stops at 10 kHz; the
/// engine fits the treble in detail up to here).
pub const LOW_CPU_MAX_PEAK_HZ: f64 = 16_000.0;

/// Upper end of the band over which designs are checked and Low CPU fits are exact, Hz.
pub const CHECK_BAND_HZ: (f64, f64) = (20.0, 16_000.0);

/// What the engine is sized for in one activation: sample rate, host block size, the FIR
/// partitioning. Designs carry the layout id they were made for; the engine ignores others.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Identifies this activation's layout.
    pub id: u64,
    /// Sample rate, Hz.
    pub sample_rate_hz: f64,
    /// Largest host block, frames.
    pub max_block: usize,
    /// FIR taps (minimum phase; linear phase uses one less when even).
    pub fir_taps: usize,
    /// How FIRs are partitioned for the convolver.
    pub plan: PartitionPlan,
    /// Latency of the Linear phase engine, samples (the largest any design reports).
    pub max_latency_samples: usize,
}

impl Layout {
    /// The layout for `sample_rate_hz` and blocks of up to `max_block` frames.
    pub fn new(id: u64, sample_rate_hz: f64, max_block: usize) -> Self {
        let fir_taps = fir::taps_for_rate(sample_rate_hz, Phase::Minimum);
        let linear = fir::taps_for_rate(sample_rate_hz, Phase::Linear);
        Self {
            id,
            sample_rate_hz,
            max_block: max_block.max(1),
            fir_taps,
            plan: PartitionPlan::new(fir_taps, max_block),
            max_latency_samples: fir::latency_samples(linear, Phase::Linear),
        }
    }

    /// A layout for FIRs of `taps` taps (the convolver benchmark runs a given IR).
    pub fn for_fir(id: u64, sample_rate_hz: f64, max_block: usize, taps: usize) -> Self {
        Self {
            fir_taps: taps.max(1),
            plan: PartitionPlan::new(taps.max(1), max_block),
            ..Self::new(id, sample_rate_hz, max_block)
        }
    }

    /// Latency a design in `mode` reports, samples.
    pub fn latency_samples(&self, mode: FilterMode) -> usize {
        match mode {
            FilterMode::LinearPhase => self.max_latency_samples,
            FilterMode::ZeroLatency | FilterMode::LowCpu => 0,
        }
    }
}

/// Everything a design depends on besides the headphone and the layout.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignSettings {
    /// Engine.
    pub mode: FilterMode,
    /// Built-in target preset id (the `target` parameter).
    pub target_id: String,
    /// Knobs, correction settings, correction on/off.
    pub chain: ChainSettings,
}

/// A ready-to-run filter for the engine.
#[derive(Debug, Clone)]
pub struct Design {
    /// The layout it was made for.
    pub layout_id: u64,
    /// Its engine.
    pub mode: FilterMode,
    /// Delay it adds, samples (what the plugin reports).
    pub latency_samples: usize,
    /// What runs.
    pub kind: DesignKind,
    /// The common preamp included, dB.
    pub preamp_db: f64,
    /// Low CPU only: the largest |cascade − curve| over [`CHECK_BAND_HZ`] at the layout's rate,
    /// dB (the accuracy the engine promises in that mode).
    pub fit_max_error_db: Option<f64>,
    /// The device sums to mono: the engine feeds `(L + R)/2` to both channels' filters.
    pub mono_input: bool,
}

impl Bank {
    /// A bank that plays `design` for every `listen` choice.
    pub fn uniform(design: Design, layout: &Layout) -> Self {
        let design = Arc::new(design);
        Self {
            layout_id: layout.id,
            mode: design.mode,
            latency_samples: design.latency_samples,
            entries: vec![design; LISTEN_COUNT],
        }
    }
}

impl Design {
    /// A Zero-latency design that runs the given minimum-phase (or any causal) FIR on both
    /// channels, for `layout`'s partition plan.
    pub fn from_fir(taps: &[f32], layout: &Layout) -> Self {
        Self {
            layout_id: layout.id,
            mode: FilterMode::ZeroLatency,
            latency_samples: 0,
            kind: DesignKind::Fir(vec![FilterSpectra::new(taps, &layout.plan)]),
            preamp_db: 0.0,
            fit_max_error_db: None,
            mono_input: false,
        }
    }
}

/// The filter of a [`Design`]: one entry per channel, or one for both.
#[derive(Debug, Clone)]
pub enum DesignKind {
    /// A plain gain (nothing to correct), delayed by the latency.
    Gain(f32),
    /// FIR taps, transformed for the layout's partition plan.
    Fir(Vec<FilterSpectra>),
    /// SVF cascades (the preamp is their final gain).
    Cascade(Vec<CascadeCoefficients>),
}

/// Why a design could not be made (the previous filter keeps playing).
#[derive(Debug, thiserror::Error)]
pub enum DesignError {
    /// The headphone's data are not a usable curve.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The target id is not a built-in target.
    #[error("unknown target '{0}'")]
    UnknownTarget(String),
    /// The target preset's table is unusable.
    #[error("target '{id}': {message}")]
    BadTarget {
        /// Preset id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// A setting is out of range.
    #[error(transparent)]
    Range(#[from] chain::RangeError),
    /// The Low CPU fit failed.
    #[error("Low CPU fit: {0}")]
    Fit(#[from] FitError),
    /// The design stopped on a bug (a panic on the thread that ran it); reported instead of
    /// taking the host down.
    #[error("the design stopped unexpectedly (a bug: please report it)")]
    Panicked,
}

/// The chain curves for `settings`, `headphone` and the slots' sources, with the built-in
/// targets of `library`; the target is matched to the headphone's rig when that is known
/// ([`crate::rig::resolve_target`]).
pub fn chain_curves(
    settings: &DesignSettings,
    headphone: Option<&Headphone>,
    slots: &[SlotSource],
    library: &PresetLibrary,
) -> Result<ChainCurves, DesignError> {
    settings.chain.validate()?;
    let resolved =
        crate::rig::resolve_target(library, &settings.target_id, headphone.and_then(|h| h.rig))
            .ok_or_else(|| DesignError::UnknownTarget(settings.target_id.clone()))?;
    let preset = library
        .target(&resolved.used_id)
        .ok_or_else(|| DesignError::UnknownTarget(resolved.used_id.clone()))?;
    let baseline = preset.curve().map_err(|e| DesignError::BadTarget {
        id: preset.id.clone(),
        message: e.to_string(),
    })?;
    Ok(ChainCurves::compute(&ChainInputs {
        headphone,
        baseline: &baseline,
        settings: settings.chain,
        slots,
    })?)
}

/// Entries of a [`Bank`]: the reference and one per slot.
pub const LISTEN_COUNT: usize = SLOT_COUNT + 1;

/// What the engine plays, one design per `listen` choice (index 0: the reference, k: slot k),
/// all made for one layout and engine, so a switch plays at once.
#[derive(Debug, Clone)]
pub struct Bank {
    /// The layout the designs were made for.
    pub layout_id: u64,
    /// The engine of every entry.
    pub mode: FilterMode,
    /// The latency every entry has, samples.
    pub latency_samples: usize,
    /// The designs; entries shared with an earlier bank are the same `Arc` (the engine then
    /// switches without a crossfade).
    pub entries: Vec<Arc<Design>>,
}

impl Bank {
    /// The entry for `listen` (0 = reference), the reference when out of range.
    pub fn entry(&self, listen: usize) -> Option<&Arc<Design>> {
        self.entries.get(listen).or_else(|| self.entries.first())
    }
}

/// The slots' contents as the chain's sources (an unusable "other headphone" plays as the
/// reference).
pub fn slot_sources(slots: &[SlotContent]) -> Vec<SlotSource> {
    slots
        .iter()
        .map(|s| {
            s.to_source().unwrap_or(SlotSource::Simulation {
                id: "unusable".into(),
                name: format!("{} (unusable)", s.name()),
                simulation: crate::curve::simulation::Simulation::identity(),
            })
        })
        .collect()
}

/// Designs the whole bank for `layout` (see the module docs).
pub fn design(
    settings: &DesignSettings,
    headphone: Option<&Headphone>,
    slots: &[SlotContent],
    layout: &Layout,
    library: &PresetLibrary,
) -> Result<Bank, DesignError> {
    let curves = chain_curves(settings, headphone, &slot_sources(slots), library)?;
    let all: Vec<usize> = (0..LISTEN_COUNT).collect();
    let entries = realise_entries(&curves, &all, settings.mode, layout)?;
    Ok(Bank {
        layout_id: layout.id,
        mode: settings.mode,
        latency_samples: layout.latency_samples(settings.mode),
        entries: entries.into_iter().map(Arc::new).collect(),
    })
}

/// Designs the entries `indices` (0 = reference, k = slot k) of the chain `curves`, spread over
/// two threads. In Low CPU the reference's filters are fitted once and every parametric
/// simulation slot runs them followed by its own biquads, so a bank costs one fit (plus one per
/// "other headphone" slot) instead of nine.
pub fn realise_entries(
    curves: &ChainCurves,
    indices: &[usize],
    mode: FilterMode,
    layout: &Layout,
) -> Result<Vec<Design>, FitError> {
    let composed =
        |k: usize| k == 0 || curves.slots.get(k - 1).is_some_and(|s| s.filters.is_some());
    let reference = if mode == FilterMode::LowCpu && indices.iter().any(|&k| composed(k)) {
        Some(fit_reference(curves, layout.sample_rate_hz)?)
    } else {
        None
    };
    let one = |k: usize| -> Result<Design, FitError> {
        let listen = if k == 0 {
            Listen::Reference
        } else {
            Listen::Slot(k - 1)
        };
        let slot = k.checked_sub(1).and_then(|s| curves.slots.get(s));
        let played = curves.chain(listen);
        let mut d = match (&reference, slot) {
            (Some(reference), None) => compose_low_cpu(
                &played,
                reference,
                &[],
                curves.preamp_db,
                curves.preamp_db,
                layout,
            ),
            (Some(reference), Some(slot)) if slot.filters.is_some() => {
                let mut extra = slot.filters.clone().unwrap_or_default();
                let delta = slot.delta.clone().offset(slot.level_gain_db);
                extra.extend(warp_fix(&delta, &extra, layout.sample_rate_hz)?);
                let longest = reference.iter().map(Vec::len).max().unwrap_or(0);
                if longest + extra.len() > MAX_CASCADE_SECTIONS {
                    // Cannot happen with validated simulations (the capacity is their
                    // maximum); a fresh fit of the whole chain beats dropping sections.
                    realise(&played, curves.preamp_db, mode, layout)?
                } else {
                    compose_low_cpu(
                        &played,
                        reference,
                        &extra,
                        curves.preamp_db - slot.level_gain_db,
                        curves.preamp_db,
                        layout,
                    )
                }
            }
            _ => realise(&played, curves.preamp_db, mode, layout)?,
        };
        d.mono_input = slot.is_some_and(|s| s.mono);
        Ok(d)
    };
    let half = indices.len().div_ceil(2);
    let (first, second) = indices.split_at(half);
    let results: Vec<Result<Design, FitError>> = std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("refcan-design".into())
            .spawn_scoped(scope, || second.iter().map(|&k| one(k)).collect::<Vec<_>>());
        let mut out: Vec<_> = first.iter().map(|&k| one(k)).collect();
        match helper {
            Ok(h) => match h.join() {
                Ok(rest) => out.extend(rest),
                Err(_) => out.extend(second.iter().map(|&k| one(k))),
            },
            Err(_) => out.extend(second.iter().map(|&k| one(k))),
        }
        out
    });
    results.into_iter().collect()
}

/// The Low CPU filters of the played correction per channel (none where it is flat), fitted
/// once per bank.
fn fit_reference(curves: &ChainCurves, fs: f64) -> Result<Vec<Vec<FilterSpec>>, FitError> {
    let played = curves.chain(Listen::Reference);
    per_channel(&played, |c| {
        if (c.max_db() - c.min_db()).abs() < 1e-9 {
            Ok(Vec::new())
        } else {
            fit_filters(c, curves.preamp_db, fs).map(|(filters, _)| filters)
        }
    })
    .into_iter()
    .collect()
}

/// [`CHECK_BAND_HZ`], capped at 0.45 `fs` at low sample rates.
fn checked_band(fs: f64) -> (f64, f64) {
    (CHECK_BAND_HZ.0, CHECK_BAND_HZ.1.min(0.45 * fs))
}

/// Filters a warp fix may add to a simulation in Low CPU (2 fixed shelves and 3 peaks).
const WARP_FIX_FILTERS: usize = 5;

/// Below this (dB over [`CHECK_BAND_HZ`]) a simulation's biquads need no warp fix.
const WARP_FIX_THRESHOLD_DB: f64 = 0.02;

/// The few filters that bring a simulation's biquads, run at `fs`, back to its curve `delta`
/// (evaluated at [`crate::curve::REFERENCE_SAMPLE_RATE_HZ`]): the bilinear transform warps a
/// filter differently at each rate near Nyquist (by ~2 dB at 16 kHz between 44.1 and 48 kHz
/// for a 12 kHz low-pass). None when they already agree.
fn warp_fix(
    delta: &Response,
    filters: &[FilterSpec],
    fs: f64,
) -> Result<Vec<FilterSpec>, FitError> {
    // Above 0.45 fs (up to Nyquist and past it, on the grid at low rates) the biquads say
    // nothing useful: the residual is held from there.
    let runs = Response::from_filters(filters, fs);
    let (lo, hi) = checked_band(fs);
    let residual = Response::from_fn(|f| {
        let f = f.min(hi);
        delta.gain_at(f) - runs.gain_at(f)
    });
    let worst = grid_hz()
        .iter()
        .filter(|&&hz| (lo..=hi).contains(&hz))
        .map(|&hz| residual.gain_at(hz).abs())
        .fold(0.0, f64::max);
    if worst < WARP_FIX_THRESHOLD_DB {
        return Ok(Vec::new());
    }
    let (f, db) = residual.to_points();
    let config = low_cpu_config(WARP_FIX_FILTERS, fs)?;
    Ok(fit::fit(&f, &db, &config)?.filters)
}

/// A Low CPU design that runs `reference` (per channel) then `extra`, then `gain_db`; its
/// error is checked against `played` (the chain curve, preamp `preamp_db` included) at the
/// layout's rate.
fn compose_low_cpu(
    played: &ChannelResponses,
    reference: &[Vec<FilterSpec>],
    extra: &[FilterSpec],
    gain_db: f64,
    preamp_db: f64,
    layout: &Layout,
) -> Design {
    let fs = layout.sample_rate_hz;
    let (lo, hi) = checked_band(fs);
    let mut worst: f64 = 0.0;
    // `reference` was fitted to the same chain, so it has one entry per channel of `played`.
    let cascades = played
        .curves()
        .zip(reference)
        .map(|(curve, fitted)| {
            let filters: Vec<FilterSpec> = fitted.iter().chain(extra).copied().collect();
            let runs = Response::from_filters(&filters, fs);
            for (&hz, got) in grid_hz().iter().zip(runs.values_db()) {
                if (lo..=hi).contains(&hz) {
                    worst = worst.max((got + gain_db - curve.gain_at(hz)).abs());
                }
            }
            CascadeCoefficients::design(&filters, fs, gain_db)
        })
        .collect();
    Design {
        layout_id: layout.id,
        mode: FilterMode::LowCpu,
        latency_samples: layout.latency_samples(FilterMode::LowCpu),
        kind: DesignKind::Cascade(cascades),
        preamp_db,
        fit_max_error_db: Some(worst),
        mono_input: false,
    }
}

/// Turns the played chain curve (per channel, preamp included) into a design.
pub fn realise(
    played: &ChannelResponses,
    preamp_db: f64,
    mode: FilterMode,
    layout: &Layout,
) -> Result<Design, FitError> {
    let fs = layout.sample_rate_hz;
    let latency_samples = layout.latency_samples(mode);
    let flat = played
        .curves()
        .all(|c| (c.max_db() - c.min_db()).abs() < 1e-9);
    let (kind, fit_max_error_db) = if flat {
        let gain_db = played.left.values_db().first().copied().unwrap_or(0.0);
        (DesignKind::Gain(10f32.powf(gain_db as f32 / 20.0)), None)
    } else {
        match mode {
            FilterMode::ZeroLatency | FilterMode::LinearPhase => {
                let (phase, taps) = match mode {
                    FilterMode::LinearPhase => {
                        (Phase::Linear, fir::taps_for_rate(fs, Phase::Linear))
                    }
                    _ => (Phase::Minimum, layout.fir_taps),
                };
                let spectra = per_channel(played, |c| {
                    let at = |f: f64| design_gain_db(c, f);
                    FilterSpectra::new(&fir::design(&at, fs, taps, phase), &layout.plan)
                });
                (DesignKind::Fir(spectra), None)
            }
            FilterMode::LowCpu => {
                let mut cascades = Vec::new();
                let mut worst: f64 = 0.0;
                for fitted in per_channel(played, |c| fit_cascade(c, preamp_db, fs)) {
                    let (cascade, err) = fitted?;
                    worst = worst.max(err);
                    cascades.push(cascade);
                }
                (DesignKind::Cascade(cascades), Some(worst))
            }
        }
    };
    Ok(Design {
        layout_id: layout.id,
        mode,
        latency_samples,
        kind,
        preamp_db,
        fit_max_error_db,
        mono_input: false,
    })
}

/// `work` for each channel's curve; the right channel on a second thread (designs are
/// independent and this halves the time from a settings change to a stereo filter playing).
fn per_channel<T: Send>(curves: &ChannelResponses, work: impl Fn(&Response) -> T + Sync) -> Vec<T> {
    match &curves.right {
        None => vec![work(&curves.left)],
        Some(right) => std::thread::scope(|scope| {
            let handle = std::thread::Builder::new()
                .name("refcan-design-right".into())
                .spawn_scoped(scope, || work(right));
            let left = work(&curves.left);
            // If the helper thread could not start, design the right channel here.
            let right = match handle {
                Ok(h) => h.join().unwrap_or_else(|_| work(right)),
                Err(_) => work(right),
            };
            vec![left, right]
        }),
    }
}

/// How far below 20 Hz a FIR design continues the curve's slope before holding it, octaves.
const EDGE_CONTINUATION_OCT: f64 = 0.25;

/// The curve a FIR is designed from: the chain curve over 20 Hz–20 kHz, and below 20 Hz its
/// slope at 20 Hz fading to flat over [`EDGE_CONTINUATION_OCT`], then held. A curve held flat
/// right from 20 Hz has a corner there, which any FIR rounds off (the linear-phase one by up
/// to 0.15 dB on real corrections); continuing the slope a little moves the rounding below
/// the band. The continuation changes the level by at most slope × 1/8 octave.
pub fn design_gain_db(curve: &Response, freq_hz: f64) -> f64 {
    let edge = crate::curve::GRID_MIN_HZ;
    // NaN reads as the grid, like `Response::gain_at`.
    if freq_hz >= edge || freq_hz.is_nan() {
        return curve.gain_at(freq_hz);
    }
    let step_oct = 1.0 / 12.0;
    let v0 = curve.gain_at(edge);
    let slope = (curve.gain_at(edge * 2f64.powf(step_oct)) - v0) / step_oct;
    let below = if freq_hz > 0.0 {
        (edge / freq_hz).log2()
    } else {
        f64::INFINITY
    };
    let x = below.min(EDGE_CONTINUATION_OCT);
    v0 - slope * (x - x * x / (2.0 * EDGE_CONTINUATION_OCT))
}

/// The fit layout of the Low CPU engine at `fs`: AutoEq's fixed shelves (105 Hz, 10 kHz) and
/// peaking filters up to [`LOW_CPU_MAX_PEAK_HZ`]; at rates of 20 kHz and below, where the
/// 10 kHz shelf would lie at or above Nyquist, peaking filters only, below 0.45 `fs`.
fn low_cpu_config(filters: usize, fs: f64) -> Result<fit::FitConfig, FitError> {
    let invalid = |reason: String| FitError::InvalidConfig {
        field: "sample_rate_hz".into(),
        reason,
    };
    let config = chain::fit_config(filters, fs, Effort::Single).map_err(invalid)?;
    let config = if fs > 2.0 * fit::config::autoeq_limits::HIGH_SHELF_FREQ_HZ {
        config
    } else {
        fit::FitConfig::peaking_with_shelves(filters, fit::Shelves::None)
            .with_sample_rate(fs)
            .with_effort(Effort::Single)
    };
    Ok(config
        .with_energy_only_above(checked_band(fs).1)
        .with_peaking_freq_range(20.0, LOW_CPU_MAX_PEAK_HZ.min(0.45 * fs)))
}

/// Fits the Low CPU filters to `curve` (which includes `preamp_db`): the filters follow the
/// shape, the preamp is the final gain. Returns the filters and their largest error over
/// [`CHECK_BAND_HZ`] against the curve at `fs`, dB.
fn fit_filters(
    curve: &Response,
    preamp_db: f64,
    fs: f64,
) -> Result<(Vec<FilterSpec>, f64), FitError> {
    let shape = curve.clone().offset(-preamp_db);
    let (f, db) = shape.to_points();
    let config = low_cpu_config(LOW_CPU_FILTERS, fs)?;
    let fitted = fit::fit(&f, &db, &config)?;
    let (lo, hi) = checked_band(fs);
    let runs = Response::from_filters(&fitted.filters, fs);
    let err = grid_hz()
        .iter()
        .zip(runs.values_db())
        .filter(|(hz, _)| (lo..=hi).contains(*hz))
        .map(|(&hz, got)| (got - shape.gain_at(hz)).abs())
        .fold(0.0, f64::max);
    Ok((fitted.filters, err))
}

/// [`fit_filters`] as the engine's cascade, the preamp as its gain.
fn fit_cascade(
    curve: &Response,
    preamp_db: f64,
    fs: f64,
) -> Result<(CascadeCoefficients, f64), FitError> {
    let (filters, err) = fit_filters(curve, preamp_db, fs)?;
    Ok((CascadeCoefficients::design(&filters, fs, preamp_db), err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::default_slots;

    const DEFAULT_TARGET_ID: &str = "harman_in_room_flat_2013";

    /// The magnitude of a cascade the engine runs (its sections and gain) at `hz`, dB.
    fn cascade_db(c: &CascadeCoefficients, hz: f64, fs: f64) -> f64 {
        c.sections
            .iter()
            .map(|s| s.magnitude_db(hz, fs))
            .sum::<f64>()
            + 20.0 * c.gain.log10()
    }

    /// A headphone 6 dB short in the bass with a 5 dB presence peak, against the default target.
    fn headphone(library: &PresetLibrary) -> Headphone {
        let target = library
            .target(DEFAULT_TARGET_ID)
            .and_then(|t| t.curve().ok())
            .expect("target");
        let deviation = [
            FilterSpec::low_shelf(100.0, 0.7, -6.0),
            FilterSpec::peaking(3_000.0, 1.5, 5.0),
        ];
        Headphone::from_response(
            "Test HP",
            &target.plus(&Response::from_filters(&deviation, 44_100.0)),
        )
    }

    #[test]
    fn low_cpu_designs_at_low_sample_rates_too() {
        // clap-validator's fuzzer runs 8 kHz: AutoEq's fixed 10 kHz shelf lies above Nyquist
        // there, so the fit uses peaking filters only (it used to fail: "no correction").
        let library = PresetLibrary::builtin();
        let hp = headphone(&library);
        let settings = DesignSettings {
            mode: FilterMode::LowCpu,
            target_id: DEFAULT_TARGET_ID.into(),
            chain: ChainSettings::default(),
        };
        for fs in [8_000.0, 16_000.0, 20_000.0, 22_050.0] {
            let layout = Layout::new(1, fs, 512);
            let bank = design(&settings, Some(&hp), &default_slots(), &layout, &library)
                .unwrap_or_else(|e| panic!("{fs} Hz: {e}"));
            let DesignKind::Cascade(cascades) = &bank.entries[0].kind else {
                panic!("{fs} Hz: not a cascade");
            };
            // The 6 dB bass shortfall is corrected: +6 dB (less the preamp) at 50 Hz relative
            // to 1 kHz, within the fit's error.
            let lift = cascade_db(&cascades[0], 50.0, fs) - cascade_db(&cascades[0], 1_000.0, fs);
            assert!((lift - 6.0).abs() < 1.0, "{fs} Hz: bass lift {lift} dB");
        }
    }

    #[test]
    fn low_cpu_banks_fit_once_and_every_entry_plays_its_chain() {
        let library = PresetLibrary::builtin();
        let hp = headphone(&library);
        let settings = DesignSettings {
            mode: FilterMode::LowCpu,
            target_id: DEFAULT_TARGET_ID.into(),
            chain: ChainSettings::default(),
        };
        let slots = default_slots();
        let curves =
            chain_curves(&settings, Some(&hp), &slot_sources(&slots), &library).expect("curves");
        for fs in [44_100.0, 48_000.0, 96_000.0] {
            let layout = Layout::new(1, fs, 512);
            let bank = design(&settings, Some(&hp), &slots, &layout, &library).expect("bank");
            let reference = bank.entries[0].fit_max_error_db.expect("fit error");
            for (k, entry) in bank.entries.iter().enumerate() {
                let listen = if k == 0 {
                    Listen::Reference
                } else {
                    Listen::Slot(k - 1)
                };
                let want = curves.chain(listen);
                let DesignKind::Cascade(cascades) = &entry.kind else {
                    panic!("entry {k} is not a cascade");
                };
                // Measured from the coefficients the engine runs, not from the specs, over the
                // check band and below 8 kHz. A simulation's own biquads run at the host's rate
                // while its curve is evaluated at 44.1 kHz; the warp fix brings them back to
                // ≤ 0.21 dB below 8 kHz and ≤ 1.25 dB at the top (96 kHz: the phone's and the
                // laptop's 44.1 kHz low-pass falls faster near 16 kHz than five filters follow).
                let error_up_to = |top: f64| {
                    grid_hz()
                        .iter()
                        .filter(|&&hz| (CHECK_BAND_HZ.0..=top).contains(&hz))
                        .map(|&hz| {
                            cascades
                                .iter()
                                .zip(want.curves())
                                .map(|(c, curve)| (cascade_db(c, hz, fs) - curve.gain_at(hz)).abs())
                                .fold(0.0, f64::max)
                        })
                        .fold(0.0, f64::max)
                };
                let (worst, low) = (error_up_to(CHECK_BAND_HZ.1), error_up_to(8_000.0));
                let reported = entry.fit_max_error_db.expect("fit error");
                println!(
                    "{fs} Hz entry {k}: {worst:.4} dB (to 8 kHz {low:.4}), reference fit {reference:.4}"
                );
                assert!(
                    (worst - reported).abs() < 1e-6,
                    "{fs} Hz entry {k}: measured {worst} dB, reported {reported} dB"
                );
                assert!(
                    low <= reference + 0.25 && worst <= reference + 1.5,
                    "{fs} Hz entry {k}: {worst} dB off its chain ({low} to 8 kHz; reference fit {reference})"
                );
                assert_eq!(entry.mono_input, k > 0 && curves.slots[k - 1].mono);
            }
        }
    }
}
