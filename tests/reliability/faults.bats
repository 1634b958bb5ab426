#!/usr/bin/env bats
# faults: husk SIGKILLed at random points of create, start, exec and delete; a corrupt state.json; a full state
# filesystem; no free fds. Afterwards `delete --force` leaves nothing, and every failure is a clear error.
# RELIABILITY_TRIALS (default 30) sets the SIGKILL trials per operation.

load helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	make_sleep_bundle
}
teardown() { husk_teardown; }

# Run husk with the given arguments in the background and SIGKILL it after a random 0-${2}ms.
kill_at_random_point() {
	local max_ms=$1
	shift
	"$HUSK" --root "$ROOT" "$@" </dev/null >/dev/null 2>>"$TMP/killed.err" 3>&- &
	local pid=$!
	sleep "$(printf '0.%03d' $((RANDOM % max_ms)))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# delete --force after the kill: succeeds, or says the container does not exist (husk was killed before it
# recorded anything); either way nothing may be left.
force_delete_leaves_nothing() {
	local id=$1
	if ! husk delete --force "$id" 2>"$TMP/delete.err"; then
		grep -q "does not exist" "$TMP/delete.err" || fail "delete --force $id: $(cat "$TMP/delete.err")"
	fi
	assert_nothing_left "$id"
	# And the id is free again.
	husk create --bundle "$SLEEP_BUNDLE" "$id" </dev/null >/dev/null 2>"$TMP/err" 3>&- || fail "re-create $id: $(cat "$TMP/err")"
	husk delete --force "$id"
	assert_nothing_left "$id"
}

sigkill_trials() {
	local op=$1 trial id mounts_before
	mounts_before=$(mount_count)
	for ((trial = 0; trial < TRIALS; trial++)); do
		id=$ID-$op-$trial
		case "$op" in
		create)
			kill_at_random_point 25 create --bundle "$SLEEP_BUNDLE" "$id"
			;;
		start)
			husk create --bundle "$SLEEP_BUNDLE" "$id" </dev/null >/dev/null 2>&1 3>&-
			kill_at_random_point 10 start "$id"
			;;
		exec)
			husk create --bundle "$SLEEP_BUNDLE" "$id" </dev/null >/dev/null 2>&1 3>&-
			husk start "$id"
			kill_at_random_point 15 exec "$id" sleep "$MARKER"
			;;
		delete)
			husk create --bundle "$SLEEP_BUNDLE" "$id" </dev/null >/dev/null 2>&1 3>&-
			husk start "$id"
			kill_at_random_point 15 delete --force "$id"
			;;
		esac
		force_delete_leaves_nothing "$id" || fail "trial $trial of $op"
	done
	[ "$(mount_count)" -eq "$mounts_before" ] || fail "mounts: $mounts_before before, $(mount_count) after"
}

@test "faults: SIGKILL during create, then delete --force leaves nothing" {
	sigkill_trials create
}

@test "faults: SIGKILL during start, then delete --force leaves nothing" {
	sigkill_trials start
}

@test "faults: SIGKILL during exec, then delete --force leaves nothing" {
	sigkill_trials exec
}

@test "faults: SIGKILL during delete, then delete --force leaves nothing" {
	sigkill_trials delete
}

@test "faults: a corrupt state.json is a clear error, and delete --force removes the state dir" {
	husk create --bundle "$SLEEP_BUNDLE" "$ID" </dev/null >/dev/null 2>"$TMP/err" 3>&- || fail "create: $(cat "$TMP/err")"
	husk start "$ID"
	printf '{"ociVersion": "1.2.0", "id": ' >"$ROOT/$ID/state.json"
	run --separate-stderr husk state "$ID"
	[ "$status" -eq 1 ]
	assert_clear_error "$stderr" "state.json"
	run --separate-stderr husk delete "$ID"
	[ "$status" -eq 1 ]
	assert_clear_error "$stderr" "state.json"
	run --separate-stderr husk delete --force "$ID"
	[ "$status" -eq 0 ] || fail "delete --force: $stderr"
	[ ! -e "$ROOT/$ID" ]
	run husk list -q
	[ -z "$output" ]
}

