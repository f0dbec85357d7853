//! The correction measured through the CLAP plugin: a headphone installed by loading the state
//! `refcan preset` writes, then an impulse through the debug build (allocation-checked) in a
//! clack-host host, in every engine and at 44.1, 48 and 96 kHz. The measured magnitude must
//! equal the "reference chain" column `refcan curves` reports for the same file (correction +
//! preamp) within ±0.1 dB over 20 Hz–16 kHz in the FIR modes and within the fit's own error
//! in Low CPU; the reported latency must equal the measured delay; a mode change must report
//! its new latency, and bypass must stay aligned with it.
//!
//! Run with `cargo test --test clap_engine -- --nocapture` to see the figures.

mod common;

use common::fixtures::{
    IMPULSE_AT, TARGET, clap_blob, impulse_response, magnitude_db, preset, reference_chain,
    temp_dir, write_headphone,
};
use common::host::{ParamChange, Plugin, clap_param_id};
use common::isolated;
use common::signal::{Rng, noise, random_blocks};
use refcan::chain::ChainSettings;
use refcan::curve::grid_hz;
use refcan::design::{DesignSettings, FilterMode, Layout, design};
use refcan::io::ImportOptions;
use refcan::params::{ParamValues, TargetChoice};
use refcan::presets::PresetLibrary;
use refcan::source::Headphone;
use refcan::state::{RefcanState, default_slots, plugin_state};
use std::path::Path;

const RATES_HZ: [f64; 3] = [44_100.0, 48_000.0, 96_000.0];
const MODES: [(&str, FilterMode); 3] = [
    ("zero_latency", FilterMode::ZeroLatency),
    ("linear_phase", FilterMode::LinearPhase),
    ("low_cpu", FilterMode::LowCpu),
];

#[test]
fn preset_correction_matches_refcan_curves_in_every_mode_and_rate() {
    isolated(
        "preset_correction_matches_refcan_curves_in_every_mode_and_rate",
        || {
            let dir = temp_dir("modes");
            let headphone = write_headphone(&dir);
            let want = reference_chain(&dir, &headphone);
            let grid = grid_hz();
            let band: Vec<usize> = (0..grid.len())
                .filter(|&i| (20.0..=16_000.0).contains(&grid[i]))
                .collect();
            let freqs: Vec<f64> = band.iter().map(|&i| grid[i]).collect();
            // The fit error the Low CPU design reports (the same library, inputs and rate).
            let hp = Headphone::import(&headphone, &ImportOptions::default()).expect("import");
            let library = PresetLibrary::builtin();
            for (mode_id, mode) in MODES {
                let state = clap_blob(&preset(&dir, &headphone, mode_id));
                for (k, rate) in RATES_HZ.into_iter().enumerate() {
                    let mut plugin = Plugin::new().expect("instantiate");
                    plugin.load_state(&state).expect("load the preset");
                    plugin.activate(rate, 1024).expect("activate");
                    let latency = plugin.latency_samples() as usize;
                    let y = impulse_response(&mut plugin, rate, 0.5, 17 + k as u64);
                    let tolerance = match mode {
                        FilterMode::LowCpu => {
                            let settings = DesignSettings {
                                mode,
                                target_id: TARGET.into(),
                                chain: ChainSettings::default(),
                            };
                            let layout = Layout::new(1, rate, 1024);
                            let bank =
                                design(&settings, Some(&hp), &default_slots(), &layout, &library)
                                    .expect("design");
                            bank.entries[0].fit_max_error_db.expect("a fit error") + 0.005
                        }
                        // Just above what was measured (docs/PERFORMANCE.md): Zero latency
                        // 0.0007–0.0008 dB, Linear phase 0.0019 dB, Low CPU its fit error.
                        FilterMode::ZeroLatency => 0.002,
                        FilterMode::LinearPhase => 0.004,
                    };
                    let mut worst: f64 = 0.0;
                    for ch in 0..2 {
                        let out = &y[ch];
                        // Nothing before the impulse (but FFT rounding: a block transformed with the
                        // impulse in it spreads ~1e-9 over the samples before it, −180 dB); the
                        // delay is the reported latency.
                        let early = out[..IMPULSE_AT].iter().position(|&v| v.abs() > 1e-6);
                        assert!(
                            early.is_none(),
                            "{mode_id} {rate} ch {ch}: output before the impulse at {early:?}: {:?}",
                            early.map(|i| &out[i..(i + 4).min(out.len())])
                        );
                        let peak = (IMPULSE_AT..out.len())
                            .max_by(|&a, &b| out[a].abs().total_cmp(&out[b].abs()))
                            .expect("samples");
                        let delay = peak - IMPULSE_AT;
                        match mode {
                            FilterMode::LinearPhase => {
                                assert_eq!(delay, latency, "{mode_id} {rate}: peak vs latency");
                                assert!(latency > 3_000, "{mode_id} {rate}: latency {latency}");
                            }
                            _ => {
                                assert_eq!(latency, 0, "{mode_id} {rate}");
                                // Minimum phase: the response starts at once and peaks early.
                                assert!(
                                    out[IMPULSE_AT] != 0.0,
                                    "{mode_id} {rate}: {:?}",
                                    &out[IMPULSE_AT - 2..IMPULSE_AT + 8]
                                );
                                assert!(
                                    delay < (0.002 * rate) as usize,
                                    "{mode_id} {rate}: {delay}"
                                );
                            }
                        }
                        let measured = magnitude_db(&out[IMPULSE_AT..], rate, &freqs);
                        for (j, &i) in band.iter().enumerate() {
                            let err = (measured[j] - want[ch][i]).abs();
                            worst = worst.max(err);
                            assert!(
                                err <= tolerance,
                                "{mode_id} {rate} Hz ch {ch} at {:.1} Hz: measured {:.3} dB, \
                             refcan curves {:.3} dB (tolerance {tolerance:.3})",
                                grid[i],
                                measured[j],
                                want[ch][i]
                            );
                        }
                    }
                    println!(
                        "{mode_id:>12} {rate:>6} Hz: latency {latency:>5} samples = measured delay; \
                     worst |measured − refcan curves| {worst:.4} dB over 20 Hz–16 kHz \
                     (allowed {tolerance:.3})"
                    );
                }
            }
        },
    );
}

