//! `refcan`: the Refcan core on the command line — inspect files, compute and export a
//! headphone correction, write curves as CSV or a PNG plot, list the built-in presets.
//!
//! A thin shell over the library: parsing arguments and formatting output only. Errors are
//! one line on stderr; bad input (files, preset ids, values) exits with code 2.

mod bench;
mod plot;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use nice_plug::prelude::Enum;
use refcan::chain::{self, ChainCurves, ChainInputs, ChainSettings, SlotSource, SlotView};
use refcan::curve::{self, Channel, CorrectionSettings, PersonalTarget, Response};
use refcan::design::{self, DesignSettings, FilterMode, Layout};
use refcan::fit;
use refcan::headphones::HeadphoneLibrary;
use refcan::io::export::{
    CamillaOptions, GraphicEqOptions, camilladsp_yaml, camilladsp_yaml_stereo, graphic_eq_txt,
    parametric_eq_txt, parametric_eq_txt_stereo,
};
use refcan::io::{self, Content, ImportOptions, ParametricEq};
use refcan::params::{CrossfeedChoice, FilterModeChoice, ListenChoice, ParamValues, TargetChoice};
use refcan::plugin_presets::{PluginPreset, plugin_presets};
use refcan::presets::{PresetLibrary, user_preset_dir};
use refcan::rig::Rig;
use refcan::source::{Headphone, import_curve};
use refcan::state::{
    OfflineRender, RefcanState, SlotContent, default_slots, parse_slot_assignment, plugin_state,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Refcan's core offline: headphone correction, exports, curves and plots.
#[derive(Parser)]
#[command(name = "refcan", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show the detected format, channels, frequency range, points and warnings of files.
    Info {
        /// Measurement, target or EQ files (AutoEq CSV, REW, squig.link, Equalizer APO).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Compute the correction of a headphone to a target and export it.
    Correct(CorrectArgs),
    /// Write a CSV of measurement, target, correction, result and simulations on the grid.
    Curves(CurvesArgs),
    /// Plot measurement, target, correction, result and simulations to a PNG.
    Plot(PlotArgs),
    /// List the headphones of an AutoEq checkout (its `results/` and `measurements/` trees).
    Browse {
        /// Root folder of the AutoEq repository on disk.
        root: PathBuf,
        /// Only headphones whose name contains this text (case-insensitive).
        #[arg(long)]
        filter: Option<String>,
    },
    /// List the built-in headphone library: id, name, form, rig, source and fit error.
    Headphones {
        /// Only headphones whose name, brand or id contains this text (case-insensitive).
        #[arg(long)]
        filter: Option<String>,
    },
    /// List the built-in (and user) reference targets with their sources.
    Targets,
    /// List the built-in (and user) device simulations with their sources and fit errors.
    Simulations,
    /// Write a whole plugin state (parameters and the headphone as data) that a host or a
    /// script loads into Refcan: the headphone and settings are installed at once.
    Preset(PresetArgs),
    /// List the factory and user plugin presets (target, knobs and slot sets).
    Presets,
    /// Play a WAV file through exactly the engine and chain the plugin runs, for a saved
    /// plugin state and a `listen` choice: a translation-check bounce. Float WAV out.
    Render(RenderArgs),
    /// Benchmarks of the engine.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `refcan render`.
#[derive(Args)]
struct RenderArgs {
    /// A plugin state (what `refcan preset` writes).
    #[arg(long, value_name = "FILE")]
    preset: PathBuf,
    /// What is heard: `reference`, `slot-N`, or the id of a simulation in a slot (default:
    /// the preset's own `listen`).
    #[arg(long, value_name = "WHAT")]
    listen: Option<String>,
    /// Host block size the engine is set up for, frames (1–8192).
    #[arg(long, value_name = "FRAMES", default_value_t = 512)]
    block: usize,
    /// Input WAV: mono or stereo, 8/16/24/32-bit integer or 32-bit float, any rate.
    input: PathBuf,
    /// Output WAV (32-bit float, the input's rate and channels, latency compensated).
    output: PathBuf,
}

/// What to correct, and to what.
#[derive(Args, Clone)]
struct ChainArgs {
    /// The headphone: a measurement (AutoEq CSV, REW, squig.link `X L.txt` + `X R.txt`) or an
    /// EQ that already is the correction (ParametricEQ.txt, GraphicEQ.txt).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "headphone_id",
        conflicts_with = "headphone_id"
    )]
    headphone: Option<PathBuf>,
    /// Instead of `--headphone`: a headphone of the built-in library (`refcan headphones`).
    #[arg(long, value_name = "ID")]
    headphone_id: Option<String>,
    /// Column of the headphone file to read (e.g. `raw` of an AutoEq result CSV).
    #[arg(long, value_name = "NAME")]
    headphone_column: Option<String>,
    /// The rig the headphone was measured on (ear_simulator, coupler_711, bk_5128): the
    /// target is then the one for that rig where one exists. Library headphones know theirs.
    #[arg(long, value_name = "RIG")]
    rig: Option<String>,
    /// Reference target: a preset id (`refcan targets`) or a CSV file.
    #[arg(long, value_name = "ID|FILE", default_value = "harman_oe_2018")]
    target: String,
    /// Column of a target file to read (e.g. `target` of an AutoEq result CSV).
    #[arg(long, value_name = "NAME")]
    target_column: Option<String>,
    #[command(flatten)]
    knobs: KnobArgs,
}

