#!/usr/bin/env bats
# seccomp beyond the basics of security.bats: the ENOSYS stub for syscalls newer than the profile (runc's patchbpf
# rule), podman's profile as podman hands it to the runtime, the bounded compiled-filter cache under --root, and
# LSM fields on a host without that LSM.
#
# tests/unit/spec/data/podman-runtime-seccomp.json is what podman 4.3.1 (Debian 12, containers-common 0.50) put in
# config.json for `podman run --cap-drop AUDIT_WRITE,MKNOD,NET_RAW` on x86_64: podman's own default capability set
# (CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT), with the
# includes/excludes of /usr/share/containers/seccomp.json already evaluated by podman. It was captured with a
# runtime wrapper that copied the bundle's config.json and exec'd runc; ociVersion, process.capabilities and
# linux.seccomp are kept. Evaluating the includes/excludes with jq for those caps and amd64 gives the same rules.

load helpers

PODMAN_RUNTIME_PROFILE=$REPO_DIR/tests/unit/spec/data/podman-runtime-seccomp.json

# A static probe for the container: `sysprobe thread` creates a thread (static glibc >= 2.34 tries clone3 first and
# falls back to clone only on ENOSYS) and prints thread=<pthread_create's error>; `sysprobe NAME NR [ARGS...]` makes
# syscall NR with integer ARGS and prints NAME=<errno, 0 on success>.
SYSPROBE_C='
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *thread_main(void *arg) { return arg; }

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "thread") == 0) {
		pthread_t t;
		int r = pthread_create(&t, NULL, thread_main, NULL);
		if (r == 0)
			r = pthread_join(t, NULL);
		printf("thread=%d\n", r);
		return 0;
	}
	if (argc < 3 || argc > 9) {
		fprintf(stderr, "usage: sysprobe thread | sysprobe NAME NR [ARGS...]\n");
		return 2;
	}
	long a[6] = {0};
	for (int i = 3; i < argc; i++)
		a[i - 3] = strtol(argv[i], NULL, 0);
	errno = 0;
	long r = syscall(strtol(argv[2], NULL, 0), a[0], a[1], a[2], a[3], a[4], a[5]);
	printf("%s=%d\n", argv[1], r == -1 ? errno : 0);
	return 0;
}
'

setup_file() {
	husk_setup_file
	local cc=${CC:-cc}
	printf '%s' "$SYSPROBE_C" >"$BATS_FILE_TMPDIR/sysprobe.c"
	"$cc" -static -O2 -o "$TEMPLATE_BUNDLE/rootfs/bin/sysprobe" "$BATS_FILE_TMPDIR/sysprobe.c" -pthread ||
		{ echo "# cannot build the static sysprobe helper with $cc" >&3; return 1; }
}
setup() { husk_setup; }
teardown() { husk_teardown; }

# What busybox sh, its applets, the checker and sysprobe need on x86_64, without any syscall numbered above
# getrandom (318): no execveat (322), statx (332), rseq (334), clone3 (435), close_range (436), faccessat2 (439).
# The profile predates all of those, as a profile written for an older kernel would. mkdir (83) is not in it.
OLD_ALLOW_LIST='["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "prlimit64",
	"mmap", "munmap", "mprotect", "mremap", "read", "write", "writev", "readv", "pread64", "open", "openat", "close",
	"stat", "fstat", "lstat", "newfstatat", "access", "faccessat", "readlink", "readlinkat", "getdents64", "lseek",
	"ioctl", "fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "getpid", "getppid", "gettid", "getuid", "geteuid",
	"getgid", "getegid", "getgroups", "getresuid", "getresgid", "getpgrp", "getpgid", "getsid", "setpgid",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "sigaltstack", "kill", "tgkill", "fork",
	"vfork", "clone", "wait4", "waitid", "exit", "exit_group", "uname", "getcwd", "chdir", "umask", "prctl", "capget",
	"futex", "getrandom", "sysinfo", "times", "nanosleep", "clock_nanosleep", "clock_gettime", "gettimeofday",
	"sched_getaffinity", "sched_yield", "getrlimit", "poll", "ppoll", "select", "pselect6", "unlink", "unlinkat",
	"personality", "seccomp", "setsid", "capset", "setresuid", "setresgid", "setuid", "setgid", "setgroups",
	"madvise", "fstatfs", "statfs", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "rt_sigtimedwait",
	"mincore"]'

