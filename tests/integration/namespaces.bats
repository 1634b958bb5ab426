#!/usr/bin/env bats
# Namespaces: new ones per type, sharing the host's when not asked for, joining by path, time offsets.

load helpers

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# The /proc/<pid>/ns link name of a runtime-spec namespace type.
ns_link() {
	case "$1" in
	network) echo net ;;
	mount) echo mnt ;;
	*) echo "$1" ;;
	esac
}

# Whether process $1 is in a network namespace other than ours.
own_net_ns() {
	[ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]
}

has_time_ns() {
	[ -e /proc/self/ns/time ]
}

@test "namespaces: pid, network, ipc, uts, mount and cgroup are new" {
	update_config '.linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]'
	container_run checker ns
	assert_status 0
	for type in pid network ipc uts mount cgroup; do
		link=$(ns_link "$type")
		inside=$(kv "ns.$link")
		[ -n "$inside" ] || fail "no ns.$link"
		[ "$inside" != "$(readlink /proc/self/ns/"$link")" ] || fail "$type namespace is the host's: $inside"
	done
}

@test "namespaces: a type not in the config is shared with the runtime" {
	update_config '.linux.namespaces = [{"type":"pid"},{"type":"mount"}]'
	update_config 'del(.hostname)'
	container_run checker ns
	assert_status 0
	for type in network ipc uts cgroup; do
		link=$(ns_link "$type")
		[ "$(kv "ns.$link")" = "$(readlink /proc/self/ns/"$link")" ] || fail "$type namespace is not the host's"
	done
}

# Without a mount namespace the process is chrooted into the rootfs; what needs no mount still happens:
# sysctls (through the host's /proc, which shows the init's own namespaces) and a missing cwd made.
@test "namespaces: without a mount namespace the process runs chrooted in the rootfs, with its sysctls and cwd" {
	skip_on_runc "applies sysctls through the container's /proc, which has nothing mounted here"
	update_config '.linux.namespaces |= map(select(.type != "mount")) | .mounts = [] | .linux.maskedPaths = [] |
		.linux.readonlyPaths = [] | .root.readonly = false | .process.cwd = "/made/here" |
		.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	set_args sh -c 'pwd; sleep 600'
	husk_run_detached
	local pid
	pid=$(container_pid)
	retry 100 0.05 grep -q /made/here "$TMP/$ID.out" || fail "pwd: $(cat "$TMP/$ID.out" "$TMP/$ID.err")"
	[ "$(readlink "/proc/$pid/root")" = "$(cd "$BUNDLE/rootfs" && pwd -P)" ] || fail "root: $(readlink "/proc/$pid/root")"
	[ -d "$BUNDLE/rootfs/made/here" ] || fail "cwd not made in the rootfs"
	[ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ] || fail "a mount namespace of its own"
	own_net_ns "$pid" || fail "the host's network namespace"
	[ "$(nsenter -t "$pid" -n cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "sysctl not applied"
	[ "$(findmnt -rn -o TARGET | grep -c "^$BUNDLE")" = 0 ] || fail "mounts under the bundle"
}

@test "namespaces: pid namespace makes the process pid 1" {
	container_run sh -c 'echo pid=$$'
	assert_status 0
	[ "$(kv pid)" = 1 ]
}

@test "namespaces: a cgroup namespace roots /proc/self/cgroup at the container's cgroup" {
	update_config '.linux.namespaces += [{"type":"cgroup"}]'
	container_run checker cgroup
	assert_status 0
	checked=0
	for ctrl in memory pids unified; do
		value=$(kv "cgroup.$ctrl")
		[ -n "$value" ] || continue
		[ "$value" = / ] || fail "cgroup.$ctrl is $value, want /"
		checked=$((checked + 1))
	done
	[ "$checked" -gt 0 ]
}

@test "namespaces: join network, ipc and uts namespaces by path" {
	set_args sleep 600
	husk_run_detached "$ID-a"
	pid=$(container_pid "$ID-a")
	update_config '.linux.namespaces = [{"type":"pid"},{"type":"mount"},
		{"type":"network","path":("/proc/"+$pid+"/ns/net")},
		{"type":"ipc","path":("/proc/"+$pid+"/ns/ipc")},
		{"type":"uts","path":("/proc/"+$pid+"/ns/uts")}]' --arg pid "$pid"
	container_run checker ns
	assert_status 0
	for link in net ipc uts; do
		[ "$(kv "ns.$link")" = "$(readlink /proc/"$pid"/ns/$link)" ] || fail "$link namespace not joined"
	done
	# the pid and mount namespaces are still new ones
	[ "$(kv ns.mnt)" != "$(readlink /proc/"$pid"/ns/mnt)" ]
	[ "$(kv ns.pid)" != "$(readlink /proc/"$pid"/ns/pid)" ]
}

@test "namespaces: a new network namespace has its loopback up, with 127.0.0.1" {
	container_run ip addr show lo
	assert_status 0
	assert_output_contains "<LOOPBACK,UP"
	assert_output_contains "inet 127.0.0.1/8"
	if [ -e /proc/net/if_inet6 ]; then
		assert_output_contains "inet6 ::1/128"
	fi
}

# Not the runtime's to configure: runc and crun leave a joined network namespace as they find it.
@test "namespaces: the loopback of a joined network namespace is left down" {
	unshare --net sleep 600 </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	BACKGROUND_PIDS+=("$pid")
	retry 100 0.02 own_net_ns "$pid"
	update_config '(.linux.namespaces[] | select(.type == "network")) |= . + {"path": ("/proc/"+$pid+"/ns/net")}' \
		--arg pid "$pid"
	container_run ip link show lo
	assert_status 0
	assert_output_contains "<LOOPBACK>"
	run nsenter --net="/proc/$pid/ns/net" ip -o link show lo
	[ "$status" -eq 0 ]
	[[ "$output" != *UP* ]] || fail "the joined namespace's lo was brought up: $output"
}

