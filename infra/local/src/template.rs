//! Reads template.yaml: the table definition and the functions' routes and schedules.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use serde_norway::Value;

use crate::LocalError;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template.yaml is not YAML")]
    Yaml(#[from] serde_norway::Error),
    #[error("template.yaml: {0}")]
    Shape(String),
}

/// What the local stack needs from template.yaml.
#[derive(Debug, Clone)]
pub struct Template {
    root: Value,
}

/// A route as template.yaml declares it: method, path, function, and whether it needs a token.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub function: String,
    pub authorized: bool,
}

impl Route {
    /// The path parameters, when `path` is this route's.
    pub fn matches(&self, path: &str) -> Option<HashMap<String, String>> {
        let mut params = HashMap::new();
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return Some(params),
                (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {
                    params.insert(w[1..w.len() - 1].to_string(), g.to_string());
                }
                (Some(w), Some(g)) if w == g => {}
                _ => return None,
            }
        }
    }
}

fn queue_error(err: impl std::error::Error + Send + Sync + 'static) -> LocalError {
    LocalError::Queue(Box::new(err))
}

fn shape(what: impl Into<String>) -> TemplateError {
    TemplateError::Shape(what.into())
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut at = value;
    for key in path {
        at = at.get(*key)?;
    }
    at.as_str()
}

impl Template {
    pub fn parse(yaml: &str) -> Result<Template, TemplateError> {
        Ok(Template {
            root: serde_norway::from_str(yaml)?,
        })
    }

    fn functions(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.root
            .get("Resources")
            .and_then(Value::as_mapping)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter(|(_, r)| text(r, &["Type"]) == Some("AWS::Serverless::Function"))
            .filter_map(|(_, r)| Some((text(r, &["Metadata", "BuildProperties", "Binary"])?, r)))
    }

    /// Every event of every function, with the function's name.
    fn events(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.functions().flat_map(|(function, resource)| {
            let events = resource
                .get("Properties")
                .and_then(|p| p.get("Events"))
                .and_then(Value::as_mapping);
            events
                .into_iter()
                .flat_map(|m| m.values())
                .map(move |event| (function, event))
        })
    }

    /// The name (`Metadata.BuildProperties.Binary`) of every function, in the template's order.
    pub fn function_names(&self) -> Vec<String> {
        self.functions().map(|(name, _)| name.to_string()).collect()
    }

    /// Every event of every function as `(function, event type)`: `HttpApi`, `ScheduleV2`, `SQS`…
    pub fn event_types(&self) -> Vec<(String, String)> {
        self.events()
            .filter_map(|(function, event)| {
                Some((function.to_string(), text(event, &["Type"])?.to_string()))
            })
            .collect()
    }

    /// Every HttpApi event of every function.
    pub fn routes(&self) -> Vec<Route> {
        let mut routes: Vec<Route> = self
            .events()
            .filter(|(_, event)| text(event, &["Type"]) == Some("HttpApi"))
            .filter_map(|(function, event)| {
                Some(Route {
                    method: text(event, &["Properties", "Method"])?.to_uppercase(),
                    path: text(event, &["Properties", "Path"])?.to_string(),
                    function: function.to_string(),
                    authorized: text(event, &["Properties", "Auth", "Authorizer"]) != Some("NONE"),
                })
            })
            .collect();
        routes.sort();
        routes
    }

    /// Functions run on a schedule, with their interval in seconds (`rate(N unit)` only; a
    /// `Ref` to a parameter reads the parameter's default).
    pub fn schedules(&self) -> Vec<(String, u64)> {
        self.events()
            .filter(|(_, event)| matches!(text(event, &["Type"]), Some("Schedule" | "ScheduleV2")))
            .filter_map(|(function, event)| {
                let expression = event.get("Properties")?.get("ScheduleExpression")?;
                let expression = match expression.as_str() {
                    Some(rate) => rate,
                    None => {
                        let parameter = text(expression, &["Ref"])?;
                        text(&self.root, &["Parameters", parameter, "Default"])?
                    }
                };
                Some((function.to_string(), rate_seconds(expression)?))
            })
            .collect()
    }

    fn resource_properties(&self, name: &str) -> Result<&Value, TemplateError> {
        self.root
            .get("Resources")
            .and_then(|r| r.get(name))
            .and_then(|t| t.get("Properties"))
            .ok_or_else(|| shape(format!("Resources.{name}.Properties is missing")))
    }