X32=$((0x40000000))

require_x86_64() {
	[ "$(uname -m)" = x86_64 ] || skip "syscall numbers here are x86_64's"
}

# linux.seccomp: ERRNO default (EPERM unless $2 says otherwise), OLD_ALLOW_LIST allowed, plus the rules in $1.
set_old_profile() {
	update_config '.linux.seccomp = {"defaultAction": $default, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
		"SCMP_ARCH_X32"], "syscalls": ([{"names": $names, "action": "SCMP_ACT_ALLOW"}] + $extra)}' \
		--argjson names "$OLD_ALLOW_LIST" --argjson extra "${1:-[]}" --arg default "${2:-SCMP_ACT_ERRNO}"
}

# ---- the ENOSYS stub -----------------------------------------------------------------------------------------------

@test "seccomp: under an ERRNO profile older than the kernel, new syscalls get ENOSYS and threads work" {
	require_x86_64
	set_old_profile
	container_run sh -c "sysprobe clone3 435; sysprobe faccessat2 439; sysprobe nr1000 1000; sysprobe mkdir 83;
		sysprobe x32_new $((X32 | 600)); sysprobe x32_mkdir $((X32 | 83)); sysprobe thread; checker status Seccomp"
	assert_status 0
	[ "$(kv Seccomp)" = 2 ] || fail "not in filter mode"
	[ "$(kv clone3)" = 38 ] || fail "clone3 is not ENOSYS"
	[ "$(kv faccessat2)" = 38 ] || fail "faccessat2 is not ENOSYS"
	[ "$(kv nr1000)" = 38 ] || fail "syscall 1000 is not ENOSYS"
	[ "$(kv x32_new)" = 38 ] || fail "an x32 syscall newer than the profile is not ENOSYS"
	# older than the profile and not listed: the profile's default errno
	[ "$(kv mkdir)" = 1 ] || fail "mkdir is not EPERM"
	[ "$(kv x32_mkdir)" = 1 ] || fail "x32 mkdir is not EPERM"
	# glibc's pthread_create saw ENOSYS from clone3 and fell back to clone
	[ "$(kv thread)" = 0 ] || fail "pthread_create failed"
}

@test "seccomp: a syscall the profile names keeps its rule: clone3 EPERM breaks threads, newer ones are ENOSYS" {
	require_x86_64
	# naming clone3 (435) makes it known to the profile: its rule applies, and only numbers above 435 are new
	set_old_profile '[{"names": ["clone3"], "action": "SCMP_ACT_ERRNO"}]'
	container_run sh -c "sysprobe clone3 435; sysprobe faccessat2 439; sysprobe close_range 436; sysprobe thread"
	assert_status 0
	[ "$(kv clone3)" = 1 ] || fail "clone3 is not EPERM"
	[ "$(kv faccessat2)" = 38 ] || fail "faccessat2 is not ENOSYS"
	[ "$(kv close_range)" = 38 ] || fail "close_range is not ENOSYS"
	# the famous breakage the stub exists for: pthread_create does not fall back on EPERM
	[ "$(kv thread)" = 1 ] || fail "pthread_create did not fail with EPERM"
}

@test "seccomp: an ERRNO profile with a custom errno keeps it for old syscalls" {
	# runc's maintainers want the stub for any denying default but ENOSYS (a custom EACCES would bring the
	# clone3 breakage back); later runc does that, 1.1.5 skipped the stub whenever defaultErrnoRet was set
	skip_on_runc "1.1.5 adds no ENOSYS stub when defaultErrnoRet is set"
	require_x86_64
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13,
		"syscalls": [{"names": $names, "action": "SCMP_ACT_ALLOW"}]}' --argjson names "$OLD_ALLOW_LIST"
	container_run sh -c "sysprobe clone3 435; sysprobe mkdir 83; sysprobe thread"
	assert_status 0
	[ "$(kv clone3)" = 38 ] || fail "clone3 is not ENOSYS"
	[ "$(kv mkdir)" = 13 ]
	[ "$(kv thread)" = 0 ]
}

