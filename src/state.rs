//! Persisted non-parameter state: a versioned JSON document with migrations.
//!
//! Parameters are saved by nice-plug itself. Everything else a project must reopen with (the
//! imported headphone profile as data, what each slot holds, …) lives in [`RefcanState`], stored
//! under the persist key [`PERSIST_KEY`] with a `format_version`. Loading runs the document
//! through [`migrate`] first, so old projects keep opening as fields are added; a document from
//! a newer Refcan, or a corrupted one, is refused and the instance keeps its previous state.

use crate::chain::SlotSource;
use crate::curve::correction::MAX_BOOST_RANGE_DB;
use crate::curve::simulation::Simulation;
use crate::curve::{CorrectionSettings, Response};
use crate::params::ParamValues;
use crate::presets::PresetLibrary;
use crate::source::Headphone;
use nice_plug::params::persist::PersistentField;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The persist key of the state document inside nice-plug's state (a public contract).
pub const PERSIST_KEY: &str = "refcan";

/// Where a document that could not be read whole is kept, as it was, inside the state that
/// replaced it (so saving the project again does not lose it).
pub const RECOVERED_KEY: &str = "unreadable_document";

/// The state format this build writes. Bump it, and add a step to `MIGRATIONS`, whenever a
/// change needs more than new fields with serde defaults.
///
/// History: 1 — empty document (plugin foundation); 2 — the headphone as data and the
/// correction's max boost; 3 — what the eight translation-check slots hold, and what to do
/// when the host renders offline.
pub const STATE_FORMAT_VERSION: u32 = 3;

/// Number of translation-check slots (the `listen` parameter: Reference, Slot 1…8).
pub const SLOT_COUNT: usize = 8;

/// The simulation presets the slots hold by default, in order (PRODUCT.md / the workflow
/// issue: Harman over-ear, Harman in-ear, bass-boosted earbuds, open earbuds, phone, laptop,
/// car, club).
pub const DEFAULT_SLOT_SIMULATIONS: [&str; SLOT_COUNT] = [
    "harman_oe_2018",
    "harman_ie_2019",
    "bass_boosted_earbuds",
    "open_earbuds",
    "phone_speaker",
    "laptop_speakers",
    "car",
    "club_pa",
];

/// One migration step: turns a document of version `n` into version `n + 1`.
type Migration = fn(Map<String, Value>) -> Result<Map<String, Value>, StateError>;

/// `MIGRATIONS[i]` upgrades version `i + 1` to `i + 2`. The array's length is tied to
/// [`STATE_FORMAT_VERSION`], so bumping the version without adding its step does not compile.
const MIGRATIONS: [Migration; STATE_FORMAT_VERSION as usize - 1] = [v1_to_v2, v2_to_v3];

/// Version 2 adds the headphone (none in a version-1 project) and the max boost (the
/// default the correction used then).
fn v1_to_v2(mut doc: Map<String, Value>) -> Result<Map<String, Value>, StateError> {
    doc.entry("headphone").or_insert(Value::Null);
    doc.entry("max_boost_db")
        .or_insert(Value::from(CorrectionSettings::default().max_boost_db));
    Ok(doc)
}

/// Why a saved state document was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateError {
    /// The document is not a JSON object or lacks a usable `format_version`.
    #[error("saved state is not a Refcan state document: {0}")]
    Malformed(String),
    /// Written by a newer Refcan than this one.
    #[error(
        "saved state has format version {found}, newer than this Refcan understands \
         ({supported}); update Refcan to open this project"
    )]
    FromTheFuture {
        /// The version in the document.
        found: u64,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A field has the wrong type or value for its version.
    #[error("saved state field is invalid: {0}")]
    Invalid(String),
    /// The document could not be read whole; what could be was kept (see
    /// [`RefcanState::recover`]).
    #[error("saved state could not be read whole: {0}")]
    Recovered(String),
}

/// Version 3 adds the slots: a project from before had none, so it gets the defaults.
fn v2_to_v3(mut doc: Map<String, Value>) -> Result<Map<String, Value>, StateError> {
    if !doc.contains_key("slots") {
        let slots = serde_json::to_value(default_slots())
            .map_err(|e| StateError::Invalid(format!("default slots: {e}")))?;
        doc.insert("slots".into(), slots);
    }
    Ok(doc)
}