/// The correction and personal-target settings (the plugin's knobs).
#[derive(Args, Clone)]
struct KnobArgs {
    /// Largest boost of the correction, dB (0–12).
    #[arg(long, value_name = "DB", default_value_t = 6.0)]
    max_boost: f64,
    /// Correction strength, % (0–100).
    #[arg(long, value_name = "PERCENT", default_value_t = 100.0)]
    amount: f64,
    /// Personal target: bass shelf 105 Hz Q 0.7, dB (−6…+12).
    #[arg(
        long,
        value_name = "DB",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    room_gain: f64,
    /// Personal target: scale of the ear-gain region, % (0…150; 100 = the baseline's).
    #[arg(long, value_name = "PERCENT", default_value_t = 100.0)]
    pinna_gain: f64,
    /// Personal target: tilt about 632 Hz, dB/octave (−2…+2).
    #[arg(
        long,
        value_name = "DB_PER_OCT",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    tilt: f64,
    /// Personal target: high shelf 10 kHz Q 0.7, dB (−10…+10).
    #[arg(
        long,
        value_name = "DB",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    treble: f64,
}

/// `refcan preset`: a whole plugin state for a headphone and settings.
#[derive(Args)]
struct PresetArgs {
    /// Start from a factory or user plugin preset (`refcan presets`) or a preset file; only
    /// the options given here change it, and `--headphone` installs your headphone into it.
    #[arg(long, value_name = "ID|FILE")]
    from: Option<String>,
    /// The headphone to install (as for `correct`); without it the preset holds no headphone.
    #[arg(long, value_name = "FILE", conflicts_with = "headphone_id")]
    headphone: Option<PathBuf>,
    /// Instead of `--headphone`: a headphone of the built-in library (`refcan headphones`).
    #[arg(long, value_name = "ID")]
    headphone_id: Option<String>,
    /// Column of the headphone file to read.
    #[arg(long, value_name = "NAME")]
    headphone_column: Option<String>,
    /// The rig the headphone was measured on (ear_simulator, coupler_711, bk_5128), stored
    /// with it so the plugin matches the target to it.
    #[arg(long, value_name = "RIG")]
    rig: Option<String>,
    /// Reference target: a built-in target id (`refcan targets`).
    #[arg(long, value_name = "ID", default_value = "harman_in_room_flat_2013")]
    target: String,
    #[command(flatten)]
    knobs: KnobArgs,
    /// Engine: zero_latency, linear_phase or low_cpu.
    #[arg(long, value_name = "MODE", default_value = "zero_latency")]
    filter_mode: String,
    /// Correction on or off.
    #[arg(long, value_name = "on|off", default_value = "on")]
    correct: String,
    /// Slot N (1–8) holds a simulation id (`refcan simulations`) or another headphone's
    /// measurement file, stored as data; repeat for several. Other slots hold the defaults.
    #[arg(long = "slot", value_name = "N=ID|FILE")]
    slots: Vec<String>,
    /// What is heard: `reference`, `slot-N`, or the id of a simulation in a slot.
    #[arg(long, value_name = "WHAT", default_value = "reference")]
    listen: String,
    /// Loudness-matched switching on or off.
    #[arg(long, value_name = "on|off", default_value = "on")]
    level_match: String,
    /// Crossfeed after Bauer's bs2b presets: `off`, `meier` (light), `chu_moy` (medium),
    /// `bs2b_default` (strong).
    #[arg(long, value_name = "STRENGTH", default_value = "off")]
    crossfeed: String,
    /// While the host renders offline: pass the audio through (`bypass`, the default, so no
    /// correction is printed into a bounce by accident) or `process` (a deliberate
    /// translation-check bounce).
    #[arg(long, value_name = "bypass|process", default_value = "bypass")]
    offline_render: String,
    /// Output file (JSON).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// `refcan bench`.
#[derive(Subcommand)]
enum BenchCommand {
    /// Runs interleaved stereo f32 audio through the Zero-latency engine the plugin runs, one
    /// call per block, and prints the seconds spent processing.
    Convolve(ConvolveArgs),
}

#[derive(Args)]
struct ConvolveArgs {
    /// Impulse response: mono, 32-bit float little-endian raw.
    #[arg(long, value_name = "IR.raw")]
    ir: PathBuf,
    /// Frames per call.
    #[arg(long, value_name = "B")]
    block: usize,
    /// Sample rate the engine is set up for, Hz (sizes its buffers; the audio is not
    /// resampled).
    #[arg(long, value_name = "HZ", default_value_t = 48_000.0)]
    rate: f64,
    /// Input: interleaved stereo 32-bit float little-endian raw.
    input: PathBuf,
    /// Output, same format.
    output: PathBuf,
}

#[derive(Args)]
struct CorrectArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// Number of parametric filters (apo, camilladsp): 2 shelves + N−2 peaking from 3 on.
    #[arg(long, value_name = "N", default_value_t = 10)]
    filters: usize,
    /// Sample rate the parametric filters or the FIR are designed for, Hz.
    #[arg(long, value_name = "HZ", default_value_t = 44_100.0)]
    sample_rate: f64,
    /// Phase of the FIR (`--export wav`).
    #[arg(long, value_enum, default_value = "minimum")]
    phase: PhaseArg,
    /// Export format.
    #[arg(long, value_enum)]
    export: ExportFormat,
    /// Output file.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// Equalizer APO ParametricEQ.txt (preamp + filters).
    Apo,
    /// Equalizer APO GraphicEQ.txt (127 nodes, AutoEq's layout).
    Graphic,
    /// CamillaDSP YAML (filters + pipeline).
    Camilladsp,
    /// FIR impulse response as a 32-bit float WAV (one channel per ear when they differ).
    Wav,
}

/// Phase of an exported FIR.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PhaseArg {
    /// Minimum phase: no latency, no pre-ringing (the Zero-latency engine's filter).
    Minimum,
    /// Linear phase: symmetric, a delay of (taps − 1)/2 samples.
    Linear,
}

