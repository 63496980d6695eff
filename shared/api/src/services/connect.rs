//! Connecting a venue's Mercado Pago account with OAuth (authorization code, PKCE, a signed
//! single-use state), and the scheduled job that refreshes its tokens before they expire.

use std::time::Duration;

use holdfast_domain::{AccountSummary, VenueId, Zone};
use holdfast_domain::{
    MercadoPagoAccount, Notice, OAuthError, PaymentProvider, Pkce, ProviderAccount, Secret,
    needs_refresh, redact, refresh_due_before, should_alert, sign_state, verify_state,
};
use holdfast_payments::ProviderError;
use holdfast_payments::mercadopago::{Application, Tokens};
use holdfast_store::{DueAccount, PendingConnect};
use jiff::Timestamp;
use serde::Serialize;
use tokio::time::Instant;

use super::accounts;
use super::payments::providers;
use super::{administered_venue, venue_facts};
use super::{notices, runner};
use crate::app::{App, Providers};
use crate::caller::Caller;
use crate::error::ApiError;

/// Where Mercado Pago sends the seller back, under the public base URL.
const CALLBACK_PATH: &str = "/oauth/mercadopago/callback";

/// One answer for every state refused (missing, altered, expired, used): a caller learns
/// nothing from which.
const STATE_REFUSED: &str = "the OAuth state does not verify";

/// How many due accounts one run reads; the next run takes the rest.
const BATCH: usize = 200;

/// Refreshes at once: few, to stay well inside Mercado Pago's rate limits.
const IN_FLIGHT: usize = 4;

/// A run starts no new refresh after this, well inside its Lambda timeout; what is left waits
/// for the next run (the 30-day window leaves many).
const RUN_BUDGET: Duration = Duration::from_secs(40);

/// How often tokens already refreshed are offered to the table before they are given up.
const STORE_ATTEMPTS: u32 = 3;

/// The platform's application at Mercado Pago and where it is reached, from the config.
struct OAuthClient<'a> {
    providers: &'a Providers,
    application: Application,
    redirect_uri: String,
}

/// The platform's application at Mercado Pago: all a refresh needs.
fn application(app: &App) -> Result<Application, ApiError> {
    let config = &providers(app)?.config;
    match (
        config.mercadopago_client_id.clone(),
        config.mercadopago_client_secret.clone(),
    ) {
        (Some(client_id), Some(client_secret)) => Ok(Application {
            client_id,
            client_secret,
        }),
        _ => Err(ApiError::Internal(
            "Mercado Pago OAuth needs HOLDFAST_MERCADOPAGO_CLIENT_ID and _CLIENT_SECRET".into(),
        )),
    }
}

/// The application and where Mercado Pago sends sellers back: what a connect needs.
fn oauth_client(app: &App) -> Result<OAuthClient<'_>, ApiError> {
    let providers = providers(app)?;
    let application = application(app)?;
    let base = providers.config.public_base_url.as_deref().ok_or_else(|| {
        ApiError::Internal("Mercado Pago OAuth needs HOLDFAST_PUBLIC_BASE_URL".into())
    })?;
    Ok(OAuthClient {
        providers,
        application,
        redirect_uri: format!("{}{CALLBACK_PATH}", base.trim_end_matches('/')),
    })
}

fn internal(err: OAuthError) -> ApiError {
    ApiError::Internal(Box::new(err))
}

