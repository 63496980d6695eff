//! `holdfast-mercadopago --port P`: the Mercado Pago stand-in on 127.0.0.1:P, in memory, for
//! `make dev` and the tests (credentials from `HOLDFAST_MERCADOPAGO_*`, dev defaults otherwise).

use std::process::ExitCode;

use holdfast_mercadopago::{Config, serve};

const USAGE: &str = "usage: holdfast-mercadopago [--port PORT]";

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = match args.as_slice() {
        [] => Some(8421),
        [flag, port] if flag == "--port" => port.parse::<u16>().ok(),
        [flag] => flag
            .strip_prefix("--port=")
            .and_then(|p| p.parse::<u16>().ok()),
        _ => None,
    };
    let Some(port) = port else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("Mercado Pago stand-in on http://127.0.0.1:{port}");
    match serve(listener, Config::from_env()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("the stand-in stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
