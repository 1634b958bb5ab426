#!/usr/bin/env bats
# Process security attributes end to end: seccomp (actions, errnoRet, arg filters, flags, notify listener, podman's
# profile), sysctls, netDevices, execCPUAffinity, memoryPolicy, intelRdt, LSM labels and ambient capabilities.

load helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	VETH_HOST=
}
teardown() {
	# a veth pair goes away with either end, wherever that end is
	if [ -n "${VETH_HOST:-}" ]; then
		ip link del "$VETH_HOST" 2>/dev/null || true
	fi
	husk_teardown
}

PODMAN_PROFILE=$REPO_DIR/tests/unit/spec/data/podman-seccomp.json

# What busybox sh, its applets and the checker need on x86_64 (and what runc's Go runtime calls between loading
# the filter and execve), for filters that deny everything else. mkdir is
# not in it: tests probe the filter with mkdir, which succeeds without one on a writable rootfs.
ALLOW_LIST='["execve", "execveat", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64",
	"mmap", "munmap", "mprotect", "mremap", "read", "write", "writev", "readv", "pread64", "open", "openat", "close",
	"close_range", "stat", "fstat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2", "readlink",
	"readlinkat", "getdents64", "lseek", "ioctl", "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "getpid", "getppid",
	"gettid", "getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid", "getpgrp", "getpgid",
	"getsid", "setpgid", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "sigaltstack", "kill",
	"tgkill", "fork", "vfork", "clone", "clone3", "wait4", "waitid", "exit", "exit_group", "uname", "getcwd", "chdir",
	"umask", "prctl", "capget", "futex", "getrandom", "sysinfo", "times", "nanosleep", "clock_nanosleep",
	"clock_gettime", "gettimeofday", "sched_getaffinity", "sched_yield", "getrlimit", "poll", "ppoll", "select",
	"pselect6", "unlink", "unlinkat", "personality", "seccomp", "setsid", "capset",
	"setresuid", "setresgid", "setuid", "setgid", "setgroups", "madvise",
	"fstatfs", "statfs", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "rt_sigtimedwait", "mincore"]'

# linux.seccomp = $1 (JSON).
set_seccomp() {
	update_config '.linux.seccomp = $s' --argjson s "$1"
}

# Entries under --root other than husk's compiled-filter cache, which is shared by all containers of the root.
root_entries() {
	ls -A "$ROOT" 2>/dev/null | grep -vx .seccomp-cache
}

# create must fail, mention $1 (husk only) and leave nothing behind.
expect_create_error() {
	run husk_create
	[ "$status" -ne 0 ] || fail "create accepted the config"
	[ -z "$(root_entries)" ] || fail "create left $(root_entries) under --root"
	assert_no_cgroup
	[ "$RUNTIME" = husk ] || return 0
	grep -qF -- "$1" "$TMP/$ID.err" || fail "stderr lacks '$1': $(cat "$TMP/$ID.err")"
}

# ---- seccomp ------------------------------------------------------------------------------------------------------

@test "seccomp: an ERRNO default with an allow-list runs busybox; what is not listed fails with EPERM" {
	writable_rootfs
	set_seccomp "$(jq -n --argjson names "$ALLOW_LIST" '{"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls": [{"names": $names, "action": "SCMP_ACT_ALLOW"}]}')"
	container_run sh -c 'checker status Seccomp; echo hi; mkdir /tmp/d; echo rc=$?; ls -d /tmp/d'
	assert_status 1 # ls: the directory is not there
	[ "$(kv Seccomp)" = 2 ] || fail "not in filter mode"
	printf '%s\n' "$output" | grep -qx hi || fail "echo did not run"
	[ "$(kv rc)" = 1 ] || fail "mkdir was not denied"
	assert_output_contains "Operation not permitted"
}

@test "seccomp: errnoRet makes mkdir fail with the chosen errno" {
	writable_rootfs
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
	container_run sh -c 'mkdir /tmp/d; echo rc=$?; test -d /tmp/d && echo exists; true'
	assert_status 0
	[ "$(kv rc)" = 1 ] || fail "mkdir did not fail"
	assert_output_contains "Disk quota exceeded" # EDQUOT = 122
	[[ "$output" != *exists* ]] || fail "the directory was created"
}

@test "seccomp: ERRNO without errnoRet is EPERM" {
	writable_rootfs
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	container_run sh -c 'mkdir /tmp/d; echo rc=$?'
	assert_status 0
	[ "$(kv rc)" = 1 ]
	assert_output_contains "Operation not permitted"
}