@test "namespaces: join a pid namespace by path" {
	set_args sleep 600
	husk_run_detached "$ID-a"
	pid=$(container_pid "$ID-a")
	update_config '(.linux.namespaces[] | select(.type == "pid")) |= . + {"path": ("/proc/"+$pid+"/ns/pid")}' --arg pid "$pid"
	container_run sh -c 'echo pid=$$; checker ns'
	assert_status 0
	[ "$(kv ns.pid)" = "$(readlink /proc/"$pid"/ns/pid)" ]
	# the first container's sleep is pid 1 there
	[ "$(kv pid)" != 1 ]
}

@test "namespaces: joined pid namespace: create, state, exec, start, kill and delete act on the init inside it" {
	set_args sleep 600
	husk_run_detached "$ID-a"
	pid=$(container_pid "$ID-a")
	update_config '(.linux.namespaces[] | select(.type == "pid")) |= . + {"path": ("/proc/"+$pid+"/ns/pid")}
		| .process.oomScoreAdj = 123' --arg pid "$pid"
	husk_create
	[ "$(container_status)" = created ]
	local init
	init=$(container_pid)
	[ "$(readlink "/proc/$init/ns/pid")" = "$(readlink "/proc/$pid/ns/pid")" ] || fail "init $init is not in the joined pid namespace"
	[ "$(readlink "/proc/$init/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] || fail "init $init is in the host's mount namespace"
	[ "$(cat "/proc/$init/oom_score_adj")" = 123 ] || fail "oom_score_adj of the init: $(cat "/proc/$init/oom_score_adj")"
	grep -q "$ID" "/proc/$init/cgroup" || fail "init not in the container's cgroups: $(cat "/proc/$init/cgroup")"
	# exec sees the joined namespace: its pid 1 is the first container's sleep
	run husk exec "$ID" cat /proc/1/cmdline </dev/null
	assert_status 0
	[[ "$output" == sleep* ]] || fail "pid 1 seen from exec: $output"
	husk start "$ID"
	wait_for_status running
	[ "$(container_pid)" = "$init" ] || fail "the pid changed at start"
	husk kill "$ID" KILL
	wait_for_status stopped
	husk delete "$ID"
	assert_no_trace
}

@test "namespaces: a namespace path that does not exist fails and leaves nothing" {
	update_config '(.linux.namespaces[] | select(.type == "network")) |= . + {"path": "/nonexistent/ns/net"}'
	set_args true
	run husk_create
	[ "$status" -ne 0 ]
	assert_output_contains "/nonexistent/ns/net"
	assert_no_trace
}

@test "namespaces: a path to a namespace of another type fails" {
	set_args sleep 600
	husk_run_detached "$ID-a"
	pid=$(container_pid "$ID-a")
	update_config '(.linux.namespaces[] | select(.type == "network")) |= . + {"path": ("/proc/"+$pid+"/ns/ipc")}' --arg pid "$pid"
	set_args true
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
}

@test "namespaces: a path to a regular file fails" {
	touch "$TMP/notans"
	update_config '(.linux.namespaces[] | select(.type == "ipc")) |= . + {"path": $p}' --arg p "$TMP/notans"
	set_args true
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
}

@test "namespaces: time namespace is new" {
	skip_on_runc "1.1 has no time namespace support"
	has_time_ns || skip "no time namespace support on this kernel"
	update_config '.linux.namespaces += [{"type":"time"}]'
	container_run checker ns
	assert_status 0
	[ "$(kv ns.time)" != "$(readlink /proc/self/ns/time)" ]
}

@test "namespaces: linux.timeOffsets shift boottime and monotonic clocks" {
	skip_on_runc "1.1 has no time namespace support"
	has_time_ns || skip "no time namespace support on this kernel"
	update_config '.linux.namespaces += [{"type":"time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}, "monotonic": {"secs": 3600, "nanosecs": 0}}'
	container_run checker clock
	assert_status 0
	inside_boot=$(kv boottime)
	inside_mono=$(kv monotonic)
	host=$("$CHECKER" clock)
	host_boot=$(kv boottime "$host")
	host_mono=$(kv monotonic "$host")
	# offsets within a few seconds (the container ran just before the host read its clocks)
	awk -v i="$inside_boot" -v h="$host_boot" 'BEGIN { d = i - h - 86400; exit !(d > -5 && d < 1) }' ||
		fail "boottime inside $inside_boot, host $host_boot"
	awk -v i="$inside_mono" -v h="$host_mono" 'BEGIN { d = i - h - 3600; exit !(d > -5 && d < 1) }' ||
		fail "monotonic inside $inside_mono, host $host_mono"
}

@test "namespaces: timeOffsets without a time namespace is an error" {
	skip_on_runc "1.1 ignores linux.timeOffsets"
	update_config '.linux.timeOffsets = {"boottime": {"secs": 10}}'
	set_args true
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
}

@test "namespaces: user namespace with uid and gid mappings" {
	chmod 0755 "$TMP"
	update_config '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.type != "cgroup" and .type != "sysfs"))'
	container_run sh -c 'checker ns; checker ids; echo uid_map=$(cat /proc/self/uid_map); echo gid_map=$(cat /proc/self/gid_map)'
	assert_status 0
	[ "$(kv ns.user)" != "$(readlink /proc/self/ns/user)" ]
	[ "$(kv uid)" = 0 ]
	[ "$(kv uid_map | xargs)" = "0 100000 65536" ]
	[ "$(kv gid_map | xargs)" = "0 100000 65536" ]
}
