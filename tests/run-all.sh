#!/bin/bash
# Run every test layer (unit, unit under ASan+UBSan, security, fuzz smoke, integration) and
# print one closing line: `N passed, N failed, N skipped`.
# Usage: tests/run-all.sh BUILD_DIR ASAN_BUILD_DIR FUZZ_BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build} asan=${2:-build-asan} fuzz=${3:-build-fuzz}
passed=0 failed=0 skipped=0
failures=()

# Each section's wall time is printed as the next one starts (and at the end), to see where CI's time goes.
section_start=
section() {
	check_host "$1"
	[ -z "$section_start" ] || printf '(section took %ds)\n' $(($(date +%s) - section_start))
	section_start=$(date +%s)
	printf '\n==== %s ====\n' "$1"
}

# Tests must never touch host files: watch the nodes a broken rootfs set-up would hit first.
host_nodes="/dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/ptmx"
host_snapshot() { stat -c '%n %F %t:%T %a' $host_nodes 2>&1; }
host_before=$(host_snapshot)
last_section="start"
check_host() {
	local now
	now=$(host_snapshot)
	if [ "$now" != "$host_before" ]; then
		echo "HOST CHANGED during '$last_section'${lane_pid:+ (or by the tests of the second lane, beside it)}:"
		diff <(echo "$host_before") <(echo "$now")
		failed=$((failed + 1))
		failures+=("host /dev changed during $last_section")
		host_before=$now
	fi
	last_section=${1:-end}
}

# Count a meson test run from its summary lines ("Ok:", "Fail:", "Skipped:", ...).
meson_suite() {
	local dir=$1 suite=$2 label=$3 out
	out=$(meson test -C "$dir" --suite "$suite" --print-errorlogs 2>&1)
	echo "$out"
	local ok fail skip timeout expfail
	ok=$(echo "$out" | awk '/^Ok:/ {print $2}' | tail -n1)
	fail=$(echo "$out" | awk '/^Fail:/ {print $2}' | tail -n1)
	skip=$(echo "$out" | awk '/^Skipped:/ {print $2}' | tail -n1)
	timeout=$(echo "$out" | awk '/^Timeout:/ {print $2}' | tail -n1)
	expfail=$(echo "$out" | awk '/^Unexpected Pass:/ {print $3}' | tail -n1)
	if grep -q "No suitable tests defined" <<<"$out"; then
		echo "(no $label tests defined)"
		return
	fi
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fail:-0} + ${timeout:-0} + ${expfail:-0}))
	skipped=$((skipped + ${skip:-0}))
	if [ "${fail:-0}" != 0 ] || [ "${timeout:-0}" != 0 ]; then failures+=("$label"); fi
	if [ -z "$ok$fail" ]; then
		echo "$label: meson test did not run"
		failed=$((failed + 1))
		failures+=("$label (did not run)")
	fi
}

section "unit tests"
meson_suite "$build" unit unit

section "unit tests under ASan+UBSan"
# clang: gcc's libubsan ignores log_path, and tests/asan-integration.sh finds reports by their log files.
if [ -f "$asan/build.ninja" ] || CC=clang meson setup "$asan" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null; then
	if ninja -C "$asan" >/dev/null; then
		asan_built=yes
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 meson_suite "$asan" unit unit-asan
	else
		ninja -C "$asan" | tail -n 30
		failed=$((failed + 1))
		failures+=("asan build")
	fi
fi