/// Which slots the curves or the plot show: by default the plugin's eight slots (so the
/// preamp and level-match gains are the ones the plugin plays), changed with `--slot`; or,
/// with `--simulation`/`--other`, just the simulations named.
#[derive(Args)]
struct SimArgs {
    /// Slot N (1–8) holds a simulation id (`refcan simulations`) or another headphone's
    /// measurement file (ΔS = H_other − T_ref); repeat for several. Other slots keep the
    /// plugin's defaults.
    #[arg(long = "slot", value_name = "N=ID|FILE")]
    slots: Vec<String>,
    /// Instead of the plugin's slots, only these simulation ids (or `all`); repeat for
    /// several. In a CSV the column is ΔS (level-matched); in a plot, the target as heard
    /// through the device.
    #[arg(long = "simulation", value_name = "ID", conflicts_with = "slots")]
    simulations: Vec<String>,
    /// Instead of the plugin's slots: another headphone's measurement to "listen through".
    #[arg(long, value_name = "FILE", conflicts_with = "slots")]
    other: Option<PathBuf>,
}

#[derive(Args)]
struct CurvesArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    sims: SimArgs,
    /// Output CSV file.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Args)]
struct PlotArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    sims: SimArgs,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1280)]
    width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 720)]
    height: u32,
    /// Output PNG file.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// A failure: bad input (exit 2) or a failure to write or compute (exit 1).
#[derive(Debug)]
enum CliError {
    Input(String),
    Output(String),
    /// Bad input whose messages were already printed (one line each).
    Reported,
}

impl CliError {
    fn input(e: impl std::fmt::Display) -> Self {
        Self::Input(e.to_string())
    }
}

fn main() -> ExitCode {
    // Parsed in two steps so `refcan preset --from` can tell the options given from defaults.
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Info { files } => info(&files),
        Command::Correct(args) => correct(&args),
        Command::Curves(args) => curves(&args),
        Command::Plot(args) => plot_command(&args),
        Command::Browse { root, filter } => browse(&root, filter.as_deref()),
        Command::Headphones { filter } => list_headphones(filter.as_deref()),
        Command::Targets => {
            list_targets();
            Ok(())
        }
        Command::Simulations => {
            list_simulations();
            Ok(())
        }
        Command::Presets => {
            list_plugin_presets();
            Ok(())
        }
        Command::Preset(args) => preset(&args, matches.subcommand_matches("preset")),
        Command::Render(args) => render_command(&args),
        Command::Bench(BenchCommand::Convolve(args)) => bench::convolve(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Input(msg)) => {
            eprintln!("refcan: {msg}");
            ExitCode::from(2)
        }
        Err(CliError::Reported) => ExitCode::from(2),
        Err(CliError::Output(msg)) => {
            eprintln!("refcan: {msg}");
            ExitCode::from(1)
        }
    }
}

fn info(files: &[PathBuf]) -> Result<(), CliError> {
    let mut failed = None;
    for path in files {
        match io::import_file(path) {
            Ok(imported) => print_info(path, &imported),
            Err(e) => {
                eprintln!("refcan: {e}");
                failed = Some(CliError::Reported);
            }
        }
    }
    failed.map_or(Ok(()), Err)
}

fn print_info(path: &Path, imported: &io::Imported) {
    println!("{}", path.display());
    println!("  name:     {}", imported.name);
    println!("  format:   {}", imported.format.name());
    match &imported.content {
        Content::Curve(c) => {
            let channels = if c.channels.is_stereo() {
                "left + right"
            } else {
                "mono"
            };
            println!("  content:  curve, {channels}, column \"{}\"", c.column);
            if c.columns.len() > 2 {
                println!("  columns:  {}", c.columns.join(", "));
            }
            for (label, ch) in [("left", Channel::Left), ("right", Channel::Right)] {
                if !c.channels.is_stereo() && ch == Channel::Right {
                    break;
                }
                let curve = c.channels.channel(ch);
                let (lo, hi) = range(&curve.freq_hz);
                let (dlo, dhi) = range(&curve.db);
                let prefix = if c.channels.is_stereo() {
                    label
                } else {
                    "curve"
                };
                println!(
                    "  {prefix:<8}  {} points, {} – {}, {dlo:.1} … {dhi:.1} dB",
                    curve.freq_hz.len(),
                    hz(lo),
                    hz(hi)
                );
            }
        }
        Content::Eq(eq) => {
            let n_filters = eq.filter_specs(48_000.0, Channel::Left).len();
            println!(
                "  content:  EQ, {n_filters} filters{}{}, preamp {:.1} dB",
                if eq.has_graphic() {
                    " + graphic EQ"
                } else {
                    ""
                },
                if eq.is_stereo() { ", per channel" } else { "" },
                eq.preamp_db(Channel::Left)
            );
        }
    }
    if let Some(partner) = &imported.paired_with {
        println!("  paired:   {}", partner.display());
    }
    for w in &imported.warnings {
        println!("  warning:  {w}");
    }
}

fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

fn hz(f: f64) -> String {
    if f >= 1000.0 {
        format!("{:.3} kHz", f / 1000.0)
    } else {
        format!("{f:.1} Hz")
    }
}

/// A headphone, a target and the settings, as the library's chain computes them.
struct Chain {
    headphone: Headphone,
    target_label: String,
    /// Which target is used and the rig it assumes (matched to the headphone's rig).
    target_note: String,
    curves: ChainCurves,
}

