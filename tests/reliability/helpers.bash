# Shared setup for the reliability tests: the integration helpers plus host snapshots to prove nothing leaked.
#
# Environment (besides HUSK and CHECKER, see ../integration/helpers.bash):
#   RELIABILITY_CYCLES  create/start/delete cycles of leaks.bats (default 200; 1000 for long runs)
#   RELIABILITY_TRIALS  SIGKILL trials per operation in faults.bats (default 30; 100 for long runs)

load ../integration/helpers

CYCLES=${RELIABILITY_CYCLES:-200}
TRIALS=${RELIABILITY_TRIALS:-30}

# Mounts of this mount namespace (husk works in the caller's: any it leaves show up here).
mount_count() {
	wc -l </proc/self/mountinfo
}

# Cgroup dirs (any hierarchy, any depth) whose name starts with the prefix.
cgroups_with_prefix() {
	find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$1*" 2>/dev/null || true
}

# Nothing of containers named PREFIX* under $ROOT or in cgroups, and no process running `sleep $MARKER` (what the
# sleep bundle and the tests' execs run: found even when it escaped its cgroup).
assert_nothing_left() {
	local prefix=$1 left
	left=$(ls -A "$ROOT" 2>/dev/null | grep -- "^$prefix" || true)
	[ -z "$left" ] || { echo "state left under $ROOT: $left" >&2; return 1; }
	left=$(cgroups_with_prefix "$prefix")
	[ -z "$left" ] || { echo "cgroups left: $left" >&2; return 1; }
	left=$(pgrep -xf "sleep $MARKER" || true)
	[ -z "$left" ] || { echo "container processes left: $left" >&2; return 1; }
}

# husk's stderr for a failed command is one clear line: "husk: ..." with the cause, not a crash.
assert_clear_error() {
	local err=$1 want=$2
	[ -n "$err" ] || { echo "no error message" >&2; return 1; }
	echo "$err" | grep -q '^husk: ' || { echo "not a husk error: $err" >&2; return 1; }
	[ -z "$want" ] || echo "$err" | grep -qi -- "$want" || { echo "error lacks '$want': $err" >&2; return 1; }
}

# A second bundle whose process runs `sleep $MARKER` until killed; MARKER is unique to the test.
make_sleep_bundle() {
	SLEEP_BUNDLE=$TMP/sleep-bundle
	MARKER=$((7000000 + (RANDOM * 32768 + RANDOM) % 1000000))$BATS_TEST_NUMBER
	mkdir -p "$SLEEP_BUNDLE"
	jq --arg m "$MARKER" '.process.args = ["sleep", $m]' "$BUNDLE/config.json" >"$SLEEP_BUNDLE/config.json"
	ln -s "$BUNDLE/rootfs" "$SLEEP_BUNDLE/rootfs"
}
