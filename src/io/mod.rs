//! Importers (with format detection) and exporters for the files users bring.
//!
//! Import: [`import_file`] / [`import_bytes`] detect the format from the content and return
//! an [`Imported`]: either curves ([`Content::Curve`], mono or L/R) or an EQ
//! ([`Content::Eq`]) whose response [`EqConfig::response_db`] evaluates exactly. Formats:
//! AutoEq CSV measurements and result CSVs, other delimited tables, REW text exports,
//! squig.link / CrinGraph `.txt` (with `X L.txt` + `X R.txt` pairing), Equalizer APO configs
//! including AutoEq's `ParametricEQ.txt`, `FixedBandEQ.txt` and `GraphicEQ.txt`
//! (DSP_REFERENCE.md §3). [`library`] browses an AutoEq checkout on disk.
//!
//! Export: [`export`] writes Equalizer APO `ParametricEQ.txt`, `GraphicEQ.txt` and CamillaDSP
//! YAML.
//!
//! Every failure is an [`ImportError`] naming the file and, when it is about one line, the
//! 1-based line; nothing here panics on any input.

mod apo;
mod curve_data;
mod eq;
mod error;
pub mod export;
pub mod library;
mod table;
mod text;
pub mod wav;

pub use curve_data::{BAND_HIGH_HZ, BAND_LOW_HZ, Channel, ChannelCurves, Curve, MAX_ABS_DB};
pub use eq::{ChannelMask, ChannelStage, EqConfig, EqFilter, EqStage, ParametricEq, Width};
pub(crate) use error::excerpt;
pub use error::{ImportError, ImportErrorKind, ImportWarning};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Largest file the importers read, in bytes (10 MB). Real measurement and EQ files are below
/// 1 MB; anything larger is refused before it is read.
pub const MAX_FILE_BYTES: u64 = 10_000_000;

/// Most warnings kept per import; the rest are summarised in one last warning, so a file of
/// a million unknown lines does not flood the GUI.
pub const MAX_WARNINGS: usize = 100;

/// The file formats the importers recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    /// AutoEq measurement or target CSV (`frequency,raw`).
    AutoEqCsv,
    /// AutoEq result CSV (`frequency,raw,error,…,target`).
    AutoEqResultCsv,
    /// Room EQ Wizard text export (`*` header, Freq/SPL/Phase columns).
    RewText,
    /// squig.link / CrinGraph `.txt` (whitespace-separated frequency and level).
    CrinGraphText,
    /// Any other delimited table (`,` `;` TAB `|`) with frequency and level columns.
    DelimitedTable,
    /// AutoEq `ParametricEQ.txt` style: only `Preamp:` and `Filter:` lines.
    ParametricEq,
    /// AutoEq `GraphicEQ.txt` style: `GraphicEQ:` (and optionally `Preamp:`) lines.
    GraphicEq,
    /// Room EQ Wizard filter export ("Filter Settings file", Equalizer APO filter syntax).
    RewFilterSettings,
    /// A general Equalizer APO config (mixes commands, `Channel:` selections, …).
    EqualizerApoConfig,
}

impl Format {
    /// A human-readable name for messages and the GUI.
    pub fn name(self) -> &'static str {
        match self {
            Self::AutoEqCsv => "AutoEq CSV",
            Self::AutoEqResultCsv => "AutoEq result CSV",
            Self::RewText => "REW text export",
            Self::CrinGraphText => "squig.link / CrinGraph text",
            Self::DelimitedTable => "delimited table",
            Self::ParametricEq => "Equalizer APO ParametricEQ",
            Self::GraphicEq => "Equalizer APO GraphicEQ",
            Self::RewFilterSettings => "REW filter settings",
            Self::EqualizerApoConfig => "Equalizer APO config",
        }
    }
}

/// Imported curves and what column they were taken from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveImport {
    /// The curve(s), mono or left/right.
    pub channels: ChannelCurves,
    /// Name of the column the levels were read from (`raw`, `target`, `SPL(dB)`, or
    /// `column 2` without a header).
    pub column: String,
    /// All header names of the file (empty without a header), so a caller can offer the
    /// other columns of an AutoEq result CSV (`target`, `equalization`, …).
    pub columns: Vec<String>,
}

/// What a file contained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Content {
    /// A measurement, target or correction curve.
    Curve(CurveImport),
    /// An EQ that already is a correction (parametric and/or graphic).
    Eq(EqConfig),
}

