#!/usr/bin/env bats
# cgroups: linux.resources at create, update (flags and -r), pause/resume, ps, kill --all, events, and limits
# that bite (pids.max, the memory limit, OOM at create). Values are read back from the host's cgroup files of the
# container's init (/proc/PID/cgroup), on v1/hybrid and pure v2 alike (tests/vm/run-cgroup-v2.sh for v2).

load helpers
load cgroup_helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	LOOP=
}
# Thawed first: what a test froze can only then be killed and removed (cgroups named after the id).
teardown() {
	local id=${ID:-}
	[ -z "$id" ] || cg_thaw_named "$id"
	husk_teardown
	[ -z "${LOOP:-}" ] || losetup -d "$LOOP" 2>/dev/null || true
	# sub-cgroups a container made deeper than husk_teardown looks (cgroupsPath /$ID)
	[ -z "$id" ] || cg_remove_trees "$id"
}

# count_at_least N COMMAND...: COMMAND prints a number (first word) of at least N (for retry, which needs a command
# that it re-runs, not a value substituted once).
count_at_least() {
	local n=$1 got
	shift
	got=$("$@" 2>/dev/null | awk '{ print $1; exit }')
	[ "${got:-0}" -ge "$n" ]
}

# The runtime's update knows --FLAG (runc 1.1 lacks the 1.2 ones: --cpu-burst, --cpu-idle).
update_has_flag() {
	"$HUSK" update --help 2>&1 | grep -q -- "--$1\b"
}

# run_bounded ARGS...: the runtime with this test's --root, setting $status and $output as bats' run does, but
# given up after 20s (status 124, or 137 when it ignores SIGTERM as runc does) and without bats' pipes: an init
# hung in a frozen cgroup fails the test instead of hanging it.
run_bounded() {
	status=0
	timeout -k 5 20 "$HUSK" --root "$ROOT" "$@" </dev/null >"$TMP/bounded.out" 2>&1 3>&- || status=$?
	output=$(cat "$TMP/bounded.out")
}

# A block device that exists everywhere (the cgroup v2 VM has no disk): a loop device over a file, its "MAJ:MIN" in
# $LOOP_DEV; teardown detaches $LOOP. The file is outside $TMP, which husk_teardown removes first.
make_loop_device() {
	command -v losetup >/dev/null || skip "no losetup"
	local img
	img=$(mktemp "${TMPDIR:-/tmp}/husk-loop.XXXXXX")
	truncate -s 8M "$img"
	LOOP=$(losetup -f --show "$img" 2>&1) || {
		rm -f "$img"
		skip "no loop device here: $LOOP"
	}
	rm -f "$img" # the loop device keeps it open
	LOOP_DEV=$(cat "/sys/block/${LOOP#/dev/}/dev")
}

# The container's cgroup in the cgroup2 hierarchy (pure v2, or hybrid's /sys/fs/cgroup/unified).
cg2_dir() {
	local path
	path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$(container_pid)/cgroup")
	if cg_v2; then echo "/sys/fs/cgroup$path"; else echo "/sys/fs/cgroup/unified$path"; fi
}

# A detached `sleep` container with the given linux.resources JSON.
run_with_resources() {
	update_config '.linux.resources = (.linux.resources // {}) + $r' --argjson r "$1"
	set_args sleep 600
	husk_run_detached
}

@test "cgroups: linux.resources from config.json land in the container's cgroup files" {
	local resources='{
		"memory": {"limit": 104857600, "reservation": 52428800},
		"cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
		"pids": {"limit": 42}
	}'
	# Swap (memory+swap) only where the kernel accounts it.
	! cg_swap_accounted || resources=$(jq '.memory.swap = 209715200' <<<"$resources")
	dev=$(host_block_device)
	if [ -n "$dev" ]; then
		resources=$(jq --argjson maj "${dev%:*}" --argjson min "${dev#*:}" \
			'.blockIO.throttleReadBpsDevice = [{"major": $maj, "minor": $min, "rate": 1048576}]' <<<"$resources")
	fi
	run_with_resources "$resources"

	assert_memory_limit 104857600
	# shellcheck disable=SC2046
	assert_cg $(cg_memory_reservation_file) 52428800
	if [ "$(jq .memory.swap <<<"$resources")" != null ]; then
		assert_swap 209715200 104857600
	fi
	assert_cpu_shares 512
	assert_cpu_max 50000 100000
	assert_cg cpuset cpuset.cpus 0
	assert_cg cpuset cpuset.mems 0
	assert_cg pids pids.max 42
	if [ -n "$dev" ]; then
		if cg_v2; then
			grep -q "^$dev rbps=1048576 " "$(cg_dir io)/io.max" || fail "io.max: $(cat "$(cg_dir io)/io.max")"
		else
			assert_cg blkio blkio.throttle.read_bps_device "$dev 1048576"
		fi
	fi
}

@test "cgroups: update changes every limit the host supports, each read back from the cgroup" {
	set_args sleep 600
	husk_run_detached

	husk update --memory 200M --memory-reservation 100M "$ID"
	assert_memory_limit 209715200
	# shellcheck disable=SC2046
	assert_cg $(cg_memory_reservation_file) 104857600
	if cg_has $(cg_swap_file); then
		husk update --memory-swap 400M "$ID"
		assert_swap 419430400 209715200
		# raising memory above the old memory+swap works in one call (swap first)
		husk update --memory 1g --memory-swap 2g "$ID"
		assert_memory_limit 1073741824
		assert_swap 2147483648 1073741824
	fi
	# runc's units: binary multiples, any case, optional i and b, fractions
	husk update --memory 1.5M "$ID"
	assert_memory_limit 1572864
	husk update --memory "8 MiB" "$ID"
	assert_memory_limit 8388608
	husk update --memory 512mb "$ID"
	assert_memory_limit 536870912
	husk update --memory -1 "$ID"
	assert_memory_limit -1

	husk update --cpu-share 256 "$ID"
	assert_cpu_shares 256
	if [ "$RUNTIME" = husk ]; then
		# husk also takes the plural spelling (runc has only --cpu-share)
		husk update --cpu-shares 1024 "$ID"
		assert_cpu_shares 1024
	fi
	husk update --cpu-quota 20000 --cpu-period 50000 "$ID"
	assert_cpu_max 20000 50000
	# period alone keeps the quota, quota alone keeps the period
	husk update --cpu-period 40000 "$ID"
	assert_cpu_max 20000 40000
	husk update --cpu-quota 30000 "$ID"
	assert_cpu_max 30000 40000
	husk update --cpu-quota -1 "$ID"
	assert_cpu_max -1 40000
	if cg_has $(cg_burst_file) && update_has_flag cpu-burst; then
		husk update --cpu-quota 30000 --cpu-burst 10000 "$ID"
		# shellcheck disable=SC2046
		assert_cg $(cg_burst_file) 10000
	fi
	if cg_has cpu cpu.idle && update_has_flag cpu-idle; then
		husk update --cpu-idle 1 "$ID"
		assert_cg cpu cpu.idle 1
		husk update --cpu-idle 0 "$ID"
		assert_cg cpu cpu.idle 0
		# the kernel refuses a weight for an idle group: idle is cleared before the shares are written
		husk update --cpu-idle 1 "$ID"
		husk update -r - "$ID" <<<'{"cpu": {"idle": 0, "shares": 500}}'
		assert_cg cpu cpu.idle 0
		assert_cpu_shares 500
	fi
	if ! cg_v2 && cg_has cpu cpu.rt_runtime_us; then
		# The parent must have realtime time to give; skip that part when it has none.
		parent=$(dirname "$(cg_dir cpu)")
		if [ "$(cat "$parent/cpu.rt_runtime_us")" -gt 10000 ]; then
			husk update --cpu-rt-period 1000000 --cpu-rt-runtime 10000 "$ID"
			assert_cg cpu cpu.rt_period_us 1000000
			assert_cg cpu cpu.rt_runtime_us 10000
		fi
	fi

	husk update --cpuset-cpus 0 --cpuset-mems 0 "$ID"
	assert_cg cpuset cpuset.cpus 0
	assert_cg cpuset cpuset.mems 0
	if [ "$(nproc)" -gt 1 ]; then
		husk update --cpuset-cpus 0-1 "$ID"
		assert_cg cpuset cpuset.cpus 0-1
	fi

	husk update --pids-limit 30 "$ID"
	assert_cg pids pids.max 30
	# 0 leaves the limit alone (runc), -1 lifts it
	husk update --pids-limit 0 "$ID"
	assert_cg pids pids.max 30
	husk update --pids-limit -1 "$ID"
	assert_cg pids pids.max max
	# runc reads its integer flags as Go integer literals (strconv.ParseInt with base 0): `010` is octal
	for pair in 0x10:16 0X1f:31 0o17:15 0b101:5 010:8 1_000:1000 0x_20:32 +7:7; do
		husk update --pids-limit "${pair%:*}" "$ID"
		assert_cg pids pids.max "${pair#*:}"
	done

	if ! cg_v2 && cg_has blkio blkio.weight; then
		husk update --blkio-weight 300 "$ID"
		assert_cg blkio blkio.weight 300
	elif ! cg_v2 && cg_has blkio blkio.bfq.weight; then
		husk update --blkio-weight 300 "$ID"
		[[ "$(cg_get blkio blkio.bfq.weight)" == *300* ]]
		# BFQ's range is 1 to 1000 (the old CFQ's blkio.weight started at 10)
		husk update --blkio-weight 5 "$ID"
		[[ "$(cg_get blkio blkio.bfq.weight)" =~ (^|[^0-9])5$ ]] || fail "blkio.bfq.weight: $(cg_get blkio blkio.bfq.weight)"
	elif cg_v2 && cg_has io io.weight; then
		husk update --blkio-weight 300 "$ID"
		assert_cg io io.weight "default $((1 + (300 - 10) * 9999 / 990))"
		# below blkio's 10: io.weight's lowest (runc 1.1 converts it to a number io.weight refuses)
		if [ "$RUNTIME" = husk ]; then
			husk update --blkio-weight 5 "$ID"
			assert_cg io io.weight "default 1"
		fi
	fi

	# kernel memory is accepted and ignored, with a warning
	run husk update --kernel-memory 100M --kernel-memory-tcp 10M "$ID"
	assert_status 0
	assert_output_contains "ignored"
	[ "$(container_status)" = running ]
}

