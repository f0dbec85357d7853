//! Built-in presets (targets, simulations) embedded at build time, plus the user preset folder.
//!
//! Targets (`presets/targets/*.json`, format `refcan-target-1`) are baseline curves as
//! tables of `[freq_hz, gain_db]` points (interpolated linearly in log frequency) plus
//! optional RBJ filters (the Harman bass shelves), with their source and the table's error
//! against it. Simulations (`presets/simulations/*.json`, format `refcan-simulation-1`) are
//! parametric device responses relative to a reference target (see
//! [`crate::curve::simulation`]), with their sources and fit error or the statement that
//! they are engineering estimates. Ids are a public contract: never rename one.
//!
//! Users can add presets of the same formats under [`user_preset_dir`]
//! (`<config dir>/refcan/presets/{targets,simulations}/*.json`). A bad user file is skipped
//! with a message in [`PresetLibrary::messages`]; nothing here panics on file contents.

use crate::curve::grid::{GRID_MAX_HZ, GRID_MIN_HZ};
use crate::curve::points::Shown;
use crate::curve::simulation::{BandLimit, Simulation, SimulationError};
use crate::curve::{PointError, Response};
use crate::filter::FilterSpec;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Format tag of target preset files.
pub const TARGET_FORMAT: &str = "refcan-target-1";
/// Format tag of simulation preset files.
pub const SIMULATION_FORMAT: &str = "refcan-simulation-1";
/// Largest preset file read from the user folder, in bytes.
pub const MAX_PRESET_FILE_BYTES: u64 = 1 << 20;
/// Most table points a target may have.
pub const MAX_TARGET_POINTS: usize = 20_000;

/// Built-in target files: (path in the repository, contents).
const BUILTIN_TARGETS: &[(&str, &str)] = &[
    (
        "presets/targets/diffuse_field_iso_11904_2.json",
        include_str!("../presets/targets/diffuse_field_iso_11904_2.json"),
    ),
    (
        "presets/targets/harman_in_room_flat_2013.json",
        include_str!("../presets/targets/harman_in_room_flat_2013.json"),
    ),
    (
        "presets/targets/harman_oe_2018.json",
        include_str!("../presets/targets/harman_oe_2018.json"),
    ),
    (
        "presets/targets/harman_ie_2019v2.json",
        include_str!("../presets/targets/harman_ie_2019v2.json"),
    ),
    (
        "presets/targets/diffuse_field_gras_kemar.json",
        include_str!("../presets/targets/diffuse_field_gras_kemar.json"),
    ),
    (
        "presets/targets/diffuse_field_5128.json",
        include_str!("../presets/targets/diffuse_field_5128.json"),
    ),
];

