//! `GET /oauth/mercadopago/callback?code=&state=`: Mercado Pago sends the seller back here. No
//! bearer token: the signed, single-use state is what authenticates the return.

use holdfast_api::services::connect;
use holdfast_api::views::AccountView;
use holdfast_api::{
    ApiError, App, Body, Error, OK, Query, Request, Response, respond, respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, mercadopago_callback(app, &req)).await)
}

async fn mercadopago_callback(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    // Mercado Pago may add parameters of its own (`error`, …): they are not refused.
    let query = Query::lenient(req);
    let (account, zone) =
        connect::oauth_callback(app, query.get("code"), query.get("state")).await?;
    respond_json(OK, &AccountView::of(&account, zone.tz()))
}
