use holdfast_domain::{BookingDraft, NewBooking, ResourceDraft, VenueDraft};

use super::*;

fn now() -> Timestamp {
    "2026-11-22T10:00:00Z".parse().unwrap()
}

fn venue() -> Venue {
    let draft: VenueDraft = serde_json::from_value(serde_json::json!({
        "name": "Club Padel Norte", "time_zone": "Europe/Madrid", "currency": "EUR",
        "contact_email": "desk@padelnorte.example", "language": "en"
    }))
    .unwrap();
    draft
        .into_venue("ven_1".into(), "org_1".into(), now())
        .unwrap()
}

fn resource(json: serde_json::Value) -> Resource {
    let draft: ResourceDraft = serde_json::from_value(json).unwrap();
    draft
        .into_resource(
            "res_1".into(),
            "ven_1".into(),
            Currency::parse("EUR").unwrap(),
            now(),
        )
        .unwrap()
}

fn court() -> Resource {
    resource(serde_json::json!({
        "name": "Court 1", "kind": "slots", "slot_minutes": 30, "durations": [60, 90],
        "opening_hours": {"tue": [["08:00", "22:00"]], "sat": [["09:00", "14:00"], ["17:00", "24:00"]]},
        "capacity": 4, "unit_price": {"amount": 600, "currency": "EUR"}, "hold_minutes": 20
    }))
}

fn cabin() -> Resource {
    resource(serde_json::json!({
        "name": "Cabaña", "kind": "nights", "check_in_time": "15:00", "check_out_time": "11:00",
        "min_nights": 2, "max_nights": 14, "unit_price": {"amount": 150000, "currency": "EUR"}
    }))
}

fn booking(resource: &Resource, draft: serde_json::Value) -> Booking {
    let draft: BookingDraft = serde_json::from_value(draft).unwrap();
    let request = draft.read(&resource.schedule).unwrap();
    let zone = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
    let plan = resource.plan(request.period, &zone, now()).unwrap();
    Booking::new(NewBooking {
        booking_id: "bkg_1".into(),
        owner: "user-1".into(),
        resource,
        time_zone: &holdfast_domain::Zone::parse("Europe/Madrid").unwrap(),
        request,
        plan,
        reminder_hours: 24,
        now: now(),
    })
}

#[test]
fn venues_round_trip() {
    let venue = venue();
    let item = Item::from(&venue);
    assert_eq!(item.string("pk").unwrap(), "VENUE#ven_1");
    assert_eq!(Venue::try_from(&item).unwrap(), venue);
}

#[test]
fn resources_of_both_kinds_round_trip() {
    for resource in [court(), cabin()] {
        let item = Item::from(&resource);
        assert_eq!(item.string("gsi1pk").unwrap(), "VENUE#ven_1#RESOURCES");
        assert_eq!(Resource::try_from(&item).unwrap(), resource);
    }
}

#[test]
fn a_held_slot_booking_round_trips_and_is_filed_for_expiry() {
    let booking = booking(
        &court(),
        serde_json::json!({
            "resource_id": "res_1", "start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T11:30:00+01:00",
            "customer": {"name": "Ana Ruiz", "email": "ana@example.com", "phone": "+34600000000"},
            "payment_provider": "stripe"
        }),
    );
    assert_eq!(booking.status, BookingStatus::Held);
    let item = Item::from(&booking);
    assert_eq!(item.string("gsi2pk").unwrap(), "VENUE#ven_1#DAY#2026-12-01");
    assert!(item.string("gsi3pk").unwrap().starts_with("HELD#"));
    assert_eq!(item.string("gsi3sk").unwrap(), "2026-11-22T10:20:00Z#bkg_1");
    assert_eq!(
        item.string("gsi1sk").unwrap(),
        "2026-11-22T10:00:00.000Z#bkg_1"
    );
    assert_eq!(Booking::try_from(&item).unwrap(), booking);
}

#[test]
fn a_confirmed_stay_round_trips_and_is_not_filed_for_expiry() {
    let booking = booking(
        &cabin(),
        serde_json::json!({
            "resource_id": "res_1", "check_in": "2026-12-20", "check_out": "2026-12-23",
            "customer": {"name": "Ana Ruiz", "email": "ana@example.com"}, "payment_provider": "none"
        }),
    );
    let item = Item::from(&booking);
    assert!(!item.0.contains_key("gsi3pk"));
    assert!(!item.0.contains_key("customer_phone"));
    assert_eq!(item.string("gsi2pk").unwrap(), "VENUE#ven_1#DAY#2026-12-20");
    assert_eq!(Booking::try_from(&item).unwrap(), booking);
}

#[test]
fn an_unreadable_item_names_the_attribute() {
    let mut item = Item::from(&venue());
    item.put("currency", s("EURO"));
    let err = Venue::try_from(&item).unwrap_err();
    assert_eq!(err.attribute, "currency");
    assert_eq!(err.key, "VENUE#ven_1/VENUE");
    item.0.remove("name");
    assert_eq!(Venue::try_from(&item).unwrap_err().attribute, "name");
}

#[test]
fn shards_are_stable_and_spread() {
    assert_eq!(keys::held_shard("bkg_1"), keys::held_shard("bkg_1"));
    let used: std::collections::HashSet<u32> = (0..200)
        .map(|i| keys::held_shard(&format!("bkg_{i}")))
        .collect();
    assert_eq!(used.len() as u32, crate::index::HELD_SHARDS);
}

#[test]
fn a_resource_keeps_its_grid_and_one_written_before_grids_reads_the_creation_grid() {
    let mut quarter = court();
    let Schedule::Slots(rules) = &mut quarter.schedule else {
        panic!("slots expected")
    };
    rules.grid_origin = LocalTime::from_minutes(15).unwrap();
    let item = Item::from(&quarter);
    assert_eq!(item.number::<u16>("grid_origin").unwrap(), 15);
    assert_eq!(Resource::try_from(&item).unwrap(), quarter);

    let mut legacy = Item::from(&court());
    legacy.0.remove("grid_origin");
    assert_eq!(Resource::try_from(&legacy).unwrap(), court());
    legacy.put("grid_origin", n(30));
    assert_eq!(
        Resource::try_from(&legacy).unwrap_err().attribute,
        "grid_origin",
        "an origin a whole slot past midnight is no origin"
    );
}

#[test]
fn a_booking_keeps_how_it_holds_its_units() {
    let class = booking(
        &court(),
        serde_json::json!({
            "resource_id": "res_1", "start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T11:00:00+01:00",
            "customer": {"name": "Ana Ruiz", "email": "ana@example.com"}, "payment_provider": "none"
        }),
    );
    assert_eq!(class.claim, Claim::Place, "court() has four places");
    let stay = booking(
        &cabin(),
        serde_json::json!({
            "resource_id": "res_1", "check_in": "2026-12-20", "check_out": "2026-12-23",
            "customer": {"name": "Ana Ruiz", "email": "ana@example.com"}, "payment_provider": "none"
        }),
    );
    assert_eq!(stay.claim, Claim::Whole);
    let mut item = Item::from(&class);
    assert_eq!(item.string("claim").unwrap(), "place");
    item.0.remove("claim");
    assert_eq!(Booking::try_from(&item).unwrap_err().attribute, "claim");
}
