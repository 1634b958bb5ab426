#!/usr/bin/env bats
# runtime-spec 1.2 config-linux.md and runtime-linux.md: namespaces, devices, cgroups, seccomp, masked and
# read-only paths, personality, and the file descriptors and /dev links the container process gets.

load ../integration/helpers
load conformance

setup_file() { conformance_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# A process in new network, uts and ipc namespaces whose /proc/PID/ns files a config can name; sets HOLDER.
start_ns_holder() {
	# started from a command substitution: not a job of the test's shell, which would report its killing
	HOLDER=$(unshare --net --uts --ipc sleep 600 </dev/null >/dev/null 2>&1 3>&- & echo $!)
	BACKGROUND_PIDS+=("$HOLDER")
	retry 100 0.02 sh -c "[ \"\$(readlink /proc/$HOLDER/ns/net)\" != \"$(ns_of $$ net)\" ]"
}

# Namespace types of the config that the runtime creates, by /proc/PID/ns name.
ns_file() {
	case "$1" in
	network) echo net ;;
	mount) echo mnt ;;
	*) echo "$1" ;;
	esac
}

# config-linux.md Namespaces: "If path is not specified, the runtime MUST create a new container namespace of
# type type."
@test "config-linux.md namespaces: without a path, the runtime MUST create a new namespace of the type" {
	types="pid network ipc uts mount cgroup"
	"$HUSK" features 2>/dev/null | jq -e '.linux.namespaces | index("time")' >/dev/null && types="$types time"
	update_config '.linux.namespaces = [$t | split(" ")[] | {"type": .}]' --arg t "$types"
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	for type in $types; do
		f=$(ns_file "$type")
		[ "$(ns_of "$pid" "$f")" != "$(ns_of $$ "$f")" ] || fail "the container shares the host's $type namespace"
	done
}

# config-linux.md Namespaces: "If a namespace type is not specified in the namespaces array, the container MUST
# inherit the runtime namespace of that type."
@test "config-linux.md namespaces: a type not in the array MUST be inherited from the runtime" {
	update_config 'del(.hostname) | .linux.namespaces = [{"type": "pid"}, {"type": "mount"}]'
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	for f in net ipc uts cgroup; do
		[ "$(ns_of "$pid" "$f")" = "$(ns_of $$ "$f")" ] || fail "the container has a $f namespace of its own"
	done
}

# config-linux.md Namespaces: path "The runtime MUST place the container process in the namespace associated with
# that path."
@test "config-linux.md namespaces: with a path, the container process MUST be placed in that namespace" {
	start_ns_holder
	update_config 'del(.hostname) | .linux.namespaces = [{"type": "pid"}, {"type": "mount"},
		{"type": "network", "path": "/proc/\($h)/ns/net"}, {"type": "uts", "path": "/proc/\($h)/ns/uts"},
		{"type": "ipc", "path": "/proc/\($h)/ns/ipc"}]' --arg h "$HOLDER"
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	for f in net uts ipc; do
		[ "$(ns_of "$pid" "$f")" = "$(ns_of "$HOLDER" "$f")" ] || fail "the container is not in the given $f namespace"
	done
}

# config-linux.md Namespaces: path "The runtime MUST generate an error if path is not associated with a namespace of
# type type."
@test "config-linux.md namespaces: a path to a namespace of another type MUST generate an error" {
	start_ns_holder
	touch "$TMP/not-a-namespace"
	set_args sleep 600
	expect_config_rejected 'del(.hostname) | (.linux.namespaces[] | select(.type == "network")).path = $p' \
		--arg p "/proc/$HOLDER/ns/uts"
	expect_config_rejected 'del(.hostname) | (.linux.namespaces[] | select(.type == "uts")).path = $p' \
		--arg p "$TMP/not-a-namespace"
}

# config-linux.md Namespaces: path "This value MUST be an absolute path in the runtime mount namespace."
@test "config-linux.md namespaces: a relative namespace path is refused" {
	start_ns_holder
	set_args sleep 600
	# from /, the relative path would name the holder's namespace: only the rule refuses it
	cd /
	expect_config_rejected '(.linux.namespaces[] | select(.type == "network")).path = $p' --arg p "proc/$HOLDER/ns/net"
}