@test "cgroups: update: a flag with an empty value (--memory=, -r \"\") changes nothing, as with runc" {
	set_args sleep 600
	husk_run_detached
	husk update --memory 100M --cpu-quota 20000 --cpu-period 50000 --cpu-share 300 "$ID"
	local flag flags="memory memory-swap memory-reservation kernel-memory kernel-memory-tcp cpu-quota cpu-period
		cpu-share cpu-rt-period cpu-rt-runtime cpuset-cpus cpuset-mems l3-cache-schema mem-bw-schema"
	for flag in $flags cpu-burst cpu-idle; do
		update_has_flag "$flag" || continue
		run --separate-stderr husk update "--$flag=" "$ID"
		[ "$status" -eq 0 ] || fail "update --$flag=: exit $status: $stderr"
		[ -z "$stderr" ] || fail "update --$flag= said: $stderr"
	done
	run husk update -r "" "$ID"
	assert_status 0
	assert_memory_limit 104857600
	assert_cpu_shares 300
	assert_cpu_max 20000 50000
	# the integer flags refuse it
	run husk update --pids-limit= "$ID"
	assert_status 1
	run husk update --blkio-weight= "$ID"
	assert_status 1
}

# hugetlb for containers: a v1 hierarchy of its own, or cgroup2's controller. On this project's hybrid host it is
# in no v1 hierarchy (only in cgroup2), where husk, like runc, cannot use it; the cgroup v2 VM has it.
cg_hugetlb_available() {
	if cg_v2; then grep -qw hugetlb /sys/fs/cgroup/cgroup.controllers; else [ -d /sys/fs/cgroup/hugetlb ]; fi
}

# assert_hugetlb_limit BYTES: the 2MB fault limit, and the reservation limit where the kernel has one (5.7+).
assert_hugetlb_limit() {
	local dir fault rsvd
	dir=$(cg_dir hugetlb)
	if cg_v2; then
		fault=hugetlb.2MB.max rsvd=hugetlb.2MB.rsvd.max
	else
		fault=hugetlb.2MB.limit_in_bytes rsvd=hugetlb.2MB.rsvd.limit_in_bytes
	fi
	[ "$(cat "$dir/$fault")" = "$1" ] || fail "$fault: $(cat "$dir/$fault"), expected $1"
	if [ -e "$dir/$rsvd" ]; then
		[ "$(cat "$dir/$rsvd")" = "$1" ] || fail "$rsvd: $(cat "$dir/$rsvd"), expected $1"
	else
		echo "# no $rsvd: this kernel does not account hugetlb reservations (5.7+)" >&3
	fi
}

# runtime-spec 1.1+: the limit applies to reservations where the kernel accounts them, so that mmap fails instead
# of the process dying of SIGBUS when it first touches pages it reserved above the limit (runc 1.1.10+ writes both).
@test "cgroups: hugepageLimits limit hugetlb faults and reservations, at create and on update -r" {
	cg_hugetlb_available || skip "no hugetlb controller for containers here (this hybrid host has it in cgroup2 only)"
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "this machine has no 2MB huge pages"
	run_with_resources '{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}'
	assert_hugetlb_limit 4194304
	echo '{"hugepageLimits": [{"pageSize": "2MB", "limit": 8388608}]}' >"$TMP/resources.json"
	husk update -r "$TMP/resources.json" "$ID"
	assert_hugetlb_limit 8388608
}

# What the reservation limit is for. Two huge pages are reserved host-wide (vm.nr_hugepages), so only on a
# throw-away host: the cgroup v2 VM (tests/vm/run-cgroup-v2.sh) says so with HUSK_TEST_DISPOSABLE_HOST=1.
@test "cgroups: hugepageLimits: mmap beyond the limit fails (no SIGBUS on first touch), stats count reservations" {
	cg_hugetlb_available || skip "no hugetlb controller for containers here (this hybrid host has it in cgroup2 only)"
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "this machine has no 2MB huge pages"
	[ "${HUSK_TEST_DISPOSABLE_HOST:-}" = 1 ] ||
		skip "reserves huge pages for the whole host (vm.nr_hugepages): only where HUSK_TEST_DISPOSABLE_HOST=1 (the VM)"
	echo 2 >/proc/sys/vm/nr_hugepages
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 2 ] || skip "the kernel could not set aside 2 huge pages"
	[ "$(printf '5.7\n%s\n' "$(uname -r)" | sort -V | head -1)" = 5.7 ] ||
		skip "kernel $(uname -r) does not account hugetlb reservations (5.7+)"
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]'
	container_run checker hugetlb 2
	assert_status 0
	assert_output_contains "mmap=ENOMEM"
	container_run checker hugetlb 1
	assert_status 0
	assert_output_contains "touched=ok"
	# Reserved and not touched: only reservation accounting sees it (the fault counter reads 0).
	set_args checker hugetlb 1 hold
	husk_run_detached
	retry 50 0.1 grep -q "mmap=ok" "$TMP/$ID.out"
	run --separate-stderr husk events --stats "$ID"
	assert_status 0
	jq -e '.data.hugetlb["2MB"].usage == 2097152' <<<"$output" || fail "hugetlb stats: $output"
}

@test "cgroups: update -r takes linux.resources JSON from a file and from stdin" {
	add_shared_dir
	set_args sh -c 'while :; do echo x >/dev/null || echo denied >/shared/denied; sleep 0.05; done'
	husk_run_detached
	cat >"$TMP/resources.json" <<-'EOF'
		{"memory": {"limit": 314572800}, "cpu": {"shares": 300, "quota": 25000, "period": 100000}, "pids": {"limit": 77}}
	EOF
	husk update -r "$TMP/resources.json" "$ID"
	assert_memory_limit 314572800
	assert_cpu_shares 300
	assert_cpu_max 25000 100000
	assert_cg pids pids.max 77

	# stdin, and what is left out stays as it was
	echo '{"pids": {"limit": 88}}' | husk update --resources - "$ID"
	assert_cg pids pids.max 88
	assert_memory_limit 314572800
	# a pids.limit of 0 is "not given" here too (as --pids-limit 0), -1 lifts the limit
	echo '{"pids": {"limit": 0}}' | husk update -r - "$ID"
	assert_cg pids pids.max 88
	echo '{"pids": {"limit": -1}}' | husk update -r - "$ID"
	assert_cg pids pids.max max

	# device rules are never changed by update (runc skips them, silently): the container can still write /dev/null
	echo '{"devices": [{"allow": false, "access": "rwm"}]}' | husk update -r - "$ID" 2>"$TMP/warn"
	[ ! -s "$TMP/warn" ] || fail "update -r with device rules said: $(cat "$TMP/warn")"
	sleep 0.3
	[ ! -e "$TMP/shared/denied" ] || fail "update -r applied a deny-all device rule"
	[ "$(container_status)" = running ]
}

# containerd and the CRI resend the container's whole linux.resources with every update, and kubelet puts a
# hugepageLimits entry (limit 0) in it for each page size: runc's update writes memory, cpu, blkio weight and pids
# and ignores the rest, so a controller this host lacks (hugetlb here, net_cls) must not cost the memory and cpu.
@test "cgroups: update -r applies a whole kubelet-style resources block, skipping controllers the host lacks" {
	set_args sleep 600
	husk_run_detached
	local sizes='["2MB", "1GB"]' hugetlb=
	if cg_hugetlb_available; then
		# kubelet lists the page sizes the node has; here those are written (limit 0)
		hugetlb=1
		# shellcheck disable=SC2012
		sizes=$(ls "$(cg_dir hugetlb)" | sed -n 's/^hugetlb\.\([0-9]*[KMG]B\)\.\(max\|limit_in_bytes\)$/\1/p' | jq -Rn '[inputs]')
	fi
	jq -n --argjson sizes "$sizes" '{
		devices: [{allow: false, access: "rwm"}],
		memory: {limit: 41943040},
		cpu: {shares: 256, quota: 20000, period: 100000},
		hugepageLimits: [$sizes[] | {pageSize: ., limit: 0}]
	}' >"$TMP/k8s.json"
	run --separate-stderr husk update -r "$TMP/k8s.json" "$ID"
	assert_status 0
	assert_memory_limit 41943040
	assert_cpu_shares 256
	assert_cpu_max 20000 100000
	[[ "$stderr" != *device* ]] || fail "device rules warned about: $stderr"

	husk_only "the warnings for what is skipped"
	if [ -n "$hugetlb" ]; then
		[ -z "$stderr" ] || fail "unexpected stderr: $stderr"
	else
		[ "$(wc -l <<<"$stderr")" = 1 ] && [[ "$stderr" == *hugepageLimits*hugetlb* ]] ||
			fail "expected one warning naming hugepageLimits: $stderr"
	fi
	# net_cls is not mounted on this host (nor on cgroup v2): the classID is skipped, the pids limit written
	if [ ! -d /sys/fs/cgroup/net_cls ]; then
		run --separate-stderr husk update -r - "$ID" <<<'{"network": {"classID": 5}, "pids": {"limit": 33}}'
		assert_status 0
		assert_cg pids pids.max 33
		[[ "$stderr" == *network.classID*net_cls* ]] || fail "no warning naming network.classID: $stderr"
	fi
	# what runc's update does write still fails where its controller is missing: nothing to test here, every
	# host this runs on has memory, cpu and pids
}

