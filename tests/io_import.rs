//! Importers on synthetic files written by the tests: every format variant, and broken inputs
//! whose errors must name the file and the line.

use refcan::io::{
    Channel, ChannelCurves, Content, CurveImport, EqConfig, EqStage, Format, ImportErrorKind,
    ImportOptions, Imported, import_bytes, import_bytes_with, import_file, import_file_with,
    import_pair,
};
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

fn curve(imported: &Imported) -> &CurveImport {
    match &imported.content {
        Content::Curve(c) => c,
        other => panic!("expected a curve, got {other:?}"),
    }
}

fn eq(imported: &Imported) -> &EqConfig {
    match &imported.content {
        Content::Eq(e) => e,
        other => panic!("expected an EQ, got {other:?}"),
    }
}

fn mono_points(imported: &Imported) -> Vec<(f64, f64)> {
    match &curve(imported).channels {
        ChannelCurves::Mono(c) => c
            .freq_hz
            .iter()
            .copied()
            .zip(c.db.iter().copied())
            .collect(),
        other => panic!("expected mono, got {other:?}"),
    }
}

/// A smooth synthetic "measurement": a log-grid tilt with a bump, as text rows.
fn synthetic_rows(step: f64) -> Vec<(f64, f64)> {
    let mut rows = Vec::new();
    let mut f = 20.0;
    while f < 20_000.0 {
        let x = (f / 1000.0f64).log2();
        rows.push((f, -1.5 * x + 4.0 * (-(x - 1.6).powi(2)).exp()));
        f *= step;
    }
    rows
}

#[test]
fn autoeq_measurement_csv_on_log_and_integer_grids() {
    let rows = synthetic_rows(1.01);
    let mut text = String::from("frequency,raw\n");
    for (f, d) in &rows {
        text.push_str(&format!("{f:.2},{d:.2}\n"));
    }
    let imported = import_bytes("Synthetic.csv", text.as_bytes()).unwrap();
    assert_eq!(imported.format, Format::AutoEqCsv);
    assert_eq!(imported.name, "Synthetic");
    let pts = mono_points(&imported);
    assert_eq!(pts.len(), rows.len());
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);

    // Older integer-Hz grid (duplicates appear when a file is re-rounded; they are dropped).
    let mut text = String::from("frequency,raw\n20,-25.42\n21,-25.16\n21,-25.10\n22,-24.92\n");
    for f in 23..=20_000 {
        text.push_str(&format!("{f},{:.2}\n", -25.0 + f64::from(f).log10()));
    }
    let imported = import_bytes("Old.csv", text.as_bytes()).unwrap();
    assert_eq!(imported.format, Format::AutoEqCsv);
    let pts = mono_points(&imported);
    assert_eq!(pts.len(), 19_981);
    assert_eq!(pts[1], (21.0, -25.16));
    assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
    assert_eq!(imported.warnings[0].line, Some(4));
}

const RESULT_HEADER: &str = "frequency,raw,error,smoothed,error_smoothed,equalization,parametric_eq,fixed_band_eq,equalized_raw,equalized_smoothed,target";

fn result_csv() -> String {
    let mut text = format!("{RESULT_HEADER}\n");
    for (i, (f, d)) in synthetic_rows(1.01).iter().enumerate() {
        let t = 0.5 * (i as f64 / 100.0);
        let eq = t - d;
        text.push_str(&format!(
            "{f:.2},{d:.2},{:.2},{d:.2},{:.2},{eq:.2},{eq:.2},{eq:.2},{t:.2},{t:.2},{t:.2}\n",
            d - t,
            d - t
        ));
    }
    text
}