/// Built-in simulation files: (path in the repository, contents).
const BUILTIN_SIMULATIONS: &[(&str, &str)] = &[
    (
        "presets/simulations/harman_oe_2018.json",
        include_str!("../presets/simulations/harman_oe_2018.json"),
    ),
    (
        "presets/simulations/harman_ie_2019.json",
        include_str!("../presets/simulations/harman_ie_2019.json"),
    ),
    (
        "presets/simulations/bass_boosted_earbuds.json",
        include_str!("../presets/simulations/bass_boosted_earbuds.json"),
    ),
    (
        "presets/simulations/open_earbuds.json",
        include_str!("../presets/simulations/open_earbuds.json"),
    ),
    (
        "presets/simulations/wired_earbuds.json",
        include_str!("../presets/simulations/wired_earbuds.json"),
    ),
    (
        "presets/simulations/sport_earbuds.json",
        include_str!("../presets/simulations/sport_earbuds.json"),
    ),
    (
        "presets/simulations/consumer_over_ear_warm.json",
        include_str!("../presets/simulations/consumer_over_ear_warm.json"),
    ),
    (
        "presets/simulations/phone_speaker.json",
        include_str!("../presets/simulations/phone_speaker.json"),
    ),
    (
        "presets/simulations/laptop_speakers.json",
        include_str!("../presets/simulations/laptop_speakers.json"),
    ),
    (
        "presets/simulations/car.json",
        include_str!("../presets/simulations/car.json"),
    ),
    (
        "presets/simulations/tv.json",
        include_str!("../presets/simulations/tv.json"),
    ),
    (
        "presets/simulations/club_pa.json",
        include_str!("../presets/simulations/club_pa.json"),
    ),
    (
        "presets/simulations/studio_monitors_room.json",
        include_str!("../presets/simulations/studio_monitors_room.json"),
    ),
    (
        "presets/simulations/sony_wh_1000xm4.json",
        include_str!("../presets/simulations/sony_wh_1000xm4.json"),
    ),
    (
        "presets/simulations/beats_solo_pro.json",
        include_str!("../presets/simulations/beats_solo_pro.json"),
    ),
    (
        "presets/simulations/bang_olufsen_beoplay_h95.json",
        include_str!("../presets/simulations/bang_olufsen_beoplay_h95.json"),
    ),
    (
        "presets/simulations/sony_mdr_7506.json",
        include_str!("../presets/simulations/sony_mdr_7506.json"),
    ),
    (
        "presets/simulations/audio_technica_ath_m50x.json",
        include_str!("../presets/simulations/audio_technica_ath_m50x.json"),
    ),
    (
        "presets/simulations/sennheiser_hd280_pro.json",
        include_str!("../presets/simulations/sennheiser_hd280_pro.json"),
    ),
    (
        "presets/simulations/beyerdynamic_dt770_pro_worn.json",
        include_str!("../presets/simulations/beyerdynamic_dt770_pro_worn.json"),
    ),
    (
        "presets/simulations/sennheiser_hd650.json",
        include_str!("../presets/simulations/sennheiser_hd650.json"),
    ),
    (
        "presets/simulations/samsung_galaxy_buds_pro.json",
        include_str!("../presets/simulations/samsung_galaxy_buds_pro.json"),
    ),
    (
        "presets/simulations/samsung_galaxy_buds2_pro.json",
        include_str!("../presets/simulations/samsung_galaxy_buds2_pro.json"),
    ),
    (
        "presets/simulations/sony_wf_1000xm4.json",
        include_str!("../presets/simulations/sony_wf_1000xm4.json"),
    ),
    (
        "presets/simulations/sony_wf_1000xm5.json",
        include_str!("../presets/simulations/sony_wf_1000xm5.json"),
    ),
    (
        "presets/simulations/jabra_elite_75t.json",
        include_str!("../presets/simulations/jabra_elite_75t.json"),
    ),
    (
        "presets/simulations/sennheiser_momentum_true_wireless_3.json",
        include_str!("../presets/simulations/sennheiser_momentum_true_wireless_3.json"),
    ),
    (
        "presets/simulations/bose_quietcomfort_20.json",
        include_str!("../presets/simulations/bose_quietcomfort_20.json"),
    ),
    (
        "presets/simulations/sony_mh755.json",
        include_str!("../presets/simulations/sony_mh755.json"),
    ),
    (
        "presets/simulations/apple_me186_in_ear.json",
        include_str!("../presets/simulations/apple_me186_in_ear.json"),
    ),
];

/// The built-in preset file paths (targets then simulations), for tests and tooling.
pub fn builtin_files() -> impl Iterator<Item = &'static str> {
    BUILTIN_TARGETS
        .iter()
        .chain(BUILTIN_SIMULATIONS)
        .map(|(path, _)| *path)
}

/// Why a preset file was skipped. `file` names the file (a path, or `builtin:<path>`).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PresetError {
    /// The file could not be read.
    #[error("{file}: cannot read: {message}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's message.
        message: String,
    },
    /// The file is larger than [`MAX_PRESET_FILE_BYTES`].
    #[error("{file}: {size_bytes} bytes is more than the {limit_bytes}-byte limit for a preset")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        size_bytes: u64,
        /// The limit.
        limit_bytes: u64,
    },
    /// The JSON does not parse or does not have the expected shape.
    #[error("{file}:{line}:{column}: {message}")]
    Json {
        /// The file.
        file: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What serde expected.
        message: String,
    },
    /// A field has an unusable value.
    #[error("{file}: field `{field}`: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The field (dotted path).
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The id is already taken (by a built-in or an earlier user file).
    #[error("{file}: id `{id}` is already used by {other}; file skipped")]
    DuplicateId {
        /// The file.
        file: String,
        /// The id.
        id: String,
        /// The file that has it.
        other: String,
    },
}