@test "cgroups: update errors: unknown or stopped container, bad values, values the kernel refuses" {
	run husk update --memory 100M nosuchcontainer
	assert_status 1
	assert_output_contains "does not exist"

	set_args sleep 600
	husk_run_detached
	for bad in "--memory 1x" "--memory 10Q" "--memory -5" "--memory-swap abc" "--cpu-share -1" "--cpu-quota 1.5" \
		"--cpu-period x" "--pids-limit ten" "--cpu-rt-runtime 1e3" "--pids-limit 0x" "--pids-limit 08" \
		"--pids-limit 1__0" "--pids-limit _1" "--pids-limit 1_" "--pids-limit 0b2" "--blkio-weight 0x"; do
		# shellcheck disable=SC2086
		run husk update $bad "$ID"
		[ "$status" -eq 1 ] || fail "update $bad: exit $status"
		flag=${bad%% *}
		[[ "$output" == *"${flag#--}"* ]] || fail "update $bad: message does not name the flag"
	done
	# A leading blank makes no number (strtoull would skip it and read " -1" as 2^64-1, which the kernel clamps to
	# cpu.shares' maximum), and a bad value anywhere means nothing is written.
	local shares_file=cpu.shares memory
	! cg_v2 || shares_file=cpu.weight
	husk update --cpu-share 500 --pids-limit 50 "$ID"
	shares=$(cg_get cpu $shares_file)
	# shellcheck disable=SC2046
	memory=$(cg_get $(cg_memory_limit_file))
	for bad in "--cpu-share= -1" "--cpu-period= -1" "--cpu-quota= 30000" "--pids-limit= 5" "--cpu-rt-runtime= 5"; do
		run husk update --memory 50M "$bad" "$ID"
		[ "$status" -eq 1 ] || fail "update $bad: exit $status"
		flag=${bad%%=*}
		[[ "$output" == *"${flag#--}"* ]] || fail "update $bad: message does not name the flag: $output"
	done
	[ "$(cg_get cpu $shares_file)" = "$shares" ] || fail "$shares_file changed: $(cg_get cpu $shares_file)"
	assert_cg pids pids.max 50
	# shellcheck disable=SC2046
	assert_cg $(cg_memory_limit_file) "$memory"
	husk_only "husk's range checks and messages"
	run husk update --blkio-weight 1001 "$ID"
	assert_status 1
	assert_output_contains "out of range"
	run husk update --cpu-idle 2 "$ID"
	assert_status 1
	echo '{"memory": {"limit": "lots"}}' >"$TMP/bad.json"
	run husk update -r "$TMP/bad.json" "$ID"
	assert_status 1
	assert_output_contains "memory.limit"
	run husk update -r "$TMP/nosuchfile.json" "$ID"
	assert_status 1
	assert_output_contains "nosuchfile.json"
	run husk update -r "$TMP/bad.json" --memory 1M "$ID"
	assert_status 1
	assert_output_contains "cannot be combined"
	# a CPU the host does not have: the kernel refuses and the old value stays
	before=$(cg_get cpuset cpuset.cpus)
	run husk update --cpuset-cpus 4095 "$ID"
	assert_status 1
	assert_output_contains "cpuset.cpus"
	[ "$(cg_get cpuset cpuset.cpus)" = "$before" ]
	run husk update --l3-cache-schema "L3:0=f" "$ID"
	if [ ! -e /sys/fs/resctrl/schemata ]; then
		assert_status 1
		assert_output_contains "Intel RDT"
	fi

	husk kill "$ID" KILL
	wait_for_status stopped
	run husk update --memory 100M "$ID"
	assert_status 1
	assert_output_contains "container not running"
}

@test "cgroups: v2: a unified value of several lines (io.max, one per device) is written line by line" {
	cg_v2 || skip "cgroup v2 only: io.max is cgroup2's io controller, which a hybrid host keeps in v1 (tests/vm/run-cgroup-v2.sh)"
	skip_on_runc "1.1 writes the value in one write(), which the kernel refuses (upstream runc writes it by line)"
	make_loop_device
	# The runtime-spec's own example of unified has two io.max lines; the kernel parses one per write().
	local value="$LOOP_DEV rbps=1048576"$'\n'"$LOOP_DEV wiops=120"
	run_with_resources "$(jq -n --arg v "$value" '{unified: {"io.max": $v, "pids.max": "42"}}')"
	local io
	io=$(cg_dir io)
	grep -qx "$LOOP_DEV rbps=1048576 wbps=max riops=max wiops=120" "$io/io.max" || fail "io.max: $(cat "$io/io.max")"
	# a one-line value is one write, as before
	assert_cg pids pids.max 42
	jq -n --arg v "$LOOP_DEV rbps=2097152"$'\n'"$LOOP_DEV wbps=4096"$'\n' '{unified: {"io.max": $v}}' >"$TMP/r.json"
	husk update -r "$TMP/r.json" "$ID"
	grep -qx "$LOOP_DEV rbps=2097152 wbps=4096 riops=max wiops=120" "$io/io.max" || fail "io.max: $(cat "$io/io.max")"
}

@test "cgroups: unified keys of the cgroup core interface (cgroup.procs, cgroup.freeze...) are refused, at create and update" {
	husk_only "runc 1.1 writes them: cgroup.freeze hangs its create, cgroup.procs moves a host process into the container"
	[ "$CG_LAYOUT" != v1 ] || skip "no cgroup2 hierarchy on this host"
	# For the keys that take a pid, one of ours: a husk that wrote them would move it, not a host process.
	sleep 600 </dev/null >/dev/null 2>&1 3>&- &
	local victim=$! key value where
	BACKGROUND_PIDS+=("$victim")
	where=$(cat "/proc/$victim/cgroup")
	local keys="cgroup.procs cgroup.threads cgroup.kill cgroup.freeze cgroup.subtree_control cgroup.type"
	set_args sleep 600
	for key in $keys; do
		value=1
		case $key in cgroup.procs | cgroup.threads) value=$victim ;; esac
		update_config '.linux.resources.unified = {($k): $v}' --arg k "$key" --arg v "$value"
		run_bounded create --bundle "$BUNDLE" "$ID"
		assert_status 1
		assert_output_contains "config.json: linux.resources.unified: \`$key\` is not a resource setting"
		[ "$(wc -l <<<"$output")" -eq 1 ] || fail "create with $key: more than one line"
		assert_no_trace
	done
	# cgroup.* keys that are limits still work
	update_config '.linux.resources.unified = {"cgroup.max.depth": "3", "cgroup.max.descendants": "5"}'
	husk_run_detached
	[ "$(cat "$(cg2_dir)/cgroup.max.depth")" = 3 ] || fail "cgroup.max.depth: $(cat "$(cg2_dir)/cgroup.max.depth")"
	[ "$(cat "$(cg2_dir)/cgroup.max.descendants")" = 5 ] || fail "cgroup.max.descendants"
	# update -r: refused before anything is written (the pids limit asked beside it is not applied)
	husk update --pids-limit 50 "$ID"
	for key in $keys; do
		value=1
		case $key in cgroup.procs | cgroup.threads) value=$victim ;; esac
		jq -n --arg k "$key" --arg v "$value" '{pids: {limit: 7}, unified: {($k): $v}}' >"$TMP/r.json"
		run_bounded update -r "$TMP/r.json" "$ID"
		assert_status 1
		assert_output_contains "linux.resources.unified: \`$key\` is not a resource setting"
		assert_cg pids pids.max 50
		[ "$(container_status)" = running ] || fail "update with $key: container $(container_status)"
	done
	[ "$(cat "/proc/$victim/cgroup")" = "$where" ] || fail "the process was moved: $(cat "/proc/$victim/cgroup")"
}

