//! The headphone library reader (`HeadphoneEntry::parse`, format `refcan-headphone-1`), and the
//! correction a valid entry gives once installed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refcan::curve::{CorrectionSettings, Response};
use refcan::headphones::HeadphoneEntry;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    match HeadphoneEntry::parse("fuzz.json", json) {
        Ok(entry) => {
            for f in [0.0, 20.0, 1000.0, 1e9, f64::NAN] {
                let _ = entry.level_at(f);
            }
            let _ = entry.source_line();
            let headphone = entry.to_headphone();
            assert!(
                headphone
                    .correction(&Response::flat(), &CorrectionSettings::default())
                    .is_ok()
            );
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.json: "), "{e}"),
    }
});
