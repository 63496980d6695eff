//! Content lines: a feed's bytes to unfolded logical lines, and one line to its name, parameters and value.
//! Lenient on purpose: CRLF, LF or CR ends, a BOM, UTF-16, folds that split a UTF-8 character, stray bytes.

use std::borrow::Cow;

/// One logical (unfolded) line and where it started, for warnings.
pub(crate) struct Logical {
    pub number: usize,
    pub text: String,
}

/// Strips a UTF-8 BOM and turns UTF-16 (which some Windows exporters write) into UTF-8.
pub(crate) fn decode(feed: &[u8]) -> Cow<'_, [u8]> {
    if let Some(rest) = feed.strip_prefix(b"\xEF\xBB\xBF") {
        return Cow::Borrowed(rest);
    }
    let utf16 = |rest: &[u8], big_endian: bool| {
        let units = rest.chunks_exact(2).map(|pair| {
            if big_endian {
                u16::from_be_bytes([pair[0], pair[1]])
            } else {
                u16::from_le_bytes([pair[0], pair[1]])
            }
        });
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        Cow::Owned(text.into_bytes())
    };
    if let Some(rest) = feed.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, false);
    }
    if let Some(rest) = feed.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, true);
    }
    Cow::Borrowed(feed)
}

/// Splits into physical lines and unfolds them. Unfolding joins bytes before decoding, because writers that
/// fold at 75 octets without care split multi-byte characters, and joining first puts them back together.
pub(crate) fn unfold(bytes: &[u8]) -> Vec<Logical> {
    // A feed with no LF at all uses bare CR (old Mac exporters); otherwise LF ends lines and a CR before it goes.
    let separator = if bytes.contains(&b'\n') { b'\n' } else { b'\r' };
    let mut out: Vec<(usize, Vec<u8>)> = Vec::new();
    for (index, raw) in bytes.split(|&b| b == separator).enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.is_empty() {
            continue;
        }
        if matches!(line[0], b' ' | b'\t') {
            if let Some((_, current)) = out.last_mut() {
                current.extend_from_slice(&line[1..]);
                continue;
            }
        }
        out.push((index + 1, line.to_vec()));
    }
    out.into_iter()
        .map(|(number, bytes)| Logical {
            number,
            text: match String::from_utf8(bytes) {
                Ok(text) => text,
                // Latin-1 or broken bytes: keep the line, replace what cannot be read.
                Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
            },
        })
        .collect()
}

/// `NAME;PARAM=VALUE,VALUE;PARAM="QUOTED":VALUE`, with the name and parameter names upper-cased.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ContentLine<'a> {
    pub name: String,
    pub params: Vec<(String, Vec<String>)>,
    pub value: &'a str,
}

impl ContentLine<'_> {
    /// The first value of a parameter (`TZID`, `VALUE`), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, values)| values.first())
            .map(String::as_str)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// Reads one logical line; `None` for anything that is not a content line (garbage, HTML, a truncated
/// parameter list), which the caller counts and skips.
pub(crate) fn parse_line(line: &str) -> Option<ContentLine<'_>> {
    let name_end = line.find(|c: char| !is_name_char(c))?;
    if name_end == 0 {
        return None;
    }
    let name = line[..name_end].to_ascii_uppercase();
    let mut rest = &line[name_end..];
    let mut params = Vec::new();
    loop {
        if let Some(value) = rest.strip_prefix(':') {
            return Some(ContentLine {
                name,
                params,
                value,
            });
        }
        rest = rest.strip_prefix(';')?;
        let eq = rest.find(|c: char| !is_name_char(c))?;
        if eq == 0 || !rest[eq..].starts_with('=') {
            return None;
        }
        let param_name = rest[..eq].to_ascii_uppercase();
        rest = &rest[eq + 1..];
        let mut values = Vec::new();
        loop {
            if let Some(quoted) = rest.strip_prefix('"') {
                let close = quoted.find('"')?;
                values.push(quoted[..close].to_string());
                rest = &quoted[close + 1..];
            } else {
                let end = rest.find([',', ';', ':', '"'])?;
                values.push(rest[..end].to_string());
                rest = &rest[end..];
            }
            match rest.strip_prefix(',') {
                Some(more) => rest = more,
                None => break,
            }
        }
        params.push((param_name, values));
    }
}

