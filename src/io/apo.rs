//! Equalizer APO config reader (`Preamp:`, `Filter:`, `GraphicEQ:`, `Channel:`), which also
//! reads AutoEq's `ParametricEQ.txt`, `FixedBandEQ.txt` and `GraphicEQ.txt`, REW's filter
//! exports and squig.link's PEQ export.
//!
//! Token rules follow EAPO's regexes (`filters/BiQuadFilterFactory.cpp`, DSP_REFERENCE.md §3.2):
//! decimal commas become periods; `Fc <n> Hz`, `Gain <n> dB`, `Q <n>`, `BW Oct <n>`, and a slope
//! `<n> dB` right after the type; numbers are read like C's `strtod` (longest numeric prefix);
//! an `Fc` token of 5+ characters without exponent whose 4th-from-last character is `.` is
//! multiplied by 1000 (REW's thousands separator). Defaults: LP/HP/BP Q = 1/√2, shelves without
//! Q or slope S = 0.9, notch Q = 30; PK/AP need a Q or bandwidth. Q on a shelf is the cookbook
//! Q (newer EAPO), a slope overrides it. Where EAPO silently drops a malformed filter we report
//! a line-numbered error instead, so the user does not get a different EQ than they expect.

use super::curve_data::{Curve, MAX_ABS_DB};
use super::eq::{ChannelMask, ChannelStage, EqConfig, EqFilter, EqStage, Width};
use super::error::{ImportError, ImportWarning, excerpt};
use super::text::parse_number_prefix;
use crate::curve::points::Shown;
use crate::filter::FilterKind;

/// The EAPO commands Refcan does not apply; lines with them are ignored with a warning.
const UNSUPPORTED_COMMANDS: [&str; 13] = [
    "device",
    "stage",
    "if",
    "elseif",
    "else",
    "endif",
    "eval",
    "include",
    "copy",
    "delay",
    "convolution",
    "loudnesscorrection",
    "vstplugin",
];

/// What kinds of commands a config contained, for naming the format.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ApoSummary {
    pub filters: usize,
    pub graphic: usize,
    pub other_commands: usize,
    /// The file is a Room EQ Wizard "Filter Settings file" (its header lines are skipped).
    pub rew: bool,
}

/// The recognised command of a line, if it is an EAPO command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Preamp,
    Filter,
    GraphicEq,
    Channel,
}

fn split_command(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    Some((line[..colon].trim(), &line[colon + 1..]))
}

fn classify(command: &str) -> Option<Command> {
    let lower = command.to_ascii_lowercase();
    if lower == "preamp" {
        Some(Command::Preamp)
    } else if lower == "graphiceq" {
        Some(Command::GraphicEq)
    } else if lower == "channel" {
        Some(Command::Channel)
    } else if let Some(rest) = lower.strip_prefix("filter") {
        rest.trim()
            .chars()
            .all(|c| c.is_ascii_digit())
            .then_some(Command::Filter)
    } else {
        None
    }
}

/// True if the (trimmed) line is a `Preamp:`/`Filter…:`/`GraphicEQ:`/`Channel:` command.
pub(crate) fn is_apo_command_line(trimmed: &str) -> bool {
    split_command(trimmed).is_some_and(|(c, _)| classify(c).is_some())
}