@test "seccomp: an argument filter matches only the given value" {
	# deny kill(pid, 0) only: the shell's kill builtin probes with signal 0 and sends SIGCONT (ignored by pid 1)
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
			"args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]}'
	container_run sh -c 'kill -0 $$; echo zero=$?; kill -CONT $$; echo cont=$?'
	assert_status 0
	[ "$(kv zero)" = 1 ] || fail "kill(pid, 0) was not denied"
	assert_output_contains "Permission denied" # EACCES = 13
	[ "$(kv cont)" = 0 ] || fail "kill(pid, SIGCONT) must still work"
}

@test "seccomp: SCMP_CMP_MASKED_EQ compares (arg & value) with valueTwo" {
	# (sig & 6) == 2 denies SIGCONT (18) only, among SIGCHLD (17), SIGCONT, SIGURG (23) and SIGWINCH (28);
	# value and valueTwo swapped would deny none of them
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
			"args": [{"index": 1, "value": 6, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
	container_run sh -c 'for s in CHLD CONT URG WINCH; do kill -$s $$; echo $s=$?; done'
	assert_status 0
	[ "$(kv CHLD)" = 0 ] || fail SIGCHLD
	[ "$(kv CONT)" = 1 ] || fail SIGCONT
	[ "$(kv URG)" = 0 ] || fail SIGURG
	[ "$(kv WINCH)" = 0 ] || fail SIGWINCH
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills the process with SIGSYS" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["sethostname"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	container_run hostname x
	assert_status $((128 + 31))
}

@test "seccomp: SCMP_ACT_LOG lets the call through" {
	writable_rootfs
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_LOG"}, {"names": $names, "action": "SCMP_ACT_ALLOW"}]}' \
		--argjson names "$ALLOW_LIST"
	container_run sh -c 'mkdir /tmp/d && test -d /tmp/d && echo made'
	assert_status 0
	assert_output_contains made
}

@test "seccomp: Seccomp 2 in /proc/self/status with and without noNewPrivileges" {
	# without no_new_privs the runtime must load the filter while it still has CAP_SYS_ADMIN
	update_config '.process.noNewPrivileges = true'
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW"}'
	container_run sh -c 'checker status Seccomp; checker status NoNewPrivs'
	assert_status 0
	[ "$(kv Seccomp)" = 2 ]
	[ "$(kv NoNewPrivs)" = 1 ]
	update_config '.process.noNewPrivileges = false'
	container_run sh -c 'checker status Seccomp; checker status NoNewPrivs'
	assert_status 0
	[ "$(kv Seccomp)" = 2 ]
}

@test "seccomp: the ERRNO allow-list filter applies to husk exec too" {
	writable_rootfs
	set_seccomp "$(jq -n --argjson names "$ALLOW_LIST" '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
		"syscalls": [{"names": $names, "action": "SCMP_ACT_ALLOW"}]}')"
	set_args sleep 30
	husk_run_detached
	run husk exec "$ID" sh -c 'checker status Seccomp; mkdir /tmp/d; echo rc=$?' </dev/null
	assert_status 0
	[ "$(kv Seccomp)" = 2 ]
	[ "$(kv rc)" = 1 ] || fail "mkdir was not denied in the exec'd process"
	husk delete -f "$ID"
}

@test "seccomp: an unknown action is a config error naming its path" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}'
	set_args true
	expect_create_error 'linux.seccomp.syscalls[0].action'
}

@test "seccomp: an unknown operator is a config error naming its path" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
			"args": [{"index": 0, "value": 8, "op": "SCMP_CMP_BOGUS"}]}]}'
	set_args true
	expect_create_error 'linux.seccomp.syscalls[0].args[0].op'
}

@test "seccomp: an unknown syscall name is skipped, the rest of the rule applies" {
	writable_rootfs
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["no_such_syscall_husk", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	container_run sh -c 'mkdir /tmp/d; echo rc=$?'
	assert_status 0
	[ "$(kv rc)" = 1 ] || fail "mkdir was not denied"
}

@test "seccomp: SECCOMP_FILTER_FLAG_LOG is accepted" {
	skip_on_runc "1.1 refuses linux.seccomp.flags (\"seccomp flags are not yet supported by runc\")"
	writable_rootfs
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	container_run sh -c 'checker status Seccomp; mkdir /tmp/d; echo rc=$?'
	assert_status 0
	[ "$(kv Seccomp)" = 2 ]
	[ "$(kv rc)" = 1 ]
}

# swapoff needs CAP_SYS_ADMIN (checked first, so a missing path is EPERM without it): add it, so that a path that
# does not exist is ENOENT unless the profile denies swapoff (EPERM, its errnoRet 1).
podman_profile_with_sys_admin() {
	update_config '.linux.seccomp = $p[0].linux.seccomp
		| .process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])' --slurpfile p "$PODMAN_PROFILE"
}