@test "seccomp: a KILL_PROCESS profile answers new syscalls with ENOSYS and kills for old unlisted ones" {
	require_x86_64
	set_old_profile '[]' SCMP_ACT_KILL_PROCESS
	container_run sh -c 'sysprobe clone3 435; sysprobe thread; sysprobe mkdir 83; echo after=$?'
	assert_status 0
	[ "$(kv clone3)" = 38 ] || fail "clone3 is not ENOSYS"
	[ "$(kv thread)" = 0 ] || fail "pthread_create failed"
	[ "$(kv after)" = $((128 + 31)) ] || fail "mkdir did not kill with SIGSYS"
}

@test "seccomp: an ALLOW default gets no stub: syscalls reach the kernel" {
	require_x86_64
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	# clone3 with a NULL argument of size 0 is EINVAL from the kernel; the stub would have said ENOSYS
	container_run sh -c 'sysprobe clone3 435; sysprobe mkdir 83; sysprobe thread'
	assert_status 0
	[ "$(kv clone3)" = 22 ] || fail "clone3 did not reach the kernel"
	[ "$(kv mkdir)" = 1 ]
	[ "$(kv thread)" = 0 ]
}

# A filter is the container's: one that refuses getcwd or chdir must not stop husk's own set-up, which enters and
# checks process.cwd (the CVE-2024-21626 check) before an early filter (no_new_privileges false) is in place.
@test "seccomp: a filter refusing getcwd and chdir applies to the container, not to husk's set-up (early and late)" {
	skip_on_runc "1.1 enters process.cwd under the container's filter"
	local nnp
	for nnp in false true; do
		update_config '.process.noNewPrivileges = ($n == "true") | .process.cwd = "/tmp" |
			.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": ["getcwd", "chdir"], "action": "SCMP_ACT_ERRNO"}]}' --arg n "$nnp"
		container_run sh -c 'cd / 2>/dev/null; echo cd=$?; echo cwd=$(readlink /proc/self/cwd)'
		assert_status 0
		[ "$(kv cd)" != 0 ] || fail "noNewPrivileges $nnp: chdir was not refused in the container: $output"
		[ "$(kv cwd)" = /tmp ] || fail "noNewPrivileges $nnp: $output"
	done
}

@test "seccomp: an execve failure is reported even when the filter refuses sendmsg" {
	# The filter is in place before the final execve; the init's error must still reach the caller.
	printf 'not an executable\001\002' >"$BUNDLE/rootfs/garbage"
	chmod 0755 "$BUNDLE/rootfs/garbage"
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_ERRNO"}]}'
	container_run /garbage
	[ "$status" -ne 0 ] || fail "a non-executable entrypoint ran"
	[[ "$output" == *"exec format error"* ]] || fail "the exec error was lost: $output"
}

# A profile recorded under runc lists what runc's waiting init calls (an open and a write of its exec fifo), not
# what husk's waits with: accept4 on the exec socket, recvfrom and recvmsg on the sync socket. Loaded late (with
# noNewPrivileges, right before execve) it is no matter. Loaded early, before the user switch, it would stop an init
# that waits for start in husk's code: create says so, naming the calls and the way out, and leaves nothing
# (husk used to create the container, whose init then died unseen before start). A foreground `run` whose init
# runs in husk's memory does not wait at all.
@test "seccomp: a filter refusing accept4 and recvmsg: loaded late it works, loaded early create says why" {
	update_config '.process.noNewPrivileges = true | .process.terminal = false |
		.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["accept4", "accept", "recvfrom", "recvmsg"], "action": "SCMP_ACT_ERRNO",
		"errnoRet": 38}]}'
	set_args sh -c 'echo started; grep "^Seccomp:" /proc/self/status'
	husk_create || fail "noNewPrivileges: create failed"
	husk start "$ID"
	wait_for_status stopped
	grep -qx started "$TMP/$ID.out" || fail "noNewPrivileges: $(cat "$TMP/$ID.out" "$TMP/$ID.err")"
	grep -q "^Seccomp:[[:space:]]*2" "$TMP/$ID.out" || fail "noNewPrivileges: no filter: $(cat "$TMP/$ID.out")"
	husk delete "$ID"

	update_config '.process.noNewPrivileges = false'
	container_run sh -c 'echo started; grep "^Seccomp:" /proc/self/status'
	assert_status 0
	grep -q "^Seccomp:[[:space:]]*2" <<<"$output" || fail "run: no filter: $output"

	skip_on_runc "runc's init waits on a fifo, which such a profile allows"
	run husk create --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "created a container whose init cannot wait for start"
	assert_output_contains "linux.seccomp: the filter may refuse calls the container's init makes while it waits"
	assert_output_contains "process.noNewPrivileges"
	assert_no_trace
	# A foreground run that waits for START (husk writes oom_score_adj meanwhile): the same.
	update_config '.process.oomScoreAdj = 100'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "ran a container whose init cannot wait for START"
	assert_output_contains "process.noNewPrivileges"
	assert_no_trace
}

