#!/usr/bin/env bats
# How the container's first process is kept from reaching the host's husk binary (CVE-2019-5736): through the
# sealed exec trampoline (for `create`, the init waits for start in it), by running husk from a protected view
# of its binary otherwise (src/lib/container/protect.c says when and why). The attacks themselves are in
# security/cve.bats.

load helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	husk_only "husk's choice of protection"
}
teardown() { husk_teardown; }

# `run` in the foreground with --debug; the log goes to $TMP/log. EXPECT=-N: bats' `run -N` (status N).
debug_run() {
	set_args "$@"
	run ${EXPECT:-} "$HUSK" --root "$ROOT" --debug --log "$TMP/log" run --bundle "$BUNDLE" "$ID" </dev/null
}

assert_trampoline() {
	grep -q "exec'd through a sealed trampoline" "$TMP/log" || fail "no trampoline: $(grep selfprotect "$TMP/log")"
}

# The reason protect.c gave for re-executing husk must contain $1.
assert_reexec_because() {
	grep -q "husk runs from a protected view of its binary ($1" "$TMP/log" ||
		fail "want a re-exec because of \"$1\": $(grep selfprotect "$TMP/log")"
}

@test "trampoline: run in the foreground execs the process through it, which leaves no fd behind" {
	debug_run /bin/checker fds
	assert_status 0
	assert_trampoline
	[ "$(kv fds)" = "0,1,2" ] || fail "fds open in the container's process"
	debug_run readlink /proc/self/exe
	assert_status 0
	[ "$output" = /bin/busybox ] || fail "the process is not the program"
}

@test "trampoline: a process that is /proc/self/exe, or names it as interpreter, gets the sealed trampoline" {
	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
	chmod 0755 "$BUNDLE/rootfs/evil"
	local sum
	sum=$(sha256sum <"$HUSK")
	# The trampoline, run with arguments that are not husk's, exits 127 without a word.
	EXPECT=-127 debug_run /proc/self/exe run --bundle /
	assert_trampoline
	EXPECT=-127 debug_run /evil
	[ "$(sha256sum <"$HUSK")" = "$sum" ] || fail "the runtime binary changed"
	assert_no_trace
}

@test "trampoline: an execve that fails behind it is reported by husk, and nothing is left" {
	printf 'not a program\0\1\2' >"$BUNDLE/rootfs/bad"
	chmod 0755 "$BUNDLE/rootfs/bad"
	debug_run /bad
	[ "$status" -ne 0 ] || fail "a program the kernel cannot exec ran"
	assert_trampoline
	assert_output_contains 'exec `/bad`: exec format error'
	assert_no_trace
}

# Each line of `checker cgroup` (but named hierarchies, which husk leaves alone) is the container's cgroup.
assert_in_container_cgroups() {
	local line n=0
	while IFS= read -r line; do
		[[ "$line" == cgroup.* && "$line" != cgroup.name:* ]] || continue
		[[ "${line#*=}" == */"$ID" ]] || fail "not in the container's cgroup: $line"
		n=$((n + 1))
	done <<<"$output"
	[ "$n" -gt 0 ] || fail "no cgroup lines: $output"
}

@test "trampoline: the program runs in all the container's cgroups, the memory one joined by the trampoline" {
	debug_run /bin/checker cgroup
	assert_status 0
	assert_trampoline
	assert_in_container_cgroups
	# Without the trampoline the init joins its memory cgroup itself, right before its exec.
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["write"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 100, "op": "SCMP_CMP_GT"}]}]}'
	debug_run /bin/checker cgroup
	assert_status 0
	assert_reexec_because "the seccomp filter may refuse"
	assert_in_container_cgroups
	# Without noNewPrivileges the filter is loaded before the user switch: the init joins before it.
	update_config '.process.noNewPrivileges = false'
	debug_run /bin/checker cgroup
	assert_status 0
	assert_in_container_cgroups
	# The same with a filter that lets the trampoline through: the trampoline joins, under the filter.
	update_config '.linux.seccomp = $p[0].linux.seccomp' --slurpfile p "$REPO_DIR/tests/unit/spec/data/podman-seccomp.json"
	debug_run /bin/checker cgroup
	assert_status 0
	assert_trampoline
	assert_in_container_cgroups
}

