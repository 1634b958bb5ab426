#!/usr/bin/env bats
# exec: every runc exec flag, what an exec'd process shares with the container, stdio, signals, exit status,
# and socket activation (LISTEN_FDS) on run.

load helpers

RECVFD=$(abs_path "${RECVFD:-$(dirname "$CHECKER")/recvfd}")
SUBREAPER=$(abs_path "${SUBREAPER:-$(dirname "$CHECKER")/subreaper}")

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# A running container $ID whose init sleeps; extra config edits go before it.
start_container() {
	set_args sleep 600
	husk_run_detached
	INIT_PID=$(container_pid)
}

need_tool() {
	[ -x "$1" ] || skip "no $(basename "$1") at $1 (ninja -C build tests/checker/$(basename "$1"))"
}

# /proc/PID/status field of a host pid.
proc_status() {
	awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"
}

@test "exec: runs a command in the running container" {
	start_container
	run --separate-stderr husk exec "$ID" echo hello world </dev/null
	assert_status 0
	[ "$output" = "hello world" ] || fail "unexpected stdout"
	[ "$(container_status)" = running ]
}

@test "exec: the exit status of the process is exec's (exit 3 -> 3, signal N -> 128+N)" {
	start_container
	run husk exec "$ID" sh -c 'exit 3' </dev/null
	assert_status 3
	run husk exec "$ID" sh -c 'kill -TERM $$' </dev/null
	assert_status 143
	run husk exec "$ID" sh -c 'kill -KILL $$' </dev/null
	assert_status 137
	run husk exec "$ID" true </dev/null
	assert_status 0
	[ "$(container_status)" = running ]
}

@test "exec: stdin, stdout and stderr are the caller's, bytes untouched" {
	start_container
	head -c 300000 /dev/urandom >"$TMP/data"
	husk exec "$ID" cat <"$TMP/data" >"$TMP/copy"
	cmp "$TMP/data" "$TMP/copy"
	# stdout and stderr stay apart; stdin at EOF is EOF inside
	husk exec "$ID" sh -c 'echo out; echo err >&2; cat; echo after-eof' </dev/null >"$TMP/out" 2>"$TMP/err"
	[ "$(cat "$TMP/out")" = "$(printf 'out\nafter-eof')" ]
	[ "$(cat "$TMP/err")" = err ]
	# the process gets the very pipe: no pty and no copy in between
	run --separate-stderr husk exec "$ID" checker tty </dev/null
	[ "$(kv stdin.tty)" = 0 ] && [ "$(kv stdout.tty)" = 0 ] && [ "$(kv ctty)" = 0 ] || fail "not the caller's stdio"
	echo piped | husk exec "$ID" sh -c 'read l; echo "got $l"; readlink /proc/self/fd/0' >"$TMP/out"
	[ "$(sed -n 1p "$TMP/out")" = "got piped" ]
	[[ "$(sed -n 2p "$TMP/out")" == pipe:* ]] || fail "stdin is $(sed -n 2p "$TMP/out"), not a pipe"
}

@test "exec: a command that does not exist fails and leaves the container running" {
	start_container
	run husk exec "$ID" /no/such/program </dev/null
	[ "$status" -ne 0 ] || fail "exec of a missing program succeeded"
	assert_output_contains "/no/such/program"
	[ "$(container_status)" = running ]
}

@test "exec: joins every namespace of the container" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	start_container
	run --separate-stderr husk exec "$ID" checker ns </dev/null
	assert_status 0
	for ns in net uts ipc pid mnt cgroup user; do
		want=$(readlink "/proc/$INIT_PID/ns/$ns")
		[ "$(kv "ns.$ns")" = "$want" ] || fail "ns.$ns: got $(kv "ns.$ns"), init has $want"
	done
	# in the container's pid namespace, below its init: pid > 1, parent outside (0)
	run --separate-stderr husk exec "$ID" checker pid </dev/null
	[ "$(kv pid)" -gt 1 ] && [ "$(kv ppid)" = 0 ] || fail "not in the container's pid namespace"
}

@test "exec: the process is in the container's cgroup" {
	start_container
	run --separate-stderr husk exec "$ID" cat /proc/self/cgroup </dev/null
	assert_status 0
	[ "$output" = "$(cat "/proc/$INIT_PID/cgroup")" ] || fail "cgroup differs from init's: $(cat "/proc/$INIT_PID/cgroup")"
}

@test "exec: in a container with a cgroup namespace, the process is at its root in every hierarchy" {
	update_config '.linux.namespaces += [{"type":"cgroup"}]'
	start_container
	# It joins its memory cgroup last, after entering the namespace (see husk_cgroup_enter_self).
	run --separate-stderr husk exec "$ID" checker cgroup </dev/null
	assert_status 0
	local line n=0
	while IFS= read -r line; do
		[[ "$line" == cgroup.* && "$line" != cgroup.name:* ]] || continue
		[ "${line#*=}" = / ] || fail "not at the namespace's root: $line"
		n=$((n + 1))
	done <<<"$output"
	[ "$n" -gt 0 ] || fail "no cgroup lines: $output"
}

@test "exec: the process leads a session of its own (terminal signals reach it only through the runtime)" {
	start_container
	run --separate-stderr husk exec "$ID" checker pid </dev/null
	assert_status 0
	[ "$(kv sid)" = "$(kv pid)" ] || fail "sid $(kv sid) is not the process's pid $(kv pid)"
}

@test "exec: the config's seccomp filter applies to exec'd processes" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["sethostname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	start_container
	run --separate-stderr husk exec "$ID" checker status Seccomp </dev/null
	assert_status 0
	[ "$(kv Seccomp)" = 2 ] || fail "exec'd process not under seccomp"
	run husk exec "$ID" hostname changed </dev/null
	[ "$status" -ne 0 ] || fail "sethostname was not filtered"
}

