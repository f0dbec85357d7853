//! The built plugin binary (`librefcan.so`, which is itself a `.clap`) driven by a CLAP host
//! built on clack-host, the way a DAW drives it: descriptor, ports and parameters; activation
//! at several rates; processing on an audio thread with block sizes from 1 to 4096 and
//! sample-accurate automation; measured gain, bypass, mono and click behaviour; state save,
//! restore and corruption; activation cycles; parameter text round trips.
//!
//! Each scenario runs in its own child process (`common::isolated`): in a debug build the
//! plugin aborts on any allocation inside `process()` (nice-plug's `assert_process_allocs`),
//! and that abort then fails the scenario by name instead of killing the whole test binary.
//! Run with `cargo test --test clap_host -- --nocapture` to see the measured numbers.

mod common;

use common::host::{ParamChange, Plugin, clap_param_id};
use common::isolated;
use common::signal::{
    Rng, first_unclean, fixed_blocks, gain_db, max_step, ms_to_frames, noise, random_blocks, sine,
    tone_amplitude, tone_gain_db,
};
use refcan::curve::simulation::Simulation;
use refcan::params::{
    OUTPUT_GAIN_MAX_DB, OUTPUT_GAIN_MIN_DB, OUTPUT_GAIN_SMOOTHING_MS, ParamValues,
};
use refcan::state::{RefcanState, SLOT_COUNT, SlotContent, plugin_state};

/// The sample rates every processing scenario runs at.
const RATES_HZ: [f64; 3] = [44_100.0, 48_000.0, 96_000.0];

/// Bypass and mono crossfade time (src/dsp/output.rs, `SWITCH_FADE_MS`).
const SWITCH_FADE_MS: f64 = 10.0;

/// The string ids are a public contract (PRODUCT.md, "Parameters"); nice-plug derives the CLAP
/// ids from them. These numbers were computed once from the string ids and must never change:
/// hosts store automation and projects under them.
const GOLDEN_CLAP_IDS: [(&str, &str, u32); 3] = [
    ("bypass", "Bypass", 773_352_680),
    ("output_gain", "Output Gain", 1_322_673_149),
    ("mono", "Mono", 3_357_411),
];

/// The CLAP ids of the three parameters, looked up by name and checked against their hashes.
#[derive(Debug, Clone, Copy)]
struct Ids {
    bypass: u32,
    gain: u32,
    mono: u32,
}

fn ids(plugin: &mut Plugin) -> Ids {
    let mut found = [0u32; 3];
    for (slot, (string_id, name, golden)) in found.iter_mut().zip(GOLDEN_CLAP_IDS) {
        let param = plugin
            .param_named(name)
            .unwrap_or_else(|| panic!("no parameter named {name:?}"));
        assert_eq!(
            param.id,
            clap_param_id(string_id),
            "{name} is not `{string_id}`"
        );
        assert_eq!(param.id, golden, "{name}: CLAP id changed");
        *slot = param.id;
    }
    Ids {
        bypass: found[0],
        gain: found[1],
        mono: found[2],
    }
}

/// The CLAP value of an output gain in dB (nice-plug exposes float parameters normalised).
fn gain_value(db: f64) -> f64 {
    (db - OUTPUT_GAIN_MIN_DB as f64) / (OUTPUT_GAIN_MAX_DB as f64 - OUTPUT_GAIN_MIN_DB as f64)
}

/// The output gain in dB for a CLAP value, snapped to the parameter's 0.01 dB step.
fn gain_db_of(value: f64) -> f64 {
    let db = OUTPUT_GAIN_MIN_DB as f64
        + value.clamp(0.0, 1.0) * (OUTPUT_GAIN_MAX_DB as f64 - OUTPUT_GAIN_MIN_DB as f64);
    (db / 0.01).round() * 0.01
}

fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

fn change(frame: usize, id: u32, value: f64) -> ParamChange {
    ParamChange { frame, id, value }
}

/// A stereo test signal: independent noise plus a different sine in each channel.
fn stereo_signal(rng: &mut Rng, sample_rate_hz: f64, frames: usize) -> Vec<Vec<f32>> {
    let mut x = noise(rng, 2, frames, 0.3);
    let tones = [
        sine(440.0, sample_rate_hz, frames, 0.2, 0.0),
        sine(1000.0, sample_rate_hz, frames, 0.2, 1.0),
    ];
    for (channel, tone) in x.iter_mut().zip(&tones) {
        for (s, t) in channel.iter_mut().zip(tone) {
            *s += t;
        }
    }
    x
}

/// A new instance whose eight slots are transparent (identity simulations) and which has no
/// headphone, so the reference plays at unity and the common preamp is 0 dB. The scenarios
/// here test the trim, mono, bypass and automation machinery against a unity model; the
/// slots, the level match and the preamp have their own tests (`clap_workflow.rs`).
fn transparent_plugin() -> Plugin {
    let mut plugin = Plugin::new().expect("load the plugin");
    let identity = SlotContent::Simulation {
        id: "identity".into(),
        name: "Identity".into(),
        simulation: Simulation::identity(),
    };
    let doc = RefcanState {
        slots: vec![identity; SLOT_COUNT],
        ..RefcanState::default()
    };
    let state =
        serde_json::to_value(plugin_state(&ParamValues::default(), &doc)).expect("serialise");
    plugin
        .load_state(&state_blob(&state))
        .expect("load the transparent state");
    plugin
}

/// The preamp of a state with no headphone and the default slots, dB (from the library).
fn default_slots_preamp_db() -> f64 {
    let settings = ParamValues::default();
    let design = refcan::design::DesignSettings {
        mode: settings.filter_mode.into(),
        target_id: settings.target.preset_id().into(),
        chain: refcan::chain::ChainSettings::default(),
    };
    let slots = refcan::design::slot_sources(&refcan::state::default_slots());
    let library = refcan::presets::PresetLibrary::builtin();
    refcan::design::chain_curves(&design, None, &slots, &library)
        .expect("chain")
        .preamp_db
}

/// A new instance, activated at `sample_rate_hz` for blocks up to `max_frames`, after the
/// given parameter values were flushed while inactive.
fn active_plugin(sample_rate_hz: f64, max_frames: usize, preset: &[(u32, f64)]) -> Plugin {
    let mut plugin = transparent_plugin();
    plugin.flush(preset);
    plugin
        .activate(sample_rate_hz, max_frames)
        .expect("activate");
    plugin
}

/// The behaviour the spec asks for, computed independently in f64: output gain ramps linearly
/// in dB over `OUTPUT_GAIN_SMOOTHING_MS` (reaching the target on the last frame), bypass and
/// mono crossfade with a raised cosine over `SWITCH_FADE_MS`, moving one frame per sample from
/// the frame of the event.
struct Model {
    ids: Ids,
    gain_steps: usize,
    fade_len: usize,
    gain_norm: f32,
    gain_from_db: f64,
    gain_to_db: f64,
    gain_step: usize,
    bypass: (bool, usize),
    mono: (bool, usize),
}