#[test]
fn autoeq_result_csv_with_column_choice() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "Synthetic HP.csv", result_csv());
    let raw = import_file(&path).unwrap();
    assert_eq!(raw.format, Format::AutoEqResultCsv);
    let c = curve(&raw);
    assert_eq!(c.column, "raw");
    assert_eq!(c.columns.len(), 11);
    let first_raw = mono_points(&raw)[0];

    for (column, expect_first) in [("target", 0.0), ("equalization", -first_raw.1)] {
        let options = ImportOptions {
            column: Some(column.to_owned()),
            ..ImportOptions::default()
        };
        let imported = import_file_with(&path, &options).unwrap();
        assert_eq!(curve(&imported).column, column);
        let first = mono_points(&imported)[0];
        assert!(
            (first.1 - expect_first).abs() < 0.006,
            "{column}: {first:?}"
        );
    }
    let options = ImportOptions {
        column: Some("loudness".to_owned()),
        ..ImportOptions::default()
    };
    let e = import_file_with(&path, &options).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("Synthetic HP.csv: expected a column named \"loudness\""),
        "{msg}"
    );
    assert!(msg.contains("\"target\""), "{msg}");
}

#[test]
fn delimited_variants_like_autoeq_tests() {
    let expect = vec![(20.0, 0.0), (1000.0, 3.0), (20_000.0, 0.0)];
    let cases: [(&str, Format); 7] = [
        (
            "freq\tspl\n20.0\t0.0\n1000.0\t3.0\n20000.0\t0.0\n",
            Format::DelimitedTable,
        ),
        (
            "frequency; raw\n20,0; 0,0\n1000,0; 3,0\n20000,0; 0,0\n",
            Format::DelimitedTable,
        ),
        (
            "Frequency\tdB\tUnweighted\n20.0\t0\n1000.0\t3.0\n20000.0\t0\n",
            Format::DelimitedTable,
        ),
        (
            "20.0\t0.0\n1000.0\t3.0\n20000.0\t0.0\n",
            Format::DelimitedTable,
        ),
        (
            "error,frequency,raw\n0,20,0\n-1,1000,3\n1,20000,0\n",
            Format::DelimitedTable,
        ),
        (
            "Frequency|Gain\n20|0\n1000|3\n20000|0\n",
            Format::DelimitedTable,
        ),
        (
            "\"Frequency (Hz)\";\"SPL (dB)\"\n20;0\n1000;3\n20000;0\n",
            Format::DelimitedTable,
        ),
    ];
    for (text, format) in cases {
        let imported =
            import_bytes("t.csv", text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(imported.format, format, "{text:?}");
        assert_eq!(mono_points(&imported), expect, "{text:?}");
    }
}

#[test]
fn rew_text_exports() {
    // Tab-separated with a REW header (non-ASCII date as REW writes in some locales).
    let mut tab = String::from(
        "* Measurement data measured by REW V5.20.7\n* Source: Mic in, L, volume: 1.000\n\
         * Dated: 2022. 5. 7 오후 3:25:45\n* Smoothing: 1/24 octave\n* Start Frequency: 20.300 Hz\n\
         *\n* Freq(Hz)\tSPL(dB)\tPhase(degrees)\n",
    );
    for (f, d) in synthetic_rows(1.0145) {
        tab.push_str(&format!("{f:.6}\t{:.3}\t{:.4}\n", 80.0 + d, -60.0 + d));
    }
    let imported = import_bytes("rew.txt", tab.as_bytes()).unwrap();
    assert_eq!(imported.format, Format::RewText);
    assert_eq!(curve(&imported).column, "SPL(dB)");
    let pts = mono_points(&imported);
    // Absolute SPL kept as is; the phase column is ignored.
    assert!((pts[0].1 - (80.0 + synthetic_rows(1.0145)[0].1)).abs() < 0.001);

    // Comma variant (AutoEq's tests) and a European semicolon/decimal-comma variant.
    let comma = "* Measurement data measured by REW V5.19\n* Freq(Hz), SPL(dB), Phase(degrees)\n\
                 20.000, 70.000, 64.208\n1000.000, 73.000, 63.426\n20000.000, 70.000, 62.377\n";
    let semicolon = "* Measurement data measured by REW V5.19\n* Freq(Hz);SPL(dB);Phase(degrees)\n\
                     20,000;70,000;64,208\n1000,000;73,000;63,426\n20000,000;70,000;62,377\n";
    for text in [comma, semicolon] {
        let imported = import_bytes("rew.txt", text.as_bytes()).unwrap();
        assert_eq!(imported.format, Format::RewText);
        assert_eq!(
            mono_points(&imported),
            vec![(20.0, 70.0), (1000.0, 73.0), (20_000.0, 70.0)]
        );
    }
}

#[test]
fn crinograph_txt_and_lr_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let rows = synthetic_rows(1.02);
    let mut left = String::from("* squig.link style\n");
    let mut right = String::new();
    for (f, d) in &rows {
        left.push_str(&format!("{f:.3} {:.3}\n", 90.0 + d));
        right.push_str(&format!("{f:.3}, {:.3}\n", 91.0 + d));
    }
    let l = write(dir.path(), "Model X L.txt", &left);
    let r = write(dir.path(), "Model X R.txt", &right);

    // Auto-pairing from either file.
    for path in [&l, &r] {
        let imported = import_file(path).unwrap();
        assert_eq!(imported.name, "Model X");
        assert_eq!(imported.format, Format::CrinGraphText);
        let ChannelCurves::Stereo { left, right } = &curve(&imported).channels else {
            panic!("expected stereo");
        };
        assert!((right.db[0] - left.db[0] - 1.0).abs() < 1e-9);
        assert!(imported.paired_with.is_some());
        assert_eq!(curve(&imported).channels.channel(Channel::Right), right);
    }
    // Explicit pair, and pairing switched off.
    let imported = import_pair(&l, &r).unwrap();
    assert!(curve(&imported).channels.is_stereo());
    let options = ImportOptions {
        pair_channels: false,
        ..ImportOptions::default()
    };
    assert!(
        !curve(&import_file_with(&l, &options).unwrap())
            .channels
            .is_stereo()
    );
    // A lone file stays mono.
    let lone = write(dir.path(), "Other L.txt", &left);
    assert!(!curve(&import_file(&lone).unwrap()).channels.is_stereo());
    // Pairing an EQ with a curve is refused with the file named.
    let eq_file = write(dir.path(), "Eq R.txt", "Preamp: -1 dB\n");
    let e = import_pair(&l, &eq_file).unwrap_err();
    assert!(e.to_string().starts_with("Eq R.txt: "), "{e}");
}

