//! What the offline-render tests share (`tests/vst3_offline.rs`, `tests/clap_offline.rs`): a
//! plugin state for a synthetic headphone with the `offline_render` choice, stereo noise, the
//! input as the latency-compensated bypass path delivers it, and the two verdicts: untouched
//! (bit-identical) or corrected (differs by the correction).

use super::fixtures::{refcan, temp_dir, write_headphone};
use super::signal::{Rng, noise, rms};
use refcan::state::{OfflineRender, PERSIST_KEY};

/// A corrected signal differs from its input by more than this (RMS of the difference relative
/// to the input's); the synthetic headphone below needs several dB of correction.
pub const PROCESSED_MIN_DB: f64 = -30.0;

/// The plugin state `refcan preset` writes for the synthetic headphone of `fixtures` (its `offline_render`
/// is the default, `bypass`), with more `args` (e.g. `--filter-mode`), and with `offline_render`
/// set to `choice`. The state document is JSON
/// text inside the state's JSON, under the persist key.
pub fn preset_state(name: &str, choice: OfflineRender, args: &[&str]) -> Vec<u8> {
    let dir = temp_dir(name);
    let headphone = write_headphone(&dir);
    let path = dir.join("state.json");
    let mut command = vec!["preset", "--headphone", headphone.to_str().expect("utf8")];
    command.extend_from_slice(args);
    command.extend_from_slice(&["-o", path.to_str().expect("utf8")]);
    refcan(&command);
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
