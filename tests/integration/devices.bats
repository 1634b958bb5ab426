#!/usr/bin/env bats
# /dev: the default devices and links, linux.devices, /dev/console with a terminal.

load helpers

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

@test "devices: null zero full random urandom tty are char devices with the right numbers" {
	container_run sh -c 'for d in null zero full random urandom tty; do echo "== $d"; checker stat /dev/$d; done'
	assert_status 0
	for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
		IFS=: read -r name major minor <<<"$spec"
		block=$(printf '%s\n' "$output" | sed -n "/^== $name\$/,/^== /p")
		[ "$(kv type "$block")" = char ] || fail "/dev/$name: $block"
		[ "$(kv major "$block")" = "$major" ] || fail "/dev/$name: $block"
		[ "$(kv minor "$block")" = "$minor" ] || fail "/dev/$name: $block"
		[ "$(kv mode "$block")" = 0666 ] || fail "/dev/$name: $block"
	done
}

@test "devices: the default devices work" {
	container_run sh -c 'echo x > /dev/null && echo null=ok; head -c 4 /dev/zero | wc -c; head -c 8 /dev/urandom | wc -c; echo x > /dev/full 2>/dev/null || echo full=ENOSPC'
	assert_status 0
	[ "$(kv null)" = ok ]
	[ "${lines[1]}" = 4 ]
	[ "${lines[2]}" = 8 ]
	[ "$(kv full)" = ENOSPC ]
}

@test "devices: /dev/ptmx, /dev/fd and /dev/std* links" {
	container_run sh -c 'for l in ptmx fd stdin stdout stderr; do echo "$l=$(readlink /dev/$l)"; done'
	assert_status 0
	[ "$(kv ptmx)" = pts/ptmx ]
	[ "$(kv fd)" = /proc/self/fd ]
	[ "$(kv stdin)" = /proc/self/fd/0 ]
	[ "$(kv stdout)" = /proc/self/fd/1 ]
	[ "$(kv stderr)" = /proc/self/fd/2 ]
}

@test "devices: /dev/shm, /dev/mqueue and /dev/pts are there" {
	container_run sh -c 'for d in shm mqueue pts; do checker stat /dev/$d | grep ^type=; done'
	assert_status 0
	[ "$output" = "$(printf 'type=dir\ntype=dir\ntype=dir')" ]
}

@test "devices: a node made for the host's console (c 5:1) cannot be opened, one for c 1:3 can" {
	# runc does not allow 5:1 either; crun does. With CAP_MKNOD a container could otherwise reach the host's console.
	update_config '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
		| .process.capabilities.permitted += ["CAP_MKNOD"]'
	container_run sh -c 'checker mknod /dev/hostconsole c 5 1; checker mknod /dev/null2 c 1 3
		(: </dev/hostconsole && echo console=opened) 2>&1; (: </dev/null2 && echo null2=opened) 2>&1'
	assert_status 0
	[ "${lines[0]}" = mknod=ok ] && [ "${lines[1]}" = mknod=ok ] || fail "mknod failed: $output"
	[[ "${lines[2]}" == *"Operation not permitted"* ]] || fail "the host's console opened: $output"
	[ "${lines[3]}" = null2=opened ] || fail "an allowed node did not open: $output"
}

# runc's dev.bats "[device cgroup deny]": linux.devices makes the node, linux.resources.devices decides who opens it.
@test "devices: a linux.devices node the device rules deny cannot be opened; allowed, it can" {
	update_config '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}]
		| .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	# write-only: /dev/kmsg asks for no capability then; nothing is written
	container_run sh -c 'checker stat /dev/kmsg | grep ^type=; (: >/dev/kmsg && echo kmsg=opened) 2>&1; true'
	assert_status 0
	[ "${lines[0]}" = type=char ] || fail "no /dev/kmsg node: $output"
	[[ "${lines[1]}" == *"Operation not permitted"* ]] || fail "the denied node opened: $output"
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
	container_run sh -c '(: >/dev/kmsg && echo kmsg=opened) 2>&1'
	assert_status 0
	[ "$output" = kmsg=opened ] || fail "the allowed node did not open: $output"
}

