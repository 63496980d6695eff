#!/usr/bin/env bash
# `make race`: the race tests, and patches racing bookings, ten runs in a row against one
# DynamoDB Local.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
cd "$HOLDFAST_ROOT"
install_dynamodb_local
install_python_tools
cargo build -q -p holdfast-mercadopago
DYNAMODB_PID=""; MOTO_PID=""; LOCALSTRIPE_PID=""; MERCADOPAGO_PID=""
trap 'stop_pid "$DYNAMODB_PID"; stop_pid "$MOTO_PID"; stop_pid "$LOCALSTRIPE_PID"; stop_pid "$MERCADOPAGO_PID"' EXIT
DDB_PORT=$(free_port)
start_dynamodb "$DDB_PORT" -inMemory
export HOLDFAST_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
# The burst tests start a DynamoDB Local of their own, moments before each burst.
export HOLDFAST_DYNAMODB_JAR_DIR="$(dynamodb_jar_dir)"
MOTO_PORT=$(free_port)
start_moto "$MOTO_PORT"
export HOLDFAST_TEST_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
start_test_providers
cargo build -q -p holdfast-tests --tests
for run in $(seq 1 "${RUNS:-10}"); do
  say "race run $run"
  cargo test -q -p holdfast-tests --test heavy -- bursts:: 2>&1 | grep -E -A1 "test result|panicked|FAILED" | grep -v -- "^--$"
  cargo test -q -p holdfast-tests --test integration -- race:: change:: payments::late_payments calendars::a_sync_racing calendars::a_calendar_removed_while 2>&1 | grep -E -A1 "test result|panicked|FAILED" | grep -v -- "^--$"
done
