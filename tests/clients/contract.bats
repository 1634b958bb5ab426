#!/usr/bin/env bats
# The subprocess contract of runc's programmatic callers, checked on husk and on runc side by side so that drift
# shows: containerd's go-runc (the runc shim), Microsoft hcsshim's Linux guest agent (internal/guest/runtime/runc)
# and conmon. What they run: `--root R --log F --log-format json <cmd>`; `create --bundle B --pid-file P
# [--no-pivot] [--no-new-keyring] [--console-socket S] ID`; `state`, `list -f json`, `ps -f json`, `kill ID 9`,
# `kill --all`, `update --resources -`, `exec --process F --detach --pid-file P`, `delete [--force]`. What they
# parse: stdout JSON (field names and types), the pid file (strconv.Atoi: a bare integer), the last
# "level":"error" line of the --log file and a few substrings of its msg, exit codes.
#
# Every test gets $CTMP with one bundle and one --root per runtime; container ids are unique on the host because
# cgroup paths (/<id>) are global.

load helpers

RUNTIMES=(husk runc)

setup_file() {
	clients_require_husk
	if ! clients_install runc; then
		skip "runc cannot run here: $CLIENTS_MISSING not installed, so there is nothing to compare husk with"
	fi
	if [ ! -x "$SUBREAPER" ]; then
		echo "# no subreaper helper at SUBREAPER=$SUBREAPER (ninja -C build tests/checker/subreaper)" >&3
		return 1
	fi
	RUNC=$(command -v runc)
	export RUNC
	TEMPLATE=$BATS_FILE_TMPDIR/template
	CHECKER=$CHECKER "$REPO_DIR/tests/lib/make-bundle.sh" "$TEMPLATE" >/dev/null
	jq '.process.args = ["sleep", "1000"]' "$TEMPLATE/config.json" >"$TEMPLATE/config.new"
	mv "$TEMPLATE/config.new" "$TEMPLATE/config.json"
	export TEMPLATE
}

setup() {
	CTMP=$(mktemp -d /tmp/husk-contract.XXXXXX)
	SUFFIX=$(basename "$CTMP" | cut -d. -f2 | tr 'A-Z' 'a-z')-$BATS_TEST_NUMBER
	local name
	for name in "${RUNTIMES[@]}"; do
		cp -a "$TEMPLATE" "$CTMP/bundle-$name"
		mkdir "$CTMP/root-$name"
	done
	BACKGROUND_PIDS=()
}

teardown() {
	local name id pid
	for pid in "${BACKGROUND_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
	for name in "${RUNTIMES[@]}"; do
		for id in $(ls -A "$CTMP/root-$name" 2>/dev/null); do
			rt "$name" delete --force "$id" >/dev/null 2>&1 || true
			remove_cgroups_named "$id"
		done
	done
	clients_teardown_tmp
}

bin_of() {
	case $1 in
	husk) echo "$HUSK" ;;
	runc) echo "$RUNC" ;;
	esac
}

# rt NAME ARGS...: runtime NAME with its own root and JSON log, the way go-runc and hcsshim call it.
rt() {
	local name=$1
	shift
	"$(bin_of "$name")" --root "$CTMP/root-$name" --log "$CTMP/$name.log" --log-format json "$@"
}

# The container id for runtime NAME (and an optional tag).
cid() {
	echo "ct-$SUFFIX-$1${2:+-$2}"
}

# rt_create NAME [ID [FLAGS...]]: create with stdio on files (the init keeps it), bundle bundle-NAME.
rt_create() {
	local name=$1 id=${2:-$(cid "$1")}
	shift 2 || shift
	rt "$name" create --bundle "$CTMP/bundle-$name" --pid-file "$CTMP/$name.pid" "$@" "$id" \
		</dev/null >"$CTMP/$id.out" 2>"$CTMP/$id.err" 3>&-
	local rc=$?
	[ $rc -eq 0 ] || cat "$CTMP/$id.err" >&2
	return $rc
}

rt_start_sleeper() {
	rt_create "$1" "$(cid "$1")" && rt "$1" start "$(cid "$1")"
}

status_of() {
	rt "$1" state "$2" 2>/dev/null | jq -r .status
}

status_is() {
	[ "$(status_of "$1" "$2")" = "$3" ]
}