/// Bytes for the PKCE verifier. uuid v4 draws from the operating system's CSPRNG (getrandom);
/// fastrand is not used because it is a fast, predictable generator (wyrand), unfit for a
/// secret. Three v4 uuids give 48 bytes, 366 of their bits random: more than RFC 7636's 256.
fn verifier_bytes() -> [u8; 48] {
    let mut bytes = [0u8; 48];
    for chunk in bytes.chunks_mut(16) {
        chunk.copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    bytes
}

/// RFC 3986 percent-encoding of a query value: unreserved characters as they are, every other
/// byte as `%XX`.
fn percent_encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Starts a connect of `venue_id`'s Mercado Pago account (its admins only): a fresh PKCE pair
/// and nonce, the verifier kept server-side under the nonce, and the authorize URL with the
/// signed state and the challenge. Answers the authorize URL to send the admin to.
pub async fn connect_url(
    app: &App,
    caller: &Caller,
    venue_id: &VenueId,
) -> Result<String, ApiError> {
    administered_venue(app, caller, venue_id).await?;
    let client = oauth_client(app)?;
    // The callback seals the tokens: refuse now rather than after the seller has approved.
    accounts::can_seal(app)?;
    let now = app.clock.now();
    let pkce = Pkce::from_random(&verifier_bytes()).map_err(internal)?;
    // The nonce names the pending connect; it needs to be unique, not secret (the state's MAC
    // is what cannot be forged), and a v4 uuid is both.
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let secret = client.application.client_secret.expose();
    let state = sign_state(venue_id, &nonce, secret, now).map_err(internal)?;
    let pending = PendingConnect::new(
        nonce,
        venue_id.to_string(),
        pkce.verifier,
        caller.sub.clone(),
        now,
    );
    app.store.put_oauth_state(&pending).await?;
    let query = query_string(&[
        ("client_id", &client.application.client_id),
        ("response_type", "code"),
        ("platform_id", "mp"),
        ("state", &state),
        ("redirect_uri", &client.redirect_uri),
        ("code_challenge", &pkce.challenge),
        (
            "code_challenge_method",
            holdfast_domain::oauth::CHALLENGE_METHOD,
        ),
    ]);
    let auth_base = client
        .providers
        .config
        .mercadopago_auth_base
        .trim_end_matches('/');
    tracing::info!(%venue_id, started_by = %caller.sub, "Mercado Pago connect started");
    Ok(format!("{auth_base}/authorization?{query}"))
}

/// The account Mercado Pago's tokens make.
fn account_of(tokens: Tokens) -> ProviderAccount {
    ProviderAccount::MercadoPago(MercadoPagoAccount {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: tokens.expires_at,
        user_id: tokens.user_id,
    })
}

/// `GET /oauth/mercadopago/callback?code=&state=`: finishes a connect. The state must verify
/// and name a pending connect of the same venue, which is taken (so a state works once); the
/// code is then traded, with that connect's verifier, for the seller's tokens, which are
/// stored sealed as the venue's Mercado Pago account. Answers its summary, with the venue's
/// zone.
pub async fn oauth_callback(
    app: &App,
    code: Option<&str>,
    state: Option<&str>,
) -> Result<(AccountSummary, Zone), ApiError> {
    let client = oauth_client(app)?;
    let now = app.clock.now();
    let secret = client.application.client_secret.expose();
    let claims = state
        .ok_or(OAuthError::Malformed)
        .and_then(|raw| verify_state(raw, secret, now))
        .map_err(|err| {
            tracing::warn!(reason = %err, "an OAuth return was refused");
            ApiError::BadSignature(STATE_REFUSED)
        })?;
    let Some(pending) = app.store.take_oauth_state(&claims.nonce).await? else {
        tracing::warn!(venue_id = %claims.venue_id, "an OAuth state was used again");
        return Err(ApiError::BadSignature(STATE_REFUSED));
    };
    if pending.venue_id != claims.venue_id {
        tracing::warn!(venue_id = %claims.venue_id, "an OAuth state named another venue's connect");
        return Err(ApiError::BadSignature(STATE_REFUSED));
    }
    // Without a code (the seller declined: `error=access_denied`) the connect is over; its
    // state was taken above, so it cannot be tried again.
    let code = code
        .map(str::trim)
        .filter(|c| !c.is_empty() && c.len() <= 512)
        .ok_or_else(|| {
            ApiError::field(
                "code",
                "is required: Mercado Pago sent no authorization code (was access declined?)",
            )
        })?;
    accounts::can_seal(app)?;
    let venue = venue_facts(app, &pending.venue_id).await?;
    let tokens = client
        .providers
        .mercadopago
        .exchange_code(
            &client.application,
            code,
            &client.redirect_uri,
            pending.code_verifier.expose(),
            now,
        )
        .await
        .map_err(|err| exchange_refused(&pending.venue_id, err))?;
    let user_id = tokens.user_id.clone();
    let summary = accounts::store_account(app, &pending.venue_id, &account_of(tokens)).await?;
    tracing::info!(
        venue_id = %pending.venue_id,
        user_id,
        started_by = %pending.started_by,
        "Mercado Pago account connected"
    );
    Ok((summary, venue.zone.clone()))
}

/// A code Mercado Pago would not trade is the seller's to retry (connect again); refused
/// client credentials are the platform's fault, and an outage is a 503.
fn exchange_refused(venue_id: &VenueId, err: ProviderError) -> ApiError {
    match err {
        ProviderError::Refused { .. } | ProviderError::NotFound { .. } => {
            tracing::warn!(%venue_id, error = %err, "Mercado Pago refused an authorization code");
            ApiError::field(
                "code",
                "was refused by Mercado Pago: connect the account again",
            )
        }
        other => other.into(),
    }
}

/// What one `refresh-tokens` run did.
#[derive(Debug, Default, Serialize)]
pub struct RefreshRun {
    pub job: &'static str,
    /// Accounts found with tokens expiring within 30 days.
    pub due: usize,
    /// Accounts whose new tokens were stored.
    pub refreshed: usize,
    /// Accounts not refreshed this time (Mercado Pago refused or did not answer, or the new
    /// tokens could not be opened or stored); the next run tries again.
    pub failed: usize,
    /// Of those, accounts whose failures just reached three in a row: their venue's staff are
    /// mailed (once a streak: a fourth failure mails nothing more).
    pub alerted: usize,
    /// Items on the refresh list that did not read: logged and skipped.
    pub unreadable: usize,
    /// Accounts left for the next run when this one ran out of time.
    pub deferred: usize,
}

/// How one account's refresh ended.
enum Refreshed {
    Stored,
    /// Failed; with the alert to tell when this failure made three in a row.
    Failed(Option<Notice>),
    /// Nothing to do: the account was removed, reconnected or refreshed meanwhile.
    Moot,
}

/// Refreshes the tokens of every Mercado Pago account that expire within 30 days (and have not
/// expired: those can only be connected again), a few at a time, within the run's budget.
/// A refresh that fails is counted on the account and shown in its listing; the third failure
/// in a row writes an alert to the outbox with its count, told to the queue at the end of the
/// run, which mails the venue's staff once a streak; from the third on each failure is also
/// logged at error level, with the venue's id, for the alarm.
pub async fn refresh_tokens(app: &App) -> Result<RefreshRun, ApiError> {
    let started = Instant::now();
    let now = app.clock.now();
    let listed = app
        .store
        .mercadopago_accounts_due(now, refresh_due_before(now), BATCH)
        .await?;
    let mut run = RefreshRun {
        job: "refresh-tokens",
        due: listed.len(),
        ..RefreshRun::default()
    };
    let mut due = Vec::with_capacity(listed.len());
    for read in listed {
        match read {
            Ok(account) => due.push(account),
            Err(err) => {
                run.unreadable += 1;
                tracing::error!(error = %err, "refresh-tokens skipped an unreadable account");
            }
        }
    }
    if due.is_empty() {
        return Ok(run);
    }
    let application = application(app)?;
    let mut told = Vec::new();
    run.deferred = runner::in_flight(
        due.into_iter().map(|a| (a.venue_id.clone(), a)),
        IN_FLIGHT,
        started + RUN_BUDGET,
        |account| {
            let (app, application) = (app.clone(), application.clone());
            async move { refresh_one(&app, &application, &account, now).await }
        },
        |venue_id, outcome| match outcome {
            Ok(Ok(Refreshed::Stored)) => run.refreshed += 1,
            Ok(Ok(Refreshed::Failed(alert))) => {
                run.failed += 1;
                if let Some(notice) = alert {
                    run.alerted += 1;
                    told.push(notice);
                }
            }
            Ok(Ok(Refreshed::Moot)) => {}
            Ok(Err(err)) => {
                run.failed += 1;
                tracing::error!(%venue_id, error = %err, "refresh-tokens could not refresh an account");
            }
            Err(panicked) => {
                run.failed += 1;
                tracing::error!(%venue_id, error = %panicked, "refresh-tokens task failed");
            }
        },
    )
    .await;
    // Awaited, as the other jobs do, before the function may be frozen; what the queue does
    // not take now, the outbox sweep sends.
    notices::tell(app, &told).await;
    Ok(run)
}

/// Refreshes one account. The credentials are read again from the table (the index may be a
/// moment behind) and every write is conditional on them being unchanged, so an account
/// reconnected, removed or refreshed meanwhile is left to the newer write.
async fn refresh_one(
    app: &App,
    application: &Application,
    due: &DueAccount,
    now: Timestamp,
) -> Result<Refreshed, ApiError> {
    let venue_id = &due.venue_id;
    let provider = PaymentProvider::MercadoPago;
    let Some(sealed) = app.store.sealed_account(venue_id, provider).await? else {
        return Ok(Refreshed::Moot);
    };
    let ProviderAccount::MercadoPago(current) =
        accounts::open(app, venue_id, provider, &sealed).await?
    else {
        return Ok(Refreshed::Moot);
    };
    if !needs_refresh(current.expires_at, now) || current.expires_at <= now {
        return Ok(Refreshed::Moot);
    }
    let refreshed = providers(app)?
        .mercadopago
        .refresh(application, &current.refresh_token, now)
        .await;
    let secrets = [&current.access_token, &current.refresh_token];
    match refreshed {
        Ok(tokens) => store_refreshed(app, venue_id, &sealed, tokens, &secrets, now).await,
        Err(err) => {
            let text = redact(&refresh_error_text(&err), &secrets);
            record_failure(app, venue_id, &sealed, &text, now).await
        }
    }
}

/// What a failed refresh shows in the account's listing: the provider's reason, never a token.
fn refresh_error_text(err: &ProviderError) -> String {
    match err {
        // At the token endpoint a 401 is the platform's client credentials, not the venue's.
        ProviderError::Unauthorized { .. } => {
            "Mercado Pago refused Holdfast's application credentials".to_string()
        }
        other => other.to_string(),
    }
}

/// Stores refreshed tokens over the credentials `seen`. The refresh token used is spent, so
/// these tokens are the only ones that work now: storing them is tried again before giving up.
async fn store_refreshed(
    app: &App,
    venue_id: &VenueId,
    seen: &[u8],
    tokens: Tokens,
    secrets: &[&Secret],
    now: Timestamp,
) -> Result<Refreshed, ApiError> {
    let expires_at = tokens.expires_at;
    let account = account_of(tokens);
    let summary = account.summary(app.clock.now());
    let mut last_error = None;
    for attempt in 0..STORE_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        let stored = async {
            let sealed = accounts::seal(app, venue_id, &account).await?;
            Ok::<bool, ApiError>(
                app.store
                    .put_refreshed_account(venue_id, &summary, sealed, seen)
                    .await?,
            )
        };
        match stored.await {
            Ok(true) => {
                tracing::info!(%venue_id, %expires_at, "Mercado Pago tokens refreshed");
                return Ok(Refreshed::Stored);
            }
            Ok(false) => {
                tracing::warn!(
                    %venue_id,
                    "Mercado Pago tokens were refreshed for credentials replaced meanwhile; the newer stand"
                );
                return Ok(Refreshed::Moot);
            }
            Err(err) => last_error = Some(err),
        }
    }
    let error = last_error.map(|e| e.to_string()).unwrap_or_default();
    tracing::error!(
        %venue_id,
        error = %redact(&error, secrets),
        "Mercado Pago tokens were refreshed but could not be stored: the venue must connect again"
    );
    let text = "the renewed tokens could not be stored: connect the account again";
    record_failure(app, venue_id, seen, text, now).await
}