@test "seccomp: podman's default profile runs busybox and denies swapoff" {
	[ -r "$PODMAN_PROFILE" ] || skip "no $PODMAN_PROFILE"
	writable_rootfs
	podman_profile_with_sys_admin
	container_run sh -c 'echo hi >/tmp/f && cat /tmp/f && ls / >/dev/null && echo ls=$?; mkdir /tmp/d && echo mkdir=$?;
		swapoff /nonexistent; echo swapoff=$?; checker status Seccomp'
	assert_status 0
	printf '%s\n' "$output" | grep -qx hi
	[ "$(kv ls)" = 0 ]
	[ "$(kv mkdir)" = 0 ]
	[ "$(kv swapoff)" != 0 ]
	assert_output_contains "Operation not permitted"
	[ "$(kv Seccomp)" = 2 ]
}

@test "seccomp: without podman's profile the same swapoff reaches the kernel (control)" {
	[ -r "$PODMAN_PROFILE" ] || skip "no $PODMAN_PROFILE"
	podman_profile_with_sys_admin
	update_config 'del(.linux.seccomp)'
	container_run sh -c 'swapoff /nonexistent; echo swapoff=$?'
	assert_status 0
	[ "$(kv swapoff)" != 0 ]
	assert_output_contains "No such file or directory"
}

# ---- seccomp notify -----------------------------------------------------------------------------------------------

