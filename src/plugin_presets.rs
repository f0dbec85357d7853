//! Full plugin presets: target, knobs, slots and workflow settings in one file, embedded at
//! build time (`presets/plugin/*.json`, format [`PLUGIN_PRESET_FORMAT`]) and read from the
//! user preset folder (`<user preset dir>/plugin/*.json`: that format, or a whole plugin state
//! as `refcan preset` writes it, headphone included).
//!
//! A factory preset holds no headphone: applying it keeps the user's own
//! ([`PluginPreset::apply`]). Parameters are written with their stable ids and plain JSON
//! values (`"target": "diffuse_field_iso_11904_2"`, `"room_gain": 2.0`); slots by simulation
//! preset id. Ids are a public contract: never rename one.

use crate::params::ParamValues;
use crate::presets::{MAX_PRESET_FILE_BYTES, PresetLibrary};
use crate::source::Headphone;
use crate::state::{OfflineRender, RefcanState, SLOT_COUNT, SlotContent};
use nice_plug::plugin::ParamValue;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Format tag of plugin preset files.
pub const PLUGIN_PRESET_FORMAT: &str = "refcan-plugin-preset-1";

/// Built-in plugin presets: (path in the repository, contents).
const BUILTIN_PLUGIN_PRESETS: &[(&str, &str)] = &[
    (
        "presets/plugin/default.json",
        include_str!("../presets/plugin/default.json"),
    ),
    (
        "presets/plugin/studio_over_ear_diffuse_field.json",
        include_str!("../presets/plugin/studio_over_ear_diffuse_field.json"),
    ),
    (
        "presets/plugin/iem_harman_in_ear.json",
        include_str!("../presets/plugin/iem_harman_in_ear.json"),
    ),
    (
        "presets/plugin/consumer_sweep.json",
        include_str!("../presets/plugin/consumer_sweep.json"),
    ),
    (
        "presets/plugin/big_rooms.json",
        include_str!("../presets/plugin/big_rooms.json"),
    ),
];

/// The repository paths of the embedded plugin presets.
pub fn builtin_plugin_preset_files() -> impl Iterator<Item = &'static str> {
    BUILTIN_PLUGIN_PRESETS.iter().map(|(path, _)| *path)
}

/// A whole plugin setup.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginPreset {
    /// Stable id (the file's `id`, or a user state file's name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Where it came from (`builtin:<path>` or a file path).
    pub file: String,
    /// The parameters.
    pub values: ParamValues,
    /// The state document; its headphone is `None` unless the preset brings one.
    pub state: RefcanState,
}

impl PluginPreset {
    /// The parameters and state document after applying the preset to an instance whose
    /// headphone is `current`: the preset's headphone if it has one, else `current`.
    pub fn apply(&self, current: Option<Headphone>) -> (ParamValues, RefcanState) {
        let mut state = self.state.clone();
        if state.headphone.is_none() {
            state.headphone = current;
        }
        (self.values, state)
    }