# The container's init shares the create's locked state-dir fd until it closes it: an init stuck before that (born
# frozen, as unified cgroup.freeze made it) outlived a killed create and held the lock, and delete --force waited.
@test "cgroups: delete --force does not hang after a create killed while its init was stuck" {
	skip_on_runc "1.1's create with unified cgroup.freeze hangs, and its frozen init stays in the cgroup"
	[ "$CG_LAYOUT" != v1 ] || skip "no cgroup2 hierarchy on this host"
	set_args sleep 600
	# An init waiting for a prestart hook that never ends, its create killed by SIGTERM, then SIGKILL.
	printf '#!/bin/sh\necho $$ >"%s"\nexec sleep 600\n' "$TMP/hook.pid" >"$TMP/hook"
	chmod +x "$TMP/hook"
	update_config '.hooks.prestart = [{"path": $h}]' --arg h "$TMP/hook"
	local sig create
	for sig in TERM KILL; do
		rm -f "$TMP/hook.pid"
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/create.out" 2>&1 3>&- &
		create=$!
		BACKGROUND_PIDS+=("$create")
		retry 400 0.05 test -s "$TMP/hook.pid"
		kill -"$sig" "$create"
		wait "$create" || true
		kill -9 "$(cat "$TMP/hook.pid")"
		run timeout -k 5 20 "$HUSK" --root "$ROOT" delete -f "$ID"
		[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "delete --force hung after a create killed by SIG$sig"
		assert_no_trace
	done
	# An init frozen at birth (husk now refuses cgroup.freeze, so there is none).
	update_config 'del(.hooks) | .linux.resources.unified = {"cgroup.freeze": "1"}'
	run_bounded create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "create with a frozen init succeeded"
	run timeout -k 5 20 "$HUSK" --root "$ROOT" delete -f "$ID"
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "delete --force hung after a create killed with its init frozen"
	assert_no_trace
}

@test "cgroups: v2: blockIO.weightDevice goes to io.bfq.weight only; without BFQ it is skipped with a warning, as runc" {
	cg_v2 || skip "cgroup v2 only: v1 has blkio.weight_device (tests/vm/run-cgroup-v2.sh runs this)"
	make_loop_device
	local bfq=
	if grep -qw bfq "/sys/block/${LOOP#/dev/}/queue/scheduler"; then
		echo bfq >"/sys/block/${LOOP#/dev/}/queue/scheduler"
		bfq=1
	fi
	run_with_resources "$(jq -n --argjson maj "${LOOP_DEV%:*}" --argjson min "${LOOP_DEV#*:}" \
		'{blockIO: {weight: 500, weightDevice: [{major: $maj, minor: $min, weight: 300}]}}')"
	local io
	io=$(cg_dir io)
	if [ -n "$bfq" ]; then
		grep -qx "$LOOP_DEV 300" "$io/io.bfq.weight" || fail "io.bfq.weight: $(cat "$io/io.bfq.weight")"
	else
		# per-device io.weight needs blk-iocost on the device (EOPNOTSUPP): runc writes weight devices to BFQ only
		! grep -q "^$LOOP_DEV " "$io/io.weight" || fail "io.weight: $(cat "$io/io.weight")"
		grep -qx "default 4950" "$io/io.weight" || fail "io.weight: $(cat "$io/io.weight")"
		[ "$RUNTIME" != husk ] || grep -q "blockIO.weightDevice $LOOP_DEV ignored: .*BFQ" "$TMP/$ID.err" ||
			fail "no warning: $(cat "$TMP/$ID.err")"
	fi
}

@test "cgroups: a cpu burst above the quota is refused before anything is written, at create and update" {
	husk_only "runc 1.1 has no cpu burst (it ignores the field)"
	set_args sleep 600
	update_config '.linux.resources.cpu = {"quota": 50000, "period": 100000, "burst": 80000}'
	run_bounded create --bundle "$BUNDLE" "$ID"
	assert_status 1
	assert_output_contains "config.json: linux.resources.cpu.burst \`80000\` is larger than cpu.quota \`50000\`"
	[ "$(wc -l <<<"$output")" -eq 1 ] || fail "more than one line"
	assert_no_trace

	update_config 'del(.linux.resources.cpu) | .linux.resources.pids = {"limit": 50}'
	husk_run_detached
	cg_has $(cg_burst_file) || skip "no cpu burst in this kernel"
	# quota and burst given: the quota
	run husk update --cpu-quota 50000 --cpu-burst 80000 --pids-limit 7 "$ID"
	assert_status 1
	assert_output_contains "linux.resources.cpu.burst \`80000\` is larger than cpu.quota \`50000\`"
	assert_cpu_max -1 100000
	# shellcheck disable=SC2046
	assert_cg $(cg_burst_file) 0
	assert_cg pids pids.max 50
	# burst alone: the quota in force
	husk update --cpu-quota 50000 "$ID"
	run husk update --cpu-burst 80000 "$ID"
	assert_status 1
	assert_output_contains "linux.resources.cpu.burst \`80000\` is larger than the cpu quota in force \`50000\`"
	echo '{"cpu": {"burst": 80000}, "pids": {"limit": 7}}' >"$TMP/r.json"
	run husk update -r "$TMP/r.json" "$ID"
	assert_status 1
	assert_output_contains "cpu.burst \`80000\` is larger than the cpu quota in force \`50000\`"
	assert_cg pids pids.max 50
	# shellcheck disable=SC2046
	assert_cg $(cg_burst_file) 0
	husk update --cpu-burst 40000 "$ID"
	# shellcheck disable=SC2046
	assert_cg $(cg_burst_file) 40000
	assert_cpu_max 50000 100000
}

# A pod manager makes the pod's cgroup with plain mkdir, so on v1 its cpuset.cpus and cpuset.mems are empty and no
# task could join below it: runc fills each empty level on the way down from the nearest ancestor that has them.
@test "cgroups: a parent made with plain mkdir (empty cpuset.cpus and cpuset.mems, v1) is filled from above" {
	cg_v2 && skip "cgroup v1 only: on cgroup v2 an empty cpuset.cpus means the parent's"
	local pod=/$ID-pod h d
	local parent=$pod/$ID-sub
	for h in $(cg_v1_hierarchies); do
		mkdir -p "$h$parent"
	done
	[ -z "$(cat "/sys/fs/cgroup/cpuset$pod/cpuset.cpus")" ] && [ -z "$(cat "/sys/fs/cgroup/cpuset$parent/cpuset.mems")" ] ||
		skip "this host fills new cpusets itself (cgroup.clone_children)"
	# runc's "update cpu period in a pod cgroup with pod limit set": the pod may use half a CPU
	echo 50000 >"/sys/fs/cgroup/cpu$pod/cpu.cfs_quota_us"
	update_config '.linux.cgroupsPath = $p' --arg p "$parent/$ID"
	set_args sleep 600
	husk_run_detached

	[ "$(cg_dir cpuset)" = "/sys/fs/cgroup/cpuset$parent/$ID" ]
	local cpus mems
	cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)
	mems=$(cat /sys/fs/cgroup/cpuset/cpuset.mems)
	for d in "$pod" "$parent" "$parent/$ID"; do
		[ "$(cat "/sys/fs/cgroup/cpuset$d/cpuset.cpus")" = "$cpus" ] || fail "$d: cpuset.cpus not filled"
		[ "$(cat "/sys/fs/cgroup/cpuset$d/cpuset.mems")" = "$mems" ] || fail "$d: cpuset.mems not filled"
	done
	# The pod's limit binds the container: above half a CPU is refused, 30% with a smaller period is not.
	local period
	period=$(cg_get cpu cpu.cfs_period_us)
	run husk update --cpu-quota $((period * 6 / 10)) "$ID"
	assert_status 1
	husk update --cpu-period 10000 --cpu-quota 3000 "$ID"
	assert_cpu_max 3000 10000

	# delete removes the container's cgroup, not the levels it found: those keep their filled cpusets (as runc)
	husk kill "$ID" KILL
	wait_for_status stopped
	husk delete "$ID"
	for h in $(cg_v1_hierarchies); do
		[ ! -e "$h$parent/$ID" ] || fail "delete left $h$parent/$ID"
		[ -d "$h$parent" ] || fail "delete removed $h$parent, which it did not make"
	done
	[ "$(cat "/sys/fs/cgroup/cpuset$parent/cpuset.cpus")" = "$cpus" ]
	[ "$(cat "/sys/fs/cgroup/cpuset$pod/cpuset.mems")" = "$mems" ]
	for h in $(cg_v1_hierarchies); do
		rmdir "$h$parent" "$h$pod"
	done
}

# Since Linux 6.2 joining a cpuset no longer resets a task's CPU mask: one set with sched_setaffinity (taskset, a
# systemd unit's CPUAffinity=) is kept, intersected with the new cpuset. So the container process asks for all CPUs
# before it joins, and runs where its cpuset allows, not where husk's caller was pinned. Pinned to CPU 0 of a
# cpuset that has both, it must get both (a cpuset without the pinned CPU would hide the bug: the kernel falls
# back to the whole cpuset when the intersection is empty).
@test "cgroups: the container runs on its cpuset's CPUs, not on those husk's caller was pinned to (run and exec)" {
	skip_on_runc "1.1 hands its caller's CPU affinity to the container (runc fixed that in 2025, its #4858)"
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	local all
	all=$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)
	taskset -pc 0 "$BASHPID" >/dev/null
	[ "$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)" = 0 ]

	container_run checker status Cpus_allowed_list
	assert_status 0
	[ "$(kv Cpus_allowed_list)" = "$all" ] || fail "run: the container runs on $(kv Cpus_allowed_list), not $all"

	set_args sleep 600
	husk_run_detached
	[ "$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$(container_pid)/status")" = "$all" ] || fail "run -d: not on $all"
	run husk exec "$ID" checker status Cpus_allowed_list </dev/null
	assert_status 0
	[ "$(kv Cpus_allowed_list)" = "$all" ] || fail "exec: the process runs on $(kv Cpus_allowed_list), not $all"
}

@test "pause and resume: the freezer stops every process, state and list say paused" {
	set_args sh -c 'sleep 600 & exec sleep 601'
	husk_run_detached
	pid=$(container_pid)
	retry 50 0.05 count_at_least 2 wc -l "$(cg_dir pids)/cgroup.procs"
	others=$(grep -vx "$pid" "$(cg_dir pids)/cgroup.procs")

	husk pause "$ID"
	[ "$(container_status)" = paused ]
	husk list --format json | jq -e --arg id "$ID" '.[] | select(.id == $id) | .status == "paused"'
	cg_frozen
	# A frozen task sleeps in the freezer: uninterruptible (D) under the v1 freezer, interruptible (S) under
	# v2's, which parks tasks in a signal-stop-like trap; never running.
	if cg_v2; then want=S; else want=D; fi
	for p in $pid $others; do
		[ "$(proc_state "$p")" = "$want" ] || fail "pid $p is in state $(proc_state "$p") while frozen, want $want"
	done
	# a frozen process does not die of SIGTERM until thawed, and it is still there
	kill -0 "$pid"

	run husk pause "$ID"
	assert_status 1
	assert_output_contains "container not running"

	husk resume "$ID"
	[ "$(container_status)" = running ]
	! cg_frozen
	[ "$(proc_state "$pid")" = S ]
	run husk resume "$ID"
	assert_status 1
	assert_output_contains "container not paused"

	# update works on a paused container
	husk pause "$ID"
	husk update --pids-limit 55 "$ID"
	assert_cg pids pids.max 55
	husk resume "$ID"

	husk kill "$ID" KILL
	wait_for_status stopped
	run husk pause "$ID"
	assert_status 1
	assert_output_contains "container not running"
	run husk resume "$ID"
	assert_status 1
	assert_output_contains "container not paused"
	run husk pause nosuchcontainer
	assert_status 1
	assert_output_contains "does not exist"
}

