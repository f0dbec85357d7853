//! Every text importer (`refcan::io::import_bytes_with`: AutoEq CSV, REW text, squig.link /
//! CrinGraph text, delimited tables, Equalizer APO ParametricEQ / GraphicEQ / configs), then
//! what the editor does with a successful import: a headphone whose correction is designed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refcan::curve::{CorrectionSettings, Response};
use refcan::io::{Channel, Content, ImportOptions, import_bytes_with};
use refcan::source::Headphone;

const COLUMNS: [&str; 4] = ["raw", "target", "equalization", "SPL"];

fuzz_target!(|data: &[u8]| {
    // The first byte picks the column option, so the fuzzer explores `--column` too.
    let (column, bytes) = match data.split_first() {
        Some((&b, rest)) if b < 4 => (Some(COLUMNS[usize::from(b)].to_string()), rest),
        _ => (None, data),
    };
    let options = ImportOptions {
        column,
        pair_channels: false,
    };
    match import_bytes_with("fuzz.txt", bytes, &options) {
        Ok(imported) => {
            if let Content::Eq(eq) = &imported.content {
                for ch in [Channel::Left, Channel::Right] {
                    let _ = eq.response_db(&[20.0, 1000.0, 20_000.0], 48_000.0, ch);
                    let _ = eq.to_parametric(48_000.0, ch);
                }
            }
            let headphone = Headphone::from_imported(imported, "fuzz.txt");
            let _ = headphone.correction(&Response::flat(), &CorrectionSettings::default());
            let _ = headphone.measurement_curve();
        }
        Err(e) => {
            let text = e.to_string();
            assert!(text.starts_with("fuzz.txt"), "{text}");
            assert!(!text.contains('\n'), "{text}");
        }
    }
});
