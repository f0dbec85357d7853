//! The user preset folder: good files load, bad files are skipped with a message.

use refcan::presets::{PresetError, PresetLibrary, user_preset_dir};
use std::path::PathBuf;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("refcan-{tag}-{}-{nanos}", std::process::id()));
        for sub in ["targets", "simulations"] {
            std::fs::create_dir_all(dir.join(sub)).expect("temp dir");
        }
        Self(dir)
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        std::fs::write(self.0.join(rel), bytes).expect("write fixture");
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GOOD_TARGET: &str = r#"{"format":"refcan-target-1","id":"my_room","name":"My room",
  "points":[[20,3],[200,1],[1000,0],[3000,9],[20000,-10]]}"#;
const GOOD_SIM: &str = r#"{"format":"refcan-simulation-1","id":"my_car","name":"My car",
  "relative_to":"my_room","filters":[{"kind":"low_shelf","freq_hz":60,"q":0.7,"gain_db":9}]}"#;

#[test]
fn user_files_load_and_bad_ones_are_skipped_with_messages() {
    let dir = TempDir::new("presets");
    dir.write("targets/a_good.json", GOOD_TARGET.as_bytes());
    dir.write("simulations/a_good.json", GOOD_SIM.as_bytes());
    dir.write(
        "targets/b_truncated.json",
        b"{\"format\":\"refcan-target-1\",",
    );
    dir.write("targets/c_binary.json", &[0xff, 0xfe, 0x00, 0x9f]);
    dir.write(
        "targets/d_nan.json",
        br#"{"format":"refcan-target-1","id":"x","name":"x","points":[[20,NaN],[30,0]]}"#,
    );
    dir.write(
        "targets/e_builtin_clash.json",
        GOOD_TARGET.replace("my_room", "harman_oe_2018").as_bytes(),
    );
    dir.write(
        "simulations/f_unknown_ref.json",
        GOOD_SIM
            .replace("\"my_room\"", "\"nowhere\"")
            .replace("my_car", "other")
            .as_bytes(),
    );
    dir.write("simulations/g_bad_order.json", br#"{"format":"refcan-simulation-1","id":"g","name":"g","relative_to":"my_room","band_limit":{"highpass":{"freq_hz":100,"order":3}}}"#);
    dir.write("targets/readme.txt", b"not a preset");
    dir.write("targets/h_huge.json", &vec![b' '; 2 << 20]);

    let mut lib = PresetLibrary::builtin();
    let builtin_targets = lib.targets.len();
    lib.add_user_dir(&dir.0);

    assert_eq!(lib.targets.len(), builtin_targets + 1);
    assert!(lib.target("my_room").is_some_and(|t| t.curve().is_ok()));
    assert!(
        lib.simulation("my_car")
            .is_some_and(|s| s.delta().gain_at(20.0) > 8.0)
    );
    for m in &lib.messages {
        eprintln!("{m}");
    }
    let msgs: Vec<String> = lib.messages.iter().map(ToString::to_string).collect();
    assert_eq!(lib.messages.len(), 7, "{msgs:#?}");
    assert!(lib.messages.iter().any(
        |m| matches!(m, PresetError::Json { file, .. } if file.ends_with("b_truncated.json"))
    ));
    assert!(
        lib.messages
            .iter()
            .any(|m| matches!(m, PresetError::Io { file, .. } if file.ends_with("c_binary.json")))
    );
    assert!(
        lib.messages
            .iter()
            .any(|m| matches!(m, PresetError::Json { file, .. } if file.ends_with("d_nan.json")))
    );
    assert!(
        lib.messages
            .iter()
            .any(|m| matches!(m, PresetError::DuplicateId { id, .. } if id == "harman_oe_2018"))
    );
    assert!(
        lib.messages
            .iter()
            .any(|m| matches!(m, PresetError::Invalid { field, .. } if field == "relative_to"))
    );
    assert!(lib.messages.iter().any(
        |m| matches!(m, PresetError::Invalid { file, .. } if file.ends_with("g_bad_order.json"))
    ));
    assert!(
        lib.messages
            .iter()
            .any(|m| matches!(m, PresetError::TooLarge { .. }))
    );
    // The built-in stays the one in use.
    assert!(
        lib.target("harman_oe_2018")
            .is_some_and(|t| t.source.commit.is_some())
    );
}

#[test]
fn a_missing_user_folder_is_not_an_error() {
    let mut lib = PresetLibrary::builtin();
    lib.add_user_dir(&std::env::temp_dir().join("refcan-does-not-exist-7f3a"));
    assert!(lib.messages.is_empty());
    // The per-OS folder is named after the product.
    if let Some(dir) = user_preset_dir() {
        assert!(dir.ends_with("refcan/presets"));
    }
}
