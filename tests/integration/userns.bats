#!/usr/bin/env bats
# User namespaces with the runtime as root: several map ranges, ownership through the maps, the kernel
# filesystems a mapped root mounts itself, oom_score_adj, a rootfs owned by the host's root.

load helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	# The container's root acts on the host as uid 100000: it must be able to reach the bundle.
	chmod 0755 "$TMP"
	# Two ranges: container 0-999 -> host 100000-100999, container 1000-1999 -> host 300000-300999.
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000},
					{"containerID": 1000, "hostID": 300000, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000},
					{"containerID": 1000, "hostID": 400000, "size": 1000}]'
}
teardown() { husk_teardown; }

@test "userns: several ranges are written as given" {
	container_run sh -c 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; cat /proc/self/setgroups; id -u; id -g'
	assert_status 0
	uid_map=$(printf '%s\n' "$output" | sed -n 1,2p | tr -s ' ' | sed 's/^ //')
	[ "$uid_map" = "$(printf '0 100000 1000\n1000 300000 1000')" ] || fail "uid_map: $uid_map"
	gid_map=$(printf '%s\n' "$output" | sed -n 4,5p | tr -s ' ' | sed 's/^ //')
	[ "$gid_map" = "$(printf '0 200000 1000\n1000 400000 1000')" ] || fail "gid_map: $gid_map"
	# Written by root: setgroups stays allowed.
	[ "$(printf '%s\n' "$output" | sed -n 7p)" = allow ] || fail "setgroups: $output"
	[ "$(printf '%s\n' "$output" | sed -n 8,9p | tr '\n' ' ')" = "0 0 " ] || fail "ids: $output"
}

@test "userns: host files show the container ids their owners map to" {
	mkdir "$BUNDLE/rootfs/owned"
	touch "$BUNDLE/rootfs/owned/root" "$BUNDLE/rootfs/owned/low" "$BUNDLE/rootfs/owned/high" "$BUNDLE/rootfs/owned/unmapped"
	chown 100000:200000 "$BUNDLE/rootfs/owned/root"
	chown 100005:200007 "$BUNDLE/rootfs/owned/low"
	chown 300010:400011 "$BUNDLE/rootfs/owned/high"
	chown 5000:5000 "$BUNDLE/rootfs/owned/unmapped"
	container_run sh -c 'for f in root low high unmapped; do stat -c "$f=%u:%g" /owned/$f; done'
	assert_status 0
	[ "$(kv root)" = 0:0 ] || fail "$output"
	[ "$(kv low)" = 5:7 ] || fail "$output"
	[ "$(kv high)" = 1010:1011 ] || fail "$output"
	# The overflow ids (/proc/sys/kernel/overflowuid).
	[ "$(kv unmapped)" = 65534:65534 ] || fail "$output"
}

@test "userns: a process user from the second range, with additional gids, owns what it creates" {
	writable_rootfs
	update_config '.process.user = {"uid": 1005, "gid": 1006, "additionalGids": [1007, 5]}'
	# The container's root cannot create the mount point in a rootfs owned by the host's root.
	mkdir "$BUNDLE/rootfs/shared"
	add_shared_dir
	container_run sh -c 'id -u; id -g; id -G; touch /shared/made'
	assert_status 0
	[ "$(printf '%s\n' "$output" | sed -n 1,2p | tr '\n' ' ')" = "1005 1006 " ] || fail "$output"
	groups=" $(printf '%s\n' "$output" | sed -n 3p) "
	[[ "$groups" == *" 1007 "* && "$groups" == *" 5 "* ]] || fail "groups: $groups"
	# On the host, the file belongs to the ids the container's map to.
	[ "$(stat -c %u:%g "$TMP/shared/made")" = 300005:400006 ] || fail "$(stat -c %u:%g "$TMP/shared/made")"
}

@test "userns: proc, devpts, /dev/shm and mqueue are mounted by the mapped root and usable" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	container_run sh -c '
		grep -E " /(proc|dev/pts|dev/shm|dev/mqueue) " /proc/self/mounts | cut -d" " -f2,3
		echo pid=$$ self=$(readlink /proc/self)
		echo x > /dev/shm/f && echo shm=$(cat /dev/shm/f)
		[ -c /dev/pts/ptmx ] && echo ptmx=ok'
	assert_status 0
	assert_output_contains "/proc proc"
	assert_output_contains "/dev/pts devpts"
	assert_output_contains "/dev/shm tmpfs"
	assert_output_contains "/dev/mqueue mqueue"
	[ "$(kv shm)" = x ] || fail "$output"
	[ "$(kv ptmx)" = ok ] || fail "$output"
}

