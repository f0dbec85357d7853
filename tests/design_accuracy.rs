//! FIR design accuracy on real corrections: for every headphone measurement in
//! `../shared/data/autoeq` (oratory1990's, from AutoEq; read at run time, never copied), corrected
//! to two built-in targets, the minimum-phase FIRs the engine runs are within ±0.035 dB of the
//! chain curve over 20 Hz–20 kHz (up to Nyquist) at 44.1–384 kHz, the linear-phase ones
//! within 0.1 dB but for one documented case (see the test). Prints the worst cases. Synthetic headphones run always; the real ones when the data folder is there
//! (with `REFCAN_REQUIRE_SHARED_DATA=1`, as CI sets it, a missing folder fails the test).

use realfft::RealFftPlanner;
use refcan::chain::{ChainCurves, ChainInputs, ChainSettings, Listen};
use refcan::curve::{Response, grid_hz};
use refcan::design::fir::{self, Phase};
use refcan::filter::FilterSpec;
use refcan::io::ImportOptions;
use refcan::presets::PresetLibrary;
use refcan::source::Headphone;

const RATES_HZ: [f64; 5] = [44_100.0, 48_000.0, 96_000.0, 192_000.0, 384_000.0];
const TARGETS: [&str; 2] = ["harman_in_room_flat_2013", "harman_oe_2018"];
const HEADPHONES: [&str; 7] = [
    "Apple AirPods.csv",
    "Apple EarPods.csv",
    "Beats Powerbeats Pro.csv",
    "Beats Studio3 Wireless.csv",
    "Sony MDR-XB50.csv",
    "Beyerdynamic DT 770 Pro (worn earpads).csv",
    "derived_not_verbatim/Sennheiser HD 600 (raw column of AutoEq results CSV).csv",
];

#[path = "common/shared_data.rs"]
mod shared_data;

/// Magnitude of `taps` at every grid frequency below Nyquist, from a zero-padded FFT.
fn response_db(taps: &[f32], fs: f64) -> Vec<(f64, f64)> {
    let n = (8 * taps.len()).next_power_of_two();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut input: Vec<f64> = taps.iter().map(|&x| x as f64).collect();
    input.resize(n, 0.0);
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).expect("fft");
    let mags: Vec<f64> = spectrum
        .iter()
        .map(|c| 20.0 * c.norm().max(1e-12).log10())
        .collect();
    grid_hz()
        .iter()
        .filter(|&&f| f < 0.5 * fs)
        .map(|&f| {
            let x = f * n as f64 / fs;
            let i = x.floor() as usize;
            (f, mags[i] + (x - i as f64) * (mags[i + 1] - mags[i]))
        })
        .collect()
}

/// Worst |FIR − curve| over the grid at every rate for `phase`: (dB, Hz, rate).
fn worst_error(curve: &Response, phase: Phase) -> (f64, f64, f64) {
    let at = |f: f64| refcan::design::design_gain_db(curve, f);
    let mut worst = (0.0, 0.0, 0.0);
    for fs in RATES_HZ {
        let taps = fir::design(&at, fs, fir::taps_for_rate(fs, phase), phase);
        for (f, db) in response_db(&taps, fs) {
            let err = (db - at(f)).abs();
            if err > worst.0 {
                worst = (err, f, fs);
            }
        }
    }
    worst
}

fn played(headphone: &Headphone, target: &str, library: &PresetLibrary) -> Response {
    let baseline = library
        .target(target)
        .and_then(|t| t.curve().ok())
        .expect("target");
    let chain = ChainCurves::compute(&ChainInputs {
        headphone: Some(headphone),
        baseline: &baseline,
        settings: ChainSettings::default(),
        slots: &[],
    })
    .expect("chain");
    chain.chain(Listen::Reference).left
}

#[test]
fn fir_designs_follow_real_corrections_within_a_tenth_of_a_db() {
    let library = PresetLibrary::builtin();
    let mut cases: Vec<(String, Headphone)> = Vec::new();
    // Synthetic: a target with a bass shortfall, a narrow presence peak and a treble dip.
    let target = library
        .target(TARGETS[0])
        .and_then(|t| t.curve().ok())
        .expect("target");
    let deviation = Response::from_filters(
        &[
            FilterSpec::low_shelf(60.0, 0.7, -10.0),
            FilterSpec::peaking(4_000.0, 5.0, 6.0),
            FilterSpec::peaking(9_000.0, 4.0, -8.0),
        ],
        44_100.0,
    );
    cases.push((
        "synthetic".into(),
        Headphone::from_response("synthetic", &target.plus(&deviation)),
    ));

    // Skipped with a message when the folder is missing; a failure if
    // REFCAN_REQUIRE_SHARED_DATA=1 (CI).
    if let Some(dir) = shared_data::data_dir("autoeq") {
        for name in HEADPHONES {
            let path = dir.join(name);
            let options = ImportOptions {
                column: name.contains("derived").then(|| "raw".to_string()),
                ..ImportOptions::default()
            };
            let hp = Headphone::import(&path, &options)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            cases.push((name.to_string(), hp));
        }
    }

    // Minimum phase (Zero latency) must stay within 0.035 dB (README: "within 0.03 dB on 16 real
    // corrections"; measured 0.030 dB, Beats Studio3 at 23 Hz). Linear phase has the same
    // length but spends half of it before the peak, so it resolves half as finely: the Beats
    // Studio3's 20–30 Hz ripple (±0.3 dB features ~3 Hz apart in the correction) costs it
    // up to 0.166 dB at 23 Hz; it must stay within 0.18 dB there and within 0.1 dB elsewhere.
    let mut overall = [(0.0, String::new()), (0.0, String::new())];
    let mut linear_over_tenth = Vec::new();
    for (name, hp) in &cases {
        for target in TARGETS {
            let curve = played(hp, target, &library);
            for (k, phase) in [Phase::Minimum, Phase::Linear].into_iter().enumerate() {
                let (err, f, fs) = worst_error(&curve, phase);
                println!(
                    "{name} → {target}, {phase:?} phase: worst {err:.4} dB at {f:.0} Hz ({fs} Hz)"
                );
                if err > overall[k].0 {
                    overall[k] = (err, format!("{name} → {target} at {f:.0} Hz, {fs} Hz"));
                }
                let limit = if phase == Phase::Minimum { 0.035 } else { 0.18 };
                assert!(
                    err <= limit,
                    "{name} → {target}, {phase:?}: {err} dB at {f} Hz, {fs} Hz"
                );
                if phase == Phase::Linear && err > 0.1 {
                    linear_over_tenth.push(format!("{name} → {target}"));
                }
            }
        }
    }
    assert!(
        linear_over_tenth
            .iter()
            .all(|c| c.starts_with("Beats Studio3")),
        "linear phase beyond 0.1 dB: {linear_over_tenth:?}"
    );
    println!(
        "worst over {} corrections: minimum phase {:.4} dB ({}), linear phase {:.4} dB ({})",
        cases.len() * 2,
        overall[0].0,
        overall[0].1,
        overall[1].0,
        overall[1].1
    );
}
