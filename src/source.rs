//! Imported curves as data: the user's headphone, between the importers and the curve core.
//!
//! A [`Headphone`] is what a user brings: a measurement (mono or L/R curves) or an EQ
//! that already is the correction (ParametricEQ.txt / GraphicEQ.txt). It is plain,
//! serialisable data so the plugin can persist it in its state and a project reopens on a
//! machine that never saw the file; the curve core turns it into a correction.

use crate::curve::{
    self, Channel, ChannelResponses, CorrectionSettings, PointError, Response, correct_channels,
    imported_correction,
};
use crate::io::{self, ChannelCurves, Content, EqConfig, Format, ImportError, Imported};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the user imported for their headphone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadphoneData {
    /// A frequency-response measurement, dB (any level; centred when used).
    Measurement(ChannelCurves),
    /// An EQ that already is the correction.
    Eq(EqConfig),
}

/// An imported headphone profile with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headphone {
    /// Display name (file stem without AutoEq's suffixes).
    pub name: String,
    /// The file name it was imported from, for display.
    pub source_file: String,
    /// The detected format.
    pub format: Format,
    /// The curves or the EQ.
    pub data: HeadphoneData,
    /// The rig it was measured on, when known (library entries; set by the user for an
    /// import): the target is then matched to it ([`crate::rig`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rig: Option<crate::rig::Rig>,
}

/// Why a file could not become a headphone profile, target or simulation curve.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be imported (names file and line).
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The imported data is not a usable curve.
    #[error("{file}: {source}")]
    Curve {
        /// The file.
        file: String,
        /// What is wrong.
        source: PointError,
    },
    /// The file holds an EQ where a measurement or target curve is needed.
    #[error("{file}: this is an EQ ({format}), but a measurement or target curve is needed here")]
    NotACurve {
        /// The file.
        file: String,
        /// The detected format.
        format: &'static str,
    },
}

impl Headphone {
    /// Imports a headphone file (measurement or EQ, format detected from the content).
    pub fn import(path: &Path, options: &io::ImportOptions) -> Result<Self, SourceError> {
        let imported = io::import_file_with(path, options)?;
        Ok(Self::from_imported(imported, &display_name(path)))
    }

    /// Wraps an import result.
    pub fn from_imported(imported: Imported, source_file: &str) -> Self {
        let data = match imported.content {
            Content::Curve(c) => HeadphoneData::Measurement(c.channels),
            Content::Eq(eq) => HeadphoneData::Eq(eq),
        };
        Self {
            name: imported.name,
            source_file: source_file.to_string(),
            format: imported.format,
            data,
            rig: None,
        }
    }

    /// A headphone measured as `curve` (one curve for both ears), described as a table of
    /// frequency and level: synthetic measurements in tests and benchmarks, and tables held
    /// as data.
    pub fn from_response(name: &str, curve: &Response) -> Self {
        let (freq_hz, db) = curve.to_points();
        Self {
            name: name.to_string(),
            source_file: name.to_string(),
            format: Format::DelimitedTable,
            data: HeadphoneData::Measurement(ChannelCurves::Mono(io::Curve { freq_hz, db })),
            rig: None,
        }
    }

    /// The measurement as one curve (left and right averaged in dB), centred at 1 kHz: what a
    /// "listen through another headphone" slot needs. An EQ import has no measurement.
    pub fn measurement_curve(&self) -> Result<Response, SourceError> {
        match self.measurement() {
            Some(m) => Ok(m?.average()),
            None => Err(SourceError::NotACurve {
                file: self.source_file.clone(),
                format: self.format.name(),
            }),
        }
    }

    /// True when left and right differ.
    pub fn is_stereo(&self) -> bool {
        match &self.data {
            HeadphoneData::Measurement(c) => c.is_stereo(),
            HeadphoneData::Eq(eq) => eq.is_stereo(),
        }
    }

    /// The measurement as grid curves (0 dB at 1 kHz; a stereo pair shares one offset), or
    /// `None` for an EQ import.
    pub fn measurement(&self) -> Option<Result<ChannelResponses, SourceError>> {
        match &self.data {
            HeadphoneData::Measurement(c) => Some(curves_to_responses(c, &self.source_file)),
            HeadphoneData::Eq(_) => None,
        }
    }