# config-linux.md Namespaces: "If a namespaces field contains duplicated namespaces with same type, the runtime
# MUST generate an error."
@test "config-linux.md namespaces: duplicated namespaces of the same type MUST generate an error" {
	set_args sleep 600
	expect_config_rejected '.linux.namespaces += [{"type": "ipc"}]'
	start_ns_holder
	expect_config_rejected '.linux.namespaces += [{"type": "network", "path": $p}]' --arg p "/proc/$HOLDER/ns/net"
}

# config-linux.md Devices: "devices (array of objects, OPTIONAL) lists devices that MUST be available in the
# container."
@test "config-linux.md devices: the listed devices MUST be available in the container, as specified" {
	update_config '.linux.devices = [
		{"path": "/dev/conf-char", "type": "c", "major": 10, "minor": 229, "fileMode": 384, "uid": 1, "gid": 2},
		{"path": "/dev/conf-block", "type": "b", "major": 7, "minor": 200, "fileMode": 416},
		{"path": "/dev/sub/conf-fifo", "type": "p"}]'
	set_args sh -c 'for d in /dev/conf-char /dev/conf-block /dev/sub/conf-fifo; do checker stat $d | sed "s,^,$d.,"; done'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	for want in /dev/conf-char.type=char /dev/conf-char.major=10 /dev/conf-char.minor=229 /dev/conf-char.mode=0600 \
		/dev/conf-char.uid=1 /dev/conf-char.gid=2 /dev/conf-block.type=block /dev/conf-block.major=7 \
		/dev/conf-block.minor=200 /dev/conf-block.mode=0640 /dev/sub/conf-fifo.type=fifo; do
		[ "$(kv "${want%=*}")" = "${want#*=}" ] || fail "want $want, got $(kv "${want%=*}")"
	done
}

# config-linux.md Devices: path "If a file already exists at path that does not match the requested device, the
# runtime MUST generate an error."
@test "config-linux.md devices: a file at the path that does not match the device MUST generate an error" {
	skip_on_runc "1.1 leaves the existing file in place and starts the container"
	echo conformance >"$BUNDLE/rootfs/conf-dev"
	set_args cat /conf-dev
	expect_config_rejected '.linux.devices = [{"path": "/conf-dev", "type": "c", "major": 1, "minor": 3}]'
	[ "$(cat "$BUNDLE/rootfs/conf-dev")" = conformance ] || fail "the file in the rootfs changed"
}

# config-linux.md Default Devices: "In addition to any devices configured with this setting, the runtime MUST also
# supply: /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, /dev/tty, [...] /dev/ptmx. A bind-mount or
# symlink of the container's /dev/pts/ptmx."
@test "config-linux.md default devices: null, zero, full, random, urandom, tty and ptmx MUST be supplied" {
	update_config '.linux.devices = [{"path": "/dev/conf-char", "type": "c", "major": 10, "minor": 229}]'
	set_args sh -c 'for d in null zero full random urandom tty; do checker stat -L /dev/$d | sed "s,^,$d.,"; done
		checker stat /dev/ptmx | sed "s,^,ptmx.,"; checker stat -L /dev/pts/ptmx | sed "s,^,pts_ptmx.,"
		echo "zero=$(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")"
		echo "urandom=$(head -c 8 /dev/urandom | wc -c)"
		checker write /dev/null | sed "s/^write/null.write/"; checker write /dev/full | sed "s/^write/full.write/"'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	for want in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
		IFS=: read -r d major minor <<<"$want"
		[ "$(kv "$d.type")" = char ] && [ "$(kv "$d.major")" = "$major" ] && [ "$(kv "$d.minor")" = "$minor" ] ||
			fail "/dev/$d: $(kv "$d.type") $(kv "$d.major"):$(kv "$d.minor"), want char $major:$minor"
	done
	if [ "$(kv ptmx.type)" = symlink ]; then
		[[ "$(kv ptmx.target)" == pts/ptmx || "$(kv ptmx.target)" == /dev/pts/ptmx ]] || fail "ptmx -> $(kv ptmx.target)"
	else
		[ "$(kv ptmx.type)" = char ] && [ "$(kv ptmx.major)" = "$(kv pts_ptmx.major)" ] &&
			[ "$(kv ptmx.minor)" = "$(kv pts_ptmx.minor)" ] || fail "/dev/ptmx is neither a link nor a bind of /dev/pts/ptmx"
	fi
	[ "$(kv zero)" = 00000000 ] && [ "$(kv urandom)" = 8 ] || fail "zero/urandom do not work: $output"
	[ "$(kv null.write)" = ok ] && [ "$(kv full.write)" = ENOSPC ] || fail "null/full do not work: $output"
}