# Whether container $2 of runtime $1 has stopped; if not, TERM again. Its sh sets its trap only once it
# runs, and a TERM that comes before is lost: pid 1 of a pid namespace ignores the signals it has no
# handler for (under load in CI that window was hit).
term_until_stopped() {
	status_is "$1" "$2" stopped && return 0
	rt "$1" kill "$2" 15 >/dev/null 2>&1
	return 1
}

# One "path:type" line per leaf of the JSON on stdin (array indices as []): the shape a Go struct decodes.
json_shape() {
	jq -r '[paths(scalars) as $p | "\($p | map(if type == "number" then "[]" else . end) | join(".")):\(getpath($p) | type)"] | unique | .[]'
}

# go's time.Time accepts RFC 3339 with or without fractional seconds.
is_rfc3339() {
	[[ "$1" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]]
}

# The last "level":"error" line of runtime NAME's --log file (what go-runc and hcsshim read), as JSON.
last_error() {
	[ -f "$CTMP/$1.log" ] || return 1
	jq -c 'select(.level == "error")' "$CTMP/$1.log" | tail -n1
}

# A fresh log per step, so last_error is about the command just run.
clear_logs() {
	local name
	for name in "${RUNTIMES[@]}"; do
		rm -f "$CTMP/$name.log"
	done
}

# A pid file go-runc (runc.ReadPidFile) and hcsshim (strconv.Atoi) accept: digits only, no newline.
assert_bare_pid_file() {
	local content
	content=$(cat "$1")
	[[ "$content" =~ ^[1-9][0-9]*$ ]] || fail "pid file $1: '$content' is not a bare integer"
	[ "$(stat -c %s "$1")" = "${#content}" ] || fail "pid file $1 has bytes after the number (a newline?)"
}

@test "contract: create --bundle --pid-file --no-pivot --no-new-keyring with --log F --log-format json" {
	local name id
	for name in "${RUNTIMES[@]}"; do
		id=$(cid "$name")
		rt_create "$name" "$id" --no-pivot --no-new-keyring || fail "$name create failed"
		assert_bare_pid_file "$CTMP/$name.pid"
		run rt "$name" state "$id"
		assert_status 0
		[ "$(jq -r .status <<<"$output")" = created ] || fail "$name: status"
		[ "$(jq .pid <<<"$output")" = "$(cat "$CTMP/$name.pid")" ] || fail "$name: state pid != pid file"
		# --no-pivot: the init still has the bundle's rootfs as its root (MS_MOVE + chroot, not pivot_root).
		local pid
		pid=$(cat "$CTMP/$name.pid")
		[ "$(stat -L -c %d:%i "/proc/$pid/root/etc/passwd")" = "$(stat -c %d:%i "$CTMP/bundle-$name/rootfs/etc/passwd")" ] ||
			fail "$name: the init's root is not the bundle rootfs"
		# A successful command writes no error line.
		[ -z "$(last_error "$name")" ] || fail "$name: error in the log after a good create: $(cat "$CTMP/$name.log")"
	done
}

@test "contract: state, list -f json and ps -f json have runc's field names and types" {
	local name
	declare -A state_shape list_shape
	for name in "${RUNTIMES[@]}"; do
		# No containers: both print null (go-runc decodes it as an empty list).
		run rt "$name" list -f json
		assert_status 0
		[ "$output" = null ] || fail "$name: empty list"

		rt_start_sleeper "$name"
		local id pid
		id=$(cid "$name")
		run rt "$name" state "$id"
		assert_status 0
		local state=$output
		state_shape[$name]=$(json_shape <<<"$state")
		pid=$(jq .pid <<<"$state")
		[ "$(jq -r .status <<<"$state")" = running ]
		[ "$(jq -r .id <<<"$state")" = "$id" ]
		[ "$(jq -r .bundle <<<"$state")" = "$CTMP/bundle-$name" ]
		is_rfc3339 "$(jq -r .created <<<"$state")" || fail "$name: created is not RFC 3339"

		run rt "$name" list -f json
		assert_status 0
		list_shape[$name]=$(json_shape <<<"$output")
		[ "$(jq length <<<"$output")" = 1 ]
		[ "$(jq -r '.[0].id' <<<"$output")" = "$id" ]
		[ "$(jq '.[0].pid' <<<"$output")" = "$pid" ]
		[ "$(jq -r '.[0].owner' <<<"$output")" = root ]
		is_rfc3339 "$(jq -r '.[0].created' <<<"$output")" || fail "$name: list created is not RFC 3339"

		# ps -f json: a JSON array of host pids (go-runc Ps, hcsshim getRunningPids).
		run rt "$name" ps -f json "$id"
		assert_status 0
		[ "$(jq -c 'map(type) | unique' <<<"$output")" = '["number"]' ] || fail "$name: ps is not an array of numbers"
		jq -e --argjson pid "$pid" 'index($pid) != null' <<<"$output" >/dev/null || fail "$name: init not in ps"
		run rt "$name" ps --format=json "$id"
		assert_status 0
	done
	[ "${state_shape[husk]}" = "${state_shape[runc]}" ] ||
		fail "state shapes differ: husk: ${state_shape[husk]} runc: ${state_shape[runc]}"
	[ "${list_shape[husk]}" = "${list_shape[runc]}" ] ||
		fail "list shapes differ: husk: ${list_shape[husk]} runc: ${list_shape[runc]}"
}

