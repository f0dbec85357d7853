//! The monitoring workflow through the CLAP plugin (debug build, allocation-checked) in a
//! clack-host host: each `listen` choice plays its chain (the "reference chain" and "slot N
//! chain" columns `refcan curves` reports) within ±0.2 dB over 20 Hz–16 kHz; a `listen`
//! automation event changes the response at its own frame, without a step larger than the
//! signal's own; mono slots give L = R; full-scale pink noise never clips in any slot even
//! with every knob at its boosting end; `refcan render` gives the plugin's own output; the
//! slots survive save and restore, an imported "other headphone" as data.
//!
//! Run with `cargo test --test clap_workflow -- --nocapture` to see the figures per slot.

mod common;

use common::fixtures::{
    IMPULSE_AT, clap_blob, curves_columns, curves_csv, impulse_response, magnitude_db, refcan,
    temp_dir, write_headphone, write_mono_headphone,
};
use common::host::{ParamChange, Plugin, clap_param_id};
use common::isolated;
use common::loudness::lufs;
use common::pink::pink_noise;
use common::signal::{Rng, assert_switch_at, noise, sine};
use std::path::Path;

/// Tolerance of a played chain against `refcan curves`, dB, per engine: just above the worst
/// measured over the nine listen choices (docs/PERFORMANCE.md: Zero latency at 48 kHz 0.0161 dB,
/// Linear phase at 44.1 kHz 0.0704 dB, both on slot 8), well inside the workflow issue's ±0.2.
fn chain_tolerance_db(mode: &str) -> f64 {
    if mode == "zero_latency" { 0.02 } else { 0.08 }
}

/// Frequencies where a chain is this far below its own peak are not compared (stopbands).
const STOPBAND_DB: f64 = 60.0;

fn listen_id() -> u32 {
    clap_param_id("listen")
}

/// A state from `refcan preset` with `args`.
fn preset(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let path = dir.join(format!("{name}.json"));
    let mut all = vec!["preset", "-o", path.to_str().expect("utf8")];
    all.extend_from_slice(args);
    refcan(&all);
    std::fs::read(path).expect("state")
}

/// A plugin with `state` loaded and `listen` flushed (0 = reference), activated.
fn plugin_with(state: &[u8], listen: usize, rate: f64, max_block: usize) -> Plugin {
    let mut plugin = Plugin::new().expect("instantiate");
    plugin
        .load_state(&clap_blob(state))
        .expect("load the preset");
    plugin.flush(&[(listen_id(), listen as f64)]);
    plugin.activate(rate, max_block).expect("activate");
    plugin
}

/// The chain columns of the curves CSV for `listen` (0 = reference), per ear.
fn chain_columns(
    columns: &std::collections::BTreeMap<String, Vec<f64>>,
    listen: usize,
) -> [Vec<f64>; 2] {
    let base = match listen {
        0 => "reference chain".to_string(),
        k => format!("slot {k} chain"),
    };
    let get = |name: &str| columns.get(name).cloned();
    match (
        get(&format!("{base} L")),
        get(&format!("{base} R")),
        get(&base),
    ) {
        (Some(l), Some(r), _) => [l, r],
        (_, _, Some(m)) => [m.clone(), m],
        _ => panic!("no column {base} in {:?}", columns.keys()),
    }
}

