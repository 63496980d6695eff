//! Sellers' OAuth as Mercado Pago runs it: the consent redirect, `/oauth/token`'s codes and
//! refresh tokens, and the bearer tokens the API routes accept until revoked.

use std::time::Instant;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::IntoResponse;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Error, bad, oauth};
use crate::http::{Parsed, Reply, header_of, reply};
use crate::state::App;
use crate::wire::random_hex;

/// An authorization code's terms.
pub(crate) struct Grant {
    redirect_uri: String,
    challenge: Option<String>,
    user_id: u64,
    issued: Instant,
}

/// The collector behind the request's bearer token: any `APP_USR-`/`TEST-` token not revoked.
pub(crate) struct Seller(pub(crate) u64);

impl FromRequestParts<App> for Seller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Error> {
        let value = header_of(&parts.headers, header::AUTHORIZATION.as_str());
        let (scheme, token) = value.split_once(' ').unwrap_or_default();
        let token = if scheme.eq_ignore_ascii_case("bearer") {
            token.trim()
        } else {
            ""
        };
        let known = token.starts_with("APP_USR-") || token.starts_with("TEST-");
        if !known || app.lock().revoked.contains(token) {
            let message = "invalid access token".into();
            return Err(Error::Api(StatusCode::UNAUTHORIZED, message));
        }
        Ok(Seller(number_of(token)))
    }
}

/// A token's (or client id's) number: its last `-` part when that is digits, as in Mercado
/// Pago's own tokens (`APP_USR-…-{user_id}`), else a number hashed from the whole.
fn number_of(text: &str) -> u64 {
    let last = text.rsplit('-').next().unwrap_or_default();
    match last.parse::<u64>() {
        Ok(n) if n > 0 && last.len() <= 15 && last.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => {
            let digest = Sha256::digest(text.as_bytes());
            let n = digest.iter().take(8).fold(0, |n, b| n << 8 | u64::from(*b));
            100_000_000 + n % 900_000_000
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct AuthorizeQuery {
    client_id: Option<String>,
    response_type: Option<String>,
    state: Option<String>,
    redirect_uri: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// The seller's consent page, approved at once: back to `redirect_uri` with a code.
pub(crate) async fn authorize(State(app): State<App>, Query(q): Query<AuthorizeQuery>) -> Reply {
    if q.client_id.as_deref() != Some(app.0.config.client_id.as_str()) {
        return Err(bad("invalid client_id"));
    }
    let redirect_uri = q.redirect_uri.filter(|u| u.starts_with("http"));
    let redirect_uri = redirect_uri.ok_or(bad("redirect_uri invalid"))?;
    let pkce = q.code_challenge.is_none() || q.code_challenge_method.as_deref() == Some("S256");
    if q.response_type.as_deref() != Some("code") || !pkce {
        return Err(bad("needs response_type code, code_challenge_method S256"));
    }
    let mut inner = app.lock();
    let user_id = 300_000_000 + inner.next();
    let code = format!("TG-{}-{user_id}", random_hex(24));
    let params = [("code", Some(code.clone())), ("state", q.state)];
    let query = serde_urlencoded::to_string(params).map_err(|e| bad(e.to_string()))?;
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{query}");
    let (challenge, issued) = (q.code_challenge, Instant::now());
    let grant = Grant {
        redirect_uri,
        challenge,
        user_id,
        issued,
    };
    inner.codes.insert(code, grant);
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

#[derive(Deserialize)]
pub(crate) struct TokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

/// `authorization_code` (with PKCE when the authorization had a challenge) or `refresh_token`;
/// codes and refresh tokens are single use, codes live 10 minutes.
pub(crate) async fn token(
    State(app): State<App>,
    request: Result<Parsed<TokenRequest>, Error>,
) -> Reply {
    let Parsed(request) = request.map_err(|_| oauth("invalid_request", "malformed body"))?;
    let config = &app.0.config;
    let id_ok = request.client_id.as_ref() == Some(&config.client_id);
    if !id_ok || request.client_secret.as_ref() != Some(&config.client_secret) {
        return Err(oauth("invalid_client", "invalid client credentials"));
    }
    let mut inner = app.lock();
    let user_id = match request.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = request.code.unwrap_or_default();
            let grant = inner.codes.get(&code);
            let grant = grant.filter(|g| g.issued.elapsed().as_secs() < 600);
            let grant = grant.ok_or(oauth("invalid_grant", "invalid or expired code"))?;
            let verifier = request.code_verifier.unwrap_or_default();
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            let pkce_ok = grant.challenge.as_ref().is_none_or(|c| *c == computed);
            let pkce_ok = pkce_ok && (grant.challenge.is_none() || !verifier.is_empty());
            if request.redirect_uri.as_ref() != Some(&grant.redirect_uri) || !pkce_ok {
                let message = "redirect_uri or code_verifier do not match";
                return Err(oauth("invalid_grant", message));
            }
            let user_id = grant.user_id;
            inner.codes.remove(&code);
            user_id
        }
        Some("refresh_token") => {
            let token = request.refresh_token.unwrap_or_default();
            let token = inner.refresh_tokens.remove(&token);
            token.ok_or(oauth("invalid_grant", "invalid refresh_token"))?
        }
        _ => return Err(oauth("unsupported_grant_type", "unsupported grant_type")),
    };
    let stamp = jiff::Timestamp::now().strftime("%m%d%H");
    let app_number = number_of(&config.client_id);
    let access_token = format!("APP_USR-{app_number}-{stamp}-{}-{user_id}", random_hex(32));
    let refresh_token = format!("TG-{}-{user_id}", random_hex(24));
    inner.refresh_tokens.insert(refresh_token.clone(), user_id);
    tracing::info!(user_id, "issued an access token");
    let public_key = format!("APP_USR-{}", Uuid::new_v4());
    let tokens = json!({"access_token": access_token, "token_type": "Bearer",
                        "expires_in": 15_552_000, "scope": "offline_access read write",
                        "user_id": user_id, "refresh_token": refresh_token,
                        "public_key": public_key, "live_mode": false});
    Ok(reply(StatusCode::OK, tokens))
}

#[derive(Deserialize)]
pub(crate) struct Revoke {
    access_token: String,
}

pub(crate) async fn revoke(State(app): State<App>, Parsed(revoke): Parsed<Revoke>) -> StatusCode {
    app.lock().revoked.insert(revoke.access_token);
    StatusCode::NO_CONTENT
}
