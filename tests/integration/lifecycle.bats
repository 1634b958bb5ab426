#!/usr/bin/env bats
# Lifecycle: create/start/state/kill/delete, run, list, pid files, ids, spec, features, version and help.

load helpers

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

@test "lifecycle: create, start, kill, delete walk created -> running -> stopped -> gone" {
	set_args sleep 600
	husk_create
	[ "$(container_status)" = created ]
	pid=$(container_pid)
	[ "$pid" -gt 0 ]
	kill -0 "$pid"

	husk start "$ID"
	wait_for_status running
	[ "$(container_pid)" = "$pid" ]

	husk kill "$ID" KILL
	wait_for_status stopped
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]

	husk delete "$ID"
	run husk state "$ID"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/$ID" ]
}

@test "lifecycle: state JSON has the runtime-spec and runc fields" {
	update_config '.annotations = {"org.example.key": "value"}'
	set_args sleep 600
	husk_create
	run --separate-stderr husk state "$ID"
	assert_status 0
	state=$output
	[ "$(jq -r .ociVersion <<<"$state")" != null ]
	[ "$(jq -r .id <<<"$state")" = "$ID" ]
	[ "$(jq -r .status <<<"$state")" = created ]
	[ "$(jq -r '.pid | type' <<<"$state")" = number ]
	[ "$(jq -r .pid <<<"$state")" -gt 0 ]
	[ "$(jq -r .bundle <<<"$state")" = "$BUNDLE" ]
	[ "$(jq -r .rootfs <<<"$state")" = "$BUNDLE/rootfs" ]
	# created is RFC 3339 in UTC, as runc writes it
	[[ "$(jq -r .created <<<"$state")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]]
	[ "$(jq -r 'has("owner")' <<<"$state")" = true ]
	[ "$(jq -r '.annotations["org.example.key"]' <<<"$state")" = value ]
}

@test "lifecycle: state, start, kill and delete of an unknown id fail" {
	for verb in state start "kill" delete; do
		run husk $verb nosuchcontainer
		[ "$status" -ne 0 ] || fail "$verb of an unknown id succeeded"
		assert_output_contains "does not exist"
	done
}

@test "lifecycle: create of an id that exists fails and leaves the first container alone" {
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	run husk_create
	[ "$status" -ne 0 ]
	assert_output_contains "already exists"
	[ "$(container_status)" = created ]
	[ "$(container_pid)" = "$pid" ]
}

@test "lifecycle: a created container's exec socket is its owner's alone, whatever the caller's umask" {
	husk_only "husk's exec socket (runc waits on a fifo, 0622)"
	# Another user can reach the state dir here (0711, as runc's), so only the socket's mode keeps it from
	# connecting and starting the container, or keeping `start` from it.
	chmod 0711 "$TMP"
	chmod 0755 "$ROOT"
	set_args echo started
	local mask
	mask=$(umask)
	umask 000
	husk_create
	umask "$mask"
	local sock=$ROOT/$ID/exec.sock
	[ "$(stat -c %a "$sock")" = 600 ] || fail "exec.sock has mode $(stat -c %a "$sock")"
	run setpriv --reuid 65534 --regid 65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect(sys.argv[1])' "$sock"
	[ "$status" -ne 0 ] && [[ "$output" == *PermissionError* ]] || fail "another user could connect ($status)"
	[ "$(container_status)" = created ]
	husk start "$ID"
	wait_for_status stopped
}

@test "lifecycle: start of a running container fails" {
	set_args sleep 600
	husk_create
	husk start "$ID"
	run husk start "$ID"
	[ "$status" -ne 0 ]
	[ "$(container_status)" = running ]
}

# A start killed once it has released the init: the process runs, so the container is running, and neither the next
# start nor a plain delete may end it (husk's status once read "created" until start's last step, and took the
# socket left behind for a created container: the next start or delete killed the running process).
@test "start: killed once the init is released, the container is running, and nothing unasked ends it" {
	husk_only "kills husk's start at its own wait for the exec (recvfrom)"
	command -v strace >/dev/null || skip "no strace"
	set_args sleep 600
	husk_create
	local pid
	pid=$(container_pid)
	# The first recvfrom of start is its wait for the init's exec, after START went.
	strace -o /dev/null -e trace=recvfrom -e inject=recvfrom:signal=KILL:when=1 \
		"$HUSK" --root "$ROOT" start "$ID" </dev/null >/dev/null 2>&1 || true
	wait_for_status running
	run husk start "$ID"
	[ "$status" -ne 0 ] || fail "a second start succeeded"
	run husk delete "$ID"
	[ "$status" -ne 0 ] || fail "a plain delete ended a running container"
	[ "$(container_status)" = running ] && [ "$(container_pid)" = "$pid" ] || fail "the container was ended"
	[ "$(cat "/proc/$pid/comm")" = sleep ] || fail "the init is $(cat "/proc/$pid/comm")"
	# A socket left in the exec socket's place with nobody listening (what the old start left): not "created"
	# for a start to act on; start says so and leaves the process alone.
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(sys.argv[1])' \
		"$ROOT/$ID/exec.sock"
	run husk start "$ID"
	[ "$status" -ne 0 ] || fail "start of a container whose socket nobody listens on succeeded"
	assert_output_contains "not waiting to be started"
	[ "$(container_status)" = running ] && [ "$(cat "/proc/$pid/comm")" = sleep ] || fail "start ended the container"
	run husk exec "$ID" true </dev/null
	assert_status 0
}

@test "run: foreground returns the container's exit status" {
	container_run sh -c 'exit 3'
	assert_status 3
	container_run sh -c 'exit 0'
	assert_status 0
	# run without --keep deletes the container
	run husk state "$ID"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/$ID" ]
}

@test "run: --no-subreaper is taken, as runc takes it" {
	set_args sh -c 'exit 4'
	run husk run --no-subreaper --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 4
	assert_no_trace
}

@test "run: a container killed by signal N makes run exit 128+N, and SIGKILL is not taken for OOM" {
	set_args sleep 600
	"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- &
	run_pid=$!
	BACKGROUND_PIDS+=("$run_pid")
	wait_for_status running
	husk kill "$ID" KILL
	rc=0
	wait "$run_pid" || rc=$?
	[ "$rc" -eq 137 ] || fail "run exited $rc, want 137: $(cat "$TMP/run.out")"
	! grep -q OOM "$TMP/run.out" || fail "a plain SIGKILL was reported as OOM: $(cat "$TMP/run.out")"
}

@test "run: signals sent to the runtime are forwarded to the container" {
	add_shared_dir
	set_args sh -c 'trap "echo usr1 > /shared/got; exit 7" USR1; echo > /shared/ready; while :; do sleep 0.05; done'
	"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- &
	run_pid=$!
	BACKGROUND_PIDS+=("$run_pid")
	retry 100 0.05 test -e "$TMP/shared/ready"
	kill -USR1 "$run_pid"
	rc=0
	wait "$run_pid" || rc=$?
	[ "$(cat "$TMP/shared/got")" = usr1 ]
	[ "$rc" -eq 7 ] || fail "run exited $rc, want 7: $(cat "$TMP/run.out")"
}

@test "run: --detach returns while the container runs" {
	set_args sleep 600
	husk_run_detached
	[ "$(container_status)" = running ]
	husk kill "$ID" KILL
	wait_for_status stopped
	husk delete "$ID"
}

@test "run: --keep keeps the stopped container until delete" {
	set_args sh -c 'exit 5'
	run husk run --keep --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 5
	[ "$(container_status)" = stopped ]
	husk delete "$ID"
	[ ! -e "$ROOT/$ID" ]
}

# A number may carry a plus sign, as Go's strconv.Atoi (runc) takes it; a minus sign fails in both.
@test "kill: signals by name, SIG name and number" {
	set_args sleep 600
	local i=0 sig id
	for sig in KILL SIGKILL 9 +9; do
		id=$ID-$((i++))
		husk_create "$id"
		husk start "$id"
		husk kill "$id" "$sig"
		wait_for_status stopped "$id"
		husk delete "$id"
	done
}

# An empty signal is the default too: runc takes "" for TERM, so a script passing "$SIG" with SIG unset works.
@test "kill: the default signal is TERM, also given as an empty argument" {
	add_shared_dir
	set_args sh -c 'trap "echo term > /shared/got; exit 0" TERM; echo > /shared/ready; while :; do sleep 0.05; done'
	local how
	for how in omitted empty; do
		rm -f "$TMP/shared/ready" "$TMP/shared/got"
		husk_run_detached "$ID-$how"
		retry 100 0.05 test -e "$TMP/shared/ready"
		if [ "$how" = omitted ]; then
			husk kill "$ID-$how"
		else
			husk kill "$ID-$how" ""
		fi
		retry 100 0.05 test -s "$TMP/shared/got"
		[ "$(cat "$TMP/shared/got")" = term ]
		wait_for_status stopped "$ID-$how"
	done
}

@test "kill: an unknown signal name fails" {
	set_args sleep 600
	husk_create
	run husk kill "$ID" SIGFOO
	[ "$status" -ne 0 ]
	assert_output_contains "FOO"
	[ "$(container_status)" = created ]
}

@test "kill: a stopped container cannot be signalled" {
	set_args true
	run husk run --keep --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	run husk kill "$ID" KILL
	[ "$status" -ne 0 ]
	assert_output_contains "not running"
}

# runc's waiting `runc init` (Go) exits on these and only these; crun's ignores them all, as pid 1 does by default.
@test "kill: TERM, INT, HUP and QUIT end a created container, as they end runc's waiting init; USR1 does not" {
	set_args echo started
	local sig id
	for sig in TERM INT HUP QUIT; do
		id=$ID-$sig
		husk_create "$id"
		husk kill "$id" "$sig"
		wait_for_status stopped "$id" || fail "$sig: the container is $(container_status "$id")"
		[ ! -s "$TMP/$id.out" ] || fail "$sig: the program ran: $(cat "$TMP/$id.out")"
		husk delete "$id"
	done
	husk_create
	husk kill "$ID" USR1
	sleep 0.3
	[ "$(container_status)" = created ] || fail "USR1: the container is $(container_status)"
	husk start "$ID"
	wait_for_status stopped
	[ "$(cat "$TMP/$ID.out")" = started ] || fail "after start: $(cat "$TMP/$ID.out")"
}

# runc 1.2's kill.bats "KILL [host pidns]" and "[host pidns + init gone]": without a pid namespace of its own the
# init's death ends nothing else, so SIGKILL goes to the whole cgroup.
@test "kill: SIGKILL without a pid namespace of its own ends every process, also once the init is gone" {
	skip_on_runc "1.1.5 signals the init only (runc 1.2 kills the whole cgroup)"
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	local marker="kill-all-$ID"
	set_args sh -c "sh -c 'sleep 600; : $marker' & exec sleep 600"
	husk_run_detached
	husk exec -d "$ID" sh -c "sleep 600; : $marker-exec"
	retry 100 0.05 marker_alive "$marker-exec" || fail "the exec'd process is not there"
	husk kill "$ID" KILL
	wait_for_status stopped
	retry 100 0.05 not marker_alive "$marker" || fail "left behind: $(pids_with_marker "$marker")"
	husk delete "$ID"

	# the init killed from outside first: the container is stopped, its other processes are not
	set_args sh -c "sh -c 'sleep 600; : $marker' & exec sleep 600"
	husk_run_detached
	retry 100 0.05 marker_alive "$marker" || fail "the background process is not there"
	kill -9 "$(husk state "$ID" | jq -r .pid)"
	wait_for_status stopped
	[ -n "$(pids_with_marker "$marker")" ] || fail "the background process went with the init"
	husk kill "$ID" KILL
	retry 100 0.05 not marker_alive "$marker" || fail "left behind: $(pids_with_marker "$marker")"
	# other signals still go to the init only, and a stopped container has none
	run husk kill "$ID" TERM
	assert_status 1
	assert_output_contains "container not running"
}

@test "delete: a running container is refused without --force" {
	set_args sleep 600
	husk_run_detached
	run husk delete "$ID"
	[ "$status" -ne 0 ]
	assert_output_contains "not stopped"
	[ "$(container_status)" = running ]
}

@test "delete: --force kills and deletes a running container" {
	set_args sleep 600
	husk_run_detached
	pid=$(container_pid)
	husk delete --force "$ID"
	[ ! -e "$ROOT/$ID" ]
	retry 50 0.05 sh -c "! kill -0 $pid 2>/dev/null || grep -q '^[^ ]* ([^)]*) Z' /proc/$pid/stat"
	assert_no_cgroup
}

@test "delete: --force deletes a created container" {
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	husk delete -f "$ID"
	[ ! -e "$ROOT/$ID" ]
	retry 50 0.05 sh -c "! kill -0 $pid 2>/dev/null || grep -q '^[^ ]* ([^)]*) Z' /proc/$pid/stat"
}

@test "delete: --force of an id that is already gone exits 0" {
	# containerd deletes with --force after the container may already be gone and relies on exit 0
	run husk delete --force "$ID"
	assert_status 0
	run husk delete "$ID"
	[ "$status" -ne 0 ]
}

# A state dir without state.json (a create that died before writing it) is no container to state or list: delete
# says so too, as runc does, though it removes the dir either way; with --force that is a success.
@test "delete: a state dir without state.json is removed, and only --force calls that a success" {
	mkdir "$ROOT/$ID"
	run husk delete "$ID"
	assert_status 1
	assert_output_contains "does not exist"
	[ ! -e "$ROOT/$ID" ] || fail "delete left the dir"
	mkdir "$ROOT/$ID"
	run husk delete --force "$ID"
	assert_status 0
	[ ! -e "$ROOT/$ID" ] || fail "delete --force left the dir"
}

@test "list: table, quiet and json formats" {
	set_args sleep 600
	husk_create
	run --separate-stderr husk list
	assert_status 0
	read -r -a header <<<"${lines[0]}"
	[ "${header[*]}" = "ID PID STATUS BUNDLE CREATED OWNER" ] || fail "header: ${lines[0]}"
	read -r -a row <<<"${lines[1]}"
	[ "${row[0]}" = "$ID" ]
	[ "${row[1]}" = "$(container_pid)" ]
	[ "${row[2]}" = created ]
	[ "${row[3]}" = "$BUNDLE" ]
	[ "${row[5]}" = root ]
	# created as runc writes it (Go's RFC3339Nano: no trailing zeros in the fraction), the same in state and list
	local created
	created=$(husk state "$ID" | jq -r .created)
	[[ "$created" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,8}[1-9])?Z$ ]] ||
		fail "created: $created"
	[ "${row[4]}" = "$created" ] || fail "list: created ${row[4]}, state: $created"

	run --separate-stderr husk list -q
	assert_status 0
	[ "$output" = "$ID" ]

	run --separate-stderr husk list --format json
	assert_status 0
	[ "$(jq -r 'length' <<<"$output")" = 1 ]
	[ "$(jq -r '.[0].id' <<<"$output")" = "$ID" ]
	[ "$(jq -r '.[0].status' <<<"$output")" = created ]
	[ "$(jq -r '.[0].bundle' <<<"$output")" = "$BUNDLE" ]
	[ "$(jq -r '.[0].created' <<<"$output")" = "$created" ]

	# Go's flag package also takes a one-letter flag as -f=VALUE (and -q=true).
	run --separate-stderr husk list -f=json
	assert_status 0
	[ "$(jq -r '.[0].id' <<<"$output")" = "$ID" ] || fail "list -f=json: $output"
	run --separate-stderr husk list -q=true
	assert_status 0
	[ "$output" = "$ID" ] || fail "list -q=true: $output"
}