    /// Creates the notifications queue and its dead-letter queue as template.yaml defines them
    /// (names prefixed with `prefix`), unless they exist; answers the notifications queue's URL.
    pub async fn ensure_queues(
        &self,
        client: &aws_sdk_sqs::Client,
        prefix: &str,
    ) -> Result<String, LocalError> {
        use aws_sdk_sqs::types::QueueAttributeName as Attr;
        let queue = self.resource_properties("NotificationsQueue")?;
        let dead = self.resource_properties("NotificationsDeadLetterQueue")?;
        let number = |props: &Value, key: &str| props.get(key).and_then(Value::as_u64);
        let mut create = client
            .create_queue()
            .queue_name(format!("{prefix}-notifications-dlq"));
        if let Some(seconds) = number(dead, "MessageRetentionPeriod") {
            create = create.attributes(Attr::MessageRetentionPeriod, seconds.to_string());
        }
        let dlq_url = create
            .send()
            .await
            .map_err(queue_error)?
            .queue_url
            .unwrap_or_default();
        let dlq_arn = client
            .get_queue_attributes()
            .queue_url(&dlq_url)
            .attribute_names(Attr::QueueArn)
            .send()
            .await
            .map_err(queue_error)?
            .attributes
            .and_then(|a| a.get(&Attr::QueueArn).cloned())
            .ok_or_else(|| shape("the dead-letter queue has no ARN"))?;
        let max_receives = queue
            .get("RedrivePolicy")
            .and_then(|r| number(r, "maxReceiveCount"))
            .ok_or_else(|| shape("NotificationsQueue.RedrivePolicy.maxReceiveCount is missing"))?;
        let mut create = client
            .create_queue()
            .queue_name(format!("{prefix}-notifications"))
            .attributes(
                Attr::RedrivePolicy,
                serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives.to_string()})
                    .to_string(),
            );
        for (key, attr) in [
            ("VisibilityTimeout", Attr::VisibilityTimeout),
            ("MessageRetentionPeriod", Attr::MessageRetentionPeriod),
        ] {
            if let Some(value) = number(queue, key) {
                create = create.attributes(attr, value.to_string());
            }
        }
        Ok(create
            .send()
            .await
            .map_err(queue_error)?
            .queue_url
            .unwrap_or_default())
    }

    fn table(&self) -> Result<&Value, TemplateError> {
        self.root
            .get("Resources")
            .and_then(|r| r.get("BookingsTable"))
            .and_then(|t| t.get("Properties"))
            .ok_or_else(|| shape("Resources.BookingsTable.Properties is missing"))
    }

    /// Creates the table as template.yaml defines it, unless it exists; waits until active.
    pub async fn ensure_table(&self, client: &Client, name: &str) -> Result<(), LocalError> {
        let table = self.table()?;
        let list = |key: &str| {
            table
                .get(key)
                .and_then(Value::as_sequence)
                .ok_or_else(|| shape(format!("BookingsTable.{key} is missing")))
        };
        let key_schema = |value: &Value| -> Result<Vec<KeySchemaElement>, TemplateError> {
            value
                .as_sequence()
                .ok_or_else(|| shape("a KeySchema is not a list"))?
                .iter()
                .map(|k| {
                    let name = text(k, &["AttributeName"])
                        .ok_or_else(|| shape("a key has no AttributeName"))?;
                    let kind = KeyType::from(
                        text(k, &["KeyType"]).ok_or_else(|| shape("a key has no KeyType"))?,
                    );
                    KeySchemaElement::builder()
                        .attribute_name(name)
                        .key_type(kind)
                        .build()
                        .map_err(|e| shape(e.to_string()))
                })
                .collect()
        };
        let create = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::from(
                text(table, &["BillingMode"]).unwrap_or("PAY_PER_REQUEST"),
            ))
            .set_key_schema(Some(key_schema(
                table
                    .get("KeySchema")
                    .ok_or_else(|| shape("KeySchema is missing"))?,
            )?));
        let mut definitions = Vec::new();
        let mut indexes = Vec::new();
        for attribute in list("AttributeDefinitions")? {
            let name = text(attribute, &["AttributeName"])
                .ok_or_else(|| shape("an attribute has no name"))?;
            let kind =
                ScalarAttributeType::from(text(attribute, &["AttributeType"]).unwrap_or("S"));
            definitions.push(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(kind)
                    .build()
                    .map_err(|e| shape(e.to_string()))?,
            );
        }
        for index in list("GlobalSecondaryIndexes")? {
            let projection = ProjectionType::from(
                text(index, &["Projection", "ProjectionType"]).unwrap_or("ALL"),
            );
            indexes.push(
                GlobalSecondaryIndex::builder()
                    .index_name(
                        text(index, &["IndexName"])
                            .ok_or_else(|| shape("an index has no IndexName"))?,
                    )
                    .set_key_schema(Some(key_schema(
                        index
                            .get("KeySchema")
                            .ok_or_else(|| shape("an index has no KeySchema"))?,
                    )?))
                    .projection(Projection::builder().projection_type(projection).build())
                    .build()
                    .map_err(|e| shape(e.to_string()))?,
            );
        }
        let create = create
            .set_attribute_definitions(Some(definitions.clone()))
            .set_global_secondary_indexes(Some(indexes.clone()));
        match create.send().await {
            Ok(_) => {}
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) => {}
            Err(err) => return Err(LocalError::Table(Box::new(err))),
        }
        for _ in 0..100 {
            let described = client
                .describe_table()
                .table_name(name)
                .send()
                .await
                .map_err(|e| LocalError::Table(Box::new(e)))?;
            if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                let existing: Vec<&str> = described
                    .table()
                    .map(|t| t.global_secondary_indexes())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|g| g.index_name())
                    .collect();
                let missing: Vec<GlobalSecondaryIndex> = indexes
                    .iter()
                    .filter(|i| !existing.contains(&i.index_name()))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    // A table kept from before an index was added (make dev's data): add it.
                    add_indexes(client, name, &definitions, missing).await?;
                    continue;
                }
                if let Some(ttl) = text(table, &["TimeToLiveSpecification", "AttributeName"]) {
                    // Only tidies old idempotency records; DynamoDB Local may not support it.
                    let spec = TimeToLiveSpecification::builder()
                        .attribute_name(ttl)
                        .enabled(true)
                        .build();
                    if let Ok(spec) = spec {
                        let _ = client
                            .update_time_to_live()
                            .table_name(name)
                            .time_to_live_specification(spec)
                            .send()
                            .await;
                    }
                }
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Err(LocalError::TableNotActive)
    }
}

