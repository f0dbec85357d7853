//! Cost of a plugin activation (the host's `activate`, on its main thread) at 48 kHz with a
//! library headphone installed and the default slots, per engine:
//!
//! * `design`: the inputs changed since the last activation (here: the rate alternates between
//!   48 and 44.1 kHz), so all nine filters are designed, on a short-lived thread;
//! * `reuse`: the same rate, block size, settings and state as the last activation, so its
//!   design is reused and only the engine's buffers are made.
//!
//! Hosts restart plugins often (latency changes, transport restarts) and clap-validator's
//! fuzzer does it before one block in 20; docs/RELIABILITY.md quotes the figures.
//! `cargo bench --bench activation`.

use criterion::{Criterion, criterion_group, criterion_main};
use nice_plug::prelude::*;
use refcan::Refcan;
use refcan::headphones::HeadphoneLibrary;
use refcan::state::{PERSIST_KEY, RefcanState};
use std::collections::BTreeMap;
use std::num::NonZeroU32;

#[path = "../tests/common/activate.rs"]
mod activate;

use activate::Accept;

fn instance(engine: &str) -> Refcan {
    let plugin = Refcan::default();
    let params = plugin.params();
    let state = RefcanState {
        headphone: Some(HeadphoneLibrary::builtin().entries()[0].to_headphone()),
        ..RefcanState::default()
    };
    let fields = BTreeMap::from([(PERSIST_KEY.to_string(), state.to_value().to_string())]);
    params.deserialize_fields(&fields);
    let mode = params
        .param_map()
        .into_iter()
        .find(|(id, _, _)| id == "filter_mode")
        .map(|(_, ptr, _)| ptr)
        .expect("filter_mode");
    // SAFETY: `params` keeps the parameter alive for the call.
    unsafe {
        let value = mode
            .string_to_normalized_value(engine)
            .expect("engine name");
        mode._internal_set_normalized_value(value);
    }
    plugin
}

fn activate(plugin: &mut Refcan, rate: f32) {
    let layout = AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    };
    let config = BufferConfig {
        sample_rate: rate,
        min_buffer_size: None,
        max_buffer_size: 512,
        process_mode: ProcessMode::Realtime,
    };
    plugin.deactivate();
    assert!(plugin.activate(&layout, &config, &mut Accept));
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("activation_48k_512");
    group.sample_size(10);
    for (name, engine) in [("zero_latency", "Zero latency"), ("low_cpu", "Low CPU")] {
        let mut plugin = instance(engine);
        let mut flip = false;
        group.bench_function(format!("{name}: design"), |b| {
            b.iter(|| {
                flip = !flip;
                activate(&mut plugin, if flip { 48_000.0 } else { 44_100.0 });
            })
        });
        activate(&mut plugin, 48_000.0);
        group.bench_function(format!("{name}: reuse"), |b| {
            b.iter(|| activate(&mut plugin, 48_000.0))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
