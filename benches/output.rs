//! Cost of the plugin's current signal path (mono check, smoothed trim, bypass crossfade and
//! output hygiene in `dsp::output::OutputStage`) for one stereo instance, against a baseline
//! measured in the same run: copying the same audio block by block.
//!
//! `cargo bench --bench output`. The realtime factor of a stereo instance at 48 kHz is
//! (block length / 48 kHz) ÷ (time per block); compare ratios, not absolute times.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use refcan::dsp::output::OutputStage;
use std::hint::black_box;

const RATE_HZ: f32 = 48_000.0;

fn noise(len: usize, seed: u32) -> Vec<f32> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

fn bench(c: &mut Criterion) {
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
        let mut stage = OutputStage::new(RATE_HZ);
        group.bench_function("output stage (trim)", |b| {
            b.iter(|| {
                l.copy_from_slice(&l0);
                r.copy_from_slice(&r0);
                stage.process(&mut [&mut l, &mut r], black_box(&trim), false, false);
                black_box((&l, &r));
            })
        });
        let mut stage = OutputStage::new(RATE_HZ);
        let mut toggle = false;
        group.bench_function("output stage (mono + bypass toggling)", |b| {
            b.iter(|| {
                toggle = !toggle;
                l.copy_from_slice(&l0);
                r.copy_from_slice(&r0);
                stage.process(&mut [&mut l, &mut r], black_box(&trim), toggle, !toggle);
                black_box((&l, &r));
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
