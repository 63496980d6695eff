//! Mail from templates kept as files (`templates/{language}/{kind}.{recipient}.{subject,txt,html}`),
//! rendered in the venue's language from the [`Facts`] of what a notice is about.

use holdfast_domain::{
    AccountSummary, Booking, Calendar, NoticeKind, Period, Recipient, Subject, Venue,
};
use jiff::tz::TimeZone;
use minijinja::Environment;
use serde::Serialize;

use crate::MessagingError;

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// What one kind of notice's mail is rendered from, with times already at the venue's wall
/// clock: a booking's ([`MailFacts`]), a venue's payment account's ([`AccountFacts`]) or an
/// imported calendar's ([`CalendarFacts`]). A new kind of mail implements it; nothing else.
pub trait Facts: Serialize {
    /// What the notices these facts tell of are about: a notice about anything else is not
    /// told from them.
    const ABOUT: Subject;
    /// Pieces of text shared by the mails (`templates/{language}/{piece}.txt`), rendered first
    /// and handed to each mail by name, so that every mail words them alike.
    const PIECES: &'static [&'static str] = &[];
}

/// One mail, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a mail about a booking may say: no more than its recipients may read.
#[derive(Debug, Clone, Serialize)]
pub struct MailFacts {
    pub venue: String,
    pub resource: String,
    pub booking_id: String,
    pub customer: String,
    pub customer_email: String,
    pub time_zone: String,
    pub price: String,
    /// What reached the venue's account for it, if anything did: all of it goes back when a
    /// payment is refunded in full, and it differs from `price` when a payment mismatched.
    pub paid: Option<String>,
    /// For slots: the local date and times.
    pub date: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    /// For stays: the dates and how many nights.
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    pub nights: Option<i64>,
    /// The imported calendars with an event over this booking, by name ("Airbnb").
    pub calendars: Option<String>,
}

impl MailFacts {
    /// The facts of `booking` at `venue` on the resource called `resource`, with every time at
    /// the venue's wall clock.
    pub fn of(booking: &Booking, venue: &Venue, resource: &str) -> MailFacts {
        let zone: &TimeZone = venue.zone.tz();
        let local = |t: jiff::Timestamp| t.to_zoned(zone.clone());
        let (mut date, mut start, mut end) = (None, None, None);
        let (mut check_in, mut check_out, mut nights) = (None, None, None);
        match booking.period {
            Period::Slots { start: s, end: e } => {
                let (s, e) = (local(s), local(e));
                date = Some(s.date().to_string());
                start = Some(s.strftime("%H:%M").to_string());
                // A booking that ends at midnight ends at 24:00 of its day, not 00:00.
                end = Some(
                    if e.date() > s.date() && e.time() == jiff::civil::Time::midnight() {
                        "24:00".to_string()
                    } else {
                        e.strftime("%H:%M").to_string()
                    },
                );
            }
            Period::Nights {
                check_in: a,
                check_out: b,
            } => {
                check_in = Some(a.to_string());
                check_out = Some(b.to_string());
                nights = Some(booking.units.len() as i64);
            }
        }
        MailFacts {
            venue: venue.name.clone(),
            resource: resource.to_string(),
            booking_id: booking.booking_id.to_string(),
            customer: booking.customer.name.clone(),
            customer_email: booking.customer.email.clone(),
            time_zone: venue.zone.name().to_string(),
            price: booking.price.to_string(),
            paid: booking
                .payment
                .as_ref()
                .and_then(|p| p.paid.as_ref())
                .map(|p| p.amount.to_string()),
            date,
            start,
            end,
            check_in,
            check_out,
            nights,
            calendars: {
                let mut names: Vec<&str> = booking
                    .calendar_conflicts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                names.dedup();
                (!names.is_empty()).then(|| names.join(", "))
            },
        }
    }
}

impl Facts for MailFacts {
    const ABOUT: Subject = Subject::Booking;
    /// A booking's slot or stay, as every mail about it says it.
    const PIECES: &'static [&'static str] = &["when"];
}

