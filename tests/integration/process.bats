#!/usr/bin/env bats
# The container process: args, env, cwd, user and groups, umask, rlimits, capabilities, no_new_privs, fds (and
# who owns stdio) and signal state, oom_score_adj, scheduler, ioprio, personality.

load helpers

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

has_cap_sys_resource() {
	local eff
	eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
	(((0x$eff >> 24) & 1))
}

@test "process: args are passed exactly, spaces, quotes and empty words included" {
	container_run sh -c 'printf "%s|" "$@"' sh "a b" 'c"d' '' "e'f" '$HOME'
	assert_status 0
	[ "$output" = "a b|c\"d||e'f|\$HOME|" ] || fail "args"
}

# The errno's words as runc (Go) prints them, lower case: docker's CLI matches "no such file or directory" and
# "permission denied" case-sensitively to exit 127 or 126 (else 125).
@test "process: a missing executable fails" {
	container_run /bin/nonexistent
	[ "$status" -ne 0 ]
	assert_output_contains nonexistent
	assert_output_contains "no such file or directory"
}

# runc 1.1 looks the file up with the user's effective ids and capabilities (faccessat2 AT_EACCESS), as execve
# checks it: access(2) would ask for the user's ids alone.
@test "process: a file only CAP_DAC_OVERRIDE lets the user execute runs; one without an execute bit fails" {
	chown 0 "$BUNDLE/rootfs/bin/busybox"
	chmod 0744 "$BUNDLE/rootfs/bin/busybox"
	update_config '.process.user = {"uid": 1000, "gid": 100}'
	container_run /bin/echo hello
	[ "$status" -ne 0 ] || fail "ran without CAP_DAC_OVERRIDE"
	update_config '(.process.capabilities | .bounding, .effective, .permitted, .inheritable, .ambient) += ["CAP_DAC_OVERRIDE"]'
	ID=$ID-c container_run /bin/echo hello
	assert_status 0
	[ "$output" = hello ] || fail "unexpected output"
	# PATH lookup too
	ID=$ID-p container_run echo hello
	assert_status 0
	# effective but not ambient: the exec of the program still has it (runc's start_hello.bats case)
	update_config '(.process.capabilities | .inheritable, .ambient) -= ["CAP_DAC_OVERRIDE"]'
	ID=$ID-e container_run /bin/echo hello
	assert_status 0
	[ "$output" = hello ] || fail "unexpected output"
	# No execute bit at all: not even CAP_DAC_OVERRIDE runs it, and the error names the file.
	chmod 0644 "$BUNDLE/rootfs/bin/busybox"
	ID=$ID-n container_run /bin/echo hello
	[ "$status" -ne 0 ] || fail "a file without an execute bit ran"
	assert_output_contains /bin/echo
	assert_output_contains "permission denied"
}

@test "process: args[0] is looked up in PATH from process.env" {
	mkdir -p "$BUNDLE/rootfs/opt/tools"
	cp "$CHECKER" "$BUNDLE/rootfs/opt/tools/only-here"
	update_config '.process.env = ["PATH=/opt/tools"]'
	container_run only-here pid
	assert_status 0
	[ "$(kv pid)" = 1 ]
}

@test "process: env is process.env (and HOME), nothing from the runtime's environment" {
	update_config '.process.env = ["PATH=/bin", "FOO=bar", "WITH_EQUALS=a=b", "EMPTY="]'
	export HUSK_TEST_LEAK=leaked
	container_run checker env
	assert_status 0
	[ "$(kv FOO)" = bar ]
	[ "$(kv WITH_EQUALS)" = a=b ]
	printf '%s\n' "$output" | grep -qx 'EMPTY='
	[[ "$output" != *HUSK_TEST_LEAK* ]] || fail "runtime environment leaked"
}

# runc and crun add HOME from the container's passwd (first entry of the uid), "/" when there is none.
@test "process: HOME is the user's home from the container's /etc/passwd when process.env has none" {
	update_config '.process.env = ["PATH=/bin"]'
	container_run checker env HOME
	assert_status 0
	[ "$(kv HOME)" = /root ] || fail "root: $output"
	update_config '.process.user = {"uid": 65534, "gid": 65534}'
	ID=$ID-n container_run checker env HOME
	assert_status 0
	[ "$(kv HOME)" = /nonexistent ] || fail "nobody: $output"
	update_config '.process.user = {"uid": 4321, "gid": 4321}'
	ID=$ID-u container_run checker env HOME
	assert_status 0
	[ "$(kv HOME)" = / ] || fail "uid without an entry: $output"
	# Lines that are not entries are passed over; the first entry of a uid wins.
	printf '%s\n' 'not an entry' 'bad:x:12x4:0::/bad:' '+::::::' \
		'app:x:1234:1234:App:/home/app:/bin/sh' 'again:x:1234:1234::/other:/bin/sh' >>"$BUNDLE/rootfs/etc/passwd"
	update_config '.process.user = {"uid": 1234, "gid": 1234}'
	ID=$ID-a container_run checker env HOME
	assert_status 0
	[ "$(kv HOME)" = /home/app ] || fail "uid 1234: $output"
}