impl Model {
    fn new(ids: Ids, sample_rate_hz: f64, gain_db: f64, bypass: bool, mono: bool) -> Self {
        let fade_len = ms_to_frames(SWITCH_FADE_MS, sample_rate_hz).max(1);
        Self {
            ids,
            gain_steps: ms_to_frames(OUTPUT_GAIN_SMOOTHING_MS as f64, sample_rate_hz),
            fade_len,
            gain_norm: gain_value(gain_db) as f32,
            gain_from_db: gain_db,
            gain_to_db: gain_db,
            gain_step: usize::MAX,
            bypass: (bypass, if bypass { fade_len } else { 0 }),
            mono: (mono, if mono { fade_len } else { 0 }),
        }
    }

    fn gain_now_db(&self) -> f64 {
        if self.gain_step >= self.gain_steps {
            self.gain_to_db
        } else {
            self.gain_from_db
                + (self.gain_to_db - self.gain_from_db) * self.gain_step as f64
                    / self.gain_steps as f64
        }
    }

    fn apply(&mut self, c: &ParamChange) {
        if c.id == self.ids.gain {
            // nice-plug only restarts the smoother when the value actually changes.
            if c.value as f32 != self.gain_norm {
                self.gain_norm = c.value as f32;
                self.gain_from_db = self.gain_now_db();
                self.gain_to_db = gain_db_of(c.value);
                self.gain_step = 0;
            }
        } else if c.id == self.ids.bypass {
            self.bypass.0 = c.value > 0.5;
        } else if c.id == self.ids.mono {
            self.mono.0 = c.value > 0.5;
        }
    }

    fn weight(ramp: &mut (bool, usize), len: usize) -> f64 {
        if ramp.0 && ramp.1 < len {
            ramp.1 += 1;
        } else if !ramp.0 && ramp.1 > 0 {
            ramp.1 -= 1;
        }
        0.5 - 0.5 * (std::f64::consts::PI * ramp.1 as f64 / len as f64).cos()
    }

    /// Runs the model over a signal with the given changes.
    fn run(&mut self, input: &[Vec<f32>], changes: &[ParamChange]) -> Vec<Vec<f64>> {
        let frames = input[0].len();
        let mut changes = changes.to_vec();
        changes.sort_by_key(|c| c.frame);
        let mut next = 0;
        let mut out = vec![vec![0.0; frames]; input.len()];
        for i in 0..frames {
            while next < changes.len() && changes[next].frame == i {
                self.apply(&changes[next]);
                next += 1;
            }
            if self.gain_step < self.gain_steps {
                self.gain_step += 1;
            }
            let g = db_to_gain(self.gain_now_db());
            let m = Self::weight(&mut self.mono, self.fade_len);
            let b = Self::weight(&mut self.bypass, self.fade_len);
            if input.len() == 2 {
                let (l, r) = (input[0][i] as f64, input[1][i] as f64);
                let mid = 0.5 * (l + r);
                for (ch, dry) in [l, r].into_iter().enumerate() {
                    let wet = g * ((1.0 - m) * dry + m * mid);
                    out[ch][i] = wet + b * (dry - wet);
                }
            } else {
                for ch in 0..input.len() {
                    let dry = input[ch][i] as f64;
                    let wet = g * dry;
                    out[ch][i] = wet + b * (dry - wet);
                }
            }
        }
        out
    }
}

/// Largest |plugin − model| over all channels and frames, with where it happened.
fn max_model_error(out: &[Vec<f32>], model: &[Vec<f64>]) -> (f64, usize, usize) {
    let mut worst = (0.0, 0, 0);
    for (ch, (o, m)) in out.iter().zip(model).enumerate() {
        for (i, (&a, &b)) in o.iter().zip(m).enumerate() {
            let e = (a as f64 - b).abs();
            if e > worst.0 {
                worst = (e, ch, i);
            }
        }
    }
    worst
}

fn assert_clean(out: &[Vec<f32>], what: &str) {
    for (ch, x) in out.iter().enumerate() {
        if let Some((i, v)) = first_unclean(x) {
            panic!("{what}: channel {ch} frame {i} is {v:e} (NaN, infinite or subnormal)");
        }
    }
}

#[test]
fn descriptor_ports_and_latency() {
    isolated("descriptor_ports_and_latency", || {
        let (entry, path) = common::host::load_entry().expect("load the plugin binary");
        println!("plugin binary: {}", path.display());
        let descriptors = common::host::descriptors(&entry).expect("plugin factory");
        assert_eq!(descriptors.len(), 1, "{descriptors:?}");
        let d = &descriptors[0];
        assert_eq!(d.id, "org.refcan.refcan");
        assert_eq!(d.name, "Refcan");
        assert_eq!(d.vendor, "Refcan");
        assert_eq!(d.version, env!("CARGO_PKG_VERSION"));
        for feature in ["audio-effect", "equalizer", "utility", "stereo", "mono"] {
            assert!(
                d.features.iter().any(|f| f == feature),
                "{feature} missing: {d:?}"
            );
        }
        println!("descriptor: {d:?}");

        let mut plugin = Plugin::new().expect("instantiate");
        // The default layout is stereo in, stereo out, one main port each.
        for is_input in [true, false] {
            let ports = plugin.audio_ports(is_input).expect("audio-ports");
            assert_eq!(ports.len(), 1, "{ports:?}");
            assert!(ports[0].is_main);
            assert_eq!(ports[0].channels, 2);
            assert_eq!(ports[0].port_type.as_deref(), Some("stereo"));
        }
        let configs = plugin.port_configs();
        println!("port configs: {configs:?}");
        let stereo = configs
            .iter()
            .find(|c| c.input_channels == 2 && c.output_channels == 2)
            .expect("a stereo configuration");
        let mono = configs
            .iter()
            .find(|c| c.input_channels == 1 && c.output_channels == 1)
            .expect("a mono configuration");
        let (stereo_id, mono_id) = (stereo.id, mono.id);
        assert_eq!(configs.len(), 2);

        plugin.select_port_config(mono_id).expect("select mono");
        let ports = plugin.audio_ports(false).expect("audio-ports");
        assert_eq!(ports[0].channels, 1);
        assert_eq!(ports[0].port_type.as_deref(), Some("mono"));
        plugin.select_port_config(stereo_id).expect("select stereo");
        assert_eq!(plugin.channels().expect("channels"), 2);

        // The current engine has no latency; this changes with the linear-phase engine.
        assert_eq!(plugin.latency_samples(), 0);
        plugin.activate(48_000.0, 512).expect("activate");
        assert_eq!(plugin.latency_samples(), 0);
        assert!(!plugin.take_restart_request());
    });
}