@test "trampoline: not with a seccomp filter that may refuse execveat: husk re-executes itself" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execveat"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	debug_run /bin/checker fds
	assert_status 0
	assert_reexec_because "the seccomp filter may refuse"
	[ "$(kv fds)" = "0,1,2" ] || fail "fds open in the container's process"
}

@test "trampoline: not when the filter's answer on write depends on the fd" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["write"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 100, "op": "SCMP_CMP_GT"}]}]}'
	debug_run /bin/checker pid
	assert_status 0
	assert_reexec_because "the seccomp filter may refuse"
}

@test "trampoline: with podman's default seccomp profile it is used" {
	update_config '.linux.seccomp = $p[0].linux.seccomp' --slurpfile p "$REPO_DIR/tests/unit/spec/data/podman-seccomp.json"
	debug_run /bin/checker seccomp
	assert_status 0
	assert_trampoline
	[ "$(kv seccomp)" = 2 ] || fail "no filter in the process"
}

# The created container's init, waiting for start.
created_init() {
	"$HUSK" --root "$ROOT" --debug --log "$TMP/log" create --bundle "$BUNDLE" "$ID" </dev/null \
		>"$TMP/out" 2>&1 3>&-
}

@test "trampoline: a created init waits for start in it: sealed, a few pages, non-dumpable, no fd but the exec socket" {
	set_args /bin/checker fds
	created_init
	assert_trampoline
	assert_shares_memory
	local pid
	pid=$(container_pid)
	[[ "$(readlink "/proc/$pid/exe")" == /memfd:husk-trampoline* ]] ||
		fail "the waiting init: $(readlink "/proc/$pid/exe")"
	run sh -c "echo x >>/proc/$pid/exe"
	[ "$status" -ne 0 ] || fail "the waiting init's binary was written"
	local rss
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
	[ "$rss" -le 64 ] || fail "the waiting init holds $rss KiB"
	# Its fds: stdio and the listening exec socket, nothing of husk's (log, state dir, cgroups, the sync socket).
	local fds
	fds=($(ls "/proc/$pid/fd" | sort -n))
	[ "${#fds[@]}" -eq 4 ] && [ "${fds[*]:0:3}" = "0 1 2" ] &&
		[[ "$(readlink "/proc/$pid/fd/${fds[3]}")" == socket:* ]] || fail "the waiting init's fds: $(ls -l "/proc/$pid/fd")"
	# A process exec'd beside it (root of the container, without CAP_SYS_PTRACE) cannot look into it.
	run husk exec "$ID" cat /proc/1/environ
	[ "$status" -ne 0 ] || fail "the container read the waiting init's environment: $output"
	assert_output_contains "Permission denied"
	husk start "$ID"
	wait_for_status stopped
	# The program has none of them either.
	[ "$(kv fds "$(cat "$TMP/out")")" = "0,1,2" ] || fail "fds open in the container's process: $(cat "$TMP/out")"
}

@test "trampoline: start of a created init that cannot exec its program reports why, and the container stops" {
	printf 'not a program\0\1\2' >"$BUNDLE/rootfs/bad"
	chmod 0755 "$BUNDLE/rootfs/bad"
	set_args /bad
	created_init
	assert_trampoline
	run husk start "$ID"
	[ "$status" -ne 0 ] || fail "a program the kernel cannot exec started"
	assert_output_contains 'exec `/bad`: exec format error'
	wait_for_status stopped
	husk delete "$ID"
	assert_no_trace
}