@test "process: a HOME in process.env is kept, an empty one replaced" {
	update_config '.process.env = ["PATH=/bin", "HOME=/srv/app"]'
	container_run checker env
	assert_status 0
	[ "$(kv HOME)" = /srv/app ] || fail "HOME not kept: $output"
	[ "$(grep -c '^HOME=' <<<"$output")" = 1 ] || fail "HOME set twice"
	update_config '.process.env = ["HOME=", "PATH=/bin"]'
	ID=$ID-e container_run checker env
	assert_status 0
	[ "$(kv HOME)" = /root ] || fail "empty HOME not replaced: $output"
	[ "$(grep -c '^HOME=' <<<"$output")" = 1 ] || fail "HOME set twice"
}

# runc 1.1 sets process.env one entry after the other (os.Setenv): a name keeps the place where it first appears
# and takes the value it has last.
@test "process: a name set twice in process.env is set once, where it first appears, with its last value" {
	update_config '.process.env = ["ONE=two", "B=1", "ONE=", "PATH=/usr/bin:/bin", "B=2"]'
	container_run checker env
	assert_status 0
	[ "$output" = "$(printf '%s\n' ONE= B=2 PATH=/usr/bin:/bin HOME=/root)" ] || fail "environment"
}

@test "process: HOME set twice, last empty, is set once from /etc/passwd" {
	update_config '.process.env = ["HOME=/override", "PATH=/bin", "HOME="]'
	container_run checker env
	assert_status 0
	[ "$output" = "$(printf '%s\n' HOME=/root PATH=/bin)" ] || fail "environment"
}

@test "process: an env entry that is not NAME=VALUE, or has no name, fails the start" {
	update_config '.process.env = ["PATH=/bin", "NOEQUALS"]'
	container_run true
	[ "$status" -ne 0 ] || fail "started with an entry without ="
	[ "$RUNTIME" != husk ] || assert_output_contains 'process.env: `NOEQUALS` is not NAME=VALUE'
	assert_no_trace
	update_config '.process.env = ["PATH=/bin", "=value"]'
	ID=$ID-e container_run true
	[ "$status" -ne 0 ] || fail "started with an empty name"
	[ "$RUNTIME" != husk ] || assert_output_contains 'process.env: `=value`: the name is empty'
	assert_no_trace "$ID-e"
}

@test "process: a FIFO at /etc/passwd neither hangs the start nor gives a HOME but /" {
	husk_only "runc blocks opening it"
	rm "$BUNDLE/rootfs/etc/passwd"
	mkfifo "$BUNDLE/rootfs/etc/passwd"
	update_config '.process.env = ["PATH=/bin"]'
	container_run checker env HOME
	assert_status 0
	[ "$(kv HOME)" = / ]
}

@test "process: cwd" {
	update_config '.process.cwd = "/tmp"'
	container_run checker cwd
	assert_status 0
	[ "$(kv cwd)" = /tmp ]
}

@test "process: a cwd that does not exist is created" {
	update_config '.process.cwd = "/work/dir"'
	container_run checker cwd
	assert_status 0
	[ "$(kv cwd)" = /work/dir ]
}

@test "process: a relative cwd is refused" {
	update_config '.process.cwd = "tmp"'
	set_args true
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
}

# runc enters the cwd as root with every capability, before the user switch and the capability drop; only
# when that is refused does it try again, as the user.
@test "process: cwd is entered as root before the user switch, and again as the user when root may not" {
	chown 0:0 "$BUNDLE/rootfs/root"
	chmod 0700 "$BUNDLE/rootfs/root"
	update_config '.process.cwd = "/root" | .process.user = {"uid": 42, "gid": 42}'
	container_run checker cwd
	assert_status 0
	[ "$(kv cwd)" = /root ] || fail "a cwd only root may enter"

	# In a user namespace whose root is host 100000: the directory's owner is not mapped, so root's capabilities
	# do not apply to it, and only its group (container gid 7) may enter.
	chmod 0755 "$TMP"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000}]
		| .process.cwd = "/work" | .process.user = {"uid": 42, "gid": 7}'
	mkdir "$BUNDLE/rootfs/work"
	chown 5000:200007 "$BUNDLE/rootfs/work"
	chmod 0770 "$BUNDLE/rootfs/work"
	ID=$ID-u container_run checker cwd
	assert_status 0
	[ "$(kv cwd)" = /work ] || fail "a cwd only the user may enter"
	update_config '.process.user = {"uid": 42, "gid": 8}'
	ID=$ID-n container_run checker cwd
	[ "$status" -ne 0 ] || fail "entered a cwd neither root nor the user may enter"
	assert_output_contains /work
}

