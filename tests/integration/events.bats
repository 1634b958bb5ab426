#!/usr/bin/env bats
# events: one oom event per OOM kill, the stream's end when the container stops, and `events --stats` against
# the cgroup files (per-cpu usage, cpuset, unlimited memory) and against runc's own output (keys and types).
# Runs on hybrid/v1 hosts and in the cgroup v2 VM (tests/vm/run-cgroup-v2.sh tests/integration/events.bats).

load helpers
load cgroup_helpers

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# The one stats event of `events --stats`, raw (jq 1.6 rounds integers above 2^53: big values are read from
# the text with json_limit).
stats_event() {
	husk events --stats "${1:-$ID}"
}

# json_limit KEY TEXT: the integer after "KEY":{"limit": in TEXT, as written (memory's usage and swap entries).
json_limit() {
	grep -o "\"$1\":{\"limit\":[0-9]*" <<<"$2" | head -n1 | cut -d: -f3
}

# A cpuset list file ("0-2,4") as a JSON array ([0,1,2,4]); [] when empty.
cpu_list_json() {
	local text
	text=$(cat "$1")
	jq -nc --arg l "$text" '[$l | split(",")[] | select(length > 0) | split("-") | map(tonumber)
		| if length == 2 then range(.[0]; .[1] + 1) else .[0] end]'
}

# The lines of $TMP/events whose type is $1.
count_events() {
	grep -c "\"type\":\"$1\"" "$TMP/events" || true
}

# Whether process $1 holds an OOM watch: an eventfd registered with cgroup v1's cgroup.event_control, or an
# inotify fd on cgroup v2's memory.events.
oom_watch_open() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -qE 'anon_inode:(\[eventfd\]|inotify)'
}

# count_at_least N COMMAND...: COMMAND prints a number of at least N.
count_at_least() {
	local n=$1 got
	shift
	got=$("$@" 2>/dev/null | awk '{ print $1; exit }')
	[ "${got:-0}" -ge "$n" ]
}

@test "events: N OOM kills in the container give N oom events, then it ends when the container stops" {
	local kills=3
	add_shared_dir
	update_config '.linux.resources.memory = {"limit": 33554432}'
	! cg_swap_accounted || update_config '.linux.resources.memory.swap = 33554432'
	# Each child raises its own OOM score so that the killer picks it, not the init shell, which survives.
	set_args sh -c "echo > /shared/ready; while [ ! -e /shared/go ]; do sleep 0.05; done
		i=0; while [ \$i -lt $kills ]; do
			sh -c 'echo 1000 > /proc/self/oom_score_adj; exec dd if=/dev/zero of=/dev/null bs=128M count=1'
			echo \$? >> /shared/rc; i=\$((i + 1))
		done; echo > /shared/done; exec sleep 600"
	husk_run_detached
	retry 100 0.05 test -e "$TMP/shared/ready"
	"$HUSK" --root "$ROOT" events --interval 1h "$ID" >"$TMP/events" 2>"$TMP/events.err" 3>&- &
	events_pid=$!
	BACKGROUND_PIDS+=("$events_pid")
	# The watch counts from when it is open: no kill before then (runc's watch is the same kind of fd).
	retry 200 0.05 oom_watch_open "$events_pid" || fail "events never opened its OOM watch: $(cat "$TMP/events.err")"
	touch "$TMP/shared/go"
	retry 300 0.05 test -e "$TMP/shared/done" || fail "the children did not finish: $(cat "$TMP/shared/rc" 2>/dev/null)"
	[ "$(grep -c '^137$' "$TMP/shared/rc")" -eq "$kills" ] || fail "children: $(cat "$TMP/shared/rc")"
	[ "$(container_status)" = running ]
	retry 100 0.05 count_at_least "$kills" count_events oom || fail "events: $(cat "$TMP/events" "$TMP/events.err")"
	# No late extra event (v1 re-checks the counter for a moment after each signal).
	sleep 1.5
	[ "$(count_events oom)" -eq "$kills" ] || fail "expected $kills oom events: $(cat "$TMP/events")"
	jq -se --arg id "$ID" 'all(.type == "oom" and .id == $id and (has("data") | not))' "$TMP/events"

	husk kill "$ID" KILL
	rc=0
	timeout 10 tail --pid="$events_pid" -f /dev/null || rc=$?
	[ "$rc" -eq 0 ] || fail "events did not exit after the container stopped"
	wait "$events_pid" || fail "events exited $?: $(cat "$TMP/events.err")"
}

