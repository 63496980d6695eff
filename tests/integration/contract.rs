//! The contract checked by a tool that did not write it: schemathesis generates cases for every
//! operation of openapi.yaml (valid and invalid, stateful along its links) and checks every
//! answer of this stack against it.

use std::process::Command;

use holdfast_tests::Stack;
use serde_json::{Value, json};

/// The repository's root, where openapi.yaml and infra/schemathesis.toml are.
fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::test]
async fn schemathesis_finds_no_failure_in_any_operation() {
    let schemathesis = std::env::var("HOLDFAST_SCHEMATHESIS")
        .expect("HOLDFAST_SCHEMATHESIS names schemathesis (`make test` installs and sets it)");
    let stack = Stack::start();
    let api = stack.api();
    let (admin, venue, court) = api.madrid_court(json!({"durations": [60, 90]})).await;
    let booking = api.book(&admin, &court, "10:00", "11:00").await.expect(201);
    let calendar = api
        .add_calendar(&admin, &court, "https://calendar.example/court-2.ics")
        .await;
    let export_url = api.export_url(&admin, &court).await;
    let token = export_url.split("token=").nth(1).expect("a token");

    let report = std::env::temp_dir().join(format!(
        "holdfast-schemathesis-{}.json",
        uuid::Uuid::new_v4().simple()
    ));
    let text = |value: &Value, name: &str| {
        value[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {value}"))
            .to_string()
    };
    let run = tokio::task::spawn_blocking({
        let (schemathesis, report) = (schemathesis.clone(), report.clone());
        let vars = [
            ("HOLDFAST_CONTRACT_URL", stack.base_url.clone()),
            ("HOLDFAST_CONTRACT_TOKEN", admin.token()),
            ("HOLDFAST_CONTRACT_VENUE", venue.to_string()),
            ("HOLDFAST_CONTRACT_RESOURCE", court.clone()),
            ("HOLDFAST_CONTRACT_BOOKING", text(&booking, "booking_id")),
            ("HOLDFAST_CONTRACT_CALENDAR", text(&calendar, "calendar_id")),
            ("HOLDFAST_CONTRACT_ICAL_TOKEN", token.to_string()),
        ];
        move || {
            Command::new(&schemathesis)
                .current_dir(root())
                .args([
                    "--config-file",
                    "infra/schemathesis.toml",
                    "run",
                    "openapi.yaml",
                ])
                .args(["--no-color", "--report", "json", "--report-json-path"])
                .arg(&report)
                .envs(vars)
                .output()
                .unwrap_or_else(|e| panic!("{schemathesis} did not start: {e}"))
        }
    })
    .await
    .expect("schemathesis's task");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let summary: Value = std::fs::read(&report)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_else(|| panic!("schemathesis wrote no report:\n{output}"));
    let _ = std::fs::remove_file(&report);
    eprintln!(
        "schemathesis: {} operations of {} tested, {} cases generated, {} with failures, phases {}",
        summary["operations"]["tested"],
        summary["operations"]["total"],
        summary["test_cases"]["generated"],
        summary["test_cases"]["with_failures"],
        summary["phases"]
    );
    assert!(run.status.success(), "schemathesis failed:\n{output}");
    assert_eq!(
        summary["operations"]["tested"], summary["operations"]["total"],
        "an operation went untested:\n{output}"
    );
    assert_eq!(summary["test_cases"]["with_failures"], 0, "{output}");
}
