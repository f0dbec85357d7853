//! Hostile files and states (issue 16, item 4): malformed, truncated, enormous, binary,
//! wrongly encoded and adversarial inputs for every format Refcan reads, through the same entry
//! points the editor, the plugin and the CLI use. Each must give an error that names the file,
//! the line where there is one and what was expected, and must leave what was loaded before
//! exactly as it was.
//!
//! The small cases are files in `tests/fixtures/hostile/` (see its README); the enormous ones
//! are written here at run time. Every case states the words its message must contain, so a
//! vaguer message, a missing line number or a swallowed error fails the test.

use nice_plug::params::persist::PersistentField;
use refcan::RenderStatus;
use refcan::editor::EditorShared;
use refcan::editor::app::{EditorApp, ImportDestination};
use refcan::headphones::HeadphoneEntry;
use refcan::io::{ImportErrorKind, import_file};
use refcan::params::RefcanParams;
use refcan::plugin_presets::plugin_presets;
use refcan::presets::PresetLibrary;
use refcan::state::{RECOVERED_KEY, SharedState, SlotContent};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hostile")
        .join(rel)
}

/// One hostile input: the file (relative to the fixture folder), the 1-based line its error
/// must name (`None`: about the whole file, and no line may be given) and words the message
/// must contain.
struct Case {
    file: &'static str,
    line: Option<usize>,
    expect: &'static [&'static str],
}

const fn case(file: &'static str, line: Option<usize>, expect: &'static [&'static str]) -> Case {
    Case { file, line, expect }
}

/// Collects every mismatch instead of stopping at the first, so one run shows them all.
#[derive(Default)]
struct Failures(String);

impl Failures {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            let _ = writeln!(self.0, "- {}", what());
        }
    }

    fn expect_words(&mut self, file: &str, message: &str, words: &[&str]) {
        for word in words {
            self.check(message.contains(word), || {
                format!("{file}: message {message:?} does not contain {word:?}")
            });
        }
        self.check(!message.contains('\n'), || {
            format!("{file}: message {message:?} is not one line")
        });
        self.check(message.chars().count() < 400, || {
            format!(
                "{file}: message is {} characters long",
                message.chars().count()
            )
        });
    }

    fn finish(self) {
        assert!(self.0.is_empty(), "hostile inputs misbehaved:\n{}", self.0);
    }
}

