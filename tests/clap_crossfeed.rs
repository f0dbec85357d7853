//! Crossfeed through the CLAP plugin (debug build, allocation-checked) in a clack-host host:
//! for each strength, the interaural level difference a hard-left impulse produces matches
//! Bauer's bs2b formulas at low and high frequencies (0.1 dB) and in between (0.4 dB); it adds
//! no latency; a mono input (L = R) comes out bit for bit as without crossfeed, so coherent pink
//! noise keeps its loudness exactly (decorrelated pink noise loses 0.57–0.81 LU, bounded at 1);
//! switching it mid-stream does not click.
//!
//! Run with `cargo test --test clap_crossfeed -- --nocapture` to see the figures.

mod common;

use common::fixtures::{IMPULSE_AT, clap_blob, magnitude_db, refcan, temp_dir};
use common::host::{ParamChange, Plugin, clap_param_id};
use common::isolated;
use common::loudness::lufs;
use common::pink::pink_noise;
use common::signal::{Rng, noise};
use refcan::dsp::crossfeed::{PRESETS, bs2b_ild_db};

/// The strengths' ids, off first (the `crossfeed` parameter's variants in order).
const CHOICES: [&str; 4] = ["off", "meier", "chu_moy", "bs2b_default"];

/// A plugin with the `refcan preset` state for `crossfeed`, activated.
fn plugin(crossfeed: &str, rate: f64) -> Plugin {
    let dir = temp_dir(&format!("crossfeed-{crossfeed}"));
    let path = dir.join("state.json");
    refcan(&[
        "preset",
        "--crossfeed",
        crossfeed,
        "-o",
        path.to_str().expect("utf8"),
    ]);
    let state = std::fs::read(&path).expect("state");
    let mut plugin = Plugin::new().expect("instantiate");
    plugin.load_state(&clap_blob(&state)).expect("load");
    plugin.activate(rate, 1024).expect("activate");
    plugin
}

#[test]
fn the_ild_of_each_strength_follows_bs2b_and_adds_no_latency() {
    isolated(
        "the_ild_of_each_strength_follows_bs2b_and_adds_no_latency",
        || {
            let mut report = Vec::new();
            for rate in [44_100.0, 96_000.0] {
                for (k, id) in CHOICES.iter().enumerate().skip(1) {
                    let preset = &PRESETS[k - 1];
                    let mut p = plugin(id, rate);
                    assert_eq!(p.latency_samples(), 0, "{id}: zero latency");
                    let frames = IMPULSE_AT + rate as usize;
                    let mut input = vec![vec![0.0f32; frames]; 2];
                    input[0][IMPULSE_AT] = 1.0;
                    let out = p.process(&input, &[512, 1024, 37], &[]).expect("process");
                    let peak = out[0]
                        .iter()
                        .enumerate()
                        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                        .map(|(i, _)| i);
                    assert_eq!(
                        peak,
                        Some(IMPULSE_AT),
                        "{id}: the direct sound is not delayed"
                    );
                    let freqs = [40.0, 100.0, 300.0, 700.0, 1_500.0, 4_000.0, 8_000.0];
                    let left = magnitude_db(&out[0][IMPULSE_AT..], rate, &freqs);
                    let right = magnitude_db(&out[1][IMPULSE_AT..], rate, &freqs);
                    let mut row = Vec::new();
                    for ((f, l), r) in freqs.iter().zip(&left).zip(&right) {
                        let ild = l - r;
                        let bs2b = bs2b_ild_db(preset, *f, rate);
                        // Measured: within 0.04 dB at 40/100 Hz and 4/8 kHz, 0.360 dB anywhere
                        // (bs2b default at 700 Hz, 96 kHz): allowed 0.05 and 0.37.
                        let tolerance = if *f <= 100.0 || *f >= 4_000.0 {
                            0.05
                        } else {
                            0.37
                        };
                        assert!(
                            (ild - bs2b).abs() <= tolerance,
                            "{id} at {rate} Hz: ILD at {f} Hz is {ild:.3} dB, bs2b {bs2b:.3} dB"
                        );
                        row.push(format!("{f}: {ild:.2}/{bs2b:.2}"));
                    }
                    report.push(format!("{id} @ {rate}: {}", row.join(", ")));
                }
            }
            println!(
                "figure: crossfeed ILD (dB, measured / bs2b) for a hard-left impulse:\n  {}",
                report.join("\n  ")
            );
        },
    );
}

