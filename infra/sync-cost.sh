#!/usr/bin/env bash
# What one calendar sync costs: a 120-stay Airbnb-shaped feed synced first, unchanged (304),
# with every stay moved a day, and unchanged again, each timed end to end over HTTP.
# Usage: `bash infra/sync-cost.sh` builds the local server optimised (profile `profiling`, as
# `make bench` does) and runs it on free ports against an in-memory DynamoDB Local;
# `API=http://127.0.0.1:3000 bash infra/sync-cost.sh` measures a running `make dev` instead.
set -euo pipefail
source "$(dirname "$0")/stack.sh"
cd "$HOLDFAST_ROOT"
pick() { python3 -c 'import json,sys
d = json.load(sys.stdin)
for key in sys.argv[1:]: d = d[int(key)] if isinstance(d, list) else d[key]
print(d)' "$@"; }
DYNAMODB_PID=""; SERVER_PID=""; MOTO_PID=""; SRV=""
trap 'stop_pid "$SERVER_PID"; stop_pid "$DYNAMODB_PID"; stop_pid "$MOTO_PID"; stop_pid "$SRV"' EXIT
if [ -z "${API:-}" ]; then
  install_dynamodb_local
  install_python_tools
  say "building the local server (optimised; the first build takes minutes)"
  cargo build -q --profile profiling -p holdfast-local --bin holdfast-local
  DDB_PORT=$(free_port); API_PORT=$(free_port); MOTO_PORT=$(free_port)
  start_dynamodb "$DDB_PORT" -inMemory
  start_moto "$MOTO_PORT"
  export HOLDFAST_DEV_JWT_SECRET=sync-cost-secret
  HOLDFAST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" HOLDFAST_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT" \
    HOLDFAST_API_PORT="$API_PORT" HOLDFAST_FEEDS_ALLOW_LOOPBACK_HTTP=on \
    HOLDFAST_PUBLIC_BASE_URL="http://127.0.0.1:$API_PORT" \
    RUST_LOG=warn "$HOLDFAST_TARGET/profiling/holdfast-local" serve &
  SERVER_PID=$!
  wait_for_port "$API_PORT" "the local server"
  API="http://127.0.0.1:$API_PORT"
fi
FEED_PORT=$(free_port)
ADMIN=$(make -s token ARGS="--sub alice --org org_cost --admin")
VENUE=$(curl -s -X POST $API/v1/venues -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"name": "Cost", "time_zone": "America/Mexico_City", "currency": "MXN", "contact_email": "desk@cost.example"}' | pick venue_id)
mkdir -p /tmp/holdfast-cost
python3 - <<'PY'
import datetime
start = datetime.date.today() + datetime.timedelta(days=5)
def feed(shift):
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Airbnb Inc//Hosting Calendar 0.8.8//EN"]
    for i in range(120):
        a = start + datetime.timedelta(days=3*i + shift)
        b = a + datetime.timedelta(days=2)
        out += ["BEGIN:VEVENT", f"DTSTART;VALUE=DATE:{a:%Y%m%d}", f"DTEND;VALUE=DATE:{b:%Y%m%d}", f"UID:stay-{i}@airbnb.com", "SUMMARY:Reserved", "END:VEVENT"]
    out.append("END:VCALENDAR")
    return "\r\n".join(out) + "\r\n"
open("/tmp/holdfast-cost/a.ics", "w").write(feed(0))
open("/tmp/holdfast-cost/b.ics", "w").write(feed(1))
PY
python3 -m http.server "$FEED_PORT" --bind 127.0.0.1 --directory /tmp/holdfast-cost > /dev/null 2>&1 & SRV=$!
wait_for_port "$FEED_PORT" "the feed server"
# One round: a new cabin importing the feed; its four syncs timed, printed unless a warm-up.
round() {
  local cabin cal
  cabin=$(curl -s -X POST $API/v1/venues/$VENUE/resources -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"name": "Cabaña", "kind": "nights", "check_in_time": "15:00", "check_out_time": "11:00", "unit_price": {"amount": 9000, "currency": "MXN"}}' | pick resource_id)
  cp /tmp/holdfast-cost/a.ics /tmp/holdfast-cost/feed.ics
  cal=$(curl -s -X POST $API/v1/resources/$cabin/calendars -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"name": "Airbnb", "url": "http://127.0.0.1:'"$FEED_PORT"'/feed.ics"}' | pick calendar_id)
  t() {
    local took
    took=$(curl -s -o /tmp/sync.json -w '%{time_total}' -X POST $API/v1/resources/$cabin/calendars/$cal/sync -H "Authorization: Bearer $ADMIN")
    [ "$1" = quiet ] || echo "$2: $took s, blocks $(pick blocks < /tmp/sync.json)"
  }
  t "$1" "first sync (120 stays, 240 nights taken)"
  t "$1" "same feed again (unchanged)"
  cp /tmp/holdfast-cost/b.ics /tmp/holdfast-cost/feed.ics
  t "$1" "every stay moved a day (120 nights given back, 120 taken)"
  t "$1" "unchanged again"
}
# DynamoDB Local is a JVM: the first round warms it and is not shown.
round quiet
for n in $(seq 1 "${ROUNDS:-3}"); do echo "round $n"; round loud; done
