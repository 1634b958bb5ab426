#!/bin/bash
# Run the integration suite against a husk built with ASan+UBSan, and fail on any sanitizer report.
#
# usage: tests/asan-integration.sh BUILD_ASAN_DIR [BATS ARGS...]     (needs root, like tests/integration)
#   BUILD_ASAN_DIR: a build dir configured with CC=clang -Db_sanitize=address,undefined -Db_lundef=false, with
#   `husk tests/checker/checker tests/checker/recvtty` built (this script builds nothing). clang, because with
#   gcc libubsan ignores log_path and writes its reports to stderr, where bats tests would not see them.
#   BATS ARGS default to tests/integration tests/reliability. Prints TAP (for tests/run-all.sh) and adds one
#   last test, "no sanitizer reports", that fails when any husk process wrote an ASan, UBSan or LSan report.
#
# What is covered, and what is not:
# - Sanitizer reports go to per-pid files in a fresh world-writable dir (log_path), not to stderr: tests that
#   compare husk's stderr are unaffected, and every report is seen even when the test expected husk to fail.
#   After each test the new files are named in a `# ` line under it, so a report points at its test.
# - The container init is husk code until its execve(); a report it writes before pivot_root lands here, one
#   after pivot_root cannot reach the log dir (ASan then prints "ERROR: Can't open file" on the init's stderr
#   and exits 1, so the test fails instead).
# - Leaks: detect_leaks=1 checks every husk process that returns from main or calls exit(). LSan runs at
#   exit, so cloned children that end in execve() or _exit() are not checked; what they hold is a copy of
#   the parent's heap, which the parent's own check covers.
# - HUSK_SANITIZED=1 is exported so that a test that cannot work under ASan (a memory limit smaller than
#   ASan's own footprint) can skip with that reason. None needs it today: the memory-limit and OOM tests pass.
# - tests/reliability runs with fewer repetitions (RELIABILITY_TRIALS=10 SIGKILL trials per operation instead
#   of 30, RELIABILITY_CYCLES=50 create/start/delete cycles instead of 200): each repetition walks the same
#   code, and the plain run keeps the full counts. Set them to run more.
# - tests/clients (podman, containerd) and the cgroup v2 VM run are left out: they exercise the same code
#   paths through other front ends and would double CI time.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD_ASAN_DIR [BATS ARGS...]" >&2
	exit 2
fi
build=$(cd "$1" && pwd) || exit 2
shift
has_target=false
for arg in "$@"; do
	[[ "$arg" == *.bats || -d "$arg" ]] && has_target=true
done
$has_target || set -- "$@" tests/integration tests/reliability

husk=$build/husk checker=$build/tests/checker/checker
for f in "$husk" "$checker" "$build/tests/checker/recvtty"; do
	if [ ! -x "$f" ]; then
		echo "$0: no $f (ninja -C $build husk tests/checker/checker tests/checker/recvtty)" >&2
		exit 2
	fi
done
if ! grep -q __asan_init "$husk"; then
	echo "$0: $husk is not built with -Db_sanitize=address,undefined" >&2
	exit 2
fi
if grep -q 'NEEDED.*libubsan' <<<"$(readelf -d "$husk")"; then
	echo "$0: $husk is built with gcc, whose UBSan reports would be missed; use CC=clang meson setup" >&2
	exit 2
fi

logs=$(mktemp -d /tmp/husk-sanitizer.XXXXXX)
trap 'rm -rf "$logs"' EXIT
# Rootless tests run husk as another user, and user-namespaced processes may map to any uid.
chmod 1777 "$logs"
mkdir "$logs/seen"

# One prefix for both: in clang's combined runtime the options parsed last set the log path of both.
# fast_unwind_on_malloc=0: an allocation made inside glibc (vasprintf), which has no frame pointers, would
# otherwise get a stack that runs on through stale stack words. The suppressions would not see its
# init_in_shared_memory frame, and llvm-symbolizer, asked about a "[stack]" module, complains on the
# container's stderr. The unwinder that reads the unwind tables costs nothing measurable here.
export ASAN_OPTIONS="log_path=$logs/report:detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:fast_unwind_on_malloc=0"
export UBSAN_OPTIONS="log_path=$logs/report:halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="report_objects=1:print_suppressions=0:suppressions=$PWD/tests/lsan.supp"
export HUSK="$husk" CHECKER="$checker" RECVTTY="$build/tests/checker/recvtty" HUSK_SANITIZED=1
export BATS_TEST_TIMEOUT="${BATS_TEST_TIMEOUT:-180}"
export RELIABILITY_TRIALS="${RELIABILITY_TRIALS:-10}" RELIABILITY_CYCLES="${RELIABILITY_CYCLES:-50}"

# Move report files not yet attributed into seen/, print their names under the test that just finished.
# A husk process SIGKILLed by a test while LSan stops it for the exit-time leak check leaves only
# "Unable to get registers from thread N": no finding, so it is named but not counted.
attribute_reports() {
	local report
	for report in "$logs"/report.*; do
		[ -f "$report" ] || continue
		if ! grep -qv -e '^$' -e '^==[0-9]*==Unable to get registers from thread [0-9]*\.$' "$report"; then
			echo "# killed during LSan's exit check, not counted: $(basename "$report") during: $1"
			rm -f "$report"
			continue
		fi
		echo "# sanitizer report $(basename "$report") during: $1"
		mv "$report" "$logs/seen/"
	done
}

# bats prints its plan first: announce one more test, the report check below. lastpipe: the loop's
# variables outlive the pipeline, and PIPESTATUS keeps bats' status.
shopt -s lastpipe
plan=0 last="setup"
bats --tap "$@" 2>&1 | while IFS= read -r line; do
	case "$line" in
	1..*)
		plan=${line#1..}
		echo "1..$((plan + 1))"
		;;
	"ok "* | "not ok "*)
		echo "$line"
		last=$line
		attribute_reports "$line"
		;;
	*) echo "$line" ;;
	esac
done
bats_status=${PIPESTATUS[0]}
attribute_reports "after the last test"

reports=("$logs"/seen/*)
if [ -e "${reports[0]}" ]; then
	echo "not ok $((plan + 1)) no sanitizer reports (${#reports[@]} found)"
	for report in "${reports[@]}"; do
		echo "# ---- $(basename "$report")"
		sed 's/^/# /' "$report"
	done
	exit 1
fi
echo "ok $((plan + 1)) no sanitizer reports"
[ "$plan" -gt 0 ] || { echo "# bats printed no plan (last line: $last)"; exit 1; }
exit "$bats_status"
