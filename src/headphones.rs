//! The built-in headphone library: measured responses of common headphones, embedded at
//! build time from `presets/headphones/*.json` (format `refcan-headphone-1`).
//!
//! Each file is a reduced table of one published measurement (`[freq_hz, db]` points,
//! 0 dB at 1 kHz, interpolated linearly in log frequency), with the rig it was measured on,
//! its source (repository, commit, path, author, licence note) and `fit_rms_db`, the RMS
//! difference between the table and the source data over 20 Hz–16 kHz. The files are written
//! by `tools/derive_headphones.py` from AutoEq's oratory1990 measurements; see
//! `presets/headphones/README.md`. Ids are a public contract: never rename one.
//!
//! A picked entry becomes a [`Headphone`] holding its table as data, exactly like an
//! imported measurement, so a saved plugin state does not depend on this library.

use crate::curve::points::Shown;
use crate::io::{self, ChannelCurves, Format};
use crate::rig::Rig;
use crate::source::{Headphone, HeadphoneData};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Format tag of headphone library files.
pub const HEADPHONE_FORMAT: &str = "refcan-headphone-1";
/// Largest `fit_rms_db` an entry may carry, dB.
pub const MAX_FIT_RMS_DB: f64 = 0.3;
/// Most table points an entry may have.
pub const MAX_POINTS: usize = 2_000;

/// The embedded files: (path in the repository, contents). The list is written by
/// `tools/derive_headphones.py`.
const BUILTIN: &[(&str, &str)] = include!("../presets/headphones/builtin.rs");

/// The built-in headphone file paths, for tests and tooling.
pub fn builtin_files() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(path, _)| *path)
}

/// How a headphone sits on or in the ear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// Circumaural.
    OverEar,
    /// Supra-aural.
    OnEar,
    /// Sealed in the ear canal (IEM).
    InEar,
    /// Unsealed, resting in the concha.
    Earbud,
}

impl Form {
    /// The name used in the files and listings.
    pub fn name(self) -> &'static str {
        match self {
            Self::OverEar => "over_ear",
            Self::OnEar => "on_ear",
            Self::InEar => "in_ear",
            Self::Earbud => "earbud",
        }
    }
}

/// Where an entry's data comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntrySource {
    /// The repository the measurement was taken from.
    pub repository: String,
    /// The commit of the file version used.
    pub commit: String,
    /// The file's path in the repository.
    pub path: String,
    /// Who measured it.
    pub author: String,
    /// Licence and attribution note.
    pub licence: String,
}

/// One headphone of the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadphoneEntry {
    /// Always [`HEADPHONE_FORMAT`].
    pub format: String,
    /// Stable id: lowercase letters, digits and `_`.
    pub id: String,
    /// Display name (brand and model).
    pub name: String,
    /// Brand.
    pub brand: String,
    /// How it is worn.
    pub form: Form,
    /// The measurement rig, or "unknown".
    pub rig: String,
    /// Where the data comes from.
    pub source: EntrySource,
    /// How the table is levelled (e.g. "0 dB at 1 kHz").
    pub normalisation: String,
    /// RMS difference between the table and the source data, 20 Hz–16 kHz, dB.
    pub fit_rms_db: f64,
    /// `[freq_hz, db]`, strictly increasing in frequency.
    pub points: Vec<[f64; 2]>,
}

