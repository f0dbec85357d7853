//! CPU of one stereo instance's signal path at 48 kHz, per engine, against a baseline measured
//! in the same run (copying the same audio block by block):
//!
//! * `stages`: input hygiene + mono check, output trim + bypass (what runs in every mode);
//! * `crossfeed (strong)` and `meters (in + out)`: the crossfeed stage and the editor's peak
//!   meters, each on its own;
//! * `zero_latency`, `linear_phase`, `low_cpu`: the engine with a realistic correction (a
//!   synthetic over-ear headphone corrected to Harman in-room flat through the library's
//!   chain: 8192-tap FIRs, or 16 fitted SVF sections).
//!
//! `cargo bench --bench engine`. A stereo instance's share of one core at 48 kHz is
//! (time per block) ÷ (block ÷ 48 kHz); docs/PERFORMANCE.md lists the figures.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use refcan::chain::ChainSettings;
use refcan::curve::Response;
use refcan::design::designer::handover;
use refcan::design::{DesignSettings, FilterMode, Layout, design};
use refcan::dsp::crossfeed::Crossfeed;
use refcan::dsp::engine::Engine;
use refcan::dsp::input::InputStage;
use refcan::dsp::output::OutputStage;
use refcan::filter::FilterSpec;
use refcan::meters::Meters;
use refcan::presets::PresetLibrary;
use refcan::source::Headphone;
use refcan::state::{SlotContent, default_slots};
use std::hint::black_box;

const RATE_HZ: f64 = 48_000.0;

fn noise(len: usize, seed: u32) -> Vec<f32> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

/// An over-ear-like measurement: the in-room target with a bass roll-off, a 6 kHz peak and
/// a treble dip.
fn headphone(library: &PresetLibrary) -> Headphone {
    let target = library
        .target("harman_in_room_flat_2013")
        .and_then(|t| t.curve().ok())
        .unwrap_or_else(Response::flat);
    let deviation = Response::from_filters(
        &[
            FilterSpec::low_shelf(80.0, 0.7, -5.0),
            FilterSpec::peaking(200.0, 1.0, 2.0),
            FilterSpec::peaking(6_000.0, 4.0, 6.0),
            FilterSpec::peaking(9_000.0, 3.0, -5.0),
        ],
        44_100.0,
    );
    Headphone::from_response("bench", &target.plus(&deviation))
}

fn bench(c: &mut Criterion) {
    let library = PresetLibrary::builtin();
    let hp = headphone(&library);
    for block in [64usize, 512] {
        let mut group = c.benchmark_group(format!("stereo block {block}"));
        group.throughput(Throughput::Elements(block as u64));
        let (l0, r0) = (noise(block, 1), noise(block, 2));
        let (mut l, mut r) = (l0.clone(), r0.clone());
        let trim = vec![-3.0f32; block];

        group.bench_function("baseline: copy", |b| {
            b.iter(|| {
                l.copy_from_slice(black_box(&l0));
                r.copy_from_slice(black_box(&r0));
                black_box((&l, &r));
            })
        });
        let mut input = InputStage::new(RATE_HZ as f32);
        let mut output = OutputStage::new(RATE_HZ as f32);
        group.bench_function("stages", |b| {
            b.iter(|| {
                l.copy_from_slice(&l0);
                r.copy_from_slice(&r0);
                input.process(&mut [&mut l, &mut r], false);
                output.process(&mut [&mut l, &mut r], &[&l0, &r0], black_box(&trim), false);
                black_box((&l, &r));
            })
        });
        let mut crossfeed = Crossfeed::new(RATE_HZ);
        crossfeed.reset(3);
        group.bench_function("crossfeed (strong)", |b| {
            b.iter(|| {
                l.copy_from_slice(&l0);
                r.copy_from_slice(&r0);
                crossfeed.process(&mut [&mut l, &mut r], black_box(3));
                black_box((&l, &r));
            })
        });
        let meters = Meters::default();
        group.bench_function("meters (in + out)", |b| {
            b.iter(|| {
                l.copy_from_slice(&l0);
                r.copy_from_slice(&r0);
                meters.input.record(&[&mut l, &mut r]);
                meters.output.record(&[&mut l, &mut r]);
                black_box(meters.output.take());
            })
        });
        // Each engine listening to the reference, and Low CPU while a slot plays: the
        // reference's 16 biquads plus the simulation's own (Harman over-ear: 6; a measured
        // device: 15) and any warp fix. (name, engine, simulation in slot 1 and listened to)
        for (name, mode, slot) in [
            ("zero_latency", FilterMode::ZeroLatency, None),
            ("linear_phase", FilterMode::LinearPhase, None),
            ("low_cpu", FilterMode::LowCpu, None),
            (
                "low_cpu_slot_harman_oe",
                FilterMode::LowCpu,
                Some("harman_oe_2018"),
            ),
            (
                "low_cpu_slot_measured_device",
                FilterMode::LowCpu,
                Some("sony_wh_1000xm4"),
            ),
        ] {
            let layout = Layout::new(1, RATE_HZ, block);
            let settings = DesignSettings {
                mode,
                target_id: "harman_in_room_flat_2013".into(),
                chain: ChainSettings::default(),
            };
            let mut slots = default_slots();
            if let Some(sim) = slot {
                slots[0] = SlotContent::builtin(sim).expect("a built-in simulation");
            }
            let bank = design(&settings, Some(&hp), &slots, &layout, &library).expect("design");
            let mut engine = Engine::new(&layout, 2);
            let _ = engine.install_now(Box::new(bank), usize::from(slot.is_some()));
            let (_outbox, mut inbox) = handover();
            group.bench_function(name, |b| {
                b.iter(|| {
                    l.copy_from_slice(&l0);
                    r.copy_from_slice(&r0);
                    engine.process(&mut inbox, &mut [&mut l, &mut r]);
                    black_box((&l, &r));
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
