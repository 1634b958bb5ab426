#!/usr/bin/env bats
# The container root: root.path relative and absolute, --no-pivot, root.readonly, rootfsPropagation, hostname.

load helpers

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

@test "rootfs: root.path relative to the bundle" {
	echo relative >"$BUNDLE/rootfs/marker"
	[ "$(jq -r .root.path "$BUNDLE/config.json")" = rootfs ]
	# the runtime must resolve it against --bundle, not its own cwd
	cd /
	container_run cat /marker
	assert_status 0
	[ "$output" = relative ]
}

@test "rootfs: root.path absolute, outside the bundle" {
	mv "$BUNDLE/rootfs" "$TMP/elsewhere"
	echo absolute >"$TMP/elsewhere/marker"
	update_config '.root.path = $p' --arg p "$TMP/elsewhere"
	container_run cat /marker
	assert_status 0
	[ "$output" = absolute ]
}

@test "rootfs: a root.path that does not exist fails and leaves nothing" {
	update_config '.root.path = "nonexistent"'
	set_args true
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
}

@test "rootfs: the container cannot see the host root" {
	container_run sh -c 'ls /; test -e /etc/debian_version && echo host-visible; test -e /work && echo host-visible; echo done'
	assert_status 0
	[[ "$output" != *host-visible* ]]
	[[ "$output" == *done* ]]
}

@test "rootfs: --no-pivot runs the container in its rootfs" {
	echo nopivot >"$BUNDLE/rootfs/marker"
	set_args sh -c 'cat /marker; test -e /etc/debian_version && echo host-visible; checker mountinfo /'
	run husk run --no-pivot --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "${lines[0]}" = nopivot ]
	[[ "$output" != *host-visible* ]]
}

# runc#1962's reproducer: the kernel lets a new user namespace mount proc only where a fully visible one is already
# in the mount namespace, and under --no-pivot the host's /proc and /sys stay there, below the chroot.
@test "rootfs: --no-pivot leaves no host proc or sysfs, so a user namespace cannot mount an unmasked proc" {
	update_config '.process.capabilities.bounding += ["CAP_SETFCAP"] | .process.capabilities.permitted += ["CAP_SETFCAP"]'
	set_args sh -c 'grep -E " - (proc|sysfs) " /proc/self/mountinfo | awk "\$4 == \"/\"" | wc -l
		unshare -mrpf sh -c "mount -t proc none /proc && echo mounted"; echo "unshare=$?"'
	run husk run --no-pivot --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	# whole proc and sysfs mounts: the container's own /proc and /sys only
	[ "${lines[0]}" = 2 ] || fail "whole proc and sysfs mounts in the container: ${lines[0]}"
	[[ "$output" == *"unshare=1"* ]] || fail "the user namespace mounted a proc: $output"
	[[ "$output" != *mounted* ]]
	# the host keeps its own
	findmnt -n -t proc /proc >/dev/null
	findmnt -n -t sysfs /sys >/dev/null
}

@test "rootfs: root.readonly makes / read-only" {
	update_config '.root.readonly = true'
	container_run sh -c 'checker write /newfile; checker mountinfo /'
	assert_status 0
	[ "$(kv write)" = EROFS ]
	[[ "$(kv mount_options)" == ro,* ]] || fail "/ mounted $(kv mount_options)"
	[ ! -e "$BUNDLE/rootfs/newfile" ]
}

@test "rootfs: root.readonly false leaves / writable" {
	update_config '.root.readonly = false'
	container_run sh -c 'checker write /newfile; checker mountinfo /'
	assert_status 0
	[ "$(kv write)" = ok ]
	[[ "$(kv mount_options)" == rw,* ]] || fail "/ mounted $(kv mount_options)"
	[ -f "$BUNDLE/rootfs/newfile" ]
}

@test "rootfs: a read-only root still has writable mounts on top" {
	update_config '.root.readonly = true'
	container_run sh -c 'checker write /dev/shm/x'
	assert_status 0
	[ "$(kv write)" = ok ]
}

