#!/bin/bash
# Measures husk against crun, runc and a bare-syscall floor on every metric of issue #8 and prints one table
# with the ratios and targets. See bench/README.md for the method.
#
# usage: bench/run.sh [-n RUNS] [-w WARMUP] [-s STEP_RUNS] [-o RESULTS_DIR]
# Environment (iteration counts; the defaults take about 5 minutes on an idle 2-core VM):
#   BENCH_N=100        rounds of `run` (husk, crun, runc, with and without seccomp, floor, /bin/true)
#   BENCH_WARMUP=5     uncounted rounds first
#   BENCH_STEPS=30     rounds of create, start, delete timed one by one
#   BENCH_EXEC=50      rounds of `exec /bin/true` into a running container
#   BENCH_PAR=15       rounds of BENCH_PAR_COUNT=100 containers run BENCH_PAR_JOBS=8 at a time
#   BENCH_RSS=10       rounds of `run` under GNU time for the peak RSS
#   BENCH_MEM_TRIES=2  runs per memory limit probed (all must succeed)
#   BENCH_INSN=1       single-stepped runs counting instructions (husk, crun), 0 to skip
#   BENCH_INSN_RUNC=0  1 to count runc's too (its Go runtime takes many minutes single-stepped)
#   BENCH_RESULTS      where raw data, the table and husk's profile go (default bench/results/DATE)
#   HUSK (default build/husk), CRUN, RUNC (default: on PATH); a missing runtime is skipped with a note
# Must run as root.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${BENCH_N:-100}
warmup=${BENCH_WARMUP:-5}
step_runs=${BENCH_STEPS:-30}
exec_runs=${BENCH_EXEC:-50}
par_rounds=${BENCH_PAR:-15}
par_count=${BENCH_PAR_COUNT:-100}
par_jobs=${BENCH_PAR_JOBS:-8}
rss_runs=${BENCH_RSS:-10}
mem_tries=${BENCH_MEM_TRIES:-2}
insn_runs=${BENCH_INSN:-1}
insn_runc=${BENCH_INSN_RUNC:-0}
results=${BENCH_RESULTS:-$repo/bench/results/$(date +%Y%m%d-%H%M%S)}
while getopts "n:w:s:o:h" opt; do
	case "$opt" in
	n) runs=$OPTARG ;;
	w) warmup=$OPTARG ;;
	s) step_runs=$OPTARG ;;
	o) results=$OPTARG ;;
	*)
		sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
		exit 2
		;;
	esac
done
[ "$(id -u)" -eq 0 ] || {
	echo "bench: must run as root" >&2
	exit 1
}

# Everything runs in one private mount namespace without /sys/fs/cgroup/unified: crun 1.8 refuses this
# host's hybrid cgroup layout ("cgroups in hybrid mode not supported") otherwise, and all runtimes must see
# the same layout (v1 controllers only). Doing it once for the whole script keeps the unshare + umount
# cost out of every measurement. On a pure v1 or v2 host the umount is a no-op.
if [ -z "${HUSK_BENCH_INNER:-}" ]; then
	export HUSK_BENCH_INNER=1 BENCH_RESULTS=$results
	exec unshare --mount --propagation private bash "$0" "$@"
fi
# crun, not seeing a cgroup2 mount there, still makes a directory per container in what is left: the
# host's /sys/fs/cgroup tmpfs under the mount point, hidden from the host but kept. Those are removed
# at the end: what was not there before.
unified_unmounted=0 unified_before=
if umount /sys/fs/cgroup/unified 2>/dev/null; then
	unified_unmounted=1 unified_before=$(ls -A /sys/fs/cgroup/unified)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/husk-bench.XXXXXX")
# The runtimes' state roots on a tmpfs, as their defaults (/run/husk, /run/crun, /run/runc) are on any host
# where /run is one (all with systemd; not this VM, where /run is on the root ext4). The bundle stays on disk.
state=$tmp/state
mkdir "$state"
mount -t tmpfs -o mode=0700 husk-bench-state "$state"
declare -A cmd
names=()
cleanup() {
	local name id
	for name in "${names[@]:-}"; do
		[ -n "$name" ] || continue
		for id in $("${cmd[$name]}" --root "$state/root-$name" list -q 2>/dev/null); do
			"${cmd[$name]}" --root "$state/root-$name" delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	umount "$state" 2>/dev/null || true
	rm -rf "$tmp"
	[ "$unified_unmounted" = 1 ] || return 0
	for id in $(ls -A /sys/fs/cgroup/unified); do
		grep -qxF -- "$id" <<<"$unified_before" || rm -rf "/sys/fs/cgroup/unified/${id:?}"
	done
}
trap cleanup EXIT
mkdir -p "$results"
log() { echo "$*" | tee -a "$results/log.txt"; }