#[test]
fn encodings_and_line_endings() {
    let body = "frequency,raw\r\n20,1\r\n1000,2\r\n20000,3\r\n";
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(body.as_bytes());
    assert_eq!(
        mono_points(&import_bytes("bom.csv", &bom).unwrap()).len(),
        3
    );

    // Latin-1 comment line (not UTF-8) before REW data.
    let mut latin1 = b"* Kopfh\xF6rer gemessen mit REW\n* Freq(Hz)\tSPL(dB)\n".to_vec();
    latin1.extend_from_slice(b"20\t80\n1000\t82\n20000\t70\n");
    let imported = import_bytes("latin1.txt", &latin1).unwrap();
    assert_eq!(imported.format, Format::RewText);

    // Old Mac line endings and UTF-16 with BOM (Windows Notepad).
    assert_eq!(
        mono_points(&import_bytes("cr.txt", b"20 1\r1000 2\r20000 3").unwrap()).len(),
        3
    );
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("20\t1\n1000\t2\n".encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(
        mono_points(&import_bytes("u16.txt", &utf16).unwrap()).len(),
        2
    );
}

#[test]
fn equalizer_apo_configs() {
    let text = "Preamp: -6.8 dB\nFilter 1: ON LSC Fc 105 Hz Gain 5.2 dB Q 0.70\n\
                Filter 2: ON PK Fc 162 Hz Gain -2.3 dB Q 0.91\nFilter 3: ON HSC Fc 10000 Hz Gain -1.4 dB Q 0.70\n";
    let imported = import_bytes("HD 1 ParametricEQ.txt", text.as_bytes()).unwrap();
    assert_eq!(imported.format, Format::ParametricEq);
    assert_eq!(imported.name, "HD 1");
    let profile = eq(&imported);
    assert_eq!(profile.stages.len(), 4);
    assert_eq!(profile.preamp_db(Channel::Left), -6.8);
    assert!(!profile.is_stereo());

    let graphic =
        "Preamp: -6.1 dB\nGraphicEQ: 20 0.0; 22 6.0; 23 6.0; 1000 0; 18692 0.0; 20000 -1.0\n";
    let imported = import_bytes("x GraphicEQ.txt", graphic.as_bytes()).unwrap();
    assert_eq!(imported.format, Format::GraphicEq);
    let r = eq(&imported).response_db(&[10.0, 22.0, 20_000.0, 23_000.0], 48_000.0, Channel::Left);
    for (got, want) in r.iter().zip([-6.1, -0.1, -7.1, -7.1]) {
        assert!((got - want).abs() < 1e-12, "{r:?}");
    }

    // A general config: comments, Channel selection, unknown commands, OFF filters.
    let config = "# Room EQ\nDevice: Speakers\nChannel: L\nPreamp: -2 dB\nFilter 1: ON PK Fc 1.000 Hz Gain 6 dB Q 2\n\
                  Channel: R\nFilter 2: OFF PK Fc 500 Hz Gain 6 dB Q 2\nFilter 3: ON HS 6dB Fc 8000 Hz Gain -3 dB\n\
                  Channel: all\nConvolution: room.wav\n";
    let imported = import_bytes("config.txt", config.as_bytes()).unwrap();
    assert_eq!(imported.format, Format::EqualizerApoConfig);
    let profile = eq(&imported);
    assert!(profile.is_stereo());
    let l = profile.response_db(&[1000.0], 48_000.0, Channel::Left);
    let r = profile.response_db(&[1000.0], 48_000.0, Channel::Right);
    assert!((l[0] - 4.0).abs() < 1e-9, "{l:?}");
    assert!(r[0] < 0.0 && r[0] > -0.1, "{r:?}");
    let lines: Vec<Option<usize>> = imported.warnings.iter().map(|w| w.line).collect();
    assert_eq!(
        lines,
        vec![Some(2), Some(5), Some(10)],
        "{:?}",
        imported.warnings
    );
    assert!(matches!(profile.stages[1].stage, EqStage::Filter(_)));
}

fn error_of(name: &str, text: &[u8]) -> (String, Option<usize>) {
    let e = import_bytes(name, text).expect_err("expected an error");
    let shown = e.to_string();
    assert!(!shown.contains('\n'), "{shown}");
    assert!(shown.starts_with(name), "{shown}");
    (shown, e.line)
}

#[test]
fn broken_tables_name_file_and_line() {
    let (msg, line) = error_of("HD650.csv", b"frequency,raw\n20,1\n30,2\n40,abc\n");
    assert_eq!(
        msg,
        "HD650.csv:4: expected a number in column 2 (\"raw\"), found \"abc\""
    );
    assert_eq!(line, Some(4));

    let cases: [(&[u8], usize, &str); 7] = [
        (b"frequency,raw\n20,1\n30,NaN\n", 3, "found \"NaN\""),
        (b"frequency,raw\n20,1\n30,inf\n", 3, "found \"inf\""),
        (b"frequency,raw\n20,1\n30,1e999\n", 3, "found \"1e999\""),
        (b"frequency,raw\n20,1\n-30,1\n", 3, "above 0 Hz"),
        (b"frequency,raw\n20,1\n0,1\n", 3, "above 0 Hz"),
        (b"frequency,raw\n20,1\n30,350\n", 3, "within ±200 dB"),
        (b"20\t1\n30\n", 2, "found nothing"),
    ];
    for (text, want_line, fragment) in cases {
        let (msg, line) = error_of("bad.csv", text);
        assert_eq!(line, Some(want_line), "{msg}");
        assert!(msg.contains(fragment), "{msg}");
    }

    let (msg, line) = error_of("narrow.csv", b"frequency,raw\n5,1\n10,2\n1000,3\n");
    assert_eq!(line, None);
    assert!(
        msg.contains("at least two points between 20 Hz and 20 kHz, found 1"),
        "{msg}"
    );
}

#[test]
fn unsorted_and_duplicate_rows_are_fixed_with_warnings() {
    let imported =
        import_bytes("u.csv", b"frequency,raw\n1000,3\n20,1\n20000,2\n1000,9\n").unwrap();
    assert_eq!(
        mono_points(&imported),
        vec![(20.0, 1.0), (1000.0, 3.0), (20_000.0, 2.0)]
    );
    assert_eq!(imported.warnings.len(), 2, "{:?}", imported.warnings);
    let shown: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    assert!(shown[0].contains("sorted"), "{shown:?}");
    assert!(shown[1].starts_with("line 5: "), "{shown:?}");
}

#[test]
fn broken_eq_files_name_file_and_line() {
    let cases: [(&str, usize, &str); 6] = [
        (
            "Preamp: -3 dB\nFilter 1: ON PK Gain 2 dB Q 1\n",
            2,
            "expected a frequency",
        ),
        ("Filter 1: ON PK Fc 100 Hz Q 1\n", 1, "expected a gain"),
        ("Filter 1: ON PK Fc 100 Hz Gain 2 dB\n", 1, "\"Q <number>\""),
        (
            "Filter 1: ON PK Fc 100 Hz Gain 2 dB Q -1\n",
            1,
            "positive Q",
        ),
        ("Preamp: much\n", 1, "expected a gain like"),
        ("Preamp: 0 dB\n\n\nGraphicEQ: 0 1; 20 2\n", 4, "above 0 Hz"),
    ];
    for (text, want_line, fragment) in cases {
        let (msg, line) = error_of("eq ParametricEQ.txt", text.as_bytes());
        assert_eq!(line, Some(want_line), "{msg}");
        assert!(msg.contains(fragment), "{msg}");
    }
}

#[test]
fn empty_binary_unknown_and_too_large() {
    for text in [&b""[..], b"   \n\n\t\n", b"* only a REW header\n*\n"] {
        let e = import_bytes("empty.txt", text).unwrap_err();
        assert!(matches!(e.kind, ImportErrorKind::Empty), "{e}");
        assert_eq!(e.to_string(), "empty.txt: the file is empty");
    }
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let e = import_bytes("noise.bin", &garbage).unwrap_err();
    assert!(matches!(e.kind, ImportErrorKind::Binary), "{e}");
    let e = import_bytes("notes.txt", b"Dear diary,\nno numbers here.\n").unwrap_err();
    assert!(matches!(e.kind, ImportErrorKind::UnknownFormat), "{e}");

    // 11 MB sparse file: refused from its length, before reading.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(11_000_000).unwrap();
    let e = import_file(&path).unwrap_err();
    assert!(
        matches!(e.kind, ImportErrorKind::TooLarge { limit_mb: 10 }),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("huge.csv: the file is larger than 10 MB"),
        "{e}"
    );
    let e = import_bytes_with(
        "huge.csv",
        &vec![b'1'; 10_000_001],
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e.kind, ImportErrorKind::TooLarge { .. }), "{e}");

    let e = import_file(dir.path().join("missing.csv")).unwrap_err();
    assert!(matches!(e.kind, ImportErrorKind::Io(_)), "{e}");
    assert!(
        e.to_string()
            .starts_with("missing.csv: cannot read the file"),
        "{e}"
    );
    let e = import_file(dir.path()).unwrap_err();
    assert!(e.to_string().contains("folder"), "{e}");
}