#[test]
fn every_listen_choice_plays_its_chain() {
    isolated("every_listen_choice_plays_its_chain", || {
        let dir = temp_dir("workflow-chains");
        let headphone = write_headphone(&dir);
        let hp = headphone.to_str().expect("utf8");
        let columns = curves_columns(&dir, &headphone, &[]);
        let freqs = &columns["frequency"];
        let band: Vec<usize> = (0..freqs.len())
            .filter(|&i| (20.0..=16_000.0).contains(&freqs[i]))
            .collect();
        let band_hz: Vec<f64> = band.iter().map(|&i| freqs[i]).collect();
        for (mode, rate) in [("zero_latency", 48_000.0), ("linear_phase", 44_100.0)] {
            let state = preset(
                &dir,
                mode,
                &[
                    "--headphone",
                    hp,
                    "--target",
                    common::fixtures::TARGET,
                    "--filter-mode",
                    mode,
                ],
            );
            let mut report = Vec::new();
            for listen in 0..9 {
                let mut plugin = plugin_with(&state, listen, rate, 1024);
                let latency = plugin.latency_samples() as usize;
                let y = impulse_response(&mut plugin, rate, 0.6, 31 + listen as u64);
                let want = chain_columns(&columns, listen);
                let mut worst: f64 = 0.0;
                for ch in 0..2 {
                    let measured = magnitude_db(&y[ch][IMPULSE_AT..], rate, &band_hz);
                    let top = want[ch].iter().copied().fold(f64::MIN, f64::max);
                    for (j, &i) in band.iter().enumerate() {
                        // Deep in a band limit's stopband (the phone's 700 Hz high-pass is
                        // −130 dB at 20 Hz) no FIR follows to 0.2 dB, and no ear could tell.
                        if want[ch][i] < top - STOPBAND_DB {
                            continue;
                        }
                        let err = (measured[j] - want[ch][i]).abs();
                        assert!(
                            err <= chain_tolerance_db(mode),
                            "{mode} listen {listen} ch {ch} at {:.1} Hz: measured {:.3} dB, \
                             refcan curves {:.3} dB",
                            freqs[i],
                            measured[j],
                            want[ch][i]
                        );
                        worst = worst.max(err);
                    }
                }
                // The reported latency never changes with `listen`.
                if mode == "zero_latency" {
                    assert_eq!(latency, 0);
                } else {
                    assert!(latency > 3_000, "{latency}");
                }
                report.push(format!("{listen}: {worst:.4}"));
            }
            println!(
                "{mode} {rate} Hz, worst |measured − refcan curves| per listen choice \
                 (0 = reference) in dB over 20 Hz–16 kHz where the chain is within 60 dB of its \
                 peak: {}",
                report.join(", ")
            );
        }
    });
}

#[test]
fn mono_slots_give_the_same_signal_to_both_ears() {
    isolated("mono_slots_give_the_same_signal_to_both_ears", || {
        let dir = temp_dir("workflow-mono");
        let mono_hp = write_mono_headphone(&dir);
        let state = preset(
            &dir,
            "mono",
            &["--headphone", mono_hp.to_str().expect("utf8")],
        );
        // Slot 5 holds the phone speaker (mono): decorrelated noise in, L = R out.
        let rate = 48_000.0;
        let mut plugin = plugin_with(&state, 5, rate, 512);
        let x = noise(&mut Rng::new(5), 2, 24_000, 0.25);
        let y = plugin.process(&x, &[512], &[]).expect("process");
        assert!(y[0] == y[1], "the phone slot is not mono");
        assert!(y[0].iter().any(|v| v.abs() > 1e-3), "silence");
        // The reference stays stereo.
        let mut plugin = plugin_with(&state, 0, rate, 512);
        let y = plugin.process(&x, &[512], &[]).expect("process");
        assert!(y[0] != y[1]);
        // With a headphone whose ears differ, the mono slot feeds one signal through each
        // ear's own correction: what reaches the ears (output + headphone) is the same, so
        // the outputs differ exactly by the correction's L − R.
        let stereo_hp = write_headphone(&dir);
        let columns = curves_columns(&dir, &stereo_hp, &[]);
        let state = preset(
            &dir,
            "stereo",
            &["--headphone", stereo_hp.to_str().expect("utf8")],
        );
        let mut plugin = plugin_with(&state, 5, rate, 1024);
        let y = impulse_response(&mut plugin, rate, 0.6, 3);
        let freqs = &columns["frequency"];
        let band: Vec<f64> = freqs
            .iter()
            .copied()
            .filter(|f| (700.0..=12_000.0).contains(f))
            .collect();
        let l = magnitude_db(&y[0][IMPULSE_AT..], rate, &band);
        let r = magnitude_db(&y[1][IMPULSE_AT..], rate, &band);
        let want = chain_columns(&columns, 5);
        let mut worst: f64 = 0.0;
        for (j, f) in band.iter().enumerate() {
            let i = freqs.iter().position(|g| g == f).expect("grid");
            let err = ((l[j] - r[j]) - (want[0][i] - want[1][i])).abs();
            worst = worst.max(err);
        }
        // Measured 0.0010 dB; allowed 0.002 (was 0.05).
        assert!(worst < 0.002, "L − R off the correction's by {worst} dB");
        println!(
            "mono slot: L == R bit-exact with a one-curve headphone; per-ear headphone: L − R = correction L − R within {worst:.4} dB (700 Hz–12 kHz, the phone's band)"
        );
    });
}

