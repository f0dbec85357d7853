//! Property tests: the short, always-run equivalent of the fuzz targets in `fuzz/` (issue 16).
//! Valid documents of every JSON format Refcan reads (target and simulation presets, plugin
//! presets, headphone library entries, the plugin state) and a valid WAV file are mutated at
//! random (a field replaced by any JSON value, bytes flipped, cut short) and fed to the same
//! entry points as the fuzzers: nothing panics, a refusal names the file, and a state load that
//! is refused leaves a usable state behind. The importers' equivalent is
//! `tests/io_robustness.rs`.

use proptest::prelude::*;
use refcan::curve::{CorrectionSettings, Response};
use refcan::headphones::HeadphoneEntry;
use refcan::plugin_presets::PluginPreset;
use refcan::presets::{PresetLibrary, SimulationPreset, TargetPreset};
use refcan::state::{RefcanState, SharedState};
use serde_json::{Value, json};
use std::sync::OnceLock;

fn library() -> &'static PresetLibrary {
    static LIBRARY: OnceLock<PresetLibrary> = OnceLock::new();
    LIBRARY.get_or_init(PresetLibrary::builtin)
}

fn target_doc() -> Value {
    json!({
        "format": "refcan-target-1", "id": "prop_target", "name": "Prop target",
        "filters": [{"kind": "low_shelf", "freq_hz": 105.0, "q": 0.7, "gain_db": 6.0}],
        "filter_sample_rate_hz": 48000.0,
        "points": [[20, 0], [1000, 0], [3000, 10.5], [20000, -5]]
    })
}

fn simulation_doc() -> Value {
    json!({
        "format": "refcan-simulation-1", "id": "prop_sim", "name": "Prop sim",
        "relative_to": "harman_in_room_flat_2013",
        "filters": [{"kind": "peaking", "freq_hz": 200.0, "q": 1.0, "gain_db": 2.5}],
        "mono": true,
        "band_limit": {"highpass": {"freq_hz": 150.0, "order": 2}},
        "derivation": {"method": "fit", "fit_error_db": {"rms": 0.5, "max": 1.2, "band_hz": [20, 20000]}}
    })
}

fn plugin_preset_doc() -> Value {
    json!({
        "format": "refcan-plugin-preset-1", "id": "prop", "name": "Prop",
        "params": {"amount": 80.0, "correct": true, "target": "harman_oe_2018"},
        "max_boost_db": 4.0, "offline_render": "process",
        "slots": ["harman_oe_2018", "harman_ie_2019", "bass_boosted_earbuds", "open_earbuds",
                  "phone_speaker", "laptop_speakers", "car", "club_pa"]
    })
}

fn headphone_entry_doc() -> Value {
    json!({
        "format": "refcan-headphone-1", "id": "prop_phone", "name": "Prop Phone",
        "brand": "Prop", "form": "over_ear", "rig": "GRAS 45CA",
        "source": {"repository": "r", "commit": "c", "path": "p", "author": "a", "licence": "l"},
        "normalisation": "0 dB at 1 kHz", "fit_rms_db": 0.05,
        "points": [[20, 5.0], [100, 2.0], [1000, 0.0], [3000, 8.0], [20000, -10.0]]
    })
}

fn state_doc() -> Value {
    let curve = json!({"freq_hz": [20, 100, 1000, 10000, 20000], "db": [6, 2, 0, -3, -9]});
    let other = json!({"other_headphone": {"headphone": {"name": "Other", "source_file": "o.csv",
                       "format": "AutoEqCsv", "data": {"measurement": {"Mono": curve}}}}});
    json!({
        "format_version": 3,
        "headphone": {"name": "Prop Cans", "source_file": "Prop Cans.csv", "format": "AutoEqCsv",
                      "data": {"measurement": {"Mono": curve}}},
        "max_boost_db": 4.0,
        "offline_render": "process",
        "slots": vec![other; 8]
    })
}

/// Any JSON value, nested a little, with the numbers that break naive readers.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        prop_oneof![
            Just(0.0),
            Just(-1.0),
            Just(1e300),
            Just(-1e300),
            Just(f64::MIN_POSITIVE),
            Just(0.5),
            Just(44_100.0),
            -1e6..1e6f64,
        ]
        .prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "[a-z_ ]{0,12}".prop_map(Value::from),
        Just(Value::from("refcan-target-1")),
        Just(Value::from("peaking")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,10}", inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Replaces the value at a random path (object keys and array items chosen by `picks`) of
/// `doc` by `new`, or removes that key when `remove` is set.
fn mutate(mut doc: Value, picks: &[usize], new: Value, remove: bool) -> Value {
    mutate_in(&mut doc, picks, new, remove);
    doc
}