# A second lane runs in the background from here on, beside the sections below: the integration suite again under
# ASan+UBSan, then the cgroup v2 VM. One after the other, every section took 29 minutes with one of this machine's
# two cores idle most of the time (bats runs one test at a time, and a test mostly waits on one process). What may
# run beside what:
# - integration tests name everything they make after their own temp dir and container id, and check for
#   leftovers by those names, so two suites can run side by side. Not rootless.bats: it adds a user and puts
#   /etc/passwd and friends back as it found them, which would undo the other lane's user. That file, and
#   tests/reliability, which counts every mount of the host's namespace, run under ASan once the lane's ASan
#   part is done;
# - the guest has its own kernel, mounts and cgroups: nothing it does shows on the host.
# Under TCG the guest is ~20x slower: of events.bats only what differs on v2 (oom through memory.events,
# the unlimited limit), of rootless.bats only cgroup v2 delegation (~40 s with its bundle and user); the rest
# of them runs on the host. systemd.bats whole (~40 s), and rootless with the user's own systemd: systemd drives
# cgroup2 itself there (with a checkpoint and a restore into a scope). Of checkpoint.bats, one restore into
# cgroupfs cgroup2 cgroups (the whole file, its pre-dump included, passes there: ~60 s more). Of
# namespaces.bats, the time namespace: the guest's Debian 6.1 kernel refuses what this host's kernel allows.
asan_side=()
for f in tests/integration/*.bats; do
	[ "$f" = tests/integration/rootless.bats ] || asan_side+=("$f")
done
lane_dir=$(mktemp -d) lane_start=$(date +%s)
# Its own session, so that an interrupted run takes the whole lane (bats, vm-run.sh, qemu) down with it.
BUILD=$build VM_TIMEOUT=1500 \
	VM_FILTER='^(cgroups|check|systemd):|^kill( --all)?: (a paused|SIGKILL ends a paused)|^checkpoint: the container is saved|^events: N OOM|unlimited memory|^rootless: (cgroup v2|systemd):|^namespaces: (time namespace is new|linux.timeOffsets)' \
	setsid bash -c '
	dir=$1 asan=$2 asan_built=$3
	shift 3
	if [ "$asan_built" = yes ]; then
		bash tests/asan-integration.sh "$asan" "$@" >"$dir/asan.out" 2>&1 </dev/null
		echo $? >"$dir/asan.status"
	fi
	date +%s >"$dir/asan.end"
	bash tests/vm/run-cgroup-v2.sh tests/integration/check.bats tests/integration/events.bats \
		tests/integration/rootless.bats tests/integration/systemd.bats tests/integration/checkpoint.bats \
		tests/integration/namespaces.bats \
		>"$dir/vm.out" 2>&1 </dev/null
	echo $? >"$dir/vm.status"
	date +%s >"$dir/vm.end"' sh "$lane_dir" "$asan" "${asan_built:-no}" "${asan_side[@]}" &
lane_pid=$!
trap 'kill -- -"$lane_pid" 2>/dev/null; rm -rf "$lane_dir"' EXIT

section "security regression tests"
meson_suite "$build" security security

# Count a bats --tap run (or a script printing TAP), given as a command.
bats_suite() {
	local label=$1 out status ok skip notok
	shift
	out=$("$@" 2>&1)
	status=$?
	echo "$out"
	ok=$(echo "$out" | grep -E '^ok ' | grep -vc '# skip')
	skip=$(echo "$out" | grep -E '^ok .*# skip' -c)
	notok=$(echo "$out" | grep -Ec '^not ok ')
	passed=$((passed + ok))
	skipped=$((skipped + skip))
	failed=$((failed + notok))
	if [ "$notok" != 0 ]; then
		failures+=("$label")
	# grep -q reads from a here-string, not from a pipe: it stops at the first match, and under pipefail an
	# `echo` still writing into the pipe would then die of SIGPIPE and fail a suite that passed.
	elif [ "$status" -ne 0 ] || ! grep -qE '^1\.\.[0-9]+' <<<"$out"; then
		failed=$((failed + 1))
		failures+=("$label (exit $status)")
	fi
}

build_abs=$(cd "$build" && pwd)
# A hung test fails alone instead of stalling CI.
run_env=(env HUSK="$build_abs/husk" CHECKER="$build_abs/tests/checker/checker" BATS_TEST_TIMEOUT=180)

section "unit tests under valgrind memcheck"
bats_suite valgrind bash tests/valgrind.sh "$build"

section "CVE regression suite (bats)"
bats_suite cve "${run_env[@]}" CVE_HELPERS="$build_abs/tests/security/cve" bats --tap tests/security/cve.bats

section "fuzzing (short run)"
if command -v clang >/dev/null; then
	if [ -f "$fuzz/build.ninja" ] || CC=clang meson setup "$fuzz" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null; then
		if ! ninja -C "$fuzz" >/dev/null; then
			ninja -C "$fuzz" | tail -n 30
			failed=$((failed + 1))
			failures+=("fuzz build")
		fi
		# Two lanes of targets: each libFuzzer run is one process on one core for a fixed time.
		fuzz_one() {
			local target=$1 name work
			name=$(basename "$target")
			work=$(mktemp -d)
			[ -d "tests/fuzz/corpus/${name#fuzz_}" ] && cp -r "tests/fuzz/corpus/${name#fuzz_}"/. "$work"/
			if "$target" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 "$work" >"$work.log" 2>&1; then
				echo "ok $name ($(grep -c . "$work.log") log lines)"
			else
				tail -n 40 "$work.log"
				echo "not ok $name"
			fi
			rm -rf "$work" "$work.log"
		}
		fuzz_targets=()
		for target in "$fuzz"/tests/fuzz/fuzz_*; do
			[ -f "$target" ] && [ -x "$target" ] && fuzz_targets+=("$target")
		done
		fuzz_out=$(mktemp -d) fuzz_pids=()
		for lane in 0 1; do
			for i in "${!fuzz_targets[@]}"; do
				[ $((i % 2)) -eq "$lane" ] && fuzz_one "${fuzz_targets[$i]}" >"$fuzz_out/$i" 2>&1
			done &
			fuzz_pids+=($!)
		done
		wait "${fuzz_pids[@]}"
		for i in "${!fuzz_targets[@]}"; do
			cat "$fuzz_out/$i"
			name=$(basename "${fuzz_targets[$i]}")
			if grep -qx "not ok $name" "$fuzz_out/$i" || ! grep -q "^ok $name " "$fuzz_out/$i"; then
				failed=$((failed + 1))
				failures+=("$name")
			else
				passed=$((passed + 1))
			fi
		done
		rm -rf "$fuzz_out"
	fi
fi

section "integration tests (bats)"
bats_suite integration "${run_env[@]}" bats --tap tests/integration

section "runtime-spec conformance (bats)"
bats_suite conformance "${run_env[@]}" bats --tap tests/conformance

section "real clients: podman, containerd, go-runc/hcsshim contract (bats)"
bats_suite clients "${run_env[@]}" bash tests/clients/run.sh

# The second lane's results, each with its own wall time.
lane_result() {
	local label=$1 name=$2 status
	status=$(cat "$lane_dir/$name.status" 2>/dev/null || echo 1)
	if [ "$status" -eq 77 ]; then
		cat "$lane_dir/$name.out" 2>/dev/null
		skipped=$((skipped + 1))
	else
		# The file, not its text as an argument: a lane with many failures writes more than an argument holds.
		bats_suite "$label" sh -c 'cat "$1" 2>/dev/null; exit "$2"' sh "$lane_dir/$name.out" "$status"
	fi
}
section "second lane: integration under ASan+UBSan (bats), rootless.bats excepted"
while [ ! -e "$lane_dir/asan.end" ] && kill -0 "$lane_pid" 2>/dev/null; do sleep 1; done
if [ "${asan_built:-no}" = yes ]; then
	echo "(took $(($(cat "$lane_dir/asan.end" 2>/dev/null || date +%s) - lane_start))s)"
	lane_result integration-asan asan
else
	echo "no ASan build: the integration suite did not run under ASan"
	failed=$((failed + 1))
	failures+=("integration-asan (no ASan build)")
fi

# Beside the VM only: these count every mount of the host's mount namespace.
section "reliability: leaks, concurrency, faults (bats)"
bats_suite reliability "${run_env[@]}" bats --tap tests/reliability

section "rootless + reliability under ASan+UBSan (bats)"
bats_suite rootless+reliability-asan bash tests/asan-integration.sh "$asan" tests/integration/rootless.bats tests/reliability

section "second lane: cgroup v2 (pure cgroup2 VM)"
wait "$lane_pid"
trap 'rm -rf "$lane_dir"' EXIT
echo "(took $(($(cat "$lane_dir/vm.end" 2>/dev/null || date +%s) - $(cat "$lane_dir/asan.end" 2>/dev/null || echo "$lane_start")))s, after the ASan part)"
lane_result "cgroup v2 VM" vm

check_host end
printf '(section took %ds)\n' $(($(date +%s) - section_start))
echo
[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