@test "faults: delete --force after a corrupt state.json also kills the container and removes its cgroups" {
	husk create --bundle "$SLEEP_BUNDLE" "$ID" </dev/null >/dev/null 2>"$TMP/err" 3>&- || fail "create: $(cat "$TMP/err")"
	husk start "$ID"
	local pid
	pid=$(husk state "$ID" | jq .pid)
	printf '{"ociVersion": "1.2.0", "id": ' >"$ROOT/$ID/state.json"
	run --separate-stderr husk delete --force "$ID"
	[ "$status" -eq 0 ] || fail "delete --force: $stderr"
	# killed: gone, or a zombie until whoever inherited it reaps it
	for _ in $(seq 50); do
		state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || break
		[ "$state" = Z ] && break
		sleep 0.1
	done
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || state=gone
	[ "$state" = gone ] || [ "$state" = Z ] || fail "container init $pid still alive (state $state)"
	assert_nothing_left "$ID"
}

@test "faults: a full state filesystem is a clear error and leaves nothing" {
	ROOT=$TMP/small
	mkdir -p "$ROOT"
	mount -t tmpfs -o size=16k,mode=0700 tmpfs "$ROOT"
	dd if=/dev/zero of="$ROOT/fill" bs=1k 2>/dev/null || true
	run --separate-stderr husk create --bundle "$SLEEP_BUNDLE" "$ID" </dev/null 3>&-
	[ "$status" -eq 1 ]
	assert_clear_error "$stderr" "No space left on device"
	[ "$(ls -A "$ROOT")" = fill ] || fail "left in the state root: $(ls -A "$ROOT")"
	assert_nothing_left "$ID"
	# Room again: the same id works.
	rm -f "$ROOT/fill"
	husk create --bundle "$SLEEP_BUNDLE" "$ID" </dev/null >/dev/null 2>"$TMP/err" 3>&- || fail "create: $(cat "$TMP/err")"
	husk delete --force "$ID"
	assert_nothing_left "$ID"
}

# husk create with only fds 0-2 open and RLIMIT_NOFILE n; sets rc. 127 with the loader's message: the limit
# was too small to even load husk's libraries.
create_with_fd_limit() {
	rc=0
	(
		for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
		ulimit -Sn "$1"
		exec "$HUSK" --root "$ROOT" create --bundle "$SLEEP_BUNDLE" "$ID"
	) </dev/null >/dev/null 2>"$TMP/err" || rc=$?
}

@test "faults: too few fds is a clear error and leaves nothing" {
	local n rc smallest_failure=
	for n in 3 4 5 6 7 8 10 12 16 20 24 32 64; do
		create_with_fd_limit "$n"
		if [ "$rc" -eq 0 ]; then
			husk delete --force "$ID"
		elif [ "$rc" -eq 127 ] && grep -q "error while loading shared libraries" "$TMP/err"; then
			continue
		else
			[ "$rc" -eq 1 ] || fail "ulimit -n $n: exit $rc (crash?): $(cat "$TMP/err")"
			assert_clear_error "$(cat "$TMP/err")" "" || fail "ulimit -n $n"
			[ -n "$smallest_failure" ] || smallest_failure=$n
		fi
		assert_nothing_left "$ID" || fail "ulimit -n $n: $(cat "$TMP/err")"
	done
	# The smallest limit husk itself ran with cannot work, and the error names the cause.
	[ -n "$smallest_failure" ] || fail "husk never ran short of fds"
	create_with_fd_limit "$smallest_failure"
	[ "$rc" -eq 1 ]
	assert_clear_error "$(cat "$TMP/err")" "Too many open files"
	assert_nothing_left "$ID"
	# A normal limit works.
	create_with_fd_limit 64
	[ "$rc" -eq 0 ] || fail "ulimit -n 64: $(cat "$TMP/err")"
	husk delete --force "$ID"
}