# husk's sync messages go by sendmsg, and by writev where sendmsg fails with an errno: a filter that kills on
# sendmsg leaves no way round, which create must see before it starts anything.
@test "seccomp: loaded early, sendmsg refused with an errno falls back on writev; killed on it, run says why" {
	update_config '.process.noNewPrivileges = false | .process.terminal = false | .process.oomScoreAdj = 100 |
		.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	container_run sh -c 'echo started'
	assert_status 0
	assert_output_contains started

	skip_on_runc "runc's init does not call sendmsg"
	update_config '.linux.seccomp.syscalls[0].action = "SCMP_ACT_KILL" | del(.linux.seccomp.syscalls[0].errnoRet)'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "ran a container whose init is killed when it says it is ready"
	assert_output_contains "linux.seccomp: the filter may refuse calls the container's init makes while it waits"
	assert_output_contains "sendmsg"
	[[ "$output" != *"killed by signal"* ]] || fail "the init was started and killed: $output"
	assert_no_trace
	# Without oomScoreAdj the init runs in husk's memory and waits for nothing, but says READY all the same.
	update_config 'del(.process.oomScoreAdj)'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "ran a container whose init is killed when it says it is ready"
	assert_output_contains "sendmsg"
	[[ "$output" != *"killed by signal"* ]] || fail "the init was started and killed: $output"
	assert_no_trace
}

@test "seccomp: loaded early, a profile recorded under runc or under crun lets the init switch user, umask and seal fds" {
	# After a filter loaded early runc's init calls setgid and setuid and walks /proc/self/fd, crun's calls
	# setresgid and setresuid; neither calls umask or close_range. A profile recorded under one kills on what
	# only the other calls.
	local names
	for names in '["setresuid", "setresgid", "close_range", "umask"]' '["setuid", "setgid"]'; do
		[ "$names" != '["setuid", "setgid"]' ] || skip_on_runc "calls setgid and setuid"
		update_config '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1001, "umask": 23} |
			.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": $names, "action": "SCMP_ACT_KILL_PROCESS"}]}' --argjson names "$names"
		# The checker reads /proc/self/status: busybox's applets call setgid and setuid themselves, and reading
		# the umask with umask(2) would be killed.
		local field want
		for field in Uid Gid Umask; do
			container_run checker status "$field"
			assert_status 0
			want=$(case $field in Uid) printf '1000\t1000\t1000\t1000' ;; Gid) printf '1001\t1001\t1001\t1001' ;;
				*) echo 0027 ;; esac)
			[ "$(kv "$field")" = "$want" ] || fail "$field under a profile killing $names: $output"
		done
		# exec's process too.
		update_config '.process.user = {"uid": 0, "gid": 0}'
		set_args checker keyring-hold seccomp-test # it waits to be killed
		husk_run_detached
		run --separate-stderr husk exec -u 1000:1001 "$ID" checker status Uid </dev/null
		assert_status 0
		[ "$(kv Uid)" = "$(printf '1000\t1000\t1000\t1000')" ] || fail "exec's uid under a profile killing $names: $output"
		husk delete -f "$ID"
	done
}

