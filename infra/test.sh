#!/usr/bin/env bash
# `make test`: installs what is missing, checks format and template, starts its own DynamoDB
# Local, moto, localstripe and Mercado Pago stand-in on free ports, runs every test tier, runs
# clippy, and stops what it started. The browser tests run Debian's Chromium, headless.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
cd "$HOLDFAST_ROOT"

install_dynamodb_local
install_python_tools
install_chromium
say "building the Mercado Pago stand-in"
cargo build -q -p holdfast-mercadopago

say "cargo fmt --check"
cargo fmt --all -- --check

say "cfn-lint template.yaml"
"$HOLDFAST_STATE/venv/bin/cfn-lint" template.yaml
say "cfn-lint -a cfn_lint_serverless.rules template.yaml (AWS Serverless Rules)"
# `--`: -a takes one or more rule modules and would read template.yaml as another.
"$HOLDFAST_STATE/venv/bin/cfn-lint" -a cfn_lint_serverless.rules -- template.yaml

DYNAMODB_PID=""; MOTO_PID=""; LOCALSTRIPE_PID=""; MERCADOPAGO_PID=""
trap 'stop_pid "$DYNAMODB_PID"; stop_pid "$MOTO_PID"; stop_pid "$LOCALSTRIPE_PID"; stop_pid "$MERCADOPAGO_PID"' EXIT
DDB_PORT=$(free_port)
say "starting DynamoDB Local (in memory) on 127.0.0.1:$DDB_PORT"
start_dynamodb "$DDB_PORT" -inMemory
export HOLDFAST_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
MOTO_PORT=$(free_port)
say "starting moto (SQS, SES) on 127.0.0.1:$MOTO_PORT"
start_moto "$MOTO_PORT"
export HOLDFAST_TEST_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
# Tests that stop a moto of their own start it from the same install.
export HOLDFAST_MOTO_SERVER="$HOLDFAST_STATE/venv/bin/moto_server"
# Tests that stop a DynamoDB Local of their own (SIGSTOP) start it from the same jar.
export HOLDFAST_DYNAMODB_JAR_DIR="$(dynamodb_jar_dir)"
# The contract test runs schemathesis from the same install.
export HOLDFAST_SCHEMATHESIS="$HOLDFAST_STATE/venv/bin/schemathesis"
start_test_providers

say "cargo test (unit, handler and integration tests)"
# Libraries and test targets, not the 32 Lambda binaries' empty test harnesses: linking those
# would make an edit to one handler relink every binary (clippy still checks them below).
cargo test --workspace --lib --test '*' --examples ${HOLDFAST_TEST_ARGS:-}
say "cargo test --doc"
cargo test --workspace --doc -q

say "cargo clippy"
cargo clippy --workspace --all-targets -q -- -D warnings
