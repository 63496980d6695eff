//! `GET /v1/venues/{venue_id}/payment-accounts/mercadopago/connect`: starts connecting the
//! venue's Mercado Pago account with OAuth; answers the authorize URL to send the admin to.

use holdfast_api::ids::VenueId;
use holdfast_api::services::connect;
use holdfast_api::views::AuthorizeView;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Query, Request, Response, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, mercadopago_connect(app, &req)).await)
}

async fn mercadopago_connect(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    Query::of(req, &[])?;
    let venue_id = &VenueId::from(path_param(req, "venue_id")?);
    let authorize_url = connect::connect_url(app, &caller, venue_id).await?;
    respond_json(OK, &AuthorizeView { authorize_url })
}