#[test]
fn parameter_ids_flags_and_ranges() {
    isolated("parameter_ids_flags_and_ranges", || {
        let mut plugin = Plugin::new().expect("instantiate");
        let params = plugin.params();
        for p in &params {
            println!(
                "param id={:>10} name={:?} module={:?} min={} max={} default={:.6} flags={:?}",
                p.id, p.name, p.module, p.min, p.max, p.default, p.flags
            );
        }
        let mut unique: Vec<u32> = params.iter().map(|p| p.id).collect();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), params.len(), "duplicate CLAP ids");

        let ids = ids(&mut plugin);
        use clack_extensions::params::ParamInfoFlags as F;
        let by_id = |id: u32| params.iter().find(|p| p.id == id).cloned().expect("param");

        let bypass = by_id(ids.bypass);
        assert!(bypass.flags.contains(F::IS_BYPASS), "{:?}", bypass.flags);
        assert!(bypass.flags.contains(F::IS_STEPPED | F::IS_AUTOMATABLE));
        assert_eq!((bypass.min, bypass.max, bypass.default), (0.0, 1.0, 0.0));

        let gain = by_id(ids.gain);
        assert!(gain.flags.contains(F::IS_AUTOMATABLE));
        assert!(
            !gain
                .flags
                .intersects(F::IS_BYPASS | F::IS_STEPPED | F::IS_HIDDEN)
        );
        assert_eq!((gain.min, gain.max), (0.0, 1.0));
        assert!(
            (gain.default - gain_value(0.0)).abs() < 1e-7,
            "{}",
            gain.default
        );

        let mono = by_id(ids.mono);
        assert!(mono.flags.contains(F::IS_STEPPED | F::IS_AUTOMATABLE));
        assert!(!mono.flags.contains(F::IS_BYPASS));
        assert_eq!((mono.min, mono.max, mono.default), (0.0, 1.0, 0.0));

        // Only the bypass parameter carries the bypass flag.
        assert_eq!(
            params
                .iter()
                .filter(|p| p.flags.contains(F::IS_BYPASS))
                .count(),
            1
        );
        // Current values start at the defaults.
        for p in &params {
            let v = plugin.value(p.id).expect("get_value");
            assert!(
                (v - p.default).abs() < 1e-7,
                "{}: {v} vs {}",
                p.name,
                p.default
            );
        }
        // Unknown ids are refused rather than crashing.
        assert_eq!(plugin.value(12_345), None);
        assert_eq!(plugin.value_to_text(12_345, 0.5), None);
    });
}

#[test]
fn parameter_text_round_trips() {
    isolated("parameter_text_round_trips", || {
        let mut plugin = Plugin::new().expect("instantiate");
        let ids = ids(&mut plugin);
        let mut checked = 0;
        let mut worst_db = 0.0f64;
        for p in plugin.params() {
            let stepped = p
                .flags
                .contains(clack_extensions::params::ParamInfoFlags::IS_STEPPED);
            let values: Vec<f64> = if stepped {
                (p.min as i64..=p.max as i64).map(|v| v as f64).collect()
            } else if p.id == ids.gain {
                // Every value on the 0.01 dB grid of the output gain.
                (-2400..=1200)
                    .map(|centi_db| gain_value(centi_db as f64 / 100.0))
                    .collect()
            } else {
                (0..=1000)
                    .map(|i| p.min + (p.max - p.min) * i as f64 / 1000.0)
                    .collect()
            };
            for v in values {
                let text = plugin
                    .value_to_text(p.id, v)
                    .unwrap_or_else(|| panic!("{}: no text for {v}", p.name));
                let back = plugin
                    .text_to_value(p.id, &text)
                    .unwrap_or_else(|| panic!("{}: {text:?} does not parse back", p.name));
                if stepped {
                    // nice-plug parses into an f32 normalised value: steps come back within
                    // f32 rounding (an enum of four: 1.0000000298 for 1).
                    assert!(
                        (back - v).abs() < 1e-6,
                        "{}: {v} → {text:?} → {back}",
                        p.name
                    );
                } else if p.id == ids.gain {
                    let err_db = (gain_db_of(back) - gain_db_of(v)).abs();
                    worst_db = worst_db.max((back - v).abs() * 36.0);
                    assert!(err_db < 1e-9, "{}: {v} → {text:?} → {back}", p.name);
                } else {
                    // Other knobs show 0–2 decimals: the text is within half a display step
                    // (< 0.4 % of the range for every one of them).
                    assert!(
                        (back - v).abs() < 0.004,
                        "{}: {v} → {text:?} → {back}",
                        p.name
                    );
                }
                assert_eq!(plugin.value_to_text(p.id, back).as_deref(), Some(&*text));
                checked += 1;
            }
        }
        println!(
            "text round trip: {checked} values, worst output-gain difference {worst_db:.2e} dB"
        );

        // What users type.
        let typed_gain = [
            ("-6 dB", Some(-6.0)),
            ("-6.02", Some(-6.02)),
            ("  +3.5dB ", Some(3.5)),
            ("12", Some(12.0)),
            ("-24.00 dB", Some(-24.0)),
            ("40", Some(12.0)),
            ("-99", Some(-24.0)),
            ("loud", None),
            ("", None),
        ];
        for (text, want_db) in typed_gain {
            let got = plugin.text_to_value(ids.gain, text).map(gain_db_of);
            match (got, want_db) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-6, "{text:?} → {g} dB"),
                (None, None) => {}
                _ => panic!("{text:?} parsed as {got:?} dB, expected {want_db:?}"),
            }
        }
        for (text, want) in [
            ("Bypassed", Some(1.0)),
            ("not bypassed", Some(0.0)),
            ("maybe", None),
        ] {
            assert_eq!(plugin.text_to_value(ids.bypass, text), want, "{text:?}");
        }
        for (text, want) in [
            ("Mono", Some(1.0)),
            ("stereo", Some(0.0)),
            ("on", Some(1.0)),
            ("0", Some(0.0)),
            ("both", None),
        ] {
            assert_eq!(plugin.text_to_value(ids.mono, text), want, "{text:?}");
        }
    });
}

/// The scripted automation of [`block_sizes_and_rates_match_the_model`], in ms.
fn scripted_changes(ids: Ids, sample_rate_hz: f64) -> Vec<ParamChange> {
    let at = |ms: f64| ms_to_frames(ms, sample_rate_hz);
    vec![
        change(at(5.0), ids.gain, gain_value(-6.02)),
        // Reverses the gain mid-ramp.
        change(at(12.0), ids.gain, gain_value(3.5)),
        change(at(40.0), ids.mono, 1.0),
        // Reverses the mono fade half-way.
        change(at(45.0), ids.mono, 0.0),
        change(at(60.0), ids.bypass, 1.0),
        change(at(64.0), ids.gain, gain_value(-24.0)),
        change(at(90.0), ids.bypass, 0.0),
        change(at(95.0), ids.mono, 1.0),
        // Same-frame on/off: the last event wins, nothing moves.
        change(at(120.0), ids.bypass, 1.0),
        change(at(120.0), ids.bypass, 0.0),
        change(at(121.0), ids.gain, gain_value(12.0)),
        change(at(150.0), ids.mono, 0.0),
        change(at(170.0), ids.gain, gain_value(0.0)),
    ]
}