# config-linux.md Default Devices: "/dev/console is set up if terminal is enabled in the config by bind mounting
# the pseudoterminal pty to /dev/console."
@test "config-linux.md default devices: with a terminal, the pty MUST be bind-mounted at /dev/console" {
	update_config '.process.terminal = true'
	set_args sh -c 'checker mountinfo /dev/console | grep -q "^mount_point=/dev/console$" && echo console=mounted
		stat -L -c "console.dev=%t:%T" /dev/console; stat -L -c "stdin.dev=%t:%T" /proc/self/fd/0'
	start_console_socket
	husk_run_detached "$ID" --console-socket "$TMP/console.sock"
	wait_console_output
	output=$console
	[ "$(kv console)" = mounted ] || fail "/dev/console is not a mount point"
	[ -n "$(kv stdin.dev)" ] && [ "$(kv console.dev)" = "$(kv stdin.dev)" ] || fail "/dev/console is not the pty"
}

# config-linux.md Cgroups Path: "In the case of an absolute path (starting with /), the runtime MUST take the path
# to be relative to the cgroups mount point."
@test "config-linux.md cgroupsPath: an absolute path MUST be taken relative to the cgroups mount point" {
	update_config '.linux.cgroupsPath = $p' --arg p "/$ID-abs/ctr"
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	dir=$(cgroup_dir_of "$pid" pids)
	case "$dir" in
	/sys/fs/cgroup/pids/"$ID"-abs/ctr | /sys/fs/cgroup/"$ID"-abs/ctr | /sys/fs/cgroup/unified/"$ID"-abs/ctr) ;;
	*) fail "the container's cgroup is $dir, want <mount point>/$ID-abs/ctr" ;;
	esac
	grep -qx "$pid" "$dir/cgroup.procs" || fail "$pid is not in $dir"
}

# config-linux.md Cgroups Path: "If the value is specified, the runtime MUST consistently attach to the same place
# in the cgroups hierarchy given the same value of cgroupsPath."
@test "config-linux.md cgroupsPath: the same value MUST attach to the same place every time" {
	update_config '.linux.cgroupsPath = $p' --arg p "$ID-rel"
	set_args sleep 600
	places=()
	for i in 1 2; do
		husk_create
		places+=("$(grep -v '^0::' "/proc/$(container_pid)/cgroup" | sort)")
		husk delete --force "$ID"
	done
	husk_create "$ID-other"
	places+=("$(grep -v '^0::' "/proc/$(container_pid "$ID-other")/cgroup" | sort)")
	[ "${places[0]}" = "${places[1]}" ] || fail "one cgroupsPath, two places: ${places[0]} / ${places[1]}"
	[ "${places[2]}" = "${places[0]}" ] || fail "another container id with the same cgroupsPath went elsewhere"
}

# config-linux.md Allowed Device list: "The runtime MUST apply entries in the listed order."
@test "config-linux.md device cgroup: entries MUST be applied in the listed order" {
	# A device node of a major no driver has (42): open is ENXIO when the cgroup lets it through, EPERM when not.
	update_config '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
		| .process.capabilities.permitted += ["CAP_MKNOD"]'
	set_args sh -c 'checker mknod /dev/conf42 c 42 42 && checker write /dev/conf42'
	save_config
	update_config '.linux.resources.devices = [{"allow": false, "access": "rwm"},
		{"allow": true, "type": "c", "major": 42, "minor": 42, "access": "rw"},
		{"allow": false, "type": "c", "major": 42, "minor": 42, "access": "rw"}]'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$(kv mknod)" = ok ] || fail "mknod: $output"
	[ "$(kv write)" = EPERM ] || fail "allow then deny: the device is usable ($(kv write))"
	restore_config
	update_config '.linux.resources.devices = [{"allow": false, "access": "rwm"},
		{"allow": false, "type": "c", "major": 42, "minor": 42, "access": "rw"},
		{"allow": true, "type": "c", "major": 42, "minor": 42, "access": "rw"}]'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$(kv write)" = ENXIO ] || fail "deny then allow: the device is not usable ($(kv write))"
}