#[test]
fn mono_comes_out_as_without_crossfeed_bit_for_bit() {
    isolated("mono_comes_out_as_without_crossfeed_bit_for_bit", || {
        let rate = 48_000.0;
        let mono = noise(&mut Rng::new(11), 1, 48_000, 0.5).remove(0);
        let input = vec![mono.clone(), mono];
        let reference = plugin("off", rate)
            .process(&input, &[512], &[])
            .expect("process");
        for id in &CHOICES[1..] {
            let out = plugin(id, rate)
                .process(&input, &[512], &[])
                .expect("process");
            assert!(out == reference, "{id}: a mono input changed");
        }
    });
}

#[test]
fn pink_noise_keeps_its_loudness_within_half_a_lu() {
    isolated("pink_noise_keeps_its_loudness_within_half_a_lu", || {
        let rate = 48_000.0;
        let mut rng = Rng::new(5);
        let a = pink_noise(&mut rng, 5 * 48_000, rate, 0.5);
        let b = pink_noise(&mut rng, 5 * 48_000, rate, 0.5);
        let mut report = Vec::new();
        for (kind, input) in [
            ("coherent", vec![a.clone(), a.clone()]),
            ("decorrelated", vec![a, b]),
        ] {
            let louds: Vec<f64> = CHOICES
                .iter()
                .map(|id| {
                    let y = plugin(id, rate)
                        .process(&input, &[1024], &[])
                        .expect("process");
                    lufs(&y, rate, 24_000)
                })
                .collect();
            // Coherent (centred) content keeps its loudness exactly: mono is untouched. Fully
            // decorrelated content loses what the narrower image sums away below the cut-off
            // (the feed level fixes it: (1 + ((r − 1)/(r + 1))²)/2 of the side power at low
            // frequencies, r = 10^(F/20)); measured 0.57–0.81 LU, bounded here at 0.85 LU.
            // Coherent: a mono input passes bit for bit, so it moves by 0 (allowed 0.001).
            let limit = if kind == "coherent" { 0.001 } else { 0.85 };
            for (id, l) in CHOICES.iter().zip(&louds).skip(1) {
                let moved = l - louds[0];
                assert!(
                    moved.abs() <= limit,
                    "{kind} pink noise: crossfeed {id} moves the loudness {moved:.3} LU"
                );
            }
            let list: Vec<String> = louds
                .iter()
                .map(|l| format!("{:+.3}", l - louds[0]))
                .collect();
            report.push(format!("{kind}: {}", list.join(", ")));
        }
        println!(
            "figure: loudness change of pink noise with crossfeed (LU; off, meier, chu_moy, bs2b_default): {}",
            report.join("; ")
        );
    });
}

#[test]
fn switching_crossfeed_mid_stream_does_not_click() {
    isolated("switching_crossfeed_mid_stream_does_not_click", || {
        let rate = 48_000.0;
        let frames = 24_000;
        let tone: Vec<f32> = (0..frames)
            .map(|n| (0.5 * (std::f64::consts::TAU * 80.0 * n as f64 / rate).sin()) as f32)
            .collect();
        let input = vec![tone, vec![0.0; frames]];
        let mut p = plugin("off", rate);
        let change = ParamChange {
            frame: frames / 2,
            id: clap_param_id("crossfeed"),
            value: 3.0,
        };
        let out = p.process(&input, &[256], &[change]).expect("process");
        let before = &out[1][..frames / 2];
        assert!(before.iter().all(|x| *x == 0.0), "off: nothing crosses");
        // The right ear fades in; its largest sample-to-sample step stays below that of the
        // steady crossfed 80 Hz tone (0.5 · g · 2π·80/48 000 ≈ 0.002).
        let step = out[1]
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max);
        assert!(step < 0.003, "largest step in the right ear {step}");
        let tail = &out[1][frames - 4_800..];
        let rms =
            (tail.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
        // 0.5 · g · |LP(80 Hz)| / √2 ≈ 0.13 (bs2b default), times the common preamp (−10.4 dB).
        assert!(
            rms > 0.02,
            "crossfeed is on after the change (right ear RMS {rms})"
        );
    });
}