/// Why a headphone file was rejected. `file` names the file (`builtin:<path>` for embedded
/// ones).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum HeadphoneLibraryError {
    /// Not valid JSON of the format (serde's message names the field and position).
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A field has a value outside what the format allows.
    #[error("{file}: field `{field}`: {message}")]
    Field {
        /// The file.
        file: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// True for a valid id: non-empty, lowercase ASCII letters, digits and `_`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl HeadphoneEntry {
    /// Parses and checks one file's contents.
    pub fn parse(file: &str, json: &str) -> Result<Self, HeadphoneLibraryError> {
        let entry: Self = serde_json::from_str(json).map_err(|e| HeadphoneLibraryError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        entry.check(file)?;
        Ok(entry)
    }

    fn check(&self, file: &str) -> Result<(), HeadphoneLibraryError> {
        let bad = |field: &'static str, message: String| HeadphoneLibraryError::Field {
            file: file.to_string(),
            field,
            message,
        };
        if self.format != HEADPHONE_FORMAT {
            return Err(bad(
                "format",
                format!("{:?}, expected {HEADPHONE_FORMAT:?}", self.format),
            ));
        }
        if !is_valid_id(&self.id) {
            return Err(bad(
                "id",
                format!("{:?}: use lowercase letters, digits and _", self.id),
            ));
        }
        for (field, value) in [
            ("name", &self.name),
            ("brand", &self.brand),
            ("rig", &self.rig),
        ] {
            if value.trim().is_empty() {
                return Err(bad(field, "empty".into()));
            }
        }
        if !(self.fit_rms_db.is_finite() && (0.0..=MAX_FIT_RMS_DB).contains(&self.fit_rms_db)) {
            return Err(bad(
                "fit_rms_db",
                format!(
                    "{} is not within 0…{MAX_FIT_RMS_DB} dB",
                    Shown(self.fit_rms_db)
                ),
            ));
        }
        if self.points.len() < 2 || self.points.len() > MAX_POINTS {
            return Err(bad(
                "points",
                format!("{} points, expected 2…{MAX_POINTS}", self.points.len()),
            ));
        }
        let mut previous = 0.0;
        for (i, [f, db]) in self.points.iter().copied().enumerate() {
            if !(f.is_finite() && db.is_finite()) {
                return Err(bad("points", format!("point {i}: not a finite number")));
            }
            if f <= previous {
                return Err(bad(
                    "points",
                    format!(
                        "point {i}: {} Hz is not above the previous frequency",
                        Shown(f)
                    ),
                ));
            }
            previous = f;
        }
        // What installing the entry will do with the table: an entry that loads must be an
        // entry that installs (levels within ±200 dB, two points within 20 Hz–20 kHz).
        if let Err(e) = crate::curve::Response::from_pairs(&self.points) {
            return Err(bad("points", e.to_string()));
        }
        Ok(())
    }

    /// The table's level at `freq_hz`, dB: linear in log frequency, ends held; NaN for a NaN
    /// frequency.
    pub fn level_at(&self, freq_hz: f64) -> f64 {
        let p = &self.points;
        let (Some(first), Some(last)) = (p.first(), p.last()) else {
            return f64::NAN;
        };
        if freq_hz.is_nan() {
            return f64::NAN;
        }
        if freq_hz <= first[0] {
            return first[1];
        }
        if freq_hz >= last[0] {
            return last[1];
        }
        let hi = p.partition_point(|q| q[0] <= freq_hz);
        let ([f0, y0], [f1, y1]) = (p[hi - 1], p[hi]);
        let t = (freq_hz / f0).ln() / (f1 / f0).ln();
        y0 + t * (y1 - y0)
    }

    /// The entry as a headphone profile: its table stored as measurement data, as an
    /// imported file would be, so a state holding it needs no library to reopen.
    pub fn to_headphone(&self) -> Headphone {
        let (freq_hz, db) = self.points.iter().map(|[f, v]| (*f, *v)).unzip();
        Headphone {
            name: self.name.clone(),
            source_file: format!("builtin:{}", self.id),
            format: Format::DelimitedTable,
            data: HeadphoneData::Measurement(ChannelCurves::Mono(io::Curve { freq_hz, db })),
            rig: Some(self.rig_kind()),
        }
    }

    /// The rig as an id for target matching. Every entry is oratory1990's GRAS data: in-ears
    /// on the 711 coupler without a pinna (judged by Harman in-ear), everything that rests
    /// on or around the ear, earbuds included, with the pinna (judged by Harman over-ear, as
    /// in `tools/derive_simulations.py`).
    pub fn rig_kind(&self) -> Rig {
        match self.form {
            Form::InEar => Rig::Coupler711,
            Form::OverEar | Form::OnEar | Form::Earbud => Rig::EarSimulator,
        }
    }

    /// A one-line description of the source, for listings.
    pub fn source_line(&self) -> String {
        let commit: String = self.source.commit.chars().take(8).collect();
        format!(
            "{} ({}:{}@{commit})",
            self.source.author,
            short_repo(&self.source.repository),
            self.source.path
        )
    }
}