/// Measurement tables and Equalizer APO files, refused.
const IMPORT_CASES: &[Case] = &[
    case("empty.csv", None, &["the file is empty"]),
    case("whitespace-only.txt", None, &["the file is empty"]),
    case("comments-only.txt", None, &["the file is empty"]),
    case(
        "binary-nul.csv",
        None,
        &["not a text file (it contains binary data)"],
    ),
    case(
        "png-image.csv",
        None,
        &["not a text file (it contains binary data)"],
    ),
    case(
        "utf16le-no-bom.csv",
        None,
        &["not a text file (it contains binary data)"],
    ),
    case(
        "unknown-format.txt",
        None,
        &["not a recognised format: expected a frequency-response table"],
    ),
    case(
        "state-json-as-measurement.csv",
        None,
        &["not a recognised format"],
    ),
    case(
        "nan-level.csv",
        Some(3),
        &["expected a number in column 2 (\"raw\"), found \"NaN\""],
    ),
    case(
        "inf-level.csv",
        Some(4),
        &["expected a number in column 2 (\"raw\"), found \"inf\""],
    ),
    case(
        "overflow-level.csv",
        Some(3),
        &["expected a number in column 2 (\"raw\"), found \"1e400\""],
    ),
    case(
        "absurd-level.csv",
        Some(3),
        &["expected a level within ±200 dB, found 1e12 dB"],
    ),
    case(
        "negative-frequency.csv",
        Some(3),
        &["expected a frequency above 0 Hz, found -100"],
    ),
    case(
        "zero-frequency.csv",
        Some(2),
        &["expected a frequency above 0 Hz, found 0"],
    ),
    case(
        "single-row.csv",
        None,
        &["expected at least two points between 20 Hz and 20 kHz, found 1"],
    ),
    case(
        "truncated-row.csv",
        Some(4),
        &["expected a number in column 2 (\"raw\"), found \"\""],
    ),
    case(
        "text-in-number.csv",
        Some(3),
        &["expected a number in column 2 (\"raw\"), found \"abc\""],
    ),
    case(
        "missing-column.csv",
        Some(3),
        &["expected a number in column 2 (\"raw\"), found nothing"],
    ),
    case(
        "all-duplicate-frequencies.csv",
        None,
        &["expected at least two points", "(3 points in total)"],
    ),
    case(
        "apo-missing-fc.txt",
        Some(2),
        &["expected a frequency like \"Fc 1000 Hz\" in the PK filter"],
    ),
    case(
        "apo-zero-q.txt",
        Some(2),
        &["expected \"Q <number>\" or \"BW Oct <number>\" in the PK filter"],
    ),
    case(
        "apo-nan-gain.txt",
        Some(3),
        &["expected a gain like \"Gain -3 dB\" in the PK filter"],
    ),
    case(
        "apo-absurd-gain.txt",
        Some(2),
        &["expected a gain within ±200 dB, found 1e300 dB"],
    ),
    case(
        "apo-bad-preamp.txt",
        Some(1),
        &["expected a gain like \"Preamp: -6.8 dB\", found \"loud\""],
    ),
    // Equalizer APO pairs every number run, so "100 x; 1000" is 100 Hz at 1000 dB.
    case(
        "graphic-eq-garbage.txt",
        Some(1),
        &["expected a gain within ±200 dB, found 1000 dB"],
    ),
];

/// Odd files the importer reads on purpose, with what it must say it fixed (`None`: nothing).
const ACCEPTED: &[(&str, Option<&str>)] = &[
    ("utf16le-bom.csv", None),
    ("utf8-bom.csv", None),
    ("latin1-comment.csv", None),
    ("non-monotonic.csv", Some("sorted")),
    ("duplicate-frequencies.csv", Some("repeated")),
    ("unknown-column.csv", None),
    ("narrow-band.csv", None),
    ("graphic-eq-one-point.txt", None),
    ("apo-absurd-frequency.txt", None),
];

fn editor() -> (EditorApp, EditorShared) {
    let shared = EditorShared {
        params: Arc::new(RefcanParams::default()),
        status: Arc::new(RenderStatus::default()),
        library: Arc::new(PresetLibrary::builtin()),
    };
    (EditorApp::new(shared.clone()), shared)
}

fn write_measurement(dir: &Path, name: &str, tilt_db: f64) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::from("frequency,raw\n");
    for k in 0..40 {
        let f = 20.0 * 1000f64.powf(f64::from(k) / 39.0);
        let _ = writeln!(text, "{f:.2},{:.2}", tilt_db * (f / 1000.0).log2());
    }
    std::fs::write(&path, text).expect("write");
    path
}

fn imported_ok(app: &EditorApp) -> bool {
    app.message.as_ref().is_some_and(|m| !m.error)
}

/// The message the editor shows after an import, or "" when it showed none.
fn editor_message(app: &EditorApp) -> String {
    app.message
        .as_ref()
        .map(|m| {
            if m.error {
                m.text.clone()
            } else {
                format!("(not an error) {}", m.text)
            }
        })
        .unwrap_or_default()
}

