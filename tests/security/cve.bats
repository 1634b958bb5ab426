#!/usr/bin/env bats
# CVE regression suite: each known container-escape class of runc/crun, attacked the way its exploit did,
# end to end against the runtime binary, asserting that nothing on the host outside the test's temp dir moved.
#
# Run as root:   bats tests/security/cve.bats      (or tests/integration/run.sh tests/security/cve.bats)
# Environment: as tests/integration/helpers.bash (HUSK, CHECKER), plus
#   CVE_HELPERS  dir with cve-attacker, cve-payload.so, cve-swap (default: <build>/tests/security/cve)
#
# Safety rules every test keeps: hostile symlinks point only at marker files and dirs under $TMP/host, made
# by the test; the CVE-2019-5736 attacks aim at a copy of the runtime in $TMP, and cve-attacker writes only
# into the file whose dev:ino the test names. Every loop is bounded in count and time.

load ../integration/helpers

CVE_HELPERS=$(abs_path "${CVE_HELPERS:-$(dirname "$CHECKER")/../security/cve}")

setup_file() {
	husk_setup_file
}

setup() {
	husk_setup
	HOST=$TMP/host
	mkdir -p "$HOST/target"
	echo "host-secret-$RANDOM$RANDOM" >"$HOST/secret"
	echo "host-marker" >"$HOST/marker"
	mounts_before=$(host_mounts_under "$TMP")
	remember_host
}

teardown() {
	husk_teardown
}

# Mount points of the host's mount namespace under $1 (none of these tests mounts anything on the host).
host_mounts_under() {
	awk -v dir="$1/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort
}