impl Chain {
    /// Reads the files and options of `args` and computes the chain with `slots`.
    fn build(
        args: &ChainArgs,
        library: &PresetLibrary,
        slots: &[SlotSource],
    ) -> Result<Self, CliError> {
        let mut headphone = load_headphone(
            args.headphone.as_deref(),
            args.headphone_id.as_deref(),
            &args.headphone_column,
        )?
        .ok_or_else(|| CliError::Input("give --headphone FILE or --headphone-id ID".into()))?;
        if let Some(rig) = parse_rig(args.rig.as_deref())? {
            headphone.rig = Some(rig);
        }
        let (baseline, target_label, target_note) = resolve_target(args, library, headphone.rig)?;
        let settings = chain_settings(&args.knobs)?;
        let curves = ChainCurves::compute(&ChainInputs {
            headphone: Some(&headphone),
            baseline: &baseline,
            settings,
            slots,
        })
        .map_err(CliError::input)?;
        Ok(Self {
            headphone,
            target_label,
            target_note,
            curves,
        })
    }
}

/// The chain settings of `args`, range-checked (errors name the option).
fn chain_settings(args: &KnobArgs) -> Result<ChainSettings, CliError> {
    let settings = ChainSettings {
        knobs: PersonalTarget {
            room_gain_db: args.room_gain,
            pinna_gain_percent: args.pinna_gain,
            tilt_db_per_oct: args.tilt,
            treble_db: args.treble,
        },
        correction: CorrectionSettings {
            max_boost_db: args.max_boost,
            amount_percent: args.amount,
            ..CorrectionSettings::default()
        },
        correct: true,
        level_match: true,
    };
    settings.validate().map_err(|e| {
        let flag = match e.field {
            "room_gain_db" => "--room-gain",
            "pinna_gain_percent" => "--pinna-gain",
            "tilt_db_per_oct" => "--tilt",
            "treble_db" => "--treble",
            "max_boost_db" => "--max-boost",
            _ => "--amount",
        };
        CliError::Input(format!(
            "{flag} {} is outside {} … {}",
            e.value,
            e.range.start(),
            e.range.end()
        ))
    })?;
    Ok(settings)
}

/// The rig of `--rig`, if given.
fn parse_rig(id: Option<&str>) -> Result<Option<Rig>, CliError> {
    let Some(id) = id else { return Ok(None) };
    Rig::from_id(id).map(Some).ok_or_else(|| {
        let ids: Vec<&str> = Rig::ALL.iter().map(|r| r.id()).collect();
        CliError::Input(format!("--rig '{id}' is not one of {}", ids.join(", ")))
    })
}

/// The target curve, its label and a note on the rig it assumes: a preset is matched to the
/// headphone's `rig` ([`refcan::rig::resolve_target`]); a file is used as given.
fn resolve_target(
    args: &ChainArgs,
    library: &PresetLibrary,
    rig: Option<Rig>,
) -> Result<(Response, String, String), CliError> {
    if let Some(chosen) = library.target(&args.target) {
        let resolved = refcan::rig::resolve_target(library, &chosen.id, rig)
            .ok_or_else(|| CliError::Input(format!("target {}", chosen.id)))?;
        let preset = library
            .target(&resolved.used_id)
            .ok_or_else(|| CliError::Input(format!("target {}", resolved.used_id)))?;
        let curve = preset
            .curve()
            .map_err(|e| CliError::Input(format!("target {}: {e}", preset.id)))?;
        return Ok((curve, preset.name.clone(), resolved.describe(&chosen.name)));
    }
    let path = Path::new(&args.target);
    if path.exists() {
        let options = ImportOptions {
            column: args.target_column.clone(),
            ..ImportOptions::default()
        };
        let curve = import_curve(path, &options).map_err(CliError::input)?;
        let label = format!("target {}", args.target);
        let note =
            format!("Target: {label} (a file: its rig is not known, and it is used as given).");
        return Ok((curve, label, note));
    }
    let ids: Vec<&str> = library.targets.iter().map(|t| t.id.as_str()).collect();
    Err(CliError::Input(format!(
        "target '{}' is neither a preset id ({}) nor an existing file",
        args.target,
        ids.join(", ")
    )))
}

fn correct(args: &CorrectArgs) -> Result<(), CliError> {
    let library = PresetLibrary::load();
    let chain = Chain::build(&args.chain, &library, &[])?;
    let channels = chain.curves.correction.channels();
    println!(
        "{}: {} ({}) → {}",
        chain.headphone.source_file,
        chain.headphone.name,
        chain.headphone.format.name(),
        chain.target_label
    );
    println!("{}", chain.target_note);

    if args.export == ExportFormat::Wav {
        return export_fir_wav(args, &chain);
    }
    let text = match args.export {
        ExportFormat::Wav => unreachable!("handled above"),
        ExportFormat::Graphic => {
            // One GraphicEQ for both ears (EAPO applies it to all channels): the mean.
            let mean = chain.curves.correction.average();
            let (f, db) = mean.to_points();
            graphic_eq_txt(&f, &db, &GraphicEqOptions::autoeq()).map_err(CliError::input)?
        }
        ExportFormat::Apo | ExportFormat::Camilladsp => {
            let config = chain::fit_config(args.filters, args.sample_rate, fit::Effort::Exhaustive)
                .map_err(|e| CliError::Input(format!("--filters/--sample-rate: {e}")))?;
            let mut eqs = Vec::new();
            for (channel, correction) in &channels {
                let (f, db) = correction.to_points();
                let fitted = fit::fit(&f, &db, &config).map_err(CliError::input)?;
                let label = channel_label(*channel, channels.len());
                println!(
                    "{label}fit of {} filters: {:.2} dB rms, {:.2} dB max over 20 Hz–10 kHz \
                     (AutoEq loss {:.3}), preamp {:.1} dB",
                    fitted.filters.len(),
                    fitted.errors.rms_db,
                    fitted.errors.max_abs_db,
                    fitted.errors.autoeq_loss,
                    fitted.preamp_db
                );
                if let Some(m) = &chain.curves.measurement {
                    let h = m.channel(*channel);
                    let eq = Response::from_filters(&fitted.filters, args.sample_rate);
                    let (rms, max) =
                        deviation_db(&h.plus(&eq), &chain.curves.target, 20.0, 10_000.0);
                    println!(
                        "{label}headphone + EQ vs target: {rms:.2} dB rms, {max:.2} dB max over \
                         20 Hz–10 kHz"
                    );
                }
                eqs.push(ParametricEq {
                    preamp_db: fitted.preamp_db,
                    filters: fitted.filters,
                });
            }
            match (args.export, eqs.as_slice()) {
                (ExportFormat::Apo, [one]) => parametric_eq_txt(one),
                (ExportFormat::Apo, [l, r]) => parametric_eq_txt_stereo(l, r),
                (_, [one]) => camilladsp_yaml(one, &CamillaOptions::default()),
                (_, [l, r]) => camilladsp_yaml_stereo(l, r, &CamillaOptions::default()),
                _ => return Err(CliError::Output("no channels to export".into())),
            }
            .map_err(CliError::input)?
        }
    };
    write_file(&args.output, text.as_bytes())?;
    println!("wrote {}", args.output.display());
    Ok(())
}