# The mqueue filesystem's root takes the ids of whoever made the ipc namespace: husk makes it as the
# mapped root, as crun does (runc 1.1 makes it before its setresgid: 0:65534).
@test "userns: the ipc namespace is made by the mapped root: /dev/mqueue is root's" {
	skip_on_runc "1.1 leaves /dev/mqueue's group unmapped (nogroup)"
	container_run sh -c 'echo mqueue=$(stat -c %u:%g /dev/mqueue); echo ipc=$(readlink /proc/self/ns/ipc)'
	assert_status 0
	[ "$(kv mqueue)" = 0:0 ] || fail "$output"
	[ "$(kv ipc)" != "$(readlink /proc/self/ns/ipc)" ] || fail "no ipc namespace of its own: $output"
}

@test "userns: a terminal comes from the container's devpts" {
	update_config '.process.terminal = true'
	set_args sh -c 'tty; stat -c "owner=%u" $(tty)'
	start_console_socket
	run husk run --bundle "$BUNDLE" --console-socket "$TMP/console.sock" "$ID" </dev/null
	assert_status 0
	wait_console_output
	[[ "$console" == */dev/pts/0* ]] || fail "console: $console"
	[ "$(kv owner "$console")" = 0 ] || fail "console: $console"
}

@test "userns: devices are bind-mounted from the host, not created" {
	container_run sh -c 'echo data > /dev/null && echo null=ok; echo zero=$(head -c 4 /dev/zero | wc -c)
		for d in null zero full random urandom tty; do grep -c " /dev/$d " /proc/self/mountinfo; done | paste -sd+ | sed s/^/binds=/'
	assert_status 0
	[ "$(kv null)" = ok ] || fail "$output"
	[ "$(kv zero)" = 4 ] || fail "$output"
	# mknod is not allowed in a user namespace: each default device is a bind mount of the host's node.
	[ "$(kv binds)" = "1+1+1+1+1+1" ] || fail "$output"
}

@test "userns: oomScoreAdj is set by the runtime from outside the user namespace" {
	update_config '.process.oomScoreAdj = 321'
	container_run cat /proc/self/oom_score_adj
	assert_status 0
	[ "$output" = 321 ] || fail "$output"
}

@test "userns: a rootfs owned by the host's root works for a mapped root" {
	# The template rootfs belongs to host uid 0, unmapped here: readable, not writable by the container.
	[ "$(stat -c %u "$BUNDLE/rootfs/bin")" = 0 ] || skip "rootfs not owned by root"
	writable_rootfs
	container_run sh -c 'stat -c owner=%u /bin; touch /bin/x 2>/dev/null && echo write=yes || echo write=no; ls /proc/1/ >/dev/null && echo proc=ok'
	assert_status 0
	[ "$(kv owner)" = 65534 ] || fail "$output"
	[ "$(kv write)" = no ] || fail "$output"
	[ "$(kv proc)" = ok ] || fail "$output"
}

@test "userns: a map without container id 0 fails with a message naming the maps" {
	husk_only "message text"
	update_config '.linux.uidMappings = [{"containerID": 1, "hostID": 100000, "size": 1000}]'
	container_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "must map container id 0"
}

@test "userns: a process user the maps do not cover is refused up front, naming the field" {
	update_config '.process.user = {"uid": 5000, "gid": 0}'
	container_run true
	[ "$status" -ne 0 ] || fail "an unmapped uid was accepted"
	assert_no_trace
	[ "$RUNTIME" = husk ] || return 0 # the messages are husk's
	assert_output_contains "process.user.uid: 5000 is not mapped by linux.uidMappings"

	update_config '.process.user = {"uid": 1005, "gid": 2000}'
	container_run true
	[ "$status" -ne 0 ] || fail "an unmapped gid was accepted"
	assert_output_contains "process.user.gid: 2000 is not mapped by linux.gidMappings"

	update_config '.process.user = {"uid": 0, "gid": 0, "additionalGids": [5, 1999, 2000]}'
	container_run true
	[ "$status" -ne 0 ] || fail "an unmapped additional gid was accepted"
	assert_output_contains "process.user.additionalGids[2]: 2000 is not mapped by linux.gidMappings"
	assert_no_trace
}

@test "userns: a gid= or uid= mount option the maps do not cover is refused up front, naming the mount" {
	update_config '.linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 1}]'
	local devpts
	devpts=$(jq '.mounts | map(.type == "devpts") | index(true)' "$BUNDLE/config.json")
	[ "$(jq -r --argjson i "$devpts" '.mounts[$i].options | index("gid=5") != null' "$BUNDLE/config.json")" = true ] ||
		fail "the template's devpts has no gid=5"
	container_run true
	[ "$status" -ne 0 ] || fail "devpts with an unmapped gid=5 was mounted"
	assert_no_trace
	husk_only "message text (runc 1.1 says EINVAL)"
	assert_output_contains "config.json: mounts[$devpts]: gid=5 in the options of \`devpts\` on \`/dev/pts\` is not mapped by linux.gidMappings"
	update_config '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["uid=5000"]}]'
	update_config '.linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000}]'
	container_run true
	[ "$status" -ne 0 ] || fail "a tmpfs with an unmapped uid=5000 was mounted"
	assert_output_contains "uid=5000 in the options of \`tmpfs\` on \`/tmp\` is not mapped by linux.uidMappings"
}

