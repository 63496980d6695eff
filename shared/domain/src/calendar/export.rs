//! The export of a resource: its units from a day back, consecutive units of one holder as one
//! event, the events' UIDs, its ETag, and the token that opens it.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use super::{BlockSpan, EXPORT_UID_SUFFIX};
use crate::{Resource, Schedule, Unit};

/// Where the export's units start: a stay that began last night, or a slot of the last day,
/// still shows to a platform that reads the feed late.
pub fn export_from(resource: &Resource, zone: &TimeZone, now: Timestamp) -> Unit {
    match resource.schedule {
        Schedule::Nights(_) => Unit::Night(
            now.to_zoned(zone.clone())
                .date()
                .yesterday()
                .unwrap_or_default(),
        ),
        Schedule::Slots(_) => Unit::Slot(
            now.checked_sub(SignedDuration::from_hours(24))
                .unwrap_or(now),
        ),
    }
}

/// Consecutive units of one holder become one span: a booking's stay or run of slots, a
/// block's event. `owned` comes in unit order; a gap, or another holder between, starts anew.
pub fn merge_owned_spans<H: PartialEq>(
    resource: &Resource,
    zone: &TimeZone,
    owned: impl IntoIterator<Item = (Unit, H)>,
) -> Vec<(H, BlockSpan)> {
    let mut spans: Vec<(H, BlockSpan)> = Vec::new();
    for (unit, holder) in owned {
        let span = match unit {
            // Whole days: a platform shows a stay as its dates, not as check-in to check-out.
            Unit::Night(date) => BlockSpan::Dates {
                start: date,
                end: date.tomorrow().unwrap_or(date),
            },
            Unit::Slot(_) => {
                let real = resource.unit_span(unit, zone);
                BlockSpan::Instants {
                    start: real.start,
                    end: real.end,
                }
            }
        };
        if let Some((last_holder, last)) = spans.last_mut() {
            if let (true, Some(joined)) = (*last_holder == holder, joined(*last, span)) {
                *last = joined;
                continue;
            }
        }
        spans.push((holder, span));
    }
    spans
}

/// `first` and `next` as one span, when `next` starts where `first` ends.
fn joined(first: BlockSpan, next: BlockSpan) -> Option<BlockSpan> {
    match (first, next) {
        (
            BlockSpan::Dates { start, end },
            BlockSpan::Dates {
                start: from,
                end: to,
            },
        ) if end == from => Some(BlockSpan::Dates { start, end: to }),
        (
            BlockSpan::Instants { start, end },
            BlockSpan::Instants {
                start: from,
                end: to,
            },
        ) if end == from => Some(BlockSpan::Instants { start, end: to }),
        _ => None,
    }
}

/// The UID a booking is exported under, which [`super::is_echo`] knows again when a platform
/// sends it back.
pub fn booking_export_uid(booking_id: &str) -> String {
    format!("{booking_id}{EXPORT_UID_SUFFIX}")
}

/// The UID an imported event is exported under: stable across exports, and not the UID it came
/// with, which may say whose guest it is.
pub fn block_export_uid(calendar_id: &str, uid: &str) -> String {
    let digest = sha256_hex(uid);
    format!(
        "{calendar_id}-{}{EXPORT_UID_SUFFIX}",
        digest.get(..16).unwrap_or_default()
    )
}

/// The export's ETag, from its body: the same feed is answered 304.
pub fn export_etag(ics: &str) -> String {
    format!("\"{}\"", sha256_hex(ics).get(..32).unwrap_or_default())
}

/// What is kept of an export token: its hash alone, so that a read of the table opens no feed.
pub fn export_token_hash(token: &str) -> String {
    sha256_hex(token)
}