/// The result of a successful import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    /// A display name: the file stem, without AutoEq's ` ParametricEQ`/` GraphicEQ` suffix and
    /// without the ` L`/` R` of a combined pair.
    pub name: String,
    /// The detected format.
    pub format: Format,
    /// The data.
    pub content: Content,
    /// Things that were fixed or ignored (unsorted rows, unknown commands, …).
    pub warnings: Vec<ImportWarning>,
    /// The other file of an automatically combined `X L` / `X R` pair.
    pub paired_with: Option<PathBuf>,
}

/// Import options; the default reads AutoEq's `raw` column and pairs `X L`/`X R` files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The header name of the level column to read (case-insensitive), e.g. `target` or
    /// `equalization` from an AutoEq result CSV. `None`: `raw`, else the first SPL/gain/dB
    /// column (AutoEq's rule).
    pub column: Option<String>,
    /// For [`import_file`]: when the file name ends in ` L`/` R` (also `_L`, `-L`, `(L)`,
    /// ` Left`) and the partner exists, combine both into one stereo import.
    pub pair_channels: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            column: None,
            pair_channels: true,
        }
    }
}

/// Imports a file with the default options; see [`import_file_with`].
pub fn import_file(path: impl AsRef<Path>) -> Result<Imported, ImportError> {
    import_file_with(path.as_ref(), &ImportOptions::default())
}

/// Imports a file, detecting its format from the content. Files over [`MAX_FILE_BYTES`] are
/// refused without being read. An `X L.txt` with an `X R.txt` beside it (or the reverse)
/// becomes a stereo curve when `options.pair_channels` is set.
pub fn import_file_with(path: &Path, options: &ImportOptions) -> Result<Imported, ImportError> {
    let file = text::display_name(path);
    let bytes = text::read_capped(path, &file, MAX_FILE_BYTES)?;
    let imported = import_bytes_with(&file, &bytes, options)?;
    if options.pair_channels
        && matches!(imported.content, Content::Curve(_))
        && let Some((channel, partner)) = find_partner(path)
    {
        let partner_file = text::display_name(&partner);
        let partner_bytes = text::read_capped(&partner, &partner_file, MAX_FILE_BYTES)?;
        let other = import_bytes_with(&partner_file, &partner_bytes, options)?;
        let (left, right) = match channel {
            Channel::Left => (imported, other),
            Channel::Right => (other, imported),
        };
        let mut combined = combine_pair(left, right, &file, &partner_file)?;
        combined.paired_with = Some(partner);
        return Ok(combined);
    }
    Ok(imported)
}

/// Imports a left and a right file and combines them into one stereo curve import.
pub fn import_pair(
    left: impl AsRef<Path>,
    right: impl AsRef<Path>,
) -> Result<Imported, ImportError> {
    let options = ImportOptions {
        pair_channels: false,
        ..ImportOptions::default()
    };
    let (left, right) = (left.as_ref(), right.as_ref());
    let l = import_file_with(left, &options)?;
    let r = import_file_with(right, &options)?;
    let mut combined = combine_pair(l, r, &text::display_name(left), &text::display_name(right))?;
    combined.paired_with = Some(right.to_path_buf());
    Ok(combined)
}

/// Imports in-memory bytes with the default options; `name` is used in messages and as the
/// display name (e.g. the original file name).
pub fn import_bytes(name: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
    import_bytes_with(name, bytes, &ImportOptions::default())
}

/// Imports in-memory bytes; see [`import_file_with`] (no pairing: there is no folder).
pub fn import_bytes_with(
    name: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    let mut imported = import_uncapped(name, bytes, options)?;
    cap_warnings(&mut imported.warnings);
    Ok(imported)
}

fn cap_warnings(warnings: &mut Vec<ImportWarning>) {
    if warnings.len() > MAX_WARNINGS {
        let dropped = warnings.len() - (MAX_WARNINGS - 1);
        warnings.truncate(MAX_WARNINGS - 1);
        warnings.push(ImportWarning::general(format!(
            "… and {dropped} more warnings"
        )));
    }
}

