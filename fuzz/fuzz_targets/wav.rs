//! The WAV reader (`refcan::io::wav::read_from`, what `refcan render` reads).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match refcan::io::wav::read_from("fuzz.wav", data) {
        Ok(audio) => {
            assert!(!audio.channels.is_empty() && audio.channels.len() <= 2);
            let n = audio.channels[0].len();
            assert!(audio.channels.iter().all(|c| c.len() == n));
        }
        Err(e) => assert!(e.starts_with("fuzz.wav: "), "{e}"),
    }
});
