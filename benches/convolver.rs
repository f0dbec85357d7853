//! The Zero-latency convolver against `fft-convolver` 0.4 (`TwoStageFFTConvolver` and the
//! uniform `FFTConvolver`), measured in the same run: 8192-tap IR, one second of stereo noise
//! at 48 kHz per iteration, one call per block of B frames, B = 32 … 1024.
//! `cargo bench --bench convolver`; the time per iteration is the CPU time for one second of
//! stereo audio, so 10 ms per iteration is 1 % of a core.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use fft_convolver::{FFTConvolver, TwoStageFFTConvolver};
use refcan::dsp::convolver::{Convolver, FilterSpectra, FilterState, PartitionPlan};
use std::hint::black_box;

const IR_LEN: usize = 8192;
const FRAMES: usize = 48_000;

fn noise(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

fn ir() -> Vec<f32> {
    noise(IR_LEN, 9)
        .iter()
        .enumerate()
        .map(|(i, x)| x * (-(i as f32) / 1500.0).exp())
        .collect()
}

fn bench(c: &mut Criterion) {
    let ir = ir();
    let input = [noise(FRAMES, 1), noise(FRAMES, 2)];
    let mut out = [vec![0.0f32; FRAMES], vec![0.0f32; FRAMES]];
    let mut group = c.benchmark_group("convolve_8192_taps_1s_stereo");
    group.sample_size(20);
    for block in [32usize, 64, 128, 256, 512, 1024] {
        let plan = PartitionPlan::new(IR_LEN, block);
        let filter = FilterSpectra::new(&ir, &plan);
        let mut conv = [Convolver::new(&plan), Convolver::new(&plan)];
        let mut states = [FilterState::new(&plan), FilterState::new(&plan)];
        for (c, s) in conv.iter_mut().zip(states.iter_mut()) {
            c.attach(&filter, s);
        }
        group.bench_with_input(BenchmarkId::new("refcan", block), &block, |b, &block| {
            b.iter(|| {
                for ch in 0..2 {
                    for (x, y) in input[ch].chunks(block).zip(out[ch].chunks_mut(block)) {
                        conv[ch].process(x, &[&filter], &mut [&mut states[ch]], &mut [y]);
                    }
                }
                black_box(&out);
            })
        });
        let mut two: [TwoStageFFTConvolver<f32>; 2] = Default::default();
        for t in &mut two {
            t.init_default(block, &ir).expect("init");
        }
        group.bench_with_input(
            BenchmarkId::new("fft_convolver_two_stage", block),
            &block,
            |b, &block| {
                b.iter(|| {
                    for ch in 0..2 {
                        for (x, y) in input[ch].chunks(block).zip(out[ch].chunks_mut(block)) {
                            let _ = two[ch].process(x, y);
                        }
                    }
                    black_box(&out);
                })
            },
        );
        let mut uni: [FFTConvolver<f32>; 2] = Default::default();
        for u in &mut uni {
            u.init(block, &ir).expect("init");
        }
        group.bench_with_input(
            BenchmarkId::new("fft_convolver_uniform", block),
            &block,
            |b, &block| {
                b.iter(|| {
                    for ch in 0..2 {
                        for (x, y) in input[ch].chunks(block).zip(out[ch].chunks_mut(block)) {
                            let _ = uni[ch].process(x, y);
                        }
                    }
                    black_box(&out);
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