@test "process: user uid and gid" {
	update_config '.process.user = {"uid": 1000, "gid": 1001}'
	container_run checker ids
	assert_status 0
	[ "$(kv uid)" = 1000 ]
	[ "$(kv euid)" = 1000 ]
	[ "$(kv suid)" = 1000 ]
	[ "$(kv gid)" = 1001 ]
	[ "$(kv egid)" = 1001 ]
	[ "$(kv groups)" = "" ]
}

@test "process: additionalGids" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20, 65534]}'
	container_run checker ids
	assert_status 0
	[ "$(kv groups)" = 10,20,65534 ]
}

@test "process: the root user has no supplementary groups from the host" {
	container_run checker ids
	assert_status 0
	[ "$(kv uid)" = 0 ]
	[ "$(kv groups)" = "" ] || [ "$(kv groups)" = 0 ]
}

@test "process: umask" {
	update_config '.process.user.umask = 63'
	container_run checker ids
	assert_status 0
	[ "$(kv umask)" = 0077 ]
	# A uint32: above 0777, its permission bits (umask(2) keeps no more), as with runc.
	update_config '.process.user.umask = 4095'
	container_run checker ids
	assert_status 0
	[ "$(kv umask)" = 0777 ]
}

@test "process: default umask is 0022" {
	container_run checker ids
	assert_status 0
	[ "$(kv umask)" = 0022 ]
}

@test "process: rlimits NOFILE soft and hard" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	container_run sh -c 'checker rlimit NOFILE; echo ---; checker rlimit CORE'
	assert_status 0
	first=${output%%---*}
	second=${output#*---}
	[ "$(kv soft "$first")" = 100 ]
	[ "$(kv hard "$first")" = 200 ]
	[ "$(kv soft "$second")" = 0 ]
	[ "$(kv hard "$second")" = 0 ]
}

@test "process: raising hard NOFILE above the runtime's without CAP_SYS_RESOURCE fails" {
	has_cap_sys_resource && skip "the runtime has CAP_SYS_RESOURCE here"
	host_hard=$(ulimit -Hn)
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": $h}]' --argjson h $((host_hard + 1000))
	set_args true
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
}

@test "process: default capabilities are the runc spec set" {
	container_run checker caps
	assert_status 0
	want=cap_kill,cap_net_bind_service,cap_audit_write
	[ "$(kv CapBnd_names)" = $want ]
	[ "$(kv CapPrm_names)" = $want ]
	[ "$(kv CapEff_names)" = $want ]
	[ "$(kv CapInh_names)" = "" ]
}

@test "process: a custom bounding and effective set" {
	update_config '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_SYS_ADMIN"],
		"permitted": ["CAP_CHOWN"],
		"effective": ["CAP_CHOWN"]}'
	container_run checker caps
	assert_status 0
	[ "$(kv CapBnd_names)" = cap_chown,cap_sys_admin ]
	# uid 0: execve makes the permitted set the bounding set ∩ (inheritable | file caps) = full for root
	[[ ",$(kv CapEff_names)," == *,cap_chown,* ]]
}

@test "process: ambient capabilities reach a non-root process" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {
			"bounding": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_NET_BIND_SERVICE"]}'
	container_run checker caps
	assert_status 0
	[ "$(kv CapAmb_names)" = cap_net_bind_service ]
	[ "$(kv CapEff_names)" = cap_net_bind_service ]
	[ "$(kv CapBnd_names)" = cap_net_bind_service ]
}

@test "process: a non-root user without ambient capabilities has none" {
	update_config '.process.user = {"uid": 1000, "gid": 1000} | del(.process.capabilities.ambient)'
	container_run checker caps
	assert_status 0
	[ "$(kv CapEff)" = 0000000000000000 ]
	[ "$(kv CapPrm)" = 0000000000000000 ]
}

@test "process: noNewPrivileges" {
	update_config '.process.noNewPrivileges = true'
	container_run checker seccomp
	assert_status 0
	[ "$(kv no_new_privs)" = 1 ]
	update_config '.process.noNewPrivileges = false'
	container_run checker seccomp
	assert_status 0
	[ "$(kv no_new_privs)" = 0 ]
}