#[test]
fn block_sizes_and_rates_match_the_model() {
    isolated("block_sizes_and_rates_match_the_model", || {
        let mut rng = Rng::new(0x5EED_0001);
        for rate in RATES_HZ {
            let frames = ms_to_frames(200.0, rate);
            let input = stereo_signal(&mut rng, rate, frames);
            let mut plans: Vec<(String, Vec<usize>)> = [1, 31, 64, 512, 4096]
                .iter()
                .map(|&n| (format!("{n}"), fixed_blocks(n)))
                .collect();
            plans.push(("random".into(), random_blocks(&mut rng, 4096, frames)));

            let mut reference: Option<Vec<Vec<f32>>> = None;
            for (name, plan) in &plans {
                let mut plugin = active_plugin(rate, 4096, &[]);
                let ids = ids(&mut plugin);
                let changes = scripted_changes(ids, rate);
                let out = plugin.process(&input, plan, &changes).expect("process");
                assert_clean(&out, name);

                let expected = Model::new(ids, rate, 0.0, false, false).run(&input, &changes);
                let (err, ch, i) = max_model_error(&out, &expected);
                println!(
                    "{rate:>6} Hz blocks {name:>6}: max |plugin − model| = {err:.2e} \
                     (channel {ch}, frame {i})"
                );
                assert!(
                    err < 2e-4,
                    "{rate} Hz, blocks {name}: off the model by {err} at ch {ch} frame {i}"
                );
                match &reference {
                    None => reference = Some(out),
                    Some(r) => assert!(
                        *r == out,
                        "{rate} Hz: blocks {name} give different samples than blocks 1"
                    ),
                }
            }
        }
    });
}

#[test]
fn sample_accurate_changes_land_on_their_frame() {
    isolated("sample_accurate_changes_land_on_their_frame", || {
        let rate = 48_000.0;
        let frames = 3 * 512;
        let at = 100;
        // Never zero, so output / input is the instantaneous gain.
        let dc: Vec<f32> = sine(300.0, rate, frames, 0.1, 0.0)
            .iter()
            .map(|s| 0.25 + s)
            .collect();
        let input = vec![dc.clone(), dc.iter().map(|s| -0.5 * s).collect()];

        // Output gain 0 → −6.02 dB at frame 100 of the first 512-frame block.
        let mut plugin = active_plugin(rate, 512, &[]);
        let ids = ids(&mut plugin);
        let out = plugin
            .process(&input, &[512], &[change(at, ids.gain, gain_value(-6.02))])
            .expect("process");
        let steps = ms_to_frames(OUTPUT_GAIN_SMOOTHING_MS as f64, rate);
        let inst_db = |i: usize| 20.0 * (out[0][i] as f64 / input[0][i] as f64).log10();
        assert_eq!(out[0][..at], input[0][..at], "changed before frame {at}");
        assert_ne!(out[0][at], input[0][at], "no change at frame {at}");
        let mut worst_ramp_db = 0.0f64;
        for k in 0..steps {
            let want = -6.02 * (k + 1) as f64 / steps as f64;
            worst_ramp_db = worst_ramp_db.max((inst_db(at + k) - want).abs());
        }
        for i in at + steps - 1..frames {
            assert!(
                (inst_db(i) + 6.02).abs() < 1e-4,
                "frame {i}: {} dB",
                inst_db(i)
            );
        }
        println!(
            "gain event at frame {at}: ramp of {steps} frames, worst deviation from the linear \
             dB ramp {worst_ramp_db:.2e} dB"
        );
        assert!(worst_ramp_db < 1e-3);

        // Bypass at frame 100 (with −12 dB trim): untouched before, exactly the input after the
        // crossfade.
        let fade = ms_to_frames(SWITCH_FADE_MS, rate);
        let g = db_to_gain(-12.0) as f32;
        let mut plugin = active_plugin(rate, 512, &[(ids.gain, gain_value(-12.0))]);
        let out = plugin
            .process(&input, &[512], &[change(at, ids.bypass, 1.0)])
            .expect("process");
        for i in 0..at {
            assert!((out[0][i] - g * input[0][i]).abs() < 1e-7, "frame {i}");
        }
        assert!(
            (out[0][at] - g * input[0][at]).abs() > 1e-7,
            "bypass did not start at {at}"
        );
        assert_eq!(out[0][at + fade - 1..], input[0][at + fade - 1..]);
        assert_eq!(out[1][at + fade - 1..], input[1][at + fade - 1..]);
        assert_ne!(out[0][at + fade - 2], input[0][at + fade - 2]);

        // Mono at frame 100: channels identical from the end of the crossfade on.
        let mut plugin = active_plugin(rate, 512, &[]);
        let out = plugin
            .process(&input, &[512], &[change(at, ids.mono, 1.0)])
            .expect("process");
        assert_eq!(out[0][..at], input[0][..at]);
        assert_ne!(out[0][at], input[0][at]);
        assert_eq!(out[0][at + fade - 1..], out[1][at + fade - 1..]);
        assert_ne!(out[0][at + fade - 2], out[1][at + fade - 2]);
        println!("bypass and mono events at frame {at}: fade of {fade} frames, exact after it");
    });
}

#[test]
fn output_gain_is_accurate() {
    isolated("output_gain_is_accurate", || {
        let mut rng = Rng::new(0x5EED_0002);
        let settings_db = [-24.0, -12.0, -6.02, 0.0, 3.5, 12.0];
        let mut worst = 0.0f64;
        for rate in RATES_HZ {
            let frames = ms_to_frames(500.0, rate);
            let settle = ms_to_frames(OUTPUT_GAIN_SMOOTHING_MS as f64, rate);
            let input = noise(&mut rng, 2, frames, 0.25);
            let mut plugin = active_plugin(rate, 1024, &[]);
            let ids = ids(&mut plugin);
            let mut row = format!("{rate:>6} Hz:");
            for setting in settings_db {
                // Set at frame 0 of a fresh run; measure once the smoother settled.
                let out = plugin
                    .process(&input, &[1024], &[change(0, ids.gain, gain_value(setting))])
                    .expect("process");
                for ch in 0..2 {
                    let measured = gain_db(&out[ch][settle..], &input[ch][settle..]);
                    let err = measured - setting;
                    worst = worst.max(err.abs());
                    assert!(
                        err.abs() <= 0.01,
                        "{rate} Hz, {setting} dB: measured {measured} dB"
                    );
                    if ch == 0 {
                        row += &format!(" {setting:+.2} dB → err {err:+.1e};");
                    }
                }
            }
            println!("{row}");
        }
        println!("output gain: worst error {worst:.2e} dB (limit 0.01 dB)");

        // The same through a tone measurement: a 1 kHz sine (whole cycles in the window).
        let rate = 48_000.0;
        let tone = sine(1000.0, rate, 48_000, 0.3, 0.2);
        let window = 2400..48_000;
        assert!((tone_amplitude(&tone[window.clone()], 1000.0, rate) - 0.3).abs() < 1e-6);
        let mut plugin = active_plugin(rate, 512, &[]);
        let ids = ids(&mut plugin);
        let input = vec![tone.clone(), tone.clone()];
        let out = plugin
            .process(&input, &[512], &[change(0, ids.gain, gain_value(3.5))])
            .expect("process");
        let measured = tone_gain_db(&out[0][window.clone()], &tone[window], 1000.0, rate);
        println!("output gain +3.5 dB on a 1 kHz tone: {measured:+.6} dB");
        assert!((measured - 3.5).abs() < 1e-4);
    });
}