# Type, size, mode and content hash of everything under $HOST.
host_snapshot() {
	(cd "$HOST" && find . -printf '%p %y %s %m\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# Call after set-up: later assert_host_untouched compares against this.
remember_host() {
	host_snapshot >"$TMP/host.snapshot"
}

assert_host_untouched() {
	local now
	now=$(host_snapshot)
	if [ "$now" != "$(cat "$TMP/host.snapshot")" ]; then
		echo "host marker dir changed:" >&2
		diff <(cat "$TMP/host.snapshot") <(echo "$now") >&2 || true
		return 1
	fi
	local mounts
	mounts=$(host_mounts_under "$TMP")
	if [ "$mounts" != "$mounts_before" ]; then
		echo "new mounts on the host under $TMP: $mounts" >&2
		return 1
	fi
}

need_helpers() {
	local h
	for h in cve-attacker cve-payload.so cve-swap; do
		[ -e "$CVE_HELPERS/$h" ] || skip "no $CVE_HELPERS/$h (ninja -C build tests/security/cve/$h)"
	done
}

# Drop the /dev tmpfs so that the rootfs's own /dev is what the runtime works on (runc allows this).
rootfs_dev() {
	update_config '.mounts |= map(select(.destination != "/dev"))'
}

# --- CVE-2024-21626: a leaked fd as the working directory ---------------------------------------------------

# The fds a runtime could leak into its child: runc's exploit used 7 and 8 (/sys/fs/cgroup).
LEAK_FDS="3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"

# A shell that walks up from its cwd (outside the root, `..` goes up to the host's /) and reads the secret.
escape_script() {
	echo "cd ../../../../../../../../../../../../..; cat .$HOST/secret 2>/dev/null; echo; ls -l /proc/self/cwd"
}

assert_not_escaped() {
	local what=$1
	if [[ "$output" == *"$(cat "$HOST/secret")"* ]]; then
		echo "$what: the container read a host file through a leaked fd" >&2
		fail "status $status"
	fi
}

@test "CVE-2024-21626: process.cwd /proc/self/fd/N never puts the container process in a host directory" {
	local n leaked=()
	for n in $LEAK_FDS; do
		update_config '.process.cwd = $cwd' --arg cwd "/proc/self/fd/$n"
		set_args sh -c "$(escape_script)"
		run husk run --bundle "$BUNDLE" "$ID-$n" </dev/null
		if [[ "$output" == *"$(cat "$HOST/secret")"* ]]; then
			leaked+=("fd $n: $(echo "$output" | tail -n1)")
		fi
	done
	[ ${#leaked[@]} -eq 0 ] || fail "host directory reachable as cwd: ${leaked[*]}"
	assert_host_untouched
}

@test "CVE-2024-21626: exec --cwd /proc/self/fd/N never puts the process in a host directory" {
	set_args sleep 60
	husk_run_detached
	local n leaked=()
	for n in $LEAK_FDS; do
		run husk exec --cwd "/proc/self/fd/$n" "$ID" sh -c "$(escape_script)" </dev/null
		if [[ "$output" == *"$(cat "$HOST/secret")"* ]]; then
			leaked+=("fd $n: $(echo "$output" | tail -n1)")
		fi
	done
	[ ${#leaked[@]} -eq 0 ] || fail "host directory reachable as cwd: ${leaked[*]}"
	assert_host_untouched
}

@test "CVE-2024-21626: only stdio and the preserved fds reach the container process (run and exec)" {
	container_run checker fds
	assert_status 0
	[ "$(kv fds)" = "0,1,2" ] || fail "run: fds other than stdio are open at execve"

	echo preserved >"$TMP/preserved"
	set_args checker fds
	run husk run --preserve-fds 1 --bundle "$BUNDLE" "$ID-p" </dev/null 3<"$TMP/preserved"
	assert_status 0
	[ "$(kv fds)" = "0,1,2,3" ] || fail "run --preserve-fds 1: want fds 0,1,2,3"

	set_args sleep 60
	husk_run_detached
	run husk exec "$ID" checker fds </dev/null
	assert_status 0
	[ "$(kv fds)" = "0,1,2" ] || fail "exec: fds other than stdio are open at execve"
}

# --- CVE-2019-5736: overwriting the runtime through /proc/<pid>/exe ------------------------------------------

# A copy of the runtime in $TMP (what the attacks aim at), its hash and dev:ino, and what the exploit needs in
# the rootfs: the dynamic loader and libraries of the runtime (an attacker's image has them), the payload
# library, cve-attacker, and /evil, an entrypoint whose interpreter is /proc/self/exe.
prepare_5736() {
	need_helpers
	mkdir -p "$TMP/bin"
	# The library attack needs a dynamically linked runtime: husk's dynamic test build when husk is static.
	local rt=$HUSK
	if [ "${1:-}" = library ] && ! ldd "$HUSK" >/dev/null 2>&1 && [ -x "$CVE_HELPERS/husk-dynamic" ]; then
		rt=$CVE_HELPERS/husk-dynamic
	fi
	RT_NAME=$(basename "$rt")
	RT_COPY=$TMP/bin/$RT_NAME
	cp "$rt" "$RT_COPY"
	RT_SHA=$(sha256sum <"$RT_COPY")
	RT_TARGET=$(stat -c '%d:%i' "$RT_COPY")
	local rootfs=$BUNDLE/rootfs lib
	for lib in $(ldd "$RT_COPY" 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$rootfs$(dirname "$lib")"
		cp -L "$lib" "$rootfs$lib"
	done
	cp "$CVE_HELPERS/cve-payload.so" "$rootfs/cve-payload.so"
	cp "$CVE_HELPERS/cve-attacker" "$rootfs/bin/cve-attacker"
	printf '#!/proc/self/exe\n' >"$rootfs/evil"
	chmod 0755 "$rootfs/evil"
	add_shared_dir
}

# The runtime copy with this test's --root; its stdio goes to files as husk_run_detached does.
rt_copy() {
	"$RT_COPY" --root "$ROOT" "$@" </dev/null >>"$TMP/rt.out" 2>>"$TMP/rt.err" 3>&-
}

payload_env() {
	echo "LD_PRELOAD=/cve-payload.so CVE_ATTACKER=/bin/cve-attacker CVE_TARGET=$RT_TARGET CVE_RESULT=/shared/result CVE_SECONDS=3"
}

# A statically linked runtime loads no library of the container's: the LD_PRELOAD vehicle of the exploit cannot
# run inside it at all. Then the check is that it did not, and that the binary is unchanged.
runtime_is_static() {
	! ldd "$RT_COPY" >/dev/null 2>&1
}

assert_payload_never_ran() {
	local result=$1
	sleep 1
	[ ! -e "$result" ] || fail "the container's library ran inside the static runtime: $(cat "$result")"
	echo "# $RT_NAME is statically linked: the container's LD_PRELOAD library never loaded into it" >&3
	[ "$(sha256sum <"$RT_COPY")" = "$RT_SHA" ] || fail "the runtime binary changed"
}

# Wait for cve-attacker's result file, then check that the runtime copy was not written.
assert_runtime_intact() {
	local result=$1
	retry 160 0.05 test -s "$result" || {
		cat "$TMP/rt.err" >&2 2>/dev/null
		fail "the attack did not run (no $result)"
	}
	output=$(cat "$result")
	echo "attack result: $(echo "$output" | tr '\n' ' ')" >&3
	[ "$(kv overwritten)" = 0 ] || fail "the runtime binary was overwritten"
	[ "$(sha256sum <"$RT_COPY")" = "$RT_SHA" ] || fail "the runtime binary changed"
}

# The container's process is /evil, with the payload library preloaded.
prepare_evil_entrypoint() {
	prepare_5736 library
	local e
	for e in $(payload_env); do
		update_config '.process.env += [$e]' --arg e "$e"
	done
	set_args /evil
}

# husk execs the container's process through its sealed trampoline (runc has none: it re-execs): /proc/self/exe is
# the trampoline, run with /evil's interpreter line as arguments it refuses (exit 127), and no library loads.
assert_trampoline_refused_evil() {
	sleep 1
	[ ! -e "$TMP/shared/result" ] || fail "the container's library ran: $(cat "$TMP/shared/result")"
	[ "$(sha256sum <"$RT_COPY")" = "$RT_SHA" ] || fail "the runtime binary changed"
}

@test "CVE-2019-5736: an entrypoint #!/proc/self/exe with a malicious library cannot overwrite the runtime (run)" {
	prepare_evil_entrypoint
	rt_copy run --detach --bundle "$BUNDLE" "$ID" || true
	if [ "$RUNTIME" = husk ]; then
		# The created init waited for start in the trampoline.
		wait_for_status stopped
		assert_trampoline_refused_evil
		return
	fi
	if runtime_is_static; then
		assert_payload_never_ran "$TMP/shared/result"
		return
	fi
	assert_runtime_intact "$TMP/shared/result"
	[ "$(kv write)" != ok ] || fail "the runtime binary was opened for writing"
}

@test "CVE-2019-5736: an entrypoint #!/proc/self/exe with a malicious library cannot overwrite the runtime (run, no trampoline)" {
	husk_only "husk's choice of protection: without the trampoline husk runs from a protected view of its binary"
	# Hooks that run in the container before its exec keep the trampoline out (container/protect.c): the init is
	# husk itself, re-executed from a read-only view, and the library loads into it.
	prepare_evil_entrypoint
	update_config '.hooks.startContainer = [{"path": "/bin/true"}]'
	rt_copy run --detach --bundle "$BUNDLE" "$ID" || true
	assert_runtime_intact "$TMP/shared/result"
	[ "$(kv write)" != ok ] || fail "the runtime binary was opened for writing"
}

@test "CVE-2019-5736: an entrypoint #!/proc/self/exe with a malicious library cannot overwrite the runtime (run in the foreground)" {
	prepare_evil_entrypoint
	local rc=0
	rt_copy run --bundle "$BUNDLE" "$ID" || rc=$?
	if [ "$RUNTIME" = husk ]; then
		[ "$rc" -eq 127 ] || fail "want exit 127 from the trampoline, got $rc"
		assert_trampoline_refused_evil
		return
	fi
	if runtime_is_static; then
		assert_payload_never_ran "$TMP/shared/result"
		return
	fi
	assert_runtime_intact "$TMP/shared/result"
	[ "$(kv write)" != ok ] || fail "the runtime binary was opened for writing"
}

@test "CVE-2019-5736: exec of #!/proc/self/exe with a malicious library cannot overwrite the runtime" {
	prepare_5736 library
	set_args sleep 60
	rt_copy run --detach --bundle "$BUNDLE" "$ID"
	local e envs=()
	for e in $(payload_env); do
		envs+=(-e "$e")
	done
	rt_copy exec --detach "${envs[@]}" "$ID" /evil || true
	if runtime_is_static; then
		assert_payload_never_ran "$TMP/shared/result"
		return
	fi
	assert_runtime_intact "$TMP/shared/result"
	[ "$(kv write)" != ok ] || fail "the runtime binary was opened for writing"
}

# A container whose init scans /proc for runtime processes (exec children, and inits of containers that join its
# pid namespace) and keeps reopening their exe for writing, while the test execs into it and creates containers.
scan_while_entering() {
	local caps=$1
	prepare_5736
	update_config '.process.capabilities.bounding += $c | .process.capabilities.effective += $c |
		.process.capabilities.permitted += $c' --argjson c "$caps"
	set_args /bin/cve-attacker exe-scan "$RT_TARGET" "$RT_NAME" 5 /shared/scan
	rt_copy run --detach --bundle "$BUNDLE" "$ID"
	local pid i
	pid=$(container_pid)
	for i in $(seq 1 20); do
		rt_copy exec "$ID" true || true
	done
	# Containers born into the scanner's pid namespace: their init runs runtime code there until it execs.
	cp -a "$BUNDLE" "$TMP/joiner"
	jq --arg ns "/proc/$pid/ns/pid" '.process.args = ["true"] | .mounts |= map(select(.destination != "/shared")) |
		.linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)' \
		"$BUNDLE/config.json" >"$TMP/joiner/config.json"
	for i in $(seq 1 10); do
		rt_copy run --bundle "$TMP/joiner" "$ID-j$i" || true
	done
	assert_runtime_intact "$TMP/shared/scan"
}

@test "CVE-2019-5736: without CAP_SYS_PTRACE the container cannot even open a runtime process's exe (non-dumpable)" {
	scan_while_entering '[]'
	[ "$(kv seen)" = 0 ] || fail "the container opened /proc/<pid>/exe of a runtime process: it was dumpable"
}

@test "CVE-2019-5736: with CAP_SYS_PTRACE the container can open a runtime process's exe but never write it" {
	scan_while_entering '["CAP_SYS_PTRACE"]'
	[ "$(kv write)" != ok ] || fail "the runtime binary was opened for writing"
}

# The init of a created container waits for `start` for as long as anyone likes, and `exec` may put processes
# beside it meanwhile: one holding CAP_SYS_PTRACE scans for the runtime's exe, keeps an O_PATH fd on what it finds
# and reopens it for writing while the container is started (the original exploit waited for the runtime to exit
# and its binary to be no longer busy).
@test "CVE-2019-5736: a process exec'd beside a created container's waiting init never writes the runtime" {
	prepare_5736
	local c='["CAP_SYS_PTRACE"]'
	update_config '.process.capabilities.bounding += $c | .process.capabilities.effective += $c |
		.process.capabilities.permitted += $c' --argjson c "$c"
	set_args sleep 60
	rt_copy create --bundle "$BUNDLE" "$ID"
	rt_copy exec --detach --cap CAP_SYS_PTRACE "$ID" /bin/cve-attacker exe-scan "$RT_TARGET" "$RT_NAME" 3 /shared/scan
	sleep 1
	rt_copy start "$ID"
	assert_runtime_intact "$TMP/shared/scan"
	[ "$(kv write)" != ok ] || fail "the runtime binary was opened for writing"
}

@test "CVE-2019-5736: the container init's /proc/self/exe cannot be written even by the host's root" {
	husk_only "husk's choice of protection (runc 1.1 uses a sealed memfd)"
	set_args sleep 60
	husk_create
	local pid
	pid=$(container_pid)
	run sh -c "echo x >>/proc/$pid/exe"
	[ "$status" -ne 0 ] || fail "appending to /proc/$pid/exe worked"
	[[ "$output" == *"Read-only file system"* || "$output" == *"Operation not permitted"* ||
		"$output" == *"Text file busy"* ]] || fail "want EROFS (overlayfs view), EPERM or ETXTBSY (sealed memfd)"
	# Not only busy while it runs: a memfd (the waiting init's trampoline) is sealed against writes for good.
	if [[ "$(readlink "/proc/$pid/exe")" == /memfd:* ]]; then
		python3 -c 'import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
sys.exit(0 if fcntl.fcntl(fd, fcntl.F_GET_SEALS) & fcntl.F_SEAL_WRITE else 1)' "/proc/$pid/exe" ||
			fail "the init's memfd is not sealed against writes"
	fi
}

# --- CVE-2019-16884 / CVE-2025-52881: procfs writes redirected ------------------------------------------------

# A directory that looks like /proc: the files the runtime writes, each holding a marker.
make_fake_proc() {
	local fake=$HOST/fakeproc
	mkdir -p "$fake/self/attr/apparmor" "$fake/thread-self/attr/apparmor" "$fake/sys/kernel" "$fake/sys/net/ipv4"
	local f
	for f in self/oom_score_adj self/attr/exec self/attr/apparmor/exec thread-self/attr/exec \
		thread-self/attr/apparmor/exec sys/kernel/shmmax sys/kernel/msgmax sys/net/ipv4/ip_forward; do
		echo "marker" >"$fake/$f"
	done
}

@test "CVE-2019-16884: /proc replaced by a bind of a fake dir: oomScoreAdj and sysctls are not written into it" {
	make_fake_proc
	remember_host
	update_config '.mounts |= map(if .destination == "/proc" then {"destination": "/proc", "type": "bind",
		"source": $src, "options": ["rbind", "rw"]} else . end) | .process.oomScoreAdj = 123 |
		.linux.sysctl = {"kernel.shmmax": "4096", "net.ipv4.ip_forward": "1"}' --arg src "$HOST/fakeproc"
	container_run true
	echo "runtime said: $output" >&3
	assert_host_untouched
}

@test "CVE-2025-52881: a host file bound over /proc/sys/kernel/shmmax does not receive the sysctl" {
	remember_host
	update_config '.mounts += [{"destination": "/proc/sys/kernel/shmmax", "type": "bind", "source": $src,
		"options": ["bind", "rw"]}] | .linux.sysctl = {"kernel.shmmax": "4096"}' --arg src "$HOST/marker"
	container_run true
	echo "runtime said: $output" >&3
	assert_host_untouched
}

@test "CVE-2025-52881: a host file bound over /proc/self/oom_score_adj does not receive oomScoreAdj" {
	remember_host
	update_config '.mounts += [{"destination": "/proc/self/oom_score_adj", "type": "bind", "source": $src,
		"options": ["bind", "rw"]}] | .process.oomScoreAdj = 123' --arg src "$HOST/marker"
	container_run true
	echo "runtime said: $output" >&3
	assert_host_untouched
}