@test "contract: --flag=value and --flag value both work, globally and per command" {
	local name id
	for name in "${RUNTIMES[@]}"; do
		id=$(cid "$name")
		"$(bin_of "$name")" --root="$CTMP/root-$name" --log="$CTMP/$name.log" --log-format=json \
			create --bundle="$CTMP/bundle-$name" --pid-file="$CTMP/$name.pid" "$id" \
			</dev/null >/dev/null 2>&1 3>&- || fail "$name: create with --flag=value"
		assert_bare_pid_file "$CTMP/$name.pid"
		rt "$name" start "$id"
		echo '{"args": ["true"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"]}' >"$CTMP/p.json"
		run rt "$name" exec --process="$CTMP/p.json" --pid-file="$CTMP/$name.epid" "$id"
		assert_status 0
		run rt "$name" exec --process "$CTMP/p.json" --pid-file "$CTMP/$name.epid" "$id"
		assert_status 0
		run rt "$name" kill --all=true "$id" 9
		assert_status 0
		retry 100 0.05 status_is "$name" "$id" stopped
		run rt "$name" delete --force=true "$id"
		assert_status 0
	done
}

@test "contract: failures exit non-zero and write a level=error JSON line to --log" {
	local name id
	# What each client matches in the message (husk must keep these; runc's own texts differ in places).
	for name in "${RUNTIMES[@]}"; do
		id=$(cid "$name")
		rt_start_sleeper "$name"

		clear_logs
		run rt_create "$name" "$id"
		[ "$status" -ne 0 ] || fail "$name: a second create with the same id succeeded"
		local line
		line=$(last_error "$name") || fail "$name: no --log file after a failed create"
		[ -n "$line" ] || fail "$name: no error line: $(cat "$CTMP/$name.log")"
		is_rfc3339 "$(jq -r .time <<<"$line")" || fail "$name: time is not RFC 3339: $line"
		# hcsshim's parseRuncError: ErrContainerAlreadyExists
		[[ "$(jq -r .msg <<<"$line")" == *"container with given ID already exists"* ]] ||
			fail "$name: hcsshim would not see 'already exists' in: $line"

		clear_logs
		run rt "$name" state "nope-$id"
		[ "$status" -ne 0 ]
		line=$(last_error "$name")
		# containerd's shim ignores a delete error that contains "does not exist"; podman's state check too.
		[[ "$(jq -r .msg <<<"$line")" == *"does not exist"* ]] || fail "$name: not-found text: $line"

		clear_logs
		run rt "$name" create --bundle "$CTMP/bundle-$name" "bad/$id" </dev/null
		[ "$status" -ne 0 ]
		line=$(last_error "$name")
		# hcsshim: ErrInvalidContainerID ("invalid id format" or runc's "invalid container ID format").
		[[ "$(jq -r .msg <<<"$line")" == *"invalid id format"* ||
			"$(jq -r .msg <<<"$line")" == *"invalid container ID format"* ]] || fail "$name: invalid id: $line"

		clear_logs
		run rt "$name" delete "$id"
		[ "$status" -ne 0 ] || fail "$name: deleted a running container without --force"
		line=$(last_error "$name")
		# hcsshim: ErrContainerNotStopped (contains "container" and "that is not stopped").
		[[ "$(jq -r .msg <<<"$line")" == *container*"that is not stopped"* ]] || fail "$name: not stopped: $line"

		rt "$name" kill "$id" 9
		retry 100 0.05 status_is "$name" "$id" stopped

		clear_logs
		run rt "$name" kill "$id" 9
		[ "$status" -ne 0 ] || fail "$name: signalled a stopped container"
		line=$(last_error "$name")
		# containerd's checkKillError maps "container not running" to "process already finished" (NotFound).
		[[ "$(jq -r .msg <<<"$line")$output" == *"container not running"* ]] || fail "$name: not running: $line"

		clear_logs
		run rt "$name" exec "$id" true
		[ "$status" -ne 0 ] || fail "$name: exec in a stopped container succeeded"
		[ -n "$(last_error "$name")" ] || fail "$name: no error line for exec"
	done
}

