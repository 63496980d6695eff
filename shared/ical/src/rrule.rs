//! Recurrence rules (RFC 5545 3.3.10): parsed, then expanded on the local wall clock of the event's zone.
//! Every step spends from a budget shared by the whole feed, so no rule, however hostile, runs long.

use jiff::civil::{Date, DateTime, Time, Weekday};

use crate::value::{self, DateTimeValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Freq {
    Secondly,
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub freq: Freq,
    pub interval: i64,
    pub count: Option<u32>,
    pub until: Option<DateTimeValue>,
    pub by_month: Vec<i8>,
    pub by_monthday: Vec<i8>,
    pub by_yearday: Vec<i16>,
    pub by_day: Vec<(Option<i8>, Weekday)>,
    pub by_hour: Vec<i8>,
    pub by_minute: Vec<i8>,
    pub by_second: Vec<i8>,
    pub by_setpos: Vec<i16>,
    pub wkst: Weekday,
}

/// A rule's parts can be long lists; past this many a rule is refused rather than multiplied out.
const MAX_LIST: usize = 400;

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

fn list<T: PartialEq>(
    name: &str,
    value: &str,
    read: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, String> {
    let mut items = value
        .split(',')
        .map(|item| read(item.trim()).ok_or_else(|| format!("bad {name} value")))
        .collect::<Result<Vec<_>, _>>()?;
    if items.len() > MAX_LIST {
        return Err(format!("{name} lists too many values"));
    }
    items.dedup();
    Ok(items)
}

fn number_in<T: TryFrom<i64>>(s: &str, low: i64, high: i64, nonzero: bool) -> Option<T> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || digits.len() > 6 {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    if n < low || n > high || (nonzero && n == 0) {
        return None;
    }
    T::try_from(n).ok()
}

/// Reads an `RRULE` value; the error names the part that could not be read or is not supported.
pub(crate) fn parse_rule(value: &str) -> Result<Rule, String> {
    let mut rule = Rule {
        freq: Freq::Daily,
        interval: 1,
        count: None,
        until: None,
        by_month: Vec::new(),
        by_monthday: Vec::new(),
        by_yearday: Vec::new(),
        by_day: Vec::new(),
        by_hour: Vec::new(),
        by_minute: Vec::new(),
        by_second: Vec::new(),
        by_setpos: Vec::new(),
        wkst: Weekday::Monday,
    };
    let mut freq = None;
    for part in value.split(';').filter(|p| !p.trim().is_empty()) {
        let (key, val) = part
            .split_once('=')
            .ok_or_else(|| "a part without '='".to_string())?;
        let key = key.trim().to_ascii_uppercase();
        let val = val.trim().to_ascii_uppercase();
        match key.as_str() {
            "FREQ" => {
                freq = Some(match val.as_str() {
                    "SECONDLY" => Freq::Secondly,
                    "MINUTELY" => Freq::Minutely,
                    "HOURLY" => Freq::Hourly,
                    "DAILY" => Freq::Daily,
                    "WEEKLY" => Freq::Weekly,
                    "MONTHLY" => Freq::Monthly,
                    "YEARLY" => Freq::Yearly,
                    _ => return Err("bad FREQ".into()),
                })
            }
            "INTERVAL" => {
                rule.interval = number_in(&val, 1, 1_000_000, true).ok_or("bad INTERVAL")?;
            }
            "COUNT" => {
                rule.count = Some(number_in(&val, 1, 1_000_000, true).ok_or("bad COUNT")?);
            }
            "UNTIL" => {
                rule.until = Some(value::parse_date_time(&val).ok_or("bad UNTIL")?);
            }
            "BYMONTH" => rule.by_month = list(&key, &val, |s| number_in(s, 1, 12, true))?,
            "BYMONTHDAY" => rule.by_monthday = list(&key, &val, |s| number_in(s, -31, 31, true))?,
            "BYYEARDAY" => rule.by_yearday = list(&key, &val, |s| number_in(s, -366, 366, true))?,
            "BYHOUR" => rule.by_hour = list(&key, &val, |s| number_in(s, 0, 23, false))?,
            "BYMINUTE" => rule.by_minute = list(&key, &val, |s| number_in(s, 0, 59, false))?,
            // 60 is a leap second, which civil time does not have: it reads as the second before.
            "BYSECOND" => {
                rule.by_second = list(&key, &val, |s| {
                    number_in::<i8>(s, 0, 60, false).map(|n| n.min(59))
                })?
            }
            "BYSETPOS" => rule.by_setpos = list(&key, &val, |s| number_in(s, -366, 366, true))?,
            "BYDAY" => {
                rule.by_day = list(&key, &val, |s| {
                    let split = s.len().checked_sub(2)?;
                    let day = weekday(s.get(split..)?)?;
                    let ordinal = s.get(..split)?;
                    if ordinal.is_empty() {
                        Some((None, day))
                    } else {
                        Some((Some(number_in(ordinal, -53, 53, true)?), day))
                    }
                })?
            }
            "WKST" => rule.wkst = weekday(&val).ok_or("bad WKST")?,
            "RSCALE" if val == "GREGORIAN" => {}
            "SKIP" if val == "OMIT" => {}
            // RFC 7529's other calendars and skips, and week numbers, change which days exist: refuse
            // them rather than expand something else.
            "BYWEEKNO" | "RSCALE" | "SKIP" => return Err(format!("{key} is not supported")),
            _ if key.starts_with("X-") => {}
            _ => return Err(format!("unknown part {key}")),
        }
    }
    rule.freq = freq.ok_or("no FREQ")?;
    let expands_time = match rule.freq {
        Freq::Hourly => !rule.by_minute.is_empty() || !rule.by_second.is_empty(),
        Freq::Minutely => !rule.by_second.is_empty(),
        _ => false,
    };
    if expands_time {
        return Err(
            "minutes or seconds within an hourly or minutely rule are not supported".into(),
        );
    }
    Ok(rule)
}

/// How an expansion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The rule ran out (COUNT, UNTIL) or passed the end of the window.
    Finished,
    /// The feed's budget ran out first: the series is cut short here.
    OutOfBudget,
    /// The caller asked to stop.
    Stopped,
}

/// Where and how far to expand.
pub(crate) struct Window<'a> {
    /// No occurrence after this is wanted: expansion stops once a period starts past it.
    pub end: DateTime,
    /// Occurrences starting before this cannot matter; without COUNT the expansion jumps close to it.
    pub skip_before: Option<DateTime>,
    /// Whether an occurrence start is past `UNTIL` (its time zone rules live with the caller).
    pub past_until: &'a dyn Fn(DateTime) -> bool,
}

