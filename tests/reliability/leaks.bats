#!/usr/bin/env bats
# leaks: many create/start/delete cycles leave the host as it was: no mounts, cgroups, state files or processes,
# and no runtime fd ever reaches the container. RELIABILITY_CYCLES (default 200) sets the cycle count.

load helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	make_sleep_bundle
}
teardown() { husk_teardown; }

@test "leaks: $CYCLES create/start/delete cycles leave no mounts, cgroups, state, processes or container fds" {
	local mounts_before i id status
	mounts_before=$(mount_count)
	set_args /bin/checker fds
	for ((i = 0; i < CYCLES; i++)); do
		id=$ID-$i
		if ((i % 2)); then
			# A running container removed with delete --force.
			husk create --bundle "$SLEEP_BUNDLE" "$id" </dev/null >/dev/null 2>"$TMP/err" 3>&- || fail "create $id: $(cat "$TMP/err")"
			husk start "$id" || fail "start $id"
			husk delete --force "$id" || fail "delete --force $id"
		else
			# A container that exits by itself, removed with a plain delete once stopped.
			husk create --bundle "$BUNDLE" "$id" </dev/null >"$TMP/fds.out" 2>"$TMP/err" 3>&- || fail "create $id: $(cat "$TMP/err")"
			husk start "$id" || fail "start $id"
			wait_for_status stopped "$id" || fail "$id did not stop"
			husk delete "$id" || fail "delete $id"
			# checker fds prints fds=0,1,2 only: nothing of husk (sync socket, fifo, cgroup or log fds) leaked in.
			[ "$(head -n1 "$TMP/fds.out")" = fds=0,1,2 ] || fail "cycle $i: container fds: $(cat "$TMP/fds.out")"
		fi
		[ ! -e "$ROOT/$id" ] || fail "cycle $i: $ROOT/$id left"
	done
	[ -z "$(ls -A "$ROOT")" ] || fail "state root not empty: $(ls -A "$ROOT")"
	[ "$(mount_count)" -eq "$mounts_before" ] || fail "mounts: $mounts_before before, $(mount_count) after"
	assert_nothing_left "$ID-"
}

@test "leaks: exec cycles into one container leave no processes or mounts" {
	local mounts_before i n=$((CYCLES / 2))
	mounts_before=$(mount_count)
	husk create --bundle "$SLEEP_BUNDLE" "$ID" </dev/null >/dev/null 2>"$TMP/err" 3>&- || fail "create: $(cat "$TMP/err")"
	husk start "$ID"
	for ((i = 0; i < n; i++)); do
		run husk exec "$ID" /bin/checker fds
		[ "$status" -eq 0 ] || fail "exec $i"
		[ "$(kv fds)" = 0,1,2 ] || fail "exec $i: fds"
	done
	# Only init is left in the container.
	run husk ps --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 1 ] || fail "processes left after $n execs"
	[ "$(mount_count)" -eq "$mounts_before" ] || fail "mounts: $mounts_before before, $(mount_count) after"
	husk delete --force "$ID"
	assert_nothing_left "$ID"
}
