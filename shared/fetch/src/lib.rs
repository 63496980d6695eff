//! Fetches a calendar feed URL without letting the URL reach inside: https only, public addresses
//! only (on the address connected to, every redirect included), conditional, timed and capped.

mod address;

use std::error::Error;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{
    ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
};
use reqwest::{Response, StatusCode, Url, redirect};

use address::{GuardedResolver, NoAllowedAddress, Range, classify};

/// What went wrong, in words fit for a calendar's `last_error`: no URL, no internals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL (or a redirect's) is not one we fetch; nothing was sent. A configuration error.
    #[error("refused to fetch the feed: {reason}")]
    Refused { reason: &'static str },
    /// The whole fetch, redirects and body included, took longer than allowed.
    #[error("the feed's server did not answer in time")]
    TimedOut,
    /// The body is over the cap; the download was stopped there.
    #[error("the feed is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    /// Any answer but 2xx and 304, after redirects.
    #[error("the feed's server answered with status {0}")]
    Status(u16),
    /// The name did not resolve or the connection (TLS included) could not be made.
    #[error("could not connect to the feed's server")]
    Unreachable,
    /// The connection broke after it was made, before the whole answer came.
    #[error("the connection to the feed's server broke off")]
    Interrupted,
    /// An answer that is not valid HTTP as we need it, such as a redirect to nowhere.
    #[error("the feed's server sent an invalid answer")]
    Malformed,
}

/// The bounds of each fetch. `allow_loopback_http` is for `make dev` and the tests only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    pub connect_timeout: Duration,
    /// Bounds the whole fetch: every redirect hop and the body.
    pub total_timeout: Duration,
    pub max_bytes: usize,
    pub max_redirects: u32,
    /// DEVELOPMENT ONLY: allows loopback addresses, and plain `http` to a loopback IP literal.
    /// Never turn on in a deployed stack.
    pub allow_loopback_http: bool,
}

impl Default for FetchPolicy {
    fn default() -> FetchPolicy {
        FetchPolicy {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(20),
            max_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            allow_loopback_http: false,
        }
    }
}

/// The validators of the copy we hold, sent back for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// 304: the copy we hold is current.
    NotModified,
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
        /// Where the redirects ended, if any.
        final_url: Url,
    },
}

/// The HTTP client could not be built.
pub type ClientError = reqwest::Error;

/// One client for every feed fetch, built once at cold start; its resolver is stateless.
#[derive(Debug, Clone)]
pub struct FeedFetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
}

impl FeedFetcher {
    /// Fails only when the TLS backend cannot start.
    /// The limits and settings this fetcher keeps.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    pub fn new(policy: FetchPolicy) -> Result<FeedFetcher, ClientError> {
        let client = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            // Each hop's URL is checked before it is followed.
            .redirect(redirect::Policy::none())
            // A proxy would be resolved and connected to instead of the feed's host, and the
            // address check would then look at the proxy's address.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_loopback: policy.allow_loopback_http,
            }))
            .user_agent(concat!("holdfast/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(FeedFetcher { client, policy })
    }

    /// GETs `url` with the validators, following up to `max_redirects` redirects, each
    /// checked like `url` itself, within `total_timeout`.
    pub async fn fetch(&self, url: &str, validators: &Validators) -> Result<Fetched, FetchError> {
        self.fetch_within(url, validators, self.policy.total_timeout)
            .await
    }

    /// [`FeedFetcher::fetch`] within `within` if that is sooner than `total_timeout`: for a
    /// caller with a deadline of its own, such as a request's budget.
    pub async fn fetch_within(
        &self,
        url: &str,
        validators: &Validators,
        within: Duration,
    ) -> Result<Fetched, FetchError> {
        let url = check_url(url, self.policy.allow_loopback_http)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let fetched = tokio::time::timeout(
            within.min(self.policy.total_timeout),
            self.fetch_checked(url, validators),
        )
        .await
        .unwrap_or(Err(FetchError::TimedOut));
        if let Err(error) = &fetched {
            // The host only: feed URLs often carry a secret token in their path or query.
            tracing::info!(%host, %error, "calendar feed fetch failed");
        }
        fetched
    }

    async fn fetch_checked(
        &self,
        mut url: Url,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let conditions = conditional_headers(validators);
        for _ in 0..=self.policy.max_redirects {
            let response = self
                .client
                .get(url.clone())
                .headers(conditions.clone())
                .send()
                .await
                .map_err(|error| send_error(&url, &error))?;
            let status = response.status();
            match status {
                StatusCode::NOT_MODIFIED => return Ok(Fetched::NotModified),
                StatusCode::MOVED_PERMANENTLY
                | StatusCode::FOUND
                | StatusCode::SEE_OTHER
                | StatusCode::TEMPORARY_REDIRECT
                | StatusCode::PERMANENT_REDIRECT => {
                    let location =
                        header(response.headers(), LOCATION).ok_or(FetchError::Malformed)?;
                    let next = url.join(&location).map_err(|_| FetchError::Malformed)?;
                    url = check_parsed(next, self.policy.allow_loopback_http)?;
                }
                _ if status.is_success() => return self.body(response, url).await,
                _ => return Err(FetchError::Status(status.as_u16())),
            }
        }
        Err(FetchError::Refused {
            reason: "it redirects too many times",
        })
    }

    async fn body(&self, mut response: Response, final_url: Url) -> Result<Fetched, FetchError> {
        let limit = self.policy.max_bytes;
        let too_large = FetchError::TooLarge { limit };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large);
        }
        let etag = header(response.headers(), ETAG);
        let last_modified = strong_last_modified(response.headers());
        let mut bytes = Vec::new();
        // Returning drops the response and with it the connection: no more is read than the
        // cap and the one chunk that passed it.
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| FetchError::Interrupted)?
        {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            bytes,
            etag,
            last_modified,
            final_url,
        })
    }
}