/// The rule's parts with RFC 5545's defaults from DTSTART filled in.
struct Expander<'a> {
    rule: &'a Rule,
    by_month: Vec<i8>,
    by_monthday: Vec<i8>,
    by_day: Vec<(Option<i8>, Weekday)>,
    times: Vec<Time>,
}

fn nth_matches(position: i16, length: i16, n: i8) -> bool {
    let n = i16::from(n);
    if n > 0 {
        (position - 1) / 7 + 1 == n
    } else {
        (length - position) / 7 + 1 == -n
    }
}

impl Expander<'_> {
    fn day_matches(&self, d: Date) -> bool {
        let rule = self.rule;
        if !self.by_month.is_empty() && !self.by_month.contains(&d.month()) {
            return false;
        }
        if !rule.by_yearday.is_empty() {
            let (doy, len) = (d.day_of_year(), d.days_in_year());
            if !rule
                .by_yearday
                .iter()
                .any(|&n| n == doy || len + 1 + n == doy)
            {
                return false;
            }
        }
        if !self.by_monthday.is_empty() {
            let (day, len) = (d.day(), d.days_in_month());
            if !self
                .by_monthday
                .iter()
                .any(|&n| n == day || len + 1 + n == day)
            {
                return false;
            }
        }
        if !self.by_day.is_empty() {
            // An ordinal counts within the month for MONTHLY (or YEARLY limited by BYMONTH), else within the year.
            let in_month = rule.freq == Freq::Monthly
                || (rule.freq == Freq::Yearly && !rule.by_month.is_empty());
            let in_year = rule.freq == Freq::Yearly && rule.by_month.is_empty();
            let hit = self.by_day.iter().any(|&(ordinal, day)| {
                d.weekday() == day
                    && match ordinal {
                        None => true,
                        Some(n) if in_month => {
                            nth_matches(i16::from(d.day()), i16::from(d.days_in_month()), n)
                        }
                        Some(n) if in_year => nth_matches(d.day_of_year(), d.days_in_year(), n),
                        Some(_) => true,
                    }
            });
            if !hit {
                return false;
            }
        }
        true
    }

    fn time_matches(&self, t: Time) -> bool {
        let rule = self.rule;
        (rule.by_hour.is_empty() || rule.by_hour.contains(&t.hour()))
            && (rule.by_minute.is_empty() || rule.by_minute.contains(&t.minute()))
            && (rule.by_second.is_empty() || rule.by_second.contains(&t.second()))
    }

    /// The days a period covers, for frequencies of a day or longer; `None` past jiff's calendar.
    fn period_days(&self, start: Date, n: i64) -> Option<Vec<Date>> {
        let interval = self.rule.interval;
        let step = n.checked_mul(interval)?;
        let days_from = |first: Date, count: i64| -> Option<Vec<Date>> {
            let mut out = Vec::with_capacity(usize::try_from(count).ok()?);
            let mut d = first;
            for _ in 0..count {
                out.push(d);
                d = d.tomorrow().ok()?;
            }
            Some(out)
        };
        let month_days = |year: i16, month: i8| -> Option<Vec<Date>> {
            let first = Date::new(year, month, 1).ok()?;
            days_from(first, i64::from(first.days_in_month()))
        };
        match self.rule.freq {
            Freq::Yearly => {
                let year = i16::try_from(i64::from(start.year()).checked_add(step)?).ok()?;
                let months: Vec<i8> = if self.by_month.is_empty() {
                    (1..=12).collect()
                } else {
                    self.by_month.clone()
                };
                let mut out = Vec::new();
                for month in months {
                    out.extend(month_days(year, month)?);
                }
                Some(out)
            }
            Freq::Monthly => {
                let index = i64::from(start.year()) * 12 + i64::from(start.month()) - 1 + step;
                let year = i16::try_from(index.div_euclid(12)).ok()?;
                let month = i8::try_from(index.rem_euclid(12) + 1).ok()?;
                month_days(year, month)
            }
            Freq::Weekly => {
                let back = start.weekday().since(self.rule.wkst);
                let week = start
                    .checked_sub(jiff::Span::new().try_days(i64::from(back)).ok()?)
                    .ok()?
                    .checked_add(jiff::Span::new().try_days(step.checked_mul(7)?).ok()?)
                    .ok()?;
                days_from(week, 7)
            }
            _ => {
                let day = start
                    .checked_add(jiff::Span::new().try_days(step).ok()?)
                    .ok()?;
                Some(vec![day])
            }
        }
    }
}