/// Whether `token` is the one whose hash is kept, compared in constant time.
pub fn export_token_matches(token: &str, kept_hash: &str) -> bool {
    let (given, kept) = (export_token_hash(token), kept_hash.as_bytes());
    given.len() == kept.len()
        && given
            .as_bytes()
            .iter()
            .zip(kept)
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::calendar::fixtures::{at, cabin, court, madrid, mexico};

    #[test]
    fn the_export_starts_a_day_back() {
        let now = at("2030-07-02T03:00:00Z");
        assert_eq!(
            export_from(&cabin(), &mexico(), now),
            Unit::Night(jiff::civil::date(2030, 6, 30)),
            "still the 1st in Mexico City: the night of the 30th is yesterday's"
        );
        assert_eq!(
            export_from(&court(), &madrid(), now),
            Unit::Slot(at("2030-07-01T03:00:00Z"))
        );
    }

    #[test]
    fn a_holders_consecutive_nights_are_one_stay() {
        let night = |day| Unit::Night(date(2030, 7, day));
        let owned = [
            (night(1), "a"),
            (night(2), "a"),
            (night(3), "b"),
            (night(5), "b"),
            (night(6), "b"),
            (night(7), "a"),
        ];
        let dates = |from, to| BlockSpan::Dates {
            start: date(2030, 7, from),
            end: date(2030, 7, to),
        };
        assert_eq!(
            merge_owned_spans(&cabin(), &mexico(), owned),
            vec![
                ("a", dates(1, 3)),
                ("b", dates(3, 4)),
                ("b", dates(5, 7)),
                ("a", dates(7, 8))
            ],
            "another holder or a gap between starts a new event"
        );
        assert!(merge_owned_spans::<&str>(&cabin(), &mexico(), []).is_empty());
    }

    #[test]
    fn a_holders_consecutive_slots_are_one_event_of_real_time() {
        let slot = |raw| Unit::Slot(at(raw));
        let owned = [
            (slot("2030-01-07T08:00:00Z"), 1),
            (slot("2030-01-07T08:30:00Z"), 1),
            (slot("2030-01-07T10:00:00Z"), 1),
        ];
        let instants = |from, to| BlockSpan::Instants {
            start: at(from),
            end: at(to),
        };
        assert_eq!(
            merge_owned_spans(&court(), &madrid(), owned),
            vec![
                (1, instants("2030-01-07T08:00:00Z", "2030-01-07T09:00:00Z")),
                (1, instants("2030-01-07T10:00:00Z", "2030-01-07T10:30:00Z"))
            ]
        );
    }

    #[test]
    fn exported_uids_are_ours_and_a_blocks_hides_the_uid_it_came_with() {
        assert_eq!(booking_export_uid("bkg_1"), "bkg_1@holdfast");
        let block = block_export_uid("cal_1", "guest-ana@airbnb.com");
        assert!(block.starts_with("cal_1-") && block.ends_with(EXPORT_UID_SUFFIX));
        assert_eq!(block.len(), "cal_1-".len() + 16 + EXPORT_UID_SUFFIX.len());
        assert!(!block.contains("ana"));
        assert_eq!(block, block_export_uid("cal_1", "guest-ana@airbnb.com"));
        assert_ne!(block, block_export_uid("cal_1", "guest-bea@airbnb.com"));
    }

    #[test]
    fn the_etag_follows_the_body() {
        let etag = export_etag("BEGIN:VCALENDAR");
        assert_eq!(etag.len(), 34);
        assert!(etag.starts_with('"') && etag.ends_with('"'));
        assert_eq!(etag, export_etag("BEGIN:VCALENDAR"));
        assert_ne!(etag, export_etag("BEGIN:VCALENDAR\r\n"));
    }

    #[test]
    fn only_the_token_whose_hash_is_kept_opens_the_export() {
        assert_eq!(
            export_token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "SHA-256, in hex"
        );
        let kept = export_token_hash("s3cret");
        assert_eq!(kept.len(), 64);
        assert_ne!(kept, "s3cret");
        assert!(export_token_matches("s3cret", &kept));
        assert!(!export_token_matches("s3cret!", &kept));
        assert!(!export_token_matches("s3cret", &kept[..63]));
        assert!(!export_token_matches("s3cret", ""));
    }
}