@test "CVE-2019-16884: a host file bound over /proc/self/attr/exec does not receive the AppArmor profile" {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || skip "AppArmor is not enabled on this host"
	remember_host
	update_config '.mounts += [{"destination": "/proc/self/attr/exec", "type": "bind", "source": $src,
		"options": ["bind", "rw"]}] | .process.apparmorProfile = "unconfined"' --arg src "$HOST/marker"
	container_run true
	echo "runtime said: $output" >&3
	assert_host_untouched
}

# --- CVE-2025-31133: masking with a /dev/null that is not the null device ------------------------------------

@test "CVE-2025-31133: /dev/null a symlink to a host file: masked paths never expose it" {
	rootfs_dev
	writable_rootfs
	ln -s "$HOST/marker" "$BUNDLE/rootfs/dev/null"
	echo inside >"$BUNDLE/rootfs/masked-file"
	remember_host
	update_config '.linux.maskedPaths += ["/masked-file"]'
	container_run sh -c 'echo pwned >/masked-file; echo pwned >/dev/null; cat /masked-file'
	echo "runtime said: $output" >&3
	[[ "$output" != *host-marker* ]] || fail "a masked path showed the host file"
	assert_host_untouched
}

@test "CVE-2025-31133: /dev/null a regular file: masked paths are masked or the runtime refuses" {
	rootfs_dev
	writable_rootfs
	echo fake-null >"$BUNDLE/rootfs/dev/null"
	echo inside >"$BUNDLE/rootfs/masked-file"
	remember_host
	update_config '.linux.maskedPaths += ["/masked-file"]'
	container_run sh -c 'echo pwned >/masked-file; cat /masked-file; echo; cat /proc/kcore | head -c 16'
	echo "runtime said: $output" >&3
	if [ "$status" -eq 0 ]; then
		[[ "$output" != *fake-null* && "$output" != *pwned* && "$output" != *inside* ]] ||
			fail "masked path not masked by the null device"
	fi
	assert_host_untouched
}