@test "userns: maps the kernel would refuse (overlapping ranges, size 0) are refused up front, naming the entry" {
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000},
		{"containerID": 500, "hostID": 300000, "size": 10}]'
	container_run true
	[ "$status" -ne 0 ] || fail "overlapping container ids were taken"
	assert_no_trace
	husk_only "message text (runc 1.1 says EINVAL)"
	assert_output_contains "config.json: linux.uidMappings[1]: container ids 500-509 overlap those of entry 0"
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 1000},
			{"containerID": 5000, "hostID": 200010, "size": 1}]'
	container_run true
	[ "$status" -ne 0 ] || fail "overlapping host ids were taken"
	assert_output_contains "config.json: linux.gidMappings[1]: host ids 200010-200010 overlap those of entry 0"
	update_config '.linux.gidMappings[1].size = 0'
	container_run true
	[ "$status" -ne 0 ] || fail "a size of 0 was taken"
	assert_output_contains "config.json: linux.gidMappings[1]: size must be at least 1"
}

@test "userns: exec as a user the maps do not cover fails saying the id is not mapped" {
	set_args sleep 600
	husk_run_detached
	run --separate-stderr husk exec -u 5000:0 "$ID" true </dev/null
	[ "$status" -ne 0 ] || fail "exec as an unmapped uid ran"
	husk_only "message text"
	[[ "$stderr" == *"process.user.uid: setuid 5000 (not mapped in the user namespace): Invalid argument"* ]] ||
		fail "the error does not say the uid is not mapped: $stderr"
}

@test "userns: a bundle the mapped root cannot reach fails with a message saying why" {
	husk_only "message text"
	chmod 0700 "$TMP"
	container_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "not reachable by the container's root"
}

# runc's userns.bats "with 2 inaccessible mounts": the runtime opens the sources on the host, as root, so a
# bind source the mapped root could not reach (a 0700 directory of the host's root) still mounts.
@test "userns: bind sources the mapped root cannot reach are opened by the runtime (run and exec)" {
	for n in 1 2; do
		mkdir -p "$TMP/private-$n/dir"
		echo "secret-$n" >"$TMP/private-$n/dir/file"
		chmod 0700 "$TMP/private-$n"
	done
	mkdir -p "$BUNDLE/rootfs/mnt/one" "$BUNDLE/rootfs/mnt/two"
	update_config '.mounts += [{"destination": "/mnt/one", "type": "bind", "source": $a, "options": ["bind", "ro"]},
		{"destination": "/mnt/two", "type": "bind", "source": $b, "options": ["rbind"]}]' \
		--arg a "$TMP/private-1/dir" --arg b "$TMP/private-2/dir"
	set_args sh -c 'cat /mnt/one/file /mnt/two/file; checker write /mnt/one/x; exec sleep 100'
	husk_run_detached "$ID"
	run husk exec "$ID" sh -c 'cat /mnt/one/file /mnt/two/file; stat -c %u:%g /mnt/two/file'
	assert_status 0
	[ "$output" = "$(printf 'secret-1\nsecret-2\n65534:65534')" ] || fail "$output"
	# control: the mapped root's host ids cannot reach the sources themselves
	run setpriv --reuid 100000 --regid 200000 --clear-groups cat "$TMP/private-1/dir/file"
	[ "$status" -ne 0 ] || fail "the source was reachable: $output"
}

# A host mount a userns container binds is locked by the kernel: its flags and its submounts stay as the host has
# them, whatever the container's root (CAP_SYS_ADMIN in its user namespace) does. $1: the bind's source, made by
# host_ro_mount; $2: more options of the bind (JSON array).
assert_host_mount_locked() {
	local src=$1 more=${2:-[]}
	mkdir -p "$BUNDLE/rootfs/mnt" # runc cannot make it as the mapped root
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])
		| .mounts += [{"destination": "/mnt", "type": "bind", "source": $src, "options": (["rbind", "rw"] + $more)}]' \
		--arg src "$src" --argjson more "$more"
	set_args sleep 100
	husk_run_detached "$ID"
	run husk exec "$ID" sh -c 'mount -o remount,bind,rw /mnt && echo REMOUNTED; touch /mnt/written && echo WROTE
		umount /mnt/sub && echo UNMOUNTED; cat /mnt/sub/file'
	[[ "$output" != *REMOUNTED* && "$output" != *WROTE* ]] || fail "a host read-only mount made writable: $output"
	[ ! -e "$src/written" ] || fail "the container wrote to the host's read-only mount"
	[[ "$output" != *UNMOUNTED* && "$output" == *on-top* ]] || fail "a host submount taken away inside: $output"
}