fn import_uncapped(
    name: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ImportError::file(
            name,
            ImportErrorKind::TooLarge {
                limit_mb: MAX_FILE_BYTES / 1_000_000,
            },
        ));
    }
    let text = text::decode(bytes).map_err(|kind| ImportError::file(name, kind))?;
    let lines = text::numbered_lines(&text);
    let meaningful: Vec<&str> = lines
        .iter()
        .map(|(_, l)| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if meaningful.is_empty() {
        return Err(ImportError::file(name, ImportErrorKind::Empty));
    }
    let mut warnings = Vec::new();
    let data_lines = meaningful.iter().filter(|l| table::is_data_line(l)).count();
    let apo_lines = meaningful
        .iter()
        .filter(|l| apo::is_apo_command_line(l))
        .count();

    if apo_lines > 0 && data_lines < 2 {
        let (profile, summary) = apo::parse_apo(name, &lines, &mut warnings)?;
        let format = if summary.rew {
            Format::RewFilterSettings
        } else if summary.graphic > 0 && summary.filters == 0 && summary.other_commands == 0 {
            Format::GraphicEq
        } else if summary.graphic == 0 && summary.other_commands == 0 {
            Format::ParametricEq
        } else {
            Format::EqualizerApoConfig
        };
        if profile.stages.is_empty() {
            warnings.push(ImportWarning::general(
                "the EQ has no active filters; it is flat",
            ));
        }
        return Ok(Imported {
            name: display_stem(name),
            format,
            content: Content::Eq(profile),
            warnings,
            paired_with: None,
        });
    }
    if data_lines == 0 {
        if meaningful.iter().all(|l| l.starts_with(['*', '#'])) {
            return Err(ImportError::file(name, ImportErrorKind::Empty));
        }
        return Err(ImportError::file(name, ImportErrorKind::UnknownFormat));
    }

    let table = table::parse_table(name, &lines, options.column.as_deref(), &mut warnings)?;
    let format = table_format(&table);
    let curve = curve_data::build_curve(name, table.points, &mut warnings)?;
    Ok(Imported {
        name: display_stem(name),
        format,
        content: Content::Curve(CurveImport {
            channels: ChannelCurves::Mono(curve),
            column: table.column,
            columns: table.columns,
        }),
        warnings,
        paired_with: None,
    })
}

const AUTOEQ_COLUMNS: [&str; 10] = [
    "raw",
    "smoothed",
    "error",
    "error_smoothed",
    "equalization",
    "parametric_eq",
    "fixed_band_eq",
    "equalized_raw",
    "equalized_smoothed",
    "target",
];

fn table_format(table: &table::Table) -> Format {
    let comma = matches!(
        table.layout,
        table::Layout::Delimited {
            separator: ',',
            decimal_comma: false
        }
    );
    let autoeq_header = comma
        && table.columns.len() >= 2
        && table.columns.first().is_some_and(|c| c == "frequency")
        && table.columns[1..]
            .iter()
            .all(|c| AUTOEQ_COLUMNS.contains(&c.as_str()));
    if autoeq_header {
        if table.columns.len() == 2 {
            return Format::AutoEqCsv;
        }
        return Format::AutoEqResultCsv;
    }
    let preamble = table.preamble.to_ascii_lowercase();
    if preamble.contains("rew")
        || preamble.contains("room eq wizard")
        || preamble.contains("freq(hz)")
    {
        return Format::RewText;
    }
    if matches!(table.layout, table::Layout::Whitespace { .. }) {
        return Format::CrinGraphText;
    }
    Format::DelimitedTable
}

/// The file stem without AutoEq's output suffixes.
fn display_stem(file: &str) -> String {
    let stem = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_owned());
    for suffix in [" ParametricEQ", " GraphicEQ", " FixedBandEQ"] {
        if let Some(s) = stem.strip_suffix(suffix) {
            return s.to_owned();
        }
    }
    stem
}

/// The channel marker at the end of a file stem and the stem without it:
/// `X L`, `X_L`, `X-L`, `X (L)`, `X Left` (any case).
fn split_channel_suffix(stem: &str) -> Option<(&str, Channel)> {
    const LEFT: [&str; 2] = ["L", "Left"];
    const RIGHT: [&str; 2] = ["R", "Right"];
    let trimmed = stem.trim_end();
    let (body, marker) = if let Some(inner) = trimmed.strip_suffix(')') {
        let open = inner.rfind('(')?;
        (&inner[..open], &inner[open + 1..])
    } else {
        let cut = trimmed.rfind([' ', '_', '-'])?;
        (&trimmed[..cut], &trimmed[cut + 1..])
    };
    let body = body.trim_end_matches([' ', '_', '-']);
    if body.is_empty() {
        return None;
    }
    if LEFT.iter().any(|m| m.eq_ignore_ascii_case(marker)) {
        Some((body, Channel::Left))
    } else if RIGHT.iter().any(|m| m.eq_ignore_ascii_case(marker)) {
        Some((body, Channel::Right))
    } else {
        None
    }
}

