#!/usr/bin/env bats
# concurrency: many containers at once, racing creates of one id, and kill/delete/state racing on one container
# never corrupt state nor leave anything behind.

load helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	make_sleep_bundle
}
teardown() { husk_teardown; }

@test "concurrency: 50 containers created, started and deleted in parallel (8 at a time)" {
	local mounts_before
	mounts_before=$(mount_count)
	export HUSK ROOT SLEEP_BUNDLE BUNDLE
	# create + start each; output per container so a failure names its container.
	seq 0 49 | xargs -P 8 -I{} sh -c '
		"$HUSK" --root "$ROOT" create --bundle "$SLEEP_BUNDLE" "$1-{}" </dev/null >/dev/null 2>"$2/create-{}.err" &&
		"$HUSK" --root "$ROOT" start "$1-{}" 2>"$2/start-{}.err"' sh "$ID" "$TMP" || {
		cat "$TMP"/*.err >&2
		false
	}
	run husk list --format json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq '[.[] | select(.status == "running")] | length')" -eq 50 ] || fail "not 50 running"
	# Every container has its own init, alive, in its own cgroup.
	[ "$(echo "$output" | jq '[.[].pid] | unique | length')" -eq 50 ]
	seq 0 49 | xargs -P 8 -I{} "$HUSK" --root "$ROOT" delete --force "$ID-{}"
	[ -z "$(ls -A "$ROOT")" ] || fail "state root not empty: $(ls -A "$ROOT")"
	[ "$(mount_count)" -eq "$mounts_before" ]
	assert_nothing_left "$ID-"
}

@test "concurrency: 50 foreground runs in parallel each return their container's exit status" {
	set_args sh -c 'exit 7'
	export HUSK ROOT BUNDLE
	seq 0 49 | xargs -P 8 -I{} sh -c '"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$1-{}" </dev/null >/dev/null 2>&1
		echo $? >"$2/rc-{}"' sh "$ID" "$TMP"
	[ "$(cat "$TMP"/rc-* | sort | uniq -c | awk '{ print $1 ":" $2 }')" = 50:7 ] || fail "exit statuses: $(cat "$TMP"/rc-* | sort | uniq -c)"
	[ -z "$(ls -A "$ROOT")" ] || fail "state root not empty: $(ls -A "$ROOT")"
	assert_nothing_left "$ID-"
}

@test "concurrency: 10 concurrent creates of one id: exactly one wins, the rest say it already exists" {
	local i pids=() wins=0 exists=0
	for ((i = 0; i < 10; i++)); do
		husk create --bundle "$SLEEP_BUNDLE" "$ID" </dev/null >/dev/null 2>"$TMP/err-$i" 3>&- &
		pids+=($!)
	done
	for ((i = 0; i < 10; i++)); do
		if wait "${pids[$i]}"; then
			wins=$((wins + 1))
		elif grep -q "already exists" "$TMP/err-$i"; then
			assert_clear_error "$(cat "$TMP/err-$i")" "$ID"
			exists=$((exists + 1))
		else
			echo "create $i failed otherwise: $(cat "$TMP/err-$i")" >&2
		fi
	done
	[ "$wins" -eq 1 ] || fail "$wins creates won"
	[ "$exists" -eq 9 ] || fail "$exists creates said already exists"
	# The winner's container is intact and usable.
	[ "$(container_status)" = created ]
	husk start "$ID"
	[ "$(container_status)" = running ]
	husk delete --force "$ID"
	assert_nothing_left "$ID"
}

@test "concurrency: kill, delete and state racing on one id never show corrupt state" {
	local trial i pids
	for ((trial = 0; trial < 10; trial++)); do
		husk create --bundle "$SLEEP_BUNDLE" "$ID" </dev/null >/dev/null 2>"$TMP/err" 3>&- || fail "create: $(cat "$TMP/err")"
		husk start "$ID"
		pids=()
		for ((i = 0; i < 4; i++)); do
			(for ((j = 0; j < 15; j++)); do
				if "$HUSK" --root "$ROOT" state "$ID" >"$TMP/state-$i-$j" 2>"$TMP/state-$i-$j.err"; then
					jq -e '.status | IN("created", "running", "stopped")' "$TMP/state-$i-$j" >/dev/null ||
						{ echo "bad state: $(cat "$TMP/state-$i-$j")"; exit 1; }
				else
					# Once delete won, the only acceptable answer is that the container is gone.
					grep -q "does not exist" "$TMP/state-$i-$j.err" ||
						{ echo "state failed: $(cat "$TMP/state-$i-$j.err")"; exit 1; }
				fi
				# The file itself, read without the runtime's lock, is whole or absent, never half-written.
				if [ -f "$ROOT/$ID/state.json" ]; then
					cat "$ROOT/$ID/state.json" >"$TMP/raw-$i" 2>/dev/null && [ -s "$TMP/raw-$i" ] &&
						{ jq -e . "$TMP/raw-$i" >/dev/null || { echo "torn state.json"; exit 1; }; }
				fi
			done) &
			pids+=($!)
		done
		"$HUSK" --root "$ROOT" kill "$ID" KILL 2>/dev/null &
		pids+=($!)
		"$HUSK" --root "$ROOT" delete --force "$ID" 2>"$TMP/delete.err" &
		local delete_pid=$!
		for ((i = 0; i < 4; i++)); do
			wait "${pids[$i]}" || fail "trial $trial: state reader $i saw corrupt state"
		done
		wait "${pids[4]}" || true # kill may lose to delete
		wait "$delete_pid" || fail "trial $trial: delete --force failed: $(cat "$TMP/delete.err")"
		assert_nothing_left "$ID"
	done
}