# Another mount namespace can rename a mount point in the rootfs while the container is set up (a container
# sharing the rootfs as a volume; the kernel stops a rename of a mount point only in the renamer's own
# namespace). The mount moves with its name: a createRuntime hook, run between the mounts and the masks, does
# the rename here. Before husk resolved masked paths from the mounts themselves, /proc/kcore and /proc/sys were
# "missing" under the empty /proc left behind, skipped, and the container had a whole procfs at /xproc.
@test "rootfs: /proc renamed in the rootfs during set-up fails the create instead of leaving procfs unmasked" {
	printf '#!/bin/sh\nmv "%s/proc" "%s/xproc" && mkdir "%s/proc"\n' "$BUNDLE/rootfs" "$BUNDLE/rootfs" "$BUNDLE/rootfs" \
		>"$TMP/rename-proc"
	chmod 0755 "$TMP/rename-proc"
	update_config '.hooks.createRuntime = [{"path": $p}]' --arg p "$TMP/rename-proc"
	set_args sh -c 'grep -c " /xproc" /proc/self/mountinfo; cat /xproc/sys/kernel/hostname'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "the container ran with procfs moved away from its masks: $output"
	[ "${#lines[@]}" -eq 1 ] || fail "expected one line: $output"
	skip_on_runc "fails here too, by chance and with another message: it reads /proc/self/fd after the rename"
	assert_output_contains "\`/proc\` is no longer the mount made there"
	assert_no_trace
}

# The same rename for a read-only tmpfs: husk makes it read-only last (mount points may be made in it first).
# Done by path, that went to whatever the path named then: with a symlink to /tmp there, /tmp turned read-only
# and the tmpfs stayed writable.
@test "rootfs: a read-only tmpfs whose mount point is renamed during set-up is still the one made read-only" {
	skip_on_runc "1.1 makes a read-only tmpfs read-only last, by path, and so turns /tmp read-only here"
	printf '#!/bin/sh\nmv "%s/data" "%s/xdata" && ln -s /tmp "%s/data"\n' "$BUNDLE/rootfs" "$BUNDLE/rootfs" "$BUNDLE/rootfs" \
		>"$TMP/rename-data"
	chmod 0755 "$TMP/rename-data"
	update_config '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]},
		{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["ro"]}]
		| .hooks.createRuntime = [{"path": $p}]' --arg p "$TMP/rename-data"
	container_run sh -c 'checker write /tmp/f; checker write /xdata/f'
	assert_status 0
	[ "${lines[0]}" = write=ok ] || fail "/tmp is not writable: $output"
	[ "${lines[1]}" = write=EROFS ] || fail "the read-only tmpfs is writable: $output"
}

# podman --security-opt mask=/etc/hostname: the path is itself a mount (podman binds a file there), and so may a
# read-only path be. Masks and read-only paths resolve from the mount made there, which is a file here.
@test "rootfs: masked and read-only paths that are themselves mounts of a file or a directory" {
	echo host-file >"$TMP/file1"
	echo other >"$TMP/file2"
	mkdir -p "$TMP/dir1"
	echo in-dir >"$TMP/dir1/x"
	update_config '.mounts += [{"destination": "/masked-file", "type": "bind", "source": $f1, "options": ["bind"]},
		{"destination": "/ro-file", "type": "bind", "source": $f2, "options": ["bind"]},
		{"destination": "/masked-dir", "type": "bind", "source": $d, "options": ["rbind"]}]
		| .linux.maskedPaths += ["/masked-file", "/masked-dir"] | .linux.readonlyPaths += ["/ro-file"]' \
		--arg f1 "$TMP/file1" --arg f2 "$TMP/file2" --arg d "$TMP/dir1"
	container_run sh -c 'echo "masked-file=$(stat -c %F:%t:%T /masked-file)"; echo "masked-dir=$(ls -A /masked-dir)"
		echo "ro-file=$(cat /ro-file)"; checker write /ro-file'
	assert_status 0
	[ "$(kv masked-file)" = "character special file:1:3" ] && [ "$(kv masked-dir)" = "" ] || fail "not masked: $output"
	[ "$(kv ro-file)" = other ] || fail "$output"
	assert_output_contains write=EROFS
	[ "$(cat "$TMP/file2")" = other ] || fail "the read-only file was written"
}

