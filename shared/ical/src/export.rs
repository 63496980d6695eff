//! The feed writer: RFC 5545 with CRLF line ends, lines folded at 75 octets on character boundaries,
//! TEXT escaped, all-day spans as `VALUE=DATE` and timed spans as UTC `DATE-TIME`.

use crate::value::{format_date, format_utc};
use crate::{ExportEvent, Span};

/// RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break.
const FOLD_AT: usize = 75;

/// Escapes a TEXT value (RFC 5545 3.3.11). Control characters other than tab and newline are not allowed in
/// a value (3.1), so they are dropped; any line break becomes `\n`.
pub(crate) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded: at most 75 octets per physical line (a continuation's leading space
/// counts), split only between characters so no UTF-8 sequence is cut.
pub(crate) fn push_folded(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = FOLD_AT;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = FOLD_AT - 1;
    }
}

fn push_span(out: &mut String, span: &Span) {
    match *span {
        Span::Dates { start, end } => {
            push_folded(out, &format!("DTSTART;VALUE=DATE:{}", format_date(start)));
            // An empty span is written without DTEND, which RFC 5545 reads as one day.
            if end > start {
                push_folded(out, &format!("DTEND;VALUE=DATE:{}", format_date(end)));
            }
        }
        Span::Instants { start, end } => {
            push_folded(out, &format!("DTSTART:{}", format_utc(start)));
            // DTEND must be later than DTSTART; an instantaneous event has none.
            if end > start {
                push_folded(out, &format!("DTEND:{}", format_utc(end)));
            }
        }
    }
}

/// Writes a feed of `events` under `calendar_name` (`NAME` and `X-WR-CALNAME`, what calendar apps show). The
/// events' summaries are published as given: callers pass "Reserved" or "Blocked", never customer data.
pub fn export(calendar_name: &str, events: &[ExportEvent]) -> String {
    let mut out = String::with_capacity(256 + events.len() * 200);
    for line in [
        "BEGIN:VCALENDAR",
        "PRODID:-//Holdfast//Holdfast Bookings//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        push_folded(&mut out, line);
    }
    // NAME is RFC 7986's; X-WR-CALNAME is what Apple, Google and Outlook read. Both are TEXT.
    let name = escape_text(calendar_name);
    push_folded(&mut out, &format!("NAME:{name}"));
    push_folded(&mut out, &format!("X-WR-CALNAME:{name}"));
    for event in events {
        push_folded(&mut out, "BEGIN:VEVENT");
        push_folded(&mut out, &format!("UID:{}", escape_text(&event.uid)));
        push_folded(&mut out, &format!("DTSTAMP:{}", format_utc(event.dtstamp)));
        push_span(&mut out, &event.span);
        push_folded(
            &mut out,
            &format!("SUMMARY:{}", escape_text(&event.summary)),
        );
        // Opaque: subscribers' free/busy views count the time as taken.
        push_folded(&mut out, "TRANSP:OPAQUE");
        push_folded(&mut out, "END:VEVENT");
    }
    push_folded(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::{unescape_text, unfold};

    #[test]
    fn escapes_text() {
        assert_eq!(
            escape_text("a\\b;c,d\ne\r\nf\rg\u{7}\th"),
            "a\\\\b\\;c\\,d\\ne\\nf\\ng\th"
        );
        for text in ["Reserved", "x;y,z\\w\nv", "ñandú, «quoted»; \\n literal"] {
            assert_eq!(unescape_text(&escape_text(text)), text);
        }
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        for text in [
            "a".repeat(300),
            "é".repeat(200),
            "日本語".repeat(70),
            "🏠".repeat(90),
            format!("{}é{}", "a".repeat(73), "b".repeat(100)),
        ] {
            let mut out = String::new();
            push_folded(&mut out, &format!("SUMMARY:{text}"));
            assert!(out.ends_with("\r\n"));
            let physical: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
            assert!(physical.len() > 1);
            for (i, line) in physical.iter().enumerate() {
                assert!(line.len() <= 75, "line {i} is {} octets", line.len());
                assert_eq!(i > 0, line.starts_with(' '));
                // Each physical line is valid UTF-8 on its own: `&str` split on boundaries only.
                assert!(std::str::from_utf8(line.as_bytes()).is_ok());
            }
            // Full lines are used: only the last may be short (by less than one character).
            for line in &physical[..physical.len() - 1] {
                assert!(line.len() > 75 - 4);
            }
            let unfolded = unfold(out.as_bytes());
            assert_eq!(unfolded.len(), 1);
            assert_eq!(unfolded[0].text, format!("SUMMARY:{text}"));
        }
        let mut short = String::new();
        push_folded(&mut short, &"x".repeat(75));
        assert_eq!(short, format!("{}\r\n", "x".repeat(75)));
    }
}
