//! Calendar sync: feeds a resource imports (fetched safely, parsed leniently, their events held
//! as locks like bookings), the export other platforms subscribe to, and the scheduled sync.

mod admin;
mod export;
mod job;
mod sync;

pub use admin::{add_calendar, delete_calendar, list_calendars};
pub use export::{Feed, export_feed, new_ical_token};
pub use job::{SyncRun, sync_calendars};
pub use sync::{sync_calendar, sync_now};
