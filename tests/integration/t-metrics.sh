#!/bin/bash
# GET /metrics: the Prometheus text format parsed strictly, and its counts
# equal to what the test did: sessions started/ended by final state, the
# sessions gauge, events by type (against the events the API returns) and
# HTTP requests by route and status.
. "$TESTS_SRCDIR/integration/lib.sh"

command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }

# scrape: parse /metrics strictly into $T/m.json {"name{k=\"v\",...}": value}.
scrape() {
	curl -sS -o "$T/metrics.txt" -D "$T/metrics.hdr" "$URL/metrics" ||
	    fail "GET /metrics"
	grep -qi '^content-type: text/plain' "$T/metrics.hdr" ||
	    fail "content type: $(grep -i content-type "$T/metrics.hdr")"
	python3 - "$T/metrics.txt" >"$T/m.json" 2>"$T/parse.err" <<'PY' ||
import json, re, sys
NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(\{(%s(?:,%s)*)?\})? (-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf)$' % (NAME, LABEL, LABEL))
HELP = re.compile(r'^# HELP (%s) \S.*$' % NAME)
TYPE = re.compile(r'^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$' % NAME)
text = open(sys.argv[1], encoding="utf-8").read()
if not text.endswith("\n"):
    sys.exit("no final newline")
types, helps, out = {}, set(), {}
for n, line in enumerate(text.split("\n")[:-1], 1):
    m = HELP.match(line)
    if m:
        if m.group(1) in helps: sys.exit("line %d: second HELP" % n)
        helps.add(m.group(1)); continue
    m = TYPE.match(line)
    if m:
        if m.group(1) in types: sys.exit("line %d: second TYPE" % n)
        types[m.group(1)] = m.group(2); continue
    m = SAMPLE.match(line)
    if not m: sys.exit("line %d: not a sample: %r" % (n, line))
    name = m.group(1)
    if name not in types: sys.exit("line %d: %s has no TYPE before it" % (n, name))
    if types[name] == "counter" and not name.endswith("_total"):
        sys.exit("line %d: counter %s does not end in _total" % (n, name))
    labels = re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or "")
    if len(set(k for k, _ in labels)) != len(labels):
        sys.exit("line %d: repeated label" % n)
    key = name + "{" + ",".join('%s="%s"' % kv for kv in sorted(labels)) + "}"
    if key in out: sys.exit("line %d: duplicate series %s" % (n, key))
    out[key] = float(m.group(4))
json.dump(out, sys.stdout)
PY
	    fail "/metrics is not strict Prometheus text: $(cat "$T/parse.err")"
}
# metric KEY: its value as an integer (0 when absent).
metric() {
	jq -r --arg k "$1" '.[$k] // 0 | floor' "$T/m.json"
}

make_repo "$T/repo"
start_daemon
scrape
assert_eq "$(metric 'runnerd_sessions_started_total{}')" 0 "started at 0"
ok "/metrics parses strictly on a fresh daemon"

N=3 M=2
sids=()
for i in $(seq 1 $N); do
	start_session "print run $i"
	sids+=("$SID")
done
for i in $(seq 1 $M); do
	start_session "print failing $i;exit 3"
	sids+=("$SID")
done
for s in "${sids[@]}"; do wait_ended "$s"; done

for _ in 1 2 3 4 5; do api GET /healthz; done
api GET /api/runner/sessions/00000000-0000-4000-8000-000000000000
assert_eq "$STATUS" 404 "unknown session"
api GET /api/runner/sessions/00000000-0000-4000-8000-000000000000
scrape

assert_eq "$(metric 'runnerd_sessions_started_total{}')" $((N + M)) "started"
assert_eq "$(metric 'runnerd_sessions_ended_total{state="COMPLETED"}')" $N "ended COMPLETED"
assert_eq "$(metric 'runnerd_sessions_ended_total{state="FAILED"}')" $M "ended FAILED"
assert_eq "$(metric 'runnerd_sessions{state="COMPLETED"}')" $N "gauge COMPLETED"
assert_eq "$(metric 'runnerd_sessions{state="FAILED"}')" $M "gauge FAILED"
assert_eq "$(metric 'runnerd_sessions{state="RUNNING"}')" 0 "gauge RUNNING"
ok "sessions: $N completed and $M failed, counted exactly"

# Events by type: the sum over the sessions the API returns.
all='[]'
for s in "${sids[@]}"; do
	all=$(jq -c --argjson a "$all" '$a + .' <<<"$(events "$s")")
done
for t in $(jq -r '[.[].type] | unique | .[]' <<<"$all"); do
	want=$(jq --arg t "$t" '[.[] | select(.type == $t)] | length' <<<"$all")
	assert_eq "$(metric "runnerd_events_total{type=\"$t\"}")" "$want" "events of type $t"
done
total=$(jq -r '[to_entries[] | select(.key | startswith("runnerd_events_total{")) | .value] | add' "$T/m.json")
assert_eq "$total" "$(jq length <<<"$all")" "all events counted"
[ "$(metric 'runnerd_event_log_bytes_total{}')" -gt 0 ] || fail "event-log bytes"
[ "$(metric 'runnerd_terminal_bytes_total{}')" -gt 0 ] || fail "terminal bytes"
ok "events by type equal the events the API returns ($(jq length <<<"$all"))"

assert_eq "$(metric 'runnerd_http_requests_total{route="/healthz",status="200"}')" 5 "healthz requests"
assert_eq "$(metric 'runnerd_http_requests_total{route="/api/runner/sessions",status="201"}')" $((N + M)) "start requests"
assert_eq "$(metric 'runnerd_http_requests_total{route="/api/runner/sessions/:id",status="404"}')" 2 "404s"
assert_eq "$(metric 'runnerd_http_requests_total{route="/metrics",status="200"}')" 1 "earlier scrape"
ok "HTTP requests by route and status match the requests made"

idle=$(metric 'runnerd_workers{state="idle"}')
busy=$(metric 'runnerd_workers{state="busy"}')
assert_eq "$busy" 0 "no busy worker once all ended"
[ "$idle" -le 2 ] || fail "idle workers $idle > pool_size"
assert_eq "$(metric 'runnerd_worker_crashes_total{}')" 0 "no worker crashed"
for p in $(jq -r 'keys[] | select(startswith("runnerd_gateway_connections{"))' "$T/m.json"); do :; done
[ -n "${p:-}" ] || fail "no gateway clients by protocol"
ok "workers, crashes and gateway families present"

stop_daemon