# runc's fixStdioPermissions: the user owns its stdio pipes, so that it can open them again (/dev/stdout). runc
# chowns a host file given as stdio too; husk leaves whatever has a place on the host as it is.
@test "process: stdio pipes belong to process.user.uid, which can reopen /dev/stdout; a host file keeps its owner" {
	update_config '.process.user = {"uid": 1000, "gid": 100}'
	container_run sh -c 'echo reopened >/dev/stdout && stat -L -c "stdout=%u" /proc/self/fd/1'
	assert_status 0
	assert_output_contains reopened
	[ "$(kv stdout)" = 1000 ] || fail "stdout belongs to $(kv stdout)"
	[ "$RUNTIME" = husk ] || return 0
	set_args sh -c 'echo written'
	: >"$TMP/out"
	husk run -d --bundle "$BUNDLE" "$ID-f" </dev/null >"$TMP/out" 2>&1 3>&-
	retry 100 0.05 grep -q written "$TMP/out"
	[ "$(stat -c %u:%g "$TMP/out")" = 0:0 ] || fail "the host file now belongs to $(stat -c %u:%g "$TMP/out")"
}

@test "process: only stdin, stdout and stderr are open" {
	container_run checker fds
	assert_status 0
	[ "$(kv fds)" = 0,1,2 ] || fail "open fds"
}

@test "process: no signals blocked or ignored" {
	# the runtime's own dispositions must not leak into the container
	trap '' USR2
	container_run checker signals
	trap - USR2
	assert_status 0
	[ "$(kv SigBlk)" = 0000000000000000 ] || fail "blocked: SigBlk $(kv SigBlk)"
	[ "$(kv SigIgn)" = 0000000000000000 ] || fail "ignored: SigIgn $(kv SigIgn)"
}

@test "process: oomScoreAdj" {
	update_config '.process.oomScoreAdj = 123'
	container_run checker oom_score_adj
	assert_status 0
	[ "$(kv oom_score_adj)" = 123 ]
}

@test "process: hostname is visible through the uts sysctl" {
	update_config '.hostname = "proc-test"'
	container_run checker sysctl kernel.hostname
	assert_status 0
	[ "$(kv kernel.hostname)" = proc-test ]
}

@test "process: scheduler policy" {
	skip_on_runc "1.1 does not support process.scheduler (added in 1.2)"
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
	container_run checker sched
	assert_status 0
	[ "$(kv policy)" = SCHED_BATCH ]
	[ "$(kv nice)" = 5 ]
}

# With real-time group scheduling (CONFIG_RT_GROUP_SCHED, the v1 cpu controller's cpu.rt_runtime_us) a new cpu
# cgroup gets no real-time time, and SCHED_FIFO/RR there fails with a bare EPERM: husk says what to set instead.
@test "process: SCHED_FIFO in a cpu cgroup without real-time time is refused naming realtimeRuntime; with it, it runs" {
	skip_on_runc "1.1 does not support process.scheduler; 1.2 fails with the kernel's EPERM"
	[ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "no real-time group scheduling here (v1 cpu.rt_runtime_us)"
	[ "$(cat /sys/fs/cgroup/cpu/cpu.rt_runtime_us)" -gt 10000 ] || skip "the host's cpu cgroup has no real-time time to give"
	update_config '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 10}'
	set_args checker sched
	run husk_create
	[ "$status" -ne 0 ] || fail "SCHED_FIFO without real-time time was accepted"
	assert_output_contains "cpu.rt_runtime_us is 0): set linux.resources.cpu.realtimeRuntime"
	assert_no_trace
	update_config '.linux.resources.cpu = {"realtimeRuntime": 10000, "realtimePeriod": 1000000}'
	container_run checker sched
	assert_status 0
	[ "$(kv policy)" = SCHED_FIFO ] || fail "$output"
}

# SCHED_DEADLINE needs the task's CPU mask to span its root domain: the mask of a pinned caller (taskset) must be
# gone before the scheduler is set, or sched_setattr fails with EPERM.
@test "process: SCHED_DEADLINE, with husk's caller pinned to one CPU" {
	skip_on_runc "1.1 does not support process.scheduler (added in 1.2)"
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 10000000, "deadline": 30000000,
		"period": 30000000}'
	taskset -pc 0 "$BASHPID" >/dev/null
	container_run checker sched
	assert_status 0
	[ "$(kv policy)" = SCHED_DEADLINE ]
	[ "$(kv cpus)" != 0 ] || fail "the container kept its caller's pin"
}

@test "process: ioPriority" {
	skip_on_runc "1.1 does not support process.ioPriority (added in 1.2)"
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	container_run checker ioprio
	assert_status 0
	[ "$(kv class)" = IOPRIO_CLASS_IDLE ]
}

@test "process: linux.personality LINUX32" {
	skip_on_runc "1.1 does not support linux.personality (added in 1.2)"
	update_config '.linux.personality = {"domain": "LINUX32"}'
	container_run checker personality
	assert_status 0
	[ "$(kv domain)" = LINUX32 ]
}