# Start a python listener on $TMP/seccomp.sock: for each connection (the init's, then each exec's) it receives the
# notify fd and the state, writes the state to $TMP/state.json (the first) and $TMP/state.N.json (the Nth, from 1)
# and the first's fd count to $TMP/fds, then answers every notification on that fd with errno $1 (0: let the call
# proceed) and logs what it saw to $TMP/listener.log.
start_listener() {
	command -v python3 >/dev/null || skip "python3 is needed for the seccomp listener"
	cat >"$TMP/listener.py" <<'EOF'
import array, fcntl, json, os, socket, struct, sys, threading

sock_path, out_dir, answer_errno = sys.argv[1], sys.argv[2], int(sys.argv[3])
# struct seccomp_notif { u64 id; u32 pid; u32 flags; struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; } }
NOTIF = struct.Struct("=QII iIQ6Q")
RESP = struct.Struct("=QqiI")  # struct seccomp_notif_resp { u64 id; s64 val; s32 error; u32 flags; }
def iowr(nr, size):
    return (3 << 30) | (size << 16) | (ord("!") << 8) | nr
RECV, SEND = iowr(0, NOTIF.size), iowr(1, RESP.size)
log = open(os.path.join(out_dir, "listener.log"), "w", buffering=1)

def serve(fd):
    while True:
        buf = bytearray(NOTIF.size)
        try:
            fcntl.ioctl(fd, RECV, buf, True)
        except OSError as e:
            log.write("recv-end=%d\n" % e.errno)
            break
        nid, pid, _, nr, arch, _, *args = NOTIF.unpack(buf)
        log.write("notif nr=%d pid=%d arg0=%d\n" % (nr, pid, args[0]))
        # SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
        resp = RESP.pack(nid, 0, -answer_errno, 0) if answer_errno else RESP.pack(nid, 0, 0, 1)
        try:
            fcntl.ioctl(fd, SEND, bytearray(resp), True)
        except OSError as e:
            log.write("send-error=%d\n" % e.errno)

srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(8)
open(os.path.join(out_dir, "ready"), "w").close()
n = 0
while True:
    conn, _ = srv.accept()
    n += 1
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(16 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    # the state may come in more than one read
    while True:
        try:
            json.loads(msg)
            break
        except ValueError:
            more = conn.recv(65536)
            if not more:
                break
            msg += more
    conn.close()
    for name in (["state.json"] if n == 1 else []) + ["state.%d.json" % n]:
        with open(os.path.join(out_dir, name + ".tmp"), "wb") as f:
            f.write(msg)
        os.rename(os.path.join(out_dir, name + ".tmp"), os.path.join(out_dir, name))
    if n == 1:
        with open(os.path.join(out_dir, "fds"), "w") as f:
            f.write("%d\n" % len(fds))
    state = json.loads(msg)
    threading.Thread(target=serve, args=(fds[state["fds"].index("seccompFd")],), daemon=True).start()
EOF
	python3 "$TMP/listener.py" "$TMP/seccomp.sock" "$TMP" "$1" </dev/null >"$TMP/listener.out" 2>&1 3>&- &
	BACKGROUND_PIDS+=($!)
	retry 100 0.05 test -e "$TMP/ready"
}

@test "seccomp: SCMP_ACT_NOTIFY hands the listener the fd and the container process state" {
	start_listener 122
	writable_rootfs
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $sock,
		"listenerMetadata": "husk-meta",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' --arg sock "$TMP/seccomp.sock"
	container_run sh -c 'mkdir /tmp/d; echo rc=$?; test -d /tmp/d && echo exists; echo done'
	cat "$TMP/listener.out" >&2 || true
	assert_status 0
	[ "$(cat "$TMP/fds")" = 1 ] || fail "listener got $(cat "$TMP/fds") fds"
	state=$(cat "$TMP/state.json")
	[ -n "$(jq -r .ociVersion <<<"$state")" ]
	[ "$(jq -c .fds <<<"$state")" = '["seccompFd"]' ] || fail "fds: $state"
	[ "$(jq -r .metadata <<<"$state")" = husk-meta ] || fail "metadata: $state"
	[ "$(jq -r .state.id <<<"$state")" = "$ID" ] || fail "state.id: $state"
	[ "$(jq -r .state.bundle <<<"$state")" = "$BUNDLE" ] || fail "state.bundle: $state"
	[ "$(jq -r .pid <<<"$state")" -gt 0 ] || fail "pid: $state"
	[ "$(jq -r .state.status <<<"$state")" = creating ] || [ "$(jq -r .state.status <<<"$state")" = created ] ||
		fail "state.status: $state"
	# the listener answered mkdir with EDQUOT
	[ "$(kv rc)" = 1 ] || fail "mkdir was not answered by the listener"
	assert_output_contains "Disk quota exceeded"
	[[ "$output" != *exists* ]]
	grep -q '^notif nr=83 ' "$TMP/listener.log" || grep -q '^notif nr=258 ' "$TMP/listener.log" ||
		fail "listener log: $(cat "$TMP/listener.log")"
}

@test "seccomp: SCMP_ACT_NOTIFY answered with CONTINUE lets the call proceed" {
	start_listener 0
	writable_rootfs
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $sock,
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' --arg sock "$TMP/seccomp.sock"
	container_run sh -c 'mkdir /tmp/d && test -d /tmp/d && echo exists'
	assert_status 0
	assert_output_contains exists
	grep -q '^notif ' "$TMP/listener.log" || fail "no notification reached the listener"
}

# runc's order: the exec'd process goes on to its execve only once husk has taken its listener fd, which that
# execve closes (before, 1 exec in 5 failed: the process ran, and was killed, without its listener).
@test "seccomp: SCMP_ACT_NOTIFY with exec: every exec'd process's listener reaches the agent with its state" {
	start_listener 122
	writable_rootfs
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $sock,
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' --arg sock "$TMP/seccomp.sock"
	set_args sleep 600
	husk_run_detached
	local i
	for i in $(seq 2 21); do
		run --separate-stderr husk exec "$ID" sh -c "mkdir /tmp/e$i; echo rc=\$?" </dev/null
		assert_status 0
		[ "$output" = rc=1 ] || fail "exec $i: mkdir not answered by the listener: $output $stderr"
		[ "$(jq -r .state.id "$TMP/state.$i.json")" = "$ID" ] || fail "exec $i: $(cat "$TMP/state.$i.json")"
		[ "$(jq -r .pid "$TMP/state.$i.json")" -gt 0 ] || fail "exec $i: $(cat "$TMP/state.$i.json")"
	done
}

# With noNewPrivileges a filter with a listener is loaded after the user switch and capabilities (as runc's, and as
# late as husk can still take the fd): the agent sees the container's own calls only, and one that refuses prctl,
# capset and setgroups does not break husk (it failed with "prctl(PR_SET_KEEPCAPS): Operation not permitted").
@test "seccomp: SCMP_ACT_NOTIFY with noNewPrivileges: the agent never sees husk's prctl, capset or setgroups" {
	start_listener 1
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $sock,
		"syscalls": [{"names": ["prctl", "capset", "setgroups"], "action": "SCMP_ACT_NOTIFY"}]}' \
		--arg sock "$TMP/seccomp.sock"
	[ "$(uname -m)" = x86_64 ] || skip "syscall numbers of x86_64"
	# Only the container's own calls reached the agent: prctl (157) PR_GET_NO_NEW_PRIVS (39) of the checker, $1 of
	# them so far, which the agent refused, and busybox's PR_GET_NAME (16); no capset (126) or setgroups (116).
	only_checker_prctl() {
		[ "$(grep '^notif ' "$TMP/listener.log" | grep -cvE '^notif nr=157 pid=[0-9]+ arg0=(16|39)$')" = 0 ] &&
			[ "$(grep -cE '^notif nr=157 pid=[0-9]+ arg0=39$' "$TMP/listener.log")" = "$1" ] ||
			fail "the agent saw: $(cat "$TMP/listener.log")"
	}
	container_run sh -c 'echo hi; checker seccomp; echo rc=$?'
	assert_status 0
	assert_output_contains hi
	[ "$(kv rc)" != 0 ] || fail "the checker's prctl was not refused: $output"
	only_checker_prctl 1

	husk_create "$ID-c"
	husk start "$ID-c"
	wait_for_status stopped "$ID-c"
	grep -qx hi "$TMP/$ID-c.out" || fail "create/start: $(cat "$TMP/$ID-c.out" "$TMP/$ID-c.err")"
	only_checker_prctl 2

	set_args sleep 600
	husk_run_detached "$ID-e"
	run --separate-stderr husk exec "$ID-e" sh -c 'echo hi; checker seccomp; echo rc=$?' </dev/null
	assert_status 0
	[ "${lines[0]}" = hi ] || fail "exec: $output $stderr"
	only_checker_prctl 3
}