# A read-only path is read-only beneath it too: a mount below it is no way round.
@test "rootfs: a read-only path takes the mounts beneath it (/dev: shm and pts)" {
	skip_on_runc "1.1 makes only the top mount of a read-only path read-only"
	update_config '.linux.readonlyPaths += ["/dev"]'
	container_run sh -c 'checker write /dev/x; checker write /dev/shm/x; checker mountinfo /dev/pts | grep ^mount_options='
	assert_status 0
	[ "$(grep -c '^write=EROFS$' <<<"$output")" = 2 ] || fail "$output"
	has_ro=$(kv mount_options | tr , '\n' | grep -cx ro)
	[ "$has_ro" = 1 ] || fail "/dev/pts: $output"
}

@test "rootfs: rootfsPropagation private" {
	update_config '.linux.rootfsPropagation = "private"'
	container_run checker mountinfo /
	assert_status 0
	[ "$(kv propagation)" = private ]
}

@test "rootfs: rootfsPropagation shared" {
	skip_on_runc "1.1 bug #1755: a shared rootfsPropagation is not applied to the root (fixed in 1.2.7/1.3)"
	update_config '.linux.rootfsPropagation = "shared"'
	container_run checker mountinfo /
	assert_status 0
	[[ "$(kv propagation)" == *shared:* ]] || fail "propagation $(kv propagation)"
}

@test "rootfs: rootfsPropagation unbindable, and runbindable for every mount" {
	skip_on_runc "1.1 bug #1755: an unbindable rootfsPropagation fails the rootfs bind (fixed in 1.2.7/1.3)"
	update_config '.linux.rootfsPropagation = "unbindable"'
	container_run checker mountinfo /
	assert_status 0
	[[ "$(kv propagation)" == *unbindable* ]] || fail "propagation $(kv propagation)"
	update_config '.linux.rootfsPropagation = "runbindable"'
	container_run sh -c 'checker mountinfo /; checker mountinfo /proc'
	assert_status 0
	[ "$(grep -c '^propagation=.*unbindable' <<<"$output")" = 2 ] || fail "$output"
}

@test "rootfs: rootfsPropagation does not leak container mounts to the host" {
	update_config '.linux.rootfsPropagation = "rslave"'
	set_args sleep 600
	husk_run_detached
	# while it runs, nothing the container mounted (proc, dev, sys...) is visible on the host
	leaked=$(awk -v r="$BUNDLE/rootfs" 'index($5, r) == 1' /proc/self/mountinfo)
	[ -z "$leaked" ] || fail "container mounts on the host: $leaked"
}

@test "rootfs: hostname" {
	host_before=$(hostname)
	update_config '.hostname = "box1"'
	container_run checker hostname
	assert_status 0
	[ "$(kv hostname)" = box1 ]
	[ "$(hostname)" = "$host_before" ]
}

@test "rootfs: domainname" {
	skip_on_runc "1.1 ignores domainname (supported from 1.2)"
	host_before=$(domainname)
	update_config '.hostname = "box1" | .domainname = "example.org"'
	container_run checker hostname
	assert_status 0
	[ "$(kv hostname)" = box1 ]
	[ "$(kv domainname)" = example.org ]
	[ "$(domainname)" = "$host_before" ]
}

# Both spellings of one setting, with different values: one would silently win (runc lets the sysctl win, husk let
# the field win). Refused as crun refuses it, and as husk refuses kernel.hostname; the same value twice is fine.
@test "rootfs: a kernel.domainname sysctl that contradicts domainname is refused, naming both; an equal one runs" {
	skip_on_runc "1.1 ignores domainname; 1.2 lets the sysctl win"
	update_config '.domainname = "example.org" | .linux.sysctl = {"kernel.domainname": "other.org"}'
	set_args true
	run husk_create
	[ "$status" -ne 0 ] || fail "the contradiction was accepted"
	assert_output_contains 'linux.sysctl: `kernel.domainname` (`other.org`) conflicts with the `domainname` field (`example.org`)'
	assert_no_trace
	update_config '.linux.sysctl = {"kernel/domainname": "example.org"}'
	container_run checker hostname
	assert_status 0
	[ "$(kv domainname)" = example.org ] || fail "$output"
}

@test "rootfs: hostname without a uts namespace is an error" {
	update_config '.hostname = "box1" | .linux.namespaces |= map(select(.type != "uts"))'
	set_args true
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
}