@test "list: an empty root lists nothing" {
	run --separate-stderr husk list -q
	assert_status 0
	[ -z "$output" ]
	run --separate-stderr husk list -f json
	assert_status 0
	# runc prints null for no containers; an empty array is as good
	[[ "$output" == null || "$(jq -r length <<<"$output")" == 0 ]]
}

@test "create: --pid-file holds the init pid as a bare integer" {
	set_args sleep 600
	husk_create "$ID" --pid-file "$TMP/pid"
	[ -f "$TMP/pid" ]
	# no newline, nothing but digits
	[ "$(od -An -c "$TMP/pid" | tr -d ' 0-9\n')" = "" ] || fail "pid file: $(od -c "$TMP/pid")"
	[ "$(cat "$TMP/pid")" = "$(container_pid)" ]
	# a relative --pid-file is relative to the cwd
	cd "$TMP"
	husk_create "$ID-rel" --pid-file pid-rel
	[ "$(cat "$TMP/pid-rel")" = "$(container_pid "$ID-rel")" ]
}

@test "create, exec, run: --pid-file does not write through a link planted at a temp name" {
	# Whoever may write the pid file's directory can plant links at the names a runtime's temp file could
	# have: husk 0.1's fixed <file>.husk-tmp, a .tmp, runc's .<file> (runc refuses that one: "file exists").
	# A hard link is planted too: not following symlinks alone would still truncate the file it shares.
	set_args sleep 600
	echo canary >"$TMP/canary"
	mkdir "$TMP/pids"
	local name planted=()
	for name in create exec run; do
		if [ "$name" = exec ]; then
			ln "$TMP/canary" "$TMP/pids/$name.husk-tmp"
		else
			ln -s "$TMP/canary" "$TMP/pids/$name.husk-tmp"
		fi
		ln -s "$TMP/canary" "$TMP/pids/$name.tmp"
		planted+=("$name.husk-tmp" "$name.tmp")
		if [ "$RUNTIME" != runc ]; then
			ln -s "$TMP/canary" "$TMP/pids/.$name"
			planted+=(".$name")
		fi
	done
	husk_create "$ID" --pid-file "$TMP/pids/create"
	husk exec -d --pid-file "$TMP/pids/exec" "$ID" sleep 600 </dev/null >/dev/null 2>&1 3>&- || fail "exec failed"
	husk_run_detached "$ID-run" --pid-file "$TMP/pids/run"
	[ "$(cat "$TMP/canary")" = canary ] || fail "the canary was written: $(cat "$TMP/canary")"
	[ ! -L "$TMP/pids/create" ] && [ ! -L "$TMP/pids/exec" ] && [ ! -L "$TMP/pids/run" ] ||
		fail "a pid file is a symlink: $(ls -l "$TMP/pids")"
	[ "$(cat "$TMP/pids/create")" = "$(container_pid)" ] || fail "create's pid file: $(cat "$TMP/pids/create")"
	[ "$(cat "$TMP/pids/run")" = "$(container_pid "$ID-run")" ] || fail "run's pid file: $(cat "$TMP/pids/run")"
	[ "$(tr '\0' ' ' <"/proc/$(cat "$TMP/pids/exec")/cmdline")" = "sleep 600 " ] ||
		fail "exec's pid file names another process"
	# nothing left but the pid files and what was planted
	[ "$(ls -A "$TMP/pids" | sort)" = "$(printf '%s\n' create exec run "${planted[@]}" | sort)" ] ||
		fail "left in the directory: $(ls -A "$TMP/pids")"
}