# The init waits for start under a filter with a listener, and the exec'd process for husk's GO: by then the agent
# holds the fd, so a notified sendmsg, recvmsg... is not refused up front as one the filter may refuse (it was, and
# runc runs these).
@test "seccomp: SCMP_ACT_NOTIFY on the calls husk waits with, answered CONTINUE: run, create/start and exec work" {
	start_listener 0
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $sock,
		"syscalls": [{"names": ["sendmsg", "recvmsg", "recvfrom", "accept4", "close"], "action": "SCMP_ACT_NOTIFY"}]}' \
		--arg sock "$TMP/seccomp.sock"
	container_run echo hi
	assert_status 0
	[ "$output" = hi ] || fail "run: $output"

	set_args echo hi
	husk_create "$ID-c"
	husk start "$ID-c"
	wait_for_status stopped "$ID-c"
	[ "$(cat "$TMP/$ID-c.out")" = hi ] || fail "create/start: $(cat "$TMP/$ID-c.out" "$TMP/$ID-c.err")"

	set_args sleep 600
	husk_run_detached "$ID-e"
	run --separate-stderr husk exec "$ID-e" echo hi </dev/null
	assert_status 0
	[ "$output" = hi ] || fail "exec: $output $stderr"
	grep -q '^notif ' "$TMP/listener.log" || fail "no notification reached the agent"
}

# A relative listenerPath is the bundle's, as runc's (which works from the bundle directory), whatever the caller's
# cwd: husk connected to it from its own cwd ("connect to `../seccomp.sock`: No such file or directory").
@test "seccomp: a relative linux.seccomp.listenerPath is taken in the bundle directory" {
	start_listener 122
	writable_rootfs
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "../seccomp.sock",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	set_args sh -c 'mkdir /tmp/d; echo rc=$?'
	run --separate-stderr bash -c 'cd / && "$@"' - "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$output" = rc=1 ] || fail "mkdir was not answered by the listener: $output $stderr"
}

# exec takes it in the bundle too, whatever its caller's cwd (as runc's exec does).
@test "seccomp: a relative linux.seccomp.listenerPath is taken in the bundle directory by exec" {
	start_listener 122
	writable_rootfs
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "../seccomp.sock",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	set_args sleep 600
	husk_run_detached
	run --separate-stderr bash -c 'cd / && "$@"' - "$HUSK" --root "$ROOT" exec "$ID" sh -c 'mkdir /tmp/e; echo rc=$?' \
		</dev/null
	assert_status 0
	[ "$output" = rc=1 ] || fail "mkdir was not answered by the listener: $output $stderr"
}

