//! Exporters: the same correction as files for system-wide EQs outside the DAW.
//!
//! - [`parametric_eq_txt`]: Equalizer APO / AutoEq `ParametricEQ.txt` (also read by PipeWire's
//!   parametric-equalizer module and squig.link).
//! - [`graphic_eq_txt`]: Equalizer APO `GraphicEQ.txt` on AutoEq's node set.
//! - [`camilladsp_yaml`]: CamillaDSP `filters:` + `pipeline:` (v2 or v3+ syntax).
//!
//! All exporters return the file text; writing it is the caller's business. Each writes
//! enough digits that importing the file again reproduces the response within 0.05 dB over
//! 20 Hz–20 kHz (see `tests/io_export.rs`).

mod camilladsp;
mod graphic;
mod parametric;

pub use camilladsp::{CamillaOptions, CamillaSyntax, camilladsp_yaml, camilladsp_yaml_stereo};
pub use graphic::{GRAPHIC_EQ_STEP, GraphicEqOptions, graphic_eq_frequencies, graphic_eq_txt};
pub use parametric::{parametric_eq_txt, parametric_eq_txt_stereo, rounded_like_autoeq};

use crate::filter::FilterSpec;

/// Why an export was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    /// A filter has a non-finite or non-positive frequency or Q, or a non-finite gain.
    #[error("filter {index} is invalid ({reason}); nothing was written")]
    InvalidFilter {
        /// 1-based filter number.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The preamp is not finite.
    #[error("the preamp is not a finite number; nothing was written")]
    InvalidPreamp,
    /// The curve to write is empty, of unequal lengths, unsorted or not finite.
    #[error("the curve cannot be written: {0}")]
    InvalidCurve(String),
}

/// The smallest Fc (Hz) or Q the exporters write: smaller ones would be written as 0.
const MIN_WRITTEN: f64 = 0.000_05;

fn validate(preamp_db: f64, filters: &[FilterSpec]) -> Result<(), ExportError> {
    if !preamp_db.is_finite() {
        return Err(ExportError::InvalidPreamp);
    }
    for (i, f) in filters.iter().enumerate() {
        // Fc and Q are written with 4 decimals: a value below 0.00005 would be written as 0,
        // which reads back as another filter (a shelf's `Q 0` is its default slope).
        let reason = if !(f.freq_hz.is_finite() && f.freq_hz >= MIN_WRITTEN) {
            Some(format!("frequency {} Hz", f.freq_hz))
        } else if !(f.q.is_finite() && f.q >= MIN_WRITTEN) {
            Some(format!("Q {}", f.q))
        } else if !f.gain_db.is_finite() {
            Some(format!("gain {} dB", f.gain_db))
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(ExportError::InvalidFilter {
                index: i + 1,
                reason,
            });
        }
    }
    Ok(())
}

/// `value` with at most `decimals` decimals, trailing zeros removed, never `-0`.
fn format_trimmed(value: f64, decimals: usize) -> String {
    let mut s = format!("{value:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_numbers() {
        assert_eq!(format_trimmed(105.0, 2), "105");
        assert_eq!(format_trimmed(-2.30, 3), "-2.3");
        assert_eq!(format_trimmed(-0.0001, 2), "0");
        assert_eq!(format_trimmed(0.12345, 4), "0.1235");
    }

    #[test]
    fn validation_names_the_filter() {
        let bad = [
            FilterSpec::peaking(100.0, 1.0, 1.0),
            FilterSpec::peaking(100.0, 0.0, 1.0),
        ];
        assert_eq!(
            validate(0.0, &bad),
            Err(ExportError::InvalidFilter {
                index: 2,
                reason: "Q 0".into()
            })
        );
        assert_eq!(validate(f64::NAN, &[]), Err(ExportError::InvalidPreamp));
    }
}
