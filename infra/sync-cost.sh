#!/usr/bin/env bash
# What one calendar sync costs, against a running `make dev`: a 120-stay Airbnb-shaped feed
# synced first, unchanged (304), with every stay moved a day, and unchanged again.
# Usage: make dev (in another terminal), then bash infra/sync-cost.sh
set -e
cd "$(dirname "$0")/.."
pick() { python3 -c 'import json,sys
d = json.load(sys.stdin)
for key in sys.argv[1:]: d = d[int(key)] if isinstance(d, list) else d[key]
print(d)' "$@"; }
API=http://127.0.0.1:3000
ADMIN=$(make -s token ARGS="--sub alice --org org_cost --admin")
VENUE=$(curl -s -X POST $API/v1/venues -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"name": "Cost", "time_zone": "America/Mexico_City", "currency": "MXN", "contact_email": "desk@cost.example"}' | pick venue_id)
CABIN=$(curl -s -X POST $API/v1/venues/$VENUE/resources -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"name": "Cabaña", "kind": "nights", "check_in_time": "15:00", "check_out_time": "11:00", "unit_price": {"amount": 9000, "currency": "MXN"}}' | pick resource_id)
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
cp /tmp/holdfast-cost/a.ics /tmp/holdfast-cost/feed.ics
python3 -m http.server 8432 --bind 127.0.0.1 --directory /tmp/holdfast-cost > /dev/null 2>&1 & SRV=$!
sleep 1
CAL=$(curl -s -X POST $API/v1/resources/$CABIN/calendars -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"name": "Airbnb", "url": "http://127.0.0.1:8432/feed.ics"}' | pick calendar_id)
t() { curl -s -o /tmp/sync.json -w '%{time_total}' -X POST $API/v1/resources/$CABIN/calendars/$CAL/sync -H "Authorization: Bearer $ADMIN"; echo " s, blocks $(pick blocks < /tmp/sync.json)"; }
echo -n "first sync (120 stays, 240 nights taken): "; t
echo -n "same feed again: "; t
cp /tmp/holdfast-cost/b.ics /tmp/holdfast-cost/feed.ics
echo -n "every stay moved a day (120 nights released, 120 taken): "; t
echo -n "unchanged again: "; t
kill $SRV
