//! `holdfast-local`: the local API server (`serve`), a token minter (`token`) and the table
//! set-up (`create-table`). See the README for the variables it reads.

use std::process::ExitCode;
use std::sync::Arc;

use holdfast_api::services::notifier::Notifier;
use holdfast_api::{App, Config};
use holdfast_local::cors::{Cors, DEFAULT_ALLOWED_ORIGINS};
use holdfast_local::{
    DEFAULT_DEV_SECRET, LocalServer, TEMPLATE_YAML, Template, TokenClaims, mint_token,
};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// The functions' own config, with local defaults for the table and DynamoDB Local's URL.
fn local_config() -> Result<Config, String> {
    let port = env_or("HOLDFAST_DYNAMODB_PORT", "8000");
    let mut vars: std::collections::HashMap<String, String> = std::env::vars().collect();
    vars.insert(
        "HOLDFAST_TABLE".into(),
        env_or("HOLDFAST_TABLE", "holdfast"),
    );
    vars.insert(
        "HOLDFAST_MAIL_FROM".into(),
        env_or("HOLDFAST_MAIL_FROM", "no-reply@holdfast.example"),
    );
    vars.insert(
        "HOLDFAST_DYNAMODB_ENDPOINT".into(),
        env_or(
            "HOLDFAST_DYNAMODB_ENDPOINT",
            &format!("http://127.0.0.1:{port}"),
        ),
    );
    Config::from_vars(&vars).map_err(|e| e.to_string())
}

const USAGE: &str = "usage:
  holdfast-local serve                      serve the API on 127.0.0.1:$HOLDFAST_API_PORT (default 3000)
  holdfast-local create-table               create the table from template.yaml if it is missing
  holdfast-local token [--sub S] [--email E] [--org O] [--admin] [--hours H]
                                            print a local bearer token (HS256, $HOLDFAST_DEV_JWT_SECRET)";

#[tokio::main]
async fn main() -> ExitCode {
    holdfast_api::init_tracing();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("create-table") => create_table().await.map(|_| ()),
        Some("token") => token(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The table, and with the AWS emulator the notifications queues, as template.yaml defines them;
/// answers the app that uses them.
async fn create_table() -> Result<(App, Config), String> {
    let mut config = local_config()?;
    if let (Some(endpoint), None) = (&config.aws_endpoint, &config.notifications_queue_url) {
        let template = Template::parse(TEMPLATE_YAML).map_err(|e| e.to_string())?;
        let queue = template
            .ensure_queues(&holdfast_local::emulator_sqs(endpoint), &config.table)
            .await
            .map_err(|e| format!("{e} (is moto running at {endpoint}?)"))?;
        tracing::info!(%queue, "notifications queue ready");
        config.notifications_queue_url = Some(queue);
        if config.kms_key_id.is_none() {
            config.kms_key_id = Some(holdfast_local::emulator_kms_key(endpoint).await?);
        }
    }
    let app = App::from_config(&config).await;
    let template = Template::parse(TEMPLATE_YAML).map_err(|e| e.to_string())?;
    template
        .ensure_table(app.store.client(), &config.table)
        .await
        .map_err(|e| {
            format!(
                "{e} (is DynamoDB Local running at {}?): {:?}",
                config.dynamodb_endpoint.clone().unwrap_or_default(),
                std::error::Error::source(&e)
            )
        })?;
    tracing::info!(table = %config.table, "table ready");
    Ok((app, config))
}

async fn serve() -> Result<(), String> {
    let port: u16 = env_or("HOLDFAST_API_PORT", "3000")
        .parse()
        .map_err(|_| "HOLDFAST_API_PORT must be a port number".to_string())?;
    let (app, config) = create_table().await?;
    let notifier = match &config.aws_endpoint {
        Some(_) => {
            let notifier = Notifier::from_config(&config)
                .await
                .map_err(|e| e.to_string())?;
            // One clock for the server and its notifier, so that `/_local/clock` moves both.
            let notifier = Notifier {
                app: App {
                    clock: app.clock.clone(),
                    ..notifier.app
                },
                ..notifier
            };
            holdfast_local::mail::verify_sender(&notifier).await?;
            Some(Arc::new(notifier))
        }
        None => None,
    };
    let template = Template::parse(TEMPLATE_YAML).map_err(|e| e.to_string())?;
    let schedules = if env_or("HOLDFAST_JOBS", "on") == "off" {
        Vec::new()
    } else {
        template.schedules()
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on 127.0.0.1:{port}: {e} (set HOLDFAST_API_PORT to another port)"
            )
        })?;
    let server = LocalServer {
        app,
        jwt_secret: Arc::from(env_or("HOLDFAST_DEV_JWT_SECRET", DEFAULT_DEV_SECRET)),
        notifier,
        aws_endpoint: config.aws_endpoint.clone(),
        routes: template.routes().into(),
        // Set but empty, no origin is allowed: as the template's default.
        cors: Cors::new(
            &std::env::var("HOLDFAST_ALLOWED_ORIGINS")
                .unwrap_or_else(|_| DEFAULT_ALLOWED_ORIGINS.into()),
        ),
    };
    tracing::info!("Holdfast local API on http://127.0.0.1:{port} (jobs: {schedules:?})");
    holdfast_local::serve(listener, server, schedules, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("stopping");
}

fn token(args: &[String]) -> Result<(), String> {
    let mut claims = TokenClaims {
        sub: "user-1".into(),
        email: None,
        org_id: None,
        groups: Vec::new(),
        exp: 0,
    };
    let mut hours: i64 = 24;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--sub" => claims.sub = value()?,
            "--email" => claims.email = Some(value()?),
            "--org" => claims.org_id = Some(value()?),
            "--admin" => claims.groups.push("admin".into()),
            "--hours" => {
                hours = value()?
                    .parse()
                    .map_err(|_| "--hours takes a whole number".to_string())?
            }
            _ => return Err(USAGE.to_string()),
        }
    }
    if claims.email.is_none() {
        claims.email = Some(format!("{}@example.com", claims.sub));
    }
    claims.exp = jiff::Timestamp::now().as_second() + hours * 3600;
    println!(
        "{}",
        mint_token(
            &env_or("HOLDFAST_DEV_JWT_SECRET", DEFAULT_DEV_SECRET),
            &claims
        )
    );
    Ok(())
}
