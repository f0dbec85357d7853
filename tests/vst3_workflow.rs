//! The monitoring workflow through the VST3 plugin (debug build, allocation-checked) in the
//! tiny host of `tests/common/vst3_host.rs`: a `listen` automation point inside a process
//! block (a point of the `IParamValueQueue` in that call's `IParameterChanges`, at its sample
//! offset) starts the crossfade exactly at its frame, without a step larger than the signal's
//! own. The VST3 twin of `listen_automation_lands_on_its_frame_without_a_click` in
//! `tests/clap_workflow.rs`.
//!
//! Each scenario runs in its own child process (`common::isolated`): nice-plug's
//! `assert_process_allocs` aborts on an allocation in `process()`. Run with
//! `cargo test --test vst3_workflow -- --nocapture` to see the figures.

mod common;

use common::isolated;
use common::offline::preset_state;
use common::signal::{assert_switch_at, sine};
use common::vst3_host::{Mode, ParamChange, Vst3Plugin};
use refcan::params::ListenChoice;
use refcan::state::OfflineRender;

/// Steps of the `listen` enum (Reference, Slot 1…8): choice k is normalised k / 8.
const LISTEN_STEPS: usize = 8;

/// `state` with its `listen` parameter at choice `listen` (0 = reference), as a project saved
/// with that choice restores it.
fn with_listen(state: &[u8], listen: usize) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(state).expect("state JSON");
    let choice = ListenChoice::from_position(listen).expect("a listen choice");
    let params = doc["params"]
        .as_object_mut()
        .expect("the state has its parameters");
    // nice-plug's `ParamValue` in the state: an enum by its variant id.
    params.insert(
        "listen".into(),
        serde_json::json!({ "string": choice.id() }),
    );
    serde_json::to_vec(&doc).expect("serialise")
}

/// An instance with `state` loaded and `listen` restored with it (0 = reference), set up for
/// realtime, active and processing.
fn plugin_with(state: &[u8], listen: usize, rate: f64, max_block: usize) -> Vst3Plugin {
    let mut p = Vst3Plugin::load();
    p.set_state(&with_listen(state, listen));
    p.setup_processing(rate, max_block, Mode::Realtime);
    p.set_active(true);
    p.set_processing(true);
    p
}

/// The `listen` parameter's VST3 id, as the edit controller lists it.
fn listen_id(plugin: &Vst3Plugin) -> u32 {
    let params = plugin.parameters();
    let listen = params
        .iter()
        .find(|p| p.title == "Listen")
        .unwrap_or_else(|| panic!("no Listen parameter among {params:?}"));
    assert_eq!(
        listen.step_count, LISTEN_STEPS as i32,
        "Listen: Reference and Slot 1…8"
    );
    listen.id
}

#[test]
fn listen_automation_lands_on_its_frame_without_a_click() {
    isolated(
        "listen_automation_lands_on_its_frame_without_a_click",
        || {
            // `refcan preset --headphone` for the synthetic headphone, as the CLAP test; the
            // host runs realtime, so `offline_render` does not apply (`process` anyway).
            let state = preset_state("vst3-workflow-automation", OfflineRender::Process, &[]);
            let rate = 48_000.0;
            let frames = 48_000;
            let x = [
                sine(997.0, rate, frames, 0.5, 0.0),
                sine(211.0, rate, frames, 0.5, 0.3),
            ];
            let mut figures = Vec::new();
            // Reference → Harman in-ear (a big bass change), in-ear → phone (to mono), phone
            // → reference, each inside a 512-frame block.
            let fade_len = (refcan::dsp::engine::SWAP_FADE_MS * 1e-3 * rate).round() as usize;
            for (from, to, at) in [
                (0usize, 2usize, 10_077usize),
                (2, 5, 10_301),
                (5, 0, 10_511),
            ] {
                assert!(at % 512 != 0, "the change must fall inside a block");
                let play = |listen: usize| {
                    let mut p = plugin_with(&state, listen, rate, 512);
                    p.process(&x, &[512], &[Mode::Realtime])
                };
                let (was, will) = (play(from), play(to));
                let mut plugin = plugin_with(&state, from, rate, 512);
                let change = ParamChange {
                    frame: at,
                    id: listen_id(&plugin),
                    normalized: to as f64 / LISTEN_STEPS as f64,
                };
                let y = plugin.process_automated(&x, &[512], &[Mode::Realtime], &[change]);
                for ch in 0..2 {
                    let label = format!("{from}→{to} ch {ch}");
                    figures.push(assert_switch_at(
                        &label, &y[ch], &was[ch], &will[ch], at, fade_len,
                    ));
                }
            }
            println!("VST3 listen automation: {}", figures.join("; "));
        },
    );
}
