//! Equalizer APO `GraphicEQ.txt` on AutoEq's node set (`eqapo_graphic_eq()`,
//! DSP_REFERENCE.md §2.4/§3.3): frequencies `int(20 · 1.0563^k)` for k = 0…126 (unique,
//! 20 … 19871 Hz), the curve read at each node by linear interpolation in log f (end values
//! held), written `GraphicEQ: 20 -0.2; 21 -0.2; …`.
//!
//! What is written is configurable ([`GraphicEqOptions`]). The default keeps the curve's own
//! level (the caller decides the headroom, optionally as a `Preamp:` line), adds a 20 kHz node
//! so EAPO does not hold the 19871 Hz value to Nyquist, and writes 2 decimals so re-import
//! matches the curve at the nodes within 0.005 dB. [`GraphicEqOptions::autoeq`] reproduces
//! AutoEq's output: maximum normalised to −0.2 dB (`PREAMP_HEADROOM`), a first node above 0 dB
//! clipped to 0 ("Prevent bass boost below lowest frequency"), 1 decimal, no 20 kHz node.

use super::{ExportError, format_trimmed};
use crate::io::curve_data::interpolate_log;
use std::fmt::Write;

/// AutoEq's `DEFAULT_GRAPHIC_EQ_STEP` (`constants.py`): the ratio between node frequencies.
pub const GRAPHIC_EQ_STEP: f64 = 1.0563;

/// How [`graphic_eq_txt`] writes the curve.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphicEqOptions {
    /// Shift the curve so its maximum over the nodes equals this (AutoEq: −0.2 dB).
    pub normalize_max_db: Option<f64>,
    /// Clip a positive first node to 0 dB (AutoEq does, since EAPO holds it down to 0 Hz).
    pub clip_first_node_boost: bool,
    /// Decimals of the gains (AutoEq: 1).
    pub decimals: usize,
    /// Add a node at 20000 Hz after AutoEq's last (19871 Hz).
    pub include_20k: bool,
    /// Write a `Preamp: <dB> dB` line before the `GraphicEQ:` line.
    pub preamp_db: Option<f64>,
}

impl Default for GraphicEqOptions {
    fn default() -> Self {
        Self {
            normalize_max_db: None,
            clip_first_node_boost: false,
            decimals: 2,
            include_20k: true,
            preamp_db: None,
        }
    }
}

impl GraphicEqOptions {
    /// AutoEq's own `GraphicEQ.txt` output.
    pub fn autoeq() -> Self {
        Self {
            normalize_max_db: Some(-0.2),
            clip_first_node_boost: true,
            decimals: 1,
            include_20k: false,
            preamp_db: None,
        }
    }
}

/// AutoEq's GraphicEQ node frequencies in Hz (127 values, 20 … 19871), plus 20000 if asked.
pub fn graphic_eq_frequencies(include_20k: bool) -> Vec<f64> {
    // n = ceil(ln(20000/20) / ln(step)) = 127.
    let n = ((20_000.0f64 / 20.0).ln() / GRAPHIC_EQ_STEP.ln()).ceil() as i32;
    let mut out: Vec<f64> = Vec::with_capacity(n as usize + 1);
    for k in 0..n {
        let f = (20.0 * GRAPHIC_EQ_STEP.powi(k)).floor();
        if out.last() != Some(&f) {
            out.push(f);
        }
    }
    if include_20k && out.last().is_some_and(|&f| f < 20_000.0) {
        out.push(20_000.0);
    }
    out
}