# containerd and docker delete paused containers with --force. Under the v1 freezer a frozen init dies of
# SIGKILL only once thawed: husk used to signal it, then wait the whole 10 s for it before thawing.
@test "pause and resume: delete --force of a paused container kills and thaws it at once, leaving nothing" {
	set_args sh -c 'sleep 600 & exec sleep 601'
	husk_run_detached
	local pid
	pid=$(container_pid)
	retry 50 0.05 count_at_least 2 wc -l "$(cg_dir pids)/cgroup.procs"
	husk pause "$ID"
	[ "$(container_status)" = paused ]
	run --separate-stderr husk delete --force "$ID"
	assert_status 0
	[[ "$stderr" != *"did not exit"* ]] || fail "delete waited for a frozen init: $stderr"
	# Gone, or dead and not yet reaped by whoever is its parent here.
	[ ! -e "/proc/$pid" ] || [ "$(proc_state "$pid")" = Z ] || fail "the init $pid is still there"
	assert_no_trace
}

# A cgroup someone else made and froze: the init would hang in it (runc: "container's cgroup unexpectedly frozen").
@test "cgroups: create and run refuse a pre-existing frozen cgroup and leave it as it was" {
	local cg=/$ID dir cmd
	dir=$(cg_freezer_dir "$cg")
	update_config '.linux.cgroupsPath = $p' --arg p "$cg"
	set_args sleep 600
	mkdir "$dir"
	cg_set_frozen "$dir" 1
	for cmd in "run -d" create; do
		# shellcheck disable=SC2086
		run_bounded $cmd --bundle "$BUNDLE" "$ID"
		[ "$status" -eq 1 ] || fail "$cmd in a frozen cgroup: exit $status"
		assert_output_contains "frozen"
		[ "$RUNTIME" != husk ] || assert_output_contains "\`$dir\`"
		# nothing made or started, and the cgroup is as it was: there, frozen, empty
		[ ! -e "$ROOT/$ID" ] || fail "$cmd left its state dir"
		cg_dir_frozen "$dir" || fail "$cmd thawed the cgroup"
		[ -z "$(cat "$dir/cgroup.procs")" ] || fail "$cmd left processes in it: $(cat "$dir/cgroup.procs")"
		[ "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$ID" 2>/dev/null)" = "$dir" ] ||
			fail "$cmd made cgroups: $(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$ID")"
	done
	# Thawed, the same cgroup takes the container.
	cg_set_frozen "$dir" 0
	husk_run_detached
	[ "$(cg_dir freezer)" = "$dir" ]
	[ "$(container_status)" = running ]
}

# A cgroup that already holds someone else's process: kill --all and delete would signal it too (runc 1.2: "container's
# cgroup is not empty").
@test "cgroups: create and run refuse a pre-existing cgroup that holds a process, and leave both as they were" {
	skip_on_runc "1.1 only warns (1.2 refuses)"
	local cg=/$ID dir cmd pid
	dir=$(cg_freezer_dir "$cg")
	update_config '.linux.cgroupsPath = $p' --arg p "$cg"
	set_args sleep 600
	mkdir "$dir"
	sleep 600 </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	BACKGROUND_PIDS+=("$pid")
	echo "$pid" >"$dir/cgroup.procs"
	for cmd in "run -d" create; do
		# shellcheck disable=SC2086
		run_bounded $cmd --bundle "$BUNDLE" "$ID"
		[ "$status" -eq 1 ] || fail "$cmd in an occupied cgroup: exit $status"
		assert_output_contains "container's cgroup is not empty: \`$dir\` holds 1 process (pid $pid)"
		[ ! -e "$ROOT/$ID" ] || fail "$cmd left its state dir"
		kill -0 "$pid" || fail "$cmd killed the process it found"
		[ "$(cat "$dir/cgroup.procs")" = "$pid" ] || fail "the cgroup holds: $(cat "$dir/cgroup.procs")"
		[ "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$ID" 2>/dev/null)" = "$dir" ] ||
			fail "$cmd left cgroups: $(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$ID")"
	done
	# Emptied, the same cgroup takes the container.
	kill "$pid"
	wait "$pid" || true
	husk_run_detached
	[ "$(container_status)" = running ]
}

# A build tool or pod manager may name its own parent cgroup as the container's (buildah does, given a cgroup
# parent). On v1 the kernel then refuses the device rules' first write (deny all) with a bare EINVAL once that
# cgroup has children: husk says why, and leaves what it found (runc 1.1 removes the child cgroups too).
@test "cgroups: v1: a cgroupsPath that has child cgroups is refused, saying why, and left as it was" {
	cg_v2 && skip "cgroup v1 only: v2 filters devices with BPF, which children do not hinder"
	skip_on_runc "1.1 removes the child cgroups it found there"
	local cg=/$ID h
	update_config '.linux.cgroupsPath = $p' --arg p "$cg"
	for h in $(cg_v1_hierarchies); do
		mkdir -p "$h$cg/$ID-kid"
	done
	container_run true
	[ "$status" -ne 0 ] || fail "run succeeded"
	assert_output_contains "cgroup v1 refuses to narrow the device rules of a cgroup that has child cgroups (\`$ID-kid\`)"
	assert_output_contains "linux.cgroupsPath"
	[ ! -e "$ROOT/$ID" ] || fail "run left its state dir"
	for h in $(cg_v1_hierarchies); do
		[ -d "$h$cg/$ID-kid" ] || fail "$h$cg/$ID-kid was removed"
	done
}

# A container with its own cgroup namespace and a writable cgroup mount (systemd in a container) makes sub-cgroups
# as deep as it likes (cgroup v1 has no cgroup.max.depth) and puts a process at the bottom: delete --force kills
# it and removes every level (husk stopped at 64 levels and failed for good, leaving the cgroups and the state).
@test "cgroups: delete --force removes sub-cgroups the container nested 100 deep, and what runs at the bottom" {
	local cg=/$ID depth=100 h deep
	# No pid namespace: the processes at the bottom outlive the init.
	update_config '.linux.cgroupsPath = $p | .linux.namespaces |= map(select(.type != "pid")) |
		.linux.namespaces += [{"type": "cgroup"}] |
		.mounts |= map(if .destination == "/sys/fs/cgroup" then .options = ["nosuid", "noexec", "nodev", "rw"]
			else . end)' --arg p "$cg"
	# cgroup2 (the v2 VM) where it is mounted, else two v1 hierarchies; sleeps at the bottom of each
	set_args sh -c '
		nest() {
			cd "$1" || exit 1
			i=0
			while [ $i -lt '"$depth"' ]; do mkdir d && cd d || exit 1; i=$((i + 1)); done
			sleep 600 &
			echo $! >cgroup.procs
		}
		if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
			nest /sys/fs/cgroup
		else
			(nest /sys/fs/cgroup/pids) && (nest /sys/fs/cgroup/memory)
		fi
		exec sleep 600'
	husk_run_detached
	local hierarchies=memory
	cg_v2 || hierarchies="pids memory"
	for h in $hierarchies; do
		deep=$(cg_dir "$h")$(printf '/d%.0s' $(seq "$depth"))
		retry 100 0.05 count_at_least 1 wc -l "$deep/cgroup.procs" || fail "no process at the bottom of $h"
	done
	# Fewer fds than levels: a walk that keeps one open per level runs out.
	run bash -c 'ulimit -n 64 && exec "$@"' sh "$HUSK" --root "$ROOT" delete --force "$ID"
	assert_status 0
	assert_no_trace
	for h in $(cg_v1_hierarchies) /sys/fs/cgroup; do
		[ ! -e "$h$cg" ] || fail "$h$cg is left"
	done
}

# start_self_frozen INIT_END: a container with its own cgroup namespace, a writable cgroup mount and cgroupsPath /$ID
# freezes sub-cgroups of its own, each holding a `sleep`: `sub`, one 100 levels below it and `sub2` (freezer.state,
# cgroup.freeze on cgroup2), then runs INIT_END. Sets FROZEN_DIRS to their host directories and FROZEN_PIDS to the
# sleeps.
start_self_frozen() {
	local deep d
	deep=sub$(printf '/d%.0s' $(seq 100))
	update_config '.linux.cgroupsPath = $p | .linux.namespaces += [{"type": "cgroup"}] |
		.mounts |= map(if .destination == "/sys/fs/cgroup" then .options = ["nosuid", "noexec", "nodev", "rw"]
			else . end)' --arg p "/$ID"
	set_args sh -c '
		if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
			root=/sys/fs/cgroup file=cgroup.freeze value=1
		else
			root=/sys/fs/cgroup/freezer file=freezer.state value=FROZEN
		fi
		for d in sub '"$deep"' sub2; do
			mkdir -p "$root/$d" || exit 1
			sleep 600 &
			echo $! >"$root/$d/cgroup.procs" || exit 1
		done
		# the deepest first: on v1 it keeps a freeze of its own (freezer.self_freezing) when `sub` freezes
		for d in '"$deep"' sub sub2; do
			echo "$value" >"$root/$d/$file" || exit 1
		done
		'"$1"
	husk_run_detached
	FROZEN_DIRS=() FROZEN_PIDS=()
	for d in sub "$deep" sub2; do
		d=$(cg_freezer_dir "/$ID")/$d
		retry 100 0.05 cg_dir_frozen "$d" || fail "the container did not freeze $d"
		FROZEN_DIRS+=("$d")
		FROZEN_PIDS+=("$(cat "$d/cgroup.procs")")
	done
}