/// Undoes TEXT escaping (RFC 5545 3.3.11). An unknown escape keeps its character rather than failing the line.
pub(crate) fn unescape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Logical]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn unfolds_crlf_lf_and_cr_feeds_alike() {
        for feed in [
            &b"A:1\r\nB:2\r\n  3\r\n\tfour\r\nC:5"[..],
            b"A:1\nB:2\n  3\n\tfour\nC:5\n",
            b"A:1\rB:2\r  3\r\tfour\rC:5\r",
        ] {
            let lines = unfold(feed);
            assert_eq!(texts(&lines), ["A:1", "B:2 3four", "C:5"]);
            assert_eq!(lines[2].number, 5);
        }
    }

    #[test]
    fn unfolding_rejoins_a_character_split_across_lines() {
        // "é" is C3 A9: a careless writer put C3 at the end of one line and A9 on the next.
        let lines = unfold(b"SUMMARY:Caf\xC3\r\n \xA9 cr\xC3\xA8me\r\n");
        assert_eq!(texts(&lines), ["SUMMARY:Café crème"]);
    }

    #[test]
    fn bad_bytes_are_replaced_not_fatal() {
        let lines = unfold(b"SUMMARY:Ca\xE9\r\nUID:x\r\n");
        assert_eq!(texts(&lines), ["SUMMARY:Ca\u{FFFD}", "UID:x"]);
    }

    #[test]
    fn a_bom_and_utf16_are_decoded() {
        assert_eq!(&*decode(b"\xEF\xBB\xBFBEGIN:VCALENDAR"), b"BEGIN:VCALENDAR");
        let utf16le: Vec<u8> = "\u{FEFF}UID:ñ"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(&*decode(&utf16le), "UID:ñ".as_bytes());
        let utf16be: Vec<u8> = "\u{FEFF}UID:ñ"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(&*decode(&utf16be), "UID:ñ".as_bytes());
    }

    #[test]
    fn reads_names_parameters_and_values() {
        let line = parse_line(
            r#"dtstart;tzid="America/New_York";X-A=b,"c:d";VALUE=DATE-TIME:20261010T100000"#,
        )
        .unwrap();
        assert_eq!(line.name, "DTSTART");
        assert_eq!(line.param("TZID"), Some("America/New_York"));
        assert_eq!(
            line.params[1],
            ("X-A".to_string(), vec!["b".to_string(), "c:d".to_string()])
        );
        assert_eq!(line.value, "20261010T100000");
        // A colon inside the value is the value's.
        assert_eq!(
            parse_line("URL:https://a.example/x").unwrap().value,
            "https://a.example/x"
        );
        assert_eq!(parse_line("X-EMPTY:").unwrap().value, "");
    }

    #[test]
    fn garbage_is_not_a_content_line() {
        for garbage in [
            "",
            ":value",
            "no colon here",
            "<html><body>",
            "DTSTART;TZID",
            "DTSTART;TZID=\"open:20261010",
            "DTSTART;=x:1",
            "DTSTART;TZID=a\"b:1",
        ] {
            assert!(parse_line(garbage).is_none(), "{garbage:?}");
        }
    }

    #[test]
    fn unescapes_text() {
        assert_eq!(
            unescape_text(r"a\, b\; c\\d\nE\Nf\x\"),
            "a, b; c\\d\nE\nfx\\"
        );
        // Booking.com's PRODID escapes a backslash and then a comma.
        assert_eq!(
            unescape_text(r"admin.booking.com\\\, b.v."),
            r"admin.booking.com\, b.v."
        );
    }
}