    /// Reads a preset file: the [`PLUGIN_PRESET_FORMAT`] format, or a whole plugin state
    /// (id = `fallback_id`). Errors name the file and what was wrong.
    pub fn parse(
        file: &str,
        json: &str,
        fallback_id: &str,
        library: &PresetLibrary,
    ) -> Result<Self, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| format!("{file}: {e}"))?;
        if value.get("params").is_some() && value.get("fields").is_some() {
            let (values, state) = crate::render::read_plugin_state(json.as_bytes())
                .map_err(|e| format!("{file}: {e}"))?;
            let name = state
                .headphone
                .as_ref()
                .map_or_else(|| fallback_id.to_string(), |h| h.name.clone());
            return Ok(Self {
                id: fallback_id.to_string(),
                name,
                description: "a plugin state saved with `refcan preset`".into(),
                file: file.into(),
                values,
                state,
            });
        }
        let raw: PresetFile = serde_json::from_value(value).map_err(|e| format!("{file}: {e}"))?;
        if raw.format != PLUGIN_PRESET_FORMAT {
            return Err(format!(
                "{file}: format '{}', expected '{PLUGIN_PRESET_FORMAT}'",
                raw.format
            ));
        }
        let params: BTreeMap<String, ParamValue> = raw
            .params
            .iter()
            .map(|(id, v)| {
                let pv = match v {
                    Value::Bool(b) => ParamValue::Bool(*b),
                    Value::String(s) => ParamValue::String(s.clone()),
                    Value::Number(n) => ParamValue::F32(n.as_f64().unwrap_or(f64::NAN) as f32),
                    other => return Err(format!("{file}: parameter {id}: {other} is not a value")),
                };
                Ok((id.clone(), pv))
            })
            .collect::<Result<_, _>>()?;
        let values = ParamValues::from_state_params(&params).map_err(|e| format!("{file}: {e}"))?;
        let mut state = RefcanState::default();
        if let Some(b) = raw.max_boost_db {
            state.max_boost_db = b;
        }
        if let Some(o) = raw.offline_render {
            state.offline_render = o;
        }
        if let Some(ids) = raw.slots {
            if ids.len() != SLOT_COUNT {
                return Err(format!(
                    "{file}: {} slots, expected {SLOT_COUNT}",
                    ids.len()
                ));
            }
            for (slot, id) in state.slots.iter_mut().zip(&ids) {
                let p = library.simulation(id).ok_or_else(|| {
                    format!("{file}: slot simulation '{id}' is not a known simulation")
                })?;
                *slot = SlotContent::Simulation {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    simulation: p.simulation(),
                };
            }
        }
        state.validate().map_err(|e| format!("{file}: {e}"))?;
        Ok(Self {
            id: raw.id,
            name: raw.name,
            description: raw.description,
            file: file.into(),
            values,
            state,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetFile {
    format: String,
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    params: BTreeMap<String, Value>,
    #[serde(default)]
    max_boost_db: Option<f64>,
    #[serde(default)]
    offline_render: Option<OfflineRender>,
    #[serde(default)]
    slots: Option<Vec<String>>,
}

/// The plugin presets: built-ins, then the user folder's `plugin/*.json` (when `user_dir` is
/// given; sorted by name). A bad user file is skipped with a message; a user preset with a
/// built-in's id is skipped too (built-in ids are stable).
pub fn plugin_presets(
    library: &PresetLibrary,
    user_dir: Option<&Path>,
) -> (Vec<PluginPreset>, Vec<String>) {
    let mut presets = Vec::new();
    let mut messages = Vec::new();
    for (path, json) in BUILTIN_PLUGIN_PRESETS {
        let stem = Path::new(path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match PluginPreset::parse(&format!("builtin:{path}"), json, &stem, library) {
            Ok(p) => presets.push(p),
            Err(e) => messages.push(e),
        }
    }
    let Some(dir) = user_dir.map(|d| d.join("plugin")) else {
        return (presets, messages);
    };
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            messages.push(format!("{}: cannot read: {e}", dir.display()));
            Vec::new()
        }
    };
    files.sort();
    for path in files {
        let file = path.display().to_string();
        let too_big = std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_PRESET_FILE_BYTES);
        if too_big {
            messages.push(format!(
                "{file}: larger than the {MAX_PRESET_FILE_BYTES}-byte limit for a preset"
            ));
            continue;
        }
        let json = match std::fs::read_to_string(&path) {
            Ok(j) => j,
            Err(e) => {
                messages.push(format!("{file}: cannot read: {e}"));
                continue;
            }
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match PluginPreset::parse(&file, &json, &stem, library) {
            Ok(p) if presets.iter().any(|q| q.id == p.id) => {
                messages.push(format!("{file}: id '{}' is taken by a built-in", p.id));
            }
            Ok(p) => presets.push(p),
            Err(e) => messages.push(e),
        }
    }
    (presets, messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::TargetChoice;

    #[test]
    fn builtins_parse_and_every_file_is_embedded() {
        let library = PresetLibrary::builtin();
        let (presets, messages) = plugin_presets(&library, None);
        assert!(messages.is_empty(), "{messages:?}");
        assert_eq!(presets.len(), BUILTIN_PLUGIN_PRESETS.len());
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let embedded: Vec<&str> = builtin_plugin_preset_files().collect();
        for entry in std::fs::read_dir(root.join("presets/plugin")).expect("folder") {
            let path = entry.expect("entry").path();
            let rel = path
                .strip_prefix(root)
                .expect("inside")
                .display()
                .to_string();
            assert!(embedded.contains(&rel.as_str()), "{rel} is not embedded");
        }
        for p in &presets {
            let stem = Path::new(&p.file).file_stem().expect("stem");
            assert_eq!(p.id, stem.to_string_lossy(), "id matches the file name");
            assert!(
                p.state.headphone.is_none(),
                "{}: factory presets hold no headphone",
                p.id
            );
            assert!(!p.description.is_empty());
        }
        let df = presets
            .iter()
            .find(|p| p.id == "studio_over_ear_diffuse_field")
            .expect("preset");
        assert_eq!(df.values.target, TargetChoice::DiffuseField);
        let sweep = presets
            .iter()
            .find(|p| p.id == "consumer_sweep")
            .expect("preset");
        assert!(
            matches!(&sweep.state.slots[4], SlotContent::Simulation { id, .. } if id == "consumer_over_ear_warm")
        );
    }

    #[test]
    fn applying_keeps_the_users_headphone_and_user_files_are_checked() {
        let library = PresetLibrary::builtin();
        let dir = tempfile::tempdir().expect("dir");
        let plugin = dir.path().join("plugin");
        std::fs::create_dir_all(&plugin).expect("dir");
        std::fs::write(
            plugin.join("a_mine.json"),
            r#"{"format":"refcan-plugin-preset-1","id":"mine","name":"Mine","params":{"room_gain":3.0,"listen":"slot_2"}}"#,
        )
        .expect("write");
        std::fs::write(plugin.join("b_bad.json"), r#"{"format":"refcan-plugin-preset-1","id":"x","name":"x","params":{"room_gain":99.0}}"#).expect("write");
        std::fs::write(
            plugin.join("c_slots.json"),
            r#"{"format":"refcan-plugin-preset-1","id":"y","name":"y","slots":["car"]}"#,
        )
        .expect("write");
        std::fs::write(
            plugin.join("d_dup.json"),
            r#"{"format":"refcan-plugin-preset-1","id":"default","name":"d"}"#,
        )
        .expect("write");
        std::fs::write(plugin.join("e_junk.json"), "{").expect("write");
        let (presets, messages) = plugin_presets(&library, Some(dir.path()));
        let mine = presets
            .iter()
            .find(|p| p.id == "mine")
            .expect("user preset");
        assert_eq!(mine.values.room_gain_db, 3.0);
        assert_eq!(mine.values.listen.index(), 2);
        assert_eq!(messages.len(), 4, "{messages:?}");
        for (m, needle) in messages
            .iter()
            .zip(["room_gain", "1 slots", "taken", "e_junk"])
        {
            assert!(m.contains(needle), "{m}");
        }
        // Applying keeps the headphone the instance has.
        let hp = Headphone::from_response("Mine", &crate::curve::Response::flat());
        let (_, state) = mine.apply(Some(hp.clone()));
        assert_eq!(state.headphone, Some(hp));
    }
}