# delete_self_frozen ARGS...: delete ARGS "$ID" with fewer fds than levels (a walk that keeps one open per level
# runs out), given up after 20s; fails unless it succeeds within 5s.
delete_self_frozen() {
	local t0=$SECONDS what="delete${*:+ $*}"
	run bash -c 'ulimit -n 64 && exec timeout -k 5 20 "$@"' sh "$HUSK" --root "$ROOT" delete "$@" "$ID" 3>&-
	[ "$status" -eq 0 ] || fail "$what: exit $status after $((SECONDS - t0))s: $output"
	[[ "$output" != *"did not exit"* ]] || fail "$what waited for the init: $output"
	[ $((SECONDS - t0)) -lt 5 ] || fail "$what took $((SECONDS - t0))s"
}

# The frozen sleeps of start_self_frozen are gone (or dead and not yet reaped by whoever is their parent here), and
# so is every trace of the container.
assert_self_frozen_gone() {
	local d pid
	assert_no_trace
	for d in "${FROZEN_DIRS[@]}"; do
		[ ! -e "$d" ] || fail "$d is left"
	done
	for pid in "${FROZEN_PIDS[@]}"; do
		[ ! -e "/proc/$pid" ] || [ "$(proc_state "$pid")" = Z ] || fail "the frozen sleep $pid is still there"
	done
}

# A v1-frozen task dies of SIGKILL only once thawed, and the init of a pid namespace cannot finish exiting while
# another process in it has not: thawing the container's own cgroup does not thaw a sub-cgroup that froze itself
# (freezer.self_freezing), so delete waited for the init and then for the cgroup, and failed, keeping both.
@test "cgroups: delete --force ends a container that froze sub-cgroups of its own, leaving nothing" {
	skip_on_runc "1.1 waits for the init, which waits for the frozen sleeps: \"container init still running\""
	start_self_frozen 'exec sleep 601'
	delete_self_frozen --force
	assert_self_frozen_gone
}

# Without a pid namespace what the init started outlives it; removing the cgroup kills it, frozen or not.
@test "cgroups: delete removes what a stopped container left frozen in sub-cgroups of its own (no pid namespace)" {
	skip_on_runc "1.1 removes the state but leaves the cgroups that the frozen sleeps hold"
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	start_self_frozen 'exit 0'
	wait_for_status stopped
	delete_self_frozen
	assert_self_frozen_gone
}

# Someone moved the init into a freezer cgroup of their own and froze it (crun's test_simple_delete does): SIGKILL
# waits for a thaw. delete --force cannot finish then; it says which process holds the cgroup, within one wait
# (it waited 3s per hierarchy), and keeps the container so that a delete after the thaw removes everything.
@test "cgroups: v1: delete --force of an init frozen in another freezer cgroup fails naming it, and works once thawed" {
	cg_v2 && skip "cgroup v1 only: a cgroup2 process is in one cgroup, which holds the freezer too"
	skip_on_runc "1.1 says \"container init still running\", without naming the process"
	local elsewhere=/sys/fs/cgroup/freezer/$ID-elsewhere pid
	set_args sleep 600
	husk_run_detached
	pid=$(container_pid)
	mkdir "$elsewhere"
	echo "$pid" >"$elsewhere/cgroup.procs"
	cg_set_frozen "$elsewhere" 1
	local t0=$SECONDS
	run_bounded delete --force "$ID"
	[ "$status" -eq 1 ] || fail "delete --force of a frozen init: exit $status: $output"
	[ $((SECONDS - t0)) -lt 19 ] || fail "delete --force took $((SECONDS - t0))s"
	assert_output_contains "Device or resource busy"
	assert_output_contains "(process $pid is still in it)"
	[ -d "$ROOT/$ID" ] || fail "the failed delete removed the container's state"
	cg_set_frozen "$elsewhere" 0
	run_bounded delete --force "$ID"
	[ "$status" -eq 0 ] || fail "delete --force after the thaw: exit $status: $output"
	rmdir "$elsewhere"
	assert_no_trace
}

@test "cgroups: create refuses a cgroup below a frozen parent, made or not" {
	skip_on_runc "1.1 checks the container's own cgroup only (freezer.self_freezing, cgroup.freeze): the init hangs"
	local parent=/$ID-parent dir
	dir=$(cg_freezer_dir "$parent")
	update_config '.linux.cgroupsPath = $p' --arg p "$parent/$ID"
	set_args sleep 600
	mkdir "$dir"
	cg_set_frozen "$dir" 1
	run_bounded create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ] || fail "create below a frozen parent: exit $status"
	assert_output_contains "frozen"
	assert_output_contains "\`$dir\`"
	assert_no_trace
	cg_dir_frozen "$dir"
	# The container's own cgroup made (empty, not frozen itself), the parent still freezes it.
	mkdir "$dir/$ID"
	run_bounded run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ] || fail "run below a frozen parent: exit $status"
	assert_output_contains "frozen"
	[ ! -e "$ROOT/$ID" ]
	[ -d "$dir/$ID" ] || fail "run removed the cgroup it found"
	[ -z "$(cat "$dir/$ID/cgroup.procs")" ]
}

@test "cgroups: on a hybrid host, create refuses a cgroup frozen in the cgroup2 hierarchy too" {
	[ "$CG_LAYOUT" = hybrid ] || skip "a hybrid host only (v1 controllers plus cgroup2 at /sys/fs/cgroup/unified)"
	skip_on_runc "1.1 looks at the v1 freezer only"
	local dir=/sys/fs/cgroup/unified/$ID
	update_config '.linux.cgroupsPath = $p' --arg p "/$ID"
	set_args sleep 600
	mkdir "$dir"
	cg_set_frozen "$dir" 1
	run_bounded create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ] || fail "create in a frozen cgroup2 cgroup: exit $status"
	assert_output_contains "\`$dir\`"
	[ ! -e "$ROOT/$ID" ]
	[ "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$ID" 2>/dev/null)" = "$dir" ]
	cg_dir_frozen "$dir"
}

# An ancestor cgroup frozen by someone else holds the container frozen: it is paused (runc 1.1 reads its own
# freezer.self_freezing and says running), and neither pause nor resume can change that. resume wrote THAWED, exited
# 0 and left it frozen; pause said "container not running". Both now name the cgroup to thaw.
@test "pause and resume: v1: a container frozen through an ancestor cgroup is paused, and pause and resume name it" {
	cg_v2 && skip "cgroup v1 only: the inherited freeze of the v1 freezer (freezer.self_freezing)"
	skip_on_runc "1.1 calls such a container running, and its resume exits 0 while the container stays frozen"
	local parent=/$ID-parent dir
	dir=$(cg_freezer_dir "$parent")
	update_config '.linux.cgroupsPath = $p' --arg p "$parent/$ID"
	set_args sleep 600
	husk_run_detached
	# (the teardown thaws and removes the parent, named after the id, also when this test fails)
	cg_set_frozen "$dir" 1
	[ "$(container_status)" = paused ]
	run husk resume "$ID"
	assert_status 1
	assert_output_contains "container's cgroup still frozen: \`freezer.state\` of \`$dir\` (an ancestor) is \`FROZEN\`"
	[ "$(container_status)" = paused ]
	cg_frozen || fail "resume thawed a cgroup its ancestor freezes"
	run husk pause "$ID"
	assert_status 1
	assert_output_contains "container's cgroup frozen from outside: \`freezer.state\` of \`$dir\` (an ancestor)"

	# Its own pause under the ancestor's freeze: resume lifts it, and says what still holds the container.
	cg_set_frozen "$dir" 0
	[ "$(container_status)" = running ]
	husk pause "$ID"
	cg_set_frozen "$dir" 1
	run husk resume "$ID"
	assert_status 1
	assert_output_contains "\`$dir\` (an ancestor)"
	[ "$(cat "$(cg_dir freezer)/freezer.self_freezing")" = 0 ] || fail "resume kept the container's own freeze"
	cg_set_frozen "$dir" 0
	[ "$(container_status)" = running ]
	! cg_frozen
	run husk resume "$ID"
	assert_status 1
	assert_output_contains "container not paused"
}