/// The large or path-dependent import cases, written at run time: (path, file name shown,
/// words).
fn runtime_import_cases(dir: &Path) -> Vec<(PathBuf, String, Option<usize>, Vec<&'static str>)> {
    let mut cases = Vec::new();
    // 11 MB: refused from its size, before it is read.
    let big = dir.join("enormous.csv");
    let mut text = String::from("frequency,raw\n");
    while text.len() <= 11_000_000 {
        text.push_str("1000.000000,0.000000000\n");
    }
    std::fs::write(&big, &text).expect("write");
    cases.push((big, "enormous.csv".into(), None, vec!["larger than 10 MB"]));
    // A 5 MB number on one line: one short message, not the line.
    let long = dir.join("long-line.csv");
    let text = format!(
        "frequency,raw\n20,1\n{},2\n20000,3\n",
        "9".repeat(5_000_000)
    );
    std::fs::write(&long, text).expect("write");
    cases.push((long, "long-line.csv".into(), Some(3), vec!["expected", "…"]));
    // A folder, and a file that does not exist.
    let folder = dir.join("a folder.csv");
    std::fs::create_dir_all(&folder).expect("mkdir");
    cases.push((
        folder,
        "a folder.csv".into(),
        None,
        vec!["this is a folder, not a file"],
    ));
    cases.push((
        dir.join("missing.csv"),
        "missing.csv".into(),
        None,
        vec!["cannot read the file"],
    ));
    cases
}

#[test]
fn hostile_measurement_and_eq_files_are_refused_and_the_headphone_and_slots_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, shared) = editor();
    let state = &shared.params.state;
    app.import(
        &write_measurement(dir.path(), "Good Cans.csv", 1.0),
        ImportDestination::Headphone,
    );
    assert!(imported_ok(&app), "{}", editor_message(&app));
    app.import(
        &write_measurement(dir.path(), "Friend's Cans.csv", -1.0),
        ImportDestination::Slot(2),
    );
    assert!(imported_ok(&app), "{}", editor_message(&app));
    let before = state.get();
    let generation = state.generation();
    assert_eq!(
        before.headphone.as_ref().map(|h| h.name.as_str()),
        Some("Good Cans")
    );
    assert_eq!(before.slots[2].name(), "Friend's Cans");

    let mut failures = Failures::default();
    let mut all: Vec<(PathBuf, String, Option<usize>, Vec<&str>)> = IMPORT_CASES
        .iter()
        .map(|c| {
            (
                fixture(&format!("import/{}", c.file)),
                c.file.to_string(),
                c.line,
                c.expect.to_vec(),
            )
        })
        .collect();
    all.extend(runtime_import_cases(dir.path()));
    for (path, file, line, words) in &all {
        // The importer's own error: file and line as fields.
        match import_file(path) {
            Ok(i) => failures.check(false, || format!("{file}: imported as {:?}", i.format)),
            Err(e) => {
                failures.check(&e.file == file, || {
                    format!("{file}: error names {:?}", e.file)
                });
                failures.check(e.line == *line, || {
                    format!("{file}: error line {:?}, expected {line:?}: {e}", e.line)
                });
                failures.check(
                    !matches!(e.kind, ImportErrorKind::Io(_)) || file == "missing.csv",
                    || format!("{file}: an I/O error: {e}"),
                );
                failures.expect_words(file, &e.to_string(), words);
            }
        }
        // The editor's import, into the headphone and into a slot: the message says why and
        // nothing changes.
        for destination in [ImportDestination::Headphone, ImportDestination::Slot(2)] {
            app.message = None;
            app.import(path, destination);
            let shown = editor_message(&app);
            let place = match line {
                Some(n) => format!("Not imported: {file}:{n}: "),
                None => format!("Not imported: {file}: "),
            };
            failures.check(shown.starts_with(&place), || {
                format!("{file}: the editor said {shown:?}, expected it to start with {place:?}")
            });
            failures.expect_words(file, &shown, words);
            failures.check(state.get() == before, || {
                format!("{file}: the state changed")
            });
            failures.check(state.generation() == generation, || {
                format!("{file}: the generation changed")
            });
        }
    }
    failures.finish();
}