@test "exec: the container's seccomp filter comes from the cache, and is compiled again when the cache is gone" {
	husk_only "husk's compiled-filter cache"
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["sethostname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	start_container
	for cache in kept removed; do
		[ "$cache" = kept ] || rm -rf "$ROOT/.seccomp-cache"
		run --separate-stderr husk --debug exec "$ID" hostname changed </dev/null
		[ "$status" -ne 0 ] || fail "cache $cache: sethostname was not filtered"
		if [ "$cache" = kept ]; then
			[[ "$stderr" == *"taken from the cache"* ]] || fail "the filter create cached was not used: $stderr"
		else
			[[ "$stderr" != *"taken from the cache"* ]] || fail "a filter came from a removed cache: $stderr"
		fi
	done
}

@test "exec: the config's rlimits, capabilities, user and cwd apply" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 777, "hard": 888}]
		| .process.user = {"uid": 0, "gid": 100, "additionalGids": [7]} | .process.cwd = "/tmp"'
	start_container
	run --separate-stderr husk exec "$ID" sh -c 'checker rlimit NOFILE; checker caps; checker ids; checker cwd' </dev/null
	assert_status 0
	[ "$(kv soft)" = 777 ] && [ "$(kv hard)" = 888 ] || fail "rlimit not applied"
	# runc spec's three capabilities
	[ "$(kv CapBnd)" = 0000000020000420 ] || fail "CapBnd"
	[ "$(kv CapEff)" = 0000000020000420 ] || fail "CapEff"
	[ "$(kv CapPrm)" = 0000000020000420 ] || fail "CapPrm"
	[ "$(kv uid)" = 0 ] && [ "$(kv gid)" = 100 ] && [ "$(kv groups)" = 7 ] || fail "user not applied"
	[ "$(kv cwd)" = /tmp ] || fail "cwd not applied"
}

@test "exec: -p FILE runs the process it describes" {
	start_container
	cat >"$TMP/process.json" <<'EOF'
{"args": ["sh", "-c", "echo \"$GREETING from $(pwd) as $(id -u)\"; exit 4"],
 "env": ["PATH=/bin", "GREETING=hi"], "cwd": "/tmp", "user": {"uid": 65534, "gid": 65534}}
EOF
	run --separate-stderr husk exec -p "$TMP/process.json" "$ID" </dev/null
	assert_status 4
	[ "$output" = "hi from /tmp as 65534" ] || fail "process.json not followed"
	run --separate-stderr husk exec --process "$TMP/process.json" "$ID" </dev/null
	assert_status 4
}

# The exec'd process is made the container's user before it is born in the container (exec.c), and the container's
# /proc does not show the process that makes it: its oom_score_adj is written from outside and inherited.
@test "exec: process.oomScoreAdj of the config, or of -p FILE, is the exec'd process's" {
	update_config '.process.oomScoreAdj = 321'
	start_container
	run --separate-stderr husk exec "$ID" cat /proc/self/oom_score_adj </dev/null
	assert_status 0
	[ "$output" = 321 ] || fail "oom_score_adj: $output"
	skip_on_runc "1.1.5 gives an exec'd process the container's oomScoreAdj, not its own"
	echo '{"args": ["cat", "/proc/self/oom_score_adj"], "env": ["PATH=/bin"], "cwd": "/", "oomScoreAdj": 222}' >"$TMP/process.json"
	run --separate-stderr husk exec -p "$TMP/process.json" "$ID" </dev/null
	assert_status 0
	[ "$output" = 222 ] || fail "oom_score_adj with -p: $output"
}

@test "exec: -p - reads the process from stdin" {
	skip_on_runc "1.1.5 opens a file named \"-\""
	start_container
	run --separate-stderr husk exec -p - "$ID" <<<'{"args": ["echo", "from stdin"], "cwd": "/"}'
	assert_status 0
	[ "$output" = "from stdin" ]
}

@test "exec: -p with a bad process.json fails clearly" {
	start_container
	echo '{"args": [], "cwd": "/"}' >"$TMP/empty-args.json"
	run husk exec -p "$TMP/empty-args.json" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "empty args accepted"
	echo '{"args": ["true"], "cwd": "relative"}' >"$TMP/relative-cwd.json"
	run husk exec -p "$TMP/relative-cwd.json" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "relative cwd accepted"
	echo '{"args": ["true"], ' >"$TMP/broken.json"
	run husk exec -p "$TMP/broken.json" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "broken JSON accepted"
	run husk exec -p "$TMP/missing.json" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "missing file accepted"
	[ "$(container_status)" = running ]
}

@test "exec: --cwd sets the working directory" {
	start_container
	run --separate-stderr husk exec --cwd /tmp "$ID" checker cwd </dev/null
	assert_status 0
	[ "$(kv cwd)" = /tmp ]
	run husk exec --cwd /no/such/dir "$ID" true </dev/null
	[ "$status" -ne 0 ] || fail "exec in a missing cwd succeeded"
}

# runc enters the cwd before the user switch and the capability drop, with every capability (runc's
# "exec --user with no access to cwd": the default capabilities lack CAP_DAC_OVERRIDE).
@test "exec: --user 0 enters a cwd only the config's user may enter, before its capabilities are dropped" {
	chown 42 "$BUNDLE/rootfs/root"
	chmod 0700 "$BUNDLE/rootfs/root"
	update_config '.process.cwd = "/root" | .process.user = {"uid": 42, "gid": 42}'
	start_container
	run --separate-stderr husk exec --user 0 "$ID" checker cwd </dev/null
	assert_status 0
	[ "$(kv cwd)" = /root ] || fail "cwd"
	run --separate-stderr husk exec "$ID" checker cwd </dev/null
	assert_status 0
	[ "$(kv cwd)" = /root ] || fail "cwd as the config's user"
}

