//! Rate limits: which group a request counts in (by its route's audience and its caller), each
//! group's quota in a fixed window aligned to the clock, and where a counted caller stands.

use std::fmt;

use jiff::Timestamp;

/// Who a route is for, as docs/api.md's route table says: what decides its limit group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// No token needed (a venue, availability).
    Anyone,
    /// Anyone holding a resource's export token (the iCal feed).
    Token,
    /// Any signed-in caller (book, their own bookings).
    SignedIn,
    /// A booking's owner or its venue's admin.
    OwnerOrAdmin,
    /// Venue staff of the venue's organisation.
    Admin,
    /// A payment provider's server, or a seller's browser sent back by one (webhooks, OAuth).
    Provider,
    /// The health check, for load balancers and alarms.
    Health,
}

impl Audience {
    pub const ALL: [Audience; 7] = [
        Audience::Anyone,
        Audience::Token,
        Audience::SignedIn,
        Audience::OwnerOrAdmin,
        Audience::Admin,
        Audience::Provider,
        Audience::Health,
    ];

    /// As `openapi.yaml`'s `x-audience` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Anyone => "anyone",
            Audience::Token => "token",
            Audience::SignedIn => "signed-in",
            Audience::OwnerOrAdmin => "owner-or-admin",
            Audience::Admin => "admin",
            Audience::Provider => "provider",
            Audience::Health => "health",
        }
    }
}

/// A group of routes that share a quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitGroup {
    /// A customer's writes under `/v1/`, per caller.
    Writes,
    /// Every route for admins (and an admin's writes anywhere), per caller.
    Admin,
    /// The routes for anyone, per client IP.
    Public,
}

impl LimitGroup {
    pub const ALL: [LimitGroup; 3] = [LimitGroup::Writes, LimitGroup::Admin, LimitGroup::Public];

    pub fn as_str(self) -> &'static str {
        match self {
            LimitGroup::Writes => "writes",
            LimitGroup::Admin => "admin",
            LimitGroup::Public => "public",
        }
    }

    fn parse(raw: &str) -> Option<LimitGroup> {
        LimitGroup::ALL.into_iter().find(|g| g.as_str() == raw)
    }
}

impl fmt::Display for LimitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known of a request's caller when its limit is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// No verified token.
    Anonymous,
    /// A signed-in caller who is no venue's staff.
    Customer,
    /// Venue staff (the `admin` group).
    Staff,
}

/// The group a request counts in, if any: by who its route is for, whether it writes (a
/// `POST`, `PATCH`, `PUT` or `DELETE` under `/v1/`) and who calls. The health check and the
/// providers' calls count in none (a webhook retried by Stripe must never be refused), and a
/// customer's reads of their own bookings in none either: docs/api.md limits only writes.
pub fn group_for(audience: Audience, writes: bool, caller: Counted) -> Option<LimitGroup> {
    match (audience, caller) {
        (Audience::Health | Audience::Provider, _) => None,
        (Audience::Anyone | Audience::Token, _) => Some(LimitGroup::Public),
        // Without a token these answer 401 at once, reading nothing: nobody to count.
        (_, Counted::Anonymous) => None,
        (Audience::Admin, _) | (_, Counted::Staff) => Some(LimitGroup::Admin),
        (Audience::SignedIn | Audience::OwnerOrAdmin, Counted::Customer) => {
            writes.then_some(LimitGroup::Writes)
        }
    }
}

/// So many requests per window of so many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub requests: u32,
    pub window_seconds: u32,
}

/// A window of a quota: when it started and how long until the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Epoch seconds, a multiple of the window's length.
    pub start: i64,
    /// Whole seconds until the window ends (at least 1).
    pub resets_in: u32,
}

impl Quota {
    /// The window `now` falls in: windows start at every multiple of their length since the
    /// Unix epoch, so every instance of every function counts in the same one.
    pub fn window_at(&self, now: Timestamp) -> Window {
        let length = i64::from(self.window_seconds.max(1));
        let second = now.as_second();
        let start = second.div_euclid(length) * length;
        Window {
            start,
            resets_in: u32::try_from(start + length - second).unwrap_or(1).max(1),
        }
    }
}

/// The quota of each group that has one: `HOLDFAST_RATE_LIMITS`
/// (`writes=20/60,admin=300/60,public=120/60`); a group left out is not limited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    quotas: Vec<(LimitGroup, Quota)>,
}

impl RateLimits {
    /// docs/api.md's defaults.
    pub const DEFAULT: &str = "writes=20/60,admin=300/60,public=120/60";

    pub fn parse(raw: &str) -> Result<RateLimits, String> {
        let mut quotas: Vec<(LimitGroup, Quota)> = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let wrong = || format!("`{entry}` is not group=requests/seconds");
            let (name, rule) = entry.split_once('=').ok_or_else(wrong)?;
            let group = LimitGroup::parse(name.trim())
                .ok_or_else(|| format!("`{name}` is not a limit group (writes, admin, public)"))?;
            let (requests, seconds) = rule.split_once('/').ok_or_else(wrong)?;
            let requests: u32 = requests.trim().parse().map_err(|_| wrong())?;
            let window_seconds: u32 = seconds.trim().parse().map_err(|_| wrong())?;
            if requests == 0 || !(1..=86_400).contains(&window_seconds) {
                return Err(format!(
                    "`{entry}`: at least one request, in a window of 1 second to a day"
                ));
            }
            if quotas.iter().any(|(g, _)| *g == group) {
                return Err(format!("`{name}` is given twice"));
            }
            quotas.push((
                group,
                Quota {
                    requests,
                    window_seconds,
                },
            ));
        }
        quotas.sort_by_key(|(g, _)| *g);
        Ok(RateLimits { quotas })
    }

    pub fn quota(&self, group: LimitGroup) -> Option<Quota> {
        self.quotas
            .iter()
            .find(|(g, _)| *g == group)
            .map(|(_, q)| *q)
    }
}