# A read-only mount at $1 (writable by anyone: only the flag stops a write) with a submount at sub/ covering a file.
host_ro_mount() {
	mkdir -p "$1"
	mount -t tmpfs -o mode=0777 tmpfs "$1"
	mkdir "$1/sub" && echo under >"$1/sub/file"
	mount -t tmpfs -o mode=0755 tmpfs "$1/sub" && echo on-top >"$1/sub/file"
	mount -o remount,bind,ro "$1" # the mount read-only, not its filesystem
}

# runc's rootfs_linux.go binds from the path in the container's mount namespace (what it inherited is locked),
# opening the source on the host only where the container's root cannot reach it.
@test "userns: a bind of a host read-only mount stays read-only, its submounts stay (CAP_SYS_ADMIN inside)" {
	host_ro_mount "$TMP/hro"
	assert_host_mount_locked "$TMP/hro"
}

# The host's tree serves a source the container's root cannot reach: husk copies it into a user namespace of its
# own first, which gives it the kernel's locks (mount-lock.h).
@test "userns: a bind the runtime opens on the host is locked as the kernel locks what a user namespace inherits" {
	skip_on_runc "1.1.5 cannot bind a source the mapped root cannot reach"
	mkdir -p "$TMP/private"
	chmod 0700 "$TMP/private"
	host_ro_mount "$TMP/private/hro"
	assert_host_mount_locked "$TMP/private/hro"
}

@test "userns: a bind the runtime opens on the host keeps the read-only flag of its source" {
	skip_on_runc "1.1.5 cannot bind a source the mapped root cannot reach"
	mkdir -p "$TMP/private/ro"
	chmod 0700 "$TMP/private"
	mount -t tmpfs -o mode=0777 tmpfs "$TMP/private/ro"
	mount -o remount,bind,ro "$TMP/private/ro"
	update_config '.mounts += [{"destination": "/mnt", "type": "bind", "source": $src, "options": ["rbind", "rw"]}]' \
		--arg src "$TMP/private/ro"
	container_run sh -c 'grep " /mnt " /proc/self/mounts; touch /mnt/written && echo WROTE; true'
	assert_status 0
	[[ "$output" == *" /mnt tmpfs ro,"* && "$output" != *WROTE* ]] || fail "the host's read-only mount is writable: $output"
}

# An idmapped tree is made by the runtime on the host too (the kernel wants the host's root to idmap).
@test "userns: a ridmap bind of a host read-only mount stays read-only, its submounts stay (CAP_SYS_ADMIN inside)" {
	skip_on_runc "1.1.5 has no idmapped mounts"
	host_ro_mount "$TMP/hro"
	assert_host_mount_locked "$TMP/hro" '["ridmap"]'
}

# The runtime makes what the mapped root cannot in a rootfs owned by the host's root, as the host's root: never in a
# host mount inside the rootfs, such as the host's devtmpfs for a rootfs that is the host's "/" (a red team run
# turned the host's /dev/ptmx into a symlink owned by the mapped root).
@test "userns: a host mount on the rootfs's /dev is left as it is, the runtime makes nothing in it" {
	mkdir "$TMP/hostdev"
	mknod -m 666 "$TMP/hostdev/ptmx" c 5 2
	mknod -m 666 "$TMP/hostdev/null" c 1 3
	mount --bind "$TMP/hostdev" "$BUNDLE/rootfs/dev"
	update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
	set_args true
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$(stat -c %F "$TMP/hostdev/ptmx")" = "character special file" ] || fail "ptmx replaced: $(ls -l "$TMP/hostdev")"
	[ "$(ls "$TMP/hostdev" | tr '\n' ' ')" = "null ptmx " ] || fail "made in the host's mount: $(ls -l "$TMP/hostdev")"
}

# The red team's escape (runc and crun have it too): the rootfs moved over "/" in the container's own mount
# namespace is not locked, so its root unmounts it and setns()es into its namespace, landing on the host's root.
@test "userns: --no-pivot warns that a root with CAP_SYS_ADMIN can leave the rootfs" {
	husk_only "husk's warning"
	run husk run --no-pivot --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	assert_output_contains "--no-pivot with a user namespace"
}

# The kernel makes a shared mount a user namespace inherits a slave: the container's mounts never reach the host.
# $1: the source (shared on the host).
assert_no_propagation_to_host() {
	local src=$1
	mkdir -p "$BUNDLE/rootfs/mnt" # runc cannot make it as the mapped root
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"]) | .linux.rootfsPropagation = "rshared"
		| .mounts += [{"destination": "/mnt", "type": "bind", "source": $src, "options": ["rbind"]}]' --arg src "$src"
	set_args sleep 100
	husk_run_detached "$ID"
	run husk exec "$ID" sh -c 'grep " /mnt " /proc/self/mountinfo; mount -t tmpfs inside /mnt/c; umount /mnt/sub; true'
	[[ "$output" == *master:* ]] || fail "/mnt is not a slave of the host's mount: $output"
	! grep -q " $src/c " /proc/self/mountinfo || fail "the container's mount appeared on the host"
	grep -q " $src/sub " /proc/self/mountinfo || fail "the container's umount took the host's mount away"
}

