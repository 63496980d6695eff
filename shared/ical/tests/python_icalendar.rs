//! An independent parser reads the export: Python's `icalendar`, run from the interpreter in
//! `HOLDFAST_PYTHON` (`make test` sets it to the project's venv). Unset, the test fails and says so.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;

use holdfast_ical::{ExportEvent, Span, export};
use jiff::Timestamp;
use jiff::civil::date;
use serde_json::{Value, json};

/// Prints, as JSON, the errors `icalendar` recorded and every VEVENT as it decoded it.
const SCRIPT: &str = r#"
import json, re, sys, icalendar
raw = open(sys.argv[1], "rb").read()
cal = icalendar.Calendar.from_ical(raw)
def text(prop):
    raw = prop.to_ical().decode()
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), raw)
def iso(prop):
    return None if prop is None else prop.dt.isoformat()
print(json.dumps({
    "version": icalendar.__version__,
    "errors": [[c.name, str(c.errors)] for c in cal.walk() if c.errors],
    # icalendar 7 keeps NAME and X-WR-CALNAME raw (vUnknown): undo the TEXT escaping here.
    "name": text(cal.get("NAME")),
    "x_wr_calname": text(cal.get("X-WR-CALNAME")),
    "prodid": str(cal.get("PRODID")),
    "method": str(cal.get("METHOD")),
    "events": [
        {
            "uid": str(e.get("UID")),
            "summary": str(e.get("SUMMARY")),
            "start": iso(e.get("DTSTART")),
            "end": iso(e.get("DTEND")),
            "dtstamp": iso(e.get("DTSTAMP")),
        }
        for e in cal.walk("VEVENT")
    ],
}))
"#;

#[test]
fn python_icalendar_reads_the_export() {
    let python = std::env::var("HOLDFAST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "HOLDFAST_PYTHON is not set: point it at a python3 that can `import icalendar` \
             (make test sets it to .holdfast/venv/bin/python; pip install icalendar there)"
        )
    });
    let stamp: Timestamp = "2026-08-30T10:00:00Z".parse().unwrap();
    let long_uid = format!("booking-{}@holdfast.example", "ñ".repeat(40));
    let events = [
        ExportEvent {
            uid: "b1@holdfast.example".into(),
            summary: "Reserved".into(),
            span: Span::Dates {
                start: date(2026, 10, 10),
                end: date(2026, 10, 13),
            },
            dtstamp: stamp,
        },
        ExportEvent {
            uid: long_uid.clone(),
            summary: "Blocked; maintenance, court 2\nback \\ soon – 日本語🏠".repeat(3),
            span: Span::Instants {
                start: "2026-10-10T15:30:00Z".parse().unwrap(),
                end: "2026-10-10T17:00:00Z".parse().unwrap(),
            },
            dtstamp: stamp,
        },
        ExportEvent {
            uid: "instant@holdfast.example".into(),
            summary: "Blocked".into(),
            span: Span::Instants {
                start: "2026-10-11T08:00:00Z".parse().unwrap(),
                end: "2026-10-11T08:00:00Z".parse().unwrap(),
            },
            dtstamp: stamp,
        },
    ];
    let name = "Cabaña 3; \"north\", by the lake";
    let feed = export(name, &events);
    let path = format!(
        "{}/python-icalendar-export.ics",
        env!("CARGO_TARGET_TMPDIR")
    );
    std::fs::write(&path, &feed).unwrap();

    let output = Command::new(&python)
        .args(["-c", SCRIPT, &path])
        .output()
        .unwrap_or_else(|e| panic!("HOLDFAST_PYTHON={python} could not run: {e}"));
    assert!(
        output.status.success(),
        "{python} failed (is icalendar installed?):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Value = serde_json::from_slice(&output.stdout).unwrap();
    eprintln!("icalendar {}", read["version"]);
    assert_eq!(read["errors"], json!([]), "icalendar recorded errors");
    assert_eq!(read["name"], json!(name));
    assert_eq!(read["x_wr_calname"], json!(name));
    assert_eq!(read["prodid"], json!("-//Holdfast//Holdfast Bookings//EN"));
    assert_eq!(read["method"], json!("PUBLISH"));
    assert_eq!(
        read["events"],
        json!([
            {
                "uid": "b1@holdfast.example", "summary": "Reserved",
                "start": "2026-10-10", "end": "2026-10-13", "dtstamp": "2026-08-30T10:00:00+00:00",
            },
            {
                "uid": long_uid, "summary": events[1].summary,
                "start": "2026-10-10T15:30:00+00:00", "end": "2026-10-10T17:00:00+00:00",
                "dtstamp": "2026-08-30T10:00:00+00:00",
            },
            {
                "uid": "instant@holdfast.example", "summary": "Blocked",
                "start": "2026-10-11T08:00:00+00:00", "end": null, "dtstamp": "2026-08-30T10:00:00+00:00",
            },
        ])
    );
}