/// `GraphicEQ.txt` text for the curve (`freq_hz` strictly increasing, > 0, finite `db`).
pub fn graphic_eq_txt(
    freq_hz: &[f64],
    db: &[f64],
    options: &GraphicEqOptions,
) -> Result<String, ExportError> {
    if freq_hz.is_empty() || freq_hz.len() != db.len() {
        return Err(ExportError::InvalidCurve(format!(
            "expected equal, non-zero numbers of frequencies and levels, got {} and {}",
            freq_hz.len(),
            db.len()
        )));
    }
    if freq_hz.iter().chain(db).any(|v| !v.is_finite()) || freq_hz.iter().any(|&f| f <= 0.0) {
        return Err(ExportError::InvalidCurve(
            "values must be finite and frequencies above 0".into(),
        ));
    }
    if freq_hz.windows(2).any(|w| w[1] <= w[0]) {
        return Err(ExportError::InvalidCurve(
            "frequencies must be strictly increasing".into(),
        ));
    }
    if options.preamp_db.is_some_and(|p| !p.is_finite())
        || options.normalize_max_db.is_some_and(|m| !m.is_finite())
    {
        return Err(ExportError::InvalidPreamp);
    }
    let nodes = graphic_eq_frequencies(options.include_20k);
    let mut gains: Vec<f64> = nodes
        .iter()
        .map(|&f| interpolate_log(freq_hz, db, f))
        .collect();
    if let Some(target_max) = options.normalize_max_db {
        let max = gains.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        gains.iter_mut().for_each(|g| *g += target_max - max);
    }
    if options.clip_first_node_boost
        && let Some(first) = gains.first_mut()
        && *first > 0.0
    {
        *first = 0.0;
    }
    let mut out = String::new();
    if let Some(p) = options.preamp_db {
        let _ = writeln!(out, "Preamp: {} dB", format_trimmed(p, 3));
    }
    out.push_str("GraphicEQ: ");
    let decimals = options.decimals.min(6);
    let body: Vec<String> = nodes
        .iter()
        .zip(&gains)
        .map(|(f, g)| {
            let mut s = format!("{g:.decimals$}");
            if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
                s.remove(0);
            }
            format!("{f} {s}")
        })
        .collect();
    out.push_str(&body.join("; "));
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoeq_node_set() {
        let f = graphic_eq_frequencies(false);
        assert_eq!(f.len(), 127);
        assert_eq!(f.last(), Some(&19_871.0));
        // First nodes of AutoEq's GraphicEQ.txt files (e.g. results/oratory1990/over-ear/
        // Sennheiser HD 600/Sennheiser HD 600 GraphicEQ.txt@f624f4f7).
        let head = [
            20.0, 21.0, 22.0, 23.0, 24.0, 26.0, 27.0, 29.0, 30.0, 32.0, 34.0, 36.0, 38.0, 40.0,
            43.0, 45.0, 48.0, 50.0, 53.0, 56.0, 59.0, 63.0, 66.0, 70.0, 74.0,
        ];
        assert_eq!(&f[..head.len()], &head);
        let g = graphic_eq_frequencies(true);
        assert_eq!(g.len(), 128);
        assert_eq!(g.last(), Some(&20_000.0));
    }

    #[test]
    fn autoeq_options_normalise_and_clip() {
        let f = [20.0, 1000.0, 20_000.0];
        let d = [3.0, 5.0, 1.0];
        let s = graphic_eq_txt(&f, &d, &GraphicEqOptions::autoeq()).unwrap();
        assert!(s.starts_with("GraphicEQ: 20 -2.2; 21 -2.2;"), "{s}");
        assert!(s.trim_end().ends_with("19871 -4.2"), "{s}");
        let s = graphic_eq_txt(
            &[20.0, 30.0],
            &[5.0, 5.0],
            &GraphicEqOptions {
                clip_first_node_boost: true,
                ..GraphicEqOptions::default()
            },
        )
        .unwrap();
        assert!(s.starts_with("GraphicEQ: 20 0.00; 21 5.00"), "{s}");
    }

    #[test]
    fn rejects_bad_curves() {
        let o = GraphicEqOptions::default();
        assert!(graphic_eq_txt(&[], &[], &o).is_err());
        assert!(graphic_eq_txt(&[20.0, 10.0], &[0.0, 0.0], &o).is_err());
        assert!(graphic_eq_txt(&[20.0], &[f64::NAN], &o).is_err());
    }
}
