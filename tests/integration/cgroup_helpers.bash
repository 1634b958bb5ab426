# Helpers for cgroups.bats: the host's cgroup layout and the container's cgroup files as the host sees them.
#
# CG_LAYOUT is v2 (cgroup2 on /sys/fs/cgroup), hybrid (v1 controllers plus cgroup2 at /sys/fs/cgroup/unified) or
# v1. On hybrid hosts husk (like runc) puts every resource in the v1 hierarchies, so hybrid reads like v1 here.

cg_detect_layout() {
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo v2
	elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo hybrid
	else
		echo v1
	fi
}
CG_LAYOUT=$(cg_detect_layout)

cg_v2() { [ "$CG_LAYOUT" = v2 ]; }

# cg_dir CONTROLLER [PID]: the host directory of PID's cgroup for CONTROLLER (default PID: the container's init),
# from /proc/PID/cgroup, so the test checks where the process really is, not where husk says it put it.
cg_dir() {
	local controller=$1 pid=${2:-$(container_pid)} path
	[ -r "/proc/$pid/cgroup" ] || {
		echo "cg_dir: no process $pid" >&2
		return 1
	}
	if cg_v2; then
		path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup$path"
		return
	fi
	path=$(awk -F: -v c="$controller" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) { print $3; exit } }' \
		"/proc/$pid/cgroup")
	[ -n "$path" ] || {
		echo "cg_dir: $pid is in no $controller hierarchy" >&2
		return 1
	}
	echo "/sys/fs/cgroup/$controller$path"
}

# cg_has CONTROLLER FILE: the container's cgroup has this file (the host supports the knob).
cg_has() {
	local dir
	dir=$(cg_dir "$1") && [ -e "$dir/$2" ]
}

# cg_get CONTROLLER FILE: its content.
cg_get() {
	local dir
	dir=$(cg_dir "$1") || return 1
	cat "$dir/$2"
}

# assert_cg CONTROLLER FILE EXPECTED: the file holds exactly EXPECTED.
assert_cg() {
	local got
	got=$(cg_get "$1" "$2") || return 1
	[ "$got" = "$3" ] || {
		echo "$1/$2: expected '$3', got '$got'" >&2
		return 1
	}
}

# What a memory limit reads as: -1 is "max" on v2 and PAGE_COUNTER_MAX pages on v1.
cg_unlimited_memory() {
	if cg_v2; then
		echo max
	else
		echo $((0x7FFFFFFFFFFFFFFF / $(getconf PAGESIZE) * $(getconf PAGESIZE)))
	fi
}

# The knobs by layout. Each prints the file (controller and name) holding the value of a resources field.
cg_memory_limit_file() { if cg_v2; then echo memory memory.max; else echo memory memory.limit_in_bytes; fi; }
cg_memory_reservation_file() { if cg_v2; then echo memory memory.low; else echo memory memory.soft_limit_in_bytes; fi; }
cg_swap_file() { if cg_v2; then echo memory memory.swap.max; else echo memory memory.memsw.limit_in_bytes; fi; }
cg_burst_file() { if cg_v2; then echo cpu cpu.max.burst; else echo cpu cpu.cfs_burst_us; fi; }

# assert_memory LIMIT: memory limit in bytes (or -1).
assert_memory_limit() {
	local want=$1
	[ "$want" != -1 ] || want=$(cg_unlimited_memory)
	# shellcheck disable=SC2046
	assert_cg $(cg_memory_limit_file) "$want"
}

# assert_swap MEMORY_PLUS_SWAP LIMIT: the spec's swap is memory+swap; v2's memory.swap.max is swap alone.
assert_swap() {
	local memsw=$1 limit=$2
	if cg_v2; then
		assert_cg memory memory.swap.max $((memsw - limit))
	else
		assert_cg memory memory.memsw.limit_in_bytes "$memsw"
	fi
}

# cpu.shares as the kernel shows it: v1 cpu.shares, v2 cpu.weight by runc 1.1's linear conversion.
assert_cpu_shares() {
	if cg_v2; then
		assert_cg cpu cpu.weight "$(shares_to_weight "$1")"
	else
		assert_cg cpu cpu.shares "$1"
	fi
}

# cpu.shares $1 as cpu.weight: runc 1.3.2's and crun 1.23's conversion (husk's), or runc 1.1's linear one for runc.
shares_to_weight() {
	if [ "$RUNTIME" = runc ]; then
		echo $((1 + ($1 - 2) * 9999 / 262142))
		return
	fi
	awk -v s="$1" 'BEGIN { l = log(s) / log(2); w = exp((l * l + 125 * l - 126) / 612 * log(10))
		c = int(w - 1e-9); if (c < w - 1e-9) c++; print c }'
}

# assert_cpu_max QUOTA PERIOD (QUOTA -1: none).
assert_cpu_max() {
	if cg_v2; then
		local quota=$1
		[ "$quota" != -1 ] || quota=max
		assert_cg cpu cpu.max "$quota $2"
	else
		assert_cg cpu cpu.cfs_quota_us "$1" && assert_cg cpu cpu.cfs_period_us "$2"
	fi
}

