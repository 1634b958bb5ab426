#!/usr/bin/env bats
# Nothing is left behind: failed creates, finished runs, deletes, and a create killed halfway.

load helpers

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# Every descendant of pid $1 (children, grandchildren...).
descendants() {
	local child
	for child in $(pgrep -P "$1"); do
		echo "$child"
		descendants "$child"
	done
}

assert_gone() {
	local pid
	for pid in "$@"; do
		[ -d "/proc/$pid" ] || continue
		# a zombie waiting for a reaper that is not ours is gone as far as the container is concerned
		[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && continue
		fail "process $pid left: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
	done
}

@test "cleanup: a create failing on a mount leaves no state dir, process or cgroup" {
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "/nonexistent/source", "options": ["bind"]}]'
	set_args sh -c "sleep 600; echo $ID"
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
	[ -z "$(pgrep -f "$ID")" ] || fail "left: $(pgrep -af "$ID")"
}

@test "cleanup: a create failing in a createRuntime hook leaves no state dir, process or cgroup" {
	printf '#!/bin/sh\nexit 1\n' >"$TMP/failhook"
	chmod 0755 "$TMP/failhook"
	update_config '.hooks.createRuntime = [{"path": $p}]' --arg p "$TMP/failhook"
	set_args sh -c "sleep 600; echo $ID"
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
	[ -z "$(pgrep -f "$ID")" ] || fail "left: $(pgrep -af "$ID")"
}

@test "cleanup: a run whose process cannot be executed leaves nothing" {
	container_run /bin/does-not-exist
	[ "$status" -ne 0 ]
	assert_no_trace
}

@test "cleanup: a finished run leaves no state dir or cgroup" {
	container_run true
	assert_status 0
	assert_no_trace
}

@test "cleanup: delete of a stopped container removes its cgroup" {
	set_args true
	husk_create
	# while it exists, the container has a cgroup with its id (so the check below can fail)
	[ -n "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$ID" 2>/dev/null)" ]
	husk start "$ID"
	wait_for_status stopped
	husk delete "$ID"
	assert_no_trace
}

# delete --force while a create is at work (a createRuntime hook holds it): it waits for the create to end and
# then deletes what it made, so that when it says it is done, nothing is left (it once said so at once, and the
# create went on to make the container).
@test "cleanup: delete --force during a create waits for it, then leaves nothing" {
	skip_on_runc "1.1 removes the dir of a container it has no state.json for, and that create then leaks its cgroups"
	printf '#!/bin/sh\ntouch %s/hook.ran\nsleep 2\n' "$TMP" >"$TMP/slowhook"
	chmod 0755 "$TMP/slowhook"
	update_config '.hooks.createRuntime = [{"path": $p}]' --arg p "$TMP/slowhook"
	set_args sleep 600
	"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/create.out" 2>&1 3>&- &
	local create_pid=$!
	BACKGROUND_PIDS+=("$create_pid")
	retry 100 0.05 test -e "$TMP/hook.ran"
	run husk delete --force "$ID"
	assert_status 0
	assert_no_trace
	wait "$create_pid" || true
	assert_no_trace
	[ -z "$(pids_with_marker "$TMP/slowhook")" ] || fail "the hook outlived the create"
}

# A state dir with no state.json in it (a create that has not written it yet, or died before) is no container to
# state or list, as with runc: husk listed it as "stopped" with an empty `created`, which go-runc cannot decode,
# so that one such dir lost the whole `list -f json`. delete --force still removes it.
@test "cleanup: a state dir without its state is no container to state or list; delete --force removes it" {
	set_args sleep 600
	husk_run_detached
	mkdir "$ROOT/$ID-nostate"
	run husk state "$ID-nostate"
	[ "$status" -ne 0 ] || fail "state of a dir without state.json: $output"
	assert_output_contains "does not exist"
	run --separate-stderr husk list -f json
	assert_status 0
	jq -e --arg id "$ID" 'length == 1 and .[0].id == $id and (.[0].created | length > 0)' <<<"$output" >/dev/null ||
		fail "list: $output"
	run husk delete --force "$ID-nostate"
	[ ! -e "$ROOT/$ID-nostate" ] || fail "delete --force left the dir: $output"
}

