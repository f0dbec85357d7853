//! The peer in `refcan bench convolve`'s comparison: `fft-convolver` 0.4 (the crate a Rust
//! plugin author would pick) on the same raw files, with the same arguments and output:
//!
//! `cargo run --release --example fftconv_bench -- --ir IR.raw --block B [--uniform] IN.raw OUT.raw`
//!
//! `TwoStageFFTConvolver::init_default(B, ir)` (zero latency, head blocks of B) by default,
//! the uniform `FFTConvolver::init(B, ir)` with `--uniform`; one instance per channel, one
//! call per block of B frames. Prints the seconds spent in the processing loop.

use fft_convolver::{FFTConvolver, TwoStageFFTConvolver};
use std::time::Instant;

fn read_f32(path: &str) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

enum Conv {
    Two(Box<[TwoStageFFTConvolver<f32>; 2]>),
    Uniform(Box<[FFTConvolver<f32>; 2]>),
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .unwrap_or_else(|| panic!("missing {flag}"))
            .clone()
    };
    let uniform = args.iter().any(|a| a == "--uniform");
    let ir = read_f32(&value("--ir"));
    let block: usize = value("--block").parse().expect("--block is a number");
    let files: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with("--") && (*i == 0 || !matches!(args[i - 1].as_str(), "--ir" | "--block"))
        })
        .map(|(_, a)| a)
        .collect();
    let (input_path, output_path) = (files[0], files[1]);
    let input = read_f32(input_path);
    let frames = input.len() / 2;

    let mut conv = if uniform {
        let mut c: Box<[FFTConvolver<f32>; 2]> = Box::default();
        for x in c.iter_mut() {
            x.init(block, &ir).expect("init");
        }
        Conv::Uniform(c)
    } else {
        let mut c: Box<[TwoStageFFTConvolver<f32>; 2]> = Box::default();
        for x in c.iter_mut() {
            x.init_default(block, &ir).expect("init");
        }
        Conv::Two(c)
    };
    let mut inp = [vec![0.0f32; block], vec![0.0f32; block]];
    let mut out = [vec![0.0f32; block], vec![0.0f32; block]];
    let mut output = vec![0.0f32; input.len()];

    let started = Instant::now();
    for (src, dst) in input.chunks(2 * block).zip(output.chunks_mut(2 * block)) {
        let n = src.len() / 2;
        for i in 0..n {
            inp[0][i] = src[2 * i];
            inp[1][i] = src[2 * i + 1];
        }
        for ch in 0..2 {
            let _ = match &mut conv {
                Conv::Two(c) => c[ch].process(&inp[ch][..n], &mut out[ch][..n]),
                Conv::Uniform(c) => c[ch].process(&inp[ch][..n], &mut out[ch][..n]),
            };
        }
        for i in 0..n {
            dst[2 * i] = out[0][i];
            dst[2 * i + 1] = out[1][i];
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let bytes: Vec<u8> = output.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(output_path, bytes).unwrap_or_else(|e| panic!("{output_path}: {e}"));
    println!(
        "{seconds:.6} s processing {frames} stereo frames in blocks of {block} ({})",
        if uniform {
            "FFTConvolver"
        } else {
            "TwoStageFFTConvolver"
        }
    );
}