#[test]
fn bypass_is_exact_after_the_crossfade() {
    isolated("bypass_is_exact_after_the_crossfade", || {
        let mut rng = Rng::new(0x5EED_0003);
        for rate in RATES_HZ {
            let frames = ms_to_frames(100.0, rate);
            let fade = ms_to_frames(SWITCH_FADE_MS, rate);
            let input = noise(&mut rng, 2, frames, 0.5);
            let probe = Plugin::new().map(|mut p| ids(&mut p)).expect("ids");

            // Bypassed (and trimmed, and mono) before activation: the input from frame 0.
            let preset = [
                (probe.bypass, 1.0),
                (probe.gain, gain_value(-9.0)),
                (probe.mono, 1.0),
            ];
            let mut plugin = active_plugin(rate, 512, &preset);
            let out = plugin.process(&input, &[512], &[]).expect("process");
            assert!(
                out == input,
                "{rate} Hz: bypassed from the start is not the input"
            );

            // Bypass switched on mid-signal while trimmed and mono; then off again.
            let on = ms_to_frames(20.0, rate);
            let off = ms_to_frames(60.0, rate);
            let mut plugin = active_plugin(rate, 512, &preset[1..]);
            let out = plugin
                .process(
                    &input,
                    &[512],
                    &[
                        change(on, probe.bypass, 1.0),
                        change(off, probe.bypass, 0.0),
                    ],
                )
                .expect("process");
            for ch in 0..2 {
                assert_eq!(
                    out[ch][on + fade - 1..off],
                    input[ch][on + fade - 1..off],
                    "{rate} Hz channel {ch}: not the exact input after the fade"
                );
                assert_ne!(out[ch][on + fade - 2], input[ch][on + fade - 2]);
            }
            // After switching back, the trimmed mono signal returns.
            let g = db_to_gain(-9.0);
            for i in off + fade..frames {
                let want = g * 0.5 * (input[0][i] as f64 + input[1][i] as f64);
                assert!((out[0][i] as f64 - want).abs() < 1e-6, "frame {i}");
                assert_eq!(out[0][i], out[1][i]);
            }
        }
        println!("bypass: output == input bit for bit once the crossfade ends, at all rates");
    });
}

#[test]
fn mono_sums_the_channels() {
    isolated("mono_sums_the_channels", || {
        let mut rng = Rng::new(0x5EED_0004);
        for rate in RATES_HZ {
            let frames = ms_to_frames(50.0, rate);
            let input = noise(&mut rng, 2, frames, 0.5);
            let ids = Plugin::new().map(|mut p| ids(&mut p)).expect("ids");

            // At 0 dB: L = R = (L + R) / 2 exactly.
            let mut plugin = active_plugin(rate, 256, &[(ids.mono, 1.0)]);
            let out = plugin.process(&input, &[256], &[]).expect("process");
            assert!(out[0] == out[1], "{rate} Hz: channels differ");
            for i in 0..frames {
                assert_eq!(out[0][i], 0.5 * (input[0][i] + input[1][i]), "frame {i}");
            }

            // With a trim: still identical channels, and the trimmed sum.
            let mut plugin =
                active_plugin(rate, 256, &[(ids.mono, 1.0), (ids.gain, gain_value(-6.02))]);
            let out = plugin.process(&input, &[256], &[]).expect("process");
            assert!(out[0] == out[1]);
            let mid: Vec<f32> = (0..frames)
                .map(|i| 0.5 * (input[0][i] + input[1][i]))
                .collect();
            let err = (gain_db(&out[0], &mid) + 6.02).abs();
            assert!(err < 1e-4, "{rate} Hz: mono trim off by {err} dB");
        }

        // The mono layout: one channel, the mono switch changes nothing, trim and bypass work.
        let mut plugin = transparent_plugin();
        let ids = ids(&mut plugin);
        let mono_config = plugin
            .port_configs()
            .into_iter()
            .find(|c| c.output_channels == 1)
            .expect("mono configuration");
        plugin.select_port_config(mono_config.id).expect("select");
        plugin.flush(&[(ids.mono, 1.0), (ids.gain, gain_value(-6.0))]);
        plugin.activate(48_000.0, 128).expect("activate");
        let input = noise(&mut rng, 1, 4800, 0.5);
        let out = plugin
            .process(&input, &[128], &[change(2400, ids.bypass, 1.0)])
            .expect("process");
        assert_eq!(out.len(), 1);
        let err = (gain_db(&out[0][..2400], &input[0][..2400]) + 6.0).abs();
        assert!(err < 1e-4, "mono layout trim off by {err} dB");
        assert_eq!(out[0][2400 + 479..], input[0][2400 + 479..]);
        println!("mono: L = R = (L+R)/2 exactly at 0 dB; mono layout trims and bypasses");
    });
}

/// One switch whose toggling must not click.
struct ToggleCase {
    name: &'static str,
    input: Vec<Vec<f32>>,
    preset: Vec<(u32, f64)>,
    param: u32,
}

