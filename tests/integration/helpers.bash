# Shared setup for the integration tests: a fresh bundle and --root per test, and helpers to drive the runtime.
#
# Environment:
#   HUSK     the runtime under test (default: build/husk of this repo). Any runc-compatible binary works:
#            HUSK=$(command -v runc) validates the runc-compatible tests against runc.
#   CHECKER  the static checker copied into each rootfs (default: build/tests/checker/checker).
#
# Every test gets $TMP (removed in teardown), $ROOT (the --root state dir), $BUNDLE (busybox + checker) and a
# unique container id $ID. Containers never touch /run/husk. teardown deletes every container left under $ROOT
# with `delete -f`, even when the test failed.

bats_require_minimum_version 1.5.0

INTEGRATION_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$INTEGRATION_DIR/../.." && pwd)
# Absolute paths: tests cd around. A bare name (HUSK=runc) is looked up in PATH.
abs_path() {
	case "$1" in
	*/*) echo "$(cd "$(dirname "$1")" 2>/dev/null && pwd)/$(basename "$1")" ;;
	*) command -v "$1" || echo "$1" ;;
	esac
}
HUSK=$(abs_path "${HUSK:-$REPO_DIR/build/husk}")
CHECKER=$(abs_path "${CHECKER:-$REPO_DIR/build/tests/checker/checker}")
RECVTTY=$(abs_path "${RECVTTY:-$(dirname "$CHECKER")/recvtty}")
export HUSK CHECKER RECVTTY

# Which runtime is under test: husk, runc or crun (from the first line of --version).
runtime_name() {
	local first
	first=$("$HUSK" --version 2>/dev/null | head -n1)
	case "$first" in
	husk*) echo husk ;;
	runc*) echo runc ;;
	crun*) echo crun ;;
	*) echo unknown ;;
	esac
}

# Per-file: build one template bundle that each test copies (cheaper than building it per test).
husk_setup_file() {
	if [ ! -x "$HUSK" ]; then
		echo "# no runtime at HUSK=$HUSK (build it, or set HUSK=\$(command -v runc))" >&3
		return 1
	fi
	if [ ! -x "$CHECKER" ]; then
		echo "# no checker at CHECKER=$CHECKER (ninja -C build tests/checker/checker)" >&3
		return 1
	fi
	RUNTIME=$(runtime_name)
	export RUNTIME
	TEMPLATE_BUNDLE=$BATS_FILE_TMPDIR/template
	"$REPO_DIR/tests/lib/make-bundle.sh" "$TEMPLATE_BUNDLE"
	export TEMPLATE_BUNDLE
}

husk_setup() {
	[ -n "${TEMPLATE_BUNDLE:-}" ] || husk_setup_file
	[ -n "${RUNTIME:-}" ] || RUNTIME=$(runtime_name)
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/husk-it.XXXXXX")
	ROOT=$TMP/root
	BUNDLE=$TMP/bundle
	mkdir -p "$ROOT"
	cp -a "$TEMPLATE_BUNDLE" "$BUNDLE"
	# Unique across the host, not just this root: cgroup paths are global.
	ID=it-$(basename "$TMP" | cut -d. -f2 | tr 'A-Z' 'a-z')-$BATS_TEST_NUMBER
	BACKGROUND_PIDS=()
}

husk_teardown() {
	local id pid
	for pid in "${BACKGROUND_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
	if [ -d "$ROOT" ]; then
		# Containers the runtime knows about, plus any state dir it could not list.
		for id in $("$HUSK" --root "$ROOT" list -q 2>/dev/null) $(ls -A "$ROOT" 2>/dev/null); do
			"$HUSK" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	# cgroups a broken runtime left behind (deepest first), so that one failure does not litter the host
	if [ -n "${ID:-}" ]; then
		find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$ID*" 2>/dev/null | sort -r |
			while read -r cg; do
				xargs -r kill -9 <"$cg/cgroup.procs" 2>/dev/null || true
				rmdir "$cg" 2>/dev/null || true
			done
	fi
	# Anything a test mounted on the host under $TMP (deepest first).
	if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then
		awk -v tmp="$TMP/" 'index($5, tmp) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
			while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
		rm -rf "$TMP"
	fi
}

# Skip unless the runtime under test is husk (tests of husk's own messages and choices).
husk_only() {
	[ "$RUNTIME" = husk ] || skip "husk-specific: ${1:-behaviour runc does not share}"
}

# Skip when running against runc, for a runc behaviour that differs from what husk promises (a known runc bug or
# a feature runc 1.1 lacks). HUSK_TEST_NO_RUNC_SKIP=1 runs them anyway, to check that they do fail on runc.
skip_on_runc() {
	[ "$RUNTIME" != runc ] || [ -n "${HUSK_TEST_NO_RUNC_SKIP:-}" ] || skip "runc ${1:?reason}"
}

# The runtime with this test's --root.
husk() {
	"$HUSK" --root "$ROOT" "$@"
}

# Edit config.json with a jq filter (extra args go to jq, e.g. --arg name value).
update_config() {
	local filter=$1
	shift
	jq "$@" "$filter" <"$BUNDLE/config.json" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# Set process.args to the given words.
set_args() {
	# One --arg per word: jq --args would take words like -c as its own options.
	local args a
	args=$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -s .)
	update_config '.process.args = $args' --argjson args "$args"
}

# A writable root (the runc spec default is read-only).
writable_rootfs() {
	update_config '.root.readonly = false'
}

# Bind-mount a fresh host dir $TMP/shared at /shared in the container, for files the test reads afterwards.
add_shared_dir() {
	mkdir -p "$TMP/shared"
	chmod 0777 "$TMP/shared"
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": $src, "options": ["rbind", "rw"]}]' \
		--arg src "$TMP/shared"
}

# Run ARGS in the foreground container $ID; sets $status/$output like bats' run (stdout and stderr merged).
container_run() {
	set_args "$@"
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
}

# The value of key=value in $output (or in the text given as $2).
kv() {
	local text=${2-$output}
	printf '%s\n' "$text" | awk -v key="$1" 'index($0, key "=") == 1 { print substr($0, length(key) + 2); exit }'
}

# Runtime commands that leave a container process behind (create, run -d) must not hand it bats' pipes, or
# `run` would wait for the container to close them. Its stdio goes to $TMP/<id>.out and $TMP/<id>.err.
# usage: husk_create [ID [flags...]]; on failure the runtime's stderr is printed.
husk_create() {
	local id=$ID
	if [ $# -gt 0 ]; then
		id=$1
		shift
	fi
	husk create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$TMP/$id.out" 2>"$TMP/$id.err" 3>&-
	local rc=$?
	[ $rc -eq 0 ] || cat "$TMP/$id.err" >&2
	return $rc
}

husk_run_detached() {
	local id=$ID
	if [ $# -gt 0 ]; then
		id=$1
		shift
	fi
	husk run --detach --bundle "$BUNDLE" "$@" "$id" </dev/null >"$TMP/$id.out" 2>"$TMP/$id.err" 3>&-
	local rc=$?
	[ $rc -eq 0 ] || cat "$TMP/$id.err" >&2
	return $rc
}

# Start recvtty on $TMP/console.sock (its output, the container's terminal, goes to $TMP/tty.out) for
# --console-socket; sets RECVTTY_PID.
start_console_socket() {
	[ -x "$RECVTTY" ] || skip "no recvtty at $RECVTTY (ninja -C build tests/checker/recvtty)"
	"$RECVTTY" "$TMP/console.sock" >"$TMP/tty.out" 2>"$TMP/recvtty.err" </dev/null 3>&- &
	RECVTTY_PID=$!
	BACKGROUND_PIDS+=("$RECVTTY_PID")
	retry 100 0.02 test -S "$TMP/console.sock"
}

# Wait for the container to close its terminal, then set $console to what it wrote there (CRLF -> LF).
# Not usable as $(console_output): a subshell cannot wait for recvtty, a child of the test's shell.
wait_console_output() {
	wait "$RECVTTY_PID" || true
	console=$(tr -d '\r' <"$TMP/tty.out")
}

# `state` .status of a container, or nothing when state fails.
container_status() {
	husk state "${1:-$ID}" 2>/dev/null | jq -r .status
}

container_pid() {
	husk state "${1:-$ID}" 2>/dev/null | jq -r .pid
}

# retry ATTEMPTS DELAY COMMAND...: run COMMAND until it succeeds.
retry() {
	local attempts=$1 delay=$2 i
	shift 2
	for ((i = 0; i < attempts; i++)); do
		"$@" && return 0
		sleep "$delay"
	done
	echo "retry: '$*' did not succeed after $attempts attempts" >&2
	return 1
}

status_is() {
	[ "$(container_status "$2")" = "$1" ]
}

wait_for_status() {
	retry 100 0.05 status_is "$1" "${2:-$ID}"
}

# No state dir, no process, no cgroup left for container $1 (default $ID).
assert_no_trace() {
	local id=${1:-$ID}
	if [ -e "$ROOT/$id" ]; then
		echo "state dir $ROOT/$id left behind" >&2
		return 1
	fi
	if husk state "$id" >/dev/null 2>&1; then
		echo "state of $id still works" >&2
		return 1
	fi
	assert_no_cgroup "$id"
}

assert_no_cgroup() {
	local id=${1:-$ID} found
	# find exits non-zero when another test's cgroup vanishes mid-walk: only what it prints counts
	found=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$id" 2>/dev/null || true)
	if [ -n "$found" ]; then
		echo "cgroup dirs left behind: $found" >&2
		return 1
	fi
}

# Processes whose command line mentions the marker (a basic regex; to find leftover container processes). Its
# first character goes in brackets, so that grep's own command line does not match.
pids_with_marker() {
	grep -lsa -e "[${1:0:1}]${1:1}" /proc/[0-9]*/cmdline 2>/dev/null | awk -F/ -v self=$$ '$3 != self { print $3 }'
}

# For retry, which runs its command again each try (a "$(...)" in its arguments would be read only once).
marker_alive() { [ -n "$(pids_with_marker "$1")" ]; }
not() { ! "$@"; }

# Print $output for a failing assertion.
fail() {
	echo "$@" >&2
	echo "output: $output" >&2
	return 1
}

# [[ $output == *substring* ]] with a useful message.
assert_output_contains() {
	[[ "$output" == *"$1"* ]] || fail "expected output to contain: $1"
}

assert_status() {
	[ "$status" -eq "$1" ] || fail "expected exit status $1, got $status"
}