# config-linux.md Allowed Device list: access "A composition of r (read), w (write), and m (mknod)."; config.md
# Valid values: "Runtimes MUST generate an error when invalid or unsupported values are encountered."
@test "config-linux.md device cgroup: an access with other letters than r, w and m is refused" {
	skip_on_runc "1.1 accepts any letters in a device rule's access"
	set_args true
	expect_config_rejected '.linux.resources.devices = [{"allow": true, "type": "c", "access": "rwx"}]'
}

# config-linux.md Block IO: weightDevice "You MUST specify at least one of weight or leafWeight in a given entry";
# config.md Valid values: "Runtimes MUST generate an error when invalid or unsupported values are encountered."
@test "config-linux.md blockIO: a weightDevice entry with neither weight nor leafWeight is refused" {
	skip_on_runc "1.1 accepts a weightDevice entry without weights"
	set_args true
	expect_config_rejected '.linux.resources.blockIO = {"weightDevice": [{"major": 8, "minor": 0}]}'
}

# config-linux.md Unified: "The runtime MUST generate an error when the configuration refers to a cgroup controller
# that is not present or that cannot be enabled."
@test "config-linux.md unified: a controller that is not present MUST generate an error" {
	set_args true
	expect_config_rejected '.linux.resources.unified = {"conformance.max": "1"}'
}

# config-linux.md IntelRdt: "If no mounted resctrl pseudo-filesystem is available in the runtime mount namespace,
# the runtime MUST generate an error."
@test "config-linux.md intelRdt: without a mounted resctrl, MUST generate an error" {
	skip_on_runc "1.1.5 ignores intelRdt when resctrl is not mounted"
	! grep -qw resctrl /proc/self/mounts || skip "resctrl is mounted on this host"
	set_args true
	expect_config_rejected '.linux.intelRdt = {"closID": "conformance"}'
}

# config-linux.md Seccomp: names "names MUST contain at least one entry."
@test "config-linux.md seccomp: a rule with no syscall names is refused" {
	skip_on_runc "1.1 accepts a rule with no names"
	set_args true
	expect_config_rejected '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}'
}

# config-linux.md Seccomp: errnoRet and defaultErrnoRet "When the action doesn't support an errno, the runtime MUST
# print and error and fail."
@test "config-linux.md seccomp: an errno for an action that takes none MUST be an error" {
	skip_on_runc "1.1 ignores errnoRet for actions that take no errno"
	set_args true
	expect_config_rejected '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 5}]}'
	expect_config_rejected '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 5}'
}