#[test]
fn listen_automation_lands_on_its_frame_without_a_click() {
    isolated(
        "listen_automation_lands_on_its_frame_without_a_click",
        || {
            let dir = temp_dir("workflow-automation");
            let headphone = write_headphone(&dir);
            let state = preset(
                &dir,
                "zl",
                &["--headphone", headphone.to_str().expect("utf8")],
            );
            let rate = 48_000.0;
            let frames = 48_000;
            let x: Vec<Vec<f32>> = vec![
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
                let play = |listen: usize| {
                    let mut p = plugin_with(&state, listen, rate, 512);
                    p.process(&x, &[512], &[]).expect("process")
                };
                let (was, will) = (play(from), play(to));
                let mut plugin = plugin_with(&state, from, rate, 512);
                let change = ParamChange {
                    frame: at,
                    id: listen_id(),
                    value: to as f64,
                };
                let y = plugin.process(&x, &[512], &[change]).expect("process");
                for ch in 0..2 {
                    let label = format!("{from}→{to} ch {ch}");
                    figures.push(assert_switch_at(
                        &label, &y[ch], &was[ch], &will[ch], at, fade_len,
                    ));
                }
            }
            println!("listen automation: {}", figures.join("; "));
        },
    );
}

#[test]
fn full_scale_pink_noise_never_clips() {
    isolated("full_scale_pink_noise_never_clips", || {
        let dir = temp_dir("workflow-headroom");
        let headphone = write_headphone(&dir);
        let hp = headphone.to_str().expect("utf8");
        let rate = 48_000.0;
        let mut rng = Rng::new(77);
        let pink = pink_noise(&mut rng, 96_000, rate, 1.0);
        let other = pink_noise(&mut rng, 96_000, rate, 1.0);
        let inputs = [
            ("coherent", vec![pink.clone(), pink.clone()]),
            ("decorrelated", vec![pink, other]),
        ];
        let settings: [(&str, Vec<&str>); 3] = [
            ("defaults", vec![]),
            (
                "every knob boosting",
                vec![
                    "--room-gain",
                    "12",
                    "--treble",
                    "10",
                    "--tilt",
                    "-2",
                    "--pinna-gain",
                    "150",
                    "--max-boost",
                    "12",
                ],
            ),
            (
                "Harman in-ear target, correction off",
                vec!["--target", "harman_ie_2019v2", "--correct", "off"],
            ),
        ];
        let mut report = Vec::new();
        for (name, extra) in &settings {
            let mut args = vec!["--headphone", hp];
            args.extend(extra.iter().copied());
            let state = preset(&dir, "headroom", &args);
            let mut loudest: f32 = 0.0;
            for listen in 0..9 {
                for (kind, x) in &inputs {
                    let mut plugin = plugin_with(&state, listen, rate, 1024);
                    let y = plugin.process(x, &[1024], &[]).expect("process");
                    let peak = y.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
                    assert!(
                        peak <= 1.0,
                        "{name}, listen {listen}, {kind} pink noise: peak {peak} clips"
                    );
                    loudest = loudest.max(peak);
                }
            }
            report.push(format!(
                "{name}: highest peak {:.2} dBFS",
                20.0 * loudest.log10()
            ));
        }
        println!(
            "full-scale pink noise through all nine listen choices: {}",
            report.join("; ")
        );
    });
}