@test "trampoline: a created init takes no start but START: other peers of its exec socket leave it waiting" {
	set_args echo started
	created_init
	assert_trampoline
	local sock=$ROOT/$ID/exec.sock
	# One that connects and leaves, one that says something else, one whose START carries a payload.
	python3 - "$sock" <<'PY'
import socket, struct, sys
for msg in (None, struct.pack("<IiI", 1, 0, 0), struct.pack("<IiI", 5, 0, 3) + b"abc"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    if msg:
        s.send(msg)
    s.close()
PY
	sleep 0.2
	status_is created || fail "the container is $(container_status)"
	[ ! -s "$TMP/out" ] || fail "the program ran: $(cat "$TMP/out")"
	husk start "$ID"
	wait_for_status stopped
	[ "$(cat "$TMP/out")" = started ] || fail "the program's output: $(cat "$TMP/out")"
}

@test "trampoline: the waiting init ends on TERM, whether it is the trampoline or husk re-executed" {
	set_args echo started
	created_init
	assert_trampoline
	husk kill "$ID" TERM
	wait_for_status stopped || fail "trampoline: the container is $(container_status)"
	husk delete "$ID"
	rm -f "$TMP/log"
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["accept4"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	created_init
	assert_reexec_because "the seccomp filter may refuse"
	husk kill "$ID" TERM
	wait_for_status stopped || fail "re-executed: the container is $(container_status)"
	[ ! -s "$TMP/out" ] || fail "the program ran: $(cat "$TMP/out")"
}

@test "trampoline: not for create when the filter may refuse what the waiting init calls: husk re-executes itself" {
	local name
	for name in accept4 prctl rt_sigaction; do
		update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [$n],
			"action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}' --arg n "$name"
		set_args sleep 60
		created_init
		assert_reexec_because "the seccomp filter may refuse prctl, accept4, read, close or rt_sigaction"
		local pid
		pid=$(container_pid)
		[[ "$(readlink "/proc/$pid/exe")" != "$(readlink -f "$HUSK")" ]] || fail "the waiting init runs the host binary"
		husk delete -f "$ID"
		rm -f "$TMP/log"
		# `run` in the foreground does not wait: the trampoline will do there.
		debug_run true
		assert_status 0
		assert_trampoline
		rm -f "$TMP/log"
	done
}

@test "trampoline: with podman's default seccomp profile a created init waits in it" {
	update_config '.linux.seccomp = $p[0].linux.seccomp' --slurpfile p "$REPO_DIR/tests/unit/spec/data/podman-seccomp.json"
	set_args /bin/checker seccomp
	created_init
	assert_trampoline
	husk start "$ID"
	wait_for_status stopped
	[ "$(kv seccomp "$(cat "$TMP/out")")" = 2 ] || fail "no filter in the process: $(cat "$TMP/out")"
}

@test "trampoline: not with hooks that run inside the container before the exec" {
	update_config '.hooks.startContainer = [{"path": "/bin/true"}]'
	debug_run /bin/checker pid
	assert_status 0
	assert_reexec_because "createContainer or startContainer hooks"
}

@test "trampoline: not when the pid namespace is not the container's own" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	debug_run /bin/checker pid
	assert_status 0
	assert_reexec_because "no new pid namespace"
}

# Hold run between its init's ready and its start, where it writes the --pid-file: the first open of a file in
# $TMP/held waits until release_run (a fanotify permission event; the pid file's temp name cannot be known).
hold_run() {
	mkdir "$TMP/held"
	mkfifo "$TMP/release"
	cat >"$TMP/hold.py" <<'PY'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p]
FAN_CLOEXEC, FAN_CLASS_CONTENT, FAN_MARK_ADD, FAN_OPEN_PERM, FAN_EVENT_ON_CHILD, FAN_ALLOW = 1, 4, 1, 0x10000, 0x8000000, 1
fd = libc.fanotify_init(FAN_CLOEXEC | FAN_CLASS_CONTENT, os.O_RDONLY)
if fd < 0 or libc.fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, -100, sys.argv[1].encode()) < 0:
    sys.exit("fanotify: " + os.strerror(ctypes.get_errno()))
open(sys.argv[2], "w").close()
event_fd = struct.unpack_from("IBBHQii", os.read(fd, 4096))[5]
with open(sys.argv[3]) as release:
    release.read()
os.write(fd, struct.pack("iI", event_fd, FAN_ALLOW))
PY
	python3 "$TMP/hold.py" "$TMP/held" "$TMP/holding" "$TMP/release" </dev/null >"$TMP/hold.out" 2>&1 3>&- &
	BACKGROUND_PIDS+=($!)
	retry 100 0.05 test -e "$TMP/holding" || skip "no fanotify permission events: $(cat "$TMP/hold.out")"
}

release_run() {
	timeout 10 sh -c 'echo >"$1"' sh "$TMP/release"
}