@test "CVE-2025-31133: /dev/null swapped between the null device and a symlink to a host file while masking" {
	need_helpers
	rootfs_dev
	writable_rootfs
	mknod -m 0666 "$BUNDLE/rootfs/dev/null" c 1 3
	echo inside >"$BUNDLE/rootfs/masked-file"
	remember_host
	update_config '.linux.maskedPaths += ["/masked-file"]'
	set_args sh -c 'echo pwned >/masked-file; echo pwned >/dev/null'
	"$CVE_HELPERS/cve-swap" "$BUNDLE/rootfs/dev" null "$HOST/marker" 30 >"$TMP/swap.out" 2>&1 &
	BACKGROUND_PIDS+=($!)
	local i ok=0
	for i in $(seq 1 20); do
		husk run --bundle "$BUNDLE" "$ID-$i" </dev/null >/dev/null 2>>"$TMP/errors" 3>&- && ok=$((ok + 1))
	done
	kill "${BACKGROUND_PIDS[0]}" && wait "${BACKGROUND_PIDS[0]}" || true
	echo "racer: $(cat "$TMP/swap.out"); $ok of 20 started; first error: $(head -n1 "$TMP/errors")" >&3
	assert_host_untouched
}

# --- CVE-2025-52565: the /dev/console bind target ------------------------------------------------------------