#[test]
fn mode_change_reports_the_new_latency_and_bypass_stays_aligned() {
    isolated(
        "mode_change_reports_the_new_latency_and_bypass_stays_aligned",
        || {
            let dir = temp_dir("latency");
            let headphone = write_headphone(&dir);
            let state = clap_blob(&preset(&dir, &headphone, "zero_latency"));
            let rate = 48_000.0;
            let mut plugin = Plugin::new().expect("instantiate");
            plugin.load_state(&state).expect("load");
            plugin.activate(rate, 512).expect("activate");
            assert_eq!(plugin.latency_samples(), 0);
            let mode = clap_param_id("filter_mode");
            let bypass = clap_param_id("bypass");
            // Linear phase (index 1 of 3) while audio runs: the engine keeps playing Zero latency
            // (whose latency the host knows) and asks for a restart; the activation then designs
            // Linear phase and reports its latency (CLAP allows latency changes only there).
            let mut rng = Rng::new(5);
            let x = noise(&mut rng, 2, 4_800, 0.25);
            plugin.flush(&[(mode, 1.0)]);
            let mut asked = false;
            for _ in 0..400 {
                plugin.process(&x, &[512], &[]).expect("process");
                if plugin.take_restart_request() {
                    asked = true;
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            assert!(asked, "no restart requested after the mode change");
            assert_eq!(
                plugin.latency_samples(),
                0,
                "latency changed outside activate"
            );
            let expected = Layout::new(1, rate, 512).latency_samples(FilterMode::LinearPhase);
            plugin.deactivate();
            plugin.activate(rate, 512).expect("activate");
            assert_eq!(plugin.latency_samples() as usize, expected);
            let (_, _, latency_changes) = plugin.host_notifications();
            println!(
                "mode change: restart requested, the activation reports {expected} samples \
             ({latency_changes} latency notifications)"
            );

            // Bypassed in Linear phase: the input, delayed by exactly the latency.
            plugin.flush(&[(bypass, 1.0)]);
            let frames = 24_000;
            let x = noise(&mut rng, 2, frames, 0.25);
            let y = plugin
                .process(&x, &random_blocks(&mut rng, 512, frames), &[])
                .expect("process");
            let settle = 2_000;
            for ch in 0..2 {
                for i in settle + expected..frames {
                    assert_eq!(y[ch][i], x[ch][i - expected], "ch {ch} frame {i}");
                }
            }
            // And unbypassed at a frame mid-run, the change lands without a step larger than the
            // signal's own.
            let changes = [ParamChange {
                frame: 6_000,
                id: bypass,
                value: 0.0,
            }];
            let y = plugin.process(&x, &[256], &changes).expect("process");
            assert!(y.iter().flatten().all(|v| v.is_finite()));
        },
    );
}

#[test]
fn a_version_1_project_opens_migrated_with_its_settings() {
    isolated(
        "a_version_1_project_opens_migrated_with_its_settings",
        || {
            let fixture =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/state-v1.json");
            let v1 = std::fs::read(&fixture).expect("the v1 fixture");
            let mut plugin = Plugin::new().expect("instantiate");
            plugin
                .load_state(&clap_blob(&v1))
                .expect("a v1 state loads");
            let saved = plugin.save_state().expect("save");
            let json: serde_json::Value = serde_json::from_slice(&saved[8..]).expect("JSON");
            let doc: serde_json::Value =
                serde_json::from_str(json["fields"]["refcan"].as_str().expect("text"))
                    .expect("doc");
            assert_eq!(doc["format_version"], 3, "{doc}");
            assert_eq!(doc["headphone"], serde_json::Value::Null, "{doc}");
            assert_eq!(
                doc["slots"],
                serde_json::to_value(default_slots()).expect("slots"),
                "{doc}"
            );
            assert_eq!(doc["offline_render"], "bypass", "{doc}");
            assert_eq!(doc["max_boost_db"], 6.0, "{doc}");
            assert_eq!(doc["written_by"], "refcan 0.1.0 (state format 1)", "{doc}");
            let params = &json["params"];
            assert_eq!(params["mono"]["bool"], true);
            assert_eq!(params["output_gain"]["f32"], -7.5);
            // Parameters the old version did not have start at their defaults.
            assert_eq!(params["filter_mode"]["string"], "zero_latency");
            assert_eq!(params["target"]["string"], TARGET);
            assert_eq!(params["listen"]["string"], "reference");
            assert_eq!(params["level_match"]["bool"], true);
            // And it plays: no headphone, so the mono mix trimmed by 7.5 dB, with the preamp
            // that covers the default slots.
            plugin.activate(48_000.0, 256).expect("activate");
            let mut rng = Rng::new(9);
            let x = noise(&mut rng, 2, 9_600, 0.25);
            let y = plugin.process(&x, &[256], &[]).expect("process");
            let settings = DesignSettings {
                mode: FilterMode::ZeroLatency,
                target_id: TARGET.into(),
                chain: ChainSettings::default(),
            };
            let preamp_db = refcan::design::chain_curves(
                &settings,
                None,
                &refcan::design::slot_sources(&default_slots()),
                &PresetLibrary::builtin(),
            )
            .expect("chain")
            .preamp_db;
            let g = 10f32.powf((-7.5 + preamp_db as f32) / 20.0);
            for i in 2_000..9_600 {
                let want = g * 0.5 * (x[0][i] + x[1][i]);
                assert!(
                    (y[0][i] - want).abs() < 1e-5 && y[0][i] == y[1][i],
                    "frame {i}"
                );
            }
        },
    );
}

#[test]
fn a_version_2_project_opens_migrated_and_plays_as_today() {
    isolated(
        "a_version_2_project_opens_migrated_and_plays_as_today",
        || {
            let fixture =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/state-v2.json");
            let v2 = std::fs::read(&fixture).expect("the v2 fixture");
            let mut old = Plugin::new().expect("instantiate");
            old.load_state(&clap_blob(&v2)).expect("a v2 state loads");
            let saved = old.save_state().expect("save");
            let json: serde_json::Value = serde_json::from_slice(&saved[8..]).expect("JSON");
            let doc: serde_json::Value =
                serde_json::from_str(json["fields"]["refcan"].as_str().expect("text"))
                    .expect("doc");
            assert_eq!(doc["format_version"], 3, "{doc}");
            assert_eq!(doc["headphone"]["name"], "Test Cans", "{doc}");
            assert_eq!(doc["max_boost_db"], 4.0, "{doc}");
            assert_eq!(doc["written_by"], "refcan 0.1.0 (state format 2)", "{doc}");
            assert_eq!(
                doc["slots"],
                serde_json::to_value(default_slots()).expect("slots")
            );
            assert_eq!(doc["offline_render"], "bypass");
            let params = &json["params"];
            assert_eq!(params["amount"]["f32"], 80.0);
            assert_eq!(params["room_gain"]["f32"], 2.0);
            assert_eq!(params["target"]["string"], "harman_oe_2018");
            assert_eq!(params["output_gain"]["f32"], -3.0);
            assert_eq!(params["listen"]["string"], "reference");
            // The same settings written by this version play bit-identically.
            let headphone: Headphone =
                serde_json::from_value(doc["headphone"].clone()).expect("headphone");
            let today = RefcanState {
                headphone: Some(headphone),
                max_boost_db: 4.0,
                ..RefcanState::default()
            };
            let values = ParamValues {
                amount_percent: 80.0,
                room_gain_db: 2.0,
                target: TargetChoice::HarmanOe2018,
                output_gain_db: -3.0,
                ..ParamValues::default()
            };
            let state = serde_json::to_vec(&plugin_state(&values, &today)).expect("json");
            let mut new = Plugin::new().expect("instantiate");
            new.load_state(&clap_blob(&state)).expect("load");
            let mut rng = Rng::new(21);
            let x = noise(&mut rng, 2, 24_000, 0.25);
            let mut outs = Vec::new();
            for plugin in [&mut old, &mut new] {
                plugin.activate(48_000.0, 512).expect("activate");
                outs.push(plugin.process(&x, &[512], &[]).expect("process"));
            }
            assert!(outs[0] == outs[1], "the migrated project plays differently");
            let changed = x[0]
                .iter()
                .zip(&outs[0][0])
                .any(|(a, b)| (a - b).abs() > 1e-3);
            assert!(changed, "the headphone's correction is not heard");
        },
    );
}
