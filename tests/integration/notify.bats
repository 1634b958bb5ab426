#!/usr/bin/env bats
# NOTIFY_SOCKET, as systemd sets it for a Type=notify service running `husk run -d` (or create + start, or
# run): the container gets its own socket at /run/notify/notify.sock, and once it says READY=1 the runtime
# tells the caller's socket, with the pid to watch from then on. The caller here is tests/checker/sdnotify,
# which logs one line per datagram: its text (newlines as spaces), fds=N when it carried fds, pid=<sender>.

load helpers

SDNOTIFY=$(abs_path "${SDNOTIFY:-$(dirname "$CHECKER")/sdnotify}")

setup_file() { husk_setup_file; }

setup() {
	husk_setup
	[ -x "$SDNOTIFY" ] || skip "no sdnotify at $SDNOTIFY (ninja -C build tests/checker/sdnotify)"
	LOG=$TMP/notify.log
	: >"$LOG"
	"$SDNOTIFY" "$TMP/systemd.sock" "$LOG" </dev/null >/dev/null 2>"$TMP/sdnotify.err" 3>&- &
	BACKGROUND_PIDS+=($!)
	retry 100 0.02 test -S "$TMP/systemd.sock"
	add_shared_dir
}

teardown() { husk_teardown; }

# The container, half a second after it starts, marks /shared/before and says READY=1 (in the datagram's
# LINE, default first: runc 1.1 sees READY=1 only at the start of a datagram), then keeps running.
ready_after_a_while() {
	local message='READY=1\nSTATUS=up'
	[ "${1:-1}" = 1 ] || message='STATUS=up\nREADY=1'
	set_args sh -c "sleep 0.5; touch /shared/before; checker notify '$message'; exec sleep 600"
}

@test "notify: run -d returns once the container said READY=1, passed on with MAINPID of the init" {
	ready_after_a_while
	NOTIFY_SOCKET=$TMP/systemd.sock husk_run_detached
	[ -e "$TMP/shared/before" ] || fail "run -d returned before the container said READY=1; log: $(cat "$LOG")"
	local pid
	pid=$(container_pid)
	# runc sends READY=1 and MAINPID in two datagrams, husk in one.
	grep -q "READY=1" "$LOG" || fail "no READY=1: $(cat "$LOG")"
	grep -q "MAINPID=$pid " "$LOG" || fail "no MAINPID=$pid (the init): $(cat "$LOG")"
	! grep -q STATUS= "$LOG" || fail "what the container said besides READY=1 was passed on: $(cat "$LOG")"
}

@test "notify: READY=1 on any line counts; husk waits until the receiver read it (BARRIER=1 with a pipe)" {
	skip_on_runc "1.1 sends no BARRIER=1, and waits forever for a READY=1 that is not on the first line"
	ready_after_a_while 2
	NOTIFY_SOCKET=$TMP/systemd.sock husk_run_detached
	[ "$(sed -n 1p "$LOG" | cut -d' ' -f1-2)" = "MAINPID=$(container_pid) READY=1" ] || fail "$(cat "$LOG")"
	[ "$(sed -n 2p "$LOG" | cut -d' ' -f1-2)" = "BARRIER=1 fds=1" ] || fail "no barrier: $(cat "$LOG")"
}

@test "notify: create, then start returns once READY=1 came; delete leaves nothing" {
	ready_after_a_while
	NOTIFY_SOCKET=$TMP/systemd.sock husk_create
	[ ! -s "$LOG" ] || fail "something was told before start: $(cat "$LOG")"
	NOTIFY_SOCKET=$TMP/systemd.sock husk start "$ID"
	[ -e "$TMP/shared/before" ] || fail "start returned before the container said READY=1"
	grep -q "MAINPID=$(container_pid) " "$LOG" || fail "$(cat "$LOG")"
	[ "$(container_status)" = running ]
	husk delete -f "$ID"
	assert_no_trace
}

