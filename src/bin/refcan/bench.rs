//! `refcan bench convolve`: the plugin's Zero-latency engine on raw files, timed, so anyone can
//! put it beside CamillaDSP and `fft-convolver` in one script (docs/PERFORMANCE.md).

use super::{CliError, ConvolveArgs};
use refcan::design::designer::handover;
use refcan::design::{Bank, Design, Layout};
use refcan::dsp::engine::Engine;
use std::path::Path;
use std::time::Instant;

/// Largest raw file read, bytes (1 GiB: 60 s of 48 kHz stereo f32 is 23 MB).
const MAX_RAW_BYTES: u64 = 1 << 30;

/// Reads a file of little-endian f32 samples.
fn read_f32(path: &Path) -> Result<Vec<f32>, CliError> {
    let len = std::fs::metadata(path)
        .map_err(|e| CliError::Input(format!("{}: cannot read: {e}", path.display())))?
        .len();
    if len > MAX_RAW_BYTES {
        return Err(CliError::Input(format!(
            "{}: {len} bytes is more than the {MAX_RAW_BYTES} this benchmark reads",
            path.display()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Input(format!("{}: cannot read: {e}", path.display())))?;
    if bytes.len() % 4 != 0 {
        return Err(CliError::Input(format!(
            "{}: {} bytes is not a whole number of 32-bit floats",
            path.display(),
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

pub fn convolve(args: &ConvolveArgs) -> Result<(), CliError> {
    if !(1..=8192).contains(&args.block) {
        return Err(CliError::Input(format!(
            "--block {} is outside 1 … 8192 frames",
            args.block
        )));
    }
    if !(args.rate.is_finite() && (8_000.0..=384_000.0).contains(&args.rate)) {
        return Err(CliError::Input(format!(
            "--rate {} is outside 8000 … 384000 Hz",
            args.rate
        )));
    }
    let ir = read_f32(&args.ir)?;
    if ir.is_empty() || ir.iter().any(|x| !x.is_finite()) {
        return Err(CliError::Input(format!(
            "{}: expected a non-empty impulse response of finite samples",
            args.ir.display()
        )));
    }
    let input = read_f32(&args.input)?;
    if input.len() % 2 != 0 {
        return Err(CliError::Input(format!(
            "{}: expected interleaved stereo (an even number of samples)",
            args.input.display()
        )));
    }
    let frames = input.len() / 2;
    let block = args.block;
    let layout = Layout::for_fir(1, args.rate, block, ir.len());
    let mut engine = Engine::new(&layout, 2);
    let bank = Bank::uniform(Design::from_fir(&ir, &layout), &layout);
    drop(engine.install_now(Box::new(bank), 0));
    let (_outbox, mut inbox) = handover();
    let mut left = vec![0.0f32; block];
    let mut right = vec![0.0f32; block];
    let mut output = vec![0.0f32; input.len()];

    let started = Instant::now();
    for (inp, out) in input.chunks(2 * block).zip(output.chunks_mut(2 * block)) {
        let n = inp.len() / 2;
        for i in 0..n {
            left[i] = inp[2 * i];
            right[i] = inp[2 * i + 1];
        }
        engine.process(&mut inbox, &mut [&mut left[..n], &mut right[..n]]);
        for i in 0..n {
            out[2 * i] = left[i];
            out[2 * i + 1] = right[i];
        }
    }
    let seconds = started.elapsed().as_secs_f64();

    let bytes: Vec<u8> = output.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(&args.output, bytes)
        .map_err(|e| CliError::Output(format!("{}: cannot write: {e}", args.output.display())))?;
    let stages: Vec<String> = layout
        .plan
        .stages()
        .iter()
        .map(|s| format!("{}×{}", s.count, s.size))
        .collect();
    println!(
        "{seconds:.6} s processing {frames} stereo frames in blocks of {block} ({:.3} % of one \
         core at {} Hz; partitions {})",
        100.0 * seconds / (frames as f64 / args.rate),
        args.rate,
        stages.join(" + ")
    );
    Ok(())
}