#[test]
fn bypass_and_mono_toggles_do_not_click() {
    isolated("bypass_and_mono_toggles_do_not_click", || {
        // The largest output step around a toggle, relative to the input's largest step. A
        // hard switch of the same signal is computed too, to show the measure sees a click.
        let limit = 2.0;
        let mut worst = 0.0f64;
        let mut mildest_hard = f64::MAX;
        for rate in RATES_HZ {
            let fade = ms_to_frames(SWITCH_FADE_MS, rate);
            let frames = ms_to_frames(120.0, rate);
            let ids = Plugin::new().map(|mut p| ids(&mut p)).expect("ids");
            for freq_hz in [50.0, 1000.0] {
                let s = sine(freq_hz, rate, frames, 0.5, 0.3);
                let anti: Vec<f32> = s.iter().map(|v| -v).collect();
                let g = db_to_gain(-12.0) as f32;
                let on = ms_to_frames(30.0, rate) + 7;
                let back = on + ms_to_frames(3.0, rate); // reversal mid-fade
                let again = ms_to_frames(70.0, rate);

                // Bypass of a −12 dB trim on a sine; mono of anti-phase channels (the sum is 0).
                let cases = [
                    ToggleCase {
                        name: "bypass",
                        input: vec![s.clone(), s.clone()],
                        preset: vec![(ids.gain, gain_value(-12.0))],
                        param: ids.bypass,
                    },
                    ToggleCase {
                        name: "mono",
                        input: vec![s.clone(), anti.clone()],
                        preset: vec![],
                        param: ids.mono,
                    },
                ];
                for ToggleCase {
                    name,
                    input,
                    preset,
                    param,
                } in cases
                {
                    let mut plugin = active_plugin(rate, 256, &preset);
                    let toggles = [
                        change(on, param, 1.0),
                        change(back, param, 0.0),
                        change(again, param, 1.0),
                    ];
                    let out = plugin.process(&input, &[256], &toggles).expect("process");
                    let in_step = max_step(&input[0]).max(max_step(&input[1]));
                    let window = on.saturating_sub(4)..(again + fade + 4).min(frames);
                    let step = max_step(&out[0][window.clone()]).max(max_step(&out[1][window]));
                    let ratio = step / in_step;
                    // A hard switch at `on` of the same change.
                    let hard: Vec<f32> = (0..frames)
                        .map(|i| match (name, i < on) {
                            ("bypass", true) => g * input[0][i],
                            ("bypass", false) => input[0][i],
                            (_, true) => input[0][i],
                            (_, false) => 0.5 * (input[0][i] + input[1][i]),
                        })
                        .collect();
                    let hard_ratio = max_step(&hard) / in_step;
                    println!(
                        "{rate:>6} Hz {freq_hz:>5} Hz {name:>6} toggle: max step ratio {ratio:.3} \
                         (hard switch {hard_ratio:.1})"
                    );
                    assert!(
                        ratio <= limit,
                        "{name} click at {rate} Hz, {freq_hz} Hz: {ratio}"
                    );
                    worst = worst.max(ratio);
                    mildest_hard = mildest_hard.min(hard_ratio);
                }
            }
        }
        assert!(
            mildest_hard > 2.0 * limit,
            "the click measure cannot see a hard switch"
        );
        println!(
            "toggles: worst step ratio {worst:.3} (limit {limit}); hard switches ≥ {mildest_hard:.1}"
        );
    });
}

#[test]
fn random_automation_never_produces_nan_inf_or_subnormals() {
    isolated(
        "random_automation_never_produces_nan_inf_or_subnormals",
        || {
            let mut total_events = 0;
            let mut total_blocks = 0;
            for (seed, rate) in [(11u64, 44_100.0), (12, 48_000.0), (13, 96_000.0)] {
                let mut rng = Rng::new(seed);
                let frames = ms_to_frames(2000.0, rate);
                let mut input = noise(&mut rng, 2, frames, 0.9);
                // Hostile input: NaN, ±inf, subnormals, and bursts of silence.
                for _ in 0..200 {
                    let i = rng.int(0, frames - 1);
                    let ch = rng.int(0, 1);
                    input[ch][i] = match rng.int(0, 4) {
                        0 => f32::NAN,
                        1 => f32::INFINITY,
                        2 => f32::NEG_INFINITY,
                        3 => 1e-41,
                        _ => -f32::MIN_POSITIVE / 3.0,
                    };
                }
                let silence = rng.int(0, frames - 5000);
                for ch in input.iter_mut() {
                    ch[silence..silence + 4800].fill(0.0);
                }

                for max_block in [4096, 64] {
                    let mut plugin = active_plugin(rate, max_block, &[]);
                    let ids = ids(&mut plugin);
                    let params = [ids.bypass, ids.gain, ids.mono];
                    let changes: Vec<ParamChange> = (0..1500)
                        .map(|_| {
                            let id = params[rng.int(0, 2)];
                            let value = if rng.unit() < 0.2 {
                                [0.0, 1.0][rng.int(0, 1)]
                            } else {
                                rng.unit()
                            };
                            change(rng.int(0, frames - 1), id, value)
                        })
                        .collect();
                    let blocks = random_blocks(&mut rng, max_block, frames);
                    let out = plugin.process(&input, &blocks, &changes).expect("process");
                    assert_clean(
                        &out,
                        &format!("seed {seed}, {rate} Hz, blocks ≤ {max_block}"),
                    );
                    let peak = out.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
                    // +12 dB of a 0.9 peak is 3.58; anything above means a gain or fade overshoot.
                    assert!(
                        peak <= 0.9 * db_to_gain(12.0) as f32 * 1.0001,
                        "peak {peak}"
                    );
                    total_events += changes.len();
                    total_blocks += blocks.len();
                }
            }
            println!(
                "random automation: {total_events} events over {total_blocks} blocks, no NaN, inf \
             or subnormal output"
            );
        },
    );
}

#[test]
fn huge_finite_input_does_not_overflow_to_infinity() {
    isolated("huge_finite_input_does_not_overflow_to_infinity", || {
        let ids = Plugin::new().map(|mut p| ids(&mut p)).expect("ids");
        let mut plugin = active_plugin(48_000.0, 64, &[(ids.gain, gain_value(12.0))]);
        let input = vec![vec![3.0e38f32, -3.0e38, 1.0, 0.5]; 2];
        let out = plugin.process(&input, &[64], &[]).expect("process");
        println!("input ±3e38 at +12 dB → output {:?}", out[0]);
        assert_clean(&out, "finite input at +12 dB");
    });
}

/// Splits a saved CLAP state blob into nice-plug's JSON document (after its 8-byte length).
fn state_json(blob: &[u8]) -> serde_json::Value {
    assert!(blob.len() >= 8, "state blob of {} bytes", blob.len());
    let (len, json) = blob.split_at(8);
    let len = u64::from_le_bytes(len.try_into().expect("8 bytes"));
    assert_eq!(len as usize, json.len(), "length prefix");
    serde_json::from_slice(json).expect("the state is JSON")
}

fn state_blob(json: &serde_json::Value) -> Vec<u8> {
    let text = serde_json::to_vec(json).expect("serialise");
    let mut blob = (text.len() as u64).to_le_bytes().to_vec();
    blob.extend_from_slice(&text);
    blob
}

/// The `refcan` state document inside nice-plug's state (stored as JSON text).
fn refcan_document(blob: &[u8]) -> serde_json::Value {
    let json = state_json(blob);
    let text = json["fields"]["refcan"]
        .as_str()
        .expect("a `refcan` field holding JSON text");
    serde_json::from_str(text).expect("the refcan document is JSON")
}