#[test]
fn refcan_render_equals_the_plugin() {
    isolated("refcan_render_equals_the_plugin", || {
        let dir = temp_dir("workflow-render");
        let headphone = write_headphone(&dir);
        let other = write_mono_headphone(&dir);
        let rate = 44_100u32;
        let x = noise(&mut Rng::new(12), 2, 30_000, 0.3);
        let wav_in = dir.join("in.wav");
        refcan::io::wav::write_f32(&wav_in, rate, &x).expect("write");
        for (mode, listen, label) in [
            ("zero_latency", 3usize, "slot-3"),
            ("zero_latency", 8, "slot-8"),
            ("linear_phase", 5, "phone_speaker"),
            ("low_cpu", 0, "reference"),
            ("low_cpu", 6, "slot-6"),
            ("low_cpu", 8, "slot-8"),
        ] {
            let state = preset(
                &dir,
                mode,
                &[
                    "--headphone",
                    headphone.to_str().expect("utf8"),
                    "--filter-mode",
                    mode,
                    "--slot",
                    &format!("8={}", other.to_str().expect("utf8")),
                ],
            );
            let preset_path = dir.join(format!("{mode}.json"));
            let wav_out = dir.join(format!("out-{mode}-{listen}.wav"));
            refcan(&[
                "render",
                "--preset",
                preset_path.to_str().expect("utf8"),
                "--listen",
                label,
                "--block",
                "512",
                wav_in.to_str().expect("utf8"),
                wav_out.to_str().expect("utf8"),
            ]);
            let rendered = refcan::io::wav::read(&wav_out).expect("read").channels;
            let mut plugin = plugin_with(&state, listen, f64::from(rate), 512);
            let latency = plugin.latency_samples() as usize;
            let mut padded = x.clone();
            for ch in &mut padded {
                ch.extend(std::iter::repeat_n(0.0, latency));
            }
            let y = plugin.process(&padded, &[512], &[]).expect("process");
            let mut worst: f32 = 0.0;
            for ch in 0..2 {
                assert_eq!(rendered[ch].len(), x[ch].len());
                for i in 0..x[ch].len() {
                    worst = worst.max((rendered[ch][i] - y[ch][i + latency]).abs());
                }
            }
            assert!(worst == 0.0, "{mode} {label}: render differs by {worst}");
            println!(
                "refcan render {mode} --listen {label}: bit-identical to the plugin (latency {latency} compensated)"
            );
        }
    });
}

#[test]
fn slots_survive_save_and_restore() {
    isolated("slots_survive_save_and_restore", || {
        let dir = temp_dir("workflow-state");
        let headphone = write_headphone(&dir);
        let other = write_mono_headphone(&dir);
        let state = preset(
            &dir,
            "slots",
            &[
                "--headphone",
                headphone.to_str().expect("utf8"),
                "--slot",
                "1=tv",
                "--slot",
                &format!("8={}", other.to_str().expect("utf8")),
                "--listen",
                "slot-8",
                "--offline-render",
                "process",
            ],
        );
        let mut a = Plugin::new().expect("instantiate");
        a.load_state(&clap_blob(&state)).expect("load");
        let saved = a.save_state().expect("save");
        // The other headphone's file is gone: the project must not need it.
        std::fs::remove_file(&other).expect("remove");
        let mut b = Plugin::new().expect("instantiate");
        b.load_state(&saved).expect("restore");
        assert_eq!(b.save_state().expect("save"), saved, "restores identically");
        let json: serde_json::Value = serde_json::from_slice(&saved[8..]).expect("JSON");
        let doc: serde_json::Value =
            serde_json::from_str(json["fields"]["refcan"].as_str().expect("text")).expect("doc");
        assert_eq!(doc["slots"][0]["simulation"]["id"], "tv");
        assert_eq!(
            doc["slots"][7]["other_headphone"]["headphone"]["name"],
            "Mono HP"
        );
        assert_eq!(doc["offline_render"], "process");
        assert_eq!(json["params"]["listen"]["string"], "slot_8");
        let x = noise(&mut Rng::new(8), 2, 20_000, 0.25);
        let mut outs = Vec::new();
        for p in [&mut a, &mut b] {
            p.activate(48_000.0, 512).expect("activate");
            outs.push(p.process(&x, &[512], &[]).expect("process"));
        }
        assert!(
            outs[0] == outs[1],
            "the restored instance plays differently"
        );
        // And slot 8 is the other headphone, not the default club: different from slot 7.
        let mut c = Plugin::new().expect("instantiate");
        c.load_state(&saved).expect("restore");
        c.flush(&[(listen_id(), 7.0)]);
        c.activate(48_000.0, 512).expect("activate");
        let y7 = c.process(&x, &[512], &[]).expect("process");
        assert!(y7 != outs[1]);
        println!(
            "slots: saved {} bytes; restored bit-identically without the imported file",
            saved.len()
        );
    });
}