/// Reads an Equalizer APO config.
pub(crate) fn parse_apo(
    file: &str,
    lines: &[(usize, &str)],
    warnings: &mut Vec<ImportWarning>,
) -> Result<(EqConfig, ApoSummary), ImportError> {
    let mut profile = EqConfig::default();
    let mut summary = ApoSummary::default();
    let mut channels = ChannelMask::BOTH;
    // REW's filter export starts with "Filter Settings file", then free-form header lines
    // (program version, "Dated:", "Notes:", "Equaliser:", …) before the `Filter` lines.
    summary.rew = lines
        .iter()
        .map(|(_, l)| l.trim())
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.eq_ignore_ascii_case("Filter Settings file"));
    let mut in_rew_header = summary.rew;
    for &(n, raw) in lines {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if in_rew_header {
            if is_apo_command_line(line) {
                in_rew_header = false;
            } else {
                continue;
            }
        }
        let Some((command, params)) = split_command(line) else {
            warnings.push(ImportWarning::at(
                n,
                format!(
                    "expected a command like \"Filter 1: ON PK …\", found \"{}\"; ignored",
                    excerpt(line)
                ),
            ));
            continue;
        };
        let push = |profile: &mut EqConfig, stage| {
            profile.stages.push(ChannelStage {
                channels,
                stage,
                line: n,
            })
        };
        match classify(command) {
            Some(Command::Preamp) => {
                let gain_db = parse_preamp(file, n, params)?;
                push(&mut profile, EqStage::Preamp { gain_db });
            }
            Some(Command::Filter) => {
                if let Some(filter) = parse_filter(file, n, params, warnings)? {
                    summary.filters += 1;
                    push(&mut profile, EqStage::Filter(filter));
                }
            }
            Some(Command::GraphicEq) => {
                let nodes = parse_graphic(file, n, params, warnings)?;
                summary.graphic += 1;
                push(&mut profile, EqStage::Graphic(nodes));
            }
            Some(Command::Channel) => {
                summary.other_commands += 1;
                channels = parse_channel(n, params, channels, warnings);
            }
            None => {
                summary.other_commands += 1;
                let lower = command.to_ascii_lowercase();
                let message = if UNSUPPORTED_COMMANDS.contains(&lower.as_str()) {
                    format!(
                        "\"{}:\" is not supported by Refcan; the line was ignored",
                        excerpt(command)
                    )
                } else {
                    format!(
                        "unknown command \"{}:\"; the line was ignored",
                        excerpt(command)
                    )
                };
                warnings.push(ImportWarning::at(n, message));
            }
        }
    }
    Ok((profile, summary))
}

fn parse_preamp(file: &str, n: usize, params: &str) -> Result<f64, ImportError> {
    let text = params.replace(',', ".");
    let trimmed = text.trim_start();
    let gain_db = parse_number_prefix(trimmed)
        .map(|(v, _)| v)
        .ok_or_else(|| {
            ImportError::at(
                file,
                n,
                format!(
                    "expected a gain like \"Preamp: -6.8 dB\", found \"{}\"",
                    excerpt(params.trim())
                ),
            )
        })?;
    check_gain(file, n, gain_db)?;
    Ok(gain_db)
}

fn check_gain(file: &str, n: usize, gain_db: f64) -> Result<(), ImportError> {
    if gain_db.abs() > MAX_ABS_DB {
        return Err(ImportError::at(
            file,
            n,
            format!(
                "expected a gain within ±{MAX_ABS_DB} dB, found {} dB",
                Shown(gain_db)
            ),
        ));
    }
    Ok(())
}

/// Finds `keyword` preceded by whitespace (EAPO's `\s+Fc\s*…`), optionally followed by
/// whitespace and `second` (for `BW Oct`), then optional whitespace and a run of number
/// characters. Returns the run, or `None` if no occurrence is followed by one.
fn keyword_value<'a>(
    s: &'a str,
    keyword: &str,
    second: Option<&str>,
    extra: &[char],
) -> Option<&'a str> {
    let lower = s.to_ascii_lowercase();
    let keyword = keyword.to_ascii_lowercase();
    let is_number_char = |c: char| {
        c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') || extra.contains(&c)
    };
    let mut from = 0usize;
    while let Some(found) = lower.get(from..).and_then(|rest| rest.find(&keyword)) {
        let start = from + found;
        from = start + keyword.len();
        let preceded_by_space = lower[..start]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace);
        if !preceded_by_space {
            continue;
        }
        let mut rest = &s[start + keyword.len()..];
        if let Some(second) = second {
            let after_space = rest.trim_start();
            if after_space.len() == rest.len() {
                continue;
            }
            match after_space.get(..second.len()) {
                Some(w) if w.eq_ignore_ascii_case(second) => rest = &after_space[second.len()..],
                _ => continue,
            }
        }
        let rest = rest.trim_start();
        let end = rest
            .char_indices()
            .find(|&(_, c)| !is_number_char(c))
            .map_or(rest.len(), |(i, _)| i);
        if end > 0 {
            return Some(&rest[..end]);
        }
    }
    None
}

fn number_of(file: &str, n: usize, what: &str, run: &str) -> Result<f64, ImportError> {
    parse_number_prefix(run).map(|(v, _)| v).ok_or_else(|| {
        ImportError::at(
            file,
            n,
            format!(
                "expected a number after \"{what}\", found \"{}\"",
                excerpt(run)
            ),
        )
    })
}