@test "contract: husk's error texts carry the words clients match" {
	local id
	id=$(cid husk)
	rt_start_sleeper husk
	run rt_create husk "$id"
	assert_output_contains "already exists"
	run rt husk state "nope-$id"
	assert_output_contains "does not exist"
	run rt husk start "nope-$id"
	assert_output_contains "does not exist"
	run rt husk create --bundle "$CTMP/bundle-husk" "bad/$id" </dev/null
	assert_output_contains "invalid id format"
	run rt husk delete "$id"
	assert_output_contains "not stopped"
	rt husk kill "$id" KILL
	retry 100 0.05 status_is husk "$id" stopped
	run rt husk kill "$id" KILL
	assert_output_contains "not running"
	run rt husk pause "$id"
	assert_output_contains "not running"
	run rt husk exec "$id" true
	assert_output_contains "not running"
}

@test "contract: kill ID 9, 15 and 0 take signal numbers, kill --all reaches every process" {
	local name id
	for name in "${RUNTIMES[@]}"; do
		id=$(cid "$name")
		update_sleeper_args "$name" sh -c 'trap "exit 3" TERM; while :; do sleep 0.05; done'
		rt_start_sleeper "$name"
		run rt "$name" kill "$id" 15
		assert_status 0
		retry 100 0.05 term_until_stopped "$name" "$id"
		rt "$name" delete "$id"

		update_sleeper_args "$name" sleep 1000
		rt_start_sleeper "$name"
		# Signal 0 only asks whether the container's init is there.
		run rt "$name" kill "$id" 0
		assert_status 0
		[ "$(rt "$name" state "$id" | jq -r .status)" = running ] || fail "$name: signal 0 stopped the container"
		run rt "$name" kill "$id" 9
		assert_status 0
		retry 100 0.05 status_is "$name" "$id" stopped
		run rt "$name" kill "$id" 0
		[ "$status" -ne 0 ] || fail "$name: signal 0 to a stopped container succeeded"
		rt "$name" delete "$id"

		# --all with a shared pid namespace (no pid ns of its own): every process gets the signal.
		jq 'del(.linux.namespaces[] | select(.type == "pid"))' "$CTMP/bundle-$name/config.json" >"$CTMP/c.json"
		mv "$CTMP/c.json" "$CTMP/bundle-$name/config.json"
		rt_start_sleeper "$name"
		rt "$name" exec --detach --pid-file "$CTMP/$name.epid" "$id" sleep 999 </dev/null >/dev/null 2>&1 3>&-
		local epid
		epid=$(cat "$CTMP/$name.epid")
		run rt "$name" kill --all "$id" 9
		assert_status 0
		retry 100 0.05 status_is "$name" "$id" stopped
		retry 100 0.05 process_gone "$epid" "sleep 999" || fail "$name: exec'd process survived kill --all"
	done
}

# Process $1 has exited (gone, or a zombie) or is no longer command $2.
process_gone() {
	[ "$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" != "$2 " ]
}

# Whether process $1's name is $2 (what it exec'd last).
comm_is() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# Set process.args of runtime NAME's bundle.
update_sleeper_args() {
	local name=$1 args a
	shift
	args=$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -s .)
	jq --argjson args "$args" '.process.args = $args' "$CTMP/bundle-$name/config.json" >"$CTMP/c.json"
	mv "$CTMP/c.json" "$CTMP/bundle-$name/config.json"
}