/// What a translation-check slot holds, as data (a project reopens identically on a machine
/// without the preset or file it came from).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotContent {
    /// A device simulation: its preset id and name, and its parameters.
    Simulation {
        /// Preset id (e.g. `phone_speaker`).
        id: String,
        /// Display name.
        name: String,
        /// The filters and flags.
        simulation: Simulation,
    },
    /// "Listen through another headphone": its measurement, `ΔS = H_other − T_ref`.
    OtherHeadphone {
        /// The other headphone, as data.
        headphone: Headphone,
    },
}

impl SlotContent {
    /// The built-in simulation preset `id`, if there is one.
    pub fn builtin(id: &str) -> Option<Self> {
        let library = PresetLibrary::builtin();
        library.simulation(id).map(|p| Self::Simulation {
            id: p.id.clone(),
            name: p.name.clone(),
            simulation: p.simulation(),
        })
    }

    /// Checks the slot's data give a curve.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Self::Simulation { simulation, .. } => simulation.validate().map_err(|e| e.to_string()),
            Self::OtherHeadphone { headphone } => headphone
                .measurement_curve()
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }

    /// A short label for buttons and reports.
    pub fn name(&self) -> &str {
        match self {
            Self::Simulation { name, .. } => name,
            Self::OtherHeadphone { headphone } => &headphone.name,
        }
    }

    /// The chain's view of the slot.
    pub fn to_source(&self) -> Result<SlotSource, crate::source::SourceError> {
        Ok(match self {
            Self::Simulation {
                id,
                name,
                simulation,
            } => SlotSource::Simulation {
                id: id.clone(),
                name: name.clone(),
                simulation: simulation.clone(),
            },
            Self::OtherHeadphone { headphone } => SlotSource::OtherHeadphone {
                name: headphone.name.clone(),
                measurement: headphone.measurement_curve()?,
            },
        })
    }
}

/// What Refcan does while the host renders offline (PRODUCT.md, "Offline render safety").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfflineRender {
    /// Pass the audio through untouched, so no correction is printed into a bounce by
    /// accident.
    #[default]
    Bypass,
    /// Process as in real time: a deliberate translation-check bounce.
    Process,
}

impl OfflineRender {
    /// The id used in the state and on the command line (`bypass`, `process`).
    pub fn id(self) -> &'static str {
        match self {
            Self::Bypass => "bypass",
            Self::Process => "process",
        }
    }

    /// The choice for `id`, if it is one.
    pub fn from_id(id: &str) -> Option<Self> {
        match id {
            "bypass" => Some(Self::Bypass),
            "process" => Some(Self::Process),
            _ => None,
        }
    }
}

/// Reads a slot assignment `N=ID|FILE` (command line, scripts): slot `N` (1…8) holds the
/// simulation preset `ID` of `library`, or else the headphone measured in `FILE` (imported
/// now and kept as data). Returns the 0-based slot index and its content.
pub fn parse_slot_assignment(
    text: &str,
    library: &PresetLibrary,
) -> Result<(usize, SlotContent), String> {
    let (n, what) = text
        .split_once('=')
        .ok_or_else(|| format!("slot '{text}': expected N=ID or N=FILE, e.g. 3=car"))?;
    let index = n
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|k| (1..=SLOT_COUNT).contains(k))
        .ok_or_else(|| format!("slot '{text}': N must be 1 … {SLOT_COUNT}"))?
        - 1;
    let what = what.trim();
    if let Some(p) = library.simulation(what) {
        let content = SlotContent::Simulation {
            id: p.id.clone(),
            name: p.name.clone(),
            simulation: p.simulation(),
        };
        return Ok((index, content));
    }
    let path = std::path::Path::new(what);
    if !path.exists() {
        let ids: Vec<&str> = library.simulations.iter().map(|s| s.id.as_str()).collect();
        return Err(format!(
            "slot {}: '{what}' is neither a simulation id ({}) nor an existing file",
            index + 1,
            ids.join(", ")
        ));
    }
    let headphone = Headphone::import(path, &crate::io::ImportOptions::default())
        .map_err(|e| format!("slot {}: {e}", index + 1))?;
    let content = SlotContent::OtherHeadphone { headphone };
    content
        .validate()
        .map_err(|e| format!("slot {}: {what}: {e}", index + 1))?;
    Ok((index, content))
}

