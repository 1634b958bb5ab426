#!/bin/bash
# Times `run` of /bin/true (create + start + wait + delete) for husk, runc, crun, a bare-syscall floor and the
# wrapper alone, interleaved in one loop, and prints medians and ratios; then create/start/delete step timings.
#
# usage: bench/run.sh [-n RUNS] [-w WARMUP] [-s STEP_RUNS] [-o RESULTS_DIR]
# Environment: HUSK (default build/husk), RUNC (default: runc on PATH), CRUN (default: crun on PATH),
#              FLOOR (a prebuilt bench/floor; default: compiled from bench/floor.c with cc).
# Absent runtimes are skipped with a note. Must run as root. See bench/README.md for the method.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=100
warmup=5
step_runs=30
results=""
while getopts "n:w:s:o:h" opt; do
	case "$opt" in
	n) runs=$OPTARG ;;
	w) warmup=$OPTARG ;;
	s) step_runs=$OPTARG ;;
	o) results=$OPTARG ;;
	*)
		sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
		exit 2
		;;
	esac
done
[ "$(id -u)" -eq 0 ] || {
	echo "bench: must run as root" >&2
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/husk-bench.XXXXXX")
cleanup() {
	local name
	for name in "${names[@]:-}"; do
		[ -n "$name" ] || continue
		"${cmd[$name]}" --root "$tmp/root-$name" delete --force "bench-$name" >/dev/null 2>&1 || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# Every runtime (and the floor) runs through the same wrapper, so the comparison is fair: a private mount
# namespace without /sys/fs/cgroup/unified. crun 1.8 refuses hybrid cgroup hosts otherwise ("cgroups in
# hybrid mode not supported"); on a pure v1 or v2 host the umount is a no-op.
wrap=(unshare --mount --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' wrap)

# The bundle: busybox rootfs, the runc spec config, /bin/true.
CHECKER=/nonexistent "$repo/tests/lib/make-bundle.sh" "$tmp/bundle" >/dev/null
jq '.process.args = ["/bin/true"]' "$tmp/bundle/config.json" >"$tmp/config.json"
mv "$tmp/config.json" "$tmp/bundle/config.json"

declare -A cmd
names=()
add_runtime() {
	local name=$1 path=$2
	if [ -z "$path" ] || [ ! -x "$path" ]; then
		echo "note: $name not found${path:+ at $path}, skipped"
		return
	fi
	# One checked run first: a runtime that cannot run the bundle here is reported and left out.
	if ! "${wrap[@]}" "$path" --root "$tmp/root-$name" run --bundle "$tmp/bundle" "bench-$name" \
		</dev/null >"$tmp/check-$name.log" 2>&1; then
		echo "note: $name ($path) failed to run the bundle, skipped:"
		sed 's/^/    /' "$tmp/check-$name.log"
		return
	fi
	cmd[$name]=$path
	names+=("$name")
	echo "$name: $path ($("$path" --version 2>/dev/null | head -n1))"
}
add_runtime husk "${HUSK:-$repo/build/husk}"
add_runtime runc "${RUNC:-$(command -v runc || true)}"
add_runtime crun "${CRUN:-$(command -v crun || true)}"

floor=${FLOOR:-}
if [ -z "$floor" ]; then
	floor=$tmp/floor
	cc -O2 -Wall -Wextra -Werror -o "$floor" "$repo/bench/floor.c"
fi
"${wrap[@]}" "$floor" "$tmp/bundle/rootfs" || {
	echo "bench: floor failed" >&2
	exit 1
}
[ ${#names[@]} -gt 0 ] || echo "note: no runtime to measure, only the floor"

# One timed run of a runtime (or the floor) appended to $tmp/run.<name>, in milliseconds.
time_run() {
	local name=$1 t0 t1 rc=0
	t0=$EPOCHREALTIME
	if [ "$name" = floor ]; then
		"${wrap[@]}" "$floor" "$tmp/bundle/rootfs" || rc=$?
	elif [ "$name" = wrapper ]; then
		"${wrap[@]}" /bin/true || rc=$?
	else
		"${wrap[@]}" "${cmd[$name]}" --root "$tmp/root-$name" run --bundle "$tmp/bundle" "bench-$name" \
			</dev/null >/dev/null 2>>"$tmp/errors-$name.log" || rc=$?
	fi
	t1=$EPOCHREALTIME
	[ $rc -eq 0 ] || {
		echo "bench: $name exited $rc" >&2
		return 1
	}
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >>"$tmp/run.$name"
}

# wrapper: the cost of the wrapper alone (unshare + sh + umount + exec /bin/true), included in every other row
all=("${names[@]}" floor wrapper)
echo "warmup: $warmup runs each; measuring: $runs runs each, interleaved"
for ((i = 0; i < warmup; i++)); do
	for name in "${all[@]}"; do
		time_run "$name"
	done
done
rm -f "$tmp"/run.*
for ((i = 0; i < runs; i++)); do
	# rotate the order every round so that no runtime always follows the same one
	n=${#all[@]}
	for ((j = 0; j < n; j++)); do
		time_run "${all[$(((i + j) % n))]}"
	done
done

# stats FILE: median p10 p90 mean min (ms)
stats() {
	sort -n "$1" | awk '{ v[NR] = $1; s += $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p10 = v[int(NR * 0.1) + 1]; p90 = v[int(NR * 0.9)]
		printf "%.2f %.2f %.2f %.2f %.2f\n", m, p10, p90, s / NR, v[1] }'
}
median() { stats "$1" | cut -d' ' -f1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "run /bin/true (create+start+wait+delete), $runs runs, ms:"
printf '%-8s %9s %9s %9s %9s %9s\n' runtime median p10 p90 mean min
for name in "${all[@]}"; do
	read -r m p10 p90 mean min < <(stats "$tmp/run.$name")
	printf '%-8s %9s %9s %9s %9s %9s\n' "$name" "$m" "$p10" "$p90" "$mean" "$min"
done
echo
# ratios of medians as measured, and net of the wrapper's own median (what the runtimes themselves cost)
w=$(median "$tmp/run.wrapper")
printf '%-12s %8s %8s\n' ratio measured net
for pair in husk:crun husk:runc runc:crun husk:floor crun:floor runc:floor; do
	a=${pair%%:*} b=${pair##*:}
	[ -f "$tmp/run.$a" ] && [ -f "$tmp/run.$b" ] || continue
	ma=$(median "$tmp/run.$a")
	mb=$(median "$tmp/run.$b")
	printf '%-12s %8s %8s\n' "$a/$b" "$(ratio "$ma" "$mb")" \
		"$(awk -v a="$ma" -v b="$mb" -v w="$w" 'BEGIN { if (b - w > 0) printf "%.2f", (a - w) / (b - w); else print "-" }')"
done

# Steps: create, start, delete timed one by one (waiting for the exit in between is not timed).
if [ "$step_runs" -gt 0 ] && [ ${#names[@]} -gt 0 ]; then
	time_step() {
		local name=$1 step=$2 t0 t1
		shift 2
		t0=$EPOCHREALTIME
		"${wrap[@]}" "${cmd[$name]}" --root "$tmp/root-$name" "$@" </dev/null >/dev/null 2>>"$tmp/errors-$name.log"
		t1=$EPOCHREALTIME
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >>"$tmp/step.$name.$step"
	}
	wait_stopped() {
		local name=$1 i
		for ((i = 0; i < 2000; i++)); do
			"${cmd[$name]}" --root "$tmp/root-$name" state "bench-$name" 2>/dev/null | grep -q '"stopped"' && return 0
			sleep 0.001
		done
		echo "bench: $name container did not stop" >&2
		return 1
	}
	for ((i = 0; i < step_runs; i++)); do
		for name in "${names[@]}"; do
			time_step "$name" create create --bundle "$tmp/bundle" "bench-$name"
			time_step "$name" start start "bench-$name"
			wait_stopped "$name"
			time_step "$name" delete delete "bench-$name"
		done
	done
	echo
	echo "steps, $step_runs runs, median ms:"
	printf '%-8s %9s %9s %9s %9s\n' runtime create start delete sum
	for name in "${names[@]}"; do
		c=$(median "$tmp/step.$name.create")
		s=$(median "$tmp/step.$name.start")
		d=$(median "$tmp/step.$name.delete")
		printf '%-8s %9s %9s %9s %9s\n' "$name" "$c" "$s" "$d" "$(awk -v a="$c" -v b="$s" -v c="$d" 'BEGIN { printf "%.2f", a + b + c }')"
	done
fi

if [ -n "$results" ]; then
	mkdir -p "$results"
	cp "$tmp"/run.* "$results"/
	cp "$tmp"/step.* "$results"/ 2>/dev/null || true
	echo
	echo "raw timings in $results"
fi
