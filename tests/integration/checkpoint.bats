#!/usr/bin/env bats
# checkpoint and restore with criu: a container saved with its processes' memory, files and namespaces, gone,
# then made again from the image and a bundle, carrying on where it stopped.
#
# criu comes from $PATH, as runc finds it, with scripts/install-criu.sh's /opt/husk-criu/bin put first when
# it is there (Debian 12's criu 3.17 cannot dump anything on this kernel; that script unpacks Debian 13's).

load helpers

setup_file() {
	husk_setup_file
	[ -x /opt/husk-criu/bin/criu ] && export PATH=/opt/husk-criu/bin:$PATH
	if ! command -v criu >/dev/null; then
		export CRIU_SKIP="no criu on PATH (scripts/install-criu.sh unpacks one that works here)"
	elif ! CRIU_CHECK=$(criu check 2>&1); then
		CRIU_SKIP="criu check fails on this kernel: $(printf '%s' "$CRIU_CHECK" | grep -m1 Error)"
		export CRIU_SKIP
	fi
}
setup() {
	husk_setup
	[ -z "${CRIU_SKIP:-}" ] || skip "$CRIU_SKIP"
}
teardown() {
	husk_teardown
	pkill -9 -f "^ckpt-helper-$ID" || true
	# A veth a test put on the host (its end goes with the container's namespace, unless that failed)
	[ -z "${VETH:-}" ] || ip link del "$VETH" 2>/dev/null || true
}

# The container counts, a tenth of a second apart: on stdout, and into /dev/shm/count (a tmpfs of its own,
# which criu saves whole). A restarted process would count from 1 again; a restored one goes on. The count
# is appended, a line a write: `>` truncates first, and a dump or a reader between the two saw an empty file.
counter_config() {
	set_args sh -c 'i=0; while true; do i=$((i+1)); echo $i; echo $i >>/dev/shm/count; sleep 0.1; done'
}

# `husk CMD... ID` with stdio on pipes (criu reconnects pipes; a host file such as /dev/null it cannot
# take): stdin from a sleep, stdout and stderr into $TMP/$1.out. $1: the id, the rest: the command. The
# helpers are named ckpt-helper-<id> (their argv[0]) for teardown to find.
piped() {
	local id=$1 status=0
	shift
	husk "$@" "$id" < <(exec -a "ckpt-helper-$id" sleep 1000 >/dev/null 2>&1 3>&-) \
		> >(exec -a "ckpt-helper-$id" cat >>"$TMP/$id.out" 2>/dev/null 3>&-) 2>&1 3>&- || status=$?
	# husk's error is in the file, not in bats' output: show it (once cat has copied it) when it failed
	if [ "$status" -ne 0 ]; then
		sleep 0.2
		echo "husk $* $id: exit $status: $(tail -n 5 "$TMP/$id.out" 2>/dev/null)" >&2
	fi
	return "$status"
}

# The number the container $1 last wrote, read inside it.
count_in() {
	husk exec "$1" tail -n1 /dev/shm/count
}