@test "userns: with rootfsPropagation rshared, a bind of a shared host mount does not propagate to the host" {
	mkdir -p "$TMP/shared"
	mount -t tmpfs -o mode=0755 tmpfs "$TMP/shared"
	mount --make-shared "$TMP/shared"
	mkdir "$TMP/shared/c" "$TMP/shared/sub"
	mount -t tmpfs tmpfs "$TMP/shared/sub"
	assert_no_propagation_to_host "$TMP/shared"
}

@test "userns: with rootfsPropagation rshared, the host's tree of a source the root cannot reach does not propagate" {
	skip_on_runc "1.1.5 cannot bind a source the mapped root cannot reach"
	mkdir -p "$TMP/private/shared"
	chmod 0700 "$TMP/private"
	mount -t tmpfs -o mode=0755 tmpfs "$TMP/private/shared"
	mount --make-shared "$TMP/private/shared"
	mkdir "$TMP/private/shared/c" "$TMP/private/shared/sub"
	mount -t tmpfs tmpfs "$TMP/private/shared/sub"
	assert_no_propagation_to_host "$TMP/private/shared"
}

@test "userns: a user namespace without maps is refused" {
	husk_only "message text"
	update_config 'del(.linux.uidMappings)'
	container_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "linux.uidMappings"
}

@test "userns: mount points missing from a rootfs owned by the host's root are made for the mapped root" {
	# The mapped root cannot create anything in the template rootfs (host uid 0, unmapped here).
	[ "$(stat -c %u "$BUNDLE/rootfs")" = 0 ] || skip "rootfs not owned by root"
	mkdir -p "$TMP/dir"
	echo file-content >"$TMP/file"
	update_config '.mounts += [
		{"destination": "/data/deep", "type": "bind", "source": $dir, "options": ["rbind"]},
		{"destination": "/etc/hostfile", "type": "bind", "source": $file, "options": ["bind", "ro"]},
		{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/scratch/inner", "type": "bind", "source": $dir, "options": ["bind"]}]' \
		--arg dir "$TMP/dir" --arg file "$TMP/file"
	mkdir -m 0750 "$BUNDLE/rootfs/kept"
	update_config '.mounts += [{"destination": "/kept", "type": "tmpfs", "source": "tmpfs"}]'
	container_run sh -c 'cat /etc/hostfile; for d in /data/deep /scratch /scratch/inner; do
		grep -q " $d " /proc/self/mounts && echo "$d=mounted"; done; stat -c "mode%n=%a" /scratch /kept'
	assert_status 0
	assert_output_contains file-content
	[ "$(kv /data/deep)" = mounted ] && [ "$(kv /scratch)" = mounted ] && [ "$(kv /scratch/inner)" = mounted ] ||
		fail "$output"
	# A tmpfs takes the mode of a directory the image has, as with runc; on one made for it here it keeps its own
	# 1777, as without a user namespace (podman --uidmap --tmpfs /scratch, then a non-root user writing there).
	[ "$(kv mode/scratch)" = 1777 ] && [ "$(kv mode/kept)" = 750 ] || fail "tmpfs modes: $output"
	# Made as the container's root would have made them: owned by the host ids its root maps to.
	for p in data data/deep etc/hostfile scratch; do
		[ "$(stat -c %u:%g "$BUNDLE/rootfs/$p")" = 100000:200000 ] || fail "$p: $(stat -c %u:%g "$BUNDLE/rootfs/$p")"
	done
	[ -f "$BUNDLE/rootfs/etc/hostfile" ] || fail "the mount point of a file is not a file"
	# Those under an earlier mount (the tmpfs on /dev, /scratch) are the init's, made in that filesystem.
	[ ! -e "$BUNDLE/rootfs/scratch/inner" ] || fail "scratch/inner made in the rootfs"
	[ -z "$(ls -A "$BUNDLE/rootfs/dev")" ] || fail "made under /dev: $(ls -A "$BUNDLE/rootfs/dev")"
}

# Start a process in new user and pid namespaces, the user namespace with setup's maps (or the uid and gid maps
# given), for the container to join by path; sets USERNS_PATH and PIDNS_PATH.
hold_userns() {
	local uid_map=${1:-$'0 100000 1000\n1000 300000 1000'} gid_map=${2:-$'0 200000 1000\n1000 400000 1000'}
	unshare --user --pid --fork sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	BACKGROUND_PIDS+=($!)
	retry 100 0.02 pgrep -P $! >/dev/null
	local pid
	pid=$(pgrep -P $!)
	BACKGROUND_PIDS+=("$pid")
	# Each map in one write(2), which printf does not promise.
	printf '%s\n' "$uid_map" | dd of="/proc/$pid/uid_map" bs=4096 iflag=fullblock status=none
	printf '%s\n' "$gid_map" | dd of="/proc/$pid/gid_map" bs=4096 iflag=fullblock status=none
	USERNS_PATH=/proc/$pid/ns/user
	PIDNS_PATH=/proc/$pid/ns/pid
}

# Join the namespaces of hold_userns instead of making a user namespace.
join_held_userns() {
	update_config '.linux.namespaces |= map(if .type == "user" then .path = $user
			elif .type == "pid" then .path = $pid else . end)
		| del(.linux.uidMappings, .linux.gidMappings)' --arg user "$USERNS_PATH" --arg pid "$PIDNS_PATH"
}