    /// The correction curve per channel: `T − H` through the correction pipeline for a
    /// measurement, or the imported EQ's own response (preamp removed, centred at 1 kHz,
    /// scaled by the amount) for an EQ.
    pub fn correction(
        &self,
        target: &Response,
        settings: &CorrectionSettings,
    ) -> Result<ChannelResponses, SourceError> {
        match &self.data {
            HeadphoneData::Measurement(c) => {
                let measurement = curves_to_responses(c, &self.source_file)?;
                Ok(correct_channels(target, &measurement, settings))
            }
            HeadphoneData::Eq(eq) => {
                let channel_curve = |channel: Channel| -> Result<Response, SourceError> {
                    let grid = curve::grid_hz();
                    let preamp = eq.preamp_db(channel);
                    let values: Vec<f64> = eq
                        .response_db(grid, curve::REFERENCE_SAMPLE_RATE_HZ, channel)
                        .into_iter()
                        .map(|v| v - preamp)
                        .collect();
                    let response = Response::from_points(grid, &values).map_err(|source| {
                        SourceError::Curve {
                            file: self.source_file.clone(),
                            source,
                        }
                    })?;
                    Ok(imported_correction(&response.centered(), settings))
                };
                if eq.is_stereo() {
                    Ok(ChannelResponses::stereo(
                        channel_curve(Channel::Left)?,
                        channel_curve(Channel::Right)?,
                    ))
                } else {
                    Ok(ChannelResponses::mono(channel_curve(Channel::Left)?))
                }
            }
        }
    }
}

/// Imports a file that must hold a curve (a target, or another headphone's measurement) and
/// returns it as a grid curve (L/R averaged in dB), centred at 1 kHz.
pub fn import_curve(path: &Path, options: &io::ImportOptions) -> Result<Response, SourceError> {
    let file = display_name(path);
    let imported = io::import_file_with(path, options)?;
    match imported.content {
        Content::Curve(c) => Ok(curves_to_responses(&c.channels, &file)?.average()),
        Content::Eq(_) => Err(SourceError::NotACurve {
            file,
            format: imported.format.name(),
        }),
    }
}

/// Imported curves as a grid profile at 0 dB at 1 kHz; a stereo pair shares one offset (the
/// mean of its two 1 kHz levels), so a measured left/right level difference survives.
fn curves_to_responses(
    curves: &ChannelCurves,
    file: &str,
) -> Result<ChannelResponses, SourceError> {
    let to_response = |c: &io::Curve| {
        Response::from_points(&c.freq_hz, &c.db).map_err(|source| SourceError::Curve {
            file: file.to_string(),
            source,
        })
    };
    Ok(match curves {
        ChannelCurves::Mono(c) => ChannelResponses::mono(to_response(c)?.centered()),
        ChannelCurves::Stereo { left, right } => {
            let (l, r) = (to_response(left)?, to_response(right)?);
            let offset = 0.5 * (l.gain_at(curve::CENTER_HZ) + r.gain_at(curve::CENTER_HZ));
            ChannelResponses::stereo(l.offset(-offset), r.offset(-offset))
        }
    })
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FilterSpec;

    #[test]
    fn measurement_correction_brings_headphone_to_target() {
        // A smooth synthetic headphone: target + a bass dip and a treble bump.
        let target = Response::from_fn(|f| 3.0 * (-(f / 3000.0).log2().powi(2)).exp());
        let deviation = [
            FilterSpec::low_shelf(100.0, 0.7, -4.0),
            FilterSpec::peaking(2000.0, 0.7, 3.0),
        ];
        let h = target.plus(&Response::from_filters(&deviation, 44_100.0));
        let (f, db) = h.to_points();
        let text: String = f
            .iter()
            .zip(&db)
            .map(|(f, d)| format!("{f},{d}\n"))
            .collect();
        let imported = io::import_bytes("hp.csv", format!("frequency,raw\n{text}").as_bytes())
            .expect("imports");
        let profile = Headphone::from_imported(imported, "hp.csv");
        let c = profile
            .correction(&target, &CorrectionSettings::default())
            .expect("corrects");
        let corrected = h.plus(c.channel(Channel::Left)).centered();
        let t = target.clone().centered();
        for (&freq, (a, b)) in curve::grid_hz()
            .iter()
            .zip(corrected.values_db().iter().zip(t.values_db()))
        {
            if (20.0..=10_000.0).contains(&freq) {
                assert!((a - b).abs() < 0.1, "{freq} Hz: {a} vs {b}");
            }
        }
    }

    #[test]
    fn eq_import_is_its_own_correction_without_preamp() {
        let text = "Preamp: -6.5 dB\nFilter 1: ON PK Fc 3000 Hz Gain 4.0 dB Q 1.0\n";
        let imported = io::import_bytes("x ParametricEQ.txt", text.as_bytes()).expect("imports");
        let profile = Headphone::from_imported(imported, "x ParametricEQ.txt");
        let c = profile
            .correction(&Response::flat(), &CorrectionSettings::default())
            .expect("correction");
        let got = c.channel(Channel::Left).gain_at(3000.0);
        let at_1k = FilterSpec::peaking(3000.0, 1.0, 4.0).magnitude_db(1000.0, 44_100.0);
        assert!((got - (4.0 - at_1k)).abs() < 0.01, "{got}");
    }

    #[test]
    fn an_eq_is_refused_where_a_curve_is_needed() {
        let dir = std::env::temp_dir().join(format!("refcan-hp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("eq.txt");
        std::fs::write(&path, "Filter 1: ON PK Fc 100 Hz Gain 1 dB Q 1\n").expect("write");
        let err = import_curve(&path, &io::ImportOptions::default()).unwrap_err();
        assert!(err.to_string().contains("eq.txt"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