@test "exec: -e/--env overrides a config variable and adds new ones (repeatable)" {
	start_container
	run --separate-stderr husk exec -e TERM=dumb -e NEW=1 -e OTHER=a=b "$ID" checker env </dev/null
	assert_status 0
	[ "$(kv TERM)" = dumb ] || fail "TERM not overridden"
	[ "$(grep -c '^TERM=' <<<"$output")" = 1 ] || fail "TERM set twice"
	[ "$(kv NEW)" = 1 ] && [ "$(kv OTHER)" = a=b ] || fail "new variables missing"
	[ "$(kv PATH)" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ] || fail "config PATH lost"
	run --separate-stderr husk exec --env TERM=vt100 "$ID" checker env TERM </dev/null
	[ "$(kv TERM)" = vt100 ] || fail "--env not applied"
}

# As for the container's process (process.bats): one entry per name, where it first appears, with its last value.
@test "exec: a name set twice (config, --process, -e) is set once with its last value; HOME= set last comes from passwd" {
	update_config '.process.env = ["ONE=two", "PATH=/bin", "ONE=", "HOME=/override", "HOME="]'
	start_container
	run --separate-stderr husk exec "$ID" checker env </dev/null
	assert_status 0
	[ "$output" = "$(printf '%s\n' ONE= PATH=/bin HOME=/root)" ] || fail "config env"
	run --separate-stderr husk exec -e ONE=three -e NEW=1 -e NEW=2 "$ID" checker env </dev/null
	assert_status 0
	[ "$output" = "$(printf '%s\n' ONE=three PATH=/bin HOME=/root NEW=2)" ] || fail "with -e"
	echo '{"args": ["/bin/checker", "env"], "cwd": "/", "env": ["A=1", "B=2", "A=3", "HOME=/x", "HOME="]}' >"$TMP/process.json"
	run --separate-stderr husk exec -p "$TMP/process.json" "$ID" </dev/null
	assert_status 0
	[ "$output" = "$(printf '%s\n' A=3 B=2 HOME=/root)" ] || fail "--process env"
	run husk exec -e NOEQUALS "$ID" true </dev/null
	[ "$status" -ne 0 ] || fail "an entry without = was accepted"
	[ "$(container_status)" = running ]
}

@test "exec: HOME comes from the container's /etc/passwd for the exec'd user" {
	start_container
	run --separate-stderr husk exec "$ID" checker env HOME </dev/null
	assert_status 0
	[ "$(kv HOME)" = /root ] || fail "root: $output"
	run --separate-stderr husk exec -u 65534:65534 "$ID" checker env HOME </dev/null
	assert_status 0
	[ "$(kv HOME)" = /nonexistent ] || fail "nobody: $output"
	run --separate-stderr husk exec -e HOME=/elsewhere "$ID" checker env HOME </dev/null
	[ "$(kv HOME)" = /elsewhere ] || fail "--env HOME not kept: $output"
}

@test "exec: -u UID[:GID] and -g/--additional-gids set the user" {
	start_container
	run --separate-stderr husk exec -u 65534:65533 -g 10 -g 20 "$ID" checker ids </dev/null
	assert_status 0
	[ "$(kv uid)" = 65534 ] && [ "$(kv euid)" = 65534 ] || fail "uid"
	[ "$(kv gid)" = 65533 ] && [ "$(kv egid)" = 65533 ] || fail "gid"
	[ "$(kv groups)" = 10,20 ] || fail "additional gids"
	# UID alone keeps the config's gid
	run --separate-stderr husk exec --user 1000 "$ID" checker ids </dev/null
	assert_status 0
	[ "$(kv uid)" = 1000 ] && [ "$(kv gid)" = 0 ] || fail "-u UID"
	run --separate-stderr husk exec --user 5:6 --additional-gids 30 "$ID" checker ids </dev/null
	[ "$(kv uid)" = 5 ] && [ "$(kv gid)" = 6 ] && [ "$(kv groups)" = 30 ] || fail "--user/--additional-gids"
	run husk exec -u nobody:x "$ID" true </dev/null
	[ "$status" -ne 0 ] || fail "a bad --user was accepted"
}

@test "exec: -g adds to the config's additionalGids, as runc's does" {
	update_config '.process.user = {"uid": 0, "gid": 5, "additionalGids": [7, 8]}'
	start_container
	run --separate-stderr husk exec -u 1000:9 -g 10 "$ID" checker ids </dev/null
	assert_status 0
	[ "$(kv groups)" = 7,8,10 ] || fail "groups: $output"
	run --separate-stderr husk exec "$ID" checker ids </dev/null
	[ "$(kv groups)" = 7,8 ] || fail "groups without -g: $output"
}

@test "exec: -u and -g take decimal ids only: no space, no empty field" {
	start_container
	local bad
	for bad in " 1" "0: 5" ":5" "1-2" "1:"; do
		run husk exec -u "$bad" "$ID" true </dev/null
		[ "$status" -ne 0 ] || fail "exec -u '$bad' was taken"
	done
	for bad in " 5" "" "1,,2" "1,"; do
		run husk exec -g "$bad" "$ID" true </dev/null
		[ "$status" -ne 0 ] || fail "exec -g '$bad' was taken"
	done
	run --separate-stderr husk exec -u +7:+8 -g +9 "$ID" checker ids </dev/null
	assert_status 0
	[ "$(kv uid)" = 7 ] && [ "$(kv gid)" = 8 ] && [ "$(kv groups)" = 9 ] || fail "+N ids, as Go's Atoi: $output"
}