# A container joining a pid namespace: without noNewPrivileges its filter is loaded before the init that takes over
# is born there (init.c), and that init holds the listener fd the agent gets; with it, that init loads the filter.
@test "seccomp: SCMP_ACT_NOTIFY in a container joining a pid namespace reaches the agent" {
	start_listener 122
	writable_rootfs
	cp -a "$BUNDLE" "$TMP/owner"
	jq '.process.args = ["sleep", "600"]' "$BUNDLE/config.json" >"$TMP/owner/config.json"
	husk run --detach --bundle "$TMP/owner" "$ID-owner" </dev/null >/dev/null 2>&1 3>&-
	update_config '.linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $sock,
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' \
		--arg ns "/proc/$(container_pid "$ID-owner")/ns/pid" --arg sock "$TMP/seccomp.sock"
	local nnp n=0
	for nnp in false true; do
		n=$((n + 1))
		update_config '.process.noNewPrivileges = $nnp' --argjson nnp "$nnp"
		set_args sh -c 'mkdir /tmp/d; echo rc=$?'
		run husk run --bundle "$BUNDLE" "$ID-$n" </dev/null
		assert_status 0
		[ "$(kv rc)" = 1 ] || fail "noNewPrivileges $nnp: mkdir was not answered by the listener: $output"
		[ "$(jq -r .pid "$TMP/state.$n.json")" -gt 0 ] || fail "pid: $(cat "$TMP/state.$n.json")"
	done
}

@test "seccomp: SCMP_ACT_NOTIFY with no listener is an error that leaves nothing" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $sock,
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}' --arg sock "$TMP/nobody.sock"
	set_args true
	expect_create_error "$TMP/nobody.sock"
}

# ---- sysctl -------------------------------------------------------------------------------------------------------

@test "sysctl: kernel.msgmax (ipc namespace) and net.ipv4.ip_forward (network namespace)" {
	host_msgmax=$(cat /proc/sys/kernel/msgmax)
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	want_fwd=$((1 - host_fwd))
	update_config '.linux.sysctl = {"kernel.msgmax": "12345", "net.ipv4.ip_forward": $fwd}' --arg fwd "$want_fwd"
	container_run sh -c 'checker sysctl kernel.msgmax; checker sysctl net.ipv4.ip_forward'
	assert_status 0
	[ "$(kv kernel.msgmax)" = 12345 ]
	[ "$(kv net.ipv4.ip_forward)" = "$want_fwd" ]
	[ "$(cat /proc/sys/kernel/msgmax)" = "$host_msgmax" ] || fail "the host's msgmax changed"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ] || fail "the host's ip_forward changed"
}

@test "sysctl: a key outside any namespace is refused by name and leaves nothing" {
	host=$(cat /proc/sys/kernel/panic)
	update_config '.linux.sysctl = {"kernel.panic": "17"}'
	set_args true
	expect_create_error kernel.panic
	[ "$(cat /proc/sys/kernel/panic)" = "$host" ] || fail "the host's kernel.panic changed"
}

@test "sysctl: a network key without a network namespace is refused" {
	update_config '.linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	set_args true
	expect_create_error net.ipv4.ip_forward
}

@test "sysctl: a network, ipc or uts key is refused where that namespace is joined by a path to husk's own" {
	# The host's namespaces by path (podman --network container:X of a host-network container): the keys
	# would be written on the host. runc compares the network namespace too.
	local host_fin host_msg
	host_fin=$(cat /proc/sys/net/ipv4/tcp_fin_timeout)
	host_msg=$(cat /proc/sys/kernel/msgmax)
	update_config '.linux.namespaces |= map(if .type == "network" then .path = $net else . end)
		| .linux.sysctl = {"net.ipv4.tcp_fin_timeout": "41"}' --arg net "/proc/$$/ns/net"
	set_args true
	# A runtime that takes the config writes the host: the value is put back before anything is asserted.
	local rc=0
	husk_create || rc=$?
	[ "$(cat /proc/sys/net/ipv4/tcp_fin_timeout)" = "$host_fin" ] ||
		{ echo "$host_fin" >/proc/sys/net/ipv4/tcp_fin_timeout && fail "the host's tcp_fin_timeout changed"; }
	[ "$rc" -ne 0 ] || fail "create took net.* in husk's own network namespace"
	[ "$RUNTIME" != husk ] || grep -qF net.ipv4.tcp_fin_timeout "$TMP/$ID.err" || fail "$(cat "$TMP/$ID.err")"
	assert_no_trace
	skip_on_runc "1.1 compares only the network namespace"
	update_config '.linux.namespaces |= map(if .type == "network" then del(.path) elif .type == "ipc" then
		.path = $ipc else . end) | .linux.sysctl = {"kernel.msgmax": "12345"}' --arg ipc "/proc/$$/ns/ipc"
	rc=0
	husk_create || rc=$?
	[ "$(cat /proc/sys/kernel/msgmax)" = "$host_msg" ] ||
		{ echo "$host_msg" >/proc/sys/kernel/msgmax && fail "the host's kernel.msgmax changed"; }
	[ "$rc" -ne 0 ] || fail "create took kernel.msgmax in husk's own ipc namespace"
	assert_no_trace
}