/// Counts a failed refresh on the account; the third in a row brings the alert (written to
/// the outbox with the count) that mails the venue's staff, and from then on each is logged
/// at error level.
async fn record_failure(
    app: &App,
    venue_id: &VenueId,
    seen: &[u8],
    text: &str,
    now: Timestamp,
) -> Result<Refreshed, ApiError> {
    let Some((failures, alert)) = app
        .store
        .record_refresh_failure(venue_id, seen, text, now)
        .await?
    else {
        return Ok(Refreshed::Moot);
    };
    if should_alert(failures) {
        // An error line with the venue's id, which the log alarm picks up; the mail goes once.
        tracing::error!(
            %venue_id,
            failures,
            error = text,
            alert = true,
            mailed = alert.is_some(),
            "Mercado Pago tokens keep failing to refresh: the venue must connect its account again"
        );
    } else {
        tracing::warn!(
            %venue_id,
            failures,
            error = text,
            "a Mercado Pago token refresh failed"
        );
    }
    Ok(Refreshed::Failed(alert))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(percent_encode("abc-._~XYZ09"), "abc-._~XYZ09");
        assert_eq!(
            percent_encode("http://127.0.0.1:3000/oauth/mercadopago/callback"),
            "http%3A%2F%2F127.0.0.1%3A3000%2Foauth%2Fmercadopago%2Fcallback"
        );
        assert_eq!(percent_encode("a b&c=d#é"), "a%20b%26c%3Dd%23%C3%A9");
        assert_eq!(
            query_string(&[("client_id", "123"), ("state", "v.n.1.ab")]),
            "client_id=123&state=v.n.1.ab"
        );
    }

    #[test]
    fn verifier_bytes_differ_every_time() {
        let (a, b) = (verifier_bytes(), verifier_bytes());
        assert_ne!(a, b);
        assert!(Pkce::from_random(&a).is_ok());
    }

    #[test]
    fn a_refused_client_reads_as_the_platforms_fault() {
        let text = refresh_error_text(&ProviderError::Unauthorized {
            provider: "Mercado Pago",
        });
        assert!(text.contains("application credentials"), "{text}");
        let refused = refresh_error_text(&ProviderError::Refused {
            provider: "Mercado Pago",
            status: 400,
            message: "invalid refresh_token".into(),
        });
        assert_eq!(
            refused,
            "Mercado Pago refused the request (400): invalid refresh_token"
        );
    }
}