# exec makes its process the container's user before it is born in the container's pid namespace, where its
# filter, loaded early, must let through what is left: clone3 or clone, setsid, TIOCSCTTY. A profile that does
# not (recorded from a program that never forks) still gets exec'd into, the process made as runc makes it.
@test "seccomp: loaded early, a profile killing clone, clone3 and setsid still lets exec run its process" {
	update_config '.process.noNewPrivileges = false | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["clone", "clone3", "setsid"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	set_args checker keyring-hold seccomp-test # it waits to be killed
	husk_run_detached
	run --separate-stderr husk exec -u 1000:1001 "$ID" checker status Uid </dev/null
	assert_status 0
	[ "$(kv Uid)" = "$(printf '1000\t1000\t1000\t1000')" ] || fail "$output"
	run --separate-stderr husk exec "$ID" sh -c 'echo $$' </dev/null
	assert_status 0
	[ "$output" -gt 1 ] || fail "$output"
}

# The same for a container joining a pid namespace, whose init is born there once it is the container's user.
@test "seccomp: loaded early, a profile killing clone, clone3 and setsid still starts a container joining a pid namespace" {
	cp -a "$BUNDLE" "$TMP/owner"
	jq '.process.args = ["sleep", "600"]' "$BUNDLE/config.json" >"$TMP/owner/config.json"
	husk run --detach --bundle "$TMP/owner" "$ID-owner" </dev/null >/dev/null 2>&1 3>&-
	update_config '.process.noNewPrivileges = false | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["clone", "clone3", "setsid"], "action": "SCMP_ACT_KILL_PROCESS"}]}
		| .linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)' \
		--arg ns "/proc/$(container_pid "$ID-owner")/ns/pid"
	container_run checker status Uid
	assert_status 0
	[ "$(kv Uid)" = "$(printf '0\t0\t0\t0')" ] || fail "$output"
}

@test "seccomp: --debug says which syscalls get ENOSYS" {
	husk_only "husk's debug lines"
	require_x86_64
	set_old_profile
	set_args true
	run --separate-stderr husk --debug run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	# the newest syscall the profile names: getrandom (318) on x86_64, arch_prctl (384) on i386, set_robust_list
	# (530, with the x32 bit) on x32
	[[ "$stderr" == *"syscalls above 318 on the native architecture are newer than the profile: ENOSYS"* ]] ||
		fail "no stub line for x86_64: $stderr"
	[[ "$stderr" == *"syscalls above 384 on SCMP_ARCH_X86 are newer than the profile: ENOSYS"* ]] ||
		fail "no stub line for i386: $stderr"
	[[ "$stderr" == *"syscalls above $((X32 | 530)) on SCMP_ARCH_X32 are newer than the profile: ENOSYS"* ]] ||
		fail "no stub line for x32: $stderr"
}

# ---- podman's profile, as podman passes it --------------------------------------------------------------------------

# podman's linux.seccomp and capabilities; a writable root for mkdir.
use_podman_profile() {
	[ -r "$PODMAN_RUNTIME_PROFILE" ] || fail "no $PODMAN_RUNTIME_PROFILE"
	writable_rootfs
	update_config '.linux.seccomp = $p[0].linux.seccomp
		| .process.capabilities = $p[0].process.capabilities' --slurpfile p "$PODMAN_RUNTIME_PROFILE"
}

@test "seccomp: podman's runtime profile (default caps) has no includes/excludes left and one rule per syscall set" {
	[ -r "$PODMAN_RUNTIME_PROFILE" ]
	run jq -e '[.linux.seccomp.syscalls[] | select(has("includes") or has("excludes"))] | length == 0' \
		"$PODMAN_RUNTIME_PROFILE"
	assert_status 0
	# the capability-dependent pairs were resolved: chroot allowed (SYS_CHROOT), acct denied (no SYS_PACCT)
	[ "$(jq -r '[.linux.seccomp.syscalls[] | select(.names | index("chroot"))] | map(.action) | join(",")' \
		"$PODMAN_RUNTIME_PROFILE")" = SCMP_ACT_ALLOW ]
	[ "$(jq -r '[.linux.seccomp.syscalls[] | select(.names | index("acct"))] | map(.action) | join(",")' \
		"$PODMAN_RUNTIME_PROFILE")" = SCMP_ACT_ERRNO ]
}