# ---- netDevices ---------------------------------------------------------------------------------------------------

@test "netDevices: a host veth end moves into the container under its new name" {
	skip_on_runc "1.1 does not support linux.netDevices (added in 1.2)"
	VETH_HOST=hk${ID: -8}a
	local peer=hk${ID: -8}b
	ip link add "$VETH_HOST" type veth peer name "$peer" || skip "cannot create a veth pair"
	ip addr add 10.213.7.2/24 dev "$peer"
	update_config '.linux.netDevices = {($dev): {"name": "ctr0"}}' --arg dev "$peer"
	set_args sh -c 'ls /sys/class/net; cat /sys/class/net/ctr0/ifindex; ip -o addr show dev ctr0; sleep 30'
	husk_run_detached
	retry 50 0.1 grep -qx ctr0 "$TMP/$ID.out"
	out=$(cat "$TMP/$ID.out")
	[[ "$out" == *lo* ]]
	! ip link show "$peer" >/dev/null 2>&1 || fail "$peer is still on the host"
	# the host end is still here, and its peer is in the container's namespace
	ip link show "$VETH_HOST" >/dev/null
	run husk exec "$ID" cat /sys/class/net/ctr0/operstate </dev/null
	assert_status 0
	husk delete -f "$ID"
}

@test "netDevices: the address on the moved device is kept" {
	skip_on_runc "1.1 does not support linux.netDevices (added in 1.2)"
	VETH_HOST=hk${ID: -8}a
	local peer=hk${ID: -8}b
	ip link add "$VETH_HOST" type veth peer name "$peer" || skip "cannot create a veth pair"
	ip addr add 10.213.8.2/24 dev "$peer"
	update_config '.linux.netDevices = {($dev): {"name": "ctr1"}}' --arg dev "$peer"
	container_run ip -o addr show dev ctr1
	assert_status 0
	assert_output_contains 10.213.8.2/24
}

@test "netDevices: a device that does not exist is an error naming it and leaves nothing" {
	skip_on_runc "1.1 does not support linux.netDevices (added in 1.2)"
	update_config '.linux.netDevices = {"hknosuchdev0": {"name": "x0"}}'
	set_args true
	expect_create_error hknosuchdev0
}

# ---- execCPUAffinity, memoryPolicy, intelRdt, LSMs ----------------------------------------------------------------

@test "execCPUAffinity: initial and final" {
	skip_on_runc "1.1 does not support process.execCPUAffinity (added in 1.2)"
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	update_config '.process.execCPUAffinity = {"initial": "1", "final": "0"}'
	container_run checker status Cpus_allowed_list
	assert_status 0
	[ "$(kv Cpus_allowed_list)" = 0 ]
	update_config '.process.execCPUAffinity = {"initial": "0"}'
	container_run checker status Cpus_allowed_list
	assert_status 0
	# without final the process keeps the container cgroup's cpus (the host's here), not initial
	[ "$(kv Cpus_allowed_list)" = "$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)" ]
}

@test "execCPUAffinity: applies to husk exec" {
	skip_on_runc "1.1 does not support process.execCPUAffinity (added in 1.2)"
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	update_config '.process.execCPUAffinity = {"initial": "0", "final": "1"}'
	set_args sleep 30
	husk_run_detached
	run husk exec "$ID" checker status Cpus_allowed_list </dev/null
	assert_status 0
	[ "$(kv Cpus_allowed_list)" = 1 ]
	husk delete -f "$ID"
}

@test "execCPUAffinity: an invalid CPU list is an error naming the field" {
	skip_on_runc "1.1 does not support process.execCPUAffinity (added in 1.2)"
	update_config '.process.execCPUAffinity = {"final": "zero"}'
	set_args true
	expect_create_error process.execCPUAffinity
}