/// `refcan correct --export wav`: the correction as the FIR the engine plays, with a preamp
/// so it never boosts.
fn export_fir_wav(args: &CorrectArgs, chain: &Chain) -> Result<(), CliError> {
    let fs = args.sample_rate;
    if !(fs.is_finite() && design::fir::SAMPLE_RATE_RANGE_HZ.contains(&fs) && fs.fract() == 0.0) {
        return Err(CliError::Input(format!(
            "--sample-rate {fs} must be a whole number of Hz within {} … {}",
            design::fir::SAMPLE_RATE_RANGE_HZ.start(),
            design::fir::SAMPLE_RATE_RANGE_HZ.end()
        )));
    }
    let phase = match args.phase {
        PhaseArg::Minimum => design::fir::Phase::Minimum,
        PhaseArg::Linear => design::fir::Phase::Linear,
    };
    let curves: Vec<Response> = chain.curves.correction.curves().cloned().collect();
    let peak = curves.iter().map(Response::max_db).fold(f64::MIN, f64::max);
    let preamp_db = (-peak).min(0.0);
    let channels: Vec<Vec<f32>> = curves
        .iter()
        .map(|c| refcan::render::fir_taps(c, preamp_db, fs, phase))
        .collect();
    io::wav::write_f32(&args.output, fs as u32, &channels).map_err(CliError::Output)?;
    let taps = channels.first().map_or(0, Vec::len);
    println!(
        "wrote {}: {} channel(s) × {taps} taps, {} phase, {fs} Hz, 32-bit float, preamp \
         {preamp_db:.2} dB (latency {} samples)",
        args.output.display(),
        channels.len(),
        match args.phase {
            PhaseArg::Minimum => "minimum",
            PhaseArg::Linear => "linear",
        },
        design::fir::latency_samples(taps, phase)
    );
    Ok(())
}

/// `refcan render`.
fn render_command(args: &RenderArgs) -> Result<(), CliError> {
    let bytes = std::fs::read(&args.preset)
        .map_err(|e| CliError::Input(format!("{}: cannot read: {e}", args.preset.display())))?;
    let (values, doc) = refcan::render::read_plugin_state(&bytes)
        .map_err(|e| CliError::Input(format!("{}: {e}", args.preset.display())))?;
    let listen = match &args.listen {
        Some(text) => ListenChoice::parse(text, &doc.slots)
            .map_err(|e| CliError::Input(format!("--listen: {e}")))?,
        None => values.listen,
    };
    if !(1..=8192).contains(&args.block) {
        return Err(CliError::Input(format!(
            "--block {} must be 1 … 8192",
            args.block
        )));
    }
    let mut audio = io::wav::read(&args.input).map_err(CliError::Input)?;
    let library = PresetLibrary::load();
    let fs = f64::from(audio.sample_rate_hz);
    let report = refcan::render::render(
        &values,
        &doc,
        listen,
        fs,
        args.block,
        &mut audio.channels,
        &library,
    )
    .map_err(CliError::input)?;
    io::wav::write_f32(&args.output, audio.sample_rate_hz, &audio.channels)
        .map_err(CliError::Output)?;
    let heard = match listen.index() {
        0 => "reference".to_string(),
        k => format!(
            "slot {k} ({})",
            doc.slots.get(k - 1).map_or("?", |s| s.name())
        ),
    };
    println!(
        "wrote {}: {} channel(s), {} frames at {} Hz through {heard}, {} engine, latency {} \
         samples compensated",
        args.output.display(),
        audio.channels.len(),
        audio.channels.first().map_or(0, Vec::len),
        audio.sample_rate_hz,
        values.filter_mode.id(),
        report.latency_samples
    );
    Ok(())
}

fn channel_label(channel: Channel, n_channels: usize) -> &'static str {
    match (n_channels, channel) {
        (1, _) => "",
        (_, Channel::Left) => "left:  ",
        (_, Channel::Right) => "right: ",
    }
}

/// RMS and max |a − b| over grid points in `[lo_hz, hi_hz]`, both centred at 1 kHz.
fn deviation_db(a: &Response, b: &Response, lo_hz: f64, hi_hz: f64) -> (f64, f64) {
    let a = a.clone().centered();
    let b = b.clone().centered();
    let diffs: Vec<f64> = curve::grid_hz()
        .iter()
        .zip(a.values_db().iter().zip(b.values_db()))
        .filter(|(f, _)| (lo_hz..=hi_hz).contains(*f))
        .map(|(_, (x, y))| x - y)
        .collect();
    let n = diffs.len().max(1) as f64;
    let rms = (diffs.iter().map(|d| d * d).sum::<f64>() / n).sqrt();
    let max = diffs.iter().fold(0.0f64, |m, d| m.max(d.abs()));
    (rms, max)
}

