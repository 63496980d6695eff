//! The paginated lists: a customer's bookings newest first, a venue's bookings by local day.
//! Each reads one index; cursors are bound to the list that issued them (see `page`).

use holdfast_domain::{Booking, BookingStatus, VenueId};

use crate::item::{Item, s};
use crate::keys::{self, attr};
use crate::page::{ListId, Page, Position};
use crate::{Store, StoreError, index};

impl Store {
    /// A caller's bookings, newest first.
    pub async fn owner_bookings(
        &self,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Booking>, StoreError> {
        let list = ListId::owner(owner);
        let partition = keys::owner(owner);
        let start = match cursor {
            Some(raw) => {
                let position = Position::decode(&list, raw)?;
                if position.day.is_some() {
                    return Err(StoreError::BadCursor);
                }
                position.start_key((attr::GSI1PK, &partition), attr::GSI1SK)?
            }
            None => None,
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index::BY_OWNER)
            .key_condition_expression("#gsi1pk = :pk")
            .expression_attribute_names("#gsi1pk", attr::GSI1PK)
            .expression_attribute_values(":pk", s(&partition))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(start)
            .send()
            .await?;
        let items = out
            .items()
            .iter()
            .map(|i| Booking::try_from(&Item(i.clone())))
            .collect::<Result<_, _>>()?;
        let next = out
            .last_evaluated_key()
            .map(|k| Position::after_key(None, k, attr::GSI1SK).encode(&list));
        Ok(Page { items, next })
    }

    /// A venue's bookings starting on the local `days` given (in order), by start time,
    /// optionally of one status.
    pub async fn venue_bookings(
        &self,
        venue_id: &VenueId,
        days: &[String],
        status: Option<BookingStatus>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Booking>, StoreError> {
        let list = ListId::venue_days(venue_id, days, status.as_ref().map(BookingStatus::as_str));
        let (first_day, mut resume) = match cursor {
            Some(raw) => {
                let position = Position::decode(&list, raw)?;
                let day = position.day.as_deref().ok_or(StoreError::BadCursor)?;
                let at = days
                    .iter()
                    .position(|d| d == day)
                    .ok_or(StoreError::BadCursor)?;
                (at, Some(position))
            }
            None => (0, None),
        };
        let mut items = Vec::new();
        for (at, day) in days.iter().enumerate().skip(first_day) {
            let partition = keys::venue_day(venue_id, day);
            let mut start = match resume.take() {
                Some(position) => position.start_key((attr::GSI2PK, &partition), attr::GSI2SK)?,
                None => None,
            };
            loop {
                let remaining = limit - items.len();
                let mut query = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(index::BY_VENUE_DAY)
                    .key_condition_expression("#gsi2pk = :pk")
                    .expression_attribute_names("#gsi2pk", attr::GSI2PK)
                    .expression_attribute_values(":pk", s(&partition))
                    .limit(i32::try_from(remaining).unwrap_or(100))
                    .set_exclusive_start_key(start.take());
                if let Some(status) = status {
                    query = query
                        .filter_expression("#status = :status")
                        .expression_attribute_names("#status", attr::STATUS)
                        .expression_attribute_values(":status", s(status.as_str()));
                }
                let out = query.send().await?;
                for item in out.items() {
                    items.push(Booking::try_from(&Item(item.clone()))?);
                }
                let last = out.last_evaluated_key().cloned();
                if items.len() >= limit {
                    let next = match (&last, days.get(at + 1)) {
                        (Some(key), _) => {
                            Some(Position::after_key(Some(day.clone()), key, attr::GSI2SK))
                        }
                        (None, Some(next_day)) => Some(Position {
                            day: Some(next_day.clone()),
                            after: None,
                        }),
                        (None, None) => None,
                    };
                    let next = next.map(|p| p.encode(&list));
                    return Ok(Page { items, next });
                }
                match last {
                    Some(key) => start = Some(key),
                    None => break,
                }
            }
        }
        Ok(Page { items, next: None })
    }
}
