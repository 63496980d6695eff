#!/usr/bin/env bash
# `make bench`: the midnight release, then create-booking latency and throughput, through the
# local server. Optimised build (profile `profiling`), in-memory DynamoDB Local on free ports;
# prints the figures and stops what it started.
#
# Midnight release: for each N in MIDNIGHT (default "100 300 1000"), a stack started moments
# before (a new DynamoDB Local and server) meets N customers released at one instant for 10
# prime slots ("fresh"), then the same stack meets a second release ("warm").
# Throughput: 50 concurrent clients booking distinct slots; BENCH_ARGS passes options on.
# BENCH=midnight or BENCH=bookings runs one of the two.
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
MOTO_PORT=$(free_port)
start_moto "$MOTO_PORT"
start_test_providers
export HOLDFAST_DEV_JWT_SECRET=bench-secret
API_PORT=""

# A new DynamoDB Local and a new server in front of it (the previous ones stopped).
start_stack() {
  stop_pid "$SERVER_PID"; stop_pid "$DYNAMODB_PID"
  local ddb_port; ddb_port=$(free_port); API_PORT=$(free_port)
  start_dynamodb "$ddb_port" -inMemory
  # A table (and so queues) of its own: a new stack must not be handed the last one's notices.
  HOLDFAST_TABLE="holdfast-bench-$API_PORT" \
  HOLDFAST_DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port" HOLDFAST_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT" \
    HOLDFAST_API_PORT="$API_PORT" \
    RUST_LOG=warn "$HOLDFAST_TARGET/profiling/holdfast-local" serve &
  SERVER_PID=$!
  wait_for_port "$API_PORT" "the local server"
}

bench() { "$HOLDFAST_TARGET/profiling/bench" "$@" --base-url "http://127.0.0.1:$API_PORT"; }

status=0
if [ "${BENCH:-all}" != bookings ]; then
  for n in ${MIDNIGHT:-100 300 1000}; do
    start_stack
    bench midnight --customers "$n" --label fresh || status=1
    bench midnight --customers "$n" --label warm || status=1
  done
fi
if [ "${BENCH:-all}" != midnight ]; then
  start_stack
  # shellcheck disable=SC2086
  bench ${BENCH_ARGS:-} || status=1
fi
exit "$status"