# A v1 freeze stays FREEZING while a task sleeps where it cannot be frozen. runc's state waits for the freezer to
# settle; husk calls it paused at once (it said running, and resume refused with "container not paused", though the
# cgroup was on its way to frozen).
@test "pause and resume: v1: a freeze under way (FREEZING) reads as paused, and resume thaws it" {
	cg_v2 && skip "cgroup v1 only: FREEZING is the v1 freezer's state (cgroup2 has cgroup.freeze 1, frozen 0)"
	skip_on_runc "1.1's state waits until the freeze has settled, here for ever"
	[ -c /dev/fuse ] || skip "no /dev/fuse"
	set_args sleep 600
	husk_run_detached
	local dir daemon reader writer
	dir=$(cg_dir freezer)
	mkdir "$TMP/fuse"
	# A FUSE mount whose daemon never answers: a lookup there waits (freezably) holding its directory's lock, and
	# a mkdir waits for that lock, which no freezer interrupts. The daemon's end aborts the connection and frees
	# both; the teardown unmounts what is under $TMP.
	cat >"$TMP/fuse.py" <<-'EOF2'
		import ctypes, os, signal, sys
		libc = ctypes.CDLL(None, use_errno=True)
		fd = os.open("/dev/fuse", os.O_RDWR)
		opts = ("fd=%d,rootmode=40000,user_id=0,group_id=0" % fd).encode()
		if libc.mount(b"husk-test", sys.argv[1].encode(), b"fuse", 0, opts) != 0:
		    sys.exit("mount fuse: " + os.strerror(ctypes.get_errno()))
		open(sys.argv[2], "w").close()
		signal.pause()
	EOF2
	python3 "$TMP/fuse.py" "$TMP/fuse" "$TMP/fuse.ready" &
	daemon=$!
	BACKGROUND_PIDS+=("$daemon")
	retry 100 0.05 test -e "$TMP/fuse.ready"
	cat "$TMP/fuse/x" >/dev/null 2>&1 &
	reader=$!
	BACKGROUND_PIDS+=("$reader")
	retry 100 0.05 proc_state_is "$reader" D
	mkdir "$TMP/fuse/y" 2>/dev/null &
	writer=$!
	BACKGROUND_PIDS+=("$writer")
	retry 100 0.05 proc_state_is "$writer" D
	echo "$writer" >"$dir/cgroup.procs"
	echo FROZEN >"$dir/freezer.state"
	[ "$(cat "$dir/freezer.state")" = FREEZING ] || fail "freezer.state: $(cat "$dir/freezer.state")"
	[ "$(container_status)" = paused ]
	husk resume "$ID"
	[ "$(cat "$dir/freezer.state")" = THAWED ]
	[ "$(container_status)" = running ]
	kill "$daemon"
	wait "$reader" "$writer" || true
}

@test "pause and resume: a created container is either paused for real or refused, never left unstartable" {
	set_args sleep 600
	husk_create
	if husk pause "$ID" 2>"$TMP/pause.err"; then
		# runc: paused, start refused until resume
		cg_frozen
		[ "$(container_status)" = paused ]
		run timeout 10 "$HUSK" --root "$ROOT" start "$ID"
		[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "start of a paused created container: exit $status"
		assert_output_contains "paused state" # runc's words (husk said "already running")
		husk resume "$ID"
		! cg_frozen
		[ "$(container_status)" = created ]
	else
		# husk for now (see resources.c): refused, and nothing changed
		grep -q "container not running" "$TMP/pause.err"
		! cg_frozen
		[ "$(container_status)" = created ]
	fi
	timeout 10 "$HUSK" --root "$ROOT" start "$ID"
	wait_for_status running
}

@test "ps: json lists the container's pids, table filters ps(1) to them" {
	set_args sh -c 'sleep 600 & exec sleep 601'
	husk_run_detached
	pid=$(container_pid)
	retry 50 0.05 count_at_least 2 wc -l "$(cg_dir pids)/cgroup.procs"
	child=$(grep -vx "$pid" "$(cg_dir pids)/cgroup.procs")

	run --separate-stderr husk ps -f json "$ID"
	assert_status 0
	[ "$(jq -c 'sort' <<<"$output")" = "$(jq -nc --argjson a "$pid" --argjson b "$child" '[$a, $b] | sort')" ] ||
		fail "ps -f json"

	run --separate-stderr husk ps "$ID"
	assert_status 0
	[[ "${lines[0]}" == UID*PID* ]] || fail "no ps -ef header"
	[ "${#lines[@]}" -eq 3 ] || fail "ps should list the header and 2 processes"
	awk 'NR > 1 { print $2 }' <<<"$output" | sort >"$TMP/got"
	printf '%s\n' "$pid" "$child" | sort >"$TMP/want"
	diff "$TMP/want" "$TMP/got"

	# options after the id go to ps(1)
	run --separate-stderr husk ps "$ID" -o pid,comm
	assert_status 0
	[[ "${lines[0]}" == *PID*COMMAND* ]] || fail "ps -o pid,comm header"
	[ "$(awk -v p="$pid" '$1 == p { print $2 }' <<<"$output")" = sleep ]

	run husk ps "$ID" -o comm
	assert_status 1
	assert_output_contains "PID"
	run husk ps -f yaml "$ID"
	assert_status 1

	husk kill "$ID" KILL
	wait_for_status stopped
	run --separate-stderr husk ps -f json "$ID"
	assert_status 0
	[ "$output" = null ]
}

@test "kill --all: reaches every process of the container, plain kill only the init" {
	add_shared_dir
	set_args sh -c '(trap "echo bg > /shared/bg; exit 0" USR1; while :; do sleep 0.05; done) &
		trap "echo init >> /shared/init" USR1; echo > /shared/ready; while :; do sleep 0.05; done'
	husk_run_detached
	retry 100 0.05 test -e "$TMP/shared/ready"
	sleep 0.2

	husk kill "$ID" USR1
	retry 100 0.05 test -s "$TMP/shared/init"
	sleep 0.3
	[ ! -e "$TMP/shared/bg" ] || fail "plain kill reached a background process"

	husk kill --all "$ID" USR1
	# The trap's redirection makes the file before echo writes it: wait for the word.
	retry 100 0.05 grep -qx bg "$TMP/shared/bg"
	[ "$(container_status)" = running ]

	husk kill -a "$ID" KILL
	wait_for_status stopped
}

# runc freezes the cgroup while it signals it; a list read and then signalled lets forks in between escape.
@test "kill --all: no process forks past it (the cgroup is frozen while it is signalled)" {
	update_config '.linux.namespaces |= map(select(.type != "pid")) | .linux.resources.pids = {"limit": 1000}'
	add_shared_dir
	# Sleeps first, then forkers: the list (in pid order) has the forkers after the sleeps, and they go on
	# forking while those are being signalled. (Not `husk exec` to see that they run: at the pids limit,
	# an exec cannot join the cgroup.)
	set_args sh -c 'for i in $(seq 200); do sleep 600 & done; for i in 1 2 3 4; do (while :; do sleep 600 & done) & done; echo > /shared/forking; wait'
	husk_run_detached
	retry 200 0.05 test -e "$TMP/shared/forking"
	sleep 0.2
	husk kill --all "$ID" KILL
	retry 100 0.05 cgroup_empty || fail "processes forked past kill --all: $(husk ps -f json "$ID" | head -c 300)"
}

@test "kill --all: a paused container stays paused for a signal it handles, and SIGKILL ends it" {
	skip_on_runc "1.1 thaws a paused container after kill --all, whatever the signal"
	add_shared_dir
	set_args sh -c 'trap "echo term >> /shared/term" TERM; echo > /shared/ready; while :; do sleep 0.05; done'
	husk_run_detached
	retry 100 0.05 test -e "$TMP/shared/ready"
	husk pause "$ID"
	husk kill --all "$ID" TERM
	sleep 0.3
	[ "$(container_status)" = paused ] || fail "kill --all thawed the container: $(container_status)"
	[ ! -e "$TMP/shared/term" ] || fail "a frozen process ran its handler"
	husk resume "$ID"
	retry 100 0.05 test -s "$TMP/shared/term" || fail "the signal was lost"

	husk pause "$ID"
	husk kill --all "$ID" KILL
	wait_for_status stopped
}

# podman kill and docker kill of a paused container send SIGKILL to the init alone (no --all): under the v1
# freezer it would stay frozen with the signal pending, and podman times out waiting for its exit.
@test "kill: SIGKILL ends a paused container, a signal it handles leaves it paused" {
	add_shared_dir
	set_args sh -c 'trap "echo term >> /shared/term" TERM; echo > /shared/ready; while :; do sleep 0.05; done'
	husk_run_detached
	retry 100 0.05 test -e "$TMP/shared/ready"
	husk pause "$ID"
	husk kill "$ID" TERM
	sleep 0.3
	[ "$(container_status)" = paused ] || fail "kill TERM thawed the container: $(container_status)"
	[ ! -e "$TMP/shared/term" ] || fail "a frozen process ran its handler"

	husk kill "$ID" KILL
	wait_for_status stopped
	husk delete "$ID"
	assert_no_trace
}

cgroup_empty() {
	run husk ps -f json "$ID"
	[ "$status" -eq 0 ] && { [ "$output" = null ] || [ "$output" = "[]" ]; }
}

# containerd's shim, once an init without a pid namespace of its own has exited, runs `kill --all ID 9` for
# what it left behind: runc and crun signal the cgroup then, and so must husk.
@test "kill --all: reaches what a stopped container's init left behind (no pid namespace)" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	local marker="left-behind-$ID"
	set_args sh -c "sh -c 'sleep 600; : $marker' & exec true"
	husk_run_detached
	wait_for_status stopped
	retry 100 0.05 marker_alive "$marker" || fail "the background process is not there"

	husk kill --all "$ID" KILL
	retry 100 0.05 not marker_alive "$marker" || fail "kill --all left the background process"
	# A plain kill has no init to signal. (Not SIGKILL: without a pid namespace of its own husk sends that to the
	# whole cgroup, also once stopped, as runc 1.2; see lifecycle.bats.)
	run husk kill "$ID" TERM
	assert_status 1
	assert_output_contains "container not running"
	# nothing left: still fine, as in runc
	husk kill --all "$ID" KILL
	husk delete "$ID"
	husk kill --all "$ID" KILL 2>/dev/null && fail "kill --all of a deleted container succeeded"
	true
}