# Join only the user namespace of hold_userns: the container makes its other namespaces, which must belong to the
# joined user namespace (a Kubernetes pod with user namespaces: the containers join the sandbox's, each with its own
# pid namespace).
join_held_userns_only() {
	update_config '.linux.namespaces |= map(if .type == "user" then .path = $user else . end)
		| del(.linux.uidMappings, .linux.gidMappings)' --arg user "$USERNS_PATH"
}

@test "userns: joined by path with a pid namespace of its own: proc mounted, the init is pid 1, files owned through the maps" {
	hold_userns
	join_held_userns_only
	mkdir "$BUNDLE/rootfs/shared"
	add_shared_dir
	# Written before the init enters the joined namespace, where its /proc files are no longer the runtime's.
	update_config '.process.oomScoreAdj = 123'
	container_run sh -c 'echo pid=$$; echo init=$(sed -n "s/^Name:\t//p" /proc/1/status)
		ps -o pid,comm | awk "\$1 == 1 { print \"ps1=\" \$2 }"
		grep -c "^proc /proc proc" /proc/self/mounts | sed s/^/proc=/; echo uid=$(id -u) gid=$(id -g)
		echo userns=$(readlink /proc/self/ns/user); echo pidns=$(readlink /proc/self/ns/pid)
		echo oom=$(cat /proc/self/oom_score_adj); touch /shared/made'
	assert_status 0
	[ "$(kv pid)" = 1 ] && [ "$(kv init)" = sh ] && [ "$(kv ps1)" = sh ] || fail "the init is not pid 1"
	[ "$(kv proc)" = 1 ] || fail "proc not mounted"
	[ "$(kv uid)" = "0 gid=0" ] || fail "ids"
	[ "$(kv userns)" = "$(readlink "$USERNS_PATH")" ] || fail "not in the joined user namespace"
	[ "$(kv pidns)" != "$(readlink "$PIDNS_PATH")" ] && [ "$(kv pidns)" != "$(readlink /proc/self/ns/pid)" ] ||
		fail "no pid namespace of its own"
	[ "$(kv oom)" = 123 ] || fail "oomScoreAdj"
	[ "$(stat -c %u:%g "$TMP/shared/made")" = 100000:200000 ] || fail "owner: $(stat -c %u:%g "$TMP/shared/made")"
}

@test "userns: exec into a container that joined a user namespace and has a pid namespace of its own" {
	hold_userns
	join_held_userns_only
	set_args sleep 600
	husk_run_detached
	init_pid=$(container_pid)
	[ "$(readlink "/proc/$init_pid/ns/user")" = "$(readlink "$USERNS_PATH")" ] || fail "init not in the joined user namespace"
	run --separate-stderr husk exec --user 1005:1006 "$ID" sh -c 'checker ns; echo pid=$$; echo ppid=$PPID; echo uid=$(id -u) gid=$(id -g)
		echo init=$(cat /proc/1/comm)' </dev/null
	assert_status 0
	for ns in user pid mnt ipc uts net; do
		want=$(readlink "/proc/$init_pid/ns/$ns")
		[ "$(kv "ns.$ns")" = "$want" ] || fail "ns.$ns: got $(kv "ns.$ns"), init has $want"
	done
	[ "$(kv pid)" -gt 1 ] && [ "$(kv ppid)" = 0 ] && [ "$(kv init)" = sleep ] || fail "not in the pid namespace: $output"
	[ "$(kv uid)" = "1005 gid=1006" ] || fail "$output"
}

@test "userns: joining a user namespace that does not map id 0 fails, saying so" {
	husk_only "message text"
	hold_userns '1 100000 1000' '1 200000 1000'
	join_held_userns_only
	container_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "become root in the joined user namespace \`$USERNS_PATH\`: its uid and gid maps must map id 0"
	assert_no_trace
}