@test "memoryPolicy: MPOL_BIND to node 0 is applied" {
	skip_on_runc "1.1 does not support linux.memoryPolicy (added in 1.2)"
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}'
	container_run checker status Mems_allowed_list
	assert_status 0
	[ -n "$(kv Mems_allowed_list)" ]
}

@test "memoryPolicy: an unknown mode is an error naming the path" {
	skip_on_runc "1.1 does not support linux.memoryPolicy (added in 1.2)"
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BOGUS", "nodes": "0"}'
	set_args true
	expect_create_error linux.memoryPolicy.mode
}

@test "memoryPolicy: a node that does not exist is an error" {
	skip_on_runc "1.1 does not support linux.memoryPolicy (added in 1.2)"
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "63"}'
	set_args true
	expect_create_error linux.memoryPolicy
}

@test "intelRdt: without resctrl create fails naming linux.intelRdt and leaves nothing" {
	grep -q resctrl /proc/mounts && skip "resctrl is mounted here"
	update_config '.linux.intelRdt = {"closID": "husktest", "l3CacheSchema": "L3:0=f"}'
	set_args true
	expect_create_error linux.intelRdt
}

@test "apparmorProfile: on a host without AppArmor the error says so" {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || skip "AppArmor is enabled on this host"
	update_config '.process.apparmorProfile = "husk-test-profile"'
	set_args true
	run husk_create
	if [ "$RUNTIME" = runc ] && [ "$status" -eq 0 ]; then
		skip "runc 1.1 ignores apparmorProfile when AppArmor is off"
	fi
	[ "$status" -ne 0 ] || fail "create accepted an AppArmor profile"
	grep -qi apparmor "$TMP/$ID.err" || fail "error does not name AppArmor: $(cat "$TMP/$ID.err")"
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || fail "create left $(ls -A "$ROOT")"
	assert_no_cgroup
}

@test "selinuxLabel: on a host without SELinux the error says so" {
	grep -q selinuxfs /proc/filesystems && skip "SELinux is enabled on this host"
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
	set_args true
	run husk_create
	[ "$status" -ne 0 ] || fail "create accepted an SELinux label"
	grep -qi selinux "$TMP/$ID.err" || fail "error does not name SELinux: $(cat "$TMP/$ID.err")"
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || fail "create left $(ls -A "$ROOT")"
	assert_no_cgroup
}

# ---- capabilities -------------------------------------------------------------------------------------------------

@test "capabilities: ambient caps give a non-root user an effective set across exec" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {
			"bounding": ["CAP_NET_RAW", "CAP_SYS_TIME", "CAP_KILL"],
			"permitted": ["CAP_NET_RAW", "CAP_SYS_TIME"],
			"effective": ["CAP_NET_RAW", "CAP_SYS_TIME"],
			"inheritable": ["CAP_NET_RAW", "CAP_SYS_TIME"],
			"ambient": ["CAP_NET_RAW", "CAP_SYS_TIME"]}'
	# through sh: ambient caps survive a second execve, inherited and permitted caps alone would not
	container_run sh -c 'checker caps'
	assert_status 0
	[ "$(kv CapAmb)" != 0000000000000000 ] || fail "no ambient caps"
	[ "$(kv CapAmb_names)" = cap_net_raw,cap_sys_time ]
	[ "$(kv CapEff_names)" = cap_net_raw,cap_sys_time ]
	[ "$(kv CapBnd_names)" = cap_kill,cap_net_raw,cap_sys_time ]
}

@test "capabilities: an ambient cap missing from inheritable is not raised" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {
			"bounding": ["CAP_NET_RAW"], "permitted": ["CAP_NET_RAW"], "effective": ["CAP_NET_RAW"],
			"inheritable": [], "ambient": ["CAP_NET_RAW"]}'
	set_args checker caps
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	# runc warns and goes on; a runtime may also refuse the config, but it must never raise it
	if [ "$status" -eq 0 ]; then
		[ "$(kv CapAmb)" = 0000000000000000 ] || fail "ambient raised without inheritable"
	else
		assert_no_trace
	fi
}

@test "capabilities: a capability the kernel does not know is skipped with a warning" {
	husk_only "the warning text is husk's"
	last=$(cat /proc/sys/kernel/cap_last_cap)
	[ "$last" -lt 40 ] || skip "this kernel knows every capability husk can name (cap_last_cap=$last)"
	update_config '.process.capabilities.bounding += ["CAP_CHECKPOINT_RESTORE"]'
	set_args checker caps
	run --separate-stderr husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[[ "$stderr" == *"not known to the running kernel"* ]] || fail "no warning: $stderr"
}