/// The eight default slots ([`DEFAULT_SLOT_SIMULATIONS`]).
pub fn default_slots() -> Vec<SlotContent> {
    DEFAULT_SLOT_SIMULATIONS
        .iter()
        .filter_map(|id| SlotContent::builtin(id))
        .collect()
}

/// Everything Refcan persists outside its parameters (format version 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefcanState {
    /// The format version the document was written in (always [`STATE_FORMAT_VERSION`] after
    /// loading).
    pub format_version: u32,
    /// The user's headphone as data (the measurement or EQ itself, not a path), so a project
    /// reopens on a machine that never saw the file. `None`: nothing to correct.
    #[serde(default)]
    pub headphone: Option<Headphone>,
    /// Largest boost of the correction, dB (0–12).
    #[serde(default = "default_max_boost_db")]
    pub max_boost_db: f64,
    /// What the eight translation-check slots hold.
    #[serde(default = "default_slots")]
    pub slots: Vec<SlotContent>,
    /// What Refcan does while the host renders offline (a bounce or export): pass the audio
    /// through untouched (default) or process it (a deliberate translation-check bounce).
    #[serde(default)]
    pub offline_render: OfflineRender,
    /// Fields this build does not know (written by a newer minor revision of the same format
    /// version): kept and written back so no user data is silently dropped.
    #[serde(flatten)]
    pub unknown: Map<String, Value>,
}

impl Default for RefcanState {
    fn default() -> Self {
        Self {
            format_version: STATE_FORMAT_VERSION,
            headphone: None,
            max_boost_db: default_max_boost_db(),
            slots: default_slots(),
            offline_render: OfflineRender::default(),
            unknown: Map::new(),
        }
    }
}

fn default_max_boost_db() -> f64 {
    CorrectionSettings::default().max_boost_db
}