@test "contract: update --resources - reads LinuxResources JSON from stdin, --resources F from a file" {
	local name id pid
	declare -A mem pids shares
	for name in "${RUNTIMES[@]}"; do
		id=$(cid "$name")
		rt_start_sleeper "$name"
		pid=$(cat "$CTMP/$name.pid")
		run rt "$name" update --resources - "$id" <<<'{"memory": {"limit": 67108864}, "pids": {"limit": 50}, "cpu": {"shares": 512}}'
		assert_status 0
		mem[$name]=$(cat "$(cgroup_dir "$pid" memory)/memory.limit_in_bytes")
		pids[$name]=$(cat "$(cgroup_dir "$pid" pids)/pids.max")
		shares[$name]=$(cat "$(cgroup_dir "$pid" cpu)/cpu.shares")
		# podman writes the JSON to a temp file and passes --resources=FILE.
		echo '{"memory": {"limit": 100663296}}' >"$CTMP/res.json"
		run rt "$name" update --resources="$CTMP/res.json" "$id"
		assert_status 0
		[ "$(cat "$(cgroup_dir "$pid" memory)/memory.limit_in_bytes")" = 100663296 ] || fail "$name: --resources=FILE"
		# The cgroup is the container's own (named after the id), not the caller's.
		[ "$(basename "$(cgroup_dir "$pid" memory)")" = "$id" ] || fail "$name: init not in a cgroup of its own"
	done
	[ "${mem[husk]}" = 67108864 ] && [ "${mem[husk]}" = "${mem[runc]}" ] || fail "memory: husk ${mem[husk]} runc ${mem[runc]}"
	[ "${pids[husk]}" = 50 ] && [ "${pids[husk]}" = "${pids[runc]}" ] || fail "pids: husk ${pids[husk]} runc ${pids[runc]}"
	[ "${shares[husk]}" = 512 ] && [ "${shares[husk]}" = "${shares[runc]}" ] || fail "shares: husk ${shares[husk]} runc ${shares[runc]}"
}

# Run inside $SUBREAPER (a PR_SET_CHILD_SUBREAPER parent, as containerd's shim and hcsshim's gcs are): create,
# start and exec --detach, then print the parent of the init and of the exec'd process, and the subreaper's pid.
subreaper_sequence() {
	local bin=$1 root=$2 bundle=$3 id=$4 dir=$5
	"$bin" --root "$root" --log "$dir/seq.log" --log-format json create --bundle "$bundle" --pid-file "$dir/init.pid" \
		"$id" </dev/null >/dev/null 2>"$dir/create.err" || { cat "$dir/create.err"; return 1; }
	local init
	init=$(cat "$dir/init.pid")
	echo "subreaper=$PPID"
	echo "init_parent=$(awk '/^PPid:/ { print $2 }' "/proc/$init/status")"
	"$bin" --root "$root" start "$id" || return 1
	echo '{"args": ["sleep", "999"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"]}' >"$dir/proc.json"
	"$bin" --root "$root" --log "$dir/seq.log" --log-format json exec --process "$dir/proc.json" --detach \
		--pid-file "$dir/exec.pid" "$id" </dev/null >/dev/null 2>"$dir/exec.err" || { cat "$dir/exec.err"; return 1; }
	local epid
	epid=$(cat "$dir/exec.pid")
	echo "exec_parent=$(awk '/^PPid:/ { print $2 }' "/proc/$epid/status")"
	echo "exec_pidns_same=$([ "$(readlink "/proc/$epid/ns/pid")" = "$(readlink "/proc/$init/ns/pid")" ] && echo yes)"
	echo "exec_pid_file=$(wc -c <"$dir/exec.pid")/${#epid}"
	# Leave nothing for the subreaper to wait for.
	"$bin" --root "$root" kill "$id" 9
	"$bin" --root "$root" delete --force "$id"
}