fn mutate_in(node: &mut Value, picks: &[usize], new: Value, remove: bool) {
    let Some((&pick, rest)) = picks.split_first() else {
        *node = new;
        return;
    };
    let descend = |v: &Value| !rest.is_empty() && matches!(v, Value::Object(_) | Value::Array(_));
    match node {
        Value::Object(map) if !map.is_empty() => {
            let key = map
                .keys()
                .nth(pick % map.len())
                .cloned()
                .unwrap_or_default();
            match map.get_mut(&key) {
                Some(child) if descend(child) => mutate_in(child, rest, new, remove),
                _ if remove => {
                    map.remove(&key);
                }
                _ => {
                    map.insert(key, new);
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let i = pick % items.len();
            if descend(&items[i]) {
                mutate_in(&mut items[i], rest, new, remove);
            } else if remove {
                items.remove(i);
            } else {
                items[i] = new;
            }
        }
        _ => *node = new,
    }
}

/// A document's text, mutated: one value replaced or removed, then optionally some bytes
/// overwritten and the text cut short.
fn mutated_text(doc: Value) -> impl Strategy<Value = String> {
    (
        prop::collection::vec(any::<usize>(), 1..5),
        any_json(),
        any::<bool>(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(move |(picks, new, remove, flips, cut)| {
            let mut bytes = mutate(doc.clone(), &picks, new, remove)
                .to_string()
                .into_bytes();
            for (at, b) in flips {
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

/// A 16-bit stereo WAV of a few frames.
fn wav_bytes() -> Vec<u8> {
    let mut data = Vec::new();
    for k in 0..16i16 {
        data.extend_from_slice(&(k * 1000).to_le_bytes());
        data.extend_from_slice(&(-k * 1000).to_le_bytes());
    }
    let mut fmt = Vec::new();
    for v in [1u16, 2] {
        fmt.extend_from_slice(&v.to_le_bytes());
    }
    fmt.extend_from_slice(&48_000u32.to_le_bytes());
    fmt.extend_from_slice(&(48_000u32 * 4).to_le_bytes());
    fmt.extend_from_slice(&4u16.to_le_bytes());
    fmt.extend_from_slice(&16u16.to_le_bytes());
    let mut body = b"WAVEfmt ".to_vec();
    body.extend_from_slice(&16u32.to_le_bytes());
    body.extend_from_slice(&fmt);
    body.extend_from_slice(b"data");
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&data);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn target_and_simulation_presets(
        target in mutated_text(target_doc()),
        simulation in mutated_text(simulation_doc()),
    ) {
        for text in [&target, &simulation] {
            match TargetPreset::parse("p.json", text) {
                Ok(t) => prop_assert!(t.curve().is_ok()),
                Err(e) => prop_assert!(e.to_string().starts_with("p.json"), "{e}"),
            }
            match SimulationPreset::parse("p.json", text) {
                Ok(s) => prop_assert!(s.delta().to_points().1.iter().all(|v| v.is_finite())),
                Err(e) => prop_assert!(e.to_string().starts_with("p.json"), "{e}"),
            }
        }
    }

    #[test]
    fn plugin_presets(text in mutated_text(plugin_preset_doc())) {
        match PluginPreset::parse("p.json", &text, "p", library()) {
            Ok(p) => prop_assert!(p.apply(None).1.validate().is_ok()),
            Err(e) => prop_assert!(e.starts_with("p.json: "), "{e}"),
        }
    }

    #[test]
    fn headphone_entries(text in mutated_text(headphone_entry_doc())) {
        match HeadphoneEntry::parse("h.json", &text) {
            Ok(entry) => {
                let correction = entry
                    .to_headphone()
                    .correction(&Response::flat(), &CorrectionSettings::default());
                prop_assert!(correction.is_ok());
            }
            Err(e) => prop_assert!(e.to_string().starts_with("h.json: "), "{e}"),
        }
    }

    #[test]
    fn state_documents(text in mutated_text(state_doc())) {
        let _ = refcan::render::read_plugin_state(text.as_bytes());
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            return Ok(());
        };
        if let Ok(state) = RefcanState::from_value(value.clone()) {
            let again = RefcanState::from_value(state.to_value());
            prop_assert_eq!(again.map(|s| s.to_value()).ok(), Some(state.to_value()));
        }
        // The host's path: a good document first, then the mutated one.
        let shared = SharedState::default();
        shared.load(state_doc()).expect("the unmutated document loads");
        let before = shared.get();
        let generation = shared.generation();
        let refused = shared.load(value).is_err();
        let after = shared.get();
        prop_assert!(after.validate().is_ok());
        prop_assert_eq!(refused, shared.last_error().is_some());
        if shared.generation() == generation {
            prop_assert!(after.same_design_inputs(&before));
        }
    }

    #[test]
    fn wav_files(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = wav_bytes();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        match refcan::io::wav::read_from("w.wav", bytes.as_slice()) {
            Ok(audio) => {
                prop_assert!((1..=2).contains(&audio.channels.len()));
                prop_assert!(audio.channels.iter().all(|c| c.len() == audio.channels[0].len()));
            }
            Err(e) => prop_assert!(e.starts_with("w.wav: "), "{e}"),
        }
    }
}

#[test]
fn the_unmutated_documents_are_valid() {
    // Otherwise the properties above would only ever test refusals.
    assert!(TargetPreset::parse("p.json", &target_doc().to_string()).is_ok());
    assert!(SimulationPreset::parse("p.json", &simulation_doc().to_string()).is_ok());
    assert!(
        PluginPreset::parse("p.json", &plugin_preset_doc().to_string(), "p", library()).is_ok()
    );
    assert!(HeadphoneEntry::parse("h.json", &headphone_entry_doc().to_string()).is_ok());
    let state = RefcanState::from_value(state_doc()).expect("state");
    assert_eq!(state.slots[0].name(), "Other");
    assert!(refcan::io::wav::read_from("w.wav", wav_bytes().as_slice()).is_ok());
}
