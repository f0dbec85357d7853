//! The built-in headphone library: every file parses, ids are unique and valid, fits are
//! within the limit, and the tables match the source measurements where the shared data
//! folder has the same AutoEq CSV (with `REFCAN_REQUIRE_SHARED_DATA=1`, as CI sets it, a
//! missing folder or file fails the test).

use refcan::chain::ChainSettings;
use refcan::design::{DesignSettings, FilterMode, chain_curves};
use refcan::headphones::{
    HeadphoneEntry, HeadphoneLibrary, MAX_FIT_RMS_DB, builtin_files, is_valid_id,
};
use refcan::io::{ChannelCurves, ImportOptions};
use refcan::presets::PresetLibrary;
use refcan::source::{Headphone, HeadphoneData};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The library's promise: at least this many models.
const MIN_ENTRIES: usize = 50;

fn data_dir() -> PathBuf {
    let shared = std::env::var("REFCAN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    shared.join("data/autoeq")
}

#[test]
fn the_library_has_enough_valid_unique_entries() {
    let lib = HeadphoneLibrary::builtin();
    assert!(lib.messages().is_empty(), "{:?}", lib.messages());
    assert_eq!(lib.entries().len(), builtin_files().count());
    assert!(
        lib.entries().len() >= MIN_ENTRIES,
        "{} entries, expected at least {MIN_ENTRIES}",
        lib.entries().len()
    );
    let mut ids = BTreeSet::new();
    for e in lib.entries() {
        assert!(is_valid_id(&e.id), "{}", e.id);
        assert!(ids.insert(e.id.clone()), "duplicate id {}", e.id);
        assert!(e.fit_rms_db <= MAX_FIT_RMS_DB, "{}: {}", e.id, e.fit_rms_db);
        assert!(!e.rig.is_empty() && !e.source.commit.is_empty(), "{}", e.id);
        assert!(e.points.len() >= 10, "{}: {} points", e.id, e.points.len());
        assert!(e.points[0][0] <= 20.0 && e.points.last().unwrap()[0] >= 16_000.0);
        assert!(
            e.level_at(1000.0).abs() < 0.2,
            "{}: not 0 dB at 1 kHz",
            e.id
        );
        assert_eq!(lib.find(&e.id), Some(e));
    }
}

#[test]
fn every_file_in_the_folder_is_embedded_and_named_after_its_id() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/headphones");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("presets/headphones")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .map(|n| format!("presets/headphones/{n}"))
        .collect();
    let embedded: BTreeSet<String> = builtin_files().map(str::to_string).collect();
    assert_eq!(on_disk, embedded, "rerun tools/derive_headphones.py");
    for path in &embedded {
        let json =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
        let entry = HeadphoneEntry::parse(path, &json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(path, &format!("presets/headphones/{}.json", entry.id));
        assert!(json.len() < 8_000, "{path}: {} bytes", json.len());
    }
}

#[test]
fn search_is_case_insensitive_over_name_brand_and_id() {
    let lib = HeadphoneLibrary::builtin();
    let all = lib.search("");
    assert_eq!(all.len(), lib.entries().len());
    let sony = lib.search("SONY");
    assert!(!sony.is_empty());
    assert!(sony.iter().all(|e| e.brand == "Sony"
        || e.name.to_lowercase().contains("sony")
        || e.id.contains("sony")));
    assert_eq!(lib.search("mdr_7506").len(), 1);
    assert_eq!(lib.search("mdr-7506").len(), 1);
    assert!(lib.search("no such headphone").is_empty());
    assert!(lib.find("no_such_id").is_none());
}

#[test]
fn an_entry_becomes_a_headphone_held_as_data() {
    let lib = HeadphoneLibrary::builtin();
    let entry = lib.find("sony_mdr_7506").expect("MDR-7506");
    let hp = entry.to_headphone();
    assert_eq!(hp.name, "Sony MDR-7506");
    match &hp.data {
        HeadphoneData::Measurement(ChannelCurves::Mono(c)) => {
            assert_eq!(c.freq_hz.len(), entry.points.len());
        }
        other => panic!("not a mono measurement: {other:?}"),
    }
    // It round-trips through the state's JSON like an imported headphone.
    let json = serde_json::to_string(&hp).unwrap();
    let back: Headphone = serde_json::from_str(&json).unwrap();
    assert_eq!(back, hp);
    let curve = hp.measurement_curve().expect("a curve");
    for f in [50.0, 300.0, 3_000.0, 9_000.0] {
        let d = curve.gain_at(f) - entry.level_at(f);
        assert!(d.abs() < 0.1, "{f} Hz: {d}");
    }
}

/// (entry id, file in the shared AutoEq folder: the same oratory1990 CSV the entry was
/// derived from; see that folder's SOURCES.txt).
const SHARED: &[(&str, &str)] = &[
    ("apple_airpods", "Apple AirPods.csv"),
    ("apple_earpods", "Apple EarPods.csv"),
    ("beats_powerbeats_pro", "Beats Powerbeats Pro.csv"),
    ("beats_studio3", "Beats Studio3 Wireless.csv"),
    (
        "beyerdynamic_dt770_pro_worn",
        "Beyerdynamic DT 770 Pro (worn earpads).csv",
    ),
    ("sony_mdr_xb50", "Sony MDR-XB50.csv"),
];

/// Level of a table at `f`, linear in log frequency, ends held.
fn interp(freq: &[f64], db: &[f64], f: f64) -> f64 {
    if f <= freq[0] {
        return db[0];
    }
    if f >= freq[freq.len() - 1] {
        return db[db.len() - 1];
    }
    let hi = freq.partition_point(|&x| x <= f);
    let t = (f / freq[hi - 1]).ln() / (freq[hi] / freq[hi - 1]).ln();
    db[hi - 1] + t * (db[hi] - db[hi - 1])
}

#[test]
fn entries_match_the_source_measurements_in_the_shared_data() {
    let dir = data_dir();
    let required = std::env::var("REFCAN_REQUIRE_SHARED_DATA").is_ok_and(|v| v == "1");
    if !dir.is_dir() {
        assert!(
            !required,
            "{} is missing and REFCAN_REQUIRE_SHARED_DATA=1",
            dir.display()
        );
        println!("source comparison skipped: {} not found", dir.display());
        return;
    }
    let lib = HeadphoneLibrary::builtin();
    let mut checked = 0;
    for (id, file) in SHARED {
        let path = dir.join(file);
        if !path.is_file() {
            assert!(!required, "{} is missing", path.display());
            println!("{id}: skipped, {} not found", path.display());
            continue;
        }
        let entry = lib.find(id).unwrap_or_else(|| panic!("no entry {id}"));
        let hp = Headphone::import(&path, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let HeadphoneData::Measurement(ChannelCurves::Mono(c)) = &hp.data else {
            panic!("{file}: not a mono measurement");
        };
        let at_1k = interp(&c.freq_hz, &c.db, 1000.0);
        let errs: Vec<f64> = c
            .freq_hz
            .iter()
            .zip(&c.db)
            .filter(|(f, _)| (20.0..=16_000.0).contains(*f))
            .map(|(f, v)| entry.level_at(*f) - (v - at_1k))
            .collect();
        let rms = (errs.iter().map(|e| e * e).sum::<f64>() / errs.len() as f64).sqrt();
        println!("{id}: {rms:.3} dB rms (stored {:.3})", entry.fit_rms_db);
        assert!(
            rms <= entry.fit_rms_db + 0.01,
            "{id}: {rms:.3} dB rms against {file}, stored {:.3}",
            entry.fit_rms_db
        );
        // Picking the entry corrects like importing its source file (told the same rig):
        // the two corrections differ by no more than the table differs from the file (the
        // stored figure is over the file's points, this over Refcan's grid: 0.005 dB apart
        // at most, measured 0.047 against 0.044 for the AirPods).
        let mut imported = hp.clone();
        imported.rig = Some(entry.rig_kind());
        let picked = entry.to_headphone();
        let settings = DesignSettings {
            mode: FilterMode::ZeroLatency,
            target_id: "harman_oe_2018".into(),
            chain: ChainSettings::default(),
        };
        let library = PresetLibrary::builtin();
        let correction = |h: &Headphone| {
            let curves = chain_curves(&settings, Some(h), &[], &library)
                .unwrap_or_else(|e| panic!("{id}: {e}"));
            curves.correction.average()
        };
        let (a, b) = (correction(&picked), correction(&imported));
        let diffs: Vec<f64> = refcan::curve::grid_hz()
            .iter()
            .filter(|f| (20.0..=16_000.0).contains(*f))
            .map(|&f| a.gain_at(f) - b.gain_at(f))
            .collect();
        let corr_rms = (diffs.iter().map(|e| e * e).sum::<f64>() / diffs.len() as f64).sqrt();
        println!("{id}: picked vs imported correction {corr_rms:.3} dB rms");
        assert!(
            corr_rms <= entry.fit_rms_db + 0.005,
            "{id}: picked and imported corrections differ by {corr_rms:.3} dB rms, stored \
             accuracy {:.3}",
            entry.fit_rms_db
        );
        checked += 1;
    }
    assert!(checked > 0 || !required);
}