@test "contract: after create and exec --detach the processes are children of the calling subreaper" {
	export -f subreaper_sequence
	local name
	for name in "${RUNTIMES[@]}"; do
		mkdir -p "$CTMP/seq-$name"
		run timeout 60 "$SUBREAPER" bash -c 'subreaper_sequence "$@"' _ "$(bin_of "$name")" "$CTMP/root-$name" \
			"$CTMP/bundle-$name" "$(cid "$name")" "$CTMP/seq-$name"
		assert_status 0
		local sub
		sub=$(grep '^subreaper=' <<<"$output" | cut -d= -f2)
		[ -n "$sub" ] || fail "$name: no output"
		[ "$(grep '^init_parent=' <<<"$output" | cut -d= -f2)" = "$sub" ] || fail "$name: init not a child of the subreaper"
		[ "$(grep '^exec_parent=' <<<"$output" | cut -d= -f2)" = "$sub" ] ||
			fail "$name: exec'd process not a child of the subreaper"
		assert_output_contains "exec_pidns_same=yes"
		# The exec pid file is a bare integer too.
		local sizes
		sizes=$(grep '^exec_pid_file=' <<<"$output" | cut -d= -f2)
		[ "${sizes%/*}" = "${sizes#*/}" ] || fail "$name: exec pid file is not a bare integer ($sizes)"
	done
}

@test "contract: create returns while the console-socket peer has not accepted yet" {
	local name id
	for name in "${RUNTIMES[@]}"; do
		id=$(cid "$name")
		jq '.process.terminal = true' "$CTMP/bundle-$name/config.json" >"$CTMP/c.json"
		mv "$CTMP/c.json" "$CTMP/bundle-$name/config.json"
		# A listening socket that never accepts (hcsshim accepts only after create returns).
		perl -MSocket -e 'socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
			bind($s, pack_sockaddr_un($ARGV[0])) or die "bind: $!"; listen($s, 8) or die "listen: $!";
			open(STDOUT, ">", "/dev/null"); sleep 60' "$CTMP/$name.sock" </dev/null >/dev/null 2>&1 3>&- &
		BACKGROUND_PIDS+=($!)
		retry 100 0.02 test -S "$CTMP/$name.sock"
		run timeout 10 "$(bin_of "$name")" --root "$CTMP/root-$name" create --bundle "$CTMP/bundle-$name" \
			--console-socket "$CTMP/$name.sock" "$id" </dev/null 3>&-
		[ "$status" -ne 124 ] || fail "$name: create hung waiting for the console-socket peer"
		assert_status 0
		[ "$(status_of "$name" "$id")" = created ]
	done
}

@test "contract: delete --force of a container that is gone exits 0, plain delete says it does not exist" {
	local name id
	for name in "${RUNTIMES[@]}"; do
		id=$(cid "$name")
		run rt "$name" delete --force "$id"
		assert_status 0
		run rt "$name" delete "$id"
		[ "$status" -ne 0 ]
		[[ "$(last_error "$name" | jq -r .msg)" == *"does not exist"* ]] || fail "$name: $(cat "$CTMP/$name.log")"
		# Twice in a row, as containerd's shim does (delete, then delete --force from `shim delete`).
		rt_start_sleeper "$name"
		rt "$name" kill "$id" 9
		retry 100 0.05 status_is "$name" "$id" stopped
		run rt "$name" delete "$id"
		assert_status 0
		run rt "$name" delete --force "$id"
		assert_status 0
	done
}

@test "contract: --version exits 0 with the lines go-runc parses" {
	local name
	for name in "${RUNTIMES[@]}"; do
		run "$(bin_of "$name")" --version
		assert_status 0
		[[ "${lines[0]}" =~ ^$name\ version\ [0-9] ]] || fail "$name: first line"
		grep -q '^commit: ' <<<"$output" || fail "$name: commit line"
		grep -q '^spec: [0-9]' <<<"$output" || fail "$name: spec line"
	done
}