# A rule that takes access from part of an earlier wildcard: the v2 program applies it; cgroup v1 has no way to,
# and the kernel ignores such a write silently (husk ran the container with /dev/kmsg open to it). runc refuses too.
@test "devices: a deny inside an earlier wildcard allow is applied on v2 and refused on v1, naming the rule" {
	update_config '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}]
		| .linux.resources.devices = [{"allow": false, "access": "rwm"},
			{"allow": true, "type": "c", "major": 1, "access": "rw"},
			{"allow": false, "type": "c", "major": 1, "minor": 11, "access": "rw"}]'
	container_run sh -c '(: >/dev/kmsg && echo kmsg=opened) 2>&1; true'
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		assert_status 0
		[[ "$output" == *"Operation not permitted"* ]] || fail "the denied node opened: $output"
		return 0
	fi
	[ "$status" -ne 0 ] || fail "cgroup v1 ran a container whose deny it cannot apply: $output"
	assert_no_trace
	[ "$RUNTIME" != husk ] ||
		assert_output_contains "linux.resources.devices[2]: cgroup v1 cannot deny \`c 1:11 rw\` inside \`c 1:* rw\`"
	# husk's default rules come after the config's, as runc's: one of them inside a denied wildcard.
	update_config '.linux.resources.devices = [{"allow": true, "access": "rwm"},
		{"allow": false, "type": "c", "major": 10, "access": "w"}]'
	container_run true
	[ "$status" -ne 0 ] || fail "cgroup v1 ran a container whose default rule it cannot apply: $output"
	assert_no_trace
	[ "$RUNTIME" != husk ] || assert_output_contains "cannot allow husk's default \`c 10:200 rwm\`"
}

@test "devices: linux.devices with fileMode, uid and gid" {
	update_config '.linux.devices = [
		{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 416, "uid": 1000, "gid": 100},
		{"path": "/dev/myloop", "type": "b", "major": 7, "minor": 0, "fileMode": 384, "uid": 0, "gid": 0}]'
	container_run sh -c 'echo "== mynull"; checker stat /dev/mynull; echo "== myloop"; checker stat /dev/myloop'
	assert_status 0
	null=$(printf '%s\n' "$output" | sed -n '/^== mynull$/,/^== myloop$/p')
	loop=$(printf '%s\n' "$output" | sed -n '/^== myloop$/,$p')
	[ "$(kv type "$null")" = char ]
	[ "$(kv major "$null")/$(kv minor "$null")" = 1/3 ]
	[ "$(kv mode "$null")" = 0640 ]
	[ "$(kv uid "$null")" = 1000 ]
	[ "$(kv gid "$null")" = 100 ]
	[ "$(kv type "$loop")" = block ]
	[ "$(kv major "$loop")/$(kv minor "$loop")" = 7/0 ]
	[ "$(kv mode "$loop")" = 0600 ]
}

# podman 4 writes the host node's st_mode as fileMode (S_IFCHR | 0660 = 8624); a Go program may write
# os.FileMode (ModeDevice | 0600 = 67109248). runc and crun take both: only the permission bits make the mode.
@test "devices: fileMode with the file type bits of st_mode or of Go's os.FileMode" {
	update_config '.linux.devices = [
		{"path": "/dev/stnull", "type": "c", "major": 1, "minor": 3, "fileMode": 8624},
		{"path": "/dev/goloop", "type": "b", "major": 7, "minor": 0, "fileMode": 67109248}]'
	container_run sh -c 'echo "== stnull"; checker stat /dev/stnull; echo "== goloop"; checker stat /dev/goloop'
	assert_status 0
	null=$(printf '%s\n' "$output" | sed -n '/^== stnull$/,/^== goloop$/p')
	loop=$(printf '%s\n' "$output" | sed -n '/^== goloop$/,$p')
	[ "$(kv type "$null")" = char ]
	[ "$(kv mode "$null")" = 0660 ]
	[ "$(kv type "$loop")" = block ]
	[ "$(kv mode "$loop")" = 0600 ]
}

@test "devices: a linux.devices entry in a subdirectory of /dev" {
	update_config '.linux.devices = [{"path": "/dev/sub/dir/null2", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]'
	container_run checker stat /dev/sub/dir/null2
	assert_status 0
	[ "$(kv type)" = char ]
	[ "$(kv major)/$(kv minor)" = 1/3 ]
}

@test "devices: no /dev/console without a terminal" {
	container_run sh -c 'checker stat /dev/console; checker tty'
	[ "$(kv error)" = ENOENT ] || fail "/dev/console exists"
	[ "$(kv stdin.tty)" = 0 ]
}

@test "devices: /dev/console is the container's terminal when process.terminal is set" {
	update_config '.process.terminal = true'
	set_args sh -c 'checker stat /dev/console; checker tty'
	start_console_socket
	husk_run_detached "$ID" --console-socket "$TMP/console.sock"
	wait_console_output
	out=$console
	[ "$(kv type "$out")" = char ] || fail "terminal: $out; recvtty: $(cat "$TMP/recvtty.err"); runtime: $(cat "$TMP/$ID.err")"
	# a pty slave (Unix98 ptys have majors 136..143)
	major=$(kv major "$out")
	[ "$major" -ge 136 ] && [ "$major" -le 143 ] || fail "$out"
	[ "$(kv stdin.tty "$out")" = 1 ]
	[ "$(kv stdout.tty "$out")" = 1 ]
	[ "$(kv ctty "$out")" = 1 ]
	[[ "$(kv stdin.ttyname "$out")" == /dev/pts/* ]] || fail "$out"
}

@test "devices: terminal without --console-socket is refused for create" {
	update_config '.process.terminal = true'
	set_args true
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
}
