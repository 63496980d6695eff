#!/usr/bin/env bash
# `make dev`: DynamoDB Local + the table from template.yaml + every function behind one local
# API on 127.0.0.1, with the scheduled jobs on their schedules. Ctrl-C or SIGTERM stops it all.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
cd "$HOLDFAST_ROOT"

API_PORT=${HOLDFAST_API_PORT:-3000}
DDB_PORT=${HOLDFAST_DYNAMODB_PORT:-8000}
MOTO_PORT=${HOLDFAST_MOTO_PORT:-5000}
for port in "$API_PORT" "$DDB_PORT" "$MOTO_PORT"; do
  if port_in_use "$port"; then
    say "port $port is taken: stop what uses it, or set HOLDFAST_API_PORT / HOLDFAST_DYNAMODB_PORT / HOLDFAST_MOTO_PORT"; exit 1
  fi
done

install_dynamodb_local
install_python_tools
say "building the local server"
cargo build -q -p holdfast-local

DYNAMODB_PID=""; SERVER_PID=""; MOTO_PID=""
cleanup() {
  trap - EXIT INT TERM
  say "stopping"
  stop_pid "$SERVER_PID"
  stop_pid "$DYNAMODB_PID"
  stop_pid "$MOTO_PID"
  [ -z "${WATCH_PID:-}" ] || kill "$WATCH_PID" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# `make` does not pass a SIGTERM on to its recipe: when make goes, so do we.
PARENT=$PPID
( while kill -0 "$PARENT" 2>/dev/null; do sleep 1; done; kill -TERM $$ 2>/dev/null ) &
WATCH_PID=$!

mkdir -p "$HOLDFAST_STATE/dynamodb"
say "starting DynamoDB Local on 127.0.0.1:$DDB_PORT (data in .holdfast/dynamodb)"
start_dynamodb "$DDB_PORT" -dbPath "$HOLDFAST_STATE/dynamodb"

say "starting moto (SQS, SES) on 127.0.0.1:$MOTO_PORT (in memory)"
start_moto "$MOTO_PORT"

export HOLDFAST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
export HOLDFAST_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
export HOLDFAST_API_PORT="$API_PORT"
export HOLDFAST_LOG_FORMAT=${HOLDFAST_LOG_FORMAT:-pretty}
export RUST_LOG=${RUST_LOG:-info,aws_config=warn,aws_smithy_runtime=warn}
"$HOLDFAST_ROOT/target/debug/holdfast-local" serve &
SERVER_PID=$!
wait "$SERVER_PID"