@test "events: an idle stream sleeps (no busy loop) and ends when the init exits" {
	husk_only "the syscall count of husk's own loop"
	command -v strace >/dev/null || skip "no strace"
	add_shared_dir
	update_config '.linux.resources.memory = {"limit": 33554432}'
	set_args sh -c 'while [ ! -e /shared/stop ]; do sleep 0.1; done'
	husk_run_detached
	"$HUSK" --root "$ROOT" events --interval 1h "$ID" >"$TMP/events" 2>"$TMP/events.err" 3>&- &
	events_pid=$!
	BACKGROUND_PIDS+=("$events_pid")
	# Set up (its start-up's syscalls are not the loop's) and asleep before the count starts.
	retry 200 0.05 oom_watch_open "$events_pid" || fail "events never opened its OOM watch: $(cat "$TMP/events.err")"
	retry 100 0.05 proc_state_is "$events_pid" S
	# Two idle seconds: the loop is blocked in one poll(), not waking up every slice.
	timeout -s INT 2 strace -f -c -o "$TMP/strace" -p "$events_pid" || true
	calls=$(awk '$NF == "total" { print $4 }' "$TMP/strace")
	[ "${calls:-0}" -le 10 ] || fail "events made $calls syscalls in 2 idle seconds: $(cat "$TMP/strace")"
	touch "$TMP/shared/stop"
	rc=0
	timeout 10 tail --pid="$events_pid" -f /dev/null || rc=$?
	[ "$rc" -eq 0 ] || fail "events did not exit after the init exited"
	wait "$events_pid"
	[ ! -s "$TMP/events" ] || fail "unexpected events: $(cat "$TMP/events")"
}

@test "events --stats: per-cpu usage (v1 cpuacct) matches the cgroup files and sums to the total" {
	cg_v2 && skip "cgroup v2 has no per-cpu accounting (runc omits percpu there too)"
	# Burn some cpu, then sleep: the counters stop moving and can be compared exactly.
	set_args sh -c 'i=0; while [ $i -lt 10000 ]; do i=$((i + 1)); done; exec sleep 600'
	husk_run_detached
	cg_has cpuacct cpuacct.usage_percpu || skip "no cpuacct.usage_percpu"
	# Asleep once the loop is done (a busy CI machine may take its time over it).
	local pid
	pid=$(container_pid)
	retry 600 0.1 proc_state_is "$pid" S ||
		fail "container process $pid never slept: $(cat "/proc/$pid/comm" "/proc/$pid/stat" 2>&1)"
	sleep 0.2
	ev=$(stats_event)
	dir=$(cg_dir cpuacct)
	percpu=$(jq -c '.data.cpu.usage.percpu' <<<"$ev")
	[ "$percpu" = "$(jq -Rc 'split(" ") | map(select(length > 0) | tonumber)' "$dir/cpuacct.usage_percpu")" ] ||
		fail "percpu $percpu, file: $(cat "$dir/cpuacct.usage_percpu")"
	total=$(jq '.data.cpu.usage.total' <<<"$ev")
	[ "$total" -gt 0 ]
	[ "$total" -eq "$(cat "$dir/cpuacct.usage")" ]
	sum=$(jq '.data.cpu.usage.percpu | add' <<<"$ev")
	# The kernel sums the same per-cpu counters: equal, give or take a tick on a cpu read later.
	diff=$((sum > total ? sum - total : total - sum))
	[ "$diff" -le $((total / 100 + 1)) ] || fail "percpu sums to $sum, total $total"
	if cg_has cpuacct cpuacct.usage_all; then
		jq -e '.data.cpu.usage | (.percpu_user | length) == (.percpu | length)
			and (.percpu_kernel | length) == (.percpu | length)' <<<"$ev"
		[ "$(jq -c '.data.cpu.usage.percpu_user' <<<"$ev")" = \
			"$(awk 'NR > 1 { print $2 }' "$dir/cpuacct.usage_all" | jq -sc .)" ]
		[ "$(jq -c '.data.cpu.usage.percpu_kernel' <<<"$ev")" = \
			"$(awk 'NR > 1 { print $3 }' "$dir/cpuacct.usage_all" | jq -sc .)" ]
	fi
}

@test "events --stats: cpuset fields equal the cgroup files" {
	update_config '.linux.resources.cpu = {"cpus": "0", "mems": "0"}'
	set_args sleep 600
	husk_run_detached
	ev=$(stats_event)
	dir=$(cg_dir cpuset)
	jq -e '.data.cpuset.cpus == [0] and .data.cpuset.mems == [0]' <<<"$ev"
	if cg_v2; then
		eff_cpus=cpuset.cpus.effective eff_mems=cpuset.mems.effective
		# cgroup2 has none of v1's flags: runc's zero values
		jq -e '.data.cpuset | .cpu_exclusive == 0 and .sched_load_balance == 0 and .sched_relax_domain_level == 0' \
			<<<"$ev"
	else
		eff_cpus=cpuset.effective_cpus eff_mems=cpuset.effective_mems
		for f in cpu_exclusive mem_hardwall mem_exclusive memory_migrate memory_spread_page memory_spread_slab \
			memory_pressure sched_load_balance sched_relax_domain_level; do
			[ "$(jq ".data.cpuset.$f" <<<"$ev")" = "$(cat "$dir/cpuset.$f")" ] ||
				fail "$f: $(jq ".data.cpuset.$f" <<<"$ev") vs $(cat "$dir/cpuset.$f")"
		done
	fi
	[ "$(jq -c .data.cpuset.effective_cpus <<<"$ev")" = "$(cpu_list_json "$dir/$eff_cpus")" ]
	[ "$(jq -c .data.cpuset.effective_mems <<<"$ev")" = "$(cpu_list_json "$dir/$eff_mems")" ]
}