/// Applies BYSETPOS to one period's sorted candidates.
fn select_positions(candidates: Vec<DateTime>, positions: &[i16]) -> Vec<DateTime> {
    if positions.is_empty() {
        return candidates;
    }
    let len = candidates.len() as i64;
    let mut picked: Vec<DateTime> = positions
        .iter()
        .filter_map(|&p| {
            let p = i64::from(p);
            let index = if p > 0 { p - 1 } else { len + p };
            usize::try_from(index)
                .ok()
                .and_then(|i| candidates.get(i))
                .copied()
        })
        .collect();
    picked.sort();
    picked.dedup();
    picked
}

/// How many whole periods lie between DTSTART and `skip_before`, less one for safety, so the loop can
/// start there instead of walking from a DTSTART years back.
fn periods_to_skip(rule: &Rule, start: DateTime, skip_before: DateTime) -> i64 {
    if rule.count.is_some() || skip_before <= start {
        return 0;
    }
    let days = start
        .date()
        .until(skip_before.date())
        .map(|s| i64::from(s.get_days()))
        .unwrap_or(0);
    let units = match rule.freq {
        Freq::Yearly => i64::from(skip_before.year()) - i64::from(start.year()),
        Freq::Monthly => {
            (i64::from(skip_before.year()) - i64::from(start.year())) * 12
                + i64::from(skip_before.month())
                - i64::from(start.month())
        }
        Freq::Weekly => days / 7,
        Freq::Daily => days,
        Freq::Hourly => days * 24,
        Freq::Minutely => days * 1440,
        Freq::Secondly => days * 86_400,
    };
    (units / rule.interval - 1).max(0)
}