@test "CVE-2025-52565: /dev/console a symlink to a host file: the pty is never mounted on it" {
	rootfs_dev
	ln -s "$HOST/marker" "$BUNDLE/rootfs/dev/console"
	remember_host
	update_config '.process.terminal = true'
	set_args sh -c 'echo pwned >/dev/console; exit 0'
	start_console_socket
	run husk run --detach --console-socket "$TMP/console.sock" --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	echo "runtime said: $output" >&3
	[ "$status" -ne 0 ] || wait_console_output
	assert_host_untouched
	[ "$(readlink "$BUNDLE/rootfs/dev/console")" = "$HOST/marker" ] || [ ! -L "$BUNDLE/rootfs/dev/console" ]
}

@test "CVE-2025-52565: /dev/console swapped between a file and a symlink to a host file during create" {
	need_helpers
	rootfs_dev
	touch "$BUNDLE/rootfs/dev/console"
	remember_host
	update_config '.process.terminal = true'
	set_args true
	"$CVE_HELPERS/cve-swap" "$BUNDLE/rootfs/dev" console "$HOST/marker" 30 >"$TMP/swap.out" 2>&1 &
	BACKGROUND_PIDS+=($!)
	local i
	for i in $(seq 1 15); do
		start_console_socket
		husk run --detach --console-socket "$TMP/console.sock" --bundle "$BUNDLE" "$ID-$i" \
			</dev/null >/dev/null 2>>"$TMP/errors" 3>&- || true
		wait_console_output
		rm -f "$TMP/console.sock"
	done
	kill "${BACKGROUND_PIDS[0]}" && wait "${BACKGROUND_PIDS[0]}" || true
	echo "racer: $(cat "$TMP/swap.out"); first error: $(head -n1 "$TMP/errors")" >&3
	assert_host_untouched
}

# --- CVE-2021-30465: symlink-exchange race on mount destinations ---------------------------------------------

@test "CVE-2021-30465: a racer swapping a mount destination with a symlink to a host dir never gets a mount or mkdir outside the rootfs" {
	skip_on_runc "CVE-2024-45310 (1.1.x creates mount point directories through the racing symlink)"
	need_helpers
	mkdir -p "$TMP/vol"
	echo volume >"$TMP/vol/file"
	remember_host
	update_config '.mounts += [
		{"destination": "/race/d1/sub/leaf", "type": "bind", "source": $vol, "options": ["rbind", "rw"]},
		{"destination": "/race/d2", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]},
		{"destination": "/race/d3/deep", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]}]' \
		--arg vol "$TMP/vol"
	set_args true
	"$CVE_HELPERS/cve-swap" "$BUNDLE/rootfs" race "$HOST/target" 30 >"$TMP/swap.out" 2>&1 &
	BACKGROUND_PIDS+=($!)
	local i ok=0 failed=0
	for i in $(seq 1 40); do
		if husk run --bundle "$BUNDLE" "$ID-$i" </dev/null >/dev/null 2>>"$TMP/errors" 3>&-; then
			ok=$((ok + 1))
		else
			failed=$((failed + 1))
		fi
	done
	kill "${BACKGROUND_PIDS[0]}" && wait "${BACKGROUND_PIDS[0]}" || true
	echo "racer: $(cat "$TMP/swap.out")" >&3
	echo "runs: $ok started, $failed refused; first error: $(head -n1 "$TMP/errors")" >&3
	[ "$(cat "$TMP/vol/file")" = volume ] && [ "$(ls -A "$TMP/vol")" = file ] || fail "the volume changed"
	assert_host_untouched
}

# --- runc 1.1: /dev a symlink to a host directory --------------------------------------------------------------

@test "rootfs /dev a symlink to a host dir: nothing is created or mounted there (/dev tmpfs)" {
	skip_on_runc "1.1 creates the /dev/fd, /dev/std* and /dev/ptmx links through a /dev symlink"
	rmdir "$BUNDLE/rootfs/dev"
	ln -s "$HOST/target" "$BUNDLE/rootfs/dev"
	remember_host
	container_run checker stat /dev/null
	echo "runtime said: $output" >&3
	assert_host_untouched
}