/// The plugin's eight default slots with the `--slot N=ID|FILE` assignments applied.
fn assigned_slots(
    assignments: &[String],
    library: &PresetLibrary,
) -> Result<Vec<SlotContent>, CliError> {
    let mut slots = default_slots();
    for text in assignments {
        let (k, content) = parse_slot_assignment(text, library)
            .map_err(|e| CliError::Input(format!("--slot: {e}")))?;
        slots[k] = content;
    }
    Ok(slots)
}

/// The slots the curves or plot show: the plugin's (with `--slot` changes), or just the
/// simulations (by id, or `all`) and "other headphone" asked for.
fn slot_sources(args: &SimArgs, library: &PresetLibrary) -> Result<Vec<SlotSource>, CliError> {
    if args.simulations.is_empty() && args.other.is_none() {
        let slots = assigned_slots(&args.slots, library)?;
        return slots
            .iter()
            .enumerate()
            .map(|(k, s)| {
                s.to_source()
                    .map_err(|e| CliError::Input(format!("slot {}: {e}", k + 1)))
            })
            .collect();
    }
    let wanted: Vec<String> = if args.simulations.iter().any(|i| i == "all") {
        library.simulations.iter().map(|s| s.id.clone()).collect()
    } else {
        args.simulations.clone()
    };
    let mut slots = Vec::new();
    for id in &wanted {
        let preset = library.simulation(id).ok_or_else(|| {
            let ids: Vec<&str> = library.simulations.iter().map(|s| s.id.as_str()).collect();
            CliError::Input(format!(
                "simulation '{id}' is not known ({}, or all)",
                ids.join(", ")
            ))
        })?;
        slots.push(SlotSource::Simulation {
            id: preset.id.clone(),
            name: preset.name.clone(),
            simulation: preset.simulation(),
        });
    }
    if let Some(path) = args.other.as_deref() {
        let measurement = import_curve(path, &ImportOptions::default()).map_err(CliError::input)?;
        let name = path
            .file_stem()
            .map_or_else(|| "other".into(), |s| s.to_string_lossy().into_owned());
        slots.push(SlotSource::OtherHeadphone { name, measurement });
    }
    Ok(slots)
}

fn curves(args: &CurvesArgs) -> Result<(), CliError> {
    let library = PresetLibrary::load();
    let slots = slot_sources(&args.sims, &library)?;
    let chain = Chain::build(&args.chain, &library, &slots)?;
    let columns = chain.curves.named_curves(SlotView::Delta);
    let mut csv = String::from("frequency");
    for c in &columns {
        csv.push(',');
        csv.push_str(&c.name.replace(',', ";"));
    }
    csv.push('\n');
    for (i, f) in curve::grid_hz().iter().enumerate() {
        csv.push_str(&format!("{f:.2}"));
        for c in &columns {
            csv.push_str(&format!(
                ",{:.3}",
                c.curve.values_db().get(i).copied().unwrap_or(0.0)
            ));
        }
        csv.push('\n');
    }
    write_file(&args.output, csv.as_bytes())?;
    println!(
        "wrote {} ({} columns, {} frequencies)",
        args.output.display(),
        columns.len() + 1,
        curve::GRID_LEN
    );
    println!(
        "preamp {:.2} dB, the same for the reference and every simulation (\"reference chain\" = \
         correction + preamp, what the plugin plays)",
        chain.curves.preamp_db
    );
    for (k, slot) in chain.curves.slots.iter().enumerate() {
        println!(
            "  slot {}: {:<44} level match {:+.2} dB{}",
            k + 1,
            slot.name,
            -slot.level_gain_db,
            if slot.mono { ", mono" } else { "" }
        );
    }
    Ok(())
}

fn plot_command(args: &PlotArgs) -> Result<(), CliError> {
    let library = PresetLibrary::load();
    let slots = slot_sources(&args.sims, &library)?;
    let chain = Chain::build(&args.chain, &library, &slots)?;
    let curves = chain.curves.named_curves(SlotView::Heard);
    let title = format!(
        "{} corrected to {}",
        chain.headphone.name, chain.target_label
    );
    if args.width < 320 || args.height < 200 || args.width > 8000 || args.height > 8000 {
        return Err(CliError::Input(
            "image size must be 320×200 … 8000×8000".into(),
        ));
    }
    plot::draw(&args.output, &title, &curves, args.width, args.height).map_err(CliError::Output)?;
    println!("wrote {}", args.output.display());
    Ok(())
}

/// The headphone of `--headphone FILE` (imported with `column`) or `--headphone-id ID` (from
/// the built-in library, held as data like an import), if either was given.
fn load_headphone(
    file: Option<&Path>,
    id: Option<&str>,
    column: &Option<String>,
) -> Result<Option<Headphone>, CliError> {
    match (file, id) {
        (Some(path), _) => {
            let options = ImportOptions {
                column: column.clone(),
                ..ImportOptions::default()
            };
            Ok(Some(
                Headphone::import(path, &options).map_err(CliError::input)?,
            ))
        }
        (None, Some(id)) => {
            let library = HeadphoneLibrary::builtin();
            match library.find(id) {
                Some(entry) => Ok(Some(entry.to_headphone())),
                None => {
                    let close: Vec<&str> = library
                        .search(id)
                        .iter()
                        .map(|e| e.id.as_str())
                        .take(5)
                        .collect();
                    let hint = if close.is_empty() {
                        "see `refcan headphones`".to_string()
                    } else {
                        format!("did you mean {}?", close.join(", "))
                    };
                    Err(CliError::Input(format!(
                        "--headphone-id: no built-in headphone {id:?} ({hint})"
                    )))
                }
            }
        }
        (None, None) => Ok(None),
    }
}

