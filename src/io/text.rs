//! Reading a user file safely: a size cap checked before reading, text decoding that never
//! fails on stray bytes (UTF-8, UTF-16 with BOM, else Windows-1252/Latin-1), line splitting
//! that keeps 1-based line numbers for CRLF, LF and CR files, and a strict number parser.

use super::error::{ImportError, ImportErrorKind};
use std::io::Read;
use std::path::Path;

/// Reads at most `limit_bytes` of `path`; a larger file is refused without reading it (the
/// metadata length is checked first, and the read is bounded in case the length lies, as for
/// pipes and device files).
pub(crate) fn read_capped(
    path: &Path,
    file: &str,
    limit_bytes: u64,
) -> Result<Vec<u8>, ImportError> {
    let io_err = |e| ImportError::file(file, ImportErrorKind::Io(e));
    let too_large = || {
        ImportError::file(
            file,
            ImportErrorKind::TooLarge {
                limit_mb: limit_bytes / 1_000_000,
            },
        )
    };
    let handle = std::fs::File::open(path).map_err(io_err)?;
    let meta = handle.metadata().map_err(io_err)?;
    if meta.is_dir() {
        return Err(ImportError::invalid(file, "this is a folder, not a file"));
    }
    if meta.len() > limit_bytes {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    handle
        .take(limit_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > limit_bytes {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Decodes file bytes to text. UTF-8 (a BOM is dropped) and UTF-16 with a BOM are decoded as
/// such; anything else is read as Windows-1252 so that a Latin-1 comment never stops an import
/// (the numbers we need are ASCII in every encoding). Binary data is refused.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, ImportErrorKind> {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        decode_8bit(rest)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        decode_utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        decode_utf16(rest, u16::from_be_bytes)
    } else {
        decode_8bit(bytes)
    };
    if looks_binary(&text) {
        return Err(ImportErrorKind::Binary);
    }
    Ok(text)
}

fn decode_8bit(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
    }
}

fn decode_utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| word([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Windows-1252, the usual "ANSI" code page of files written on Western Windows systems; its
/// 0x80–0x9F range differs from Latin-1, everything else is identical.
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// NUL anywhere, or more than 1 % C0 control characters other than whitespace.
fn looks_binary(text: &str) -> bool {
    let mut total = 0usize;
    let mut control = 0usize;
    for c in text.chars() {
        total += 1;
        if c == '\0' {
            return true;
        }
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{0C}') && (c as u32) < 0x20 {
            control += 1;
        }
    }
    control * 100 > total
}

/// Splits text into `(1-based line number, line)` pairs. CRLF, LF and lone CR (classic Mac)
/// all end a line, and CRLF counts once.
pub(crate) fn numbered_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0usize;
    let mut i = 0usize;
    let mut number = 1usize;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push((number, &text[start..i]));
                number += 1;
                start = i + 1;
            }
            b'\r' => {
                out.push((number, &text[start..i]));
                number += 1;
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < text.len() {
        out.push((number, &text[start..]));
    }
    out
}

/// Parses a whole token as a finite decimal number: optional sign, digits with an optional
/// `.` fraction (at least one digit), optional exponent. Unlike `f64::from_str` it refuses
/// `inf`, `NaN` and overflow, which must never enter a curve.
pub(crate) fn parse_number(token: &str) -> Option<f64> {
    let (value, used) = parse_number_prefix(token)?;
    (used == token.len()).then_some(value)
}

/// Parses the longest prefix of `s` that is a finite decimal number (what C's `strtod` does
/// for the number tokens Equalizer APO reads). Returns the value and the bytes used.
pub(crate) fn parse_number_prefix(s: &str) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    let mut i = 0usize;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        let frac_start = i + 1;
        let mut j = frac_start;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        digits += j - frac_start;
        i = j;
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    let value: f64 = s.get(..i)?.parse().ok()?;
    value.is_finite().then_some((value, i))
}

/// The last path component as text, for messages.
pub(crate) fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_strict() {
        assert_eq!(parse_number("20"), Some(20.0));
        assert_eq!(parse_number("-3.25"), Some(-3.25));
        assert_eq!(parse_number("+.5"), Some(0.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("2."), Some(2.0));
        for bad in [
            "", "-", ".", "abc", "inf", "NaN", "1e999", "1,5", "3 4", "1e",
        ] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn number_prefix_like_strtod() {
        assert_eq!(parse_number_prefix("1.2.3"), Some((1.2, 3)));
        assert_eq!(parse_number_prefix("5e"), Some((5.0, 1)));
        assert_eq!(parse_number_prefix("-6.8dB"), Some((-6.8, 4)));
        assert_eq!(parse_number_prefix("e5"), None);
    }

    #[test]
    fn lines_keep_numbers_for_every_ending() {
        let t = "a\r\nb\rc\n\nd";
        let got: Vec<_> = numbered_lines(t);
        assert_eq!(got, vec![(1, "a"), (2, "b"), (3, "c"), (4, ""), (5, "d")]);
    }

    #[test]
    fn decoding_bom_utf16_and_latin1() {
        assert_eq!(decode(b"\xEF\xBB\xBF20,1").ok().as_deref(), Some("20,1"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("20\t1".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode(&utf16).ok().as_deref(), Some("20\t1"));
        // "Kopfhörer" in Latin-1.
        assert_eq!(decode(b"Kopfh\xF6rer").ok().as_deref(), Some("Kopfhörer"));
        assert!(matches!(decode(b"ab\0cd"), Err(ImportErrorKind::Binary)));
        assert!(matches!(
            decode(&[1, 2, 3, 4, 5, 6, 7, 8]),
            Err(ImportErrorKind::Binary)
        ));
    }
}