/// Where a preset's data came from (a repository file, a paper, a web page).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceRef {
    /// `owner/name` of a repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Path inside the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Commit the file was read at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Licence of the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// What the source is used for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Free-text citation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Web address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Maximum error of a target table against its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableError {
    /// Largest |table − source| in dB over `band_hz`.
    pub max: f64,
    /// The band checked, Hz.
    pub band_hz: [f64; 2],
    /// What the table was compared with.
    #[serde(default)]
    pub against: String,
}

/// A reference target preset (`refcan-target-1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetPreset {
    /// Format tag, [`TARGET_FORMAT`].
    pub format: String,
    /// Stable id (lowercase letters, digits, `_`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Where the table comes from.
    #[serde(default)]
    pub source: SourceRef,
    /// The measurement rig the target belongs to, in words.
    #[serde(default)]
    pub rig: Option<String>,
    /// The rig as an id; absent for a target that assumes no particular rig (ISO 11904-2).
    #[serde(default)]
    pub rig_id: Option<crate::rig::Rig>,
    /// The target family (`harman`, `diffuse_field`, `in_room_flat`): targets of one family
    /// for different rigs stand in for each other (see [`crate::rig`]).
    #[serde(default)]
    pub family: Option<String>,
    /// Filters added to the table (e.g. the Harman bass shelf).
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    /// Rate at which `filters` are evaluated, Hz.
    #[serde(default = "default_filter_rate")]
    pub filter_sample_rate_hz: f64,
    /// The table's error against its source.
    #[serde(default)]
    pub table_error_db: Option<TableError>,
    /// Free-form derivation record (tool, command, method).
    #[serde(default)]
    pub derivation: Option<serde_json::Value>,
    /// Remarks.
    #[serde(default)]
    pub notes: Option<String>,
    /// `[freq_hz, gain_db]` table points, ascending.
    pub points: Vec<[f64; 2]>,
}

fn default_filter_rate() -> f64 {
    crate::curve::REFERENCE_SAMPLE_RATE_HZ
}

/// A fit error summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitError {
    /// RMS error in dB over `band_hz`.
    pub rms: f64,
    /// Maximum |error| in dB over `band_hz`.
    pub max: f64,
    /// The band, Hz.
    pub band_hz: [f64; 2],
    /// Maximum |error| above 10 kHz, dB (less reliable data, down-weighted in the fit).
    #[serde(default)]
    pub max_above_10k: Option<f64>,
}

/// How a simulation was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DerivationMethod {
    /// Filters fitted to measured data; `fit_error_db` says how well.
    Fit,
    /// Parameters chosen from qualitative sources; no fit error exists.
    EngineeringEstimate,
}

/// How a simulation was derived, reproducibly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derivation {
    /// Fit or engineering estimate.
    pub method: DerivationMethod,
    /// What was fitted.
    #[serde(default)]
    pub fitted: Option<String>,
    /// Error of the whole simulation against the smoothed data.
    #[serde(default)]
    pub fit_error_db: Option<FitError>,
    /// What `fit_error_db` was measured against.
    #[serde(default)]
    pub fit_error_against: Option<String>,
    /// The built-in headphone (`presets/headphones/<id>.json`) whose table was fitted, for
    /// simulations of a measured device; a test recomputes the fit error from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headphone_id: Option<String>,
    /// The target preset the fit used: the Harman target a device is judged by, or the
    /// target whose difference from the reference a Harman simulation is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// Error of the device part alone (device − the Harman target it is judged by).
    #[serde(default)]
    pub device_part_fit_error_db: Option<FitError>,
    /// For estimates: the plain statement that it is one.
    #[serde(default)]
    pub statement: Option<String>,
    /// The script that produced the file.
    #[serde(default)]
    pub tool: Option<String>,
    /// The command line that reproduces the file.
    #[serde(default)]
    pub command: Option<String>,
}

/// A device simulation preset (`refcan-simulation-1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationPreset {
    /// Format tag, [`SIMULATION_FORMAT`].
    pub format: String,
    /// Stable id (lowercase letters, digits, `_`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Device family (`headphone`, `earbud`, `in_ear`, `loudspeaker`, …).
    #[serde(default)]
    pub category: String,
    /// Id of the target the simulation is relative to.
    pub relative_to: String,
    /// RBJ filters.
    #[serde(default)]
    pub filters: Vec<FilterSpec>,
    /// Sum to mono.
    #[serde(default)]
    pub mono: bool,
    /// Optional high-/low-pass.
    #[serde(default)]
    pub band_limit: BandLimit,
    /// How the parameters were obtained.
    #[serde(default)]
    pub derivation: Option<Derivation>,
    /// Measurements, papers, pages.
    #[serde(default)]
    pub sources: Vec<SourceRef>,
    /// Remarks.
    #[serde(default)]
    pub notes: Option<String>,
}

