//! The CLI and fixtures the host tests share: running `refcan`, a synthetic per-ear
//! headphone, presets and the reference chain `refcan curves` reports, the CLAP state blob,
//! and impulse-response measurement.

use super::host::Plugin;
use super::signal::{Rng, random_blocks};
use realfft::RealFftPlanner;
use refcan::curve::grid_hz;
use refcan::filter::FilterSpec;
use refcan::presets::PresetLibrary;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The reference target the fixtures are made for.
pub const TARGET: &str = "harman_in_room_flat_2013";
/// Where the impulse goes in (after activation, so the filter's history is silence).
pub const IMPULSE_AT: usize = 2_000;

/// Runs the `refcan` CLI built with the tests; fails the test unless it succeeds. Returns
/// what it printed.
pub fn refcan(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_refcan"))
        .args(args)
        .output()
        .expect("runs refcan");
    assert!(
        out.status.success(),
        "refcan {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("refcan-engine-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A synthetic headphone measured per ear (squig.link `X L.txt` / `X R.txt`, REW text):
/// the reference target with a bass shortfall, a presence peak and treble dips that differ
/// between the ears. Returns the left file (its partner is found by name).
pub fn write_headphone(dir: &Path) -> PathBuf {
    let target = PresetLibrary::builtin()
        .target(TARGET)
        .and_then(|t| t.curve().ok())
        .expect("target");
    let ears = [
        (
            "L",
            vec![
                FilterSpec::low_shelf(90.0, 0.7, -6.0),
                FilterSpec::peaking(3_500.0, 2.0, 5.0),
                FilterSpec::peaking(8_000.0, 3.0, -6.0),
            ],
        ),
        (
            "R",
            vec![
                FilterSpec::low_shelf(110.0, 0.7, -4.0),
                FilterSpec::peaking(2_500.0, 1.5, 3.0),
                FilterSpec::peaking(9_500.0, 2.5, -5.0),
            ],
        ),
    ];
    for (ear, deviation) in &ears {
        let h = target.plus(&refcan::curve::Response::from_filters(deviation, 44_100.0));
        let mut text = String::from("* Freq(Hz)\tSPL(dB)\n");
        for (f, v) in grid_hz().iter().zip(h.values_db()) {
            text.push_str(&format!("{f:.3}\t{:.4}\n", v + 75.0));
        }
        std::fs::write(dir.join(format!("Test HP {ear}.txt")), text).expect("write");
    }
    dir.join("Test HP L.txt")
}

/// The "reference chain L/R" columns of `refcan curves`, on the grid.
pub fn reference_chain(dir: &Path, headphone: &Path) -> [Vec<f64>; 2] {
    let mut columns = curves_columns(dir, headphone, &[]);
    let mut take = |name: &str| {
        columns
            .remove(name)
            .unwrap_or_else(|| panic!("no column {name:?}"))
    };
    [take("reference chain L"), take("reference chain R")]
}

/// nice-plug's CLAP state: the JSON `refcan preset` writes behind its length (u64 LE).
pub fn clap_blob(json: &[u8]) -> Vec<u8> {
    let mut blob = (json.len() as u64).to_le_bytes().to_vec();
    blob.extend_from_slice(json);
    blob
}

pub fn preset(dir: &Path, headphone: &Path, mode: &str) -> Vec<u8> {
    let path = dir.join(format!("state-{mode}.json"));
    refcan(&[
        "preset",
        "--headphone",
        headphone.to_str().expect("utf8"),
        "--target",
        TARGET,
        "--filter-mode",
        mode,
        "-o",
        path.to_str().expect("utf8"),
    ]);
    std::fs::read(path).expect("state")
}

/// Magnitude in dB of `response` (an impulse response) at each of `freqs_hz`, from a
/// zero-padded FFT (bins ≤ 0.4 Hz apart at 96 kHz), interpolated linearly between bins.
pub fn magnitude_db(response: &[f32], sample_rate_hz: f64, freqs_hz: &[f64]) -> Vec<f64> {
    let n = (response.len().max(1 << 18)).next_power_of_two();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut input: Vec<f64> = response.iter().map(|&x| x as f64).collect();
    input.resize(n, 0.0);
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).expect("fft");
    let mags: Vec<f64> = spectrum
        .iter()
        .map(|c| 20.0 * c.norm().max(1e-12).log10())
        .collect();
    freqs_hz
        .iter()
        .map(|&f| {
            let x = f * n as f64 / sample_rate_hz;
            let i = x.floor() as usize;
            let t = x - i as f64;
            mags[i] + t * (mags[i + 1] - mags[i])
        })
        .collect()
}

/// The impulse response of each channel through an activated plugin, in random blocks.
pub fn impulse_response(plugin: &mut Plugin, rate: f64, seconds: f64, seed: u64) -> Vec<Vec<f32>> {
    let frames = (seconds * rate) as usize + IMPULSE_AT;
    let mut input = vec![vec![0.0f32; frames]; 2];
    input[0][IMPULSE_AT] = 1.0;
    input[1][IMPULSE_AT] = 1.0;
    let blocks = random_blocks(&mut Rng::new(seed), 1024, frames);
    plugin.process(&input, &blocks, &[]).expect("process")
}

/// A synthetic headphone with one curve for both ears (AutoEq CSV): the reference target with
/// a bass shortfall and a presence peak.
pub fn write_mono_headphone(dir: &Path) -> PathBuf {
    let target = PresetLibrary::builtin()
        .target(TARGET)
        .and_then(|t| t.curve().ok())
        .expect("target");
    let deviation = [
        FilterSpec::low_shelf(100.0, 0.7, -5.0),
        FilterSpec::peaking(4_000.0, 2.0, 4.0),
    ];
    let h = target.plus(&refcan::curve::Response::from_filters(&deviation, 44_100.0));
    let mut text = String::from("frequency,raw\n");
    for (f, v) in grid_hz().iter().zip(h.values_db()) {
        text.push_str(&format!("{f:.3},{v:.4}\n"));
    }
    let path = dir.join("Mono HP.csv");
    std::fs::write(&path, text).expect("write");
    path
}

/// Every column of the CSV `refcan curves` writes for `headphone` (plus `extra` options), by
/// name, on the grid; `frequency` included.
pub fn curves_columns(
    dir: &Path,
    headphone: &Path,
    extra: &[&str],
) -> std::collections::BTreeMap<String, Vec<f64>> {
    let mut args = vec![
        "--headphone",
        headphone.to_str().expect("utf8"),
        "--target",
        TARGET,
    ];
    args.extend_from_slice(extra);
    curves_csv(dir, "columns", &args)
}

/// Every column of the CSV `refcan curves` writes for `args` (into `<dir>/<name>.csv`), by
/// name, on the grid; `frequency` included.
pub fn curves_csv(
    dir: &Path,
    name: &str,
    args: &[&str],
) -> std::collections::BTreeMap<String, Vec<f64>> {
    let csv = dir.join(format!("{name}.csv"));
    let mut all = vec!["curves", "-o", csv.to_str().expect("utf8")];
    all.extend_from_slice(args);
    refcan(&all);
    let text = std::fs::read_to_string(&csv).expect("csv");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let mut columns: std::collections::BTreeMap<String, Vec<f64>> =
        header.iter().map(|h| (h.clone(), Vec::new())).collect();
    for line in lines {
        for (name, v) in header.iter().zip(line.split(',')) {
            if let Some(c) = columns.get_mut(name) {
                c.push(v.parse().expect("number"));
            }
        }
    }
    columns
}