# The bundles (bench/bundles.sh): bundle, bundle-sleep, bundle-seccomp; variants share the rootfs.
# shellcheck source=bench/bundles.sh
. "$repo/bench/bundles.sh"
bench_bundles "$tmp"
[ -d "$tmp/bundle-seccomp" ] ||
	log "note: no ${PODMAN_SECCOMP:-/usr/share/containers/seccomp.json} (package containers-common), seccomp rows skipped"
rootfs=$tmp/bundle/rootfs

# checked RUNTIME BUNDLE ID: one run that must succeed; its output goes to $tmp/check.log
checked() {
	"${cmd[$1]}" --root "$state/root-$1" run --bundle "$2" "$3" </dev/null >"$tmp/check.log" 2>&1
}
add_runtime() {
	local name=$1 path=$2
	if [ -z "$path" ] || [ ! -x "$path" ]; then
		log "note: $name not found${path:+ at $path}, skipped"
		return
	fi
	cmd[$name]=$path
	# A runtime that cannot run the bundle here is reported and left out.
	if ! checked "$name" "$tmp/bundle" "check-$name"; then
		log "note: $name ($path) failed to run the bundle, skipped:"
		sed 's/^/    /' "$tmp/check.log" | tee -a "$results/log.txt"
		unset "cmd[$name]"
		return
	fi
	names+=("$name")
	# With its state root here: crun --version makes its default one, /run/crun, otherwise.
	log "$name: $path ($("$path" --root "$state/root-$name" --version 2>/dev/null | sed -n 1p))"
	if [ -d "$tmp/bundle-seccomp" ]; then
		if checked "$name" "$tmp/bundle-seccomp" "check-seccomp-$name"; then
			cmd[$name-seccomp]=$path
		else
			log "note: $name failed to run with the seccomp profile, its seccomp row skipped:"
			sed 's/^/    /' "$tmp/check.log" | tee -a "$results/log.txt"
		fi
	fi
}
add_runtime husk "${HUSK:-$repo/build/husk}"
# How much of husk's text the layout of src/cli/hot-text.ld put first (none: not a static GNU ld build,
# or a layout so stale that nothing in it matches any more).
if [ -n "${cmd[husk]:-}" ]; then
	section_size() { readelf -SW "${cmd[husk]}" | awk -v s="$1" '{ for (i = 1; i < NF; i++) if ($i == s) print $(i + 4) }'; }
	hot=$(section_size .text.husk_hot)
	text=$(section_size .text)
	log "husk: hot text $((0x${hot:-0} / 1024)) KiB of $(((0x${hot:-0} + 0x${text:-0}) / 1024)) KiB (src/cli/hot-text.ld)"