# SIGKILL while the cgroup's limits are written: its path was recorded once the hierarchies were made and found
# free of other processes, so delete --force finds and removes them (husk recorded it only at the end of the
# cgroup's set-up, and a create killed before that leaked every hierarchy).
@test "cleanup: delete --force removes the cgroups of a create killed while it set them up" {
	husk_only "kills husk's create at its first write after the cgroup record (found by a first, traced create)"
	command -v strace >/dev/null || skip "no strace"
	set_args sleep 600
	# (Under ASan, LeakSanitizer cannot check at exit under ptrace: it would fail the probe.)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -o "$TMP/probe" -e trace=openat,write \
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID-probe" </dev/null >/dev/null 2>&1 3>&-
	husk delete --force "$ID-probe"
	assert_no_trace "$ID-probe"
	# The record is the first write after the open of <root>/<id>/cgroup; the kill comes at the write after it.
	local n
	n=$(awk '/^write\(/ { w++; if (rec == 1) { rec = 2; next } if (rec == 2) { print w; exit } }
		/^openat\(.*"cgroup", O_WRONLY/ { rec = 1 }' "$TMP/probe")
	[ -n "$n" ] || fail "no write after the cgroup record: $(grep -c . "$TMP/probe") calls traced"
	strace -o /dev/null -e trace=write -e inject=write:signal=KILL:when="$n" \
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&- || true
	[ -s "$ROOT/$ID/cgroup" ] && [ ! -e "$ROOT/$ID/creating" ] && [ ! -e "$ROOT/$ID/exec.sock" ] ||
		fail "the create was not killed after the cgroup record: $(ls "$ROOT/$ID" 2>&1)"
	[ -n "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$ID" 2>/dev/null || true)" ] ||
		fail "no cgroup was made"
	run husk delete --force "$ID"
	assert_status 0
	assert_no_trace
}

# SIGKILL after the init said it was ready, before the exec socket took its name: the init no longer dies with
# husk and waits for a start that cannot come. kill reaches it (husk said "container not running"), and delete
# cleans up.
@test "cleanup: the init of a create killed once it was ready can be killed, and delete cleans up" {
	husk_only "kills husk's create at its third renameat (state.json twice, then the exec socket)"
	command -v strace >/dev/null || skip "no strace"
	set_args sleep 600
	strace -o /dev/null -e trace=renameat,renameat2,rename -e inject=renameat,renameat2,rename:signal=KILL:when=3 \
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&- || true
	[ -e "$ROOT/$ID/creating" ] || fail "the create was not killed before the exec socket took its name"
	local pid
	pid=$(container_pid)
	[ "$pid" -gt 0 ] && kill -0 "$pid" || fail "no live init left"
	[ "$(container_status)" = creating ] || fail "status $(container_status)"
	# start says what happened rather than "still being created".
	run husk start "$ID"
	[ "$status" -ne 0 ] || fail "started a container whose create did not finish"
	assert_output_contains "its create did not finish; delete it"
	husk kill "$ID" KILL
	retry 50 0.1 not kill -0 "$pid"
	husk delete "$ID"
	assert_no_trace
}

@test "cleanup: delete --force cleans up after a create killed with SIGKILL halfway" {
	skip_on_runc "1.1 writes no state.json until create finishes, so delete --force of a killed create leaks its cgroup (runc#4534)"
	# a createRuntime hook holds create in the middle: namespaces and cgroup made, process not yet started
	cat >"$TMP/slowhook" <<EOF
#!/bin/sh
echo \$\$ > $TMP/hook.pid
exec sleep 600
EOF
	chmod 0755 "$TMP/slowhook"
	update_config '.hooks.createRuntime = [{"path": $p}]' --arg p "$TMP/slowhook"
	set_args sleep 600
	"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/create.out" 2>&1 3>&- &
	create_pid=$!
	BACKGROUND_PIDS+=("$create_pid")
	retry 100 0.05 test -s "$TMP/hook.pid"
	hook_pid=$(cat "$TMP/hook.pid")
	BACKGROUND_PIDS+=("$hook_pid")
	leftovers=$(descendants "$create_pid" | grep -vx "$hook_pid" || true)

	kill -9 "$create_pid"
	wait "$create_pid" || true
	kill -9 "$hook_pid"

	run husk delete --force "$ID"
	assert_status 0
	assert_no_trace
	# shellcheck disable=SC2086
	retry 50 0.05 assert_gone $leftovers
	run husk list -q
	[ -z "$output" ]
}