#[test]
fn state_round_trips_into_a_new_instance() {
    isolated("state_round_trips_into_a_new_instance", || {
        let rate = 48_000.0;
        let mut a = Plugin::new().expect("instantiate");
        let ids = ids(&mut a);
        let fresh = a.save_state().expect("save");
        let doc = refcan_document(&fresh);
        assert_eq!(doc["format_version"], 3, "{doc}");
        assert_eq!(doc["headphone"], serde_json::Value::Null, "{doc}");

        // Parameters through flush, and a `refcan` document with a field from the future minor
        // revision (which must be kept) through a state load.
        a.flush(&[(ids.gain, gain_value(-7.5)), (ids.mono, 1.0)]);
        let mut json = state_json(&a.save_state().expect("save"));
        json["fields"]["refcan"] = serde_json::Value::String(
            r#"{"format_version":1,"probe":{"slots":[1,2,3],"name":"Ω"}}"#.into(),
        );
        a.load_state(&state_blob(&json))
            .expect("load the edited state");
        let saved = a.save_state().expect("save");
        let doc = refcan_document(&saved);
        // The version-1 document was migrated to version 2, its unknown field kept.
        assert_eq!(doc["format_version"], 3, "{doc}");
        assert_eq!(doc["max_boost_db"], 6.0, "{doc}");
        assert_eq!(doc["probe"]["slots"][2], 3, "{doc}");
        assert_eq!(doc["probe"]["name"], "Ω");
        let params = &state_json(&saved)["params"];
        println!("saved params: {params}");
        assert_eq!(params["mono"]["bool"], true);
        assert!((params["output_gain"]["f32"].as_f64().expect("f32") + 7.5).abs() < 1e-5);

        let mut b = Plugin::new().expect("instantiate");
        b.load_state(&saved).expect("load into a new instance");
        for id in [ids.bypass, ids.gain, ids.mono] {
            assert_eq!(a.value(id), b.value(id), "param {id}");
        }
        assert_eq!(
            b.save_state().expect("save"),
            saved,
            "the restored state saves identically"
        );

        // Both process identically (same signal, blocks and automation).
        let mut rng = Rng::new(0x5EED_0005);
        let frames = ms_to_frames(300.0, rate);
        let input = stereo_signal(&mut rng, rate, frames);
        let blocks = random_blocks(&mut rng, 1024, frames);
        let changes: Vec<ParamChange> = (0..40)
            .map(|_| {
                let id = [ids.bypass, ids.gain, ids.mono][rng.int(0, 2)];
                change(rng.int(0, frames - 1), id, rng.unit())
            })
            .collect();
        let mut outputs = Vec::new();
        for plugin in [&mut a, &mut b] {
            plugin.activate(rate, 1024).expect("activate");
            outputs.push(plugin.process(&input, &blocks, &changes).expect("process"));
        }
        assert!(
            outputs[0] == outputs[1],
            "restored instance processes differently"
        );
        // The loaded settings are in effect from the first frame.
        let out = {
            let mut c = Plugin::new().expect("instantiate");
            c.load_state(&saved).expect("load");
            c.activate(rate, 1024).expect("activate");
            c.process(&input, &[1024], &[]).expect("process")
        };
        assert!(out[0] == out[1], "mono from the state not applied");
        let mid: Vec<f32> = (0..frames)
            .map(|i| 0.5 * (input[0][i] + input[1][i]))
            .collect();
        // The migrated document holds the default slots: the reference plays the trim plus
        // the one preamp that covers them (no headphone: otherwise flat).
        let gain = -7.5 + default_slots_preamp_db();
        assert!(
            (gain_db(&out[0], &mid) - gain).abs() < 1e-4,
            "{} dB",
            gain_db(&out[0], &mid)
        );

        // Loading while active (between processing runs) takes effect too.
        let mut d = active_plugin(rate, 1024, &[]);
        d.load_state(&saved).expect("load while active");
        let out = d.process(&input, &[1024], &[]).expect("process");
        let settled = ms_to_frames(SWITCH_FADE_MS, rate);
        assert!(out[0][settled..] == out[1][settled..]);
        // The new slots are designed in the background and crossfaded in while audio runs.
        let mut tail_gain = f64::NAN;
        for _ in 0..100 {
            std::thread::sleep(std::time::Duration::from_millis(10));
            let out = d.process(&input, &[1024], &[]).expect("process");
            tail_gain = gain_db(&out[0][frames / 2..], &mid[frames / 2..]);
            if (tail_gain - gain).abs() < 1e-4 {
                break;
            }
        }
        assert!(
            (tail_gain - gain).abs() < 1e-4,
            "{tail_gain} dB, want {gain} dB"
        );
        let (rescans, _, _) = d.host_notifications();
        println!(
            "state: {} bytes, restored instance bit-identical; host got {rescans} param rescans",
            saved.len()
        );
    });
}