fi
add_runtime crun "${CRUN:-$(command -v crun || true)}"
add_runtime runc "${RUNC:-$(command -v runc || true)}"
[ ${#names[@]} -gt 0 ] || log "note: no runtime to measure, only the floor"

cc -O2 -Wall -Wextra -Werror -o "$tmp/floor" "$repo/bench/floor.c"
cc -O2 -Wall -Wextra -Werror -o "$tmp/insncount" "$repo/bench/insncount.c"
"$tmp/floor" "$rootfs" || {
	echo "bench: floor failed" >&2
	exit 1
}

# --- helpers -------------------------------------------------------------------------------------------

# stats FILE (one value a line): median p10 p90 mean min
stats() {
	# percentiles by nearest rank: the smallest value with at least that share of the values at or below it
	sort -n "$1" | awk 'function rank(p, r) { r = int(NR * p); if (r < NR * p) r++; return r < 1 ? 1 : r }
		{ v[NR] = $1; s += $1 } END {
		if (NR == 0) { print "- - - - -"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f %.2f %.2f %.2f %.2f\n", m, v[rank(0.1)], v[rank(0.9)], s / NR, v[1] }'
}
median() {
	if [ -s "$1" ]; then stats "$1" | cut -d' ' -f1; else echo -; fi
}
# ratio A B [DIGITS]: A/B, or - when either is missing
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" \
		'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.*f", d, a / b }'
}
# shuffled LIST...: the list in an order of its own for each $round (the same for a round number in every
# run). A rotation would keep every entry behind the same neighbour, and what a runtime leaves the kernel to
# tear down (network namespaces, cgroups, RCU callbacks) still runs during the next one: each entry would
# always pay for the same predecessor's leftovers.
shuffled() {
	local -a list=("$@")
	local i j tmp_entry
	RANDOM=$((round + 1))
	for ((i = ${#list[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		tmp_entry=${list[i]} list[i]=${list[j]} list[j]=$tmp_entry
	done
	printf '%s\n' "${list[@]}"
}
# timed FILE COMMAND...: run COMMAND, append its wall time in ms to FILE; fails with COMMAND
timed() {
	local file=$1 t0 t1 rc=0
	shift
	t0=${EPOCHREALTIME/./}
	"$@" </dev/null >/dev/null 2>>"$tmp/errors.log" || rc=$?
	t1=${EPOCHREALTIME/./}
	if [ $rc -ne 0 ]; then
		echo "bench: \`$*\` exited $rc:" >&2
		tail -n 5 "$tmp/errors.log" >&2
		return 1
	fi
	echo "$(((t1 - t0) / 1000)).$(printf '%03d' $(((t1 - t0) % 1000)))" >>"$file"
}
# runtime NAME ARGS...: the runtime of NAME (husk-seccomp is husk) with its own state root
runtime() {
	local name=$1
	shift
	"${cmd[$name]}" --root "$state/root-${name%-seccomp}" "$@"
}
seq_id=0
next_id() { seq_id=$((seq_id + 1)) && id="b$seq_id"; }
run_entry() {
	local name=$1 file=$tmp/run.$1
	case "$name" in
	floor) timed "$file" "$tmp/floor" "$rootfs" ;;
	true) timed "$file" /bin/true ;;
	*-seccomp) next_id && timed "$file" runtime "$name" run --bundle "$tmp/bundle-seccomp" "$id" ;;
	*) next_id && timed "$file" runtime "$name" run --bundle "$tmp/bundle" "$id" ;;
	esac
}

# --- run ------------------------------------------------------------------------------------------------
entries=("${names[@]}" floor true)
for name in "${names[@]}"; do
	[ -z "${cmd[$name-seccomp]:-}" ] || entries+=("$name-seccomp")
done
log "run: $warmup warmup + $runs rounds of ${entries[*]}"
for ((round = 0; round < warmup + runs; round++)); do
	[ $round -ne "$warmup" ] || rm -f "$tmp"/run.*
	for name in $(shuffled "${entries[@]}"); do run_entry "$name"; done
done

# --- steps ---------------------------------------------------------------------------------------------
wait_stopped() {
	local name=$1 id=$2 i
	for ((i = 0; i < 5000; i++)); do
		[[ $(runtime "$name" state "$id" 2>/dev/null) == *'"stopped"'* ]] && return 0
		sleep 0.001
	done
	echo "bench: $name container $id did not stop" >&2
	return 1
}
if [ "$step_runs" -gt 0 ] && [ ${#names[@]} -gt 0 ]; then
	log "steps: $step_runs rounds of create, start, delete"
	for ((round = 0; round < step_runs; round++)); do
		for name in $(shuffled "${names[@]}"); do
			next_id
			timed "$tmp/step.$name.create" runtime "$name" create --bundle "$tmp/bundle" "$id"
			timed "$tmp/step.$name.start" runtime "$name" start "$id"
			wait_stopped "$name" "$id"
			timed "$tmp/step.$name.delete" runtime "$name" delete "$id"
		done
	done
fi

# --- exec ----------------------------------------------------------------------------------------------
if [ "$exec_runs" -gt 0 ] && [ ${#names[@]} -gt 0 ]; then
	log "exec: $exec_runs rounds of exec /bin/true into a running container"
	for name in "${names[@]}"; do
		runtime "$name" create --bundle "$tmp/bundle-sleep" "exec-$name" </dev/null >/dev/null 2>>"$tmp/errors.log"
		runtime "$name" start "exec-$name" </dev/null >/dev/null 2>>"$tmp/errors.log"
	done
	for ((round = 0; round < exec_runs + 2; round++)); do
		for name in $(shuffled "${names[@]}"); do
			timed "$tmp/exec.$name" runtime "$name" exec "exec-$name" /bin/true
		done
		[ $round -ne 1 ] || rm -f "$tmp"/exec.* # two warmup rounds
	done
	for name in "${names[@]}"; do
		runtime "$name" delete --force "exec-$name" >/dev/null 2>&1 || true
	done
fi

# --- parallel ------------------------------------------------------------------------------------------
# Besides the wall time, the CPU time the whole machine spent (user, nice, system, irq, softirq from
# /proc/stat: kworkers and softirqs included, idle and steal not) from the batch's start until 0.3 s after
# its end (the kernel still tears down namespaces and cgroups then), per container. The batch is CPU-bound on
# this 2-core VM, so this is where the wall time goes, with less of the VM's noise.
# Also the steal time over the batch alone (/proc/stat: time the hypervisor ran something else while this VM's
# vCPUs had work): it is part of the batch's wall time but not of any runtime's doing, and it is what makes the
# wall time of one round differ from the next by up to half.
clk_tck=$(getconf CLK_TCK)
cpu_ms() { # the machine's busy and steal ms so far, on one line
	awk -v hz="$clk_tck" '$1 == "cpu" { printf "%d %d\n", ($2 + $3 + $4 + $7 + $8) * 1000 / hz, $9 * 1000 / hz; exit }' /proc/stat
}
if [ "$par_rounds" -gt 0 ] && [ ${#names[@]} -gt 0 ]; then
	log "parallel: $par_rounds rounds of $par_count containers, $par_jobs at a time"
	seq "$par_count" >"$tmp/par.ids"
	for ((round = 0; round < par_rounds; round++)); do
		for name in $(shuffled "${names[@]}"); do
			read -r c0 s0 < <(cpu_ms)
			timed "$tmp/par.$name" xargs -a "$tmp/par.ids" -P "$par_jobs" -I{} "${cmd[$name]}" \
				--root "$state/root-$name" run --bundle "$tmp/bundle" "par$round-{}" ||
				echo "bench: parallel round $round of $name failed" >&2
			read -r _ s1 < <(cpu_ms)
			echo $((s1 - s0)) >>"$tmp/parsteal.$name"
			sleep 0.3
			read -r c1 _ < <(cpu_ms)
			awk -v a="$c0" -v b="$c1" -v n="$par_count" 'BEGIN { printf "%.2f\n", (b - a) / n }' >>"$tmp/parcpu.$name"
		done
	done
fi

# --- peak RSS ------------------------------------------------------------------------------------------
# GNU time's %M is ru_maxrss from wait4() on the runtime process: the largest resident set that process had
# over its life (across its execs) or any descendant it reaped had (the kernel keeps the max, not a sum).
gnu_time=$(command -v /usr/bin/time || true)
if [ "$rss_runs" -gt 0 ] && [ -n "$gnu_time" ] && [ ${#names[@]} -gt 0 ]; then
	log "peak RSS: $rss_runs rounds of run under GNU time"
	for ((round = 0; round < rss_runs; round++)); do
		for name in $(shuffled "${names[@]}"); do
			next_id
			"$gnu_time" -f %M -o "$tmp/rss.last" "${cmd[$name]}" --root "$state/root-$name" run \
				--bundle "$tmp/bundle" "$id" </dev/null >/dev/null 2>>"$tmp/errors.log"
			cat "$tmp/rss.last" >>"$tmp/rss.$name"
		done
	done
elif [ -z "$gnu_time" ]; then
	log "note: no /usr/bin/time (package time), peak RSS skipped"
fi

# --- smallest memory limit -----------------------------------------------------------------------------
# mem_ok NAME PAGES: `run /bin/true` with memory (and memory+swap) limited to PAGES pages succeeds every try
mem_ok() {
	local name=$1 bytes=$(($2 * 4096)) t rc
	bench_variant "$tmp" mem ".linux.resources.memory = {limit: $bytes, swap: $bytes}"
	for ((t = 0; t < mem_tries; t++)); do
		next_id
		rc=0
		runtime "$name" run --bundle "$tmp/bundle-mem" "$id" </dev/null >/dev/null 2>&1 || rc=$?
		runtime "$name" delete --force "$id" >/dev/null 2>&1 || true
		[ $rc -eq 0 ] || return 1
	done
}
if [ "$mem_tries" -gt 0 ] && [ ${#names[@]} -gt 0 ]; then
	log "smallest memory limit: bisecting in pages, $mem_tries runs per probe"
	for name in "${names[@]}"; do
		lo=0 hi=16384 # 64 MiB must succeed, 0 fails
		if ! mem_ok "$name" $hi; then
			echo ">65536" >"$tmp/mem.$name"
			continue
		fi
		while [ $((hi - lo)) -gt 1 ]; do
			mid=$(((lo + hi) / 2))
			if mem_ok "$name" $mid; then hi=$mid; else lo=$mid; fi
		done
		echo $((hi * 4)) >"$tmp/mem.$name"
	done
fi

# --- instructions --------------------------------------------------------------------------------------
if [ "$insn_runs" -gt 0 ] && [ ${#names[@]} -gt 0 ]; then
	for name in "${names[@]}"; do
		[ "$name" != runc ] || [ "$insn_runc" = 1 ] || continue
		log "instructions: $insn_runs single-stepped run(s) of $name"
		for ((round = 0; round < insn_runs; round++)); do
			next_id
			profile=()
			[ $round -ne 0 ] || profile=(-p "$tmp/profile.$name")
			"$tmp/insncount" -x "$rootfs/bin/busybox" -o "$tmp/insn.out" "${profile[@]}" -- "${cmd[$name]}" \
				--root "$state/root-$name" run --bundle "$tmp/bundle" "$id" </dev/null >/dev/null 2>>"$tmp/errors.log" || {
				echo "bench: single-stepped run of $name failed" >&2
				continue
			}
			awk '$1 == "total" { print $2 }' "$tmp/insn.out" >>"$tmp/insn.$name"
			awk '$1 == "cpuid" { print $2 }' "$tmp/insn.out" >>"$tmp/cpuid.$name"
			cat "$tmp/insn.out" >>"$results/insn-images.$name.txt"
		done
		if [ -f "$tmp/profile.$name" ]; then
			bash "$repo/bench/profile.sh" "$tmp/profile.$name" "${cmd[$name]}" 60 >"$results/$name-profile.txt"
		fi
	done
fi

# --- report --------------------------------------------------------------------------------------------
for f in "$tmp"/run.* "$tmp"/step.* "$tmp"/exec.* "$tmp"/par.* "$tmp"/parcpu.* "$tmp"/parsteal.* "$tmp"/rss.* "$tmp"/mem.* "$tmp"/insn.* \
	"$tmp"/cpuid.*; do
	case "${f##*/}" in rss.last | insn.out | par.ids) continue ;; esac
	[ ! -f "$f" ] || cp "$f" "$results/"
done
report() {
	local name
	echo
	echo "run /bin/true (create+start+wait+delete), $runs rounds, ms:"
	printf '%-14s %9s %9s %9s %9s %9s\n' entry median p10 p90 mean min
	for name in "${entries[@]}"; do
		[ -s "$tmp/run.$name" ] || continue
		read -r m p10 p90 mean min < <(stats "$tmp/run.$name")
		printf '%-14s %9s %9s %9s %9s %9s\n' "$name" "$m" "$p10" "$p90" "$mean" "$min"
	done
	if [ -n "$(ls "$tmp"/step.* "$tmp"/exec.* 2>/dev/null)" ]; then
		echo
		echo "steps ($step_runs rounds) and exec ($exec_runs rounds), median (p90) ms:"
		printf '%-8s %15s %15s %15s %15s\n' runtime create start delete exec
		for name in "${names[@]}"; do
			printf '%-8s' "$name"
			for f in step.$name.create step.$name.start step.$name.delete exec.$name; do
				if [ -s "$tmp/$f" ]; then
					read -r m _ p90 _ < <(stats "$tmp/$f")
					printf ' %15s' "$m ($p90)"
				else
					printf ' %15s' -
				fi
			done
			echo
		done
	fi
	if [ -s "$tmp/profile.husk" ] && [ -f "$results/husk-profile.txt" ]; then
		echo
		echo "husk's user-space instructions by function (top 15; all in $results/husk-profile.txt):"
		sed -n '/^top/,$p' "$results/husk-profile.txt" | sed -n '2,17p'
	fi
}
report | tee -a "$results/log.txt"

# The table of issue #8: value per runtime, husk's ratio, the target and whether it is met.
val() { # val KIND NAME: the summary value of a metric for one entry, or -
	case "$1" in
	run) median "$tmp/run.$2" ;;
	create | start | delete) median "$tmp/step.$2.$1" ;;
	csd)
		local c s d
		c=$(median "$tmp/step.$2.create") s=$(median "$tmp/step.$2.start") d=$(median "$tmp/step.$2.delete")
		awk -v a="$c" -v b="$s" -v c="$d" 'BEGIN { if (a == "-" || b == "-" || c == "-") print "-"; else printf "%.2f", a + b + c }'
		;;
	exec) median "$tmp/exec.$2" ;;
	par) median "$tmp/par.$2" ;;
	parcpu) median "$tmp/parcpu.$2" ;;
	parsteal) median "$tmp/parsteal.$2" ;;
	cpuid) median "$tmp/cpuid.$2" | sed 's/\.00$//' ;;
	rss) median "$tmp/rss.$2" | sed 's/\.00$//' ;;
	mem) if [ -s "$tmp/mem.$2" ]; then cat "$tmp/mem.$2"; else echo -; fi ;;
	insn) median "$tmp/insn.$2" | sed 's/\.00$//' ;;
	esac
}
# verdict VALUE LIMIT: met when VALUE <= LIMIT
verdict() {
	awk -v v="$1" -v l="$2" 'BEGIN { if (v == "-" || v ~ /^>/) print "n/a"; else print (v + 0 <= l + 0) ? "met" : "NOT MET" }'
}
row() { # row LABEL KIND UNIT RATIO-KIND TARGET-TEXT LIMIT
	local label=$1 kind=$2 unit=$3 against=$4 target=$5 limit=$6 h c r f rat status
	h=$(val "$kind" husk) c=$(val "$kind" crun) r=$(val "$kind" runc)
	f=-
	[ "$kind" != run ] || f=$(val run floor)
	case "$against" in
	crun | absolute) rat=$(ratio "$h" "$c" 6) ;;
	floor) rat=$(ratio "$h" "$f" 6) ;;
	seccomp)
		rat=$(ratio "$(val run husk-seccomp)" "$h" 6)
		h=$(val run husk-seccomp) c=$(val run crun-seccomp) r=$(val run runc-seccomp) f=-
		;;
	esac
	# the verdict compares the unrounded ratio (or, for absolute targets, husk's value) with the limit
	if [ "$against" = absolute ]; then status=$(verdict "$h" "$limit"); else status=$(verdict "$rat" "$limit"); fi
	[ "$rat" = - ] || rat=$(printf '%.2f' "$rat")
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label ($unit)" "$h" "$c" "$r" "$f" "$rat" "$target" "$status"
}
{
	echo
	echo "issue #8 targets (medians; ratio = husk/crun unless the target says otherwise):"
	echo
	echo "| metric | husk | crun | runc | floor | ratio | target | status |"
	echo "|---|---|---|---|---|---|---|---|"
	row "run /bin/true" run ms crun "≤ 0.5 × crun" 0.5
	row "run /bin/true vs floor" run ms floor "≤ 2 × floor" 2
	row "create" create ms crun "≤ 0.5 × crun" 0.5
	row "start" start ms crun "≤ 0.5 × crun" 0.5
	row "delete" delete ms crun "≤ 0.5 × crun" 0.5
	row "create+start+delete" csd ms crun "≤ 0.5 × crun" 0.5
	row "exec /bin/true" exec ms crun "≤ 0.6 × crun" 0.6
	row "$par_count run, $par_jobs at a time" par ms crun "≤ 0.5 × crun" 0.5
	row "peak RSS of run" rss KiB absolute "≤ 2048 KiB" 2048
	row "smallest memory limit" mem KiB absolute "≤ 150 KiB" 150
	row "run with podman seccomp" run ms seccomp "≤ 1.10 × husk without" 1.10
	row "user-space instructions of run" insn count absolute "≤ 1000000" 1000000
	echo
	echo "/bin/true alone (the timing harness's fork + exec, part of every time above): $(val run true) ms"
	if [ -n "$(ls "$tmp"/parcpu.* 2>/dev/null)" ]; then
		echo "CPU time per container in the parallel batch (whole machine, median): husk $(val parcpu husk)," \
			"crun $(val parcpu crun), runc $(val parcpu runc) ms; husk/crun $(ratio "$(val parcpu husk)" "$(val parcpu crun)" 2)"
		echo "Steal time during the parallel batch (both vCPUs, median ms; the hypervisor's other work, inside the wall" \
			"time above): husk $(val parsteal husk), crun $(val parsteal crun), runc $(val parsteal runc)"
	fi
	if [ -n "$(ls "$tmp"/cpuid.* 2>/dev/null)" ]; then
		echo "CPUID instructions in one run (each a VM exit): husk $(val cpuid husk), crun $(val cpuid crun)"
	fi
	echo "raw data, log and profiles: $results"
} | tee -a "$results/table.md"