impl RefcanState {
    /// Serialises the state into its JSON document.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| Value::Object(Map::new()))
    }

    /// Reads a state document of any supported version, migrating it to the current one, and
    /// checks it ([`RefcanState::validate`]).
    pub fn from_value(value: Value) -> Result<Self, StateError> {
        let migrated = migrate(value)?;
        let state: Self = serde_json::from_value(Value::Object(migrated))
            .map_err(|e| StateError::Invalid(e.to_string()))?;
        state.validate()?;
        Ok(state)
    }

    /// Reads what can be read of a document that [`RefcanState::from_value`] refuses (from a
    /// newer Refcan, or damaged) on top of the defaults; see [`RefcanState::recover_onto`].
    pub fn recover(value: Value) -> (Self, Option<StateError>) {
        Self::recover_onto(&Self::default(), value)
    }

    /// Reads what can be read of a document that [`RefcanState::from_value`] refuses (from a
    /// newer Refcan, or damaged): each field that parses and validates is taken, the others
    /// keep their value in `previous` (the defaults when a project opens, the current state
    /// when a host loads a preset into a running instance), and the whole original document is
    /// kept under [`RECOVERED_KEY`] so saving the project does not destroy it. Returns the
    /// state and, when the document was not read whole, the reason.
    pub fn recover_onto(previous: &Self, value: Value) -> (Self, Option<StateError>) {
        let original = value.clone();
        let err = match Self::from_value(value) {
            Ok(state) => return (state, None),
            Err(e) => e,
        };
        let mut state = previous.clone();
        let mut kept: Vec<String> = Vec::new();
        // Older versions go through their migrations first; a newer one is read as if it
        // were this version (fields keep their meaning within the format's history). A
        // document without a usable version is not a Refcan state: nothing is taken from it
        // (its `"headphone": null` must not remove the user's headphone).
        let doc = match migrate(original.clone()) {
            Ok(doc) => Some(doc),
            Err(StateError::FromTheFuture { .. }) => original.as_object().cloned(),
            Err(_) => None,
        };
        match doc {
            Some(doc) => {
                let field = |key: &str| doc.get(key).cloned();
                match field("headphone").map(serde_json::from_value::<Option<Headphone>>) {
                    Some(Ok(h)) => {
                        let usable = h.as_ref().is_none_or(|h| {
                            h.correction(&Response::flat(), &CorrectionSettings::default())
                                .is_ok()
                        });
                        if usable {
                            state.headphone = h;
                        } else {
                            kept.push("headphone".into());
                        }
                    }
                    Some(Err(_)) => kept.push("headphone".into()),
                    None => {}
                }
                if let Some(v) = field("max_boost_db") {
                    match v.as_f64() {
                        Some(b) if MAX_BOOST_RANGE_DB.contains(&b) => state.max_boost_db = b,
                        _ => kept.push("max_boost_db".into()),
                    }
                }
                if let Some(v) = field("offline_render") {
                    match serde_json::from_value(v) {
                        Ok(o) => state.offline_render = o,
                        Err(_) => kept.push("offline_render".into()),
                    }
                }
                if let Some(v) = field("slots") {
                    let items = v.as_array().cloned().unwrap_or_default();
                    for (i, slot) in state.slots.iter_mut().enumerate() {
                        let parsed = items
                            .get(i)
                            .and_then(|v| serde_json::from_value::<SlotContent>(v.clone()).ok())
                            .filter(|s| s.validate().is_ok());
                        match parsed {
                            Some(p) => *slot = p,
                            None => kept.push(format!("slot {}", i + 1)),
                        }
                    }
                }
            }
            None => kept.push("everything".into()),
        }
        state.unknown.insert(RECOVERED_KEY.into(), original);
        let kept = if state.same_design_inputs(previous) && !kept.is_empty() {
            format!("previous values kept for: {}", kept.join(", "))
        } else if state.same_design_inputs(previous) {
            "nothing in it was usable; previous values kept for: everything".to_string()
        } else if kept.is_empty() {
            "what could be read was taken".to_string()
        } else {
            format!(
                "what could be read was taken; previous values kept for: {}",
                kept.join(", ")
            )
        };
        let problem = StateError::Recovered(format!("{err}; {kept}"));
        (state, Some(problem))
    }

    /// True when `self` and `other` give the same designs: equal apart from fields this build
    /// does not read ([`RefcanState::unknown`], where a refused document is kept).
    pub fn same_design_inputs(&self, other: &Self) -> bool {
        self.headphone == other.headphone
            && self.max_boost_db == other.max_boost_db
            && self.slots == other.slots
            && self.offline_render == other.offline_render
    }

    /// Checks what the document holds: the max boost within its range, and a headphone whose
    /// data give a correction (the designer runs the same code, so a state that loads is a
    /// state that plays).
    pub fn validate(&self) -> Result<(), StateError> {
        if !(self.max_boost_db.is_finite() && MAX_BOOST_RANGE_DB.contains(&self.max_boost_db)) {
            return Err(StateError::Invalid(format!(
                "max_boost_db {} is outside {} … {} dB",
                crate::curve::points::Shown(self.max_boost_db),
                MAX_BOOST_RANGE_DB.start(),
                MAX_BOOST_RANGE_DB.end()
            )));
        }
        if let Some(h) = &self.headphone {
            h.correction(&Response::flat(), &CorrectionSettings::default())
                .map_err(|e| StateError::Invalid(format!("headphone '{}': {e}", h.name)))?;
        }
        if self.slots.len() != SLOT_COUNT {
            return Err(StateError::Invalid(format!(
                "{} slots, expected {SLOT_COUNT}",
                self.slots.len()
            )));
        }
        for (i, slot) in self.slots.iter().enumerate() {
            slot.validate().map_err(|e| {
                StateError::Invalid(format!("slot {} '{}': {e}", i + 1, slot.name()))
            })?;
        }
        Ok(())
    }
}

