#!/usr/bin/env bash
# `make bench`: create-booking latency and throughput through the local server under 50
# concurrent clients. Optimised build (profile `profiling`), in-memory DynamoDB Local on free
# ports; prints the figures and stops what it started. BENCH_ARGS passes options on.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
cd "$HOLDFAST_ROOT"
install_dynamodb_local
install_python_tools
say "building the local server and the bench (optimised; the first build takes minutes)"
cargo build -q --profile profiling -p holdfast-local -p holdfast-tests --bin holdfast-local --bin bench
cargo build -q -p holdfast-mercadopago

DYNAMODB_PID=""; SERVER_PID=""; MOTO_PID=""; LOCALSTRIPE_PID=""; MERCADOPAGO_PID=""
trap 'stop_pid "$SERVER_PID"; stop_pid "$DYNAMODB_PID"; stop_pid "$MOTO_PID"; stop_pid "$LOCALSTRIPE_PID"; stop_pid "$MERCADOPAGO_PID"' EXIT
DDB_PORT=$(free_port); API_PORT=$(free_port); MOTO_PORT=$(free_port)
start_dynamodb "$DDB_PORT" -inMemory
start_moto "$MOTO_PORT"
start_test_providers
export HOLDFAST_DEV_JWT_SECRET=bench-secret
HOLDFAST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" HOLDFAST_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT" \
  HOLDFAST_API_PORT="$API_PORT" \
  RUST_LOG=warn "$HOLDFAST_TARGET/profiling/holdfast-local" serve &
SERVER_PID=$!
wait_for_port "$API_PORT" "the local server"
"$HOLDFAST_TARGET/profiling/bench" --base-url "http://127.0.0.1:$API_PORT" ${BENCH_ARGS:-}