fn list_headphones(filter: Option<&str>) -> Result<(), CliError> {
    let library = HeadphoneLibrary::builtin();
    for m in library.messages() {
        eprintln!("warning: {m}");
    }
    let shown = library.search(filter.unwrap_or(""));
    for e in &shown {
        println!(
            "{:<32} {:<36} {:<8} fit {:.3} dB rms",
            e.id,
            e.name,
            e.form.name(),
            e.fit_rms_db
        );
        println!("{:<32} rig: {} ({})", "", e.rig_kind().id(), e.rig);
        println!("{:<32} source: {}", "", e.source_line());
    }
    println!(
        "{} of {} built-in headphones",
        shown.len(),
        library.entries().len()
    );
    Ok(())
}

fn browse(root: &Path, filter: Option<&str>) -> Result<(), CliError> {
    let entries = io::library::browse_autoeq(root).map_err(CliError::input)?;
    let needle = filter.map(str::to_lowercase);
    let mut shown = 0;
    for e in &entries {
        if needle
            .as_ref()
            .is_some_and(|n| !e.name.to_lowercase().contains(n.as_str()))
        {
            continue;
        }
        shown += 1;
        println!("{}  [{} / {}]", e.name, e.source, e.form);
        let files = [
            ("measurement", &e.files.measurement_csv),
            ("result", &e.files.result_csv),
            ("parametric", &e.files.parametric_eq),
            ("graphic", &e.files.graphic_eq),
        ];
        for (label, path) in files {
            if let Some(p) = path {
                println!("    {label:<12} {}", p.display());
            }
        }
    }
    println!("{shown} of {} headphones", entries.len());
    Ok(())
}

fn list_targets() {
    let library = PresetLibrary::load();
    for t in &library.targets {
        println!("{:<28} {}", t.id, t.name);
        let rig = match (t.rig_id, &t.rig) {
            (Some(r), _) => format!("{} ({})", r.id(), r.label()),
            (None, Some(text)) => {
                format!("none specific: {}", text.split(';').next().unwrap_or(text))
            }
            (None, None) => "not stated".into(),
        };
        println!("{:<28} rig: {rig}", "");
        if let Some(src) = source_line(&t.source) {
            println!("{:<28} source: {src}", "");
        }
    }
    for m in &library.messages {
        eprintln!("refcan: {m}");
    }
}

fn list_simulations() {
    let library = PresetLibrary::load();
    for s in &library.simulations {
        let flags = if s.simulation().mono { " [mono]" } else { "" };
        println!("{:<26} {}{flags}", s.id, s.name);
        if let Some(d) = &s.derivation {
            match (&d.fit_error_db, &d.statement) {
                (Some(e), _) => println!(
                    "{:<26} fit error {:.2} dB rms, {:.2} dB max over {:.0}–{:.0} Hz",
                    "", e.rms, e.max, e.band_hz[0], e.band_hz[1]
                ),
                (None, Some(statement)) => println!("{:<26} {statement}", ""),
                _ => {}
            }
        }
        for src in s.sources.iter().filter_map(source_line).take(2) {
            println!("{:<26} source: {src}", "");
        }
    }
    for m in &library.messages {
        eprintln!("refcan: {m}");
    }
}

fn list_plugin_presets() {
    let library = PresetLibrary::load();
    let (presets, messages) = plugin_presets(&library, user_preset_dir().as_deref());
    for p in &presets {
        println!("{:<30} {}", p.id, p.name);
        println!(
            "{:<30} target {}, slots: {}",
            "",
            p.values.target.preset_id(),
            {
                let names: Vec<String> = p
                    .state
                    .slots
                    .iter()
                    .map(|s| match s {
                        SlotContent::Simulation { id, .. } => id.clone(),
                        SlotContent::OtherHeadphone { headphone } => headphone.name.clone(),
                    })
                    .collect();
                names.join(", ")
            }
        );
    }
    for m in &messages {
        eprintln!("refcan: {m}");
    }
}

fn source_line(s: &refcan::presets::SourceRef) -> Option<String> {
    match (&s.repository, &s.path, &s.description, &s.url) {
        (Some(repo), Some(path), _, _) => Some(format!("{repo}:{path}")),
        (_, _, Some(d), _) => Some(d.chars().take(110).collect()),
        (_, _, _, Some(url)) => Some(url.clone()),
        _ => None,
    }
}