/// `at` on `venue`'s wall clock, to the minute (`2026-12-01 18:00`).
fn wall_clock(venue: &Venue, at: jiff::Timestamp) -> String {
    at.to_zoned(venue.zone.tz().clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// What a mail about a venue's payment account may say: never a credential (the last error
/// was stripped of any token before it was stored).
#[derive(Debug, Clone, Serialize)]
pub struct AccountFacts {
    pub venue: String,
    pub venue_id: String,
    pub time_zone: String,
    /// Refreshes of its tokens failed in a row.
    pub failures: u32,
    /// Why the last one failed.
    pub last_error: Option<String>,
    /// When its tokens expire, at the venue's wall clock (`2026-12-01 18:00`).
    pub expires: Option<String>,
    /// The admin's way to connect the account again: the route that starts a connect.
    pub connect_route: String,
    /// Or to put new tokens.
    pub put_route: String,
}

impl AccountFacts {
    /// The facts of `venue`'s `account`, whose refreshes failed `failures` times in a row.
    pub fn of(venue: &Venue, account: &AccountSummary, failures: u32) -> AccountFacts {
        let accounts = format!(
            "/v1/venues/{}/payment-accounts/{}",
            venue.venue_id,
            account.provider.as_str()
        );
        AccountFacts {
            venue: venue.name.clone(),
            venue_id: venue.venue_id.to_string(),
            time_zone: venue.zone.name().to_string(),
            failures,
            last_error: account.last_refresh_error.clone(),
            expires: account.expires_at.map(|t| wall_clock(venue, t)),
            connect_route: format!("GET {accounts}/connect"),
            put_route: format!("PUT {accounts}"),
        }
    }
}

impl Facts for AccountFacts {
    const ABOUT: Subject = Subject::Venue;
}

/// What a mail about an imported calendar may say: never its URL (it carries the platform's
/// secret), and no error that could (fetch errors name no address).
#[derive(Debug, Clone, Serialize)]
pub struct CalendarFacts {
    pub venue: String,
    pub resource: String,
    pub resource_id: String,
    /// The calendar's name, as the admin gave it ("Airbnb").
    pub calendar: String,
    pub calendar_id: String,
    pub time_zone: String,
    /// Syncs failed in a row.
    pub failures: u32,
    pub last_error: Option<String>,
    /// The last sync that worked, at the venue's wall clock; `None` if none ever did.
    pub last_success: Option<String>,
    /// Imported events still holding their dates.
    pub blocks: u32,
    /// The admin's ways to see it and to try again.
    pub list_route: String,
    pub sync_route: String,
}

impl CalendarFacts {
    /// The facts of `calendar` of the resource named `resource` at `venue`.
    pub fn of(venue: &Venue, resource: &str, calendar: &Calendar) -> CalendarFacts {
        let calendars = format!("/v1/resources/{}/calendars", calendar.resource_id);
        CalendarFacts {
            venue: venue.name.clone(),
            resource: resource.to_string(),
            resource_id: calendar.resource_id.to_string(),
            calendar: calendar.name.clone(),
            calendar_id: calendar.calendar_id.to_string(),
            time_zone: venue.zone.name().to_string(),
            failures: calendar.consecutive_failures,
            last_error: calendar.last_error.clone(),
            last_success: calendar.last_success_at.map(|t| wall_clock(venue, t)),
            blocks: calendar.blocks,
            list_route: format!("GET {calendars}"),
            sync_route: format!("POST {calendars}/{}/sync", calendar.calendar_id),
        }
    }
}

impl Facts for CalendarFacts {
    const ABOUT: Subject = Subject::Calendar;
}

/// Every template, parsed once.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Loads every template; one that does not parse fails here, at cold start.
    pub fn new() -> Result<Templates, MessagingError> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| MessagingError::Template(name.to_string(), e))?;
        }
        Ok(Templates { env })
    }

    /// The languages that have templates.
    pub fn languages(&self) -> Vec<&'static str> {
        let mut languages: Vec<&str> = TEMPLATES
            .iter()
            .filter_map(|(name, _)| name.split('/').next())
            .collect();
        languages.dedup();
        languages
    }

    fn render_one(&self, name: &str, facts: &minijinja::Value) -> Result<String, MessagingError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(facts))
            .map_err(|e| MessagingError::Template(name.to_string(), e))
    }

    /// The mail telling `to` of `kind` in `language`, from the facts of what it is about.
    pub fn render_notice<F: Facts>(
        &self,
        language: &str,
        kind: NoticeKind,
        to: Recipient,
        facts: &F,
    ) -> Result<Rendered, MessagingError> {
        if kind.subject() != F::ABOUT {
            return Err(MessagingError::Facts(kind));
        }
        let mut context = minijinja::Value::from_serialize(facts);
        for piece in F::PIECES {
            let text = self.render_one(&format!("{language}/{piece}.txt"), &context)?;
            let named = minijinja::Value::from_iter([(*piece, text)]);
            context = minijinja::context! { ..named, ..context };
        }
        let base = format!("{language}/{}.{}", kind.as_str(), to.as_str());
        Ok(Rendered {
            subject: self
                .render_one(&format!("{base}.subject"), &context)?
                .trim()
                .to_string(),
            text: self.render_one(&format!("{base}.txt"), &context)?,
            html: self.render_one(&format!("{base}.html"), &context)?,
        })
    }

    /// [`Templates::render_notice`], for a notice about a booking.
    pub fn render(
        &self,
        language: &str,
        kind: NoticeKind,
        to: Recipient,
        facts: &MailFacts,
    ) -> Result<Rendered, MessagingError> {
        self.render_notice(language, kind, to, facts)
    }

    /// [`Templates::render_notice`], for a notice about a venue's payment account.
    pub fn render_account(
        &self,
        language: &str,
        kind: NoticeKind,
        to: Recipient,
        facts: &AccountFacts,
    ) -> Result<Rendered, MessagingError> {
        self.render_notice(language, kind, to, facts)
    }

    /// [`Templates::render_notice`], for a notice about an imported calendar.
    pub fn render_calendar(
        &self,
        language: &str,
        kind: NoticeKind,
        to: Recipient,
        facts: &CalendarFacts,
    ) -> Result<Rendered, MessagingError> {
        self.render_notice(language, kind, to, facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> MailFacts {
        MailFacts {
            venue: "Club Padel Norte".into(),
            resource: "Pista 1".into(),
            booking_id: "bkg_1".into(),
            customer: "Ana <Ruiz>".into(),
            customer_email: "ana@example.com".into(),
            time_zone: "Europe/Madrid".into(),
            price: "18.00 EUR".into(),
            paid: Some("18.00 EUR".into()),
            date: Some("2031-12-02".into()),
            start: Some("10:00".into()),
            end: Some("11:30".into()),
            check_in: None,
            check_out: None,
            nights: None,
            calendars: Some("Airbnb".into()),
        }
    }

    #[test]
    fn every_language_has_every_message_and_each_renders() {
        let templates = Templates::new().unwrap();
        assert_eq!(templates.languages(), ["en", "es"]);
        for language in templates.languages() {
            for kind in NoticeKind::ALL
                .into_iter()
                .filter(|k| k.subject() == Subject::Booking)
            {
                for to in kind.recipients(true) {
                    let mail = templates.render(language, kind, to, &facts()).unwrap();
                    assert!(
                        mail.subject.contains("2031-12-02, 10:00–11:30"),
                        "{language} {kind}: {}",
                        mail.subject
                    );
                    assert!(mail.text.contains("bkg_1") && mail.html.contains("bkg_1"));
                    assert!(
                        mail.text.contains("Ana <Ruiz>"),
                        "plain text is not escaped"
                    );
                    assert!(
                        mail.html.contains("Ana &lt;Ruiz&gt;"),
                        "HTML is: {}",
                        mail.html
                    );
                    assert!(!mail.subject.contains('\n'));
                }
            }
        }
    }

    #[test]
    fn refunds_name_what_goes_back_and_a_mismatch_shows_both_amounts() {
        let templates = Templates::new().unwrap();
        let mismatched = MailFacts {
            paid: Some("15.00 USD".into()),
            ..facts()
        };
        for language in templates.languages() {
            let mail = templates
                .render(
                    language,
                    NoticeKind::PaymentMismatch,
                    Recipient::Staff,
                    &mismatched,
                )
                .unwrap();
            for body in [&mail.text, &mail.html] {
                assert!(
                    body.contains("15.00 USD") && body.contains("18.00 EUR"),
                    "{language}: {body}"
                );
            }
            for (kind, to) in [
                (NoticeKind::PaymentConflict, Recipient::Customer),
                (NoticeKind::PaymentConflict, Recipient::Staff),
                (NoticeKind::Refunded, Recipient::Customer),
            ] {
                // Nothing recorded as paid: the price stands for what goes back.
                let unpaid = MailFacts {
                    paid: None,
                    ..facts()
                };
                for facts in [&mismatched, &unpaid] {
                    let mail = templates.render(language, kind, to, facts).unwrap();
                    let amount = facts.paid.as_deref().unwrap_or(&facts.price);
                    assert!(
                        mail.text.contains(amount) && mail.html.contains(amount),
                        "{language} {kind}: {}",
                        mail.text
                    );
                }
            }
        }
    }

    #[test]
    fn spanish_and_english_read_in_their_language_and_stays_count_nights() {
        let templates = Templates::new().unwrap();
        let es = templates
            .render("es", NoticeKind::Confirmed, Recipient::Customer, &facts())
            .unwrap();
        assert!(
            es.subject.starts_with("Reserva confirmada"),
            "{}",
            es.subject
        );
        let stay = MailFacts {
            date: None,
            start: None,
            end: None,
            check_in: Some("2031-12-20".into()),
            check_out: Some("2031-12-23".into()),
            nights: Some(3),
            ..facts()
        };
        let en = templates
            .render("en", NoticeKind::Cancelled, Recipient::Staff, &stay)
            .unwrap();
        assert!(
            en.subject.contains("2031-12-20 → 2031-12-23 (3 nights)"),
            "{}",
            en.subject
        );
        assert!(
            templates
                .render("fr", NoticeKind::Confirmed, Recipient::Customer, &facts())
                .is_err()
        );
    }

    fn account() -> AccountFacts {
        AccountFacts {
            venue: "Club <Norte>".into(),
            venue_id: "ven_1".into(),
            time_zone: "America/Mexico_City".into(),
            failures: 3,
            last_error: Some("Mercado Pago refused the request (400): invalid <grant>".into()),
            expires: Some("2026-12-01 18:00".into()),
            connect_route: "GET /v1/venues/ven_1/payment-accounts/mercadopago/connect".into(),
            put_route: "PUT /v1/venues/ven_1/payment-accounts/mercadopago".into(),
        }
    }

    #[test]
    fn a_failing_account_is_told_to_staff_in_each_language_with_what_to_do() {
        let templates = Templates::new().unwrap();
        for language in templates.languages() {
            let mail = templates
                .render_account(
                    language,
                    NoticeKind::AccountFailing,
                    Recipient::Staff,
                    &account(),
                )
                .unwrap();
            assert!(mail.subject.contains("Mercado Pago"), "{}", mail.subject);
            assert!(!mail.subject.contains('\n'));
            // HTML escapes `/` too: read it as a mail client shows it.
            let html = mail.html.replace("&#x2f;", "/");
            for body in [&mail.text, &html] {
                let failed = if language == "es" {
                    "3 veces"
                } else {
                    "3 times"
                };
                for fact in [
                    "Mercado Pago",
                    failed,
                    "2026-12-01 18:00",
                    "America/Mexico_City",
                    "/v1/venues/ven_1/payment-accounts/mercadopago/connect",
                    "PUT /v1/venues/ven_1/payment-accounts/mercadopago",
                ] {
                    assert!(body.contains(fact), "{language}: {fact} in {body}");
                }
                assert!(
                    !body.contains("Booking") && !body.contains("Reserva "),
                    "{body}"
                );
            }
            assert!(mail.text.contains("invalid <grant>"), "{}", mail.text);
            assert!(mail.html.contains("invalid &lt;grant&gt;"), "{}", mail.html);
            assert!(mail.html.contains("Club &lt;Norte&gt;"), "{}", mail.html);
        }
        let es = templates
            .render_account(
                "es",
                NoticeKind::AccountFailing,
                Recipient::Staff,
                &account(),
            )
            .unwrap();
        assert!(es.text.contains("pagos en línea"), "{}", es.text);
        let en = templates
            .render_account(
                "en",
                NoticeKind::AccountFailing,
                Recipient::Staff,
                &account(),
            )
            .unwrap();
        assert!(en.text.contains("online payments"), "{}", en.text);

        // Without a recorded error or expiry it still reads.
        let bare = AccountFacts {
            last_error: None,
            expires: None,
            ..account()
        };
        for language in templates.languages() {
            let mail = templates
                .render_account(
                    language,
                    NoticeKind::AccountFailing,
                    Recipient::Staff,
                    &bare,
                )
                .unwrap();
            assert!(mail.text.contains("Mercado Pago"), "{}", mail.text);
        }
    }

    #[test]
    fn a_notice_renders_only_from_the_facts_of_what_it_is_about() {
        let templates = Templates::new().unwrap();
        assert!(matches!(
            templates.render("en", NoticeKind::AccountFailing, Recipient::Staff, &facts()),
            Err(MessagingError::Facts(NoticeKind::AccountFailing))
        ));
        assert!(matches!(
            templates.render_account("en", NoticeKind::Confirmed, Recipient::Staff, &account()),
            Err(MessagingError::Facts(NoticeKind::Confirmed))
        ));
        assert!(matches!(
            templates.render_calendar(
                "en",
                NoticeKind::AccountFailing,
                Recipient::Staff,
                &calendar()
            ),
            Err(MessagingError::Facts(NoticeKind::AccountFailing))
        ));
        assert!(matches!(
            templates.render_account(
                "en",
                NoticeKind::CalendarFailing,
                Recipient::Staff,
                &account()
            ),
            Err(MessagingError::Facts(NoticeKind::CalendarFailing))
        ));
    }

    fn calendar() -> CalendarFacts {
        CalendarFacts {
            venue: "Cabañas <Sur>".into(),
            resource: "Cabaña 1".into(),
            resource_id: "res_1".into(),
            calendar: "Airbnb".into(),
            calendar_id: "cal_1".into(),
            time_zone: "America/Lima".into(),
            failures: 3,
            last_error: Some("the feed's server answered with status 404".into()),
            last_success: Some("2026-11-30 09:15".into()),
            blocks: 4,
            list_route: "GET /v1/resources/res_1/calendars".into(),
            sync_route: "POST /v1/resources/res_1/calendars/cal_1/sync".into(),
        }
    }

    #[test]
    fn a_failing_calendar_is_told_to_staff_in_each_language_with_what_to_do() {
        let templates = Templates::new().unwrap();
        let never = CalendarFacts {
            last_success: None,
            last_error: None,
            ..calendar()
        };
        for language in templates.languages() {
            let mail = templates
                .render_calendar(
                    language,
                    NoticeKind::CalendarFailing,
                    Recipient::Staff,
                    &calendar(),
                )
                .unwrap();
            assert!(
                mail.subject.contains("Airbnb") && mail.subject.contains("Cabaña 1"),
                "{}",
                mail.subject
            );
            assert!(!mail.subject.contains('\n'));
            let html = mail.html.replace("&#x2f;", "/").replace("&#x27;", "'");
            for body in [&mail.text, &html] {
                let (failed, holding) = if language == "es" {
                    ("3 veces", "bloqueando sus fechas: 4.")
                } else {
                    ("3 times", "block their dates: 4.")
                };
                for fact in [
                    holding,
                    "Airbnb",
                    "Cabaña 1",
                    failed,
                    "2026-11-30 09:15",
                    "status 404",
                    "GET /v1/resources/res_1/calendars",
                    "POST /v1/resources/res_1/calendars/cal_1/sync",
                ] {
                    assert!(body.contains(fact), "{language}: {fact} in {body}");
                }
            }
            assert!(mail.text.contains("Cabañas <Sur>"), "{}", mail.text);
            assert!(mail.html.contains("Cabañas &lt;Sur&gt;"), "{}", mail.html);
            assert!(mail.text.contains("America/Lima"));
            assert!(
                mail.text.contains("cal_1") && mail.html.contains("cal_1"),
                "the footer names the calendar: {}",
                mail.html
            );

            let mail = templates
                .render_calendar(
                    language,
                    NoticeKind::CalendarFailing,
                    Recipient::Staff,
                    &never,
                )
                .unwrap();
            let never_synced = if language == "es" {
                "Nunca se ha sincronizado"
            } else {
                "never synced"
            };
            assert!(mail.text.contains(never_synced), "{}", mail.text);
            assert!(mail.html.contains(never_synced), "{}", mail.html);
        }
    }

    /// Every mail there is, in every language, from facts that take each branch the
    /// templates have: the text they rendered before the render became one, to the byte.
    fn every_mail() -> String {
        let templates = Templates::new().unwrap();
        let stay = MailFacts {
            date: None,
            start: None,
            end: None,
            check_in: Some("2031-12-20".into()),
            check_out: Some("2031-12-23".into()),
            nights: Some(3),
            paid: None,
            calendars: None,
            ..facts()
        };
        let one_night = MailFacts {
            check_out: Some("2031-12-21".into()),
            nights: Some(1),
            paid: Some("15.00 USD".into()),
            ..stay.clone()
        };
        let bare = AccountFacts {
            last_error: None,
            expires: None,
            ..account()
        };
        let never = CalendarFacts {
            last_success: None,
            last_error: None,
            ..calendar()
        };
        let mut out = String::new();
        for language in templates.languages() {
            for kind in NoticeKind::ALL {
                for to in kind.recipients(true) {
                    let mails = match kind.subject() {
                        Subject::Booking => [
                            ("slot", &facts()),
                            ("stay", &stay),
                            ("one night", &one_night),
                        ]
                        .map(|(told, facts)| {
                            (told, templates.render(language, kind, to, facts).unwrap())
                        })
                        .to_vec(),
                        Subject::Venue => [("account", &account()), ("bare", &bare)]
                            .map(|(told, facts)| {
                                (
                                    told,
                                    templates.render_account(language, kind, to, facts).unwrap(),
                                )
                            })
                            .to_vec(),
                        Subject::Calendar => [("calendar", &calendar()), ("never", &never)]
                            .map(|(told, facts)| {
                                (
                                    told,
                                    templates
                                        .render_calendar(language, kind, to, facts)
                                        .unwrap(),
                                )
                            })
                            .to_vec(),
                    };
                    for (told, mail) in mails {
                        for (part, body) in [
                            ("subject", &mail.subject),
                            ("txt", &mail.text),
                            ("html", &mail.html),
                        ] {
                            out.push_str(&format!(
                                "==== {language}/{kind}.{} ({told}) {part}\n{body}\n",
                                to.as_str()
                            ));
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_mail_reads_as_it_did() {
        assert_eq!(every_mail(), include_str!("render/every_mail.txt"));
    }
}