@test "create: ten concurrent creates of one id, exactly one succeeds" {
	skip_on_runc "1.1.5 checks the id with stat() before MkdirAll, without a lock: two concurrent creates can both succeed (seen here)"
	set_args sleep 600
	pids=()
	for i in $(seq 10); do
		(husk create --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/c$i.out" 2>"$TMP/c$i.err" 3>&- && touch "$TMP/c$i.ok") &
		pids+=($!)
	done
	# Only our jobs: a bare `wait` would also wait for bats' own timeout watchdog.
	wait "${pids[@]}" || true
	ok=$(ls "$TMP"/c*.ok 2>/dev/null | wc -l)
	[ "$ok" -eq 1 ] || fail "$ok creates succeeded: $(cat "$TMP"/c*.err)"
	[ "$(container_status)" = created ]
	[ "$(husk list -q)" = "$ID" ]
}

@test "create: invalid ids are refused and nothing is created" {
	long=$(printf 'x%.0s' $(seq 1100))
	for bad in a/b .. . "$long" ""; do
		run husk_create "$bad"
		[ "$status" -ne 0 ] || fail "id '${bad:0:40}' accepted"
		[ -z "$(ls -A "$ROOT")" ] || fail "id '${bad:0:40}' left $(ls -A "$ROOT")"
	done
	[ ! -e "$ROOT/a" ] && [ ! -e "$TMP/b" ]
}

@test "ids: only letters, digits and _ + , - . (runc's rule): others are refused by every command, nothing made" {
	local bad cmd
	for bad in "$ID x" "$ID*" "$ID:x" "$ID@x" "$ID=x" "$ID\\x" "$ID$(printf '\303\251')" "$ID\$x" "$ID#x"; do
		run husk_create "$bad"
		[ "$status" -ne 0 ] || fail "create: id '$bad' accepted"
		[[ "$output" == *"invalid id format"* || "$output" == *"invalid container ID format"* ]] ||
			fail "create '$bad': $output"
		[ -z "$(ls -A "$ROOT")" ] || fail "id '$bad' left $(ls -A "$ROOT")"
	done
	set_args sleep 600
	# runc's [\w+-\.] has the range + to ., which holds the comma
	husk_create "$ID.a_B+1,-2"
	[ "$(container_status "$ID.a_B+1,-2")" = created ]
	for cmd in state start kill "delete --force" "exec ID true" ps pause resume events update checkpoint; do
		[[ "$cmd" == *ID* ]] || cmd="$cmd ID"
		# shellcheck disable=SC2086 # the command's words, the id in its place
		run husk ${cmd%% ID*} "$ID x" ${cmd#* ID} </dev/null
		[ "$status" -ne 0 ] || fail "$cmd: id '$ID x' accepted"
		[[ "$output" == *"invalid id format"* || "$output" == *"invalid container ID format"* ]] ||
			fail "$cmd '$ID x': $output"
	done
	husk delete --force "$ID.a_B+1,-2"
	[ -z "$(ls -A "$ROOT")" ] || fail "left $(ls -A "$ROOT")"
}

@test "create: a missing bundle or config.json fails and leaves nothing" {
	run husk create --bundle "$TMP/nonexistent" "$ID"
	[ "$status" -ne 0 ]
	rm "$BUNDLE/config.json"
	run husk_create
	[ "$status" -ne 0 ]
	assert_output_contains "config.json"
	assert_no_trace
}

@test "spec: writes a config.json for a bundle, refuses to overwrite one" {
	mkdir "$TMP/spec"
	cd "$TMP/spec"
	husk spec
	jq -e '.ociVersion and .process.args == ["sh"] and .root.path == "rootfs"' config.json
	jq -e '[.linux.namespaces[].type] | index("mount") != null' config.json
	cp config.json first.json
	run husk spec
	[ "$status" -ne 0 ]
	cmp config.json first.json

	mkdir "$TMP/spec2"
	husk spec --bundle "$TMP/spec2"
	jq -e .ociVersion "$TMP/spec2/config.json"
}

# runc's rule: tools that add a cgroup namespace to `runc spec`'s config on a v1 or hybrid host (runc's own
# delete.bats does) would otherwise get a duplicate namespace.
@test "spec: a cgroup namespace only where /sys/fs/cgroup is cgroup v2 alone, as runc" {
	mkdir "$TMP/spec"
	husk spec --bundle "$TMP/spec"
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		jq -e '[.linux.namespaces[].type] | index("cgroup") != null' "$TMP/spec/config.json"
	else
		jq -e '[.linux.namespaces[].type] | index("cgroup") == null' "$TMP/spec/config.json"
	fi
	jq -e '[.linux.namespaces[].type] | sort == (["ipc", "mount", "network", "pid", "uts"] + (if index("cgroup") then ["cgroup"] else [] end) | sort)' \
		"$TMP/spec/config.json"
}

# Beyond runc 1.1's template: what Docker 28 and Kubernetes also mask. A container made from it runs, with them masked.
@test "spec: the template masks /proc/interrupts and /sys/devices/virtual/powercap too, and runs" {
	mkdir "$TMP/spec"
	husk spec --bundle "$TMP/spec"
	jq -e '.linux.maskedPaths | index("/proc/interrupts") and index("/sys/devices/virtual/powercap")' \
		"$TMP/spec/config.json"
	jq --arg r "$BUNDLE/rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["cat", "/proc/interrupts"]' \
		"$TMP/spec/config.json" >"$BUNDLE/config.json"
	grep -q . /proc/interrupts || skip "this host's /proc/interrupts is empty"
	run --separate-stderr husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ -z "$output" ] || fail "/proc/interrupts is readable in the container: $output"
}

@test "spec: --rootless adds a user namespace with id mappings" {
	mkdir "$TMP/spec"
	cd "$TMP/spec"
	husk spec --rootless
	jq -e '[.linux.namespaces[].type] | index("user") != null' config.json
	jq -e '(.linux.uidMappings | length) > 0 and (.linux.gidMappings | length) > 0' config.json
	# a rootless container cannot have a network namespace of its own to configure
	jq -e '[.linux.namespaces[].type] | index("network") == null' config.json
	# As runc's: /sys bound from the host, the cgroup mount kept, no mount option naming an unmapped id, and
	# the cgroup namespace where `spec` has one.
	jq -e '.mounts[] | select(.destination == "/sys") | .type == "none" and (.options | index("rbind"))' config.json
	jq -e '[.mounts[].destination] | index("/sys/fs/cgroup") != null' config.json
	jq -e '[.mounts[].options // [] | .[] | select(startswith("uid=") or startswith("gid="))] == []' config.json
	mkdir "$TMP/plain"
	husk spec --bundle "$TMP/plain"
	[ "$(jq -c '[.linux.namespaces[].type | select(. == "cgroup")]' config.json)" = \
		"$(jq -c '[.linux.namespaces[].type | select(. == "cgroup")]' "$TMP/plain/config.json")" ]
}

@test "features: JSON with versions, hooks, mount options and namespaces" {
	run --separate-stderr husk features
	assert_status 0
	jq -e '.ociVersionMin and .ociVersionMax' <<<"$output"
	jq -e '.hooks | index("prestart") and index("createRuntime") and index("createContainer") and index("startContainer") and index("poststart") and index("poststop")' <<<"$output"
	jq -e '.mountOptions | index("ro") and index("nosuid") and index("rbind") and index("tmpcopyup")' <<<"$output"
	jq -e '.linux.namespaces | index("pid") and index("network") and index("mount") and index("user") and index("cgroup")' <<<"$output"
	jq -e '(.linux.capabilities | index("CAP_SYS_ADMIN")) != null' <<<"$output"
}

@test "features: husk advertises runtime-spec 1.2 and the time namespace" {
	husk_only "runc 1.1 stops at spec 1.0.2-dev"
	run --separate-stderr husk features
	assert_status 0
	jq -e '.ociVersionMin == "1.0.0"' <<<"$output"
	jq -e '.ociVersionMax | startswith("1.2")' <<<"$output"
	jq -e '.linux.namespaces | index("time")' <<<"$output"
	# runtime-spec features: linux.netDevices and intelRdt.schemata (husk moves netDevices and writes
	# schemata), and the annotations husk acts on that name host files (criu's config file).
	jq -e '.linux.netDevices.enabled == true and .linux.intelRdt.schemata == true' <<<"$output"
	jq -e '.potentiallyUnsafeConfigAnnotations == ["org.criu.config"]' <<<"$output"
	# Every seccomp flag the parser takes (TSYNC has nothing to do in a one-thread init).
	jq -e '.linux.seccomp.knownFlags | index("SECCOMP_FILTER_FLAG_TSYNC") and index("SECCOMP_FILTER_FLAG_LOG")' <<<"$output"
}

@test "--version: name, commit and spec lines" {
	run --separate-stderr "$HUSK" --version
	assert_status 0
	[[ "${lines[0]}" =~ ^(husk|runc|crun)\ version\ [0-9] ]]
	printf '%s\n' "$output" | grep -q '^commit: '
	printf '%s\n' "$output" | grep -q '^spec: [0-9]'
}

@test "--version: husk prints exactly three lines" {
	husk_only "runc adds go and libseccomp lines"
	run --separate-stderr "$HUSK" --version
	assert_status 0
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^husk\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	[[ "${lines[1]}" =~ ^commit:\ [0-9a-z]+ ]]
	[[ "${lines[2]}" =~ ^spec:\ 1\.2\. ]]
	# A husk built in this checkout names the commit checked out at its build, not at meson's configure.
	local repo head
	repo=$(git -C "$BATS_TEST_DIRNAME" rev-parse --show-toplevel 2>/dev/null) || return 0
	[[ "$HUSK" == "$repo"/* ]] || return 0
	head=$(git -C "$repo" rev-parse --short HEAD)
	[ "${lines[1]}" = "commit: $head" ] || fail "${lines[1]}, but the checkout is at $head"
}

@test "--help: lists the subcommands and exits 0" {
	run --separate-stderr "$HUSK" --help
	assert_status 0
	for verb in create start run state kill delete list spec features exec ps; do
		grep -qw "$verb" <<<"$output" || fail "--help does not mention $verb"
	done
}

@test "an unknown subcommand fails" {
	run "$HUSK" --root "$ROOT" no-such-verb
	[ "$status" -ne 0 ]
}

@test "an unknown flag is named once, with the help that lists the flags" {
	husk_only "husk's wording"
	run --separate-stderr "$HUSK" --root "$ROOT" --no-such-flag list
	[ "$status" -ne 0 ] || fail "an unknown global flag was accepted"
	[ "$stderr" = 'husk: unknown flag `--no-such-flag` (see `husk --help`)' ] || fail "global: $stderr"
	run --separate-stderr "$HUSK" --root "$ROOT" list --no-such-flag
	[ "$status" -ne 0 ] || fail "an unknown list flag was accepted"
	[ "$stderr" = 'husk: list: unknown flag `--no-such-flag` (see `husk list --help`)' ] || fail "list: $stderr"
	run --separate-stderr "$HUSK" --debug=maybe --root "$ROOT" list
	[ "$stderr" = 'husk: --debug: invalid boolean `maybe`' ] || fail "boolean: $stderr"
}
