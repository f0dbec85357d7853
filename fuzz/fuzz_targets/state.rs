//! The plugin state document: `RefcanState::from_value` (with version migration), the
//! recovering loader the host's state load goes through (`SharedState::load`), and whole plugin
//! states as `refcan render --state` reads them (`render::read_plugin_state`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use refcan::state::{RefcanState, SharedState};

fuzz_target!(|data: &[u8]| {
    let _ = refcan::render::read_plugin_state(data);
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(state) = RefcanState::from_value(value.clone()) {
        for slot in &state.slots {
            let _ = slot.to_source();
        }
        // What loads saves and loads again to the same document.
        let again = RefcanState::from_value(state.to_value()).expect("a loaded state reloads");
        assert_eq!(again.to_value(), state.to_value());
    }
    let shared = SharedState::default();
    let before = shared.get();
    if shared.load(value).is_err() {
        assert!(shared.last_error().is_some());
    } else {
        assert!(shared.last_error().is_none());
    }
    // Whatever was loaded is a valid state the designer can use, and a refused document that
    // brought nothing usable leaves the previous state as it was.
    let after = shared.get();
    assert!(after.validate().is_ok());
    if shared.generation() == 0 {
        assert!(after.same_design_inputs(&before));
    }
});