@test "rootfs /dev a symlink to a host dir: nothing is created there (devices made in the rootfs /dev)" {
	skip_on_runc "creates the default device nodes through the /dev symlink"
	rootfs_dev
	rmdir "$BUNDLE/rootfs/dev"
	ln -s "$HOST/target" "$BUNDLE/rootfs/dev"
	remember_host
	container_run checker stat /dev/null
	echo "runtime said: $output" >&3
	assert_host_untouched
}

# --- CVE-2022-29162 (runc), CVE-2022-27650 (crun): capabilities in the inheritable set ------------------------

@test "CVE-2022-29162: exec --cap never fills the inheritable set, so a program with inheritable file caps gains nothing" {
	# The exploit: a program in the image with file capabilities CAP+ei, run by an unprivileged user; with CAP in
	# the process's inheritable set, execve gives it CAP. Here CAP_NET_ADMIN (12), on a copy of the checker.
	cp "$BUNDLE/rootfs/bin/checker" "$BUNDLE/rootfs/bin/capchecker"
	run "$CHECKER" fcaps-inheritable "$BUNDLE/rootfs/bin/capchecker" 12
	[ "$status" -eq 0 ] || skip "the bundle's filesystem takes no file capabilities: $output"
	# no_new_privs would make execve ignore file capabilities, hiding the attack.
	update_config '.process.noNewPrivileges = false'

	# Control: with CAP_NET_ADMIN in the inheritable set the config asks for, the file does gain it here.
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities.bounding += ["CAP_NET_ADMIN"]
		| .process.capabilities.inheritable = ["CAP_NET_ADMIN"]'
	container_run capchecker caps
	assert_status 0
	[[ "$(kv CapEff_names)" == *cap_net_admin* ]] || fail "control: file capabilities are not honoured here"

	# The attack: nothing inheritable in the config; exec --cap CAP_NET_ADMIN, then the program as uid 1000.
	update_config '.process.user = {"uid": 0, "gid": 0}
		| .process.capabilities.bounding -= ["CAP_NET_ADMIN"]
		| del(.process.capabilities.inheritable)'
	set_args sleep 60
	husk_run_detached
	run husk exec --user 1000:1000 --cap CAP_NET_ADMIN "$ID" capchecker caps </dev/null
	assert_status 0
	[ "$(kv CapInh)" = 0000000000000000 ] || fail "exec --cap filled the inheritable set"
	[[ "$(kv CapEff_names)" != *cap_net_admin* ]] || fail "the program gained CAP_NET_ADMIN through the inheritable set"
}

# --- CVE-2023-25809: the cgroup mount of a user namespace without a cgroup namespace ------------------------------

@test "CVE-2023-25809: in a user namespace without a cgroup namespace, the container cannot write its cgroup even where its root owns it" {
	# The exploit: rootless, no cgroup namespace, so the cgroup filesystem cannot be mounted and the runtime binds
	# the host's cgroup directories instead; runc bound them writable, and the container's root, owning the
	# user's delegated cgroup, could raise its own limits or make cgroups there. Here the container's
	# cgroup is handed to the id its root maps to, as a delegated one is, so only "ro" stands in the way.
	chmod 0755 "$TMP"
	update_config '.linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "user"}])
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.cgroupsPath = $cg
		| .linux.resources.pids = {"limit": 50}' --arg cg "/$ID"
	set_args sh -c 'for f in $(find /sys/fs/cgroup -maxdepth 2 -name pids.max); do
			echo 1000 >"$f" && echo "wrote $f"; done
		for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do mkdir "$d/escape" && echo "made $d/escape"; done
		grep " /sys/fs/cgroup" /proc/self/mountinfo'
	husk_create
	local dirs
	dirs=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d -name "$ID")
	[ -n "$dirs" ] || fail "no cgroup named $ID on the host"
	local dir pids_max=
	for dir in $dirs; do
		chown -R 100000:100000 "$dir"
		[ -e "$dir/pids.max" ] && pids_max=$dir/pids.max
	done
	husk start "$ID"
	wait_for_status stopped
	output=$(cat "$TMP/$ID.out" "$TMP/$ID.err")
	[[ "$output" != *wrote* ]] || fail "the container wrote its cgroup's pids.max"
	[[ "$output" != *made* ]] || fail "the container made a cgroup"
	assert_output_contains "Read-only file system"
	[ -z "$pids_max" ] || [ "$(cat "$pids_max")" = 50 ] || fail "pids.max on the host: $(cat "$pids_max")"
	for dir in $dirs; do
		[ ! -e "$dir/escape" ] || fail "a cgroup was made at $dir/escape"
	done
}

# --- CVE-2023-27561, CVE-2023-28642 (CVE-2019-19921): /proc a symlink into a volume ------------------------------