@test "exec and run: a stdio fd the caller closed is open in the process (husk: /dev/null), never one of husk's" {
	start_container
	run --separate-stderr bash -c '"$1" --root "$2" exec "$3" checker fds <&-' _ "$HUSK" "$ROOT" "$ID"
	assert_status 0
	[[ ",$(kv fds)," == *,0,* ]] || fail "exec's stdin is closed: $output"
	[ "$RUNTIME" != husk ] || [ "$(kv fd.0)" = /dev/null ] || fail "exec's stdin: $output"
	husk delete -f "$ID"
	set_args checker fds
	run --separate-stderr bash -c '"$1" --root "$2" run --bundle "$3" "$4" <&-' _ "$HUSK" "$ROOT" "$BUNDLE" "$ID"
	assert_status 0
	[[ ",$(kv fds)," == *,0,* ]] || fail "run's stdin is closed: $output"
	[ "$RUNTIME" != husk ] || [ "$(kv fd.0)" = /dev/null ] || fail "run's stdin: $output"
}

@test "exec: an empty --cwd is unset, as runc's: the config's cwd" {
	update_config '.process.cwd = "/tmp"'
	start_container
	run --separate-stderr husk exec --cwd "" "$ID" checker cwd </dev/null
	assert_status 0
	[ "$(kv cwd)" = /tmp ] || fail "cwd: $output"
}

@test "exec: --no-new-privs sets NoNewPrivs" {
	update_config '.process.noNewPrivileges = false'
	start_container
	run --separate-stderr husk exec "$ID" checker status NoNewPrivs </dev/null
	[ "$(kv NoNewPrivs)" = 0 ] || fail "NoNewPrivs set without the flag"
	run --separate-stderr husk exec --no-new-privs "$ID" checker status NoNewPrivs </dev/null
	assert_status 0
	[ "$(kv NoNewPrivs)" = 1 ] || fail "--no-new-privs not applied"
}

@test "exec: --no-new-privs=false clears the config's noNewPrivileges, as runc's does" {
	update_config '.process.noNewPrivileges = true'
	start_container
	run --separate-stderr husk exec "$ID" checker status NoNewPrivs </dev/null
	[ "$(kv NoNewPrivs)" = 1 ] || fail "the config's noNewPrivileges not applied"
	run --separate-stderr husk exec --no-new-privs=false "$ID" checker status NoNewPrivs </dev/null
	assert_status 0
	[ "$(kv NoNewPrivs)" = 0 ] || fail "--no-new-privs=false did not clear it"
	run --separate-stderr husk exec --no-new-privs=maybe "$ID" true </dev/null
	[ "$status" -ne 0 ] || fail "--no-new-privs=maybe was taken"
	[[ "$stderr" == *"no-new-privs"* ]] || fail "the error does not name the flag: $stderr"
}

@test "exec: -c/--cap adds a capability" {
	start_container
	run --separate-stderr husk exec "$ID" checker caps </dev/null
	[[ "$(kv CapEff_names)" != *cap_net_raw* ]] || fail "CAP_NET_RAW present without --cap"
	run --separate-stderr husk exec --cap CAP_NET_RAW --cap CAP_SYS_CHROOT "$ID" checker caps </dev/null
	assert_status 0
	for set in CapEff CapPrm CapBnd; do
		[[ "$(kv "${set}_names")" == *cap_net_raw* ]] || fail "$set lacks cap_net_raw"
		[[ "$(kv "${set}_names")" == *cap_sys_chroot* ]] || fail "$set lacks cap_sys_chroot"
		[[ "$(kv "${set}_names")" == *cap_kill* ]] || fail "$set lost the config's cap_kill"
	done
	run --separate-stderr husk exec -c CAP_SYS_CHROOT "$ID" checker caps </dev/null
	[[ "$(kv CapEff_names)" == *cap_sys_chroot* ]] || fail "-c not applied"
}

@test "exec: a file only CAP_DAC_OVERRIDE lets the user execute runs with --cap CAP_DAC_OVERRIDE" {
	start_container
	chown 0 "$BUNDLE/rootfs/bin/busybox"
	chmod 0744 "$BUNDLE/rootfs/bin/busybox"
	run husk exec --user 1000 "$ID" /bin/echo hello </dev/null
	[ "$status" -ne 0 ] || fail "ran without CAP_DAC_OVERRIDE"
	run --separate-stderr husk exec --user 1000 --cap CAP_DAC_OVERRIDE "$ID" /bin/echo hello </dev/null
	assert_status 0
	[ "$output" = hello ] || fail "unexpected output"
}

@test "exec: --cap with an unknown capability fails (husk: runc warns and ignores it)" {
	husk_only "runc 1.1 ignores unknown capabilities with a warning"
	start_container
	run husk exec --cap CAP_NO_SUCH "$ID" touch /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "an unknown capability was accepted"
	assert_output_contains CAP_NO_SUCH
	run husk exec "$ID" test -e /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "the process ran anyway"
}

@test "exec: --preserve-fds N passes fds 3 .. 3+N-1 and closes the others" {
	start_container
	echo three >"$TMP/f3"
	echo four >"$TMP/f4"
	echo five >"$TMP/f5"
	run --separate-stderr husk exec --preserve-fds 2 "$ID" checker fds </dev/null 3<"$TMP/f3" 4<"$TMP/f4" 5<"$TMP/f5"
	assert_status 0
	[ "$(kv fds)" = 0,1,2,3,4 ] || fail "fds in the process"
	[ "$(kv fd.3)" = "$TMP/f3" ] && [ "$(kv fd.4)" = "$TMP/f4" ] || fail "preserved fds point elsewhere"
	run --separate-stderr husk exec "$ID" checker fds </dev/null 3<"$TMP/f3"
	[ "$(kv fds)" = 0,1,2 ] || fail "an fd leaked without --preserve-fds"
}

