//! The target and simulation preset readers (`TargetPreset::parse`, `SimulationPreset::parse`,
//! the JSON of `presets/targets` and `presets/simulations` and of the user preset folder), and
//! the curves a valid preset gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refcan::presets::{SimulationPreset, TargetPreset};

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    match TargetPreset::parse("fuzz.json", json) {
        Ok(target) => {
            let _ = target.curve();
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.json"), "{e}"),
    }
    match SimulationPreset::parse("fuzz.json", json) {
        Ok(simulation) => {
            let _ = simulation.delta();
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.json"), "{e}"),
    }
});