#[test]
fn odd_but_readable_files_import_and_say_what_was_fixed() {
    let (mut app, shared) = editor();
    let mut failures = Failures::default();
    for (file, fixed) in ACCEPTED {
        let path = fixture(&format!("accepted/{file}"));
        match import_file(&path) {
            Ok(imported) => {
                let warnings: Vec<String> =
                    imported.warnings.iter().map(|w| w.to_string()).collect();
                match fixed {
                    Some(word) => failures.check(warnings.iter().any(|w| w.contains(word)), || {
                        format!("{file}: no warning says {word:?}: {warnings:?}")
                    }),
                    None => failures.check(warnings.is_empty(), || {
                        format!("{file}: unexpected warnings {warnings:?}")
                    }),
                }
            }
            Err(e) => failures.check(false, || format!("{file}: refused: {e}")),
        }
        app.import(&path, ImportDestination::Headphone);
        failures.check(imported_ok(&app), || {
            format!("{file}: {}", editor_message(&app))
        });
        let stem = file.trim_end_matches(".csv").trim_end_matches(".txt");
        failures.check(
            shared
                .params
                .state
                .headphone()
                .is_some_and(|h| h.name == stem),
            || format!("{file}: not installed"),
        );
    }
    failures.finish();
}

#[test]
fn hostile_wav_files_are_refused_naming_the_file_and_what_was_expected() {
    let cases: &[Case] = &[
        case(
            "text.wav",
            None,
            &["not a readable WAV file", "no RIFF tag found"],
        ),
        case("truncated-header.wav", None, &["not a readable WAV file"]),
        case(
            "zero-channels.wav",
            None,
            &["not a readable WAV file", "zero channels"],
        ),
        case(
            "three-channels.wav",
            None,
            &["3 channels; Refcan renders mono or stereo files"],
        ),
        case(
            "float64.wav",
            None,
            &["not a readable WAV file", "bits per sample"],
        ),
        case(
            "absurd-length.wav",
            None,
            &["4294967280 frames is longer than the 691200000"],
        ),
        case(
            "data-size-lies.wav",
            None,
            &[
                "the sample data is cut short or damaged",
                "announces 200000000 samples",
            ],
        ),
    ];
    let mut failures = Failures::default();
    for c in cases {
        let path = fixture(&format!("wav/{}", c.file));
        match refcan::io::wav::read(&path) {
            Ok(_) => failures.check(false, || format!("{}: read", c.file)),
            Err(e) => {
                let prefix = format!("{}: ", path.display());
                failures.check(e.starts_with(&prefix), || {
                    format!("{}: {e:?} does not start with the path", c.file)
                });
                failures.expect_words(c.file, &e, c.expect);
            }
        }
    }
    failures.finish();
}

/// Target and simulation presets of the user folder: (file under `presets/hostile/`, words).
const PRESET_CASES: &[(&str, &[&str])] = &[
    (
        "targets/bad-sample-rate.json",
        &["field `filter_sample_rate_hz`: 0.5 is outside 8000…768000 Hz"],
    ),
    (
        "targets/nan-literal.json",
        &["nan-literal.json:5:", "expected value"],
    ),
    (
        "targets/overflow-number.json",
        &["overflow-number.json:16:", "number out of range"],
    ),
    (
        "targets/truncated.json",
        &["truncated.json:4:", "EOF while parsing"],
    ),
    ("targets/utf16.json", &["cannot read: not UTF-8 text"]),
    (
        "targets/wrong-format.json",
        &["field `format`: `refcan-target-2`; expected `refcan-target-1`"],
    ),
    (
        "targets/wrong-type.json",
        &[
            "wrong-type.json:5:",
            "invalid type: string \"flat\", expected a sequence",
        ],
    ),
    (
        "simulations/absurd-gain.json",
        &["field `filters[0].gain_db`: 1e300 is outside"],
    ),
    (
        "simulations/bad-id.json",
        &["field `id`: `Bad Id!` is not 1–64 characters"],
    ),
    (
        "simulations/fit-without-error.json",
        &["field `derivation.fit_error_db`: a fitted simulation must state its fit error"],
    ),
    (
        "simulations/odd-order.json",
        &["field `band_limit.highpass`: order = 3 is not 2, 4, 6 or 8"],
    ),
    (
        "simulations/unknown-kind.json",
        &[
            "unknown-kind.json:8:",
            "unknown variant `wobble`, expected one of",
        ],
    ),
    (
        "simulations/zero-frequency.json",
        &["field `filters[0].freq_hz`: 0 is outside 1…20000 Hz"],
    ),
];