@test "seccomp: podman's runtime profile runs busybox and threads, and enforces its rules" {
	require_x86_64
	use_podman_profile
	# socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT) is EINVAL without CAP_AUDIT_WRITE; AF_UNIX sockets are fine.
	# userfaultfd(UFFD_USER_MODE_ONLY) works without caps in the kernel: the profile denies it (EPERM).
	# fchmodat2 (452) is newer than the profile: its default, ENOSYS.
	container_run sh -c 'echo hi >/tmp/f && cat /tmp/f; ls / >/dev/null; echo ls=$?; mkdir /tmp/d; echo mkdir=$?;
		sysprobe thread; sysprobe audit_socket 41 16 3 9; sysprobe unix_socket 41 1 1 0;
		sysprobe userfaultfd 323 1; sysprobe fchmodat2 452; checker status Seccomp; checker caps'
	assert_status 0
	printf '%s\n' "$output" | grep -qx hi || fail "echo/cat did not run"
	[ "$(kv ls)" = 0 ] || fail "ls failed"
	[ "$(kv mkdir)" = 0 ] || fail "mkdir failed"
	[ "$(kv thread)" = 0 ] || fail "pthread_create failed"
	[ "$(kv audit_socket)" = 22 ] || fail "the NETLINK_AUDIT socket rule did not apply"
	[ "$(kv unix_socket)" = 0 ] || fail "an AF_UNIX socket was refused"
	[ "$(kv userfaultfd)" = 1 ] || fail "userfaultfd was not denied"
	[ "$(kv fchmodat2)" = 38 ] || fail "fchmodat2 is not ENOSYS"
	[ "$(kv Seccomp)" = 2 ]
	# in capability number order
	[ "$(kv CapEff_names)" = cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_net_bind_service,cap_sys_chroot,cap_setfcap ] ||
		fail "not podman's capability set"
}

@test "seccomp: without podman's profile the same probes reach the kernel (control)" {
	require_x86_64
	use_podman_profile
	update_config 'del(.linux.seccomp)'
	container_run sh -c 'sysprobe userfaultfd 323 1; sysprobe fchmodat2 452'
	assert_status 0
	[ "$(kv userfaultfd)" = 0 ] || fail "userfaultfd(UFFD_USER_MODE_ONLY) failed without seccomp"
	[ "$(kv fchmodat2)" != 38 ] || skip "this kernel has no fchmodat2"
}

# ---- the compiled-filter cache ------------------------------------------------------------------------------------

CACHE_MAX=32

cache_entries() {
	find "$ROOT/.seccomp-cache" -maxdepth 1 -type f -name '*.bpf' | wc -l
}

# A profile of its own for each N: mkdir fails with errno N.
set_numbered_profile() {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": $n}]}' --argjson n "$1"
}

@test "seccomp cache: many distinct profiles leave at most $CACHE_MAX entries" {
	husk_only "husk's compiled-filter cache"
	set_args true
	for n in $(seq 1 $((CACHE_MAX + 6))); do
		set_numbered_profile "$n"
		husk run --bundle "$BUNDLE" "$ID-$n" </dev/null >/dev/null 2>"$TMP/err" || fail "run $n: $(cat "$TMP/err")"
	done
	[ "$(cache_entries)" -eq "$CACHE_MAX" ] || fail "$(cache_entries) cache entries"
	# nothing but entries: no temporary file left over
	[ -z "$(ls -A "$ROOT/.seccomp-cache" | grep -v '^[0-9a-f]\{16\}\.bpf$')" ] ||
		fail "unexpected files: $(ls -A "$ROOT/.seccomp-cache")"
	# the most recent profile is still a hit
	run --separate-stderr husk --debug run --bundle "$BUNDLE" "$ID-again" </dev/null
	assert_status 0
	[[ "$stderr" == *"seccomp filter from the cache"* ]] || fail "the newest profile was evicted: $stderr"
}

# A profile that answers mkdir with EDQUOT (122) and a container that tries it: its first run fills the cache.
cache_mkdir_profile() {
	writable_rootfs
	set_numbered_profile 122
	set_args sh -c 'mkdir /tmp/d; echo rc=$?'
	run husk run --bundle "$BUNDLE" "$ID-1" </dev/null
	assert_status 0
}