# Wait until container $1 has counted to at least $2.
wait_count() {
	local n
	for _ in $(seq 100); do
		n=$(count_in "$1" 2>/dev/null) || n=0
		[ "${n:-0}" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1 did not count to $2 (at ${n:-?})" >&2
	return 1
}

@test "checkpoint: the container is saved and gone; restore -d brings it back counting on, in its cgroups" {
	counter_config
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 10
	run husk checkpoint --image-path "$TMP/image" "$ID"
	assert_status 0
	# Gone, as runc leaves it: no state, no cgroup, no process.
	assert_no_trace
	[ -s "$TMP/image/inventory.img" ] || fail "no criu image in $TMP/image"
	grep -q '"pipe:\[' "$TMP/image/descriptors.json" || fail "descriptors.json: $(cat "$TMP/image/descriptors.json")"
	local saved
	saved=$(tail -n1 "$TMP/$ID.out")
	[ "$saved" -ge 10 ] || fail "the container wrote $saved before the checkpoint"

	: >"$TMP/$ID.out"
	piped "$ID" restore -d --image-path "$TMP/image" --bundle "$BUNDLE"
	[ "$(container_status)" = running ] || fail "status after restore: $(container_status)"
	local first pid
	first=$(count_in "$ID")
	[ "$first" -ge "$saved" ] || fail "restored count $first is below the $saved saved: it started over"
	wait_count "$ID" $((first + 5))
	# Its stdout is the restore caller's pipe now, and the numbers go on from where they were.
	[ "$(head -n1 "$TMP/$ID.out")" -gt "$saved" ] || fail "stdout after restore: $(head -n3 "$TMP/$ID.out")"
	pid=$(container_pid)
	[ "$(awk '/^NSpid/ { print $NF }' "/proc/$pid/status")" = 1 ] || fail "the restored init is not pid 1 inside"
	local line
	while read -r line; do
		[[ "$line" == *"/$ID" ]] || fail "restored init outside the container's cgroup: $line"
	done <"/proc/$pid/cgroup"
	run husk ps "$ID"
	assert_status 0
	assert_output_contains "$pid"

	husk kill "$ID" KILL
	wait_for_status stopped
	husk delete "$ID"
	assert_no_trace
}

@test "restore: in the foreground it waits, returns the exit status and deletes the container" {
	set_args sh -c 'i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo $i >>/dev/shm/count; sleep 0.1; done; echo done-$i; exit 7'
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 3
	husk checkpoint --image-path "$TMP/image" "$ID"
	assert_no_trace
	: >"$TMP/$ID.out"
	run -7 piped "$ID" restore --image-path "$TMP/image" --bundle "$BUNDLE"
	grep -qx done-30 "$TMP/$ID.out" || fail "the restored process did not finish its loop: $(cat "$TMP/$ID.out")"
	assert_no_trace
}

@test "checkpoint: stdio on host files (not pipes) is handed over; a foreground run ends quietly" {
	skip_on_runc "1.1.5 gives the init of a foreground run pipes of its own, and cannot dump host files"
	counter_config
	# `run` in the foreground, stdin /dev/null and output appended to a host file, as a service manager
	# starts it (criu checks that a file not opened for appending has the size it had at the dump).
	(rc=0
		husk run --bundle "$BUNDLE" "$ID" </dev/null >>"$TMP/first.log" 2>"$TMP/run.err" 3>&- || rc=$?
		echo $rc >"$TMP/run.status") &
	BACKGROUND_PIDS+=($!)
	retry 50 0.1 status_is running
	wait_count "$ID" 3
	run husk checkpoint --image-path "$TMP/image" "$ID"
	assert_status 0
	assert_no_trace
	retry 50 0.1 test -s "$TMP/run.status"
	# criu killed the init: run reports that, and nothing about the container it no longer finds.
	[ "$(cat "$TMP/run.status")" = 137 ] || fail "run exited $(cat "$TMP/run.status")"
	[ ! -s "$TMP/run.err" ] || fail "run complained: $(cat "$TMP/run.err")"
	grep -q '"file\[' "$TMP/image/descriptors.json" || fail "descriptors.json: $(cat "$TMP/image/descriptors.json")"

	husk restore -d --image-path "$TMP/image" --bundle "$BUNDLE" "$ID" </dev/null >>"$TMP/second.log" 2>&1 3>&- ||
		fail "restore: $(cat "$TMP/second.log")"
	retry 50 0.1 test -s "$TMP/second.log"
	[ "$(head -n1 "$TMP/second.log")" -gt "$(tail -n1 "$TMP/first.log")" ] ||
		fail "restored output: $(head -n2 "$TMP/second.log") after $(tail -n1 "$TMP/first.log")"
	husk delete -f "$ID"
	assert_no_trace
}

@test "checkpoint --leave-running: the container goes on, and its image makes a second one" {
	counter_config
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 5
	run husk checkpoint --leave-running --image-path "$TMP/image" --work-path "$TMP/work" "$ID"
	assert_status 0
	[ -s "$TMP/work/dump.log" ] || fail "criu's log is not in --work-path"
	[ "$(container_status)" = running ] || fail "status after --leave-running: $(container_status)"
	local before
	before=$(count_in "$ID")
	wait_count "$ID" $((before + 3))

	piped "$ID-copy" restore -d --image-path "$TMP/image" --bundle "$BUNDLE"
	[ "$(container_status "$ID-copy")" = running ] || fail "the copy is not running"
	[ "$(container_pid "$ID-copy")" != "$(container_pid)" ] || fail "the copy is the original"
	wait_count "$ID-copy" 6
	[ "$(container_status)" = running ] || fail "the original stopped"
	husk delete -f "$ID-copy"
	assert_no_trace "$ID-copy"
	husk delete -f "$ID"
	assert_no_trace
}

@test "checkpoint: an --image-path whose parents are missing is made with them, as runc's MkdirAll" {
	counter_config
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 3
	run husk checkpoint --leave-running --image-path "$TMP/deep/a/b/image" "$ID"
	assert_status 0
	[ -s "$TMP/deep/a/b/image/inventory.img" ] || fail "no criu image in $TMP/deep/a/b/image"
	[ "$(container_status)" = running ] || fail "status after --leave-running: $(container_status)"
	husk delete -f "$ID"
	assert_no_trace
}

@test "checkpoint, restore: a relative --image-path and --work-path are taken from the current directory" {
	counter_config
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 3
	# The bundle's directory, as restore's default --bundle: runc goes into the bundle before it opens the
	# image, so only there do the two runtimes find a relative image path in the same place.
	cd "$BUNDLE"
	# criu goes into its work directory (the image one by default) before it opens its log.
	run husk checkpoint --leave-running --image-path image "$ID"
	assert_status 0
	[ -s "$BUNDLE/image/inventory.img" ] || fail "no criu image in $BUNDLE/image"
	run husk checkpoint --leave-running --image-path image2 --work-path work "$ID"
	assert_status 0
	[ -s "$BUNDLE/work/dump.log" ] || fail "criu's log is not in the relative --work-path"
	[ -s "$BUNDLE/image2/inventory.img" ] || fail "no criu image in $BUNDLE/image2"
	[ "$(container_status)" = running ] || fail "status after --leave-running: $(container_status)"

	piped "$ID-copy" restore -d --image-path image
	[ "$(container_status "$ID-copy")" = running ] || fail "the copy from image is not running"
	husk delete -f "$ID-copy"
	piped "$ID-copy" restore -d --image-path image2 --work-path work
	[ "$(container_status "$ID-copy")" = running ] || fail "the copy from image2 is not running"
	[ -s "$BUNDLE/work/restore.log" ] || fail "criu's restore log is not in the relative --work-path"
	husk delete -f "$ID-copy"
	assert_no_trace "$ID-copy"
	husk delete -f "$ID"
	assert_no_trace
}

@test "checkpoint, restore: the network namespace is left empty, as runc leaves it: a veth to the host does not stop the restore" {
	counter_config
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 3
	# As a CNI plugin connects a container: a veth, one end on the host and the other in its namespace.
	VETH=s29h$(basename "$TMP" | cut -d. -f2)
	ip link add "$VETH" type veth peer name eth1 netns "$(container_pid)"
	nsenter --net="/proc/$(container_pid)/ns/net" ip -o link show eth1 >/dev/null || fail "no eth1 in the container"
	run husk checkpoint --image-path "$TMP/image" "$ID"
	assert_status 0
	assert_no_trace
	# The restored namespace is empty (lo only), for hooks to set up again; criu made none of the old devices.
	piped "$ID" restore -d --image-path "$TMP/image" --bundle "$BUNDLE" || fail "restore: $(cat "$TMP/$ID.out")"
	[ "$(container_status)" = running ] || fail "status after restore: $(container_status)"
	run nsenter --net="/proc/$(container_pid)/ns/net" ip -o link show
	assert_status 0
	[ "$(printf '%s\n' "$output" | awk -F': ' '{ print $2 }')" = lo ] || fail "the restored namespace is not empty"
	[ "$(readlink "/proc/$(container_pid)/ns/net")" != "$(readlink /proc/self/ns/net)" ] ||
		fail "the restored container is in the host's network namespace"
	husk delete -f "$ID"
	assert_no_trace
}

@test "checkpoint, restore: an empty --image-path is the default ./checkpoint, as runc's" {
	counter_config
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 3
	cd "$BUNDLE"
	run husk checkpoint --leave-running --image-path "" "$ID"
	assert_status 0
	[ -s "$BUNDLE/checkpoint/inventory.img" ] || fail "no criu image in ./checkpoint"
	piped "$ID-copy" restore -d --image-path ""
	[ "$(container_status "$ID-copy")" = running ] || fail "the copy from ./checkpoint is not running"
	husk delete -f "$ID-copy"
	assert_no_trace "$ID-copy"
	husk delete -f "$ID"
	assert_no_trace
}

@test "restore: a bind mount is the restoring bundle's source, not the checkpointed one's" {
	counter_config
	mkdir -p "$TMP/first" "$TMP/second"
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $src, "options": ["rbind", "rw"]}]' \
		--arg src "$TMP/first"
	# count is replaced by a rename, never truncated: the host reads a number, not the moment between.
	set_args sh -c 'cd /data; i=0; while true; do i=$((i+1)); echo $i >>/dev/shm/count; echo $i >count.new; mv count.new count; sleep 0.1; done'
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 3
	husk checkpoint --image-path "$TMP/image" "$ID"
	update_config '(.mounts[] | select(.destination == "/data") | .source) = $src' --arg src "$TMP/second"
	piped "$ID" restore -d --image-path "$TMP/image" --bundle "$BUNDLE"
	retry 50 0.1 test -s "$TMP/second/count"
	local frozen
	frozen=$(cat "$TMP/first/count")
	sleep 0.3
	[ "$(cat "$TMP/first/count")" = "$frozen" ] || fail "the restored process still writes the old source"
	[ "$(cat "$TMP/second/count")" -gt "$frozen" ] || fail "counting restarted in the new source"
}