/// Calls `emit` with each occurrence start in order, DTSTART first (RFC 5545: it is always the first
/// occurrence; it counts toward COUNT when the rule gives it too), until the rule ends, a period starts past the window, `emit`
/// returns false, or the budget is spent. `all_day` events recur on dates: their times are ignored.
pub(crate) fn expand(
    rule: &Rule,
    start: DateTime,
    all_day: bool,
    window: &Window<'_>,
    budget: &mut u64,
    emit: &mut dyn FnMut(DateTime) -> bool,
) -> Outcome {
    let mut by_month = rule.by_month.clone();
    let mut by_monthday = rule.by_monthday.clone();
    let mut by_day = rule.by_day.clone();
    let nothing_by_day = by_monthday.is_empty() && by_day.is_empty() && rule.by_yearday.is_empty();
    match rule.freq {
        Freq::Yearly if nothing_by_day => {
            if by_month.is_empty() {
                by_month.push(start.month());
            }
            by_monthday.push(start.day());
        }
        Freq::Monthly if nothing_by_day => by_monthday.push(start.day()),
        Freq::Weekly if by_day.is_empty() => by_day.push((None, start.weekday())),
        _ => {}
    }
    let times = if all_day {
        vec![Time::midnight()]
    } else {
        let or_start = |list: &[i8], default: i8| {
            if list.is_empty() {
                vec![default]
            } else {
                list.to_vec()
            }
        };
        let mut times = Vec::new();
        for h in or_start(&rule.by_hour, start.hour()) {
            for m in or_start(&rule.by_minute, start.minute()) {
                for s in or_start(&rule.by_second, start.second()) {
                    if let Ok(t) = Time::new(h, m, s, 0) {
                        times.push(t);
                    }
                }
            }
        }
        times.sort();
        times.dedup();
        times
    };
    let expander = Expander {
        rule,
        by_month,
        by_monthday,
        by_day,
        times,
    };

    if !emit(start) {
        return Outcome::Stopped;
    }
    // DTSTART counts toward COUNT only when the rule gives it too (it is then met in the first
    // period, as COUNT never skips periods). RFC 5545 calls a set from a DTSTART out of step
    // with its rule undefined; counting the rule's own occurrences besides blocks the most.
    let mut emitted: u64 = 0;
    let count_reached = |emitted: u64| rule.count.is_some_and(|c| emitted >= u64::from(c));
    let mut n = window
        .skip_before
        .map_or(0, |skip| periods_to_skip(rule, start, skip));
    loop {
        // A period's candidates, in order; `None` once the calendar (jiff's years -9999..=9999) runs out.
        let candidates: Vec<DateTime> = if rule.freq >= Freq::Daily {
            let Some(days) = expander.period_days(start.date(), n) else {
                return Outcome::Finished;
            };
            let cost = days.len() as u64 + 1;
            *budget = budget.saturating_sub(cost);
            if days.first().is_some_and(|&d| d > window.end.date()) {
                return Outcome::Finished;
            }
            let mut all = Vec::new();
            for day in days.into_iter().filter(|&d| expander.day_matches(d)) {
                *budget = budget.saturating_sub(expander.times.len() as u64);
                all.extend(expander.times.iter().map(|&t| day.to_datetime(t)));
            }
            select_positions(all, &rule.by_setpos)
        } else {
            *budget = budget.saturating_sub(1);
            let step = match n.checked_mul(rule.interval) {
                Some(step) => step,
                None => return Outcome::Finished,
            };
            let span = match rule.freq {
                Freq::Hourly => jiff::Span::new().try_hours(step),
                Freq::Minutely => jiff::Span::new().try_minutes(step),
                _ => jiff::Span::new().try_seconds(step),
            };
            let Some(at) = span.ok().and_then(|span| start.checked_add(span).ok()) else {
                return Outcome::Finished;
            };
            if at > window.end {
                return Outcome::Finished;
            }
            let keep = expander.day_matches(at.date())
                && expander.time_matches(at.time())
                && (rule.by_setpos.is_empty() || rule.by_setpos.iter().any(|&p| p == 1 || p == -1));
            if keep { vec![at] } else { Vec::new() }
        };
        for candidate in candidates {
            if candidate < start {
                continue;
            }
            if candidate == start {
                emitted += 1;
                if count_reached(emitted) {
                    return Outcome::Finished;
                }
                continue;
            }
            if (window.past_until)(candidate) || candidate > window.end {
                return Outcome::Finished;
            }
            if !emit(candidate) {
                return Outcome::Stopped;
            }
            emitted += 1;
            if count_reached(emitted) {
                return Outcome::Finished;
            }
        }
        if *budget == 0 {
            return Outcome::OutOfBudget;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn run(rule: &str, start: DateTime, end: DateTime) -> Vec<DateTime> {
        let rule = parse_rule(rule).unwrap();
        let until = rule.until;
        let past_until = move |dt: DateTime| match until {
            Some(DateTimeValue::Date(d)) => dt.date() > d,
            Some(DateTimeValue::Local(u)) => dt > u,
            // Tests run in UTC.
            Some(DateTimeValue::Utc(t)) => dt > jiff::tz::TimeZone::UTC.to_datetime(t),
            None => false,
        };
        let window = Window {
            end,
            skip_before: None,
            past_until: &past_until,
        };
        let mut out = Vec::new();
        let mut budget = 1_000_000;
        let outcome = expand(&rule, start, false, &window, &mut budget, &mut |dt| {
            out.push(dt);
            true
        });
        assert_eq!(outcome, Outcome::Finished);
        out
    }

    fn dates(list: &[DateTime]) -> Vec<String> {
        list.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn weekly_with_byday_and_count() {
        let start = date(2026, 9, 7).at(18, 0, 0, 0); // a Monday
        let got = run(
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=5",
            start,
            date(2030, 1, 1).at(0, 0, 0, 0),
        );
        assert_eq!(
            dates(&got),
            [
                "2026-09-07T18:00:00",
                "2026-09-09T18:00:00",
                "2026-09-14T18:00:00",
                "2026-09-16T18:00:00",
                "2026-09-21T18:00:00"
            ]
        );
    }

    #[test]
    fn monthly_last_friday_and_nth_weekday() {
        let start = date(2026, 1, 30).at(9, 0, 0, 0);
        let got = run(
            "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
            start,
            date(2030, 1, 1).at(0, 0, 0, 0),
        );
        assert_eq!(
            dates(&got),
            [
                "2026-01-30T09:00:00",
                "2026-02-27T09:00:00",
                "2026-03-27T09:00:00"
            ]
        );
        let got = run(
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU;UNTIL=20260701T000000Z",
            date(2026, 1, 13).at(9, 0, 0, 0),
            date(2030, 1, 1).at(0, 0, 0, 0),
        );
        assert_eq!(
            dates(&got),
            [
                "2026-01-13T09:00:00",
                "2026-03-10T09:00:00",
                "2026-05-12T09:00:00"
            ]
        );
    }

    #[test]
    fn monthly_on_the_31st_skips_short_months() {
        let got = run(
            "FREQ=MONTHLY;COUNT=4",
            date(2026, 1, 31).at(0, 0, 0, 0),
            date(2030, 1, 1).at(0, 0, 0, 0),
        );
        assert_eq!(
            dates(&got),
            [
                "2026-01-31T00:00:00",
                "2026-03-31T00:00:00",
                "2026-05-31T00:00:00",
                "2026-07-31T00:00:00"
            ]
        );
    }

    #[test]
    fn yearly_defaults_and_bysetpos() {
        let got = run(
            "FREQ=YEARLY",
            date(2024, 2, 29).at(0, 0, 0, 0),
            date(2033, 1, 1).at(0, 0, 0, 0),
        );
        assert_eq!(
            dates(&got),
            [
                "2024-02-29T00:00:00",
                "2028-02-29T00:00:00",
                "2032-02-29T00:00:00"
            ]
        );
        // The last weekday of each month.
        let got = run(
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3",
            date(2026, 1, 30).at(17, 0, 0, 0),
            date(2030, 1, 1).at(0, 0, 0, 0),
        );
        assert_eq!(
            dates(&got),
            [
                "2026-01-30T17:00:00",
                "2026-02-27T17:00:00",
                "2026-03-31T17:00:00"
            ]
        );
    }

    #[test]
    fn daily_with_byhour_and_hourly() {
        let got = run(
            "FREQ=DAILY;BYHOUR=9,14;COUNT=4",
            date(2026, 5, 1).at(9, 0, 0, 0),
            date(2030, 1, 1).at(0, 0, 0, 0),
        );
        assert_eq!(
            dates(&got),
            [
                "2026-05-01T09:00:00",
                "2026-05-01T14:00:00",
                "2026-05-02T09:00:00",
                "2026-05-02T14:00:00"
            ]
        );
        let got = run(
            "FREQ=HOURLY;INTERVAL=6",
            date(2026, 5, 1).at(9, 0, 0, 0),
            date(2026, 5, 2).at(0, 0, 0, 0),
        );
        assert_eq!(
            dates(&got),
            [
                "2026-05-01T09:00:00",
                "2026-05-01T15:00:00",
                "2026-05-01T21:00:00"
            ]
        );
    }

    #[test]
    fn the_window_ends_an_endless_rule() {
        let got = run(
            "FREQ=DAILY",
            date(2026, 5, 1).at(9, 0, 0, 0),
            date(2026, 5, 3).at(12, 0, 0, 0),
        );
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn skipping_ahead_lands_before_the_window() {
        let rule = parse_rule("FREQ=WEEKLY;INTERVAL=3").unwrap();
        let start = date(1990, 1, 1).at(10, 0, 0, 0);
        let skip = date(2026, 6, 1).at(0, 0, 0, 0);
        let n = periods_to_skip(&rule, start, skip);
        assert!(n > 0);
        let window = Window {
            end: date(2026, 7, 1).at(0, 0, 0, 0),
            skip_before: Some(skip),
            past_until: &|_| false,
        };
        let (mut fast, mut budget) = (Vec::new(), 1_000_000);
        expand(&rule, start, false, &window, &mut budget, &mut |dt| {
            fast.push(dt);
            true
        });
        let slow = run(
            "FREQ=WEEKLY;INTERVAL=3",
            start,
            date(2026, 7, 1).at(0, 0, 0, 0),
        );
        let recent = |v: &[DateTime]| {
            v.iter()
                .filter(|d| **d >= skip)
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(recent(&fast), recent(&slow));
        assert!(fast.len() < 10, "skipped ahead: {}", fast.len());
    }

    #[test]
    fn the_budget_stops_a_rule_that_never_matches() {
        let rule = parse_rule("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5").unwrap();
        let window = Window {
            end: date(9999, 1, 1).at(0, 0, 0, 0),
            skip_before: None,
            past_until: &|_| false,
        };
        let mut budget = 10_000;
        let outcome = expand(
            &rule,
            date(2000, 1, 1).at(0, 0, 0, 0),
            false,
            &window,
            &mut budget,
            &mut |_| true,
        );
        assert_eq!(outcome, Outcome::OutOfBudget);
    }

    #[test]
    fn refuses_what_it_does_not_expand() {
        for rule in [
            "",
            "INTERVAL=2",
            "FREQ=FORTNIGHTLY",
            "FREQ=YEARLY;BYWEEKNO=20",
            "FREQ=HOURLY;BYMINUTE=0,30",
            "FREQ=DAILY;COUNT=0",
            "FREQ=DAILY;BYDAY=XX",
            "FREQ=DAILY;FOO=1",
            "FREQ=YEARLY;RSCALE=CHINESE",
        ] {
            assert!(parse_rule(rule).is_err(), "{rule:?}");
        }
        assert!(parse_rule("freq=weekly;byday=+1mo,-2su;wkst=su;x-foo=1").is_ok());
    }
}