# The host directory of each hierarchy of the init's cgroup, one per line.
init_cgroup_dirs() {
	local ctrls path
	while IFS=: read -r _ ctrls path; do
		if [ -z "$ctrls" ]; then
			if [ -d /sys/fs/cgroup/unified ]; then echo "/sys/fs/cgroup/unified$path"; else echo "/sys/fs/cgroup$path"; fi
		else
			echo "/sys/fs/cgroup/${ctrls#name=}$path"
		fi
	done <"/proc/$INIT_PID/cgroup"
}

@test "exec: --cgroup joins an existing sub-cgroup, every hierarchy or only CTRL:PATH" {
	start_container
	while read -r dir; do
		for sub in sub other; do
			mkdir -p "$dir/$sub"
			# a v1 cpuset child starts empty and takes no task until given cpus and mems (on v2, empty is the parent's)
			if [ -f "$dir/cpuset.cpus" ] && [ "$(stat -fc %T "$dir")" != cgroup2fs ]; then
				cat "$dir/cpuset.cpus" >"$dir/$sub/cpuset.cpus"
				cat "$dir/cpuset.mems" >"$dir/$sub/cpuset.mems"
			fi
		done
	done < <(init_cgroup_dirs)
	run husk exec --cgroup sub "$ID" cat /proc/self/cgroup </dev/null
	assert_status 0
	lines=$(echo "$output" | grep -c .)
	[ "$(echo "$output" | grep -c '/sub$')" = "$lines" ] || fail "not every hierarchy joined sub: $output"
	if [ -d /sys/fs/cgroup/memory ]; then
		run husk exec --cgroup sub --cgroup memory:other "$ID" cat /proc/self/cgroup </dev/null
		assert_status 0
		echo "$output" | grep -q ':memory:.*/other$' || fail "memory is not in other: $output"
		echo "$output" | grep -q ':pids:.*/sub$' || fail "pids is not in sub: $output"
		# "/" is the container's cgroup itself (runc takes it too)
		run husk exec --cgroup sub --cgroup memory:/ "$ID" cat /proc/self/cgroup </dev/null
		assert_status 0
		[ "$(grep ':memory:' <<<"$output")" = "$(grep ':memory:' "/proc/$INIT_PID/cgroup")" ] ||
			fail "memory is not the container's cgroup: $output"
		echo "$output" | grep -q ':pids:.*/sub$' || fail "pids is not in sub: $output"
		# A controller the container has not is refused, not skipped; a named hierarchy is name=NAME.
		run husk exec --cgroup bogus:sub "$ID" true </dev/null
		[ "$status" -ne 0 ] || fail "an unknown controller was taken"
		[ "$RUNTIME" != husk ] || assert_output_contains "the container has no cgroup controller \`bogus\`"
		if [ -d /sys/fs/cgroup/systemd ]; then
			run husk exec --cgroup name=systemd:sub "$ID" cat /proc/self/cgroup </dev/null
			assert_status 0
			echo "$output" | grep -q ':name=systemd:.*/sub$' || fail "name=systemd is not in sub: $output"
			echo "$output" | grep -q ':pids:.*/sub$' && fail "pids is in sub: $output"
		fi
	fi
	run husk exec --cgroup missing "$ID" touch /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "a sub-cgroup that does not exist was accepted"
	assert_output_contains "--cgroup"
	assert_output_contains "missing"
	run husk exec --cgroup ../../escape "$ID" true </dev/null
	[ "$status" -ne 0 ] || fail "a sub-cgroup outside the container's was accepted"
	# runc's words (its own suite looks for them); husk's line also says why
	assert_output_contains "bad sub cgroup path"
}

@test "exec: --process-label fails clearly on this host without SELinux" {
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled on this host"
	start_container
	run husk exec --process-label system_u:system_r:container_t:s0 "$ID" touch /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "a SELinux label was accepted without SELinux"
	[[ "${output,,}" == *selinux* ]] || fail "the error does not name SELinux"
	[ "$RUNTIME" != husk ] || assert_output_contains "is set but SELinux is not enabled on this host"
	run husk exec "$ID" test -e /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "the process ran anyway"
}

@test "exec: --apparmor fails clearly on this host without AppArmor" {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || skip "AppArmor is enabled on this host"
	start_container
	run husk exec --apparmor husk-test-profile "$ID" touch /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "an AppArmor profile was accepted without AppArmor"
	[[ "${output,,}" == *apparmor* ]] || fail "the error does not name AppArmor"
	run husk exec "$ID" test -e /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "the process ran anyway"
}

@test "exec: -d returns at once; --pid-file is a bare integer; the process outlives exec under the caller's subreaper" {
	need_tool "$SUBREAPER"
	start_container
	run "$SUBREAPER" sh -c '
		"$1" --root "$2" exec -d --pid-file "$3/exec.pid" "$4" sleep 600 </dev/null >/dev/null 2>"$3/exec.err" || exit 10
		pid=$(cat "$3/exec.pid")
		echo "subreaper=$PPID"
		echo "ppid=$(awk "\$1 == \"PPid:\" { print \$2 }" /proc/$pid/status)"
		echo "state=$(awk "\$1 == \"State:\" { print \$2 }" /proc/$pid/status)"
		echo "cmdline=$(tr "\0" " " </proc/$pid/cmdline)"
		echo "cgroup=$(cat /proc/$pid/cgroup | md5sum)"
		kill -9 "$pid"' sh "$HUSK" "$ROOT" "$TMP" "$ID"
	assert_status 0
	[ -n "$(kv subreaper)" ] && [ "$(kv ppid)" = "$(kv subreaper)" ] || fail "not reparented to the subreaper"
	# Alive: sleeping, or still running its first instructions when sampled (a busy CI machine caught it so once).
	[[ "$(kv state)" == [RS] ]] || fail "the detached process is not alive: state $(kv state)"
	[ "$(kv cmdline)" = "sleep 600 " ] || fail "pid file names another process"
	[ "$(kv cgroup)" = "$(md5sum <"/proc/$INIT_PID/cgroup")" ] || fail "detached process outside the cgroup"
	[[ "$(cat "$TMP/exec.pid")" =~ ^[0-9]+$ ]] || fail "pid file is not a bare integer: $(od -c "$TMP/exec.pid")"
	[ "$(wc -l <"$TMP/exec.pid")" = 0 ] || fail "pid file ends with a newline"
}