impl TargetPreset {
    /// The target curve: table + filters, centred at 1 kHz, known over the whole grid.
    pub fn curve(&self) -> Result<Response, PointError> {
        let table = Response::from_pairs(&self.points)?;
        let filters = Response::from_filters(&self.filters, self.filter_sample_rate_hz);
        Ok(table
            .plus(&filters)
            .centered()
            .with_band(GRID_MIN_HZ, GRID_MAX_HZ))
    }

    /// Parses and validates one target file; `file` names it in errors.
    pub fn parse(file: &str, json: &str) -> Result<Self, PresetError> {
        let preset: Self = parse_json(file, json)?;
        preset.validate(file)?;
        Ok(preset)
    }

    fn validate(&self, file: &str) -> Result<(), PresetError> {
        check_header(file, &self.format, TARGET_FORMAT, &self.id, &self.name)?;
        if self.points.len() > MAX_TARGET_POINTS {
            return Err(invalid(
                file,
                "points",
                format!("{} points; at most {MAX_TARGET_POINTS}", self.points.len()),
            ));
        }
        if let Err(e) = Response::from_pairs(&self.points) {
            return Err(invalid(file, "points", e.to_string()));
        }
        if !(self.filter_sample_rate_hz.is_finite()
            && (8_000.0..=768_000.0).contains(&self.filter_sample_rate_hz))
        {
            return Err(invalid(
                file,
                "filter_sample_rate_hz",
                format!(
                    "{} is outside 8000…768000 Hz",
                    Shown(self.filter_sample_rate_hz)
                ),
            ));
        }
        let as_sim = Simulation {
            filters: self.filters.clone(),
            ..Default::default()
        };
        as_sim.validate().map_err(|e| simulation_error(file, &e))
    }
}

impl SimulationPreset {
    /// The simulation parameters.
    pub fn simulation(&self) -> Simulation {
        Simulation {
            filters: self.filters.clone(),
            mono: self.mono,
            band_limit: self.band_limit,
        }
    }

    /// `ΔS` as a curve (see [`Simulation::delta`]).
    pub fn delta(&self) -> Response {
        self.simulation().delta()
    }

    /// Parses and validates one simulation file; `file` names it in errors.
    pub fn parse(file: &str, json: &str) -> Result<Self, PresetError> {
        let preset: Self = parse_json(file, json)?;
        check_header(
            file,
            &preset.format,
            SIMULATION_FORMAT,
            &preset.id,
            &preset.name,
        )?;
        check_id(file, "relative_to", &preset.relative_to)?;
        preset
            .simulation()
            .validate()
            .map_err(|e| simulation_error(file, &e))?;
        if let Some(d) = &preset.derivation {
            match d.method {
                DerivationMethod::Fit if d.fit_error_db.is_none() => {
                    return Err(invalid(
                        file,
                        "derivation.fit_error_db",
                        "a fitted simulation must state its fit error".into(),
                    ));
                }
                DerivationMethod::EngineeringEstimate if d.statement.is_none() => {
                    return Err(invalid(
                        file,
                        "derivation.statement",
                        "an engineering estimate must say so".into(),
                    ));
                }
                _ => {}
            }
        }
        Ok(preset)
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(file: &str, json: &str) -> Result<T, PresetError> {
    serde_json::from_str(json).map_err(|e| {
        // serde_json appends " at line L column C"; the error carries those separately.
        let text = e.to_string();
        let message = match text.rfind(" at line ") {
            Some(cut) => text[..cut].to_owned(),
            None => text,
        };
        PresetError::Json {
            file: file.to_owned(),
            line: e.line(),
            column: e.column(),
            message,
        }
    })
}

/// Names the offending field of a simulation (or target filter) error.
fn simulation_error(file: &str, e: &SimulationError) -> PresetError {
    let (field, message) = match e {
        SimulationError::BadFilter {
            index,
            field,
            value,
            expected,
        } => (
            format!("filters[{index}].{field}"),
            format!("{} is outside {expected}", Shown(*value)),
        ),
        SimulationError::BadBandLimit { which, message } => {
            (format!("band_limit.{which}"), message.clone())
        }
        SimulationError::TooManyFilters { .. } => ("filters".to_owned(), e.to_string()),
    };
    PresetError::Invalid {
        file: file.to_owned(),
        field,
        message,
    }
}

fn invalid(file: &str, field: &str, message: String) -> PresetError {
    PresetError::Invalid {
        file: file.to_owned(),
        field: field.to_owned(),
        message,
    }
}

fn check_id(file: &str, field: &str, id: &str) -> Result<(), PresetError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            file,
            field,
            format!("`{id}` is not 1–64 characters of a–z, 0–9 and _"),
        ))
    }
}

