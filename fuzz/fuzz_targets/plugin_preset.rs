//! The plugin preset reader (`PluginPreset::parse`): the `refcan-plugin-preset-1` format and
//! whole plugin states saved with `refcan preset`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refcan::plugin_presets::PluginPreset;
use refcan::presets::PresetLibrary;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static LIBRARY: OnceLock<PresetLibrary> = OnceLock::new();
    let library = LIBRARY.get_or_init(PresetLibrary::builtin);
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    match PluginPreset::parse("fuzz.json", json, "fuzz", library) {
        Ok(preset) => {
            let (_, state) = preset.apply(None);
            assert!(state.validate().is_ok());
        }
        Err(e) => assert!(e.starts_with("fuzz.json: "), "{e}"),
    }
});