#[test]
fn level_match_keeps_every_choice_within_half_a_lu() {
    isolated("level_match_keeps_every_choice_within_half_a_lu", || {
        let dir = temp_dir("workflow-loudness");
        let headphone = write_headphone(&dir);
        let hp = headphone.to_str().expect("utf8");
        let rate = 48_000.0;
        let mut rng = Rng::new(3);
        let mono = pink_noise(&mut rng, 5 * 48_000, rate, 0.5);
        let coherent = vec![mono.clone(), mono];
        let mut report = Vec::new();
        for (name, extra) in [
            ("level match on", vec![]),
            (
                "level match on, room gain +6, treble −3",
                vec!["--room-gain", "6", "--treble", "-3"],
            ),
            ("level match off", vec!["--level-match", "off"]),
        ] {
            let mut args = vec!["--headphone", hp];
            args.extend(extra.iter().copied());
            let state = preset(&dir, "loud", &args);
            let louds: Vec<f64> = (0..9)
                .map(|listen| {
                    let mut plugin = plugin_with(&state, listen, rate, 1024);
                    let y = plugin.process(&coherent, &[1024], &[]).expect("process");
                    lufs(&y, rate, 24_000)
                })
                .collect();
            let spread = louds.iter().copied().fold(f64::MIN, f64::max)
                - louds.iter().copied().fold(f64::MAX, f64::min);
            if name.starts_with("level match on") {
                // Measured 0.105 LU (0.119 with room +6, treble −3): allowed 0.15.
                assert!(spread <= 0.15, "{name}: spread {spread:.3} LU: {louds:?}");
            } else {
                assert!(
                    spread > 1.0,
                    "{name}: the match makes no difference ({spread:.3} LU)"
                );
            }
            let list: Vec<String> = louds.iter().map(|l| format!("{l:.2}")).collect();
            report.push(format!(
                "{name}: spread {spread:.3} LU ({})",
                list.join(", ")
            ));
        }
        println!(
            "loudness of pink noise per listen choice (LUFS, reference then slots 1–8): {}",
            report.join("; ")
        );
    });
}

/// Rig-aware targets, heard: a library in-ear (measured on the 711 coupler) with the target
/// parameter at Harman over-ear 2018 plays the chain made for Harman in-ear 2019, the target
/// published for its rig; the same table imported from a file (rig unknown) plays the
/// over-ear chain. The two differ by over 2 dB in the bass, so the check can fail.
#[test]
fn a_library_in_ear_is_corrected_to_the_target_for_its_rig() {
    isolated(
        "a_library_in_ear_is_corrected_to_the_target_for_its_rig",
        || {
            let dir = temp_dir("workflow-rig");
            let library = refcan::headphones::HeadphoneLibrary::builtin();
            let entry = library.find("sony_wf_1000xm4").expect("in the library");
            let mut table = String::from("frequency,raw\n");
            for [f, v] in &entry.points {
                table.push_str(&format!("{f},{v}\n"));
            }
            let file = dir.join("WF-1000XM4.csv");
            std::fs::write(&file, table).expect("write");
            let file = file.to_str().expect("utf8");
            let ie = curves_csv(
                &dir,
                "ie",
                &["--headphone", file, "--target", "harman_ie_2019v2"],
            );
            let oe = curves_csv(
                &dir,
                "oe",
                &["--headphone", file, "--target", "harman_oe_2018"],
            );
            let freqs = &ie["frequency"];
            let band: Vec<usize> = (0..freqs.len())
                .filter(|&i| (20.0..=16_000.0).contains(&freqs[i]))
                .collect();
            let band_hz: Vec<f64> = band.iter().map(|&i| freqs[i]).collect();
            let (ie, oe) = (&ie["reference chain"], &oe["reference chain"]);
            let apart = band
                .iter()
                .map(|&i| (ie[i] - oe[i]).abs())
                .fold(0.0, f64::max);
            assert!(
                apart > 2.0,
                "the two targets' chains differ by only {apart:.2} dB"
            );
            let rate = 48_000.0;
            for (name, args, want) in [
                (
                    "library",
                    vec![
                        "--headphone-id",
                        "sony_wf_1000xm4",
                        "--target",
                        "harman_oe_2018",
                    ],
                    ie,
                ),
                (
                    "file",
                    vec!["--headphone", file, "--target", "harman_oe_2018"],
                    oe,
                ),
            ] {
                let state = preset(&dir, name, &args);
                let mut plugin = plugin_with(&state, 0, rate, 1024);
                let y = impulse_response(&mut plugin, rate, 0.6, 77);
                let mut worst: f64 = 0.0;
                for (ch, ear) in y.iter().enumerate() {
                    let measured = magnitude_db(&ear[IMPULSE_AT..], rate, &band_hz);
                    for (j, &i) in band.iter().enumerate() {
                        let err = (measured[j] - want[i]).abs();
                        assert!(
                            err <= chain_tolerance_db("zero_latency"),
                            "{name} ch {ch} at {:.1} Hz: measured {:.3} dB, expected {:.3} dB",
                            freqs[i],
                            measured[j],
                            want[i]
                        );
                        worst = worst.max(err);
                    }
                }
                println!(
                    "{name}: worst |measured − expected chain| {worst:.4} dB over 20 Hz–16 kHz; the \
                 in-ear and over-ear chains are up to {apart:.2} dB apart"
                );
            }
        },
    );
}

