//! Built-in simulations: metadata contract, agreement with our own target presets, and
//! level-match gains.

use refcan::curve::{Response, grid_hz, k_weighted_pink_gain_db, level_match_gains_db};
use refcan::presets::{DerivationMethod, PresetLibrary};

const STABLE_IDS: [&str; 13] = [
    "harman_oe_2018",
    "harman_ie_2019",
    "bass_boosted_earbuds",
    "open_earbuds",
    "wired_earbuds",
    "sport_earbuds",
    "consumer_over_ear_warm",
    "phone_speaker",
    "laptop_speakers",
    "car",
    "tv",
    "club_pa",
    "studio_monitors_room",
];

fn library() -> PresetLibrary {
    let lib = PresetLibrary::builtin();
    assert!(lib.messages.is_empty(), "{:?}", lib.messages);
    lib
}

fn target(lib: &PresetLibrary, id: &str) -> Response {
    match lib.target(id).map(|t| t.curve()) {
        Some(Ok(c)) => c,
        other => panic!("{id}: {other:?}"),
    }
}

#[test]
fn ids_are_stable_and_metadata_complete() {
    let lib = library();
    let ids: Vec<&str> = lib.simulations.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, STABLE_IDS);
    for s in &lib.simulations {
        assert_eq!(s.relative_to, "harman_in_room_flat_2013", "{}", s.id);
        assert!(!s.sources.is_empty(), "{} has no source", s.id);
        let Some(d) = &s.derivation else {
            panic!("{} has no derivation", s.id)
        };
        assert!(
            d.command
                .as_deref()
                .is_some_and(|c| c.contains("tools/derive_simulations.py"))
        );
        match d.method {
            DerivationMethod::Fit => {
                let e = d.fit_error_db.as_ref().map(|e| (e.rms, e.max, e.band_hz));
                let Some((rms, max, band)) = e else {
                    panic!("{} lacks its fit error", s.id)
                };
                assert_eq!(band, [20.0, 10_000.0]);
                assert!(rms <= 0.6 && max <= 2.5, "{}: rms {rms} max {max}", s.id);
            }
            DerivationMethod::EngineeringEstimate => {
                assert!(d.statement.is_some(), "{}", s.id);
            }
        }
        assert!(s.simulation().validate().is_ok());
    }
    let phone = lib
        .simulation("phone_speaker")
        .map(|s| (s.mono, s.delta().gain_at(100.0)));
    assert!(
        phone.is_some_and(|(mono, bass)| mono && bass < -30.0),
        "{phone:?}"
    );
    let studio = lib.simulation("studio_monitors_room").map(|s| s.delta());
    assert!(studio.is_some_and(|d| d.values_db().iter().all(|&v| v == 0.0)));
}

/// ΔS(Harman) must be our own target difference (smoothed) within the recorded fit error
/// plus the two tables' errors (≤ 0.04 dB each) and grid/smoothing differences.
#[test]
fn harman_simulations_are_the_target_differences() {
    let lib = library();
    let reference = target(&lib, "harman_in_room_flat_2013");
    for (sim_id, target_id) in [
        ("harman_oe_2018", "harman_oe_2018"),
        ("harman_ie_2019", "harman_ie_2019v2"),
    ] {
        let Some(sim) = lib.simulation(sim_id) else {
            panic!("{sim_id}")
        };
        let recorded = sim
            .derivation
            .as_ref()
            .and_then(|d| d.fit_error_db.as_ref())
            .map_or(0.0, |e| e.max);
        let want = target(&lib, target_id).minus(&reference).smoothed();
        let got = sim.delta();
        let worst = grid_hz()
            .iter()
            .filter(|&&f| f <= 10_000.0)
            .map(|&f| (got.gain_at(f) - want.gain_at(f)).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= recorded + 0.1,
            "{sim_id}: {worst:.3} dB against recorded {recorded}"
        );
    }
}

#[test]
fn harman_over_ear_matches_the_reference_difference_table() {
    // DSP_REFERENCE.md §1.1 "OE 2018 − in-room flat" (unsmoothed differences, 0.1 dB
    // resolution); our ΔS is fitted to the smoothed difference, hence 0.5 dB.
    let rows = [
        (20.0, 7.6),
        (50.0, 7.5),
        (100.0, 5.0),
        (200.0, 1.6),
        (500.0, 1.0),
        (1_000.0, 0.0),
        (2_000.0, -0.9),
        (3_000.0, -2.5),
        (5_000.0, -1.2),
        (8_000.0, -1.4),
        (10_000.0, -1.9),
    ];
    let lib = library();
    let Some(d) = lib.simulation("harman_oe_2018").map(|s| s.delta()) else {
        panic!()
    };
    for (f, want) in rows {
        let got = d.gain_at(f);
        assert!((got - want).abs() <= 0.5, "{f} Hz: {got:.2} vs {want}");
    }
}

#[test]
fn level_match_gains_are_sane_and_reported() {
    let lib = library();
    let deltas: Vec<Response> = lib.simulations.iter().map(|s| s.delta()).collect();
    let gains = level_match_gains_db(&deltas);
    for (s, g) in lib.simulations.iter().zip(&gains) {
        eprintln!("{:<24} level-match gain {:+.2} dB", s.id, g);
        assert!(g.is_finite() && g.abs() < 12.0, "{}: {g}", s.id);
    }
    let gain = |id: &str| {
        lib.simulations
            .iter()
            .position(|s| s.id == id)
            .map_or(f64::NAN, |i| gains[i])
    };
    // Bass-heavy devices play louder, band-limited loudspeakers quieter, the reference 0.
    assert!(gain("car") > 1.0);
    assert!(gain("harman_ie_2019") > gain("harman_oe_2018"));
    assert!(gain("phone_speaker") < -1.0);
    assert_eq!(gain("studio_monitors_room"), 0.0);
    // The gain is the K-weighted pink power of ΔS itself.
    assert_eq!(gain("car"), k_weighted_pink_gain_db(&deltas[9]));
}