/// Checks a feed URL as the API registers it: `https` (or, in development, `http` to a loopback
/// IP literal), no credentials, and no IP literal outside the public internet. A host name is
/// accepted here; where it resolves is checked on every fetch.
pub fn check_url(url: &str, allow_loopback_http: bool) -> Result<Url, FetchError> {
    let url = Url::parse(url).map_err(|_| FetchError::Refused {
        reason: "it is not a valid URL",
    })?;
    check_parsed(url, allow_loopback_http)
}

fn check_parsed(url: Url, allow_loopback_http: bool) -> Result<Url, FetchError> {
    let refused = |reason| Err(FetchError::Refused { reason });
    if !url.username().is_empty() || url.password().is_some() {
        return refused("it carries a user name or password");
    }
    // The parser has already turned decimal, octal and hex IPv4 spellings into addresses.
    let Some(host) = url.host_str() else {
        return refused("it has no host");
    };
    // IPv6 literals come bracketed; a domain never parses as an address.
    let literal = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    // A literal is connected to without resolving, so the resolver's check must happen here.
    let range = literal.map(classify);
    if let Some(range) = range.filter(|range| !range.allowed(allow_loopback_http)) {
        return refused(range.reason());
    }
    match url.scheme() {
        "https" => Ok(url),
        // A literal, so that nothing but loopback can be reached in the clear.
        "http" if allow_loopback_http && range == Some(Range::Loopback) => Ok(url),
        "http" => refused("it is not https"),
        _ => refused("it is neither https nor http"),
    }
}

fn conditional_headers(validators: &Validators) -> HeaderMap {
    let mut headers = HeaderMap::new();
    // A stored validator that is not a valid header value only costs a full download.
    let pairs = [
        (IF_NONE_MATCH, &validators.etag),
        (IF_MODIFIED_SINCE, &validators.last_modified),
    ];
    for (name, value) in pairs {
        if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    headers
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// `Last-Modified`, if it can stand as a validator: only when the answer's `Date` is at least a
/// second later (RFC 9110 8.8.2.2). A feed changed again within the second it was served in
/// keeps the same `Last-Modified`, and asking `If-Modified-Since` would then miss the change
/// for good.
fn strong_last_modified(headers: &HeaderMap) -> Option<String> {
    let read = |name| {
        let raw = header(headers, name)?;
        let at = jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(&raw)
            .ok()?;
        Some((raw, at))
    };
    let (raw, modified) = read(LAST_MODIFIED)?;
    let (_, served) = read(reqwest::header::DATE)?;
    (served.duration_since(modified) >= jiff::SignedDuration::from_secs(1)).then_some(raw)
}

/// Sorts the client's error into ours; the cause goes to the log with the host only.
fn send_error(url: &Url, error: &reqwest::Error) -> FetchError {
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        if cause.is::<NoAllowedAddress>() {
            return FetchError::Refused {
                reason: "its host resolves only to private or internal addresses",
            };
        }
        causes.push(cause.to_string());
        source = cause.source();
    }
    tracing::debug!(
        host = url.host_str().unwrap_or_default(),
        causes = causes.join(": "),
        "feed request failed"
    );
    if error.is_timeout() {
        FetchError::TimedOut
    } else if error.is_connect() {
        FetchError::Unreachable
    } else {
        FetchError::Interrupted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(
                reqwest::header::HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn last_modified_is_a_validator_only_when_served_a_second_later() {
        let modified = "Mon, 23 Nov 2026 22:45:15 GMT";
        let later = answer(&[
            ("last-modified", modified),
            ("date", "Mon, 23 Nov 2026 22:45:16 GMT"),
        ]);
        assert_eq!(strong_last_modified(&later).as_deref(), Some(modified));
        // Served in the same second it changed: it may change again within it.
        let same_second = answer(&[("last-modified", modified), ("date", modified)]);
        assert_eq!(strong_last_modified(&same_second), None);
        // From the server's future, without a Date, or unreadable: not trusted either.
        let future = answer(&[
            ("last-modified", modified),
            ("date", "Mon, 23 Nov 2026 22:40:00 GMT"),
        ]);
        assert_eq!(strong_last_modified(&future), None);
        assert_eq!(
            strong_last_modified(&answer(&[("last-modified", modified)])),
            None
        );
        let garbage = answer(&[("last-modified", "yesterday"), ("date", modified)]);
        assert_eq!(strong_last_modified(&garbage), None);
    }
}