#[test]
fn corrupted_state_is_refused_and_the_plugin_keeps_working() {
    isolated(
        "corrupted_state_is_refused_and_the_plugin_keeps_working",
        || {
            let rate = 48_000.0;
            let mut plugin = transparent_plugin();
            let ids = ids(&mut plugin);
            plugin.flush(&[(ids.gain, gain_value(-6.0))]);
            let mut json = state_json(&plugin.save_state().expect("save"));
            json["fields"]["refcan"] =
                serde_json::Value::String(r#"{"format_version":1,"probe":"keep me"}"#.into());
            let good = state_blob(&json);
            plugin.load_state(&good).expect("load");

            let mut rng = Rng::new(0x5EED_0006);
            let mut corrupt: Vec<(String, Vec<u8>)> = vec![
                ("empty".into(), vec![]),
                ("4 bytes".into(), vec![1, 2, 3, 4]),
                ("huge length".into(), u64::MAX.to_le_bytes().to_vec()),
                ("length past the end".into(), {
                    let mut b = 1000u64.to_le_bytes().to_vec();
                    b.extend_from_slice(b"{\"params\":{}");
                    b
                }),
                ("not JSON".into(), state_blob_raw(b"{not json")),
                ("wrong shape".into(), state_blob_raw(br#"{"foo":1}"#)),
                ("JSON array".into(), state_blob_raw(b"[1,2,3]")),
            ];
            for cut in 8..good.len() - 1 {
                corrupt.push((format!("truncated at {cut}"), good[..cut].to_vec()));
            }
            for k in 0..50 {
                let len = rng.int(0, 2000);
                let mut bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
                if k % 2 == 0 && len >= 8 {
                    // A plausible length prefix in front of garbage.
                    bytes[..8].copy_from_slice(&((len - 8) as u64).to_le_bytes());
                }
                corrupt.push((format!("random {k}"), bytes));
            }
            let mut refused = 0;
            for (name, bytes) in &corrupt {
                assert!(plugin.load_state(bytes).is_err(), "{name}: accepted");
                refused += 1;
                assert!((plugin.value(ids.gain).expect("value") - gain_value(-6.0)).abs() < 1e-6);
            }

            // Valid nice-plug state whose `refcan` document is from the future or broken: the
            // parameters load, the document gets defaults for what cannot be read and keeps
            // the original aside (saving the project again does not lose it).
            let mut partial_loads = Vec::new();
            for doc in [
                r#"{"format_version":99,"max_boost_db":3.0}"#,
                r#"{"no_version":true}"#,
                "not json",
                "[]",
            ] {
                let mut j = json.clone();
                j["fields"]["refcan"] = serde_json::Value::String(doc.into());
                j["params"]["output_gain"] = serde_json::json!({"f32": -3.0});
                plugin
                    .load_state(&state_blob(&j))
                    .expect("a readable blob loads");
                let kept = refcan_document(&plugin.save_state().expect("save"));
                let original: serde_json::Value =
                    serde_json::from_str(doc).unwrap_or_else(|_| doc.into());
                assert_eq!(kept["unreadable_document"], original, "{kept}");
                assert_eq!(kept["format_version"], 3, "{kept}");
                let gain_now = gain_db_of(plugin.value(ids.gain).expect("value"));
                assert!(
                    (gain_now + 3.0).abs() < 1e-4,
                    "document {doc}: the parameters were not kept ({gain_now} dB)"
                );
                partial_loads.push(format!(
                    "{doc} → gain {gain_now} dB, max boost {}",
                    kept["max_boost_db"]
                ));
                plugin.load_state(&good).expect("restore");
            }
            println!(
                "unreadable refcan documents (parameters kept, document recovered): {}",
                partial_loads.join("; ")
            );

            // Random bit flips in a valid blob: accepted or refused, never a crash.
            let mut flips_accepted = 0;
            for _ in 0..200 {
                let mut bytes = good.clone();
                let bit = rng.int(0, bytes.len() * 8 - 1);
                bytes[bit / 8] ^= 1 << (bit % 8);
                if plugin.load_state(&bytes).is_ok() {
                    flips_accepted += 1;
                }
            }
            plugin
                .load_state(&good)
                .expect("the good state still loads");

            // The plugin still works, with the settings it had.
            plugin.activate(rate, 512).expect("activate");
            let input = noise(&mut rng, 2, 9600, 0.5);
            let out = plugin.process(&input, &[512], &[]).expect("process");
            assert_clean(&out, "after corrupted loads");
            // The good state's version-1 document migrated to the default slots: their preamp.
            let err = (gain_db(&out[0], &input[0]) + 6.0 - default_slots_preamp_db()).abs();
            assert!(err < 1e-4, "gain after corrupted loads off by {err} dB");
            println!(
                "corrupted state: {refused} blobs refused; {flips_accepted}/200 single-bit flips \
             still parse (loaded as valid JSON); the plugin kept its state and processes"
            );
        },
    );
}

fn state_blob_raw(json: &[u8]) -> Vec<u8> {
    let mut blob = (json.len() as u64).to_le_bytes().to_vec();
    blob.extend_from_slice(json);
    blob
}

#[test]
fn flush_while_inactive_and_between_runs() {
    isolated("flush_while_inactive_and_between_runs", || {
        let rate = 44_100.0;
        let mut rng = Rng::new(0x5EED_0007);
        let input = noise(&mut rng, 2, 4410, 0.5);
        let mut plugin = transparent_plugin();
        let ids = ids(&mut plugin);

        plugin.flush(&[(ids.gain, gain_value(-6.02)), (ids.mono, 1.0)]);
        assert!((plugin.value(ids.gain).expect("value") - gain_value(-6.02)).abs() < 1e-6);
        assert_eq!(plugin.value(ids.mono), Some(1.0));
        assert_eq!(plugin.value(ids.bypass), Some(0.0));

        // Flushed values apply from the first frame, with no ramp from the defaults.
        plugin.activate(rate, 441).expect("activate");
        let out = plugin.process(&input, &[441], &[]).expect("process");
        assert!(out[0] == out[1]);
        let g = db_to_gain(-6.02);
        for i in 0..input[0].len() {
            let want = g * 0.5 * (input[0][i] as f64 + input[1][i] as f64);
            assert!((out[0][i] as f64 - want).abs() < 1e-6, "frame {i}");
        }

        // Flush while active but not processing (transport stopped), then process again.
        plugin.flush(&[(ids.mono, 0.0), (ids.gain, gain_value(3.5))]);
        assert_eq!(plugin.value(ids.mono), Some(0.0));
        let out = plugin.process(&input, &[441], &[]).expect("process");
        let settle = ms_to_frames(OUTPUT_GAIN_SMOOTHING_MS as f64, rate);
        let err = (gain_db(&out[0][settle..], &input[0][settle..]) - 3.5).abs();
        assert!(err < 1e-4, "gain after flush_active off by {err} dB");
        println!("flush: inactive values apply from frame 0; active flush applies after smoothing");
    });
}

#[test]
fn activation_and_processing_cycles() {
    isolated("activation_and_processing_cycles", || {
        let rates = [44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0, 384_000.0];
        let max_sizes = [1, 64, 512, 4096, 8192];
        let mut rng = Rng::new(0x5EED_0008);
        let mut plugin = transparent_plugin();
        let ids = ids(&mut plugin);
        let mut runs = 0;
        for cycle in 0..30 {
            let rate = rates[cycle % rates.len()];
            let max = max_sizes[cycle % max_sizes.len()];
            plugin.activate(rate, max).expect("activate");
            assert!(
                plugin.activate(rate, max).is_err(),
                "double activation accepted"
            );
            for _ in 0..3 {
                let setting = rng.range(-24.0, 12.0);
                let setting = (setting * 100.0).round() / 100.0;
                plugin.flush(&[(ids.gain, gain_value(setting))]);
                let frames = ms_to_frames(40.0, rate);
                let input = noise(&mut rng, 2, frames, 0.25);
                let blocks = random_blocks(&mut rng, max, frames);
                let out = plugin.process(&input, &blocks, &[]).expect("process");
                assert_clean(&out, "cycle");
                let settle = ms_to_frames(OUTPUT_GAIN_SMOOTHING_MS as f64, rate);
                let err = gain_db(&out[0][settle..], &input[0][settle..]) - setting;
                assert!(
                    err.abs() < 1e-3,
                    "cycle {cycle} at {rate} Hz: {setting} dB off by {err}"
                );
                runs += 1;
            }
            plugin.deactivate();
            // Values survive deactivation.
            assert!(plugin.value(ids.gain).is_some());
        }
        println!(
            "cycles: 30 activations (44.1–384 kHz, max blocks 1–8192), {runs} processing runs"
        );
    });
}
