//! Time zones a feed names in `TZID`: IANA names through jiff's bundled tz database, Windows names through
//! CLDR's mapping, anything else through the feed's own VTIMEZONE rules; the caller falls back for the rest.

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

use crate::rrule::{self, Freq};

/// One STANDARD or DAYLIGHT block of a VTIMEZONE.
#[derive(Debug, Clone, Default)]
pub(crate) struct Observance {
    pub daylight: bool,
    pub dtstart: Option<DateTime>,
    pub offset_to: Option<Offset>,
    pub rrule: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct VTimezone {
    pub tzid: String,
    /// `X-LIC-LOCATION`, which Google and libical write with the IANA name.
    pub location: Option<String>,
    pub observances: Vec<Observance>,
}

/// How a `TZID` was understood, for the warning a non-IANA one gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Iana,
    Windows,
    Definition,
}

/// Windows time zone names (what Outlook and Exchange put in `TZID`) to IANA, from CLDR's
/// windowsZones.xml (territory 001): the zones feeds carry in practice, not the whole list.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("Dateline Standard Time", "Etc/GMT+12"),
    ("UTC-11", "Etc/GMT+11"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Pacific Standard Time (Mexico)", "America/Tijuana"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Mountain Standard Time (Mexico)", "America/Mazatlan"),
    ("Mountain Standard Time", "America/Denver"),
    ("Central America Standard Time", "America/Guatemala"),
    ("Central Standard Time", "America/Chicago"),
    ("Central Standard Time (Mexico)", "America/Mexico_City"),
    ("Canada Central Standard Time", "America/Regina"),
    ("SA Pacific Standard Time", "America/Bogota"),
    ("Eastern Standard Time (Mexico)", "America/Cancun"),
    ("Eastern Standard Time", "America/New_York"),
    ("US Eastern Standard Time", "America/Indiana/Indianapolis"),
    ("Cuba Standard Time", "America/Havana"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("Venezuela Standard Time", "America/Caracas"),
    ("Central Brazilian Standard Time", "America/Cuiaba"),
    ("SA Western Standard Time", "America/La_Paz"),
    ("Pacific SA Standard Time", "America/Santiago"),
    ("Newfoundland Standard Time", "America/St_Johns"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("Argentina Standard Time", "America/Argentina/Buenos_Aires"),
    ("SA Eastern Standard Time", "America/Cayenne"),
    ("Greenland Standard Time", "America/Nuuk"),
    ("Montevideo Standard Time", "America/Montevideo"),
    ("Paraguay Standard Time", "America/Asuncion"),
    ("UTC-02", "Etc/GMT+2"),
    ("Azores Standard Time", "Atlantic/Azores"),
    ("Cape Verde Standard Time", "Atlantic/Cape_Verde"),
    ("UTC", "Etc/UTC"),
    ("Coordinated Universal Time", "Etc/UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("Morocco Standard Time", "Africa/Casablanca"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("W. Central Africa Standard Time", "Africa/Lagos"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("Middle East Standard Time", "Asia/Beirut"),
    ("Egypt Standard Time", "Africa/Cairo"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kyiv"),
    ("Israel Standard Time", "Asia/Jerusalem"),
    ("South Africa Standard Time", "Africa/Johannesburg"),
    ("Jordan Standard Time", "Asia/Amman"),
    ("Syria Standard Time", "Asia/Damascus"),
    ("Namibia Standard Time", "Africa/Windhoek"),
    ("Turkey Standard Time", "Europe/Istanbul"),
    ("Kaliningrad Standard Time", "Europe/Kaliningrad"),
    ("Belarus Standard Time", "Europe/Minsk"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("Arabic Standard Time", "Asia/Baghdad"),
    ("Arab Standard Time", "Asia/Riyadh"),
    ("E. Africa Standard Time", "Africa/Nairobi"),
    ("Iran Standard Time", "Asia/Tehran"),
    ("Arabian Standard Time", "Asia/Dubai"),
    ("Azerbaijan Standard Time", "Asia/Baku"),
    ("Georgian Standard Time", "Asia/Tbilisi"),
    ("Caucasus Standard Time", "Asia/Yerevan"),
    ("Afghanistan Standard Time", "Asia/Kabul"),
    ("Ekaterinburg Standard Time", "Asia/Yekaterinburg"),
    ("Pakistan Standard Time", "Asia/Karachi"),
    ("West Asia Standard Time", "Asia/Tashkent"),
    ("India Standard Time", "Asia/Kolkata"),
    ("Sri Lanka Standard Time", "Asia/Colombo"),
    ("Nepal Standard Time", "Asia/Kathmandu"),
    ("Central Asia Standard Time", "Asia/Almaty"),
    ("Bangladesh Standard Time", "Asia/Dhaka"),
    ("Myanmar Standard Time", "Asia/Yangon"),
    ("SE Asia Standard Time", "Asia/Bangkok"),
    ("N. Central Asia Standard Time", "Asia/Novosibirsk"),
    ("North Asia Standard Time", "Asia/Krasnoyarsk"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("W. Australia Standard Time", "Australia/Perth"),
    ("Taipei Standard Time", "Asia/Taipei"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("Korea Standard Time", "Asia/Seoul"),
    ("Cen. Australia Standard Time", "Australia/Adelaide"),
    ("AUS Central Standard Time", "Australia/Darwin"),
    ("E. Australia Standard Time", "Australia/Brisbane"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("West Pacific Standard Time", "Pacific/Port_Moresby"),
    ("Tasmania Standard Time", "Australia/Hobart"),
    ("Vladivostok Standard Time", "Asia/Vladivostok"),
    ("Central Pacific Standard Time", "Pacific/Guadalcanal"),
    ("UTC+12", "Etc/GMT-12"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
    ("Fiji Standard Time", "Pacific/Fiji"),
    ("Tonga Standard Time", "Pacific/Tongatapu"),
];

/// An IANA name, also when wrapped the way some writers do (`"Europe/Berlin"`, or Lightning's
/// `/mozilla.org/20070129_1/Europe/Berlin`).
fn iana(tzid: &str) -> Option<TimeZone> {
    let name = tzid.trim().trim_matches('"');
    if name.is_empty() || name.len() > 100 {
        return None;
    }
    if let Ok(zone) = TimeZone::get(name) {
        return Some(zone);
    }
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    // Only the last three components can form a zone name (`America/Argentina/Buenos_Aires`).
    (1..parts.len())
        .filter(|&from| parts.len() - from <= 3)
        .find_map(|from| TimeZone::get(&parts[from..].join("/")).ok())
}

fn windows(tzid: &str) -> Option<TimeZone> {
    let name = tzid.trim().trim_matches('"');
    WINDOWS_ZONES
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(name))
        .and_then(|(_, iana)| TimeZone::get(iana).ok())
}

/// The POSIX TZ form of a yearly transition: `Mm.w.d` (the w-th weekday d of month m, 5 for the last), or
/// `Jn` for a fixed date.
fn posix_date(rule: &str) -> Option<String> {
    let rule = rrule::parse_rule(rule).ok()?;
    if rule.freq != Freq::Yearly || rule.interval != 1 || rule.by_month.len() != 1 {
        return None;
    }
    let month = rule.by_month[0];
    match (rule.by_day.as_slice(), rule.by_monthday.as_slice()) {
        ([(Some(n), day)], []) => {
            let week = match *n {
                1..=4 => *n,
                5 | -1 => 5,
                _ => return None,
            };
            Some(format!("M{month}.{week}.{}", day.to_sunday_zero_offset()))
        }
        // Some writers say "the Sunday among the 8th to the 14th" instead of "the second Sunday".
        ([(None, day)], days) if days.len() == 7 => {
            let first = days[0];
            let consecutive = days.windows(2).all(|w| w[1] == w[0] + 1);
            let week = match first {
                1 | 8 | 15 | 22 => (first - 1) / 7 + 1,
                -7 => 5,
                _ => return None,
            };
            consecutive.then(|| format!("M{month}.{week}.{}", day.to_sunday_zero_offset()))
        }
        ([], [day]) if *day > 0 => {
            let date = jiff::civil::Date::new(2025, month, *day).ok()?;
            Some(format!("J{}", date.day_of_year()))
        }
        _ => None,
    }
}

/// POSIX offsets count hours west of Greenwich: the opposite sign of `TZOFFSETTO`.
fn posix_offset(offset: Offset) -> String {
    let west = -offset.seconds();
    let sign = if west < 0 { "-" } else { "" };
    let west = west.abs();
    format!(
        "{sign}{}:{:02}:{:02}",
        west / 3600,
        west % 3600 / 60,
        west % 60
    )
}

fn posix_time(at: Option<DateTime>) -> String {
    let at = at.map_or(jiff::civil::Time::midnight(), |dt| dt.time());
    format!("/{}:{:02}:{:02}", at.hour(), at.minute(), at.second())
}

/// A VTIMEZONE's current rules as a jiff zone: its latest STANDARD and DAYLIGHT blocks as a POSIX TZ rule
/// (what Outlook's custom zones amount to), or the latest offset alone when there is no yearly switch.
fn definition(vtimezone: &VTimezone) -> Option<TimeZone> {
    if let Some(zone) = vtimezone.location.as_deref().and_then(iana) {
        return Some(zone);
    }
    let latest = |daylight: bool| {
        vtimezone
            .observances
            .iter()
            .filter(|o| o.daylight == daylight && o.offset_to.is_some())
            .max_by_key(|o| o.dtstart)
    };
    let (standard, daylight) = (latest(false), latest(true));
    if let (Some(std), Some(dst)) = (standard, daylight) {
        if let (Some(std_rule), Some(dst_rule), Some(std_off), Some(dst_off)) =
            (&std.rrule, &dst.rrule, std.offset_to, dst.offset_to)
        {
            let rule = format!(
                "STD{}DST{},{}{},{}{}",
                posix_offset(std_off),
                posix_offset(dst_off),
                posix_date(dst_rule)?,
                posix_time(dst.dtstart),
                posix_date(std_rule)?,
                posix_time(std.dtstart),
            );
            return TimeZone::posix(&rule).ok();
        }
    }
    // No yearly switch: whichever block starts last holds now.
    let last = [standard, daylight]
        .into_iter()
        .flatten()
        .max_by_key(|o| o.dtstart)?;
    last.offset_to.map(TimeZone::fixed)
}

/// The zone a `TZID` names, and how it was found; `None` when nothing explains it.
pub(crate) fn resolve(tzid: &str, vtimezones: &[VTimezone]) -> Option<(TimeZone, Source)> {
    if let Some(zone) = iana(tzid) {
        return Some((zone, Source::Iana));
    }
    if let Some(zone) = windows(tzid) {
        return Some((zone, Source::Windows));
    }
    vtimezones
        .iter()
        .filter(|v| v.tzid == tzid)
        .find_map(definition)
        .map(|zone| (zone, Source::Definition))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn offset_at(zone: &TimeZone, dt: DateTime) -> i32 {
        zone.to_offset(zone.to_timestamp(dt).unwrap()).seconds()
    }

    #[test]
    fn every_windows_name_maps_to_a_zone_jiff_knows() {
        for (windows, iana) in WINDOWS_ZONES {
            assert!(TimeZone::get(iana).is_ok(), "{windows} -> {iana}");
        }
        let (zone, source) = resolve("Pacific Standard Time", &[]).unwrap();
        assert_eq!(source, Source::Windows);
        assert_eq!(zone.iana_name(), Some("America/Los_Angeles"));
        assert_eq!(
            resolve("\"romance standard time\"", &[]).unwrap().1,
            Source::Windows
        );
    }

    #[test]
    fn iana_names_also_when_wrapped() {
        for tzid in [
            "Europe/Madrid",
            "europe/madrid",
            "/mozilla.org/20070129_1/Europe/Madrid",
            "/softwarestudio.org/Olson_20011030_5/Europe/Madrid",
        ] {
            let (zone, source) = resolve(tzid, &[]).unwrap();
            assert_eq!(source, Source::Iana, "{tzid}");
            assert_eq!(
                offset_at(&zone, date(2026, 7, 1).at(12, 0, 0, 0)),
                7200,
                "{tzid}"
            );
        }
        assert!(resolve("Mars/Olympus_Mons", &[]).is_none());
        assert!(resolve("", &[]).is_none());
    }

    fn outlook_custom(std_rule: &str, dst_rule: &str) -> VTimezone {
        VTimezone {
            tzid: "Customized Time Zone".into(),
            location: None,
            observances: vec![
                Observance {
                    daylight: false,
                    dtstart: Some(date(1601, 1, 1).at(3, 0, 0, 0)),
                    offset_to: Some(jiff::tz::offset(1)),
                    rrule: Some(std_rule.into()),
                },
                Observance {
                    daylight: true,
                    dtstart: Some(date(1601, 1, 1).at(2, 0, 0, 0)),
                    offset_to: Some(jiff::tz::offset(2)),
                    rrule: Some(dst_rule.into()),
                },
            ],
        }
    }

    #[test]
    fn a_custom_vtimezone_becomes_its_rules() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        for vtz in [
            outlook_custom(
                "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
                "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
            ),
            outlook_custom(
                "FREQ=YEARLY;BYMONTH=10;BYDAY=SU;BYMONTHDAY=-7,-6,-5,-4,-3,-2,-1",
                "FREQ=YEARLY;BYMONTH=3;BYDAY=SU;BYMONTHDAY=-7,-6,-5,-4,-3,-2,-1",
            ),
        ] {
            let (zone, source) = resolve("Customized Time Zone", &[vtz]).unwrap();
            assert_eq!(source, Source::Definition);
            for dt in [
                date(2026, 1, 15).at(12, 0, 0, 0),
                date(2026, 3, 29).at(1, 59, 0, 0),
                date(2026, 3, 29).at(3, 0, 0, 0),
                date(2026, 7, 1).at(12, 0, 0, 0),
                date(2026, 10, 25).at(3, 30, 0, 0),
                date(2026, 12, 1).at(12, 0, 0, 0),
            ] {
                assert_eq!(offset_at(&zone, dt), offset_at(&berlin, dt), "{dt}");
            }
        }
    }

    #[test]
    fn a_vtimezone_without_a_yearly_switch_is_its_last_offset() {
        let vtz = VTimezone {
            tzid: "Custom +0530".into(),
            location: None,
            observances: vec![Observance {
                daylight: false,
                dtstart: Some(date(1970, 1, 1).at(0, 0, 0, 0)),
                offset_to: Some(Offset::from_seconds(19_800).unwrap()),
                rrule: None,
            }],
        };
        let (zone, _) = resolve("Custom +0530", &[vtz]).unwrap();
        assert_eq!(offset_at(&zone, date(2026, 7, 1).at(12, 0, 0, 0)), 19_800);
        let located = VTimezone {
            tzid: "Madrid".into(),
            location: Some("Europe/Madrid".into()),
            observances: Vec::new(),
        };
        assert_eq!(
            resolve("Madrid", &[located]).unwrap().0.iana_name(),
            Some("Europe/Madrid")
        );
    }
}
