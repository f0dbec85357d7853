//! Equalizer APO `ParametricEQ.txt` in AutoEq's layout (`write_eqapo_parametric_eq`,
//! DSP_REFERENCE.md §3.2): `Preamp: -6.8 dB`, then `Filter 1: ON PK Fc 162 Hz Gain -2.3 dB Q 0.91`.
//!
//! Shelves are written as `LSC`/`HSC` (centre frequency, cookbook Q), low/high-pass as
//! `LPQ`/`HPQ`, the others as `BP`, `NO`, `AP` with a Q. AutoEq rounds Fc to 1 Hz, gain to
//! 0.1 dB and Q to 0.01; we write up to 4 decimals for Fc and Q and 3 for gains, so re-import
//! matches the exact response to well under 0.05 dB. An `Fc` token with exactly three
//! decimals is avoided: Equalizer APO would read `1000.125` as REW's thousands separator.

use super::{ExportError, format_trimmed, validate};
use crate::filter::{FilterKind, FilterSpec};
use crate::io::eq::ParametricEq;
use std::fmt::Write;

fn type_token(kind: FilterKind) -> &'static str {
    match kind {
        FilterKind::Peaking => "PK",
        FilterKind::LowShelf => "LSC",
        FilterKind::HighShelf => "HSC",
        FilterKind::LowPass => "LPQ",
        FilterKind::HighPass => "HPQ",
        FilterKind::BandPass => "BP",
        FilterKind::Notch => "NO",
        FilterKind::AllPass => "AP",
    }
}

/// Fc with up to 4 decimals, never exactly 3 (which EAPO multiplies by 1000).
fn format_freq(freq_hz: f64) -> String {
    let mut s = format_trimmed(freq_hz, 4);
    if let Some(dot) = s.find('.')
        && s.len() - dot - 1 == 3
    {
        s.push('0');
    }
    s
}

fn write_filters(out: &mut String, filters: &[FilterSpec]) {
    for (i, f) in filters.iter().enumerate() {
        let _ = write!(
            out,
            "Filter {}: ON {} Fc {} Hz",
            i + 1,
            type_token(f.kind),
            format_freq(f.freq_hz)
        );
        if matches!(
            f.kind,
            FilterKind::Peaking | FilterKind::LowShelf | FilterKind::HighShelf
        ) {
            let _ = write!(out, " Gain {} dB", format_trimmed(f.gain_db, 3));
        }
        let _ = writeln!(out, " Q {}", format_trimmed(f.q, 4));
    }
}

/// The filters as AutoEq's ParametricEQ.txt stores them (Fc to 1 Hz, gain to 0.1 dB, Q to
/// 0.01): what a user of AutoEq's files actually runs, for like-for-like comparisons.
pub fn rounded_like_autoeq(filters: &[FilterSpec]) -> Vec<FilterSpec> {
    filters
        .iter()
        .map(|f| FilterSpec {
            freq_hz: f.freq_hz.round(),
            gain_db: (f.gain_db * 10.0).round() / 10.0,
            q: (f.q * 100.0).round() / 100.0,
            ..*f
        })
        .collect()
}

/// `ParametricEQ.txt` text for one EQ used on both channels.
pub fn parametric_eq_txt(eq: &ParametricEq) -> Result<String, ExportError> {
    validate(eq.preamp_db, &eq.filters)?;
    let mut out = String::new();
    let _ = writeln!(out, "Preamp: {} dB", format_trimmed(eq.preamp_db, 3));
    write_filters(&mut out, &eq.filters);
    Ok(out)
}

/// `ParametricEQ.txt` text with separate left and right EQs, as `Channel: L` / `Channel: R`
/// blocks ending with `Channel: all`. Equalizer APO reads it; tools that only know AutoEq's
/// layout (PipeWire's module) do not understand `Channel:`.
pub fn parametric_eq_txt_stereo(
    left: &ParametricEq,
    right: &ParametricEq,
) -> Result<String, ExportError> {
    validate(left.preamp_db, &left.filters)?;
    validate(right.preamp_db, &right.filters)?;
    let mut out = String::new();
    for (channel, eq) in [("L", left), ("R", right)] {
        let _ = writeln!(out, "Channel: {channel}");
        let _ = writeln!(out, "Preamp: {} dB", format_trimmed(eq.preamp_db, 3));
        write_filters(&mut out, &eq.filters);
    }
    out.push_str("Channel: all\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoeq_layout() {
        let eq = ParametricEq {
            preamp_db: -6.8,
            filters: vec![
                FilterSpec::low_shelf(105.0, 0.7, 5.2),
                FilterSpec::peaking(162.0, 0.91, -2.3),
            ],
        };
        assert_eq!(
            parametric_eq_txt(&eq).unwrap(),
            "Preamp: -6.8 dB\nFilter 1: ON LSC Fc 105 Hz Gain 5.2 dB Q 0.7\n\
             Filter 2: ON PK Fc 162 Hz Gain -2.3 dB Q 0.91\n"
        );
    }

    #[test]
    fn frequency_never_has_three_decimals() {
        assert_eq!(format_freq(1000.125), "1000.1250");
        assert_eq!(format_freq(1000.12345), "1000.1235");
        assert_eq!(format_freq(20.5), "20.5");
        for i in 0..20_000 {
            let f = 20.0 + f64::from(i) * 0.987_654_3;
            let s = format_freq(f);
            let bad = s.len() >= 5 && s.as_bytes()[s.len() - 4] == b'.';
            assert!(!bad, "{s}");
        }
    }
}