# config-linux.md Seccomp: listenerPath "If sending to this socket fails, the runtime MUST generate an error."
@test "config-linux.md seccomp: a listenerPath the runtime cannot send to MUST generate an error" {
	set_args true
	expect_config_rejected '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $p,
		"syscalls": [{"names": ["mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' --arg p "$TMP/no-listener.sock"
}

# config-linux.md Seccomp: listenerMetadata "This field MUST NOT be set if listenerPath is not set."; config.md
# Valid values: "Runtimes MUST generate an error when invalid or unsupported values are encountered."
@test "config-linux.md seccomp: listenerMetadata without listenerPath is refused" {
	skip_on_runc "1.1 ignores listenerMetadata without listenerPath"
	set_args true
	expect_config_rejected '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "conformance"}'
}

# config-linux.md Masked Paths: "maskedPaths (array of strings, OPTIONAL) will mask over the provided paths inside
# the container so that they cannot be read."
@test "config-linux.md maskedPaths: the paths MUST be masked so that they cannot be read" {
	echo secret >"$BUNDLE/rootfs/etc/conf-secret"
	mkdir "$BUNDLE/rootfs/etc/conf-dir"
	echo secret >"$BUNDLE/rootfs/etc/conf-dir/file"
	update_config '.linux.maskedPaths += ["/etc/conf-secret", "/etc/conf-dir"]'
	set_args sh -c 'echo "file=$(cat /etc/conf-secret 2>/dev/null)"; echo "dir=$(ls -A /etc/conf-dir 2>/dev/null)"
		echo "keys=$(cat /proc/keys 2>/dev/null | wc -c)"'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ -z "$(kv file)" ] || fail "a masked file reads: $(kv file)"
	[ -z "$(kv dir)" ] || fail "a masked directory lists: $(kv dir)"
	[ "$(kv keys)" = 0 ] || fail "the default masked /proc/keys reads $(kv keys) bytes"
}

# config-linux.md Masked Paths: "The values MUST be absolute paths in the container namespace."
@test "config-linux.md maskedPaths: a relative path is refused" {
	skip_on_runc "1.1 does not check that masked paths are absolute"
	set_args true
	expect_config_rejected '.linux.maskedPaths += ["proc/kcore"]'
}

# config-linux.md Readonly Paths: "readonlyPaths (array of strings, OPTIONAL) will set the provided paths as
# readonly inside the container."
@test "config-linux.md readonlyPaths: the paths MUST be read-only inside the container" {
	update_config '.root.readonly = false | .linux.readonlyPaths += ["/etc"]'
	set_args sh -c 'checker write /etc/conf-x | sed s/^write/etc/; checker write /tmp/conf-x | sed s/^write/tmp/
		checker write /proc/sys/kernel/domainname | sed s/^write/procsys/'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$(kv etc)" = EROFS ] || fail "/etc is writable: $(kv etc)"
	[ "$(kv procsys)" = EROFS ] || fail "/proc/sys is writable: $(kv procsys)"
	[ "$(kv tmp)" = ok ] || fail "the rest of the root is not writable: $(kv tmp)"
}

# config-linux.md Readonly Paths: "The values MUST be absolute paths in the container namespace."
@test "config-linux.md readonlyPaths: a relative path is refused" {
	skip_on_runc "1.1 does not check that read-only paths are absolute"
	set_args true
	expect_config_rejected '.linux.readonlyPaths += ["proc/sys"]'
}

# config-linux.md Personality: domain "The valid list of constants is shown below. [...] LINUX, LINUX32"; config.md
# Valid values: "Runtimes MUST generate an error when invalid or unsupported values are encountered."
@test "config-linux.md personality: a domain outside LINUX and LINUX32 is refused" {
	skip_on_runc "1.1 predates linux.personality and ignores it"
	set_args true
	expect_config_rejected '.linux.personality = {"domain": "LINUX64"}'
	expect_config_rejected '.linux.personality = {"domain": "LINUX", "flags": ["CONFORMANCE"]}'
}

# runtime-linux.md File descriptors: "By default, only the stdin, stdout and stderr file descriptors are kept open
# for the application by the runtime."
@test "runtime-linux.md file descriptors: only stdin, stdout and stderr are open in the container process" {
	set_args checker fds
	exec 7</etc/hostname 8>"$TMP/fd8"
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	exec 7<&- 8>&-
	assert_status 0
	[ "$(kv fds)" = 0,1,2 ] || fail "open fds: $output"
}

# runtime-linux.md Dev symbolic links: "While creating the container (step 2 in the lifecycle), runtimes MUST create
# the following symlinks if the source file exists after processing mounts: /proc/self/fd -> /dev/fd,
# /proc/self/fd/0 -> /dev/stdin, /proc/self/fd/1 -> /dev/stdout, /proc/self/fd/2 -> /dev/stderr"
@test "runtime-linux.md dev symbolic links: /dev/fd, /dev/stdin, /dev/stdout and /dev/stderr MUST be created" {
	set_args sh -c 'for l in fd stdin stdout stderr; do echo "$l=$(readlink /dev/$l)"; done'
	husk_create
	# made at create (step 2), before anything of the program ran
	pid=$(container_pid)
	[ "$(readlink "/proc/$pid/root/dev/stdin")" = /proc/self/fd/0 ] || fail "/dev/stdin is not there after create"
	husk delete --force "$ID"
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$(kv fd)" = /proc/self/fd ] && [ "$(kv stdin)" = /proc/self/fd/0 ] && [ "$(kv stdout)" = /proc/self/fd/1 ] &&
		[ "$(kv stderr)" = /proc/self/fd/2 ] || fail "links: $output"
}