@test "events --stats: unlimited memory is reported as runc does (v1: the file's value, v2: max = 2^64-1)" {
	set_args sleep 600
	husk_run_detached
	ev=$(stats_event)
	dir=$(cg_dir memory)
	if cg_v2; then
		[ "$(cat "$dir/memory.max")" = max ]
		[ "$(json_limit usage "$ev")" = 18446744073709551615 ]
		if [ -e "$dir/memory.swap.max" ] && [ "$(cat "$dir/memory.swap.max")" = max ]; then
			[ "$(json_limit swap "$ev")" = 18446744073709551615 ]
		fi
	else
		[ "$(json_limit usage "$ev")" = "$(cat "$dir/memory.limit_in_bytes")" ]
		[ "$(json_limit usage "$ev")" = "$(cg_unlimited_memory)" ]
		if [ -e "$dir/memory.memsw.limit_in_bytes" ]; then
			[ "$(json_limit swap "$ev")" = "$(cat "$dir/memory.memsw.limit_in_bytes")" ]
		fi
	fi

	# A set limit is the number itself, and swap on v2 is memory+swap as on v1.
	husk update --memory 100M "$ID"
	ev=$(stats_event)
	[ "$(json_limit usage "$ev")" = 104857600 ]
	if cg_v2 && [ -e "$dir/memory.swap.max" ]; then
		husk update --memory 100M --memory-swap 300M "$ID"
		ev=$(stats_event)
		[ "$(json_limit swap "$ev")" = 314572800 ]
	fi
}

# The JSON shape of one event: every path, objects and arrays included (array indices as []), with its type, one
# per line, sorted.
json_shape() {
	jq -r '[paths as $p | ($p | map(if type == "number" then "[]" else . end) | join(".")) + " " + (getpath($p) | type)]
		| unique[]'
}

@test "events --stats: every key runc prints is there, with the same type (same bundle, runc beside husk)" {
	husk_only "compares husk with runc"
	local runc
	runc=$(command -v runc) || skip "runc is not installed: nothing to compare with"
	update_config '.linux.resources = {"memory": {"limit": 104857600}, "pids": {"limit": 42}, "cpu": {"shares": 512}}'
	# The same workload in both: some cpu and a file read (page cache), then sleep.
	set_args sh -c 'cat /bin/busybox >/dev/null; i=0; while [ $i -lt 3000 ]; do i=$((i + 1)); done; exec sleep 600'
	husk_run_detached
	mkdir -p "$TMP/runc-root"
	"$runc" --root "$TMP/runc-root" run -d --bundle "$BUNDLE" "$ID-runc" </dev/null >"$TMP/runc.out" 2>&1 3>&- ||
		fail "runc run: $(cat "$TMP/runc.out")"
	sleep 0.5
	stats_event | json_shape >"$TMP/husk.shape"
	rc=0
	"$runc" --root "$TMP/runc-root" events --stats "$ID-runc" >"$TMP/runc.json" || rc=$?
	"$runc" --root "$TMP/runc-root" delete -f "$ID-runc" >/dev/null 2>&1 || true
	[ "$rc" -eq 0 ] || fail "runc events: $(cat "$TMP/runc.json")"
	json_shape <"$TMP/runc.json" >"$TMP/runc.shape"
	[ -s "$TMP/runc.shape" ]
	# runc omits empty blkio tables and a zero memory.cache (omitempty): whether they appear depends on whose
	# container first read the file into the page cache, so only their type is compared, when both have them.
	local optional='^data\.(blkio\.io[A-Za-z]*Recursive|memory\.cache)( |\.)'
	missing=$(comm -23 "$TMP/runc.shape" "$TMP/husk.shape" | grep -Ev "$optional" || true)
	local both
	both=$(comm -12 <(grep -E "$optional" "$TMP/runc.shape" | cut -d' ' -f1 | sort -u) \
		<(grep -E "$optional" "$TMP/husk.shape" | cut -d' ' -f1 | sort -u))
	for path in $both; do
		local in_runc in_husk
		in_runc=$(awk -v p="$path" '$1 == p' "$TMP/runc.shape")
		in_husk=$(awk -v p="$path" '$1 == p' "$TMP/husk.shape")
		[ "$in_runc" = "$in_husk" ] || fail "$path: runc $in_runc, husk $in_husk"
	done
	[ -z "$missing" ] || fail "runc prints, husk does not (path type):
$missing
husk only:
$(comm -13 "$TMP/runc.shape" "$TMP/husk.shape")"
}