fn ids(lib: &PresetLibrary) -> (Vec<String>, Vec<String>) {
    (
        lib.targets.iter().map(|t| t.id.clone()).collect(),
        lib.simulations.iter().map(|s| s.id.clone()).collect(),
    )
}

#[test]
fn hostile_presets_are_refused_naming_the_file_and_the_library_stays() {
    let mut lib = PresetLibrary::builtin();
    lib.add_user_dir(&fixture("presets/good"));
    assert!(lib.target("good_user_target").is_some() && lib.simulation("good_user_sim").is_some());
    assert!(lib.messages.is_empty(), "{:?}", lib.messages);
    let before = ids(&lib);

    // The big ones, written now: a preset over the size limit, 20 001 points, JSON nested
    // 100 000 deep.
    let dir = tempfile::tempdir().expect("tempdir");
    let targets = dir.path().join("targets");
    std::fs::create_dir_all(&targets).expect("mkdir");
    for entry in std::fs::read_dir(fixture("presets/hostile/targets")).expect("fixtures") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, targets.join(path.file_name().expect("name"))).expect("copy");
    }
    let sims = dir.path().join("simulations");
    std::fs::create_dir_all(&sims).expect("mkdir");
    for entry in std::fs::read_dir(fixture("presets/hostile/simulations")).expect("fixtures") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, sims.join(path.file_name().expect("name"))).expect("copy");
    }
    let mut huge = String::from("{\"notes\": \"");
    huge.push_str(&"x".repeat(1 << 20));
    huge.push_str("\"}");
    std::fs::write(targets.join("enormous.json"), huge).expect("write");
    let points: Vec<[f64; 2]> = (0..20_001).map(|k| [20.0 + f64::from(k), 0.0]).collect();
    let many = json!({"format": "refcan-target-1", "id": "many", "name": "Many", "points": points});
    std::fs::write(targets.join("many-points.json"), many.to_string()).expect("write");
    let deep = format!(
        "{{\"format\": \"refcan-target-1\", \"derivation\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(targets.join("deep.json"), deep).expect("write");
    let mut cases: Vec<(String, Vec<&str>)> = PRESET_CASES
        .iter()
        .map(|(f, w)| (f.to_string(), w.to_vec()))
        .collect();
    cases.push((
        "targets/enormous.json".into(),
        vec!["bytes is more than the 1048576-byte limit for a preset"],
    ));
    cases.push((
        "targets/many-points.json".into(),
        vec!["field `points`: 20001 points; at most 20000"],
    ));
    cases.push((
        "targets/deep.json".into(),
        vec!["deep.json:1:", "recursion limit exceeded"],
    ));

    let n = lib.messages.len();
    lib.add_user_dir(dir.path());
    let messages: Vec<String> = lib.messages[n..].iter().map(|m| m.to_string()).collect();
    let mut failures = Failures::default();
    for (file, words) in &cases {
        let path = dir.path().join(file).display().to_string();
        let found: Vec<&String> = messages
            .iter()
            .filter(|m| m.starts_with(&format!("{path}:")))
            .collect();
        failures.check(found.len() == 1, || {
            format!("{file}: {} messages: {messages:?}", found.len())
        });
        if let Some(m) = found.first() {
            failures.expect_words(file, m, words);
        }
    }
    failures.check(messages.len() == cases.len(), || {
        format!(
            "{} messages for {} files: {messages:?}",
            messages.len(),
            cases.len()
        )
    });
    failures.check(ids(&lib) == before, || "the preset library changed".into());
    failures.finish();
}

