//! What the offline-render tests share (`tests/vst3_offline.rs`, `tests/clap_offline.rs`): a
//! plugin state for a synthetic headphone with the `offline_render` choice, stereo noise, the
//! input as the latency-compensated bypass path delivers it, and the two verdicts: untouched
//! (bit-identical) or corrected (differs by the correction).

use super::signal::{Rng, noise, rms};
use refcan::curve::{Response, grid_hz};
use refcan::filter::FilterSpec;
use refcan::presets::PresetLibrary;
use refcan::state::{OfflineRender, PERSIST_KEY};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A corrected signal differs from its input by more than this (RMS of the difference relative
/// to the input's); the synthetic headphone below needs several dB of correction.
pub const PROCESSED_MIN_DB: f64 = -30.0;

/// A fresh folder under the system temp dir for this process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("refcan-offline-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A synthetic headphone measurement (REW text): the reference target with a bass shortfall
/// and a presence peak, so the correction is several dB wide.
pub fn write_headphone(dir: &Path) -> PathBuf {
    let target = PresetLibrary::builtin()
        .target("harman_in_room_flat_2013")
        .and_then(|t| t.curve().ok())
        .expect("target");
    let deviation = [
        FilterSpec::low_shelf(100.0, 0.7, -6.0),
        FilterSpec::peaking(3_000.0, 1.5, 5.0),
    ];
    let h = target.plus(&Response::from_filters(&deviation, 44_100.0));
    let mut text = String::from("* Freq(Hz)\tSPL(dB)\n");
    for (f, v) in grid_hz().iter().zip(h.values_db()) {
        text.push_str(&format!("{f:.3}\t{:.4}\n", v + 75.0));
    }
    let path = dir.join("Offline Test HP.txt");
    std::fs::write(&path, text).expect("write headphone");
    path
}

/// The plugin state `refcan preset` writes for the synthetic headphone (its `offline_render`
/// is the default, `bypass`), with more `args` (e.g. `--filter-mode`), and with `offline_render`
/// set to `choice`. The state document is JSON
/// text inside the state's JSON, under the persist key.
pub fn preset_state(name: &str, choice: OfflineRender, args: &[&str]) -> Vec<u8> {
    let dir = temp_dir(name);
    let headphone = write_headphone(&dir);
    let path = dir.join("state.json");
    let out = Command::new(env!("CARGO_BIN_EXE_refcan"))
        .args(["preset", "--headphone"])
        .arg(&headphone)
        .args(args)
        .arg("-o")
        .arg(&path)
        .output()
        .expect("runs refcan preset");
    assert!(
        out.status.success(),
        "refcan preset: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("state JSON");
    let field = &mut state["fields"][PERSIST_KEY];
    let mut doc: serde_json::Value =
        serde_json::from_str(field.as_str().expect("the persist field is JSON text"))
            .expect("state document");
    assert_eq!(doc["offline_render"], "bypass", "refcan preset's default");
    doc["offline_render"] = choice.id().into();
    *field = doc.to_string().into();
    let _ = std::fs::remove_dir_all(&dir);
    serde_json::to_vec(&state).expect("serialise")
}

/// Independent white noise per channel at −12 dBFS peak, seeded.
pub fn signal(seed: u64, frames: usize) -> [Vec<f32>; 2] {
    let mut n = noise(&mut Rng::new(seed), 2, frames, 0.25);
    let right = n.pop().expect("two channels");
    [n.pop().expect("two channels"), right]
}

/// `x` from `from` on, per channel.
pub fn tail(x: &[Vec<f32>; 2], from: usize) -> [Vec<f32>; 2] {
    [x[0][from..].to_vec(), x[1][from..].to_vec()]
}

/// The input as the bypass path delivers it: delayed by `latency` frames (silence before).
pub fn delayed(input: &[Vec<f32>; 2], latency: usize) -> [Vec<f32>; 2] {
    input.clone().map(|c| {
        let mut d = vec![0.0; latency];
        d.extend_from_slice(&c[..c.len() - latency]);
        d
    })
}

/// RMS of `output − reference` relative to the reference's, in dB, both channels.
pub fn difference_db(output: &[Vec<f32>; 2], reference: &[Vec<f32>; 2]) -> f64 {
    let diff: Vec<f32> = (0..2)
        .flat_map(|ch| output[ch].iter().zip(&reference[ch]).map(|(o, r)| o - r))
        .collect();
    let reference: Vec<f32> = reference.concat();
    20.0 * (rms(&diff) / rms(&reference)).log10().max(-400.0)
}

/// The first frame (from `from`) where `output` is not bit-identical to `reference`.
pub fn first_difference(
    output: &[Vec<f32>; 2],
    reference: &[Vec<f32>; 2],
    from: usize,
) -> Option<usize> {
    (from..output[0].len())
        .find(|&i| (0..2).any(|ch| output[ch][i].to_bits() != reference[ch][i].to_bits()))
}

/// Panics unless `output` equals `reference` bit for bit from frame `from` on.
pub fn assert_untouched(
    what: &str,
    output: &[Vec<f32>; 2],
    reference: &[Vec<f32>; 2],
    from: usize,
) {
    if let Some(i) = first_difference(output, reference, from) {
        panic!(
            "{what}: the output is not the input from frame {from} on: frame {i} is {:?}, the \
             input {:?} ({:.1} dB RMS difference over the segment)",
            [output[0][i], output[1][i]],
            [reference[0][i], reference[1][i]],
            difference_db(&tail(output, from), &tail(reference, from)),
        );
    }
    println!("{what}: bit-identical to the (latency-delayed) input from frame {from}");
}

/// Panics unless `output` differs from `reference` by the correction; returns the difference.
pub fn assert_processed(what: &str, output: &[Vec<f32>; 2], reference: &[Vec<f32>; 2]) -> f64 {
    let db = difference_db(output, reference);
    println!("{what}: differs from the input by {db:.1} dB RMS (corrected)");
    assert!(
        db > PROCESSED_MIN_DB,
        "{what}: expected the correction (> {PROCESSED_MIN_DB} dB RMS difference), got {db:.1} dB"
    );
    db
}
