//! The local stack's HTTP server: template.yaml's routes and JWT authorizer in front of every
//! function's own `handler`, and the scheduled jobs on their schedules. Never deployed.

mod auth;
pub mod cors;
pub mod mail;
mod server;
mod template;

/// AWS settings for the local emulator (moto) at `endpoint`: its stand-in region and key.
fn emulator(endpoint: &str) -> aws_config::SdkConfig {
    let key = aws_sdk_sqs::config::Credentials::new("local", "local", None, None, "holdfast-local");
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::SharedCredentialsProvider::new(key))
        .endpoint_url(endpoint)
        .build()
}

/// An SQS client of the local emulator, for setting up and looking into the local queues.
pub fn emulator_sqs(endpoint: &str) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&emulator(endpoint))
}

/// A KMS key of the local emulator's, for sealing payment credentials (moto keeps keys in
/// memory: a new one each start).
pub async fn emulator_kms_key(endpoint: &str) -> Result<String, String> {
    let created = aws_sdk_kms::Client::new(&emulator(endpoint))
        .create_key()
        .description("holdfast local payment credentials")
        .send()
        .await
        .map_err(|e| {
            format!(
                "moto at {endpoint} made no KMS key: {}",
                aws_sdk_kms::Error::from(e)
            )
        })?;
    created
        .key_metadata
        .map(|m| m.key_id)
        .ok_or_else(|| "moto made a KMS key without an id".to_string())
}

pub use auth::{DEFAULT_DEV_SECRET, TokenClaims, mint_raw_token, mint_token, verify_token};
pub use server::{LocalServer, router, run_job, serve};
pub use template::{Route, Template, TemplateError};

/// template.yaml, as the cloud deploys it: the local stack builds its table and checks its
/// routes from this same text.
pub const TEMPLATE_YAML: &str = include_str!("../../../template.yaml");

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("DynamoDB Local refused to set up the table")]
    Table(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the table did not become active in time")]
    TableNotActive,
    #[error("the SQS emulator refused to set up the queues")]
    Queue(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the server stopped")]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use holdfast_domain::{Currency, Zone};
    use holdfast_functions::{FUNCTIONS, Function};

    use crate::{TEMPLATE_YAML, Template};

    /// The stems of the files in `dir` (under the repository's root) that end in `.{ext}`.
    fn stems(dir: &str, ext: &str) -> BTreeSet<String> {
        let path = format!("{}/../../{dir}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                name.strip_suffix(&format!(".{ext}")).map(str::to_string)
            })
            .collect()
    }

    /// openapi.yaml is the contract of what template.yaml serves: one operation for each route,
    /// named after its function and for the audience `FUNCTIONS` counts it by; the currencies
    /// and zones it lists are those the domain takes.
    #[test]
    fn openapi_describes_every_route_for_its_audience_with_the_domains_lists() {
        let path = format!("{}/../../openapi.yaml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let spec: serde_norway::Value = serde_norway::from_str(&text).expect("openapi.yaml parses");
        let mut operations = BTreeMap::new();
        for (path, item) in spec["paths"].as_mapping().expect("paths") {
            for (method, operation) in item.as_mapping().expect("a path item") {
                let method = method.as_str().expect("a method").to_uppercase();
                if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                    continue;
                }
                let field = |name: &str| operation[name].as_str().unwrap_or_default().to_string();
                let key = (method, path.as_str().expect("a path").to_string());
                let named = (field("operationId"), field("x-audience"));
                assert!(
                    operations.insert(key.clone(), named).is_none(),
                    "{key:?} twice"
                );
            }
        }
        let template = Template::parse(TEMPLATE_YAML).unwrap();
        let routes: BTreeMap<(String, String), String> = template
            .routes()
            .into_iter()
            .map(|r| ((r.method, r.path), r.function))
            .collect();
        assert_eq!(
            operations.keys().collect::<Vec<_>>(),
            routes.keys().collect::<Vec<_>>(),
            "openapi.yaml's operations and template.yaml's routes"
        );
        for (route, function) in &routes {
            let (operation_id, audience) = &operations[route];
            assert_eq!(operation_id, function, "the operationId of {route:?}");
            let Some(Function::Http(_, counted)) = holdfast_functions::find(function) else {
                panic!("{function} is no HTTP function");
            };
            assert_eq!(audience, counted.as_str(), "the x-audience of {function}");
        }

        let listed = |schema: &str| -> Vec<String> {
            spec["components"]["schemas"][schema]["enum"]
                .as_sequence()
                .unwrap_or_else(|| panic!("no enum for {schema}"))
                .iter()
                .map(|v| v.as_str().expect("a name").to_string())
                .collect()
        };
        let currencies: Vec<String> = Currency::codes().iter().map(|c| c.to_string()).collect();
        assert_eq!(
            listed("Currency"),
            currencies,
            "openapi.yaml's Currency enum"
        );
        assert_eq!(
            listed("TimeZone"),
            Zone::names(),
            "openapi.yaml's TimeZone enum (the bundled tz database changed?)"
        );
    }

    /// Adding a function is a module and its row in `FUNCTIONS`, a binary, a resource in
    /// template.yaml and a sample event: these lists are one list, of one kind per function.
    #[test]
    fn the_functions_on_disk_in_the_template_in_the_table_and_in_events_are_one_list() {
        let table: BTreeSet<String> = FUNCTIONS.iter().map(|(name, _)| name.to_string()).collect();
        assert_eq!(table.len(), FUNCTIONS.len(), "a name twice in FUNCTIONS");

        assert_eq!(
            stems("functions/src/bin", "rs"),
            table,
            "functions/src/bin/ and FUNCTIONS"
        );
        let mut modules = stems("functions/src", "rs");
        modules.remove("lib");
        let table_modules: BTreeSet<String> = table.iter().map(|n| n.replace('-', "_")).collect();
        assert_eq!(modules, table_modules, "functions/src/*.rs and FUNCTIONS");

        let template = Template::parse(TEMPLATE_YAML).unwrap();
        let declared = template.function_names();
        let declared_set: BTreeSet<String> = declared.iter().cloned().collect();
        assert_eq!(
            declared_set.len(),
            declared.len(),
            "a Binary twice in template.yaml"
        );
        assert_eq!(
            declared_set, table,
            "template.yaml's functions and FUNCTIONS"
        );

        // Each sample event is named after its function, alone or with a `-variant`.
        let mut events: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for event in stems("events", "json") {
            let function = table
                .iter()
                .filter(|name| {
                    event == **name
                        || event
                            .strip_prefix(name.as_str())
                            .is_some_and(|rest| rest.starts_with('-'))
                })
                .max_by_key(|name| name.len())
                .unwrap_or_else(|| panic!("events/{event}.json is no function's"));
            events.entry(function.clone()).or_default().push(event);
        }
        let with_events: BTreeSet<String> = events.keys().cloned().collect();
        assert_eq!(
            with_events, table,
            "the functions with a sample event and FUNCTIONS"
        );

        let mut triggers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (function, kind) in template.event_types() {
            triggers.entry(function).or_default().insert(kind);
        }
        for (name, function) in FUNCTIONS {
            let expected = match function {
                Function::Http(..) => "HttpApi",
                Function::Job(_) => "ScheduleV2",
                Function::Queue(_) => "SQS",
            };
            assert_eq!(
                triggers.get(*name).cloned().unwrap_or_default(),
                BTreeSet::from([expected.to_string()]),
                "what template.yaml has call {name}, a {function:?}"
            );
        }
    }
}