@test "seccomp cache: the first container of a state root that does not exist yet fills the cache" {
	husk_only "husk's compiled-filter cache"
	set_numbered_profile 122
	set_args true
	local root=$TMP/new/root
	run --separate-stderr "$HUSK" --debug --root "$root" run --bundle "$BUNDLE" "$ID-1" </dev/null
	assert_status 0
	[[ "$stderr" == *"seccomp filter compiled"* ]] || fail "no compile on the first run: $stderr"
	[ "$(stat -c %a "$root")" = 700 ] || fail "root mode $(stat -c %a "$root")"
	run --separate-stderr "$HUSK" --debug --root "$root" run --bundle "$BUNDLE" "$ID-2" </dev/null
	assert_status 0
	[[ "$stderr" == *"seccomp filter from the cache"* ]] || fail "the second run compiled again: $stderr"
}

@test "seccomp cache: an entry whose program was damaged in place is ignored and rebuilt" {
	husk_only "husk's compiled-filter cache"
	cache_mkdir_profile
	entry=$(find "$ROOT/.seccomp-cache" -name '*.bpf')
	# The last instruction's k (its last 4 bytes) becomes something else; size and key stay the same.
	size=$(stat -c %s "$entry")
	printf '\x55\xaa\x55\xaa' | dd of="$entry" bs=1 seek=$((size - 4)) conv=notrunc status=none
	run --separate-stderr husk --debug run --bundle "$BUNDLE" "$ID-2" </dev/null
	assert_status 0
	[[ "$stderr" == *"damaged (checksum mismatch)"* ]] || fail "the damage went unnoticed: $stderr"
	[[ "$stderr" == *"seccomp filter compiled"* ]] || fail "the damaged entry was used: $stderr"
	[ "$(kv rc)" = 1 ] || fail "mkdir was not denied"
	[[ "$stderr" == *"Disk quota exceeded"* ]] || fail "not EDQUOT (122): $stderr"
	run --separate-stderr husk --debug run --bundle "$BUNDLE" "$ID-3" </dev/null
	assert_status 0
	[[ "$stderr" == *"seccomp filter from the cache"* ]] || fail "the rebuilt entry is not used: $stderr"
}

@test "seccomp cache: a truncated or emptied entry is ignored, rebuilt and the filter still applies" {
	husk_only "husk's compiled-filter cache"
	cache_mkdir_profile
	[ "$(cache_entries)" -eq 1 ]
	entry=$(find "$ROOT/.seccomp-cache" -name '*.bpf')
	size=$(stat -c %s "$entry")

	truncate -s -5 "$entry"
	run --separate-stderr husk --debug run --bundle "$BUNDLE" "$ID-2" </dev/null
	assert_status 0
	[[ "$stderr" == *"seccomp filter compiled"* ]] || fail "a truncated entry was used: $stderr"
	[ "$(kv rc)" = 1 ] || fail "mkdir was not denied"
	[[ "$stderr" == *"Disk quota exceeded"* ]] || fail "not EDQUOT (122): $stderr"
	[ "$(stat -c %s "$entry")" = "$size" ] || fail "the entry was not rewritten whole"

	: >"$entry"
	run --separate-stderr husk --debug run --bundle "$BUNDLE" "$ID-3" </dev/null
	assert_status 0
	[[ "$stderr" == *"seccomp filter compiled"* ]] || fail "an empty entry was used: $stderr"
	[ "$(kv rc)" = 1 ]

	run --separate-stderr husk --debug run --bundle "$BUNDLE" "$ID-4" </dev/null
	assert_status 0
	[[ "$stderr" == *"seccomp filter from the cache"* ]] || fail "the rebuilt entry is not used: $stderr"
	[ "$(kv rc)" = 1 ]
	[[ "$stderr" == *"Disk quota exceeded"* ]] || fail "not EDQUOT (122): $stderr"
}