fn filter_kind(name: &str) -> Option<(FilterKind, bool)> {
    let upper = name.to_ascii_uppercase();
    let kind = match upper.as_str() {
        "PK" | "PEQ" | "MODAL" => FilterKind::Peaking,
        "LP" | "LPQ" => FilterKind::LowPass,
        "HP" | "HPQ" => FilterKind::HighPass,
        "BP" => FilterKind::BandPass,
        "LS" | "LSC" => FilterKind::LowShelf,
        "HS" | "HSC" => FilterKind::HighShelf,
        "NO" => FilterKind::Notch,
        "AP" => FilterKind::AllPass,
        _ => return None,
    };
    let corner = matches!(upper.as_str(), "LS" | "HS");
    Some((kind, corner))
}

fn parse_filter(
    file: &str,
    n: usize,
    params: &str,
    warnings: &mut Vec<ImportWarning>,
) -> Result<Option<EqFilter>, ImportError> {
    // EAPO: "Conversion to period as decimal mark, if needed".
    let params = params.replace(',', ".");
    let trimmed = params.trim_start();
    let word_end = |s: &str| {
        s.find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(s.len())
    };
    let state_len = word_end(trimmed);
    let state = &trimmed[..state_len];
    if state.eq_ignore_ascii_case("OFF") {
        return Ok(None);
    }
    if !state.eq_ignore_ascii_case("ON") {
        warnings.push(ImportWarning::at(
            n,
            format!(
                "expected ON or OFF after \"Filter:\", found \"{}\"; the filter was ignored \
                 (Equalizer APO ignores it too)",
                excerpt(trimmed)
            ),
        ));
        return Ok(None);
    }
    let after_state = &trimmed[state_len..];
    let type_text = after_state.trim_start();
    if type_text.len() == after_state.len() {
        return Err(ImportError::at(
            file,
            n,
            "expected a filter type after \"ON\", e.g. \"ON PK\"",
        ));
    }
    let type_len = word_end(type_text);
    let type_name = &type_text[..type_len];
    let rest = &type_text[type_len..];
    let Some((kind, corner_frequency)) = filter_kind(type_name) else {
        if !type_name.eq_ignore_ascii_case("None") {
            warnings.push(ImportWarning::at(
                n,
                format!(
                    "filter type \"{}\" is not supported; the filter was ignored",
                    excerpt(type_name)
                ),
            ));
        }
        return Ok(None);
    };
    let shelf = matches!(kind, FilterKind::LowShelf | FilterKind::HighShelf);

    let fc_run = keyword_value(rest, "Fc", None, &['\u{A0}']).ok_or_else(|| {
        ImportError::at(
            file,
            n,
            format!(
                "expected a frequency like \"Fc 1000 Hz\" in the {} filter",
                type_name.to_ascii_uppercase()
            ),
        )
    })?;
    let fc_token: String = fc_run.chars().filter(|&c| c != '\u{A0}').collect();
    let mut freq_hz = number_of(file, n, "Fc", &fc_token)?;
    if fc_token.len() >= 5
        && !fc_token.contains(['e', 'E'])
        && fc_token.as_bytes().get(fc_token.len() - 4) == Some(&b'.')
    {
        freq_hz *= 1000.0;
        warnings.push(ImportWarning::at(
            n,
            format!(
                "\"Fc {fc_token}\" read as {freq_hz} Hz (a '.' before three digits is Room EQ \
                 Wizard's thousands separator; Equalizer APO reads it the same way)"
            ),
        ));
    }
    if freq_hz <= 0.0 {
        return Err(ImportError::at(
            file,
            n,
            format!("expected a frequency above 0 Hz, found {}", Shown(freq_hz)),
        ));
    }

    let gain_db = match keyword_value(rest, "Gain", None, &[]) {
        Some(run) => {
            let g = number_of(file, n, "Gain", run)?;
            check_gain(file, n, g)?;
            g
        }
        None if matches!(kind, FilterKind::Peaking) || shelf => {
            return Err(ImportError::at(
                file,
                n,
                format!(
                    "expected a gain like \"Gain -3 dB\" in the {} filter",
                    type_name.to_ascii_uppercase()
                ),
            ));
        }
        None => 0.0,
    };
    // EAPO reads a gain only for peaking and shelves (band-pass computes but never uses it).
    let gain_db = if matches!(kind, FilterKind::Peaking) || shelf {
        gain_db
    } else {
        0.0
    };

    let mut width: Option<Width> = None;
    if let Some(run) = keyword_value(rest, "Q", None, &[]) {
        width = Some(Width::Q(number_of(file, n, "Q", run)?));
    }
    if let Some(run) = keyword_value(rest, "BW", Some("Oct"), &[]) {
        let bw = number_of(file, n, "BW Oct", run)?;
        if shelf {
            warnings.push(ImportWarning::at(
                n,
                "a bandwidth on a shelf filter is ignored (as in Equalizer APO)",
            ));
        } else {
            width = Some(Width::BandwidthOct(bw));
        }
    }
    // Slope: `LS 6dB Fc …`, right after the type.
    let slope_text = rest.trim_start();
    let slope_end = slope_text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
        .unwrap_or(slope_text.len());
    if slope_end > 0 && slope_text[slope_end..].trim_start().starts_with("dB") {
        let slope_db = number_of(file, n, type_name, &slope_text[..slope_end])?;
        if shelf {
            // "Maximum S is 1 for 12 dB".
            width = Some(Width::Slope(slope_db / 12.0));
        } else {
            warnings.push(ImportWarning::at(
                n,
                "a slope on a non-shelf filter is ignored (as in Equalizer APO)",
            ));
        }
    }
    // EAPO treats a zero width as "not given".
    let given = width.filter(|w| match *w {
        Width::Q(v) | Width::BandwidthOct(v) | Width::Slope(v) => v != 0.0,
    });
    let width = match given {
        Some(w) => w,
        None => match kind {
            FilterKind::Peaking | FilterKind::AllPass => {
                return Err(ImportError::at(
                    file,
                    n,
                    format!(
                        "expected \"Q <number>\" or \"BW Oct <number>\" in the {} filter",
                        type_name.to_ascii_uppercase()
                    ),
                ));
            }
            FilterKind::LowPass | FilterKind::HighPass | FilterKind::BandPass => {
                Width::Q(std::f64::consts::FRAC_1_SQRT_2)
            }
            // "found out by experimentation with RoomEQWizard" (EAPO).
            FilterKind::LowShelf | FilterKind::HighShelf => Width::Slope(0.9),
            FilterKind::Notch => Width::Q(30.0),
        },
    };
    let (Width::Q(v) | Width::BandwidthOct(v) | Width::Slope(v)) = width;
    if v <= 0.0 {
        return Err(ImportError::at(
            file,
            n,
            format!(
                "expected a positive Q, bandwidth or slope, found {}",
                Shown(v)
            ),
        ));
    }
    Ok(Some(EqFilter {
        kind,
        freq_hz,
        gain_db,
        width,
        corner_frequency: corner_frequency && shelf,
    }))
}