fn check_header(
    file: &str,
    format: &str,
    want: &str,
    id: &str,
    name: &str,
) -> Result<(), PresetError> {
    if format != want {
        return Err(invalid(
            file,
            "format",
            format!("`{format}`; expected `{want}`"),
        ));
    }
    check_id(file, "id", id)?;
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(invalid(file, "name", "must be 1–200 characters".into()));
    }
    Ok(())
}

/// All presets: the built-ins, then valid user files; skipped files are in `messages`.
#[derive(Debug, Clone, Default)]
pub struct PresetLibrary {
    /// Reference targets, built-ins first.
    pub targets: Vec<TargetPreset>,
    /// Device simulations, built-ins first.
    pub simulations: Vec<SimulationPreset>,
    /// One message per skipped file (shown to the user; empty when all is well).
    pub messages: Vec<PresetError>,
    /// The file each target came from (parallel to `targets`).
    target_files: Vec<String>,
    /// The file each simulation came from (parallel to `simulations`).
    simulation_files: Vec<String>,
}

/// The per-OS user preset folder: `<config dir>/refcan/presets` (e.g.
/// `~/.config/refcan/presets` on Linux, `%APPDATA%\refcan\presets` on Windows,
/// `~/Library/Application Support/refcan/presets` on macOS).
pub fn user_preset_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("refcan").join("presets"))
}

impl PresetLibrary {
    /// The embedded presets only.
    pub fn builtin() -> Self {
        let mut lib = Self::default();
        for (path, json) in BUILTIN_TARGETS {
            let file = format!("builtin:{path}");
            match TargetPreset::parse(&file, json) {
                Ok(p) => lib.add_target(p, file),
                Err(e) => lib.messages.push(e),
            }
        }
        for (path, json) in BUILTIN_SIMULATIONS {
            let file = format!("builtin:{path}");
            match SimulationPreset::parse(&file, json) {
                Ok(p) => lib.add_simulation(p, file),
                Err(e) => lib.messages.push(e),
            }
        }
        lib
    }

    /// Built-ins plus the user folder ([`user_preset_dir`]) if it exists.
    pub fn load() -> Self {
        let mut lib = Self::builtin();
        if let Some(dir) = user_preset_dir() {
            lib.add_user_dir(&dir);
        }
        lib
    }

    /// Adds `dir/targets/*.json` and `dir/simulations/*.json` (sorted by file name); a
    /// missing folder is not an error, a bad file is skipped with a message.
    pub fn add_user_dir(&mut self, dir: &Path) {
        for path in json_files(&dir.join("targets"), &mut self.messages) {
            let file = path.display().to_string();
            if let Some(json) = read_preset_file(&path, &mut self.messages) {
                match TargetPreset::parse(&file, &json) {
                    Ok(p) => self.add_target(p, file),
                    Err(e) => self.messages.push(e),
                }
            }
        }
        for path in json_files(&dir.join("simulations"), &mut self.messages) {
            let file = path.display().to_string();
            if let Some(json) = read_preset_file(&path, &mut self.messages) {
                match SimulationPreset::parse(&file, &json) {
                    Ok(p) => self.add_simulation(p, file),
                    Err(e) => self.messages.push(e),
                }
            }
        }
    }

    /// The target with this id.
    pub fn target(&self, id: &str) -> Option<&TargetPreset> {
        self.targets.iter().find(|t| t.id == id)
    }

    /// The simulation with this id.
    pub fn simulation(&self, id: &str) -> Option<&SimulationPreset> {
        self.simulations.iter().find(|s| s.id == id)
    }