@test "userns: exec joins the user namespace as its root; --user from the second range and a terminal work there" {
	mkdir "$BUNDLE/rootfs/shared"
	add_shared_dir
	set_args sleep 600
	husk_run_detached
	init_pid=$(container_pid)
	run --separate-stderr husk exec "$ID" sh -c 'checker ns; echo pid=$$; echo ppid=$PPID; echo uid=$(id -u) gid=$(id -g)' </dev/null
	assert_status 0
	for ns in user pid mnt ipc uts; do
		want=$(readlink "/proc/$init_pid/ns/$ns")
		[ "$(kv "ns.$ns")" = "$want" ] || fail "ns.$ns: got $(kv "ns.$ns"), init has $want"
	done
	[ "$(kv pid)" -gt 1 ] && [ "$(kv ppid)" = 0 ] || fail "not in the pid namespace: $output"
	# Root of the container's user namespace, not the host's root, which it does not map.
	[ "$(kv uid)" = "0 gid=0" ] || fail "$output"
	run --separate-stderr husk exec --user 1005:1006 --additional-gids 1007 "$ID" \
		sh -c 'echo uid=$(id -u) gid=$(id -g) groups=$(id -G); touch /shared/made' </dev/null
	assert_status 0
	[ "$(kv uid)" = "1005 gid=1006 groups=1006 1007" ] || fail "$output"
	[ "$(stat -c %u:%g "$TMP/shared/made")" = 300005:400006 ] || fail "owner: $(stat -c %u:%g "$TMP/shared/made")"
	start_console_socket
	husk exec --detach --tty --console-socket "$TMP/console.sock" "$ID" \
		sh -c 'checker tty; echo owner=$(stat -c %u "$(tty)")' </dev/null >/dev/null
	wait_console_output
	output=$console
	[ "$(kv ctty)" = 1 ] && [[ "$(kv stdin.ttyname)" == /dev/pts/* ]] || fail "no terminal: $output"
	[ "$(kv owner)" = 0 ] || fail "pty owner: $output"
}

@test "userns: joined by path, mount points missing from a rootfs owned by the host's root are made for its root" {
	[ "$(stat -c %u "$BUNDLE/rootfs")" = 0 ] || skip "rootfs not owned by root"
	hold_userns
	join_held_userns
	mkdir -p "$TMP/dir"
	echo file-content >"$TMP/file"
	update_config '.mounts += [
		{"destination": "/data/deep", "type": "bind", "source": $dir, "options": ["rbind"]},
		{"destination": "/etc/hostfile", "type": "bind", "source": $file, "options": ["bind", "ro"]}]' \
		--arg dir "$TMP/dir" --arg file "$TMP/file"
	container_run sh -c 'echo uid=$(id -u) gid=$(id -g); cat /etc/hostfile; readlink /proc/self/ns/user
		grep -q " /data/deep " /proc/self/mounts && echo deep=mounted'
	assert_status 0
	[ "$(kv uid)" = "0 gid=0" ] || fail "ids"
	assert_output_contains file-content
	[ "$(kv deep)" = mounted ] || fail "/data/deep not mounted"
	assert_output_contains "$(readlink "$USERNS_PATH")"
	# Owned by the host ids the joined namespace maps its root to, read from that namespace.
	for p in data data/deep etc/hostfile; do
		[ "$(stat -c %u:%g "$BUNDLE/rootfs/$p")" = 100000:200000 ] || fail "$p: $(stat -c %u:%g "$BUNDLE/rootfs/$p")"
	done
}

@test "userns: a missing process.cwd in a rootfs owned by the host's root is made for the mapped root" {
	[ "$(stat -c %u "$BUNDLE/rootfs")" = 0 ] || skip "rootfs not owned by root"
	update_config '.process.cwd = "/work/deep/dir"'
	container_run sh -c 'echo cwd=$(pwd); stat -c owner=%u:%g .'
	assert_status 0
	[ "$(kv cwd)" = /work/deep/dir ] || fail "cwd"
	[ "$(kv owner)" = 0:0 ] || fail "owner"
	for p in work work/deep work/deep/dir; do
		[ "$(stat -c %u:%g "$BUNDLE/rootfs/$p")" = 100000:200000 ] || fail "$p: $(stat -c %u:%g "$BUNDLE/rootfs/$p")"
	done
}

@test "userns: a missing process.cwd behind a symlink is made inside the rootfs, never on the host" {
	[ "$(stat -c %u "$BUNDLE/rootfs")" = 0 ] || skip "rootfs not owned by root"
	mkdir "$TMP/outside"
	# Only the host's root may write on the way to the links' targets inside the rootfs.
	chmod 0755 "$BUNDLE/rootfs/tmp"
	# Absolute and relative links that lead out of the rootfs if followed on the host.
	ln -s "$TMP/outside" "$BUNDLE/rootfs/abs"
	ln -s ../../../../../../../../../../.."$TMP/outside" "$BUNDLE/rootfs/rel"
	update_config '.process.cwd = "/abs/made"'
	container_run sh -c 'echo cwd=$(pwd)'
	assert_status 0
	update_config '.process.cwd = "/rel/made2"'
	container_run sh -c 'echo cwd=$(pwd)'
	assert_status 0
	[ -z "$(ls -A "$TMP/outside")" ] || fail "made on the host: $(ls -A "$TMP/outside")"
	[ -d "$BUNDLE/rootfs$TMP/outside/made" ] && [ -d "$BUNDLE/rootfs$TMP/outside/made2" ] ||
		fail "not made in the rootfs"
}

@test "userns: without a /dev mount, device bind targets and links are made for the mapped root" {
	[ "$(stat -c %u "$BUNDLE/rootfs/dev")" = 0 ] || skip "rootfs not owned by root"
	# /dev is then the rootfs's own directory, owned by the host's root; its mounts land there too.
	[ -c /dev/net/tun ] || skip "no /dev/net/tun on the host"
	update_config '.mounts |= map(select(.destination != "/dev"))
		| .linux.devices = [{"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200}]'
	container_run sh -c '
		stat -c tun=%t:%T /dev/net/tun
		echo data > /dev/null && echo null=ok; echo zero=$(head -c 4 /dev/zero | wc -c)
		echo full=$(echo x 2>&1 > /dev/full | grep -c "No space")
		echo random=$(head -c 8 /dev/random | wc -c); echo urandom=$(head -c 8 /dev/urandom | wc -c)
		for d in null zero full random urandom tty; do grep -c " /dev/$d " /proc/self/mountinfo; done | paste -sd+ | sed s/^/binds=/
		for l in ptmx fd stdin stdout stderr; do echo "$l=$(readlink /dev/$l)"; done
		[ -c /dev/pts/ptmx ] && echo pts=ok
		exec 3<>/dev/ptmx && echo openptmx=ok
		ls /dev/fd/ >/dev/null && echo devfd=ok
		grep -E " /dev/(pts|shm|mqueue) " /proc/self/mounts | cut -d" " -f2 | paste -sd, | sed s/^/mounts=/'
	assert_status 0
	[ "$(kv null)" = ok ] && [ "$(kv zero)" = 4 ] && [ "$(kv full)" = 1 ] || fail "devices"
	[ "$(kv tun)" = a:c8 ] || fail "linux.devices"
	[ "$(kv random)" = 8 ] && [ "$(kv urandom)" = 8 ] || fail "random"
	[ "$(kv binds)" = "1+1+1+1+1+1" ] || fail "binds"
	[ "$(kv ptmx)" = pts/ptmx ] && [ "$(kv fd)" = /proc/self/fd ] && [ "$(kv stdin)" = /proc/self/fd/0 ] ||
		fail "links"
	[ "$(kv stdout)" = /proc/self/fd/1 ] && [ "$(kv stderr)" = /proc/self/fd/2 ] || fail "links"
	[ "$(kv pts)" = ok ] && [ "$(kv openptmx)" = ok ] && [ "$(kv devfd)" = ok ] || fail "pts"
	[ "$(kv mounts)" = /dev/pts,/dev/shm,/dev/mqueue ] || fail "mounts"
	# Made in the rootfs as the container's root would have made them.
	for p in dev/null dev/tty dev/net dev/net/tun dev/pts dev/shm dev/ptmx dev/fd; do
		[ "$(stat -c %u:%g "$BUNDLE/rootfs/$p")" = 100000:200000 ] || fail "$p: $(stat -c %u:%g "$BUNDLE/rootfs/$p")"
	done
}

@test "userns: without a /dev mount, a terminal gets /dev/console made for the mapped root" {
	[ "$(stat -c %u "$BUNDLE/rootfs/dev")" = 0 ] || skip "rootfs not owned by root"
	update_config '.mounts |= map(select(.destination != "/dev")) | .process.terminal = true'
	set_args sh -c 'tty; grep -c " /dev/console " /proc/self/mountinfo | sed s/^/console=/'
	start_console_socket
	run husk run --bundle "$BUNDLE" --console-socket "$TMP/console.sock" "$ID" </dev/null
	assert_status 0
	wait_console_output
	[[ "$console" == */dev/pts/0* ]] || fail "console: $console"
	[ "$(kv console "$console")" = 1 ] || fail "console: $console"
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/dev/console")" = 100000:200000 ] || fail "owner of /dev/console"
}