@test "CVE-2023-28642: a rootfs /proc or /sys that is a symlink into a volume gets nothing mounted through it" {
	# The exploit: the image's /proc (or /sys) is a symlink into a volume that another container shares; the
	# runtime mounts procfs through it, and the other container swaps the directory before the masked and
	# read-only paths are made, leaving the real /proc/sys writable. The runtime must refuse the symlink.
	mkdir -p "$HOST/target/proc" "$HOST/target/sys"
	remember_host
	# The volume first, so that the symlink resolves into it when /proc and /sys are mounted.
	update_config '.mounts = [{"destination": "/vol", "type": "bind", "source": $src, "options": ["rbind", "rw"]}]
		+ .mounts' --arg src "$HOST/target"
	local name
	for name in proc sys; do
		rmdir "$BUNDLE/rootfs/$name"
		ln -s "/vol/$name" "$BUNDLE/rootfs/$name"
		container_run true
		[ "$status" -ne 0 ] || fail "the container ran with /$name a symlink into a volume"
		if [ "$RUNTIME" = husk ]; then
			assert_output_contains "\`/$name\` is a symlink"
		fi
		rm "$BUNDLE/rootfs/$name"
		mkdir "$BUNDLE/rootfs/$name"
	done
	assert_host_untouched
	husk list -q | grep -q . && fail "a container was left: $(husk list -q)"
	true
}

# --- CVE-2016-9962: a runtime process in the container's pid namespace still holding host resources --------------

# A container with CAP_SYS_PTRACE whose init keeps trying /proc/PID/root/$HOST/secret for every process it can
# see (cve-attacker root-scan): a runtime process visible in its pid namespace before it is in the container's
# mount namespace and root would show the host's filesystem there. Read the result after the scan's seconds.
start_root_scan() {
	start_ptrace_capable_attacker root-scan "$HOST/secret" "$1" /shared/scan
}

# Run cve-attacker ARGS... as the init of a container holding CAP_SYS_PTRACE, with /shared for its result.
start_ptrace_capable_attacker() {
	need_helpers
	cp "$CVE_HELPERS/cve-attacker" "$BUNDLE/rootfs/bin/cve-attacker"
	add_shared_dir
	update_config '.process.capabilities.bounding += ["CAP_SYS_PTRACE"]
		| .process.capabilities.effective += ["CAP_SYS_PTRACE"]
		| .process.capabilities.permitted += ["CAP_SYS_PTRACE"]'
	set_args /bin/cve-attacker "$@"
	husk_run_detached
}

assert_root_scan_found_nothing() {
	retry 200 0.05 test -s "$TMP/shared/scan" || fail "the scan wrote no result"
	output=$(cat "$TMP/shared/scan")
	[ "$(kv escaped)" = 0 ] || fail "the container read the host's $HOST/secret through /proc/<pid>/root"
	[ "$(kv opened)" -gt 0 ] || fail "the scan opened no /proc/<pid>/root at all: it proves nothing"
	assert_host_untouched
}

@test "CVE-2016-9962: with CAP_SYS_PTRACE, an exec'd process is never seen in the container before it is in its mount namespace" {
	# The exploit: runc init, visible in the container, still held host fds a ptracer could take. Here what
	# an exec'd husk process holds before it enters the container is the host's root directory.
	start_root_scan 6
	local i
	for i in $(seq 1 40); do
		husk exec "$ID" true </dev/null >/dev/null 2>&1 || true
	done
	assert_root_scan_found_nothing
}