@test "events --stats: one runc-shaped stats event" {
	run_with_resources '{"memory": {"limit": 104857600}, "pids": {"limit": 42}}'
	run --separate-stderr husk events --stats "$ID"
	assert_status 0
	[ "${#lines[@]}" -eq 1 ]
	ev=$output
	jq -e --arg id "$ID" '.type == "stats" and .id == $id' <<<"$ev"
	# runc's types.Stats field names, as containerd and go-runc decode them
	jq -e '.data | has("cpu") and has("cpuset") and has("memory") and has("pids") and has("blkio") and has("hugetlb")
		and has("intel_rdt") and has("network_interfaces")' <<<"$ev"
	jq -e '.data.cpu.usage | has("kernel") and has("user") and (.total > 0)' <<<"$ev"
	jq -e '.data.cpu | has("throttling")' <<<"$ev"
	jq -e '.data.memory.usage | .limit == 104857600 and .usage > 0 and has("failcnt")' <<<"$ev"
	jq -e '.data.memory | has("swap") and has("kernel") and has("kernelTCP") and (.raw | type == "object")' <<<"$ev"
	jq -e '.data.pids.current == 1 and .data.pids.limit == 42' <<<"$ev"
	jq -e '.data.hugetlb | type == "object"' <<<"$ev"
	if cg_v2; then
		jq -e '.data.memory.raw | has("anon") and has("file")' <<<"$ev"
	else
		jq -e '.data.memory.raw | has("rss") and has("cache")' <<<"$ev"
	fi

	run husk events --stats nosuchcontainer
	assert_status 1
	husk kill "$ID" KILL
	wait_for_status stopped
	run husk events --stats "$ID"
	assert_status 1
	assert_output_contains "is not running"
	run husk events --interval 0s "$ID"
	assert_status 1
	assert_output_contains "greater than 0"
	run husk events --interval 5 "$ID"
	assert_status 1
}

@test "events: streams stats every --interval and an oom event, ends when the container stops" {
	cg_v2 || skip_on_runc "events on cgroup v1 ends only when the cgroup is removed, not when the container stops"
	add_shared_dir
	update_config '.linux.resources.memory = {"limit": 33554432}'
	! cg_swap_accounted || update_config '.linux.resources.memory.swap = 33554432'
	set_args sh -c 'echo > /shared/ready; while [ ! -e /shared/go ]; do sleep 0.05; done
		dd if=/dev/zero of=/dev/null bs=128M count=1; echo > /shared/oomed; exec sleep 600'
	husk_run_detached
	retry 100 0.05 test -e "$TMP/shared/ready"
	"$HUSK" --root "$ROOT" events --interval 300ms "$ID" >"$TMP/events" 2>"$TMP/events.err" 3>&- &
	events_pid=$!
	BACKGROUND_PIDS+=("$events_pid")
	retry 100 0.05 count_at_least 2 grep -c '"type":"stats"' "$TMP/events" || fail "events: $(cat "$TMP/events.err")"
	touch "$TMP/shared/go"
	retry 200 0.05 test -e "$TMP/shared/oomed"
	retry 100 0.05 grep -q '"type":"oom"' "$TMP/events"
	grep -m1 '"type":"oom"' "$TMP/events" | jq -e --arg id "$ID" '.id == $id and (has("data") | not)'

	husk kill "$ID" KILL
	rc=0
	timeout 10 tail --pid="$events_pid" -f /dev/null || rc=$?
	[ "$rc" -eq 0 ] || fail "events did not exit after the container stopped"
	wait "$events_pid" || fail "events exited $?: $(cat "$TMP/events.err")"
	# every line is one JSON event
	jq -se 'all(.type == "stats" or .type == "oom")' "$TMP/events"
}

@test "limits: a fork bomb stops at pids.max and the container survives" {
	add_shared_dir
	update_config '.linux.resources.pids = {"limit": 8}'
	# The forking shell gives up at its first failed fork (busybox sh exits then); its children stay.
	set_args sh -c '(n=0; while [ $n -lt 40 ]; do sleep 600 & n=$((n + 1)); done) 2>/shared/forkerr
		echo > /shared/ready; exec sleep 600'
	husk_run_detached
	retry 200 0.05 test -e "$TMP/shared/ready"
	grep -q "fork" "$TMP/shared/forkerr" || fail "no fork failure: $(cat "$TMP/shared/forkerr")"
	[ "$(container_status)" = running ]
	# init and 6 sleeps: the 8th task (the 7th sleep) was refused, then the forking shell exited
	assert_cg pids pids.current 7
	assert_cg pids pids.max 8
	[ "$(husk ps -f json "$ID" | jq length)" -eq 7 ]
	if cg_v2; then
		[ "$(awk '$1 == "max" { print $2 }' "$(cg_dir pids)/pids.events")" -ge 1 ]
	fi
}

@test "limits: a pids.limit of 0 and a classID of 0 ask a new cgroup for nothing (as with runc)" {
	# No net_cls hierarchy is needed for a classID of 0 (this host has none mounted).
	update_config '.linux.resources = {"pids": {"limit": 0}, "network": {"classID": 0}}'
	set_args sleep 600
	husk_run_detached
	assert_cg pids pids.max max
	# What an update does with them is unchanged: 0 leaves a limit, -1 lifts it.
	husk update --pids-limit 20 "$ID"
	assert_cg pids pids.max 20
	husk update --pids-limit 0 "$ID"
	assert_cg pids pids.max 20
	husk update --pids-limit -1 "$ID"
	assert_cg pids pids.max max
}

@test "limits: a memory hog is OOM-killed at the memory limit and run exits 137, saying why" {
	update_config '.linux.resources.memory = {"limit": 33554432}'
	! cg_swap_accounted || update_config '.linux.resources.memory.swap = 33554432'
	container_run dd if=/dev/zero of=/dev/null bs=128M count=1
	assert_status 137
	# runc and crun say nothing here.
	[ "$(runtime_name)" != husk ] ||
		assert_output_contains "the OOM killer ran in its cgroup (linux.resources.memory.limit 33554432 bytes)"
}

@test "limits: an init OOM-killed while the container is created is reported as OOM" {
	husk_only "runc sets limits after joining and refuses a limit below the usage instead"
	local limit
	# With a hook the init joins its memory cgroup first thing (see the next test), so its set-up is
	# charged there.
	update_config '.hooks.createContainer = [{"path": "/bin/true"}]'
	for limit in 65536 16384; do
		update_config '.linux.resources.memory = {"limit": $l}' --argjson l "$limit"
		! cg_swap_accounted || update_config '.linux.resources.memory.swap = $l' --argjson l "$limit"
		set_args true
		run husk create --bundle "$BUNDLE" "$ID" </dev/null
		[ "$status" -ne 0 ] && break
		husk delete -f "$ID"
	done
	[ "$status" -ne 0 ] || fail "create succeeded with a 16 KiB memory limit"
	assert_no_trace
	assert_output_contains "OOM"
}

@test "limits: an init that fails at its memory limit while the container is created says the limit may be too low" {
	skip_on_runc "1.1 says so only when its init was OOM-killed"
	update_config '.linux.resources.memory = {"limit": 4096}'
	# v1: with a hook the init joins its memory cgroup first thing, so that its set-up is charged there (on v2
	# clone3 puts it there at birth).
	cg_v2 || update_config '.hooks.createContainer = [{"path": "/bin/true"}]'
	! cg_swap_accounted || update_config '.linux.resources.memory.swap = 4096'
	set_args true
	local i
	# cgroup v2 answers the first charge beyond the limit with ENOMEM (memory.events max), not an OOM kill: the init
	# fails in one of its steps, or dies, and that alone named no limit.
	for i in 1 2 3; do
		run_bounded create --bundle "$BUNDLE" "$ID"
		[ "$status" -ne 0 ] || fail "create succeeded with a 4 KiB memory limit"
		assert_output_contains "memory limit too low?"
		assert_no_trace
	done
}

@test "limits: husk's set-up is not charged to the container; a created init is in its memory cgroup" {
	husk_only "runc's init joins every cgroup first: its set-up is charged to the container"
	cg_v2 && skip "cgroup v2: clone3 places the init in all controllers at once, the set-up is charged there"
	# 16 KiB: the init's set-up alone takes more (mounts, its copies of husk's pages), /bin/true's exec too.
	update_config '.linux.resources.memory = {"limit": 16384}'
	! cg_swap_accounted || update_config '.linux.resources.memory.swap = 16384'
	set_args true
	husk create --bundle "$BUNDLE" "$ID" </dev/null
	local memory
	memory=$(cg_dir memory)
	# The init is in the container's memory cgroup (nobody else's has this limit) before start.
	assert_cg memory memory.limit_in_bytes 16384
	husk start "$ID"
	wait_for_status stopped
	# The program could not run within 16 KiB: the kernel's OOM killer says so in the cgroup.
	[ "$(awk '$1 == "oom_kill" { print $2 }' "$memory/memory.oom_control")" -ge 1 ] ||
		fail "no OOM kill: $(cat "$memory/memory.oom_control")"
}

@test "limits: a createRuntime or poststart hook finds the init in the container's memory cgroup" {
	cat >"$TMP/cghook" <<'HOOK'
#!/bin/sh
pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
# the v1 memory line; on pure cgroup v2 (no such line) the one cgroup2 line
grep -E '^[0-9]+:memory:' "/proc/$pid/cgroup" >>"$1" || grep -E '^0::' "/proc/$pid/cgroup" >>"$1"
HOOK
	chmod +x "$TMP/cghook"
	update_config '.hooks = {"createRuntime": [{"path": $h, "args": ["cghook", $o]}],
		"poststart": [{"path": $h, "args": ["cghook", $o]}]}' --arg h "$TMP/cghook" --arg o "$TMP/cg.out"
	container_run sleep 1
	assert_status 0
	[ "$(wc -l <"$TMP/cg.out")" -eq 2 ] || fail "hooks wrote: $(cat "$TMP/cg.out")"
	if grep -v "/$ID\$" "$TMP/cg.out"; then
		fail "a hook found the init outside the container's memory cgroup: $(cat "$TMP/cg.out")"
	fi
}