/// For `…/X L.txt`, the existing `…/X R.txt` (same separator style, any case of the marker).
fn find_partner(path: &Path) -> Option<(Channel, PathBuf)> {
    let stem = path.file_stem()?.to_str()?;
    let (body, channel) = split_channel_suffix(stem)?;
    let dir = path.parent()?;
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let entries = std::fs::read_dir(dir).ok()?;
    let ext = path.extension();
    for entry in entries.flatten().take(10_000) {
        let candidate = entry.path();
        if candidate == path || candidate.extension() != ext {
            continue;
        }
        let Some(other_stem) = candidate.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if let Some((other_body, other_channel)) = split_channel_suffix(other_stem)
            && other_body == body
            && other_channel != channel
            && candidate.is_file()
        {
            return Some((channel, candidate));
        }
    }
    None
}

fn combine_pair(
    left: Imported,
    right: Imported,
    left_file: &str,
    right_file: &str,
) -> Result<Imported, ImportError> {
    let take = |imported: Imported, file: &str| match imported.content {
        Content::Curve(CurveImport {
            channels: ChannelCurves::Mono(curve),
            column,
            columns,
        }) => Ok((curve, column, columns, imported.warnings, imported.format)),
        _ => Err(ImportError::invalid(
            file,
            "expected a single-channel measurement to combine into a left/right pair",
        )),
    };
    let name = Path::new(left_file)
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(split_channel_suffix)
        .map(|(body, _)| body.to_owned())
        .unwrap_or_else(|| display_stem(left_file));
    let (l, column, columns, lw, format) = take(left, left_file)?;
    let (r, _, _, rw, _) = take(right, right_file)?;
    let mut warnings: Vec<ImportWarning> = lw
        .into_iter()
        .map(|w| ImportWarning {
            message: format!("{left_file}: {}", w.message),
            ..w
        })
        .collect();
    warnings.extend(rw.into_iter().map(|w| ImportWarning {
        message: format!("{right_file}: {}", w.message),
        ..w
    }));
    cap_warnings(&mut warnings);
    Ok(Imported {
        name,
        format,
        content: Content::Curve(CurveImport {
            channels: ChannelCurves::Stereo { left: l, right: r },
            column,
            columns,
        }),
        warnings,
        paired_with: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_suffixes() {
        assert_eq!(
            split_channel_suffix("HD 650 L"),
            Some(("HD 650", Channel::Left))
        );
        assert_eq!(
            split_channel_suffix("HD650_R"),
            Some(("HD650", Channel::Right))
        );
        assert_eq!(
            split_channel_suffix("HD650 (left)"),
            Some(("HD650", Channel::Left))
        );
        assert_eq!(
            split_channel_suffix("HD650-Right"),
            Some(("HD650", Channel::Right))
        );
        assert_eq!(split_channel_suffix("HD650"), None);
        assert_eq!(split_channel_suffix("L"), None);
        assert_eq!(split_channel_suffix("Target"), None);
    }

    #[test]
    fn warnings_are_capped() {
        let text = format!("Preamp: -1 dB\n{}", "what is this\n".repeat(500));
        let imported = import_bytes("x.txt", text.as_bytes()).unwrap();
        assert_eq!(imported.warnings.len(), MAX_WARNINGS);
        assert_eq!(
            imported.warnings.last().map(|w| w.message.as_str()),
            Some("… and 401 more warnings")
        );
    }

    #[test]
    fn stems() {
        assert_eq!(
            display_stem("Sennheiser HD 600 ParametricEQ.txt"),
            "Sennheiser HD 600"
        );
        assert_eq!(display_stem("x.csv"), "x");
    }

    #[test]
    fn detection() {
        let cases: [(&str, Format); 7] = [
            ("frequency,raw\n20,1\n20000,2\n", Format::AutoEqCsv),
            (
                "frequency,raw,error,target\n20,1,2,3\n20000,2,3,4\n",
                Format::AutoEqResultCsv,
            ),
            (
                "* Measurement data measured by REW V5.20\n* Freq(Hz)\tSPL(dB)\tPhase(degrees)\n20\t80\t1\n20000\t70\t2\n",
                Format::RewText,
            ),
            ("20 80\n20000 70\n", Format::CrinGraphText),
            ("Hz;dB\n20;1\n20000;2\n", Format::DelimitedTable),
            (
                "Preamp: -1 dB\nFilter 1: ON PK Fc 100 Hz Gain 1 dB Q 1\n",
                Format::ParametricEq,
            ),
            ("GraphicEQ: 20 0; 20000 1\n", Format::GraphicEq),
        ];
        for (text, want) in cases {
            let got =
                import_bytes("x", text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(got.format, want, "{text:?}");
        }
    }
}
