//! The tolerant reader for frequency-response tables: AutoEq CSVs (measurements and results),
//! REW text exports and squig.link / CrinGraph `.txt` files.
//!
//! It follows AutoEq's parser (`autoeq/csv.py@3b1d626a`, DSP_REFERENCE.md §3.1): a data line
//! starts with a number; the column separator is the one of `, ; TAB |` present on every data
//! line; a comma together with another separator is the decimal mark; a header cell starting
//! with `freq` names the frequency column and one starting with `spl|gain|ampl|raw` the
//! magnitude. It is more tolerant in a few places: `*`/`#` comment and REW header lines are
//! skipped, whitespace-separated files (CrinGraph's `tsvParse`, §3.5) are read, a header with a
//! different cell count than the data is still used, `dB`/`magnitude`/`level` headers are
//! understood, and the caller may pick any named column (e.g. `target` in a result CSV).

use super::curve_data::RawPoint;
use super::error::{ImportError, ImportWarning, excerpt};
use super::text::parse_number;

/// How the cells of a line are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One separator character (`,` `;` TAB `|`) present on every data line.
    Delimited {
        separator: char,
        decimal_comma: bool,
    },
    /// Runs of whitespace (and `,` as CrinGraph allows, unless commas are decimal marks).
    Whitespace { decimal_comma: bool },
}

/// A parsed table: the chosen column's points and what was learnt about the file.
#[derive(Debug)]
pub(crate) struct Table {
    /// The points of the frequency column and the chosen magnitude column.
    pub points: Vec<RawPoint>,
    /// Header cells, empty when the file has no header.
    pub columns: Vec<String>,
    /// Name of the magnitude column used (`"column 2"` when there is no header).
    pub column: String,
    /// How the lines were split.
    pub layout: Layout,
    /// Text of the comment lines (`*`/`#`) before the data, for format detection.
    pub preamble: String,
}

/// True for a line (already trimmed) that starts like a number.
pub(crate) fn is_data_line(trimmed: &str) -> bool {
    let b = trimmed.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'+' | b'-') => match b.get(1) {
            Some(c) if c.is_ascii_digit() => true,
            Some(b'.') => b.get(2).is_some_and(u8::is_ascii_digit),
            _ => false,
        },
        Some(b'.') => b.get(1).is_some_and(u8::is_ascii_digit),
        _ => false,
    }
}

fn is_comment(trimmed: &str) -> bool {
    trimmed.starts_with('*')
        || trimmed.starts_with('#')
        || trimmed.starts_with("//")
        || trimmed.starts_with(';')
}

/// Finds the layout from the data lines as AutoEq's `find_csv_separators` does, plus the
/// whitespace cases.
fn detect_layout(data: &[(usize, &str)]) -> Layout {
    const CANDIDATES: [char; 4] = [',', ';', '\t', '|'];
    let mut present: Vec<char> = CANDIDATES
        .into_iter()
        .filter(|&c| data.iter().all(|(_, l)| l.contains(c)))
        .collect();
    if present.is_empty() {
        return Layout::Whitespace {
            decimal_comma: false,
        };
    }
    if present == [','] {
        // "20,5 63,2": whitespace-separated with decimal commas. "20.0, 3.0" has tokens
        // ending in a comma, which do not parse, so it stays comma-separated.
        let whitespace_decimal = data.iter().all(|(_, l)| {
            let tokens: Vec<&str> = l.split_whitespace().collect();
            tokens.len() >= 2
                && tokens
                    .iter()
                    .all(|t| parse_number(&t.replace(',', ".")).is_some())
        });
        if whitespace_decimal {
            return Layout::Whitespace {
                decimal_comma: true,
            };
        }
        return Layout::Delimited {
            separator: ',',
            decimal_comma: false,
        };
    }
    let decimal_comma = present.contains(&',');
    present.retain(|&c| c != ',');
    // Several separators on every line (AutoEq gives up here): prefer TAB, then `;`, then `|`.
    let separator = ['\t', ';', '|']
        .into_iter()
        .find(|c| present.contains(c))
        .unwrap_or('\t');
    Layout::Delimited {
        separator,
        decimal_comma,
    }
}

fn split_cells(line: &str, layout: Layout) -> Vec<&str> {
    match layout {
        Layout::Delimited { separator, .. } => line.split(separator).map(str::trim).collect(),
        Layout::Whitespace { decimal_comma } => line
            .split(|c: char| {
                c.is_whitespace() || (!decimal_comma && (c == ',' || c == ';' || c == '|'))
            })
            .filter(|s| !s.is_empty())
            .collect(),
    }
}

fn clean_header_cell(cell: &str) -> String {
    cell.trim()
        .trim_start_matches(['*', '#'])
        .trim()
        .trim_matches(['"', '\''])
        .trim()
        .to_owned()
}