@test "exec: --pidfd-socket receives a pidfd of the process" {
	skip_on_runc "1.1.5 has no --pidfd-socket"
	need_tool "$RECVFD"
	start_container
	"$RECVFD" "$TMP/pidfd.sock" 15 >"$TMP/recvfd.out" 2>"$TMP/recvfd.err" </dev/null 3>&- &
	recv_pid=$!
	BACKGROUND_PIDS+=("$recv_pid")
	retry 100 0.02 test -S "$TMP/pidfd.sock"
	husk exec -d --pid-file "$TMP/exec.pid" --pidfd-socket "$TMP/pidfd.sock" "$ID" sleep 600 </dev/null >/dev/null 2>&1
	# recvfd kills the process through the pidfd and waits for it to exit
	wait "$recv_pid" || fail "recvfd failed: $(cat "$TMP/recvfd.err")"
	output=$(cat "$TMP/recvfd.out")
	[ "$(kv link)" = "anon_inode:[pidfd]" ] || fail "not a pidfd"
	[ "$(kv pid)" = "$(cat "$TMP/exec.pid")" ] || fail "the pidfd is of another process"
	[ "$(kv exited)" = 1 ] || fail "the process did not exit on the signal sent through the pidfd"
	# foreground: exec returns the status of the process the pidfd killed
	"$RECVFD" "$TMP/pidfd2.sock" 15 >"$TMP/recvfd.out" 2>"$TMP/recvfd.err" </dev/null 3>&- &
	BACKGROUND_PIDS+=("$!")
	retry 100 0.02 test -S "$TMP/pidfd2.sock"
	run husk exec --pidfd-socket "$TMP/pidfd2.sock" "$ID" sleep 600 </dev/null
	assert_status 143
}

@test "exec: --pidfd-socket where nobody listens fails before anything runs" {
	skip_on_runc "1.1.5 has no --pidfd-socket"
	start_container
	run husk exec --pidfd-socket "$TMP/nobody.sock" "$ID" touch /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "exec with a dead pidfd socket succeeded"
	assert_output_contains "--pidfd-socket"
	assert_output_contains "$TMP/nobody.sock"
	run husk exec "$ID" test -e /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "the process ran anyway"
}

# Whether `ps --format json` of the container prints $1 (for retry, which runs its command anew each time).
ps_is() {
	[ "$(husk ps --format json "$ID")" = "$1" ]
}

@test "exec: a --pid-file that cannot be written fails and leaves no process behind" {
	start_container
	run husk exec -d --pid-file "$TMP/no/such/dir/exec.pid" "$ID" sleep 600 </dev/null
	[ "$status" -ne 0 ] || fail "exec with an unwritable pid file succeeded"
	assert_output_contains "$TMP/no/such/dir/"
	retry 20 0.05 ps_is "[$INIT_PID]" ||
		fail "process left behind: $(husk ps --format json "$ID")"
}