@test "contract: conmon's _OCI_SYNCPIPE and _OCI_STARTPIPE are ignored and not passed on" {
	local name id
	for name in "${RUNTIMES[@]}"; do
		id=$(cid "$name")
		: >"$CTMP/syncpipe"
		# fd 3: a file a runtime that used _OCI_SYNCPIPE would write to; fd 4: a pipe nobody writes to, so a
		# runtime that waited on _OCI_STARTPIPE would hang (timeout 124).
		mkfifo "$CTMP/startpipe"
		sleep 60 >"$CTMP/startpipe" 2>/dev/null 3>&- &
		BACKGROUND_PIDS+=($!)
		# The container keeps its stdio: files, or bats' `run` would wait for it.
		env _OCI_SYNCPIPE=3 _OCI_STARTPIPE=4 timeout 10 "$(bin_of "$name")" --root "$CTMP/root-$name" create \
			--bundle "$CTMP/bundle-$name" --pid-file "$CTMP/$name.pid" "$id" \
			3>"$CTMP/syncpipe" 4<"$CTMP/startpipe" </dev/null >"$CTMP/$id.out" 2>&1
		status=$?
		rm -f "$CTMP/startpipe"
		[ "$status" -ne 124 ] || fail "$name: create hung on _OCI_STARTPIPE"
		assert_status 0
		run env _OCI_SYNCPIPE=3 timeout 10 "$(bin_of "$name")" --root "$CTMP/root-$name" start "$id" 3>"$CTMP/syncpipe"
		assert_status 0
		[ ! -s "$CTMP/syncpipe" ] || fail "$name wrote to _OCI_SYNCPIPE: $(cat "$CTMP/syncpipe")"
		local pid
		pid=$(cat "$CTMP/$name.pid")
		# `start` may return before the init has exec'd (runc's does: its init still holds the Go runtime's
		# epoll fd and pipe for a moment, which a loaded machine makes long enough to see).
		retry 100 0.05 comm_is "$pid" sleep || fail "$name: the init never exec'd sleep: $(cat "/proc/$pid/comm")"
		[ "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')" = "0 1 2 " ] ||
			fail "$name: the container has fds other than stdio: $(ls -l "/proc/$pid/fd")"
		! tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^_OCI_' || fail "$name: _OCI_ variables reached the container"
	done
}

@test "contract: exit codes of run, exec and failures" {
	local name id
	for name in "${RUNTIMES[@]}"; do
		id=$(cid "$name")
		update_sleeper_args "$name" sh -c 'exit 42'
		run rt "$name" run --bundle "$CTMP/bundle-$name" "$id-run" </dev/null 3>&-
		[ "$status" -eq 42 ] || fail "$name: run exit status $status"
		update_sleeper_args "$name" sleep 1000
		rt_start_sleeper "$name"
		run rt "$name" exec "$id" sh -c 'exit 5'
		[ "$status" -eq 5 ] || fail "$name: exec exit status $status"
		run rt "$name" exec "$id" sh -c 'kill -9 $$'
		[ "$status" -eq 137 ] || fail "$name: exec killed by SIGKILL: $status"
		# An exec that cannot run its process exits 255, not a status the process could have given.
		run rt "$name" exec "$id" /nonexistent
		[ "$status" -eq 255 ] || fail "$name: exec of a missing program: $status"
		run rt "$name" exec "nope-$id" true
		[ "$status" -eq 255 ] || fail "$name: exec in a missing container: $status"
		run rt "$name" state "nope-$id"
		[ "$status" -eq 1 ] || fail "$name: state of a missing container: $status"
	done
}

@test "contract: events --stats prints one stats event with runc's field types" {
	local name
	declare -A shape
	for name in "${RUNTIMES[@]}"; do
		rt_start_sleeper "$name"
		run timeout 10 "$(bin_of "$name")" --root "$CTMP/root-$name" events --stats "$(cid "$name")"
		assert_status 0
		[ "$(jq -r .type <<<"$output")" = stats ] || fail "$name: type"
		[ "$(jq -r .id <<<"$output")" = "$(cid "$name")" ] || fail "$name: id"
		jq -e '.data.cpu.usage.total > 0 and .data.memory.usage.usage > 0 and .data.pids.current >= 1' \
			<<<"$output" >/dev/null || fail "$name: stats values"
		shape[$name]=$(json_shape <<<"$output" | grep -v '^id:')
	done
	# Every field husk prints has the type runc gives it (go-runc decodes into runc's Stats struct).
	local line path conflicts=""
	while read -r line; do
		path=${line%:*}
		if grep -q "^$path:" <<<"${shape[runc]}" && ! grep -qxF "$line" <<<"${shape[runc]}"; then
			conflicts+=" $line(runc: $(grep "^$path:" <<<"${shape[runc]}" | head -n1))"
		fi
	done <<<"${shape[husk]}"
	[ -z "$conflicts" ] || fail "type conflicts:$conflicts"
}