@test "trampoline: exec refuses a container whose init still runs the host's husk, until it has exec'd" {
	# The window between the init's ready and run's start, held open by hold_run. A createRuntime hook keeps
	# the init out of husk's memory, where there would be no such window (the next test).
	update_config '.hooks.createRuntime = [{"path": "/bin/true"}]'
	set_args sleep 60
	hold_run
	"$HUSK" --root "$ROOT" run --pid-file "$TMP/held/pid" --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 &
	BACKGROUND_PIDS+=($!)
	wait_for_status created
	run husk exec "$ID" true </dev/null
	[ "$status" -ne 0 ] || fail "exec entered a container whose init runs the host's husk"
	assert_output_contains 'is being started by `run`'
	release_run
	wait_for_status running
	run husk exec "$ID" true </dev/null
	assert_status 0
}

# Whether the last debug_run's init ran in husk's memory (create.c: init_may_share_memory).
shares_memory() {
	grep -q "the init runs in husk's memory until its exec" "$TMP/log"
}

assert_shares_memory() {
	shares_memory || fail "the init did not share husk's memory"
}

@test "trampoline: run's init shares husk's memory until its exec, which comes before anyone sees its pid" {
	set_args sleep 60
	hold_run
	"$HUSK" --root "$ROOT" --debug --log "$TMP/log" run --pid-file "$TMP/held/pid" --bundle "$BUNDLE" "$ID" \
		</dev/null >/dev/null 2>&1 &
	BACKGROUND_PIDS+=($!)
	wait_for_status created
	assert_trampoline
	assert_shares_memory
	local pid
	pid=$(container_pid)
	[[ "$(readlink "/proc/$pid/exe")" != "$(readlink -f "$HUSK")" ]] || fail "the init runs the host binary"
	release_run
	wait_for_status running
	run husk exec "$ID" true </dev/null
	assert_status 0
}

@test "trampoline: an error in the set-up of an init in husk's memory reaches husk, and nothing is left" {
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "/nonexistent-husk-source",
		"options": ["rbind"]}]'
	debug_run /bin/true
	[ "$status" -ne 0 ] || fail "a bind mount of a missing source succeeded"
	assert_shares_memory
	assert_output_contains '/nonexistent-husk-source'
	assert_no_trace
	# And the process's own exit status is run's.
	update_config '.mounts |= map(select(.destination != "/data"))'
	rm -f "$TMP/log"
	EXPECT=-7 debug_run sh -c 'exit 7'
	assert_shares_memory
	assert_no_trace
}

@test "trampoline: the init stays out of husk's memory when husk has work between its clone and its start" {
	local change
	for change in '.hooks.createRuntime = [{"path": "/bin/true"}]' '.process.oomScoreAdj = 0'; do
		update_config "$change"
		debug_run /bin/checker pid
		assert_status 0
		assert_trampoline
		! shares_memory || fail "shared husk's memory with $change"
		update_config 'del(.hooks) | del(.process.oomScoreAdj)'
		rm -f "$TMP/log"
	done
}

@test "trampoline: husk's own data is whole after an init in its memory: poststart and poststop get the state" {
	# The init sets up a config with many values (env, mounts) in husk's memory; the hooks then run
	# from husk with what husk kept: its spec, its state.
	local hook='[{"path": "/bin/sh", "args": ["sh", "-c", "cat >>\"$0\"; echo >>\"$0\"", "'"$TMP"'/hooks"]}]'
	update_config ".hooks.poststart = $hook | .hooks.poststop = $hook |
		.process.env += [range(200) | \"V\(.)=value-\(.)\"] |
		.mounts += [range(20) | {destination: \"/t\(.)\", type: \"tmpfs\", source: \"tmpfs\", options: [\"size=64k\"]}]"
	debug_run sh -c 'echo "$V199"; grep -c " /t[0-9]* tmpfs " /proc/self/mounts'
	assert_status 0
	assert_shares_memory
	[ "$output" = "value-199
20" ] || fail "env or mounts: $output"
	[ "$(wc -l <"$TMP/hooks")" -eq 2 ] || fail "hooks ran $(wc -l <"$TMP/hooks") times: $(cat "$TMP/hooks")"
	jq -e -s --arg id "$ID" --arg bundle "$BUNDLE" 'map(.status) == ["running", "stopped"] and
		all(.[]; .id == $id and .bundle == $bundle) and .[0].pid > 0' "$TMP/hooks" >/dev/null ||
		fail "the hooks' states: $(cat "$TMP/hooks")"
}
