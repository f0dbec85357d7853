//! Left/right measurement pairs: `refcan::io::import_pair` (the CLI's `--left/--right` and the
//! editor's pair import) and the automatic pairing of `import_file_with` with `pair_channels`
//! (a file `… L.csv` finds its `… R.csv` in the same folder). The first two bytes say where
//! the input is split into the left and the right file; both are written to a folder of this
//! process and imported from there, then used the way the editor does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refcan::curve::{CorrectionSettings, Response};
use refcan::io::{ImportOptions, import_file_with, import_pair};
use refcan::source::Headphone;
use std::path::PathBuf;
use std::sync::OnceLock;

const LEFT: &str = "fuzz pair L.csv";
const RIGHT: &str = "fuzz pair R.csv";

fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("refcan-fuzz-pair-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder for the pair");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let (split, rest) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => (0, data),
    };
    let (left_bytes, right_bytes) = rest.split_at(split.min(rest.len()));
    let (left, right) = (folder().join(LEFT), folder().join(RIGHT));
    std::fs::write(&left, left_bytes).expect("write the left file");
    std::fs::write(&right, right_bytes).expect("write the right file");
    let paired = ImportOptions {
        pair_channels: true,
        ..ImportOptions::default()
    };
    for (how, result) in [
        ("import_pair", import_pair(&left, &right)),
        ("automatic pairing", import_file_with(&left, &paired)),
    ] {
        match result {
            Ok(imported) => {
                let headphone = Headphone::from_imported(imported, LEFT);
                let _ = headphone.correction(&Response::flat(), &CorrectionSettings::default());
                let _ = headphone.measurement_curve();
            }
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.starts_with(LEFT) || text.starts_with(RIGHT),
                    "{how}: the message does not start with a file name: {text}"
                );
                assert!(!text.contains('\n'), "{how}: {text}");
            }
        }
    }
});