    fn add_target(&mut self, preset: TargetPreset, file: String) {
        if let Some(i) = self.targets.iter().position(|t| t.id == preset.id) {
            self.messages.push(PresetError::DuplicateId {
                file,
                id: preset.id.clone(),
                other: self.target_files.get(i).cloned().unwrap_or_default(),
            });
        } else {
            self.targets.push(preset);
            self.target_files.push(file);
        }
    }

    fn add_simulation(&mut self, preset: SimulationPreset, file: String) {
        if let Some(i) = self.simulations.iter().position(|s| s.id == preset.id) {
            self.messages.push(PresetError::DuplicateId {
                file,
                id: preset.id.clone(),
                other: self.simulation_files.get(i).cloned().unwrap_or_default(),
            });
        } else if self.target(&preset.relative_to).is_none() {
            self.messages.push(invalid(
                &file,
                "relative_to",
                format!("no target with id `{}`", preset.relative_to),
            ));
        } else {
            self.simulations.push(preset);
            self.simulation_files.push(file);
        }
    }
}

/// `*.json` files of a folder, sorted; a missing folder yields nothing.
fn json_files(dir: &Path, messages: &mut Vec<PresetError>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            messages.push(PresetError::Io {
                file: dir.display().to_string(),
                message: e.to_string(),
            });
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("json"))
        })
        .collect();
    files.sort();
    files
}

fn read_preset_file(path: &Path, messages: &mut Vec<PresetError>) -> Option<String> {
    let file = path.display().to_string();
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => {
            messages.push(PresetError::Io {
                file,
                message: e.to_string(),
            });
            return None;
        }
    };
    if size > MAX_PRESET_FILE_BYTES {
        messages.push(PresetError::TooLarge {
            file,
            size_bytes: size,
            limit_bytes: MAX_PRESET_FILE_BYTES,
        });
        return None;
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(e) => {
                messages.push(PresetError::Io {
                    file,
                    message: format!("not UTF-8 text ({e})"),
                });
                None
            }
        },
        Err(e) => {
            messages.push(PresetError::Io {
                file,
                message: e.to_string(),
            });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_without_messages() {
        let lib = PresetLibrary::builtin();
        assert!(lib.messages.is_empty(), "{:?}", lib.messages);
        assert_eq!(lib.targets.len(), BUILTIN_TARGETS.len());
        assert_eq!(lib.simulations.len(), BUILTIN_SIMULATIONS.len());
    }

    #[test]
    fn every_preset_file_in_the_repository_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let embedded: Vec<&str> = builtin_files().collect();
        for sub in ["presets/targets", "presets/simulations"] {
            let mut messages = Vec::new();
            for path in json_files(&root.join(sub), &mut messages) {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                assert!(embedded.contains(&rel.as_str()), "{rel} is not embedded");
            }
            assert!(messages.is_empty());
        }
    }

    #[test]
    fn bad_json_reports_line_and_column() {
        let err = TargetPreset::parse("x.json", "{\n  \"id\": 3\n}").unwrap_err();
        assert!(matches!(err, PresetError::Json { line: 2, .. }), "{err}");
    }

    #[test]
    fn bad_fields_are_named() {
        let json =
            r#"{"format":"refcan-target-1","id":"Bad Id","name":"x","points":[[20,0],[20000,0]]}"#;
        let err = TargetPreset::parse("x.json", json).unwrap_err();
        assert!(
            matches!(&err, PresetError::Invalid { field, .. } if field == "id"),
            "{err}"
        );
        let json = r#"{"format":"refcan-target-1","id":"ok","name":"x","points":[[20,0],[10,0]]}"#;
        let err = TargetPreset::parse("x.json", json).unwrap_err();
        assert!(
            matches!(&err, PresetError::Invalid { field, .. } if field == "points"),
            "{err}"
        );
        let json = r#"{"format":"refcan-simulation-1","id":"s","name":"x","relative_to":"t",
            "filters":[{"kind":"peaking","freq_hz":1000,"q":-1,"gain_db":3}]}"#;
        let err = SimulationPreset::parse("s.json", json).unwrap_err();
        assert!(
            matches!(&err, PresetError::Invalid { field, .. } if field == "filters[0].q"),
            "{err}"
        );
    }
}