fn is_freq_header(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.starts_with("freq")
        || l == "hz"
        || l == "f"
        || l.starts_with("f(hz")
        || l.starts_with("f [hz")
}

fn starts_with_any(name: &str, prefixes: &[&str]) -> bool {
    let l = name.to_ascii_lowercase();
    prefixes.iter().any(|p| l.starts_with(p))
}

fn parse_cell(cell: &str, decimal_comma: bool) -> Option<f64> {
    let cell = cell.trim().trim_matches('"').trim();
    if decimal_comma {
        parse_number(&cell.replace(',', "."))
    } else {
        parse_number(cell)
    }
}

/// Reads the table in `lines`. `column`: the header name of the magnitude column to use
/// (case-insensitive); `None` picks AutoEq's magnitude column (`raw` first).
pub(crate) fn parse_table(
    file: &str,
    lines: &[(usize, &str)],
    column: Option<&str>,
    warnings: &mut Vec<ImportWarning>,
) -> Result<Table, ImportError> {
    let trimmed: Vec<(usize, &str)> = lines.iter().map(|&(n, l)| (n, l.trim())).collect();
    let data: Vec<(usize, &str)> = trimmed
        .iter()
        .copied()
        .filter(|(_, l)| is_data_line(l))
        .collect();
    let Some(&(first_data_line, _)) = data.first() else {
        return Err(ImportError::invalid(
            file,
            "expected lines of numbers (frequency and level), found none",
        ));
    };
    let layout = detect_layout(&data);
    let decimal_comma = match layout {
        Layout::Delimited { decimal_comma, .. } | Layout::Whitespace { decimal_comma } => {
            decimal_comma
        }
    };

    let before_data: Vec<(usize, &str)> = trimmed
        .iter()
        .copied()
        .filter(|&(n, l)| n < first_data_line && !l.is_empty())
        .collect();
    let preamble: String = before_data
        .iter()
        .map(|(_, l)| *l)
        .collect::<Vec<_>>()
        .join("\n");

    // The header is the closest line above the data with a cell naming the frequency.
    let columns: Vec<String> = before_data
        .iter()
        .rev()
        .map(|(_, l)| {
            let stripped = l.trim_start_matches(['*', '#']).trim();
            split_cells(stripped, layout)
                .into_iter()
                .map(clean_header_cell)
                .collect::<Vec<_>>()
        })
        .find(|cells| cells.len() >= 2 && cells.iter().any(|c| is_freq_header(c)))
        .unwrap_or_default();

    let (freq_index, mag_index) = if columns.is_empty() {
        if let Some(name) = column {
            return Err(ImportError::invalid(
                file,
                format!(
                    "expected a header row with a column named \"{}\", found no header",
                    excerpt(name)
                ),
            ));
        }
        (0, 1)
    } else {
        let freq_index = columns.iter().position(|c| is_freq_header(c)).unwrap_or(0);
        let mag_index = match column {
            Some(name) => columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    ImportError::invalid(
                        file,
                        format!(
                            "expected a column named \"{}\", found only {}",
                            excerpt(name),
                            columns
                                .iter()
                                .map(|c| format!("\"{}\"", excerpt(c)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?,
            None => pick_magnitude_column(&columns, freq_index, warnings),
        };
        (freq_index, mag_index)
    };
    let column_label = |index: usize| match columns.get(index) {
        Some(name) => format!("column {} (\"{}\")", index + 1, excerpt(name)),
        None => format!("column {}", index + 1),
    };
    let column_name = columns
        .get(mag_index)
        .cloned()
        .unwrap_or_else(|| format!("column {}", mag_index + 1));

    let mut points = Vec::with_capacity(data.len());
    let mut skipped: Option<(usize, usize)> = None;
    for &(n, l) in trimmed.iter().filter(|(n, _)| *n >= first_data_line) {
        if l.is_empty() || is_comment(l) {
            continue;
        }
        if !is_data_line(l) {
            skipped = Some(match skipped {
                None => (n, 1),
                Some((first, count)) => (first, count + 1),
            });
            continue;
        }
        let cells = split_cells(l, layout);
        let read = |index: usize| -> Result<f64, ImportError> {
            match cells.get(index) {
                None => Err(ImportError::at(
                    file,
                    n,
                    format!(
                        "expected a number in {}, found nothing (the line has {} columns)",
                        column_label(index),
                        cells.len()
                    ),
                )),
                Some(cell) => parse_cell(cell, decimal_comma).ok_or_else(|| {
                    ImportError::at(
                        file,
                        n,
                        format!(
                            "expected a number in {}, found \"{}\"",
                            column_label(index),
                            excerpt(cell)
                        ),
                    )
                }),
            }
        };
        let freq_hz = read(freq_index)?;
        let db = read(mag_index)?;
        points.push(RawPoint {
            line: n,
            freq_hz,
            db,
        });
    }
    if let Some((first, count)) = skipped {
        warnings.push(ImportWarning::at(
            first,
            format!("{count} line(s) among the data are not numbers and were skipped"),
        ));
    }
    Ok(Table {
        points,
        columns,
        column: column_name,
        layout,
        preamble,
    })
}

/// AutoEq's rule (`raw`, else `spl|gain|ampl|raw…`), then common names (`dB`, `magnitude`,
/// `level`), else the first column that is neither the frequency nor a phase, with a warning.
fn pick_magnitude_column(
    columns: &[String],
    freq_index: usize,
    warnings: &mut Vec<ImportWarning>,
) -> usize {
    let candidates = || {
        columns
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != freq_index)
    };
    if let Some((i, _)) = candidates().find(|(_, c)| c.eq_ignore_ascii_case("raw")) {
        return i;
    }
    if let Some((i, _)) =
        candidates().find(|(_, c)| starts_with_any(c, &["spl", "gain", "ampl", "raw"]))
    {
        return i;
    }
    if let Some((i, _)) = candidates().find(|(_, c)| {
        starts_with_any(c, &["db", "mag", "level", "response", "value", "amplitude"])
    }) {
        return i;
    }
    let fallback = candidates()
        .find(|(_, c)| !starts_with_any(c, &["phase", "coh", "distortion", "thd"]))
        .map(|(i, _)| i)
        .unwrap_or(if freq_index == 0 { 1 } else { 0 });
    warnings.push(ImportWarning::general(format!(
        "no column is named like a level (raw, SPL, gain, dB); using column {} (\"{}\")",
        fallback + 1,
        columns.get(fallback).map(String::as_str).unwrap_or("")
    )));
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::text::numbered_lines;

    fn table(text: &str, column: Option<&str>) -> Result<Table, ImportError> {
        let mut w = Vec::new();
        parse_table("t.csv", &numbered_lines(text), column, &mut w)
    }

    fn xy(t: &Table) -> Vec<(f64, f64)> {
        t.points.iter().map(|p| (p.freq_hz, p.db)).collect()
    }

    const EXPECT: [(f64, f64); 3] = [(20.0, 0.0), (1000.0, 3.0), (20000.0, 0.0)];

    /// The accepted inputs of AutoEq's own parser tests (`tests/test_csv.py`), retyped.
    #[test]
    fn autoeq_parser_cases() {
        let cases = [
            "frequency,raw\n20,0\n1000,3\n20000,0\n",
            "freq\tspl\n20.0\t0.0\n1000.0\t3.0\n20000.0\t0.0\n",
            "frequency; raw\n20,0; 0,0\n1000,0; 3,0\n20000,0; 0,0\n",
            "\nFrequency\tdB\tUnweighted\n20.0\t0\n1000.0\t3.0\n20000.0\t0\n",
            "* Measurement data measured by REW V5.19\n* Freq(Hz), SPL(dB), Phase(degrees)\n\
             20.000, 0.000, 64.208\n1000.000, 3.000, 63.426\n20000.000, 0.000, 62.377\n",
            "20.0\t0.0\n1000.0\t3.0\n20000.0\t0.0\n",
            "error,frequency,raw\n0,20,0\n-1,1000,3\n1,20000,0\n",
        ];
        for text in cases {
            let t = table(text, None).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(xy(&t), EXPECT, "{text:?}");
        }
    }

    #[test]
    fn layouts() {
        let t = table("20,5 1,5\n1000 3\n", None).unwrap();
        assert_eq!(
            t.layout,
            Layout::Whitespace {
                decimal_comma: false
            }
        );
        let t = table("20,5 1,5\n1000,0 3,0\n", None).unwrap();
        assert_eq!(
            t.layout,
            Layout::Whitespace {
                decimal_comma: true
            }
        );
        assert_eq!(xy(&t), vec![(20.5, 1.5), (1000.0, 3.0)]);
        let t = table("20|1\n30|2\n", None).unwrap();
        assert_eq!(
            t.layout,
            Layout::Delimited {
                separator: '|',
                decimal_comma: false
            }
        );
    }

    #[test]
    fn picks_a_named_column() {
        let text = "frequency,raw,error,target\n20,1,2,3\n1000,4,5,6\n";
        let t = table(text, Some("TARGET")).unwrap();
        assert_eq!(xy(&t), vec![(20.0, 3.0), (1000.0, 6.0)]);
        assert_eq!(t.column, "target");
        let e = table(text, Some("smoothed")).unwrap_err();
        assert!(e.to_string().contains("\"smoothed\""), "{e}");
    }

    #[test]
    fn bad_cell_names_line_and_column() {
        let e = table("frequency,raw\n20,1\n30,abc\n", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv:3: expected a number in column 2 (\"raw\"), found \"abc\""
        );
        let e = table("20\t1\n30\n", None).unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
