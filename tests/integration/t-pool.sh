#!/bin/bash
# The worker pool: idle workers are pre-forked and replaced when they die;
# with no spare a session still starts (forked on demand); workers that keep
# dying are re-forked with backoff, not in a tight loop.
. "$TESTS_SRCDIR/integration/lib.sh"

make_repo "$T/repo"

idle() { api GET /healthz; jq -r .pool.idle <<<"$BODY"; }
workers() { pgrep -P "$DPID" -f -- '--worker' | sort; }

# wait_idle N: the pool reports N idle workers.
wait_idle() {
	for _ in $(seq 1 100); do
		[ "$(idle)" = "$1" ] && return 0
		sleep 0.1
	done
	fail "pool idle is $(idle), want $1"
}

start_daemon '{"pool_size": 3}'
wait_idle 3
assert_eq "$(workers | wc -l)" 3 "three worker processes, children of runnerd"
# A worker inherits stdio and its channel on fd 3, nothing else: past fd 3
# only what it made itself (its event loop's epoll and wake-up pipe), no
# socket, no file of the supervisor's (listeners, event logs).
w=$(workers | head -1)
assert_eq "$(readlink /proc/$w/fd/0)" /dev/null "worker stdin"
assert_eq "$(readlink /proc/$w/fd/1)" /dev/null "worker stdout"
assert_match "$(readlink /proc/$w/fd/3)" '^socket:' "worker channel on fd 3"
for fd in $(ls /proc/$w/fd | sort -n); do
	[ "$fd" -le 3 ] && continue
	assert_match "$(readlink /proc/$w/fd/$fd)" '^(anon_inode:\[eventpoll\]|pipe:)' \
	    "worker fd $fd"
done
ok "3 idle pre-forked workers, no inherited descriptor beyond fd 3"

before=$(workers)
kill -9 $(workers | head -1)
wait_idle 3
after=$(workers)
[ "$before" != "$after" ] || fail "the killed idle worker was not replaced"
ok "a dead idle worker is replaced"

start_session 'print from the pool'
wait_ended "$SID"
assert_eq "$(state_of "$SID")" COMPLETED "session on a pooled worker"
wait_idle 3
ok "the pool refills after a session takes a worker"
stop_daemon

# No spares at all: the session's worker is forked on demand.
rm -f "$T/runnerd.conf"
start_daemon '{"pool_size": 0}'
sleep 0.3
assert_eq "$(idle)" 0 "no idle worker with pool_size 0"
start_session 'print on demand'
wait_ended "$SID"
assert_eq "$(state_of "$SID")" COMPLETED "session with an empty pool"
assert_match "$(output "$SID")" 'on demand' "its output"
ok "an empty pool forks a worker on demand"
stop_daemon

# Workers that die at once (here: /bin/false as the worker binary) are
# re-forked with growing delays, and a session on one fails cleanly.
rm -f "$T/runnerd.conf"
start_daemon '{"pool_size": 2, "worker_path": "/bin/false"}'
sleep 3
deaths=$(grep -c 'idle worker .* exited with status 1' "$T/runnerd.log")
[ "$deaths" -ge 2 ] || fail "expected idle workers to die, saw $deaths"
# Without backoff two spares dying at once would be re-forked thousands of
# times in 3 s; with it (100 ms doubling) it is a handful.
[ "$deaths" -le 20 ] || fail "$deaths worker deaths in 3 s: no backoff"
ok "dying workers re-forked with backoff ($deaths deaths in 3 s)"
start_session 'print never'
wait_ended "$SID"
api GET "/api/runner/sessions/$SID"
assert_eq "$(jq -r .state <<<"$BODY")" FAILED "session on a dying worker"
assert_match "$(jq -r .errorMessage <<<"$BODY")" '^worker exited with status 1$' "its reason"
api GET /healthz
assert_eq "$STATUS" 200 "daemon healthy"
ok "a session whose worker cannot start fails with the reason"
stop_daemon