# A read of config.json that finds a cached filter for its profile only finds where the rules end; rules that are
# not JSON are never cached, so their error must be the one the full parse gives, with or without a cache.
@test "seccomp cache: rules that are not JSON fail at their line and column whether or not the cache holds the profile" {
	husk_only "husk's compiled-filter cache and its parse error format"
	cache_mkdir_profile
	[ "$(cache_entries)" -eq 1 ]
	cp "$BUNDLE/config.json" "$TMP/good.json"
	# a missing comma between the two names, and a config.json that is otherwise the same
	sed -i 's/"mkdir",/"mkdir"/' "$BUNDLE/config.json"
	! cmp -s "$BUNDLE/config.json" "$TMP/good.json" || fail "the config was not changed"
	local line
	line=$(grep -n '"mkdir"$' "$BUNDLE/config.json" | cut -d: -f1)
	for cache in kept removed; do
		[ "$cache" = kept ] || rm -rf "$ROOT/.seccomp-cache"
		run --separate-stderr husk create --bundle "$BUNDLE" "$ID-bad" </dev/null
		assert_status 1
		[[ "$stderr" == *"config.json: line $((line + 1)), column "*": ']' expected near '\"mkdirat\"'"* ]] ||
			fail "cache $cache: $stderr"
		[ ! -e "$ROOT/$ID-bad" ] || fail "cache $cache: a state dir was left"
	done
	# the valid profile still runs, compiled again and cached
	cp "$TMP/good.json" "$BUNDLE/config.json"
	run --separate-stderr husk --debug run --bundle "$BUNDLE" "$ID-2" </dev/null
	assert_status 0
	[[ "$stderr" == *"seccomp filter compiled"* ]] || fail "$stderr"
	[ "$(kv rc)" = 1 ] || fail "mkdir was not denied"
}

# ---- LSM fields on a host without the LSM -------------------------------------------------------------------------
# runc 1.1.5 refuses all three: selinuxLabel when it validates the config, apparmorProfile in its init (writing
# attr/exec fails with EINVAL), mountLabel when the kernel rejects `context=` on the first tmpfs mount (EINVAL).

apparmor_enabled() {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]
}
selinux_enabled() {
	grep -q selinuxfs /proc/filesystems
}

# create with --debug must fail, leave nothing behind, and (husk) name the missing LSM in the error and the debug log.
expect_lsm_refused() {
	local lsm=$1 field=$2
	set_args true
	# output to a file: a container created by mistake must not hold bats' pipe open
	status=0
	husk --debug create --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/create.out" 2>&1 3>&- || status=$?
	output=$(cat "$TMP/create.out")
	[ "$status" -ne 0 ] || fail "create accepted $field without $lsm"
	[ -z "$(ls -A "$ROOT" 2>/dev/null | grep -vx .seccomp-cache)" ] || fail "create left $(ls -A "$ROOT")"
	assert_no_cgroup
	[ "$RUNTIME" = husk ] || return 0
	assert_output_contains "$lsm is not enabled on this host"
	assert_output_contains "$field"
	# the debug line says how it was probed
	printf '%s\n' "$output" | grep -i 'level=debug' | grep -q "$lsm is not enabled on this host (" ||
		fail "no debug line naming $lsm"
}

@test "lsm: process.apparmorProfile without AppArmor is refused, and --debug names AppArmor" {
	! apparmor_enabled || skip "AppArmor is enabled on this host"
	update_config '.process.apparmorProfile = "husk-test-profile"'
	expect_lsm_refused AppArmor process.apparmorProfile
}

@test "lsm: process.selinuxLabel without SELinux is refused, and --debug names SELinux" {
	! selinux_enabled || skip "SELinux is enabled on this host"
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
	expect_lsm_refused SELinux process.selinuxLabel
}

@test "lsm: linux.mountLabel without SELinux is refused, and --debug names SELinux" {
	! selinux_enabled || skip "SELinux is enabled on this host"
	update_config '.linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
	expect_lsm_refused SELinux linux.mountLabel
}

@test "lsm: without any LSM field the container runs and --debug says no profile or label was asked for" {
	husk_only "husk's debug lines"
	set_args true
	run --separate-stderr husk --debug run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[[ "$stderr" == *"no AppArmor profile for the container process"* ]] || fail "$stderr"
	[[ "$stderr" == *"no SELinux label for the container process"* ]] || fail "$stderr"
}
