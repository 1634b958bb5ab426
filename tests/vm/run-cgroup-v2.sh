#!/bin/bash
# Run the cgroup integration tests on a pure cgroup v2 host: boots the cgv2 VM (shared/vm/vm-run.sh) and runs
# bats there, printing its TAP output. Exit status: 0 all passed, 1 a test failed (or the VM died mid-run),
# 77 SKIP (the VM could not boot: no qemu, kernel or vm-run.sh), 2 usage.
#
# usage: tests/vm/run-cgroup-v2.sh [--lifecycle] [BATS FILE...]
#   tests/integration/cgroups.bats always runs first; --lifecycle adds tests/integration/lifecycle.bats
#   (under TCG the VM is ~20x slower than the host: cgroups.bats takes about 3 minutes, lifecycle.bats
#   about 6 more). With VM_FILTER a file none of whose tests match is skipped whole, setup_file included:
#   VM_FILTER='^rootless: cgroup v2:' ... tests/integration/rootless.bats runs only rootless delegation
#   (~40 s; the VM's /etc is a throw-away overlay, so the user that file creates never reaches the host).
# Environment:
#   BUILD       build directory holding husk and tests/checker/checker (default: build/ of this repo)
#   HUSK, CHECKER  override the binaries (must be under a shared directory)
#   VM_RUN      vm-run.sh (default: ../shared/vm/vm-run.sh next to the repo, or /work/shared/vm/vm-run.sh)
#   VM_TIMEOUT  seconds before the VM is killed (default 900)
#   VM_FILTER   only tests whose name matches this regex (bats -f)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${BUILD:-$REPO/build}" 2>/dev/null && pwd) || BUILD=${BUILD:-$REPO/build}
HUSK=${HUSK:-$BUILD/husk}
CHECKER=${CHECKER:-$BUILD/tests/checker/checker}
VM_TIMEOUT=${VM_TIMEOUT:-900}

files=()
for arg in "$@"; do
	case "$arg" in
	--lifecycle) files+=(tests/integration/lifecycle.bats) ;;
	-h | --help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run-cgroup-v2: unknown option $arg" >&2; exit 2 ;;
	*) files+=("$arg") ;;
	esac
done
files=(tests/integration/cgroups.bats "${files[@]}")

skip() {
	echo "SKIP: cgroup v2 VM tests: $*"
	exit 77
}

if [ -z "${VM_RUN:-}" ]; then
	for candidate in "$REPO/../shared/vm/vm-run.sh" /work/shared/vm/vm-run.sh; do
		[ -f "$candidate" ] && VM_RUN=$candidate && break
	done
fi
[ -n "${VM_RUN:-}" ] && [ -f "$VM_RUN" ] || skip "no vm-run.sh (set VM_RUN)"
[ -x "$HUSK" ] || { echo "run-cgroup-v2: no husk at $HUSK (ninja -C $BUILD husk)" >&2; exit 2; }
[ -x "$CHECKER" ] || { echo "run-cgroup-v2: no checker at $CHECKER (ninja -C $BUILD tests/checker/checker)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || skip "needs root (the VM shares directories and the tests run containers)"

# The repo and the build dir at the same paths inside; nothing else of the host is writable there.
shares=(--share "$REPO")
for dir in "$(dirname "$HUSK")" "$(dirname "$CHECKER")"; do
	case "$dir/" in "$REPO"/*) ;; *) shares+=(--share "$dir") ;; esac
done
# criu for checkpoint.bats (scripts/install-criu.sh), read-only at the same path.
[ -d /opt/husk-criu ] && shares+=(--ro-share /opt/husk-criu)

tap=$(mktemp "${TMPDIR:-/tmp}/cgv2-tap.XXXXXX")
trap 'rm -f "$tap"' EXIT
start=$(date +%s)
# In the guest: fail loudly if it is not pure v2 (the tests would quietly test v1 paths otherwise).
# HUSK_TEST_DISPOSABLE_HOST: the guest is thrown away, so tests may change kernel-wide settings there.
bash "$VM_RUN" "${shares[@]}" --timeout "$VM_TIMEOUT" -- env HUSK="$HUSK" CHECKER="$CHECKER" HUSK_TEST_DISPOSABLE_HOST=1 bash -c '
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || { echo "not a pure cgroup v2 guest" >&2; exit 3; }
	cd "$0" && exec bats "$@"' "$REPO" ${VM_FILTER:+-f "$VM_FILTER"} "${files[@]}" | tee "$tap"
rc=${PIPESTATUS[0]}
elapsed=$(($(date +%s) - start))

if ! grep -q '^1\.\.' "$tap"; then
	# bats never started: the VM did not come up (125: VM failure; the build step installs qemu and a kernel).
	[ "$rc" -eq 125 ] && skip "the VM could not boot (vm-run.sh exit 125: no qemu or kernel?)"
	[ "$rc" -eq 124 ] && { echo "run-cgroup-v2: timed out after ${VM_TIMEOUT}s before bats started" >&2; exit 1; }
	echo "run-cgroup-v2: bats did not run (exit $rc)" >&2
	exit 1
fi
passed=$(grep -c '^ok ' "$tap")
skipped=$(grep -c '^ok .* # skip' "$tap")
failed=$(grep -c '^not ok ' "$tap")
echo "# cgroup v2 VM: $((passed - skipped)) passed, $failed failed, $skipped skipped in ${elapsed}s (exit $rc)"
case "$rc" in
0) exit 0 ;;
124) echo "run-cgroup-v2: the VM timed out after ${VM_TIMEOUT}s" >&2; exit 1 ;;
*) exit 1 ;;
esac