@test "restore: prestart and createRuntime hooks run when criu has made the namespaces, given the restored pid" {
	counter_config
	mkdir "$TMP/hooks"
	update_config '.hooks = {
		prestart: [{path: "/bin/sh", args: ["sh", "-c", "cat >" + $d + "/prestart.json; readlink /proc/$(jq .pid " + $d + "/prestart.json)/ns/net >" + $d + "/netns"]}],
		createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "cat >" + $d + "/createRuntime.json"]}]}' --arg d "$TMP/hooks"
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 3
	husk checkpoint --image-path "$TMP/image" "$ID"
	rm -f "$TMP"/hooks/*

	piped "$ID" restore -d --image-path "$TMP/image" --bundle "$BUNDLE" || fail "restore: $(cat "$TMP/$ID.out")"
	local pid stage
	pid=$(container_pid)
	for stage in prestart createRuntime; do
		[ -s "$TMP/hooks/$stage.json" ] || fail "no $stage hook on restore"
		[ "$(jq -r .id "$TMP/hooks/$stage.json")" = "$ID" ] || fail "$stage: $(cat "$TMP/hooks/$stage.json")"
		[ "$(jq .pid "$TMP/hooks/$stage.json")" = "$pid" ] || fail "$stage got pid $(jq .pid "$TMP/hooks/$stage.json"), not $pid"
	done
	# The namespaces were there for the hook: the init's network namespace then is the one it has now.
	[ "$(cat "$TMP/hooks/netns")" = "$(readlink "/proc/$pid/ns/net")" ] || fail "the hook saw another netns"
	husk delete -f "$ID"

	# A failing hook fails the restore with its own words, and nothing is left.
	update_config '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "echo no network for you >&2; exit 3"]}]'
	run piped "$ID" restore -d --image-path "$TMP/image" --bundle "$BUNDLE"
	assert_status 1
	[ "$RUNTIME" != husk ] || grep -q "prestart" "$TMP/$ID.out" || fail "restore's error: $(cat "$TMP/$ID.out")"
	grep -q "no network for you" "$TMP/$ID.out" || fail "restore's error: $(cat "$TMP/$ID.out")"
	assert_no_trace
}

@test "checkpoint --pre-dump, then a dump on top of it with --parent-path" {
	criu check --feature mem_dirty_track >/dev/null 2>&1 || skip "this kernel has no soft-dirty memory tracking (criu check --feature mem_dirty_track)"
	counter_config
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 3
	run husk checkpoint --pre-dump --image-path "$TMP/pre" "$ID"
	assert_status 0
	[ "$(container_status)" = running ] || fail "a pre-dump stopped the container"
	[ -s "$TMP/pre/inventory.img" ] || fail "no pre-dump image"
	run husk checkpoint --parent-path ../pre --image-path "$TMP/image" "$ID"
	assert_status 0
	[ -L "$TMP/image/parent" ] || fail "the dump does not name its parent"
	assert_no_trace
	piped "$ID" restore -d --image-path "$TMP/image" --bundle "$BUNDLE"
	[ "$(container_status)" = running ] || fail "not restored from the two images"
	husk delete -f "$ID"
}

@test "checkpoint: --parent-path is relative to the image directory and names a directory, as runc's; else the container goes on" {
	counter_config
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 3
	mkdir "$TMP/pre"
	run husk checkpoint --parent-path "$TMP/pre" --image-path "$TMP/image" "$ID"
	assert_status 1
	assert_output_contains "--parent-path must be relative"
	[ "$RUNTIME" != husk ] || [ ! -e "$TMP/image" ] || fail "the refused checkpoint made $TMP/image"
	[ "$(container_status)" = running ] || fail "after the refused checkpoint: $(container_status)"
	run husk checkpoint --parent-path ../nosuch --image-path "$TMP/image" "$ID"
	assert_status 1
	assert_output_contains "invalid --parent-path"
	[ "$RUNTIME" != husk ] || assert_output_contains "$TMP/image/../nosuch"
	[ "$(container_status)" = running ] || fail "after the refused checkpoint: $(container_status)"
	husk delete -f "$ID"
	assert_no_trace
}

@test "checkpoint, restore: bad requests fail with one line naming what is wrong, and leave nothing" {
	husk_only "husk's messages"
	counter_config
	husk_create
	run husk checkpoint --image-path "$TMP/image" "$ID"
	assert_status 1
	assert_output_contains "is not running: created"
	run husk checkpoint --image-path "$TMP/image" nosuch
	assert_status 1
	assert_output_contains "container \`nosuch\` does not exist"
	run husk checkpoint --manage-cgroups-mode sometimes --image-path "$TMP/image" "$ID"
	assert_status 1
	assert_output_contains "--manage-cgroups-mode: \`sometimes\`"
	husk delete -f "$ID"

	run husk restore -d --image-path "$TMP/missing" --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_output_contains "--image-path \`$TMP/missing\`"
	assert_no_trace
	run husk restore -d --empty-ns ipc --image-path "$TMP" --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_output_contains "--empty-ns: \`ipc\`"
	assert_no_trace
	# criu itself refuses: its reason, and where its log is.
	mkdir "$TMP/empty"
	run husk restore -d --image-path "$TMP/empty" --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 1
	assert_output_contains "criu restore failed"
	assert_output_contains "$TMP/empty/restore.log"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ] || fail "more than one line"
	assert_no_trace
	# A taken id is refused before criu runs.
	husk_create
	run husk restore -d --image-path "$TMP/empty" --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 1
	assert_output_contains "already exists"
	[ "$(container_status)" = created ] || fail "the existing container was touched"
}

@test "checkpoint, restore: --criu names the criu binary; a missing one is one clear line, and the container goes on" {
	counter_config
	piped "$ID" run -d --bundle "$BUNDLE"
	wait_count "$ID" 3
	run husk --criu "$TMP/no-criu" checkpoint --image-path "$TMP/image" "$ID"
	assert_status 1
	assert_output_contains "$TMP/no-criu"
	[ "$RUNTIME" != husk ] || [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ] || fail "more than one line: $output"
	[ "$(container_status)" = running ] || fail "after the failed checkpoint: $(container_status)"
	# With no criu on PATH (Debian's own, if installed, cannot dump here), only --criu finds it.
	local criu path
	criu=$(command -v criu)
	path=$(printf '%s' "$PATH" | tr : '\n' | grep -vx "$(dirname "$criu")" | paste -sd:)
	PATH=$path run husk --criu "$criu" checkpoint --image-path "$TMP/image" "$ID"
	assert_status 0
	assert_no_trace
	PATH=$path piped "$ID" --criu "$criu" restore -d --image-path "$TMP/image" --bundle "$BUNDLE"
	[ "$(container_status)" = running ] || fail "status after restore: $(container_status)"
	local first
	first=$(count_in "$ID")
	[ "$first" -ge 3 ] || fail "the restored container counted from $first"
	husk delete -f "$ID"
	assert_no_trace
}

@test "checkpoint: a container with a terminal is refused (not supported yet), and keeps running" {
	husk_only "husk does not checkpoint terminals yet"
	start_console_socket
	update_config '.process.terminal = true'
	set_args sleep 1000
	husk_run_detached "$ID" --console-socket "$TMP/console.sock"
	run husk checkpoint --image-path "$TMP/image" "$ID"
	assert_status 1
	assert_output_contains "process.terminal"
	[ "$(container_status)" = running ] || fail "refused, but the container is $(container_status)"
}