#[test]
fn hostile_plugin_presets_are_refused_naming_the_file_and_the_list_stays() {
    let lib = PresetLibrary::builtin();
    let (good, messages) = plugin_presets(&lib, Some(&fixture("plugin/good")));
    assert!(messages.is_empty(), "{messages:?}");
    assert!(good.iter().any(|p| p.id == "good_user_preset"));
    let builtin_ids: Vec<String> = plugin_presets(&lib, None)
        .0
        .into_iter()
        .map(|p| p.id)
        .collect();
    let cases: &[(&str, &[&str])] = &[
        (
            "bad-param-value.json",
            &["parameter amount: expected a number within 0 … 100, found \"loud\""],
        ),
        (
            "future-state.json",
            &["saved state has format version 99", "update Refcan"],
        ),
        (
            "max-boost-40.json",
            &["max_boost_db 40 is outside 0 … 12 dB"],
        ),
        ("seven-slots.json", &["7 slots, expected 8"]),
        ("truncated.json", &["EOF while parsing", "line 3 column 1"]),
        (
            "unknown-slot.json",
            &["slot simulation 'spaceship' is not a known simulation"],
        ),
        (
            "wrong-format.json",
            &["format 'refcan-plugin-preset-9', expected 'refcan-plugin-preset-1'"],
        ),
    ];
    let (presets, messages) = plugin_presets(&lib, Some(&fixture("plugin/hostile")));
    let mut failures = Failures::default();
    for (file, words) in cases {
        let path = fixture(&format!("plugin/hostile/plugin/{file}"))
            .display()
            .to_string();
        let found: Vec<&String> = messages
            .iter()
            .filter(|m| m.starts_with(&format!("{path}: ")))
            .collect();
        failures.check(found.len() == 1, || {
            format!("{file}: {} messages: {messages:?}", found.len())
        });
        if let Some(m) = found.first() {
            failures.expect_words(file, m, words);
        }
    }
    failures.check(messages.len() == cases.len(), || format!("{messages:?}"));
    let ids: Vec<String> = presets.into_iter().map(|p| p.id).collect();
    failures.check(ids == builtin_ids, || {
        format!("the preset list changed: {ids:?}")
    });
    failures.finish();
}

#[test]
fn hostile_headphone_library_entries_are_refused_naming_the_file_and_field() {
    let cases: &[(&str, &[&str])] = &[
        (
            "bad-id.json",
            &["field `id`: \"Hostile Phone\": use lowercase letters, digits and _"],
        ),
        ("empty-name.json", &["field `name`: empty"]),
        (
            "fit-error-too-large.json",
            &["field `fit_rms_db`: 5 is not within 0…0.3 dB"],
        ),
        ("missing-points.json", &["missing field `points` at line 1"]),
        (
            "non-monotonic.json",
            &["field `points`: point 2: 500 Hz is not above the previous frequency"],
        ),
        (
            "one-point.json",
            &["field `points`: 1 points, expected 2…2000"],
        ),
        ("overflow-number.json", &["number out of range at line 28"]),
        ("truncated.json", &["EOF while parsing a string at line 5"]),
        (
            "unknown-field.json",
            &["unknown field `extra_field`, expected one of", "at line 31"],
        ),
        (
            "wrong-format.json",
            &["field `format`: \"refcan-headphone-2\", expected \"refcan-headphone-1\""],
        ),
    ];
    let mut failures = Failures::default();
    let mut all: Vec<(String, String, Vec<&str>)> = cases
        .iter()
        .map(|(f, w)| {
            let text =
                std::fs::read_to_string(fixture(&format!("headphones/{f}"))).expect("fixture");
            (f.to_string(), text, w.to_vec())
        })
        .collect();
    let points: Vec<[f64; 2]> = (0..2_001).map(|k| [20.0 + f64::from(k), 0.0]).collect();
    let mut many: Value = serde_json::from_str(&all[0].1).expect("json");
    many["id"] = json!("many_points");
    many["points"] = json!(points);
    all.push((
        "many-points.json".into(),
        many.to_string(),
        vec!["field `points`: 2001 points, expected 2…2000"],
    ));
    for (file, text, words) in &all {
        match HeadphoneEntry::parse(file, text) {
            Ok(_) => failures.check(false, || format!("{file}: accepted")),
            Err(e) => {
                let shown = e.to_string();
                failures.check(shown.starts_with(&format!("{file}: ")), || {
                    format!("{shown:?} does not name {file}")
                });
                failures.expect_words(file, &shown, words);
            }
        }
    }
    failures.finish();
}