@test "exec: --console-socket with -t sends the pty master to the socket" {
	start_container
	start_console_socket
	husk exec --detach --tty --console-socket "$TMP/console.sock" "$ID" sh -c 'checker tty; stty size' </dev/null >/dev/null
	wait_console_output
	output=$console
	[ "$(kv stdin.tty)" = 1 ] && [ "$(kv stdout.tty)" = 1 ] && [ "$(kv ctty)" = 1 ] || fail "no terminal"
	[[ "$(kv stdin.ttyname)" == /dev/pts/* ]] || fail "the pty is not in the container's devpts"
}

@test "exec: -t with -d and no --console-socket is an error; so is --console-socket without -t" {
	start_container
	run husk exec -d -t "$ID" touch /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "-d -t without a console socket was accepted"
	[[ "$output" == *console?socket* ]] || fail "the error does not name the console socket"
	start_console_socket
	run husk exec -d --console-socket "$TMP/console.sock" "$ID" touch /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "--console-socket without -t was accepted"
	[[ "$output" == *console?socket* ]] || fail "the error does not name the console socket"
	run husk exec "$ID" test -e /tmp/ran </dev/null
	[ "$status" -ne 0 ] || fail "a refused exec ran anyway"
}

@test "exec: into a stopped container is a clear error" {
	set_args sh -c 'exit 0'
	husk_create
	husk start "$ID"
	wait_for_status stopped
	run husk exec "$ID" true </dev/null
	[ "$status" -ne 0 ] || fail "exec into a stopped container succeeded"
	assert_output_contains "stopped"
}

@test "exec: into a container still being created is refused, and so are start and delete (a createRuntime hook tries)" {
	# The hook runs while the init is still mounting, before pivot_root: an exec then would join a mount
	# namespace whose root is still the host's. The init's pid is known (delete --force needs it) by then.
	cat >"$TMP/try" <<'EOF2'
#!/bin/sh
# try HUSK ROOT ID OUT [delete]
"$1" --root "$2" state "$3" >"$4.state" 2>&1
"$1" --root "$2" exec "$3" cat /proc/self/mountinfo >"$4.exec" 2>&1
echo $? >"$4.rc"
"$1" --root "$2" start "$3" >"$4.start" 2>&1
echo $? >>"$4.rc"
if [ "$5" = delete ]; then
	"$1" --root "$2" delete "$3" >"$4.delete" 2>&1
	echo $? >>"$4.rc"
fi
exit 0
EOF2
	chmod 0755 "$TMP/try"
	# (A husk that waits for the create's lock in start or delete fails the hook by its timeout.) runc's delete
	# removes the dir of a container that has no state.json yet, and the create fails: husk alone tries it.
	local del=
	[ "$RUNTIME" != husk ] || del=delete
	update_config '.hooks.createRuntime = [{"path": $p, "args": ["try", $h, $r, $id, $o, $d], "timeout": 20}]' \
		--arg p "$TMP/try" --arg h "$HUSK" --arg r "$ROOT" --arg id "$ID" --arg o "$TMP/out" --arg d "$del"
	set_args sleep 600
	husk_create
	local rcs
	mapfile -t rcs <"$TMP/out.rc"
	[ "${rcs[0]}" != 0 ] || fail "exec ran during create: $(head -c 300 "$TMP/out.exec")"
	[ "${rcs[1]}" != 0 ] || fail "start went ahead during create"
	if [ "$RUNTIME" = husk ]; then
		[ "${rcs[2]}" != 0 ] || fail "delete went ahead during create"
		grep -q '"status": "creating"' "$TMP/out.state" || fail "state during create: $(cat "$TMP/out.state")"
		local what
		for what in exec start delete; do
			grep -q 'still being created' "$TMP/out.$what" || fail "$what said: $(cat "$TMP/out.$what")"
		done
	fi
	# Once create has returned, both work.
	[ "$(container_status)" = created ]
	run husk exec "$ID" true </dev/null
	assert_status 0
	husk start "$ID"
	[ "$(container_status)" = running ]
}

@test "exec: into a container that does not exist says so" {
	run husk exec nosuchcontainer true </dev/null
	[ "$status" -ne 0 ] || fail "exec into nothing succeeded"
	assert_output_contains "does not exist"
}

@test "exec: into a paused container needs --ignore-paused, and then waits for resume" {
	start_container
	husk pause "$ID"
	[ "$(container_status)" = paused ]
	run husk exec "$ID" true </dev/null
	[ "$status" -ne 0 ] || fail "exec into a paused container succeeded"
	assert_output_contains "paused"
	# with --ignore-paused the process joins the frozen cgroup: it runs only after resume
	"$HUSK" --root "$ROOT" exec --ignore-paused "$ID" echo ran </dev/null >"$TMP/exec.out" 2>&1 3>&- &
	exec_pid=$!
	BACKGROUND_PIDS+=("$exec_pid")
	sleep 0.5
	[ ! -s "$TMP/exec.out" ] || fail "the process ran while the container was paused: $(cat "$TMP/exec.out")"
	husk resume "$ID"
	rc=0
	wait "$exec_pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "exec --ignore-paused exited $rc: $(cat "$TMP/exec.out")"
	[ "$(cat "$TMP/exec.out")" = ran ]
}

@test "exec: signals sent to the exec process are forwarded (TERM, USR1, HUP, ALRM)" {
	add_shared_dir
	start_container
	for sig in TERM USR1 HUP ALRM; do
		rm -f "$TMP/shared/ready" "$TMP/shared/got"
		"$HUSK" --root "$ROOT" exec "$ID" sh -c "trap 'echo $sig > /shared/got; exit 7' $sig
			echo > /shared/ready; while :; do sleep 0.05; done" </dev/null >"$TMP/exec.out" 2>&1 3>&- &
		exec_pid=$!
		BACKGROUND_PIDS+=("$exec_pid")
		retry 100 0.05 test -e "$TMP/shared/ready"
		kill -"$sig" "$exec_pid"
		rc=0
		wait "$exec_pid" || rc=$?
		[ "$(cat "$TMP/shared/got" 2>/dev/null)" = "$sig" ] || fail "SIG$sig not forwarded: $(cat "$TMP/exec.out")"
		[ "$rc" -eq 7 ] || fail "exec exited $rc after SIG$sig, want 7"
	done
}

@test "exec: a process killed with exec's signal makes exec exit 128+N" {
	add_shared_dir
	start_container
	"$HUSK" --root "$ROOT" exec "$ID" sh -c 'echo > /shared/ready; exec sleep 600' </dev/null >/dev/null 2>&1 3>&- &
	exec_pid=$!
	BACKGROUND_PIDS+=("$exec_pid")
	retry 100 0.05 test -e "$TMP/shared/ready"
	sleep 0.1
	kill -TERM "$exec_pid"
	rc=0
	wait "$exec_pid" || rc=$?
	[ "$rc" -eq 143 ] || fail "exec exited $rc, want 143"
}

@test "exec: LISTEN_FDS of the caller are not passed (runc passes them on run/create only)" {
	start_container
	run --separate-stderr sh -c 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@"' sh \
		"$HUSK" --root "$ROOT" exec "$ID" sh -c 'checker fds; echo "LISTEN_FDS=${LISTEN_FDS:-unset}"' </dev/null 3</dev/null
	assert_status 0
	[ "$(kv fds)" = 0,1,2 ] && [ "$(kv LISTEN_FDS)" = unset ] || fail "activation fds leaked into exec"
}

@test "run: socket activation: LISTEN_FDS for the runtime's pid passes fds 3.. with LISTEN_FDS=N LISTEN_PID=1" {
	echo three >"$TMP/f3"
	echo four >"$TMP/f4"
	echo five >"$TMP/f5"
	set_args sh -c 'checker fds; echo "LISTEN_FDS=$LISTEN_FDS"; echo "LISTEN_PID=$LISTEN_PID"'
	run --separate-stderr sh -c 'export LISTEN_PID=$$ LISTEN_FDS=2; exec "$@"' sh \
		"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3<"$TMP/f3" 4<"$TMP/f4" 5<"$TMP/f5"
	assert_status 0
	[ "$(kv fds)" = 0,1,2,3,4 ] || fail "activation fds not passed"
	[ "$(kv fd.3)" = "$TMP/f3" ] && [ "$(kv fd.4)" = "$TMP/f4" ] || fail "wrong fds"
	[ "$(kv LISTEN_FDS)" = 2 ] && [ "$(kv LISTEN_PID)" = 1 ] || fail "LISTEN_FDS/LISTEN_PID not set for the container"
	# --preserve-fds counts from after the activation fds
	run --separate-stderr sh -c 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@"' sh \
		"$HUSK" --root "$ROOT" run --preserve-fds 1 --bundle "$BUNDLE" "$ID" </dev/null 3<"$TMP/f3" 4<"$TMP/f4" 5<"$TMP/f5"
	assert_status 0
	[ "$(kv fds)" = 0,1,2,3,4 ] && [ "$(kv LISTEN_FDS)" = 1 ] || fail "activation + preserve-fds"
}

@test "run: socket activation: LISTEN_FDS meant for another pid is ignored" {
	set_args sh -c 'checker fds; echo "LISTEN_FDS=${LISTEN_FDS:-unset}"'
	run --separate-stderr sh -c 'export LISTEN_PID=1 LISTEN_FDS=1; exec "$@"' sh \
		"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3</dev/null
	assert_status 0
	[ "$(kv fds)" = 0,1,2 ] && [ "$(kv LISTEN_FDS)" = unset ] || fail "fds passed for another pid"
}

@test "create: socket activation fds wait in the created container until start" {
	echo three >"$TMP/f3"
	add_shared_dir
	set_args sh -c 'checker fds > /shared/fds; echo "LISTEN_FDS=$LISTEN_FDS" >> /shared/fds'
	sh -c 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@"' sh \
		"$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3<"$TMP/f3"
	husk start "$ID"
	wait_for_status stopped
	output=$(cat "$TMP/shared/fds")
	[ "$(kv fds)" = 0,1,2,3 ] && [ "$(kv fd.3)" = "$TMP/f3" ] && [ "$(kv LISTEN_FDS)" = 1 ] ||
		fail "activation fd not kept until start"
}

@test "create and run -d: --pidfd-socket receives a pidfd of the container init" {
	skip_on_runc "1.1.5 has no --pidfd-socket"
	need_tool "$RECVFD"
	set_args sleep 600
	# create: recvfd kills the waiting init through the pidfd and waits for it to exit
	"$RECVFD" "$TMP/create.sock" 9 >"$TMP/recvfd.out" 2>"$TMP/recvfd.err" </dev/null 3>&- &
	recv_pid=$!
	BACKGROUND_PIDS+=("$recv_pid")
	retry 100 0.02 test -S "$TMP/create.sock"
	husk create --bundle "$BUNDLE" --pid-file "$TMP/init.pid" --pidfd-socket "$TMP/create.sock" "$ID" \
		</dev/null >/dev/null
	wait "$recv_pid" || fail "recvfd failed: $(cat "$TMP/recvfd.err")"
	output=$(cat "$TMP/recvfd.out")
	[ "$(kv link)" = "anon_inode:[pidfd]" ] || fail "create: not a pidfd"
	[ "$(kv pid)" = "$(cat "$TMP/init.pid")" ] || fail "create: the pidfd is of another process"
	[ "$(kv exited)" = 1 ] || fail "create: the init did not exit on the signal sent through the pidfd"
	husk delete --force "$ID"
	# run -d: the pidfd arrives and names the running init
	"$RECVFD" "$TMP/run.sock" >"$TMP/recvfd.out" 2>"$TMP/recvfd.err" </dev/null 3>&- &
	recv_pid=$!
	BACKGROUND_PIDS+=("$recv_pid")
	retry 100 0.02 test -S "$TMP/run.sock"
	husk run -d --bundle "$BUNDLE" --pid-file "$TMP/init.pid" --pidfd-socket "$TMP/run.sock" "$ID" \
		</dev/null >/dev/null
	wait "$recv_pid" || fail "recvfd failed: $(cat "$TMP/recvfd.err")"
	output=$(cat "$TMP/recvfd.out")
	[ "$(kv pid)" = "$(cat "$TMP/init.pid")" ] || fail "run -d: the pidfd is of another process"
	[ "$(container_status)" = running ] || fail "run -d: status $(container_status)"
}

@test "exec: into a --no-pivot container, the process is in the container's rootfs and cwd" {
	echo nopivot >"$BUNDLE/rootfs/marker"
	mkdir -p "$BUNDLE/rootfs/work"
	update_config '.process.cwd = "/work"'
	set_args sleep 600
	husk_run_detached "$ID" --no-pivot
	run husk exec "$ID" sh -c 'cat /marker; pwd; test -e /etc/debian_version && echo host-visible; true' </dev/null
	assert_status 0
	[ "${lines[0]}" = nopivot ] || fail "not in the container's rootfs"
	[ "${lines[1]}" = /work ] || fail "cwd ${lines[1]}"
	[[ "$output" != *host-visible* ]] || fail "the host's root is visible"
}

@test "exec: the process joins the container's time namespace and sees its offsets" {
	skip_on_runc "1.1 has no time namespace support"
	[ -e /proc/self/ns/time ] || skip "no time namespace support on this kernel"
	update_config '.linux.namespaces += [{"type":"time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}}'
	start_container
	run husk exec "$ID" checker ns </dev/null
	assert_status 0
	[ "$(kv ns.time)" = "$(readlink "/proc/$INIT_PID/ns/time")" ] || fail "not in the init's time namespace"
	run husk exec "$ID" checker clock </dev/null
	assert_status 0
	local host_boot
	host_boot=$(kv boottime "$("$CHECKER" clock)")
	awk -v i="$(kv boottime)" -v h="$host_boot" 'BEGIN { d = i - h - 86400; exit !(d > -5 && d < 1) }' ||
		fail "boottime inside $(kv boottime), host $host_boot"
}