/// Brings a state document of any older version up to [`STATE_FORMAT_VERSION`].
pub fn migrate(value: Value) -> Result<Map<String, Value>, StateError> {
    let Value::Object(mut doc) = value else {
        return Err(StateError::Malformed("expected a JSON object".into()));
    };
    let version = doc
        .get("format_version")
        .and_then(Value::as_u64)
        .ok_or_else(|| StateError::Malformed("missing or non-integer `format_version`".into()))?;
    if version == 0 {
        return Err(StateError::Malformed(
            "`format_version` 0 does not exist".into(),
        ));
    }
    if version > u64::from(STATE_FORMAT_VERSION) {
        return Err(StateError::FromTheFuture {
            found: version,
            supported: STATE_FORMAT_VERSION,
        });
    }
    for step in &MIGRATIONS[(version as usize - 1)..] {
        doc = step(doc)?;
    }
    doc.insert("format_version".into(), Value::from(STATE_FORMAT_VERSION));
    Ok(doc)
}

/// The whole plugin state as nice-plug persists it (parameters under their ids, the `refcan`
/// document as JSON text under [`PERSIST_KEY`]), for `refcan preset` and tests: what a host
/// stores in a project, so loading it installs the headphone and the settings.
pub fn plugin_state(values: &ParamValues, doc: &RefcanState) -> nice_plug::prelude::PluginState {
    let mut fields = std::collections::BTreeMap::new();
    fields.insert(PERSIST_KEY.to_string(), doc.to_value().to_string());
    nice_plug::prelude::PluginState {
        version: env!("CARGO_PKG_VERSION").to_string(),
        params: values.to_state_params(),
        fields,
    }
}

/// The state shared between the host's state calls, the editor and the design thread.
///
/// Never touched by the audio thread: it sees designs derived from this state through a
/// lock-free handoff. A `generation` counter tells the design thread that the state changed.
#[derive(Debug, Default)]
pub struct SharedState {
    state: Mutex<RefcanState>,
    generation: AtomicU64,
    /// Mirror of `state.offline_render == Process`, for the audio thread (no lock there).
    offline_process: AtomicBool,
    last_error: Mutex<Option<StateError>>,
}

impl SharedState {
    /// A copy of the current state.
    pub fn get(&self) -> RefcanState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the state and bumps the generation.
    pub fn replace(&self, new_state: RefcanState) {
        self.offline_process.store(
            new_state.offline_render == OfflineRender::Process,
            Ordering::Release,
        );
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = new_state;
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The max boost of the correction, dB.
    pub fn max_boost_db(&self) -> f64 {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .max_boost_db
    }

    /// What the slots hold.
    pub fn slots(&self) -> Vec<SlotContent> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .slots
            .clone()
    }