/// `rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)` in seconds.
/// Adds `missing` indexes to the existing table `name`, one at a time (DynamoDB creates one
/// index per update); the caller waits for the table to be active again.
async fn add_indexes(
    client: &Client,
    name: &str,
    definitions: &[AttributeDefinition],
    missing: Vec<GlobalSecondaryIndex>,
) -> Result<(), LocalError> {
    use aws_sdk_dynamodb::types::{CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate};
    for index in missing {
        let action = CreateGlobalSecondaryIndexAction::builder()
            .index_name(index.index_name())
            .set_key_schema(Some(index.key_schema().to_vec()))
            .set_projection(index.projection().cloned())
            .build()
            .map_err(|e| shape(e.to_string()))?;
        client
            .update_table()
            .table_name(name)
            .set_attribute_definitions(Some(definitions.to_vec()))
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(action).build(),
            )
            .send()
            .await
            .map_err(|e| LocalError::Table(Box::new(e)))?;
        tracing::info!(
            table = name,
            index = index.index_name(),
            "added a missing index"
        );
    }
    Ok(())
}

fn rate_seconds(expression: &str) -> Option<u64> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = inner.trim().split_once(' ')?;
    let count: u64 = count.parse().ok()?;
    let unit_seconds = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        _ => return None,
    };
    Some(count * unit_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read() {
        assert_eq!(rate_seconds("rate(1 minute)"), Some(60));
        assert_eq!(rate_seconds("rate(5 minutes)"), Some(300));
        assert_eq!(rate_seconds("cron(0 * * * ? *)"), None);
    }

    #[test]
    fn the_template_declares_the_expiry_schedule() {
        let template = Template::parse(crate::TEMPLATE_YAML).unwrap();
        assert_eq!(
            template.schedules(),
            vec![
                ("refresh-tokens".to_string(), 21_600),
                ("sync-calendars".to_string(), 900),
                ("expire-holds".to_string(), 60),
                ("send-reminders".to_string(), 900),
                ("publish-notices".to_string(), 60)
            ]
        );
    }
}