fn short_repo(url: &str) -> &str {
    url.trim_end_matches('/')
        .strip_prefix("https://github.com/")
        .unwrap_or(url)
}

/// The built-in headphones, sorted by name.
#[derive(Debug, Clone, Default)]
pub struct HeadphoneLibrary {
    entries: Vec<HeadphoneEntry>,
    messages: Vec<HeadphoneLibraryError>,
}

impl HeadphoneLibrary {
    /// The embedded library. A file that does not parse (a build mistake the tests catch)
    /// is left out and reported in [`Self::messages`].
    pub fn builtin() -> Self {
        let mut lib = Self::default();
        for (path, json) in BUILTIN {
            let file = format!("builtin:{path}");
            match HeadphoneEntry::parse(&file, json) {
                Ok(e) if lib.find(&e.id).is_some() => {
                    lib.messages.push(HeadphoneLibraryError::Field {
                        file,
                        field: "id",
                        message: format!("{:?} is used by another file", e.id),
                    })
                }
                Ok(e) => lib.entries.push(e),
                Err(e) => lib.messages.push(e),
            }
        }
        lib.entries.sort_by_key(|e| e.name.to_lowercase());
        lib
    }

    /// All entries, sorted by name.
    pub fn entries(&self) -> &[HeadphoneEntry] {
        &self.entries
    }

    /// Files that were left out, and why.
    pub fn messages(&self) -> &[HeadphoneLibraryError] {
        &self.messages
    }

    /// The entry with this id.
    pub fn find(&self, id: &str) -> Option<&HeadphoneEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Entries whose name, brand or id contains `text` (case-insensitive; all for an empty
    /// text).
    pub fn search(&self, text: &str) -> Vec<&HeadphoneEntry> {
        let needle = text.trim().to_lowercase();
        self.entries
            .iter()
            .filter(|e| {
                needle.is_empty()
                    || [&e.name, &e.brand, &e.id]
                        .iter()
                        .any(|s| s.to_lowercase().contains(&needle))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"format":"refcan-headphone-1","id":"x_1","name":"Acme X1",
        "brand":"Acme","form":"over_ear","rig":"unknown","source":{"repository":"r",
        "commit":"c","path":"p","author":"a","licence":"l"},"normalisation":"0 dB at 1 kHz",
        "fit_rms_db":0.05,"points":[[20,-3],[1000,0],[20000,-10]]}"#;

    #[test]
    fn a_good_file_parses_and_interpolates_in_log_frequency() {
        let e = HeadphoneEntry::parse("t.json", GOOD).unwrap();
        assert_eq!(e.form, Form::OverEar);
        assert!((e.level_at(1000.0)).abs() < 1e-12);
        let mid = (20.0f64 * 1000.0).sqrt();
        assert!((e.level_at(mid) + 1.5).abs() < 1e-9);
        assert_eq!(e.level_at(10.0), -3.0);
        assert_eq!(e.level_at(30_000.0), -10.0);
        let hp = e.to_headphone();
        assert_eq!(hp.name, "Acme X1");
        assert!(hp.measurement_curve().is_ok());
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let cases = [
            (GOOD.replace("\"x_1\"", "\"X-1\""), "field `id`"),
            (GOOD.replace("0.05", "0.5"), "field `fit_rms_db`"),
            (GOOD.replace("[1000,0]", "[10,0]"), "field `points`"),
            (
                GOOD.replace("refcan-headphone-1", "refcan-headphone-9"),
                "field `format`",
            ),
            (
                GOOD.replace("\"over_ear\"", "\"helmet\""),
                "unknown variant `helmet`",
            ),
            (
                GOOD.replace("\"rig\":\"unknown\",", ""),
                "missing field `rig`",
            ),
        ];
        for (json, expected) in cases {
            let err = HeadphoneEntry::parse("bad.json", &json)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("bad.json: "), "{err}");
            assert!(err.contains(expected), "{err} lacks {expected}");
        }
    }
}
