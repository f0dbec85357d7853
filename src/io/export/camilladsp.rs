//! CamillaDSP configuration fragment: `filters:` and `pipeline:`.
//!
//! Field names follow CamillaDSP's config structs (HEnquist/camilladsp `src/config/mod.rs`
//! @05e9cfc, v3.0.0 and v2.0.3 tags): a `Biquad` filter with `parameters: {type: Peaking |
//! Lowshelf | Highshelf, freq, gain, q}` (the `q` variants of `PeakingWidth`/`ShelfSteepness`,
//! the same RBJ formulas as ours), `Lowpass`/`Highpass`/`Bandpass`/`Notch`/`Allpass` with `freq`
//! and `q`; a `Gain` filter (`gain`, `inverted`, `scale: dB`) for the preamp. The pipeline step
//! is `type: Filter` with `channels: [0, 1]` (v3 and later) or one step per `channel:` (v2).
//!
//! CamillaDSP also needs a `devices:` section, which depends on the user's hardware; the
//! fragment says so in its header comment and is meant to be merged into their config.

use super::{ExportError, validate};
use crate::filter::{FilterKind, FilterSpec};
use crate::io::eq::ParametricEq;
use std::fmt::Write;

/// Which CamillaDSP config syntax to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CamillaSyntax {
    /// v2: pipeline filter steps name one `channel`.
    V2,
    /// v3 and later: pipeline filter steps take a `channels` list.
    #[default]
    V3,
}

/// Options of the CamillaDSP export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CamillaOptions {
    /// Config syntax version.
    pub syntax: CamillaSyntax,
    /// Channels the EQ of [`camilladsp_yaml`] applies to (default `[0, 1]`).
    pub channels: Vec<usize>,
    /// Prefix of the filter names (letters, digits, `_`, `-`; other characters become `_`).
    pub name_prefix: String,
}

impl Default for CamillaOptions {
    fn default() -> Self {
        Self {
            syntax: CamillaSyntax::V3,
            channels: vec![0, 1],
            name_prefix: "refcan".to_owned(),
        }
    }
}

fn sanitize(prefix: &str) -> String {
    let s: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "refcan".to_owned() } else { s }
}

fn biquad_type(kind: FilterKind) -> &'static str {
    match kind {
        FilterKind::Peaking => "Peaking",
        FilterKind::LowShelf => "Lowshelf",
        FilterKind::HighShelf => "Highshelf",
        FilterKind::LowPass => "Lowpass",
        FilterKind::HighPass => "Highpass",
        FilterKind::BandPass => "Bandpass",
        FilterKind::Notch => "Notch",
        FilterKind::AllPass => "Allpass",
    }
}

/// Writes the filter definitions of one EQ; returns the filter names in order.
fn write_filters(out: &mut String, prefix: &str, eq: &ParametricEq) -> Vec<String> {
    let mut names = Vec::with_capacity(eq.filters.len() + 1);
    let preamp = format!("{prefix}_preamp");
    // Rust's `{}` for f64 is the shortest text that parses back to the same value, never in
    // exponent form, so the YAML carries the exact numbers.
    let _ = write!(
        out,
        "  {preamp}:\n    type: Gain\n    parameters:\n      gain: {}\n      inverted: false\n      scale: dB\n",
        eq.preamp_db + 0.0
    );
    names.push(preamp);
    let width = eq.filters.len().to_string().len().max(2);
    for (i, f) in eq.filters.iter().enumerate() {
        let name = format!("{prefix}_{:0width$}", i + 1);
        let FilterSpec {
            kind,
            freq_hz,
            q,
            gain_db,
        } = *f;
        let _ = write!(
            out,
            "  {name}:\n    type: Biquad\n    parameters:\n      type: {}\n      freq: {freq_hz}\n",
            biquad_type(kind)
        );
        if matches!(
            kind,
            FilterKind::Peaking | FilterKind::LowShelf | FilterKind::HighShelf
        ) {
            let _ = writeln!(out, "      gain: {}", gain_db + 0.0);
        }
        let _ = writeln!(out, "      q: {q}");
        names.push(name);
    }
    names
}