/// Where a caller stands in its group's window after this request was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub group: LimitGroup,
    pub quota: Quota,
    pub window: Window,
    /// Requests this window has left after this one; `None`: this one was over the quota.
    pub left: Option<u32>,
}

impl Standing {
    /// The standing of a request counted as the window's `count`th, or refused (`None`).
    pub fn of(group: LimitGroup, quota: Quota, window: Window, count: Option<u32>) -> Standing {
        Standing {
            group,
            quota,
            window,
            left: count.map(|c| quota.requests.saturating_sub(c)),
        }
    }

    pub fn refused(&self) -> bool {
        self.left.is_none()
    }

    /// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers): `"writes";q=20;w=60`.
    pub fn policy_header(&self) -> String {
        format!(
            "\"{}\";q={};w={}",
            self.group, self.quota.requests, self.quota.window_seconds
        )
    }

    /// `RateLimit`: `"writes";r=7;t=41`, requests left and seconds until the window ends.
    pub fn header(&self) -> String {
        format!(
            "\"{}\";r={};t={}",
            self.group,
            self.left.unwrap_or(0),
            self.window.resets_in
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_defaults_read_as_docs_api_md_writes_them() {
        let limits = RateLimits::parse(RateLimits::DEFAULT).unwrap();
        let quota = |g| limits.quota(g).unwrap();
        assert_eq!(
            quota(LimitGroup::Writes),
            Quota {
                requests: 20,
                window_seconds: 60
            }
        );
        assert_eq!(
            quota(LimitGroup::Admin),
            Quota {
                requests: 300,
                window_seconds: 60
            }
        );
        assert_eq!(
            quota(LimitGroup::Public),
            Quota {
                requests: 120,
                window_seconds: 60
            }
        );
        let only = RateLimits::parse(" writes = 5 / 10 ").unwrap();
        assert_eq!(only.quota(LimitGroup::Admin), None);
        assert_eq!(RateLimits::parse("").unwrap(), RateLimits::default());
    }

    #[test]
    fn a_wrong_limit_says_what_is_wrong() {
        for (raw, says) in [
            ("writes=20", "group=requests/seconds"),
            ("reads=20/60", "not a limit group"),
            ("writes=0/60", "at least one request"),
            ("writes=20/0", "at least one request"),
            ("writes=x/60", "group=requests/seconds"),
            ("writes=1/60,writes=2/60", "twice"),
        ] {
            let err = RateLimits::parse(raw).unwrap_err();
            assert!(err.contains(says), "{raw}: {err}");
        }
    }

    #[test]
    fn each_request_counts_where_docs_api_md_puts_it() {
        use Audience::*;
        use Counted::*;
        let cases = [
            (Health, false, Anonymous, None),
            (Provider, true, Anonymous, None),
            (Anyone, false, Anonymous, Some(LimitGroup::Public)),
            (Anyone, false, Staff, Some(LimitGroup::Public)),
            (Token, false, Customer, Some(LimitGroup::Public)),
            (SignedIn, true, Customer, Some(LimitGroup::Writes)),
            (SignedIn, false, Customer, None),
            (OwnerOrAdmin, true, Customer, Some(LimitGroup::Writes)),
            (OwnerOrAdmin, true, Staff, Some(LimitGroup::Admin)),
            (OwnerOrAdmin, false, Staff, Some(LimitGroup::Admin)),
            (Admin, false, Customer, Some(LimitGroup::Admin)),
            (Admin, true, Staff, Some(LimitGroup::Admin)),
            (Admin, true, Anonymous, None),
            (SignedIn, true, Anonymous, None),
        ];
        for (audience, writes, caller, group) in cases {
            assert_eq!(
                group_for(audience, writes, caller),
                group,
                "{audience:?} {writes} {caller:?}"
            );
        }
    }

    #[test]
    fn the_headers_are_the_drafts() {
        let quota = Quota {
            requests: 20,
            window_seconds: 60,
        };
        let window = quota.window_at(Timestamp::from_second(1_800_000_019).unwrap());
        assert_eq!(
            window,
            Window {
                start: 1_800_000_000,
                resets_in: 41
            }
        );
        let counted = Standing::of(LimitGroup::Writes, quota, window, Some(13));
        assert_eq!(counted.policy_header(), "\"writes\";q=20;w=60");
        assert_eq!(counted.header(), "\"writes\";r=7;t=41");
        let over = Standing::of(LimitGroup::Writes, quota, window, None);
        assert!(over.refused());
        assert_eq!(over.header(), "\"writes\";r=0;t=41");
    }

    proptest! {
        /// Every instant is in exactly one window: aligned, containing it, and reset by its end.
        #[test]
        fn windows_are_aligned_and_hold_their_instant(
            second in -10_000_000_000i64..10_000_000_000,
            length in 1u32..=86_400,
        ) {
            let quota = Quota { requests: 1, window_seconds: length };
            let now = Timestamp::from_second(second).unwrap();
            let window = quota.window_at(now);
            prop_assert_eq!(window.start.rem_euclid(i64::from(length)), 0);
            prop_assert!(window.start <= second);
            prop_assert!(second < window.start + i64::from(length));
            prop_assert_eq!(window.start + i64::from(length) - second, i64::from(window.resets_in));
            let next = Timestamp::from_second(second + i64::from(window.resets_in)).unwrap();
            prop_assert_eq!(quota.window_at(next).start, window.start + i64::from(length));
        }
    }
}