# The kernel accounts swap per cgroup (memory+swap limits can be set).
cg_swap_accounted() {
	if cg_v2; then
		[ -e /sys/fs/cgroup/memory.swap.max ] || ls /sys/fs/cgroup/*/memory.swap.max >/dev/null 2>&1
	else
		[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]
	fi
}

# Whether a container's processes are frozen, from the freezer's own files.
cg_frozen() {
	if cg_v2; then
		[ "$(awk '$1 == "frozen" { print $2 }' "$(cg_dir freezer)/cgroup.events")" = 1 ]
	else
		[ "$(cg_get freezer freezer.state)" = FROZEN ]
	fi
}

# The state letter of a process (R, S, D, T...) from /proc/PID/stat.
proc_state() {
	sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1
}

# Whether process $1's state is $2 (for retry, which runs its command anew each time).
proc_state_is() {
	[ "$(proc_state "$1" 2>/dev/null)" = "$2" ]
}

# A whole-disk block device of the host ("MAJ:MIN"), for blockIO throttle rules; empty when there is none.
host_block_device() {
	local dev
	for dev in /sys/block/*; do
		case "${dev##*/}" in loop* | ram* | zram* | nbd* | dm-*) continue ;; esac
		if [ -r "$dev/dev" ]; then
			cat "$dev/dev"
			return
		fi
	done
	return 0
}

# cg_freezer_dir CGROUP: the host directory of the absolute cgroup path CGROUP that freezes it: v1's freezer
# hierarchy (hybrid too: that is where runc and husk look), or cgroup2's.
cg_freezer_dir() {
	if cg_v2; then echo "/sys/fs/cgroup$1"; else echo "/sys/fs/cgroup/freezer$1"; fi
}

# cg_set_frozen DIR 1|0: freeze or thaw a cgroup directory as another manager would (cgroup.freeze where the
# directory is a cgroup2 one, else freezer.state).
cg_set_frozen() {
	if [ -e "$1/cgroup.freeze" ]; then
		echo "$2" >"$1/cgroup.freeze"
	elif [ "$2" = 1 ]; then
		echo FROZEN >"$1/freezer.state"
	else
		echo THAWED >"$1/freezer.state"
	fi
}

# cg_dir_frozen DIR: the cgroup directory is frozen by its own request (not through an ancestor).
cg_dir_frozen() {
	if [ -e "$1/cgroup.freeze" ]; then
		[ "$(cat "$1/cgroup.freeze")" = 1 ]
	else
		[ "$(cat "$1/freezer.state")" = FROZEN ] && [ "$(cat "$1/freezer.self_freezing")" = 1 ]
	fi
}

# cg_thaw_named PREFIX: thaw every cgroup whose name starts with PREFIX (parents first), so that what a test froze
# can be killed and removed by the teardown, even when the test failed.
cg_thaw_named() {
	local dir
	find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$1*" 2>/dev/null | sort |
		while read -r dir; do
			if [ -e "$dir/cgroup.freeze" ]; then
				echo 0 >"$dir/cgroup.freeze" 2>/dev/null || true
			elif [ -e "$dir/freezer.state" ]; then
				echo THAWED >"$dir/freezer.state" 2>/dev/null || true
			fi
		done
}

# cg_remove_trees NAME: every cgroup named NAME directly under /sys/fs/cgroup or one of its hierarchies, with all
# its sub-cgroups however deep (husk_teardown looks 6 levels down): what is in them killed and thawed (a v1-frozen
# task dies of SIGKILL only then, and a sub-cgroup the container froze stays frozen when its parent is thawed),
# rmdir deepest first.
cg_remove_trees() {
	local top dir try
	for try in $(seq 50); do
		for top in /sys/fs/cgroup/"$1" /sys/fs/cgroup/*/"$1"; do
			[ -d "$top" ] || continue
			find "$top" -depth -type d 2>/dev/null | while read -r dir; do
				xargs -r kill -9 <"$dir/cgroup.procs" 2>/dev/null || true
				if [ -e "$dir/freezer.state" ] || [ -e "$dir/cgroup.freeze" ]; then
					cg_set_frozen "$dir" 0 2>/dev/null || true
				fi
				rmdir "$dir" 2>/dev/null || true
			done
		done
		compgen -G "/sys/fs/cgroup/$1" >/dev/null || compgen -G "/sys/fs/cgroup/*/$1" >/dev/null || return 0
		sleep 0.1
	done
}

# cg_v1_hierarchies: the directories of the mounted v1 hierarchies (named ones like name=systemd included).
cg_v1_hierarchies() {
	local dir
	for dir in /sys/fs/cgroup/*/; do
		[ "$(stat -fc %T "$dir")" = cgroupfs ] && echo "${dir%/}"
	done
	return 0
}