fn write_steps(out: &mut String, syntax: CamillaSyntax, channels: &[usize], names: &[String]) {
    let name_list: String = names.iter().map(|n| format!("      - {n}\n")).collect();
    match syntax {
        CamillaSyntax::V3 => {
            let list = channels
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let _ = write!(
                out,
                "  - type: Filter\n    channels: [{list}]\n    names:\n{name_list}"
            );
        }
        CamillaSyntax::V2 => {
            for ch in channels {
                let _ = write!(
                    out,
                    "  - type: Filter\n    channel: {ch}\n    names:\n{name_list}"
                );
            }
        }
    }
}

fn header(syntax: CamillaSyntax) -> String {
    let version = match syntax {
        CamillaSyntax::V2 => "v2",
        CamillaSyntax::V3 => "v3 and later",
    };
    format!(
        "# Refcan correction for CamillaDSP ({version} config syntax).\n\
         # Merge `filters` and `pipeline` into a config that has a `devices` section.\n"
    )
}

/// A CamillaDSP fragment applying `eq` (preamp first) to `options.channels`.
pub fn camilladsp_yaml(eq: &ParametricEq, options: &CamillaOptions) -> Result<String, ExportError> {
    validate(eq.preamp_db, &eq.filters)?;
    let prefix = sanitize(&options.name_prefix);
    let mut out = header(options.syntax);
    out.push_str("filters:\n");
    let names = write_filters(&mut out, &prefix, eq);
    out.push_str("pipeline:\n");
    write_steps(&mut out, options.syntax, &options.channels, &names);
    Ok(out)
}

/// A CamillaDSP fragment with `left` on channel 0 and `right` on channel 1
/// (`options.channels` is not used).
pub fn camilladsp_yaml_stereo(
    left: &ParametricEq,
    right: &ParametricEq,
    options: &CamillaOptions,
) -> Result<String, ExportError> {
    validate(left.preamp_db, &left.filters)?;
    validate(right.preamp_db, &right.filters)?;
    let prefix = sanitize(&options.name_prefix);
    let mut out = header(options.syntax);
    out.push_str("filters:\n");
    let left_names = write_filters(&mut out, &format!("{prefix}_left"), left);
    let right_names = write_filters(&mut out, &format!("{prefix}_right"), right);
    out.push_str("pipeline:\n");
    write_steps(&mut out, options.syntax, &[0], &left_names);
    write_steps(&mut out, options.syntax, &[1], &right_names);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_layout() {
        let eq = ParametricEq {
            preamp_db: -6.8,
            filters: vec![
                FilterSpec::peaking(162.0, 0.91, -2.3),
                FilterSpec::high_shelf(10_000.0, 0.7, -1.4),
            ],
        };
        let y = camilladsp_yaml(&eq, &CamillaOptions::default()).unwrap();
        assert!(
            y.contains("  refcan_preamp:\n    type: Gain\n    parameters:\n      gain: -6.8\n"),
            "{y}"
        );
        assert!(
            y.contains("  refcan_01:\n    type: Biquad\n    parameters:\n      type: Peaking\n      freq: 162\n      gain: -2.3\n      q: 0.91\n"),
            "{y}"
        );
        assert!(y.contains("type: Highshelf"), "{y}");
        assert!(y.contains("pipeline:\n  - type: Filter\n    channels: [0, 1]\n    names:\n      - refcan_preamp\n      - refcan_01\n      - refcan_02\n"), "{y}");
    }

    #[test]
    fn v2_has_one_step_per_channel() {
        let eq = ParametricEq::default();
        let o = CamillaOptions {
            syntax: CamillaSyntax::V2,
            ..CamillaOptions::default()
        };
        let y = camilladsp_yaml(&eq, &o).unwrap();
        assert!(
            y.contains("    channel: 0\n") && y.contains("    channel: 1\n"),
            "{y}"
        );
        assert!(!y.contains("channels:"), "{y}");
    }

    #[test]
    fn prefix_is_sanitised() {
        assert_eq!(sanitize("HD 600: L"), "HD_600__L");
        assert_eq!(sanitize(""), "refcan");
    }
}