fn preset(args: &PresetArgs, matches: Option<&clap::ArgMatches>) -> Result<(), CliError> {
    let library = PresetLibrary::load();
    let mut headphone = load_headphone(
        args.headphone.as_deref(),
        args.headphone_id.as_deref(),
        &args.headphone_column,
    )?;
    if let Some(rig) = parse_rig(args.rig.as_deref())? {
        match headphone.as_mut() {
            Some(h) => h.rig = Some(rig),
            None => {
                return Err(CliError::Input(
                    "--rig needs --headphone or --headphone-id".into(),
                ));
            }
        }
    }
    // The base: the defaults, or a factory/user preset (then only the options given on the
    // command line change it).
    let (mut values, mut doc) = match &args.from {
        None => (
            ParamValues::default(),
            RefcanState {
                headphone: headphone.clone(),
                ..RefcanState::default()
            },
        ),
        Some(id) => {
            let (presets, _) = plugin_presets(&library, user_preset_dir().as_deref());
            let found = presets.iter().find(|p| &p.id == id).cloned();
            let chosen = match found {
                Some(p) => p,
                None if Path::new(id).exists() => {
                    let json = std::fs::read_to_string(id)
                        .map_err(|e| CliError::Input(format!("{id}: cannot read: {e}")))?;
                    PluginPreset::parse(id, &json, "file", &library)
                        .map_err(|e| CliError::Input(format!("--from: {e}")))?
                }
                None => {
                    let ids: Vec<&str> = presets.iter().map(|p| p.id.as_str()).collect();
                    return Err(CliError::Input(format!(
                        "--from '{id}' is neither a preset ({}) nor a file",
                        ids.join(", ")
                    )));
                }
            };
            chosen.apply(headphone.clone())
        }
    };
    let given = |name: &str| {
        args.from.is_none()
            || matches.is_some_and(|m| {
                m.value_source(name) == Some(clap::parser::ValueSource::CommandLine)
            })
    };
    let settings = chain_settings(&args.knobs)?;
    if given("target") {
        values.target = TargetChoice::from_preset_id(&args.target).ok_or_else(|| {
            let ids: Vec<&str> = (0..TargetChoice::variants().len())
                .map(|i| TargetChoice::from_index(i).preset_id())
                .collect();
            CliError::Input(format!(
                "--target '{}' is not a built-in target the plugin offers ({})",
                args.target,
                ids.join(", ")
            ))
        })?;
    }
    if given("filter_mode") {
        values.filter_mode = FilterModeChoice::from_id(&args.filter_mode).ok_or_else(|| {
            CliError::Input(format!(
                "--filter-mode '{}' is not zero_latency, linear_phase or low_cpu",
                args.filter_mode
            ))
        })?;
    }
    if given("correct") {
        values.correct = on_off("--correct", &args.correct)?;
    }
    if given("level_match") {
        values.level_match = on_off("--level-match", &args.level_match)?;
    }
    if given("crossfeed") {
        values.crossfeed = CrossfeedChoice::from_id(&args.crossfeed).ok_or_else(|| {
            CliError::Input(format!(
                "--crossfeed '{}' is not off, meier, chu_moy or bs2b_default",
                args.crossfeed
            ))
        })?;
    }
    if given("offline_render") {
        doc.offline_render = OfflineRender::from_id(&args.offline_render).ok_or_else(|| {
            CliError::Input(format!(
                "--offline-render '{}' is not bypass or process",
                args.offline_render
            ))
        })?;
    }
    if given("max_boost") {
        doc.max_boost_db = settings.correction.max_boost_db;
    }
    if given("amount") {
        values.amount_percent = settings.correction.amount_percent as f32;
    }
    if given("room_gain") {
        values.room_gain_db = settings.knobs.room_gain_db as f32;
    }
    if given("pinna_gain") {
        values.pinna_gain_percent = settings.knobs.pinna_gain_percent as f32;
    }
    if given("tilt") {
        values.tilt_db_per_oct = settings.knobs.tilt_db_per_oct as f32;
    }
    if given("treble") {
        values.treble_db = settings.knobs.treble_db as f32;
    }
    for text in &args.slots {
        let (k, content) = parse_slot_assignment(text, &library)
            .map_err(|e| CliError::Input(format!("--slot: {e}")))?;
        doc.slots[k] = content;
    }
    if given("listen") {
        values.listen = ListenChoice::parse(&args.listen, &doc.slots)
            .map_err(|e| CliError::Input(format!("--listen: {e}")))?;
    }
    doc.validate().map_err(CliError::input)?;
    let (target, filter_mode, listen, level_match, offline_render) = (
        values.target,
        values.filter_mode,
        values.listen,
        values.level_match,
        doc.offline_render,
    );
    let settings = values.design_settings(doc.max_boost_db).chain;
    let state = plugin_state(&values, &doc);
    let json = serde_json::to_vec(&state)
        .map_err(|e| CliError::Output(format!("cannot serialise the state: {e}")))?;
    write_file(&args.output, &json)?;
    match &doc.headphone {
        Some(h) => println!(
            "wrote {}: {} ({}) corrected to {}, {}",
            args.output.display(),
            h.name,
            h.format.name(),
            target.preset_id(),
            filter_mode.id()
        ),
        None => println!("wrote {}: no headphone", args.output.display()),
    }
    if let Some(h) = &doc.headphone {
        let chosen = library.target(target.preset_id()).map(|t| t.name.clone());
        if let (Some(r), Some(name)) = (
            refcan::rig::resolve_target(&library, target.preset_id(), h.rig),
            chosen,
        ) {
            println!("  {}", r.describe(&name));
        }
    }
    for (k, slot) in doc.slots.iter().enumerate() {
        let heard = if listen.index() == k + 1 {
            "  ← listen"
        } else {
            ""
        };
        println!("  slot {}: {}{heard}", k + 1, slot.name());
    }
    println!(
        "  offline render: {} (level match {}, crossfeed {})",
        offline_render.id(),
        if level_match { "on" } else { "off" },
        values.crossfeed.id()
    );
    if filter_mode == FilterModeChoice::LowCpu {
        // What Low CPU will deviate from the curve by, at the common rates.
        let library = PresetLibrary::builtin();
        let settings = DesignSettings {
            mode: FilterMode::LowCpu,
            target_id: target.preset_id().to_string(),
            chain: settings,
        };
        for rate in [44_100.0, 48_000.0, 96_000.0] {
            let layout = Layout::new(1, rate, 512);
            let bank = design::design(
                &settings,
                doc.headphone.as_ref(),
                &doc.slots,
                &layout,
                &library,
            )
            .map_err(CliError::input)?;
            if let Some(err) = bank.entries[0].fit_max_error_db {
                println!(
                    "low_cpu fit at {rate} Hz: max error {err:.3} dB over 20 Hz–16 kHz \
                     ({} filters)",
                    design::LOW_CPU_FILTERS
                );
            }
        }
    }
    Ok(())
}

/// `on` or `off` for option `flag`.
fn on_off(flag: &str, value: &str) -> Result<bool, CliError> {
    match value {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(CliError::Input(format!(
            "{flag} '{other}' is not on or off"
        ))),
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes)
        .map_err(|e| CliError::Output(format!("{}: cannot write: {e}", path.display())))
}