/// Every built-in simulation (all 30, four states of up to eight slots) plays its ΔS through
/// the plugin: the measured slot response minus the measured reference equals `refcan
/// curves`' slot chain minus its reference chain (the level-matched ΔS) — within 0.02 dB over
/// 20 Hz–16 kHz in Zero latency (measured 0.016), and within 0.08 dB below 8 kHz in Low CPU
/// (measured 0.063; README claims 0.25), where a slot adds its simulation's own biquads.
#[test]
fn every_builtin_simulation_plays_its_curve() {
    isolated("every_builtin_simulation_plays_its_curve", || {
        let dir = temp_dir("workflow-all-sims");
        let headphone = write_headphone(&dir);
        let hp = headphone.to_str().expect("utf8");
        let ids: Vec<String> = refcan::presets::PresetLibrary::builtin()
            .simulations
            .iter()
            .map(|s| s.id.clone())
            .collect();
        assert_eq!(ids.len(), 30);
        let rate = 48_000.0;
        let mut report = Vec::new();
        for (group, chunk) in ids.chunks(8).enumerate() {
            let slot_args: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(k, id)| format!("{}={id}", k + 1))
                .collect();
            let mut extra: Vec<&str> = Vec::new();
            for a in &slot_args {
                extra.extend_from_slice(&["--slot", a]);
            }
            let columns = curves_columns(&dir, &headphone, &extra);
            let freqs = &columns["frequency"];
            for (mode, top_hz, tolerance) in [
                ("zero_latency", 16_000.0, chain_tolerance_db("zero_latency")),
                // Measured worst 0.063 dB (B&O H95), well inside README's 0.25 dB claim.
                ("low_cpu", 8_000.0, 0.08),
            ] {
                let mut args = vec!["--headphone", hp, "--target", common::fixtures::TARGET];
                args.extend_from_slice(&["--filter-mode", mode]);
                args.extend_from_slice(&extra);
                let state = preset(&dir, &format!("sims-{group}-{mode}"), &args);
                let band: Vec<usize> = (0..freqs.len())
                    .filter(|&i| (20.0..=top_hz).contains(&freqs[i]))
                    .collect();
                let band_hz: Vec<f64> = band.iter().map(|&i| freqs[i]).collect();
                let measure = |listen: usize| {
                    let mut plugin = plugin_with(&state, listen, rate, 1024);
                    let y = impulse_response(&mut plugin, rate, 0.6, 11 + listen as u64);
                    [0, 1].map(|ch| magnitude_db(&y[ch][IMPULSE_AT..], rate, &band_hz))
                };
                let reference = measure(0);
                let want_ref = chain_columns(&columns, 0);
                for (k, id) in chunk.iter().enumerate() {
                    let slot = measure(k + 1);
                    let want = chain_columns(&columns, k + 1);
                    let mut worst: f64 = 0.0;
                    for ch in 0..2 {
                        let top = want[ch].iter().copied().fold(f64::MIN, f64::max);
                        for (j, &i) in band.iter().enumerate() {
                            if want[ch][i] < top - STOPBAND_DB {
                                continue;
                            }
                            let got = slot[ch][j] - reference[ch][j];
                            let expected = want[ch][i] - want_ref[ch][i];
                            let err = (got - expected).abs();
                            assert!(
                                err <= tolerance,
                                "{mode} {id} ch {ch} at {:.1} Hz: slot − reference {got:.3} dB, \
                                 ΔS {expected:.3} dB",
                                freqs[i]
                            );
                            worst = worst.max(err);
                        }
                    }
                    report.push(format!("{mode} {id} {worst:.3}"));
                }
            }
        }
        println!(
            "worst |measured (slot − reference) − level-matched ΔS| in dB, 48 kHz: {}",
            report.join(", ")
        );
    });
}
