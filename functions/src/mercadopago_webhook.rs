//! `POST /webhooks/mercadopago?venue_id=…&data.id=…&type=payment`: Mercado Pago tells of a
//! payment. `x-signature` is checked first; the payment is then read from Mercado Pago itself.

use holdfast_api::services::webhooks::{self, MercadoPagoDelivery};
use holdfast_api::{
    ApiError, App, Body, Error, OK, Query, Request, Response, WEBHOOK_BODY_LIMIT, bytes_within,
    respond, respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, mercadopago_webhook(app, &req)).await)
}

async fn mercadopago_webhook(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    // The notification's body is not read (the payment is read from Mercado Pago), but an
    // oversized one is refused all the same, before the signature.
    bytes_within(req, WEBHOOK_BODY_LIMIT)?;
    // Mercado Pago may add parameters of its own (`topic`, `id`): they are not refused.
    let query = Query::lenient(req);
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let delivery = MercadoPagoDelivery {
        venue_id: query.get("venue_id"),
        data_id: query.get("data.id"),
        kind: query.get("type"),
        signature: header("x-signature"),
        request_id: header("x-request-id"),
    };
    respond_json(OK, &webhooks::mercadopago_webhook(app, delivery).await?)
}