    /// The headphone, if one is installed.
    pub fn headphone(&self) -> Option<Headphone> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .headphone
            .clone()
    }

    /// What to do while the host renders offline. Lock-free: the audio thread reads it.
    pub fn offline_render(&self) -> OfflineRender {
        if self.offline_process.load(Ordering::Acquire) {
            OfflineRender::Process
        } else {
            OfflineRender::Bypass
        }
    }

    /// Increases every time the state is replaced or loaded.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The reason the last state load was refused, if it was (cleared by a successful load).
    pub fn last_error(&self) -> Option<StateError> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Loads a saved document: migrates it, or, when it cannot be read whole, takes what can
    /// be read and keeps the previous value of everything else
    /// ([`RefcanState::recover_onto`]), and records (and returns) the reason. A document
    /// that brings nothing usable leaves the headphone, the slots and the settings as they
    /// were, and the generation too (nothing to redesign); it is kept under
    /// [`RECOVERED_KEY`] so saving the project again does not lose it.
    pub fn load(&self, value: Value) -> Result<(), StateError> {
        let previous = self.get();
        let (state, problem) = RefcanState::recover_onto(&previous, value);
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = problem.clone();
        if problem.is_some() && state.same_design_inputs(&previous) {
            // Only the kept-aside document changed: the designer has nothing new to do.
            *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        } else {
            self.replace(state);
        }
        match problem {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

/// nice-plug stores the field as JSON text; the document goes through [`migrate`] on load.
impl<'a> PersistentField<'a, Value> for SharedState {
    fn set(&self, new_value: Value) {
        // What cannot be read is replaced by defaults; the reason goes to the host's log now
        // and is kept for the editor.
        if let Err(e) = self.load(new_value) {
            nice_plug::nice_error!("Refcan: {e}");
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Value) -> R,
    {
        f(&self.get().to_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn current_version_round_trips_with_unknown_fields() {
        let slots = serde_json::to_value(default_slots()).expect("slots");
        let doc = json!({
            "format_version": 3,
            "headphone": null,
            "max_boost_db": 4.5,
            "slots": slots,
            "offline_render": "process",
            "future_field": {"a": [1, 2, 3]}
        });
        let state = RefcanState::from_value(doc.clone()).expect("loads");
        assert_eq!(state.to_value(), doc);
    }

    #[test]
    fn version_1_migrates_to_no_headphone_and_the_default_boost() {
        let state =
            RefcanState::from_value(json!({"format_version": 1, "kept": true})).expect("loads");
        assert_eq!(state.format_version, 3);
        assert_eq!(state.headphone, None);
        assert_eq!(state.max_boost_db, 6.0);
        assert_eq!(state.slots, default_slots());
        assert_eq!(state.unknown.get("kept"), Some(&json!(true)));
    }

    #[test]
    fn bad_values_are_refused_by_the_strict_reader() {
        let doc = json!({"format_version": 2, "max_boost_db": 40.0});
        assert!(matches!(
            RefcanState::from_value(doc),
            Err(StateError::Invalid(m)) if m.contains("max_boost_db")
        ));
        let doc = json!({"format_version": 2, "headphone": {"name": 3}});
        assert!(matches!(
            RefcanState::from_value(doc),
            Err(StateError::Invalid(_))
        ));
    }

    #[test]
    fn unreadable_documents_keep_what_can_be_kept_and_say_why() {
        let shared = SharedState::default();
        let custom_slot =
            serde_json::to_value(SlotContent::builtin("car").expect("car")).expect("slot");
        // From a newer Refcan: the fields this build knows are kept, the rest is kept aside.
        let future = json!({
            "format_version": 99,
            "max_boost_db": 3.0,
            "offline_render": "process",
            "slots": [custom_slot, {"simulation": "garbled"}],
            "new_thing": [1, 2]
        });
        let err = shared.load(future.clone()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("update Refcan") && text.contains("slot 2"),
            "{text}"
        );
        let state = shared.get();
        assert_eq!(state.max_boost_db, 3.0);
        assert_eq!(state.offline_render, OfflineRender::Process);
        assert_eq!(state.slots[0], SlotContent::builtin("car").expect("car"));
        assert_eq!(state.slots[1], default_slots()[1]);
        assert_eq!(state.unknown.get(RECOVERED_KEY), Some(&future));
        assert_eq!(shared.last_error(), Some(err));
        assert_eq!(shared.offline_render(), OfflineRender::Process);
        // Damaged: a bad value costs that field only, which keeps its previous value.
        let generation = shared.generation();
        let err = shared
            .load(json!({"format_version": 3, "max_boost_db": 40.0, "offline_render": 7}))
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("previous values kept for: max_boost_db, offline_render"),
            "{err}"
        );
        assert_eq!(shared.get().max_boost_db, 3.0);
        assert_eq!(shared.offline_render(), OfflineRender::Process);
        assert_eq!(shared.generation(), generation, "nothing to redesign");
        // Not a document at all: the previous state stays, the text is kept aside.
        let before = shared.get();
        for bad in [json!("text"), json!({"no_version": 1}), json!([1])] {
            assert!(shared.load(bad.clone()).is_err());
            let state = shared.get();
            assert_eq!(state.unknown.get(RECOVERED_KEY), Some(&bad));
            assert!(state.same_design_inputs(&before));
            assert_eq!(state.slots[0], SlotContent::builtin("car").expect("car"));
            assert_eq!(shared.generation(), generation);
        }
        // A good document clears the error.
        shared.load(json!({"format_version": 2})).expect("valid");
        assert!(shared.last_error().is_none());
    }

    #[test]
    fn persistent_field_round_trip() {
        let shared = SharedState::default();
        PersistentField::set(&shared, json!({"format_version": 2, "x": 2}));
        let text = PersistentField::map(&shared, |v: &Value| v.to_string());
        assert!(text.contains("\"x\":2"));
        assert!(shared.last_error().is_none());
    }
}