@test "notify: the container sees NOTIFY_SOCKET=/run/notify/notify.sock on a read-only nosuid nodev noexec bind" {
	skip_on_runc "1.1's foreground run waits for READY=1 for ever when the container never says it"
	set_args sh -c 'echo "env=$NOTIFY_SOCKET"; checker stat /run/notify/notify.sock | grep ^type=;
		grep " /run/notify " /proc/self/mountinfo | cut -d" " -f6'
	NOTIFY_SOCKET=$TMP/systemd.sock run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$(kv env)" = /run/notify/notify.sock ] || fail "$output"
	[ "$(kv type)" = socket ] || fail "no socket in the container: $output"
	local opts=${lines[2]}
	for o in ro nosuid nodev noexec; do
		[[ ",$opts," == *",$o,"* ]] || fail "/run/notify is not $o: $opts"
	done
}

@test "notify: the runtime's NOTIFY_SOCKET replaces one in process.env" {
	skip_on_runc "1.1 appends a second NOTIFY_SOCKET after the config's"
	update_config '.process.env += ["NOTIFY_SOCKET=/elsewhere"]'
	set_args sh -c 'env | grep -c ^NOTIFY_SOCKET=; echo "env=$NOTIFY_SOCKET"'
	NOTIFY_SOCKET=$TMP/systemd.sock run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "${lines[0]}" = 1 ] && [ "$(kv env)" = /run/notify/notify.sock ] || fail "$output"
}

@test "notify: a foreground run passes READY=1 on with its own pid and keeps the container running" {
	set_args sh -c 'checker notify READY=1; exec sleep 600'
	NOTIFY_SOCKET=$TMP/systemd.sock "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null \
		>"$TMP/run.out" 2>&1 3>&- &
	local runner=$!
	BACKGROUND_PIDS+=("$runner")
	retry 100 0.05 grep -q READY=1 "$LOG" || fail "nothing told: $(cat "$LOG") $(cat "$TMP/run.out")"
	# husk (or runc) stays the process that forwards signals and reports the exit: it is the main pid.
	grep -q "MAINPID=$runner " "$LOG" || fail "MAINPID is not the runtime ($runner): $(cat "$LOG")"
	[ "$(container_status)" = running ]
	husk kill "$ID" KILL
	wait "$runner" || true
}

@test "notify: an init that exits before READY=1 ends the wait: run -d succeeds, nothing is told" {
	skip_on_runc "1.1 waits for ever: its exited init stays a zombie of runc, and runc polls /proc/PID"
	set_args sh -c 'sleep 0.3; exit 3'
	NOTIFY_SOCKET=$TMP/systemd.sock husk_run_detached
	[ ! -s "$LOG" ] || fail "something was told: $(cat "$LOG")"
}

@test "notify: without NOTIFY_SOCKET the container has no /run/notify and no variable" {
	update_config '.process.env |= map(select(startswith("NOTIFY_SOCKET=") | not))'
	set_args sh -c 'echo "env=${NOTIFY_SOCKET-unset}"; grep -c " /run/notify " /proc/self/mountinfo'
	run env -u NOTIFY_SOCKET "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$(kv env)" = unset ] && [ "${lines[1]}" = 0 ] || fail "$output"
	[ ! -e "$ROOT/$ID" ]
}

@test "notify: a NOTIFY_SOCKET that is no socket address is an error naming it, and leaves nothing" {
	husk_only "runc 1.1 takes it and fails to connect once the container runs"
	set_args true
	NOTIFY_SOCKET=relative/path run husk run -d --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 1
	[[ "$output" == *"NOTIFY_SOCKET \`relative/path\`: not an absolute path"* ]] || fail "$output"
	[ "${#lines[@]}" -eq 1 ] || fail "more than one line: $output"
	assert_no_trace
}

@test "notify: a non-root user in a user namespace reaches its socket" {
	skip_on_runc "1.1 cannot make mount points in a rootfs that its mapped root does not own"
	# The container's root acts on the host as uid 100000: it must be able to reach the bundle.
	chmod 0755 "$TMP"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	set_args sh -c 'checker notify READY=1; exec sleep 600'
	NOTIFY_SOCKET=$TMP/systemd.sock husk_run_detached || fail "$(cat $TMP/$ID.err)"
	grep -q "MAINPID=$(container_pid) " "$LOG" || fail "nothing told: $(cat "$LOG")"
}