@test "userns: without a /dev mount, nodes already in the rootfs's /dev are bound over or replaced" {
	[ "$(stat -c %u "$BUNDLE/rootfs/dev")" = 0 ] || skip "rootfs not owned by root"
	# As many image tarballs have them: nodes the mapped root can neither remove nor replace.
	mknod -m 0666 "$BUNDLE/rootfs/dev/null" c 1 3
	mknod -m 0666 "$BUNDLE/rootfs/dev/ptmx" c 5 2
	update_config '.mounts |= map(select(.destination != "/dev"))'
	container_run sh -c 'echo x > /dev/null && echo null=ok; grep -c " /dev/null " /proc/self/mountinfo | sed s/^/bound=/
		echo ptmx=$(readlink /dev/ptmx)'
	assert_status 0
	[ "$(kv null)" = ok ] && [ "$(kv bound)" = 1 ] || fail "/dev/null"
	[ "$(kv ptmx)" = pts/ptmx ] || fail "/dev/ptmx"
	# The image's node is kept under the mount; its ptmx gave way to the link, as without a user namespace.
	[ -c "$BUNDLE/rootfs/dev/null" ] || fail "/dev/null of the image replaced"
	[ -L "$BUNDLE/rootfs/dev/ptmx" ] || fail "/dev/ptmx not a link"
}