/// State documents as a host hands them back: (file under `state/`, words).
const STATE_CASES: &[(&str, &[&str])] = &[
    (
        "not-an-object.json",
        &[
            "not a Refcan state document: expected a JSON object",
            "previous values kept for: everything",
        ],
    ),
    (
        "string.json",
        &[
            "expected a JSON object",
            "previous values kept for: everything",
        ],
    ),
    (
        "no-version.json",
        &[
            "missing or non-integer `format_version`",
            "previous values kept for: everything",
        ],
    ),
    ("version-zero.json", &["`format_version` 0 does not exist"]),
    (
        "version-as-text.json",
        &["missing or non-integer `format_version`"],
    ),
    (
        "version-negative.json",
        &["missing or non-integer `format_version`"],
    ),
    (
        "version-fraction.json",
        &["missing or non-integer `format_version`"],
    ),
    (
        "version-huge.json",
        &[
            "format version 18446744073709551615, newer than this Refcan understands (3)",
            "nothing in it was usable",
        ],
    ),
    (
        "from-the-future.json",
        &[
            "format version 99",
            "update Refcan to open this project",
            "previous values kept for: headphone, slot 1,",
        ],
    ),
    (
        "max-boost-absurd.json",
        &[
            "max_boost_db 1e300 is outside 0 … 12 dB",
            "previous values kept for: max_boost_db",
        ],
    ),
    (
        "headphone-one-point.json",
        &[
            "headphone 'Hostile Cans'",
            "expected at least two points between 20 Hz and 20 kHz",
            "previous values kept for: headphone",
        ],
    ),
    (
        "headphone-absurd-level.json",
        &["point 1: expected a level within ±200 dB, found 1e300"],
    ),
    (
        "headphone-length-mismatch.json",
        &["5 frequencies but 2 levels"],
    ),
    (
        "headphone-negative-frequency.json",
        &["point 0: expected a frequency above 0 Hz, found -20"],
    ),
    (
        "slots-not-a-list.json",
        &[
            "invalid type: map, expected a sequence",
            "previous values kept for: slot 1, slot 2",
        ],
    ),
    (
        "slots-unknown-variant.json",
        &["unknown variant `spaceship`, expected `simulation` or `other_headphone`"],
    ),
    (
        "offline-render-unknown.json",
        &[
            "unknown variant `sometimes`, expected `bypass` or `process`",
            "previous values kept for: offline_render",
        ],
    ),
];

/// A good state with a headphone, another headphone in slot 3, a max boost and the offline
/// choice all away from their defaults, loaded the way a host does.
fn good_state(shared: &SharedState) {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = refcan::source::Headphone::import(
        &write_measurement(dir.path(), "Good Cans.csv", 1.0),
        &Default::default(),
    )
    .expect("good");
    let other = refcan::source::Headphone::import(
        &write_measurement(dir.path(), "Other.csv", -2.0),
        &Default::default(),
    )
    .expect("other");
    let mut state = refcan::state::RefcanState {
        headphone: Some(good),
        max_boost_db: 4.0,
        offline_render: refcan::state::OfflineRender::Process,
        ..Default::default()
    };
    state.slots[2] = SlotContent::OtherHeadphone { headphone: other };
    PersistentField::set(shared, state.to_value());
    assert!(shared.last_error().is_none(), "{:?}", shared.last_error());
}