/// `GraphicEQ: f g; f g; …` — EAPO takes every `[-+0-9.eE]+` run pairwise as (Hz, dB), and
/// turns commas into periods only when the text has no period.
fn parse_graphic(
    file: &str,
    n: usize,
    params: &str,
    warnings: &mut Vec<ImportWarning>,
) -> Result<Curve, ImportError> {
    let text = if params.contains('.') {
        params.to_owned()
    } else {
        params.replace(',', ".")
    };
    let mut values = Vec::new();
    for run in text
        .split(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
        .filter(|r| !r.is_empty())
    {
        let (v, _) = parse_number_prefix(run).ok_or_else(|| {
            ImportError::at(
                file,
                n,
                format!(
                    "expected \"frequency gain\" number pairs, found \"{}\"",
                    excerpt(run)
                ),
            )
        })?;
        values.push(v);
    }
    if values.len() % 2 == 1 {
        warnings.push(ImportWarning::at(
            n,
            "odd count of GraphicEQ numbers; the last one was ignored",
        ));
        values.pop();
    }
    let mut nodes: Vec<(f64, f64)> = values.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    if nodes.is_empty() {
        return Err(ImportError::at(
            file,
            n,
            "expected \"frequency gain\" pairs after \"GraphicEQ:\", found none",
        ));
    }
    for &(f, g) in &nodes {
        if f <= 0.0 {
            return Err(ImportError::at(
                file,
                n,
                format!(
                    "expected GraphicEQ frequencies above 0 Hz, found {}",
                    Shown(f)
                ),
            ));
        }
        check_gain(file, n, g)?;
    }
    if nodes.windows(2).any(|w| w[1].0 < w[0].0) {
        warnings.push(ImportWarning::at(
            n,
            "GraphicEQ nodes were not in increasing frequency; sorted",
        ));
        nodes.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let before = nodes.len();
    nodes.dedup_by(|later, kept| later.0 == kept.0);
    if nodes.len() < before {
        warnings.push(ImportWarning::at(
            n,
            format!(
                "{} repeated GraphicEQ frequencies were dropped",
                before - nodes.len()
            ),
        ));
    }
    Ok(Curve {
        freq_hz: nodes.iter().map(|p| p.0).collect(),
        db: nodes.iter().map(|p| p.1).collect(),
    })
}

/// `Channel: L R`, `Channel: 1 2`, `Channel: all`. Channels other than the first two (C, LFE,
/// surrounds) do not exist in Refcan; stages for only those are kept but apply to nothing.
fn parse_channel(
    n: usize,
    params: &str,
    previous: ChannelMask,
    warnings: &mut Vec<ImportWarning>,
) -> ChannelMask {
    let mut mask = ChannelMask {
        left: false,
        right: false,
    };
    let mut others = Vec::new();
    let mut any = false;
    for token in params.split_whitespace() {
        any = true;
        match token.to_ascii_uppercase().as_str() {
            "ALL" => mask = ChannelMask::BOTH,
            "L" | "1" => mask.left = true,
            "R" | "2" => mask.right = true,
            _ => others.push(token),
        }
    }
    if !any {
        warnings.push(ImportWarning::at(
            n,
            "\"Channel:\" without channels; the selection is unchanged",
        ));
        return previous;
    }
    if !others.is_empty() {
        let listed = others
            .iter()
            .map(|t| excerpt(t))
            .collect::<Vec<_>>()
            .join(" ");
        let message = if mask.left || mask.right {
            format!("channels {listed} do not exist in a stereo plugin and are ignored")
        } else {
            format!(
                "the filters after this line are for channels {listed}, which a stereo plugin does not have; they are ignored"
            )
        };
        warnings.push(ImportWarning::at(n, message));
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::text::numbered_lines;

    fn parse(text: &str) -> Result<(EqConfig, Vec<ImportWarning>), ImportError> {
        let mut w = Vec::new();
        parse_apo("eq.txt", &numbered_lines(text), &mut w).map(|(p, _)| (p, w))
    }

    fn only_filter(text: &str) -> EqFilter {
        let (p, _) = parse(text).unwrap();
        match p.stages.as_slice() {
            [
                ChannelStage {
                    stage: EqStage::Filter(f),
                    ..
                },
            ] => *f,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn filter_command_forms() {
        for text in [
            "Filter: ON PK Fc 100 Hz Gain 3 dB Q 1",
            "Filter 1: ON PK Fc 100 Hz Gain 3 dB Q 1",
            "Filter1: ON PK Fc 100 Hz Gain 3 dB Q 1",
            "filter 12 :  on pk Fc 100Hz Gain 3dB Q 1",
            "Filter 1: ON PK Fc 100,0 Hz Gain 3,0 dB Q 1,0",
        ] {
            let f = only_filter(text);
            assert_eq!(
                (f.freq_hz, f.gain_db, f.width),
                (100.0, 3.0, Width::Q(1.0)),
                "{text}"
            );
        }
    }

    #[test]
    fn defaults_and_slopes() {
        let f = only_filter("Filter: ON LS Fc 100 Hz Gain 5 dB");
        assert_eq!(f.width, Width::Slope(0.9));
        assert!(f.corner_frequency);
        let f = only_filter("Filter: ON HS 6dB Fc 5000 Hz Gain -4 dB");
        assert_eq!(f.width, Width::Slope(0.5));
        let f = only_filter("Filter: ON LSC 12 dB Fc 100 Hz Gain 5 dB Q 0.7");
        assert_eq!(f.width, Width::Slope(1.0));
        assert!(!f.corner_frequency);
        let f = only_filter("Filter: ON LSC Fc 105 Hz Gain 6.5 dB Q 0.70");
        assert_eq!(f.width, Width::Q(0.7));
        let f = only_filter("Filter: ON NO Fc 60 Hz");
        assert_eq!(f.width, Width::Q(30.0));
        let f = only_filter("Filter: ON LP Fc 60 Hz");
        assert_eq!(f.width, Width::Q(std::f64::consts::FRAC_1_SQRT_2));
        let f = only_filter("Filter: ON HPQ Fc 60 Hz Q 2");
        assert_eq!(f.width, Width::Q(2.0));
        let f = only_filter("Filter: ON PK Fc 60 Hz Gain 2 dB BW Oct 0.5");
        assert_eq!(f.width, Width::BandwidthOct(0.5));
    }

    #[test]
    fn rew_thousands_quirk() {
        let text = "Filter 1: ON PK Fc 1.000 Hz Gain 3 dB Q 1";
        let (p, w) = parse(text).unwrap();
        match &p.stages[0].stage {
            EqStage::Filter(f) => assert_eq!(f.freq_hz, 1000.0),
            s => panic!("{s:?}"),
        }
        assert_eq!(w.len(), 1);
        // "1,500" becomes "1.500" and then 1500 Hz, as in EAPO.
        assert_eq!(
            only_filter("Filter: ON PK Fc 1,500 Hz Gain 3 dB Q 1").freq_hz,
            1500.0
        );
        // Two decimals are left alone.
        assert_eq!(
            only_filter("Filter: ON PK Fc 10.25 Hz Gain 3 dB Q 1").freq_hz,
            10.25
        );
    }

    #[test]
    fn off_none_and_unknown_are_ignored() {
        let (p, w) = parse(
            "Filter 1: OFF PK Fc 100 Hz Gain 3 dB Q 1\nFilter 2: ON None\nFilter 3: ON XYZ Fc 1 Hz\n\
             Include: other.txt\n# comment\nFoo: bar",
        )
        .unwrap();
        assert!(p.stages.is_empty());
        assert_eq!(w.len(), 3, "{w:?}");
    }

    #[test]
    fn rew_filter_settings_header_is_skipped() {
        let text = "Filter Settings file\n\nRoom EQ V5.19\nDated: 11-Jan-2019 11:58:41\n\nNotes:\n\n\
                    Equaliser: Generic\nAverage 1\nFilter  1: ON  PK       Fc   304 Hz  Gain   0.3 dB  Q  3.000\n\
                    Filter  2: ON  None\nFilter 20: ON  HS       Fc   14400 Hz  Gain   1.7 dB\n";
        let mut w = Vec::new();
        let (p, summary) = parse_apo("rew.txt", &numbered_lines(text), &mut w).unwrap();
        assert!(summary.rew);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(p.stages.len(), 2);
        match &p.stages[1].stage {
            EqStage::Filter(f) => {
                assert_eq!(f.width, Width::Slope(0.9));
                assert!(f.corner_frequency);
                assert_eq!(f.freq_hz, 14_400.0);
            }
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn channels_select_stages() {
        let (p, _) = parse(
            "Preamp: -3 dB\nChannel: L\nFilter: ON PK Fc 100 Hz Gain 3 dB Q 1\nChannel: R\n\
             Filter: ON PK Fc 200 Hz Gain 3 dB Q 1\nChannel: all\nPreamp: -1 dB\nChannel: C\n\
             Preamp: -9 dB",
        )
        .unwrap();
        let masks: Vec<(bool, bool)> = p
            .stages
            .iter()
            .map(|s| (s.channels.left, s.channels.right))
            .collect();
        assert_eq!(
            masks,
            vec![
                (true, true),
                (true, false),
                (false, true),
                (true, true),
                (false, false)
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("Preamp: -1 dB\nFilter 1: ON PK Gain 3 dB Q 1").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(
            e.to_string().starts_with("eq.txt:2: expected a frequency"),
            "{e}"
        );
        let e = parse("Filter 1: ON PK Fc 100 Hz Gain 3 dB").unwrap_err();
        assert!(e.to_string().contains("Q"), "{e}");
        let e = parse("Preamp: loud").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = parse("Filter: ON PK Fc 0 Hz Gain 1 dB Q 1").unwrap_err();
        assert!(e.to_string().contains("above 0 Hz"), "{e}");
    }

    #[test]
    fn graphic_eq_nodes() {
        let (p, _) = parse("GraphicEQ: 20 -1.5; 1000 0; 20000 2").unwrap();
        match &p.stages[0].stage {
            EqStage::Graphic(c) => {
                assert_eq!(c.freq_hz, vec![20.0, 1000.0, 20000.0]);
                assert_eq!(c.db, vec![-1.5, 0.0, 2.0]);
            }
            s => panic!("{s:?}"),
        }
        // Decimal commas when there is no period.
        let (p, _) = parse("GraphicEQ: 20 -1,5; 1000 0").unwrap();
        match &p.stages[0].stage {
            EqStage::Graphic(c) => assert_eq!(c.db, vec![-1.5, 0.0]),
            s => panic!("{s:?}"),
        }
    }
}