# Twenty containers from the scanner's bundle (joining the pid namespace at $1 when given, their config also
# changed by the jq filter $2) that count the scanner in their /proc, run while start_root_scan's scanner watches;
# then the scan's verdict, and that the last joiner ran and saw the scanner in the pid namespace it joined.
run_joiners_under_scan() {
	cp -a "$BUNDLE" "$TMP/joiner"
	jq --arg ns "${1:-}" '.process.args = ["sh", "-c", "ps -o comm | grep -c cve-attacker"]
		| .mounts |= map(select(.destination != "/shared"))
		| if $ns != "" then .linux.namespaces |= map(if .type == "pid" then .path = $ns else . end) else . end
		| '"${2:-.}" "$BUNDLE/config.json" >"$TMP/joiner/config.json"
	local i last_status last_output
	for i in $(seq 1 20); do
		run husk run --bundle "$TMP/joiner" "$ID-j$i" </dev/null
		last_status=$status last_output=${output//$'\r'/}
	done
	assert_root_scan_found_nothing
	output=$last_output
	[ "$last_status" -eq 0 ] || fail "the last joiner failed"
	[ "$last_output" = 1 ] || fail "the joiner's /proc does not show the scanner of the pid namespace it joined"
}

@test "CVE-2016-9962: with CAP_SYS_PTRACE, a container joining its pid namespace never shows its init with the host's root" {
	# A pod sharing one pid namespace (Kubernetes shareProcessNamespace, podman --pid container:X) with a
	# debug container holding CAP_SYS_PTRACE: each new container's init, born in the shared namespace in a copy
	# of the host's mount namespace, showed the host's root at /proc/<pid>/root until it had pivoted.
	skip_on_runc "1.1.5 runs its init in the joined pid namespace before pivot_root (the host's root leaks)"
	[ "$("$CHECKER" proc-pidns)" = proc_pidns=yes ] ||
		skip "this kernel has no procfs pidns option: husk's init then sets up inside the joined pid namespace, as runc's"
	start_root_scan 6
	run_joiners_under_scan "/proc/$(container_pid)/ns/pid"
}

@test "CVE-2016-9962: with CAP_SYS_PTRACE, a container joining its pid namespace with a terminal never shows the host's root" {
	# The same with process.terminal, as `kubectl debug -it --target` makes a debug container: the pty is made
	# before the hand-over and taken as controlling terminal by the init that takes over.
	skip_on_runc "1.1.5 runs its init in the joined pid namespace before pivot_root (the host's root leaks)"
	[ "$("$CHECKER" proc-pidns)" = proc_pidns=yes ] ||
		skip "this kernel has no procfs pidns option: husk's init then sets up inside the joined pid namespace, as runc's"
	start_root_scan 6
	run_joiners_under_scan "/proc/$(container_pid)/ns/pid" '.process.terminal = true'
}

@test "CVE-2016-9962: in a pod with a user namespace, a CAP_SYS_PTRACE member never opens a joining container's init" {
	# The same pod sharing one pid namespace, with a user namespace too (Kubernetes pods with user namespaces):
	# a sandbox container makes both, the others join them by path. A joining init comes from an intermediate
	# made non-dumpable before it joins, so CAP_SYS_PTRACE in the pod's user namespace does not reach it, though
	# it is set up inside the pid namespace.
	skip_on_runc "1.1.5 joins a user namespace by path only with its maps in the config (\"no uid mappings found\")"
	chmod 0755 "$TMP"
	local pause
	cp -a "$BUNDLE" "$TMP/pause"
	jq '.process.args = ["sleep", "600"] | .linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
		"$BUNDLE/config.json" >"$TMP/pause/config.json"
	husk run --detach --bundle "$TMP/pause" "$ID-pause" </dev/null >/dev/null 2>&1 3>&-
	pause=$(container_pid "$ID-pause")
	update_config '.linux.namespaces |= map(if .type == "pid" then .path = $pid else . end) + [{"type": "user", "path": $user}]' \
		--arg pid "/proc/$pause/ns/pid" --arg user "/proc/$pause/ns/user"
	start_root_scan 6
	run_joiners_under_scan
}

# --- CVE-2016-9962's class, by ptrace itself: a runtime process seized while it is still privileged ---------------

# Non-dumpable does not stop a tracer holding CAP_SYS_PTRACE (docker --cap-add SYS_PTRACE, a Kubernetes debug
# container): a runtime process that shows in the container's pid namespace while it holds more capabilities than
# the container can be seized, and syscalls injected into it run with them (open_by_handle_at opens any file of a
# host filesystem: a found escape, runc 1.1.5's `runc init` included). The container's init seizes and stops every
# new process of its pid namespace (cve-attacker ptrace-scan) and reads what it holds while held.
start_ptrace_scan() {
	start_ptrace_capable_attacker ptrace-scan "$1" /shared/ptrace
}

assert_ptrace_scan_held_nothing_privileged() {
	retry 200 0.05 test -s "$TMP/shared/ptrace" || fail "the scan wrote no result"
	output=$(cat "$TMP/shared/ptrace")
	[ "$(kv privileged)" = 0 ] ||
		fail "the container seized a process holding capabilities it lacks: $(kv first) ($(kv privileged) times)"
	[ "$(kv seized)" -gt 0 ] || fail "the scan seized no process at all: it proves nothing"
	assert_host_untouched
}

@test "CVE-2016-9962 by ptrace: with CAP_SYS_PTRACE, an exec'd process is never seized while it holds more than the container" {
	skip_on_runc "1.1.5's runc init is seized in the container's pid namespace with every capability"
	start_ptrace_scan 6
	local i
	for i in $(seq 1 40); do
		husk exec "$ID" true </dev/null >/dev/null 2>&1 || true
		husk exec --user 1000:1000 "$ID" true </dev/null >/dev/null 2>&1 || true
	done
	assert_ptrace_scan_held_nothing_privileged
}

@test "CVE-2016-9962 by ptrace: under Docker's clone3 rule (ENOSYS) and an early filter, an exec'd process is born unprivileged" {
	skip_on_runc "1.1.5's runc init is seized in the container's pid namespace with every capability"
	# Docker's profile fails clone3 with ENOSYS so that libcs fall back on clone; without no_new_privs it is loaded
	# before the user switch, in the process that then clones the exec'd one.
	update_config '.process.noNewPrivileges = false | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
	start_ptrace_scan 6
	local i
	for i in $(seq 1 40); do
		husk exec --user 1000:1000 "$ID" true </dev/null >/dev/null 2>&1 || true
	done
	assert_ptrace_scan_held_nothing_privileged
}

@test "CVE-2016-9962 by ptrace: with CAP_SYS_PTRACE, a container joining its pid namespace is never seized while privileged" {
	skip_on_runc "1.1.5's runc init is seized in the joined pid namespace with every capability"
	start_ptrace_scan 6
	cp -a "$BUNDLE" "$TMP/joiner"
	jq --arg ns "/proc/$(container_pid)/ns/pid" '.process.args = ["true"]
		| .mounts |= map(select(.destination != "/shared"))
		| .linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)' \
		"$BUNDLE/config.json" >"$TMP/joiner/config.json"
	local i
	for i in $(seq 1 20); do
		# The second ten with a terminal (kubectl debug -it --target): the init that takes over takes the pty.
		if [ "$i" -eq 11 ]; then
			jq '.process.terminal = true' "$TMP/joiner/config.json" >"$TMP/joiner/config.new"
			mv "$TMP/joiner/config.new" "$TMP/joiner/config.json"
		fi
		husk run --bundle "$TMP/joiner" "$ID-j$i" </dev/null >/dev/null 2>&1 || true
	done
	assert_ptrace_scan_held_nothing_privileged
}