#[test]
fn hostile_state_documents_are_refused_and_the_previous_state_stays() {
    let params = RefcanParams::default();
    let shared = &params.state;
    good_state(shared);
    let before = shared.get();
    let generation = shared.generation();
    let mut failures = Failures::default();
    let mut cases: Vec<(String, Value, Vec<&str>)> = STATE_CASES
        .iter()
        .map(|(f, w)| {
            let text = std::fs::read_to_string(fixture(&format!("state/{f}"))).expect("fixture");
            (
                f.to_string(),
                serde_json::from_str(&text).expect("JSON"),
                w.to_vec(),
            )
        })
        .collect();
    // Nine slots (the first eight being the ones loaded): refused as a whole, nothing changes.
    let mut nine = before.to_value();
    let mut slots = serde_json::to_value(&before.slots).expect("slots");
    if let Value::Array(items) = &mut slots {
        items.push(items[0].clone());
    }
    nine["slots"] = slots;
    nine.as_object_mut().map(|m| m.remove(RECOVERED_KEY));
    cases.push(("nine slots".into(), nine, vec!["9 slots, expected 8"]));
    for (file, value, words) in &cases {
        // What nice-plug calls when a host restores a project or a preset.
        PersistentField::set(shared, value.clone());
        match shared.last_error() {
            None => failures.check(false, || format!("{file}: loaded")),
            Some(e) => failures.expect_words(file, &e.to_string(), words),
        }
        let after = shared.get();
        failures.check(after.same_design_inputs(&before), || {
            format!("{file}: the state changed")
        });
        failures.check(
            after.headphone == before.headphone && after.slots == before.slots,
            || format!("{file}: the headphone or a slot changed"),
        );
        failures.check(shared.generation() == generation, || {
            format!("{file}: the generation changed")
        });
        failures.check(after.unknown.get(RECOVERED_KEY) == Some(value), || {
            format!("{file}: the refused document was not kept aside")
        });
    }
    failures.finish();
}

#[test]
fn hostile_whole_plugin_states_are_refused_with_what_was_expected() {
    let good =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/state-v2.json"))
            .expect("fixture");
    assert!(refcan::render::read_plugin_state(&good).is_ok());
    let truncated = good[..good.len() / 2].to_vec();
    // nice-plug keeps the document as JSON text; the text is nested 100 000 deep.
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep = json!({"version": "0.1.0", "params": {}, "fields": {"refcan": nested}})
        .to_string()
        .into_bytes();
    let not_json_field =
        json!({"version": "0.1.0", "params": {}, "fields": {"refcan": "{not json"}})
            .to_string()
            .into_bytes();
    let bad_param = json!({"version": "0.1.0", "params": {"tilt": {"f32": 1e30}}, "fields": {}})
        .to_string()
        .into_bytes();
    let cases: &[(&str, &[u8], &[&str])] = &[
        (
            "truncated",
            &truncated,
            &[
                "not a Refcan plugin state (JSON with params and fields)",
                "EOF while parsing",
            ],
        ),
        (
            "nested 100 000 deep",
            &deep,
            &[
                "the `refcan` document is not JSON",
                "recursion limit exceeded",
            ],
        ),
        (
            "refcan field not JSON",
            &not_json_field,
            &["the `refcan` document is not JSON"],
        ),
        (
            "tilt 1e30",
            &bad_param,
            &["parameter tilt: expected a number within -2 … 2, found the number 1e30"],
        ),
        (
            "binary",
            b"\x00\x01\x02\xff",
            &["not a Refcan plugin state"],
        ),
        (
            "empty",
            b"",
            &["not a Refcan plugin state", "EOF while parsing"],
        ),
    ];
    let mut failures = Failures::default();
    for (what, bytes, words) in cases {
        match refcan::render::read_plugin_state(bytes) {
            Ok(_) => failures.check(false, || format!("{what}: read")),
            Err(e) => failures.expect_words(what, &e, words),
        }
    }
    failures.finish();
}
