#!/usr/bin/env bash
# `make dev`: DynamoDB Local + the table from template.yaml + every function behind one local
# API on 127.0.0.1, with the scheduled jobs on their schedules; moto for SQS and SES, localstripe
# for Stripe and the Mercado Pago stand-in (infra/mercadopago), unless HOLDFAST_STRIPE_API_BASE /
# HOLDFAST_MERCADOPAGO_API_BASE point elsewhere. Ctrl-C or SIGTERM stops it all.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
cd "$HOLDFAST_ROOT"

API_PORT=${HOLDFAST_API_PORT:-3000}
DDB_PORT=${HOLDFAST_DYNAMODB_PORT:-8000}
MOTO_PORT=${HOLDFAST_MOTO_PORT:-5000}
LOCALSTRIPE_PORT=${HOLDFAST_LOCALSTRIPE_PORT:-8420}
MERCADOPAGO_PORT=${HOLDFAST_MERCADOPAGO_PORT:-8421}
# The payment providers' local stand-ins run unless their API base is already set.
RUN_LOCALSTRIPE=""; [ -n "${HOLDFAST_STRIPE_API_BASE:-}" ] || RUN_LOCALSTRIPE=1
RUN_MERCADOPAGO=""; [ -n "${HOLDFAST_MERCADOPAGO_API_BASE:-}" ] || RUN_MERCADOPAGO=1
PORTS=("$API_PORT" "$DDB_PORT" "$MOTO_PORT")
[ -z "$RUN_LOCALSTRIPE" ] || PORTS+=("$LOCALSTRIPE_PORT")
[ -z "$RUN_MERCADOPAGO" ] || PORTS+=("$MERCADOPAGO_PORT")
for port in "${PORTS[@]}"; do
  if port_in_use "$port"; then
    say "port $port is taken: stop what uses it, or set HOLDFAST_API_PORT / HOLDFAST_DYNAMODB_PORT / HOLDFAST_MOTO_PORT / HOLDFAST_LOCALSTRIPE_PORT / HOLDFAST_MERCADOPAGO_PORT"; exit 1
  fi
done

install_dynamodb_local
install_python_tools
if [ -n "$RUN_MERCADOPAGO" ]; then
  say "building the local server and the Mercado Pago stand-in"
  cargo build -q -p holdfast-local -p holdfast-mercadopago
else
  say "building the local server"
  cargo build -q -p holdfast-local
fi

DYNAMODB_PID=""; SERVER_PID=""; MOTO_PID=""; LOCALSTRIPE_PID=""; MERCADOPAGO_PID=""
cleanup() {
  trap - EXIT INT TERM
  say "stopping"
  stop_pid "$SERVER_PID"
  stop_pid "$DYNAMODB_PID"
  stop_pid "$MOTO_PID"
  stop_pid "$LOCALSTRIPE_PID"
  stop_pid "$MERCADOPAGO_PID"
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

# The platform's Mercado Pago application (dev values): the stand-in and the app read the same.
export HOLDFAST_MERCADOPAGO_CLIENT_ID=${HOLDFAST_MERCADOPAGO_CLIENT_ID:-holdfast-dev-client}
export HOLDFAST_MERCADOPAGO_CLIENT_SECRET=${HOLDFAST_MERCADOPAGO_CLIENT_SECRET:-holdfast-dev-client-secret}
export HOLDFAST_MERCADOPAGO_WEBHOOK_SECRET=${HOLDFAST_MERCADOPAGO_WEBHOOK_SECRET:-holdfast-dev-webhook-secret}
if [ -n "$RUN_LOCALSTRIPE" ]; then
  say "starting localstripe (Stripe) on port $LOCALSTRIPE_PORT (in memory)"
  start_localstripe "$LOCALSTRIPE_PORT"
  export HOLDFAST_STRIPE_API_BASE="http://127.0.0.1:$LOCALSTRIPE_PORT"
else
  say "Stripe: $HOLDFAST_STRIPE_API_BASE (HOLDFAST_STRIPE_API_BASE)"
fi
if [ -n "$RUN_MERCADOPAGO" ]; then
  say "starting the Mercado Pago stand-in on 127.0.0.1:$MERCADOPAGO_PORT (in memory)"
  start_mercadopago "$MERCADOPAGO_PORT"
  export HOLDFAST_MERCADOPAGO_API_BASE="http://127.0.0.1:$MERCADOPAGO_PORT"
  export HOLDFAST_MERCADOPAGO_AUTH_BASE="$HOLDFAST_MERCADOPAGO_API_BASE"
else
  say "Mercado Pago: $HOLDFAST_MERCADOPAGO_API_BASE (HOLDFAST_MERCADOPAGO_API_BASE)"
fi

export HOLDFAST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
export HOLDFAST_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
export HOLDFAST_API_PORT="$API_PORT"
export HOLDFAST_PUBLIC_BASE_URL=${HOLDFAST_PUBLIC_BASE_URL:-http://127.0.0.1:$API_PORT}
# Development only: calendar feeds on this machine may be fetched over plain http.
export HOLDFAST_FEEDS_ALLOW_LOOPBACK_HTTP=${HOLDFAST_FEEDS_ALLOW_LOOPBACK_HTTP:-on}
export HOLDFAST_LOG_FORMAT=${HOLDFAST_LOG_FORMAT:-pretty}
export RUST_LOG=${RUST_LOG:-info,aws_config=warn,aws_smithy_runtime=warn}
"$HOLDFAST_TARGET/debug/holdfast-local" serve &
SERVER_PID=$!
wait "$SERVER_PID"
