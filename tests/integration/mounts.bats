#!/usr/bin/env bats
# Mounts: bind/rbind, proc, sysfs, tmpfs, devpts, mqueue, cgroup, overlay, options, and symlinks in the rootfs
# that point at the host.

load helpers

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# add_mount DESTINATION TYPE SOURCE [OPTION...]
add_mount() {
	local dest=$1 type=$2 source=$3 options
	shift 3
	options=$(for o in "$@"; do jq -n --arg o "$o" '$o'; done | jq -s .)
	update_config '.mounts += [{"destination": $d, "type": $t, "source": $s, "options": $o}]' \
		--arg d "$dest" --arg t "$type" --arg s "$source" --argjson o "$options"
}

# has_option LIST OPTION: LIST is comma-separated
has_option() {
	[[ ",$1," == *",$2,"* ]]
}

@test "mounts: bind a host directory read-write" {
	mkdir "$TMP/data"
	echo from-host >"$TMP/data/in"
	add_mount /data bind "$TMP/data" bind
	container_run sh -c 'cat /data/in; echo from-container > /data/out'
	assert_status 0
	[ "${lines[0]}" = from-host ]
	[ "$(cat "$TMP/data/out")" = from-container ]
}

@test "mounts: a bind given only by the bind option (type none)" {
	mkdir "$TMP/data"
	echo x >"$TMP/data/in"
	add_mount /data none "$TMP/data" bind
	container_run cat /data/in
	assert_status 0
	[ "$output" = x ]
}

@test "mounts: bind with ro is read-only" {
	mkdir "$TMP/data"
	add_mount /data bind "$TMP/data" bind ro
	container_run sh -c 'checker write /data/x; checker mountinfo /data'
	assert_status 0
	[ "$(kv write)" = EROFS ]
	has_option "$(kv mount_options)" ro || fail "options $(kv mount_options)"
	[ ! -e "$TMP/data/x" ]
}

@test "mounts: bind of a single file" {
	echo file-content >"$TMP/file"
	add_mount /etc/hostfile bind "$TMP/file" bind ro
	container_run sh -c 'cat /etc/hostfile; checker stat /etc/hostfile'
	assert_status 0
	[ "${lines[0]}" = file-content ]
	[ "$(kv type)" = file ]
}

@test "mounts: rbind carries submounts, bind does not" {
	mkdir -p "$TMP/data/sub"
	mount -t tmpfs -o size=1m tmpfs "$TMP/data/sub"
	echo in-sub >"$TMP/data/sub/f"
	add_mount /rbound bind "$TMP/data" rbind
	add_mount /bound bind "$TMP/data" bind
	container_run sh -c 'echo rbind=$(cat /rbound/sub/f); echo bind=$(cat /bound/sub/f 2>/dev/null)'
	assert_status 0
	[ "$(kv rbind)" = in-sub ]
	[ "$(kv bind)" = "" ]
}

@test "mounts: a directory bound on a file, or a file on a directory, fails saying so and leaves nothing" {
	mkdir "$TMP/srcdir"
	echo x >"$TMP/srcfile"
	touch "$BUNDLE/rootfs/afile"
	mkdir -p "$BUNDLE/rootfs/adir"
	add_mount /afile bind "$TMP/srcdir" rbind
	container_run true
	[ "$status" -ne 0 ] || fail "a directory covered a file"
	[ "$RUNTIME" != husk ] || assert_output_contains "\`$TMP/srcdir\` on \`/afile\`: a directory cannot cover a file"
	assert_no_trace
	update_config '.mounts[-1] = {"destination": "/adir", "type": "bind", "source": $s, "options": ["rbind"]}' \
		--arg s "$TMP/srcfile"
	container_run true
	[ "$status" -ne 0 ] || fail "a file covered a directory"
	[ "$RUNTIME" != husk ] || assert_output_contains "\`$TMP/srcfile\` on \`/adir\`: a file cannot cover a directory"
	assert_no_trace
}

@test "mounts: relative bind source is relative to the bundle" {
	mkdir "$BUNDLE/data"
	echo relative >"$BUNDLE/data/f"
	add_mount /data bind data bind
	cd /
	container_run cat /data/f
	assert_status 0
	[ "$output" = relative ]
}

@test "mounts: a bind source that does not exist fails and leaves nothing" {
	add_mount /data bind "$TMP/nonexistent" bind
	set_args true
	run husk_create
	[ "$status" -ne 0 ]
	assert_no_trace
}

# runc's checkProcMount (CVE-2019-16884): masked and read-only paths would land on whatever hid the real /proc.
@test "mounts: nothing but a procfs on /proc, and below it only lxcfs's files; a symlink into /proc is followed" {
	mkdir -p "$TMP/hostdir"
	echo fake >"$TMP/meminfo"
	local fields=("bind:/proc/sys" "bind:/proc" "tmpfs:/proc" "bind:/link/kernel")
	ln -s /proc/sys "$BUNDLE/rootfs/link"
	for f in "${fields[@]}"; do
		cp "$BUNDLE/config.json" "$TMP/config.orig"
		if [ "${f%%:*}" = tmpfs ]; then
			add_mount "${f#*:}" tmpfs tmpfs size=1m
		else
			add_mount "${f#*:}" bind "$TMP/hostdir" rbind
		fi
		set_args true
		run husk run --bundle "$BUNDLE" "$ID" </dev/null
		[ "$status" -ne 0 ] || fail "$f: accepted: $output"
		assert_output_contains "/proc"
		assert_no_trace
		cp "$TMP/config.orig" "$BUNDLE/config.json"
	done
	# lxcfs's files are allowed: a bind over /proc/meminfo
	add_mount /proc/meminfo bind "$TMP/meminfo" bind
	container_run cat /proc/meminfo
	assert_status 0
	[ "$output" = fake ] || fail "$output"
}

@test "mounts: proc at /proc" {
	container_run sh -c 'checker mountinfo /proc; echo pid1=$(cat /proc/1/comm)'
	assert_status 0
	[ "$(kv fstype)" = proc ]
	[ "$(kv pid1)" = sh ]
}

@test "mounts: sysfs read-only with nosuid,nodev,noexec" {
	container_run sh -c 'checker mountinfo /sys; checker write /sys/kernel/x'
	assert_status 0
	[ "$(kv fstype)" = sysfs ]
	opts=$(kv mount_options)
	for o in ro nosuid nodev noexec; do
		has_option "$opts" $o || fail "sysfs lacks $o: $opts"
	done
	[ "$(kv write)" = EROFS ]
}

@test "mounts: tmpfs with size= and mode=" {
	add_mount /scratch tmpfs tmpfs size=1m mode=700
	container_run sh -c 'checker mountinfo /scratch; checker stat /scratch; checker write /scratch/x'
	assert_status 0
	[ "$(kv fstype)" = tmpfs ]
	has_option "$(kv super_options)" size=1024k || fail "super options $(kv super_options)"
	has_option "$(kv super_options)" mode=700 || fail "super options $(kv super_options)"
	[ "$(kv mode)" = 0700 ]
	[ "$(kv write)" = ok ]
}

# runc's option table has acl and noacl (MS_POSIXACL): a filesystem without that option (tmpfs, a bind) ignores it.
@test "mounts: a filesystem option the kernel refuses is named in the error, and nothing is left" {
	add_mount /mnt tmpfs tmpfs size=bogus
	set_args true
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "accepted: $output"
	assert_output_contains "size=bogus"
	assert_no_trace
}

@test "mounts: acl and noacl are mount flags, not data a tmpfs refuses" {
	add_mount /withacl tmpfs tmpfs acl size=1m
	add_mount /noacl tmpfs tmpfs noacl
	mkdir "$TMP/shared"
	add_mount /bound bind "$TMP/shared" rbind acl
	container_run sh -c 'for d in /withacl /noacl /bound; do checker mountinfo $d | grep ^fstype=; checker write $d/x; done'
	assert_status 0
	[ "$(grep -c '^fstype=tmpfs$' <<<"$output")" = 2 ] || fail "$output"
	[ "$(grep -c '^write=ok$' <<<"$output")" = 3 ] || fail "$output"
}

# runc#3952: a tmpfs on an image's directory keeps that directory's mode, a 0755 /run does not become 1777.
@test "mounts: tmpfs without mode= takes the mode of the directory it covers, special bits included" {
	skip_on_runc "1.1.5 chmods every tmpfs to the covered directory's mode after mounting, over mode= too (runc#3952)"
	mkdir -p "$BUNDLE/rootfs/run" "$BUNDLE/rootfs/all"
	chmod 0755 "$BUNDLE/rootfs/run"
	chmod 'a=rwx,ug+s,+t' "$BUNDLE/rootfs/all"
	add_mount /run tmpfs tmpfs nosuid nodev
	add_mount /all tmpfs tmpfs noexec
	add_mount /new/dir tmpfs tmpfs
	add_mount /given tmpfs tmpfs mode=0711
	mkdir -p "$BUNDLE/rootfs/given" && chmod 0755 "$BUNDLE/rootfs/given"
	container_run sh -c 'for d in /run /all /new/dir /given; do stat -c "%n %a %A" $d; done'
	assert_status 0
	[ "${lines[0]}" = "/run 755 drwxr-xr-x" ] || fail "$output"
	[ "${lines[1]}" = "/all 7777 drwsrwsrwt" ] || fail "$output"
	# a mount point husk had to make: tmpfs's own mode; an explicit mode= wins
	[ "${lines[2]}" = "/new/dir 1777 drwxrwxrwt" ] || fail "$output"
	[ "${lines[3]}" = "/given 711 drwx--x--x" ] || fail "$output"
}

# tmpcopyup (runc and crun; podman puts it on every --tmpfs): the tmpfs starts with a copy of the directory it
# covers, modes (runc#3991: not the umask's), owners, special bits and nested directories kept; a symlink is
# copied as a symlink, never followed to what it points at on the host or in the rootfs.
@test "mounts: tmpfs with tmpcopyup starts with a copy of the directory it covers" {
	skip_on_runc "1.1.5 copies no fifo, then fails to lchown the copy it did not make"
	local d=$BUNDLE/rootfs/dir1
	mkdir -p "$d/dir2/deep" "$BUNDLE/rootfs/plain"
	chmod 0777 "$d/dir2"
	echo deep >"$d/dir2/deep/x"
	printf 'secret' >"$d/f"
	chown 1000:1001 "$d/f"
	chmod 4755 "$d/f"
	ln -s /etc/hostname "$d/link"
	mkfifo "$d/fifo"
	echo kept >"$BUNDLE/rootfs/plain/file"
	add_mount /dir1 tmpfs tmpfs tmpcopyup nosuid
	add_mount /plain tmpfs tmpfs
	container_run sh -c 'grep " /dir1 tmpfs " /proc/self/mounts >/dev/null && echo mounted
		cd /dir1 && stat -c "%n %a %u:%g %F" dir2 dir2/deep dir2/deep/x f link fifo; cat dir2/deep/x f; echo
		readlink link; ls -A /plain | wc -l; echo new >/dir1/dir2/y && cat /dir1/dir2/y'
	assert_status 0
	[ "$output" = "mounted
dir2 777 0:0 directory
dir2/deep 755 0:0 directory
dir2/deep/x 644 0:0 regular file
f 4755 1000:1001 regular file
link 777 0:0 symbolic link
fifo 644 0:0 fifo
deep
secret
/etc/hostname
0
new" ] || fail "$output"
	# The image's own files are untouched: the copy went into the tmpfs.
	[ ! -e "$d/dir2/y" ] || fail "a write reached the rootfs"
	[ "$(stat -c %a "$d/dir2")" = 777 ]
}

@test "mounts: tmpcopyup that does not fit the tmpfs fails create, naming the file, and leaves nothing" {
	mkdir -p "$BUNDLE/rootfs/big"
	head -c 200000 /dev/zero >"$BUNDLE/rootfs/big/blob"
	add_mount /big tmpfs tmpfs tmpcopyup size=64k
	set_args true
	run husk create --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "create succeeded"
	[ "$RUNTIME" != husk ] || assert_output_contains 'tmpcopyup: copy `blob`: No space left on device'
	assert_no_trace
}

# runc's mounts.bats "[ro /dev mount]": the nodes, links and mount points under /dev are made before it turns
# read-only, and so for a read-only tmpfs holding another mount.
@test "mounts: a read-only /dev tmpfs still gets its devices, pts and shm; a read-only tmpfs holds a nested mount" {
	update_config '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
	add_mount /data tmpfs tmpfs ro
	add_mount /data/inner tmpfs tmpfs
	container_run sh -c 'checker mountinfo /dev | grep ^mount_options=; checker stat /dev/null | grep ^type=
		checker stat /dev/pts | grep ^type=; checker stat /dev/shm | grep ^type=; checker write /dev/newfile
		checker mountinfo /data | grep ^mount_options=; checker write /data/x; checker write /data/inner/y'
	assert_status 0
	[[ "${lines[0]}" == mount_options=ro,* ]] || fail "/dev is not read-only: $output"
	[ "${lines[1]}" = type=char ] && [ "${lines[2]}" = type=dir ] && [ "${lines[3]}" = type=dir ] || fail "$output"
	[ "${lines[4]}" = write=EROFS ] || fail "/dev took a file: $output"
	[[ "${lines[5]}" == mount_options=ro,* ]] || fail "/data is not read-only: $output"
	[ "${lines[6]}" = write=EROFS ] && [ "${lines[7]}" = write=ok ] || fail "$output"
}

@test "mounts: ro, nosuid, nodev, noexec, noatime show in mountinfo" {
	add_mount /m1 tmpfs tmpfs ro nosuid nodev noexec noatime
	add_mount /m2 tmpfs tmpfs rw strictatime
	container_run sh -c 'checker mountinfo /m1; echo ---; checker mountinfo /m2'
	assert_status 0
	first=${output%%---*}
	second=${output#*---}
	opts=$(kv mount_options "$first")
	for o in ro nosuid nodev noexec noatime; do
		has_option "$opts" $o || fail "/m1 lacks $o: $opts"
	done
	opts=$(kv mount_options "$second")
	has_option "$opts" rw || fail "/m2 lacks rw: $opts"
	for o in ro nosuid nodev noexec noatime relatime; do
		! has_option "$opts" $o || fail "/m2 has $o: $opts"
	done
}

@test "mounts: noexec forbids executing from the mount" {
	mkdir "$TMP/bin"
	cp "$CHECKER" "$TMP/bin/checker"
	add_mount /x bind "$TMP/bin" bind noexec
	add_mount /y bind "$TMP/bin" bind
	container_run sh -c '/y/checker pid >/dev/null && echo y=ran; /x/checker pid >/dev/null 2>&1 && echo x=ran; echo done'
	assert_status 0
	[ "$(kv y)" = ran ]
	[ "$(kv x)" = "" ]
}

@test "mounts: devpts with newinstance and ptmxmode" {
	container_run sh -c 'checker mountinfo /dev/pts'
	assert_status 0
	[ "$(kv fstype)" = devpts ]
	has_option "$(kv super_options)" ptmxmode=666 || fail "super options $(kv super_options)"
	has_option "$(kv super_options)" gid=5 || fail "super options $(kv super_options)"
}

@test "mounts: mqueue" {
	container_run checker mountinfo /dev/mqueue
	assert_status 0
	[ "$(kv fstype)" = mqueue ]
}

@test "mounts: cgroup at /sys/fs/cgroup is read-only" {
	# No memory mount on cgroup v2: the second command's failure is not the test's (v1 checks its output).
	container_run sh -c 'checker mountinfo /sys/fs/cgroup; echo ---; checker mountinfo /sys/fs/cgroup/memory 2>&1 || true'
	assert_status 0
	first=${output%%---*}
	second=${output#*---}
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		[ "$(kv fstype "$first")" = cgroup2 ]
		has_option "$(kv mount_options "$first")" ro
	else
		# v1 and hybrid: a tmpfs holding one cgroup mount per controller
		[ "$(kv fstype "$first")" = tmpfs ]
		[ "$(kv fstype "$second")" = cgroup ] || fail "memory: $second"
		has_option "$(kv mount_options "$second")" ro || fail "memory: $second"
		has_option "$(kv super_options "$second")" memory || fail "memory: $second"
	fi
}

@test "mounts: /sys/fs/cgroup shows the container's own cgroup in each hierarchy, memory included" {
	update_config '.linux.resources.memory = {"limit": 33554432} | .linux.resources.pids = {"limit": 77}'
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		# cgroup2 is mounted, not bound: rooted at the container's cgroup with a cgroup namespace
		update_config '.linux.namespaces += [{"type":"cgroup"}]'
		container_run sh -c 'echo memory=$(cat /sys/fs/cgroup/memory.max); echo pids=$(cat /sys/fs/cgroup/pids.max)'
	else
		# v1 and hybrid, no cgroup namespace: binds of the host's directories (the init joins its memory
		# cgroup after they are made)
		container_run sh -c 'echo memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
			echo pids=$(cat /sys/fs/cgroup/pids/pids.max)
			echo sibling=$(ls /sys/fs/cgroup/memory | grep -c -- "$0")' "$ID"
		[ "$(kv sibling)" = 0 ] || fail "the memory hierarchy shows the container's parent: $output"
	fi
	assert_status 0
	[ "$(kv memory)" = 33554432 ] || fail "$output"
	[ "$(kv pids)" = 77 ] || fail "$output"
}

# A `cgroup` mount on a v1 or hybrid host shows the v1 hierarchies, as runc's does: not the hybrid host's cgroup2,
# which systemd in the container would take for a hybrid layout of its own, read-only. Nor, where cgroup2 is not
# mounted at the host's /sys/fs/cgroup/unified (the hybrid layout with it unmounted, in a mount namespace of this
# test's own), the host tmpfs's empty directory.
@test "mounts: no \`unified\` in a cgroup mount's /sys/fs/cgroup on a v1 or hybrid host" {
	[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] || skip "pure cgroup v2 host: no v1 hierarchies to show"
	set_args ls /sys/fs/cgroup
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	echo "$output" | grep -qx memory || fail "no memory hierarchy: $output"
	! echo "$output" | grep -qx unified || fail "the host's cgroup2 is shown: $output"

	[ -d /sys/fs/cgroup/unified ] || return 0
	run unshare --mount --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' sh \
		"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	echo "$output" | grep -qx memory || fail "no memory hierarchy: $output"
	! echo "$output" | grep -qx unified || fail "the host's empty unified directory is shown: $output"
}

@test "mounts: cgroup2 mount type" {
	[ -d /sys/fs/cgroup/unified ] || [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip "no cgroup2 on this host"
	update_config '.mounts |= map(select(.type != "cgroup"))'
	update_config '.linux.namespaces += [{"type":"cgroup"}]'
	add_mount /sys/fs/cgroup cgroup2 cgroup2 nosuid nodev noexec
	container_run sh -c 'checker mountinfo /sys/fs/cgroup; test -e /sys/fs/cgroup/cgroup.procs && echo procs=yes'
	assert_status 0
	[ "$(kv fstype)" = cgroup2 ]
	[ "$(kv procs)" = yes ]
}

@test "mounts: overlay with lower, upper and work dirs" {
	mkdir -p "$TMP/ov/lower" "$TMP/ov/upper" "$TMP/ov/work"
	echo lower >"$TMP/ov/lower/f"
	add_mount /ov overlay overlay "lowerdir=$TMP/ov/lower" "upperdir=$TMP/ov/upper" "workdir=$TMP/ov/work"
	container_run sh -c 'cat /ov/f; echo new > /ov/g; checker mountinfo /ov'
	assert_status 0
	[ "${lines[0]}" = lower ]
	[ "$(kv fstype)" = overlay ]
	[ "$(cat "$TMP/ov/upper/g")" = new ]
	[ ! -e "$TMP/ov/lower/g" ]
}

@test "mounts: the destination is created inside the rootfs when missing" {
	add_mount /a/b/c tmpfs tmpfs size=1m
	container_run checker mountinfo /a/b/c
	assert_status 0
	[ "$(kv fstype)" = tmpfs ]
	[ -d "$BUNDLE/rootfs/a/b/c" ]
}

@test "mounts: an absolute symlink in the rootfs resolves inside it, not on the host" {
	mkdir "$TMP/hostdir"
	ln -s "$TMP/hostdir" "$BUNDLE/rootfs/mnt"
	add_mount /mnt tmpfs tmpfs size=1m
	container_run checker mountinfo "$TMP/hostdir"
	assert_status 0
	# the tmpfs went on <rootfs>/$TMP/hostdir, which the container sees as $TMP/hostdir
	[ "$(kv fstype)" = tmpfs ]
	[ -z "$(ls -A "$TMP/hostdir")" ]
}

@test "mounts: directories for a destination under a symlink are not made on the host" {
	mkdir "$TMP/hostdir"
	ln -s "$TMP/hostdir" "$BUNDLE/rootfs/mnt"
	add_mount /mnt/sub/dir tmpfs tmpfs size=1m
	set_args true
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ -z "$(ls -A "$TMP/hostdir")" ] || fail "created on the host: $(find "$TMP/hostdir")"
}

@test "mounts: a relative symlink climbing out of the rootfs stays inside" {
	mkdir "$TMP/hostdir"
	ln -s "../../../../../../../../../..$TMP/hostdir" "$BUNDLE/rootfs/mnt"
	add_mount /mnt/sub tmpfs tmpfs size=1m
	set_args true
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ -z "$(ls -A "$TMP/hostdir")" ] || fail "created on the host: $(find "$TMP/hostdir")"
}

@test "mounts: a rootfs /dev symlink to the host makes nothing in the host dir" {
	skip_on_runc "1.1.5 creates /dev/{fd,stdin,stdout,stderr,ptmx} through a /dev symlink on the host (CVE-2026-41579, GHSA-xjvp-4fhw-gc47)"
	mkdir "$TMP/hostdev"
	rmdir "$BUNDLE/rootfs/dev"
	ln -s "$TMP/hostdev" "$BUNDLE/rootfs/dev"
	set_args true
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ -z "$(ls -A "$TMP/hostdev")" ] || fail "created on the host: $(find "$TMP/hostdev")"
}

@test "mounts: a rootfs /dev symlink to the host, without a /dev tmpfs, makes nothing in the host dir" {
	skip_on_runc "1.1.5 creates /dev/{fd,stdin,stdout,stderr,ptmx} through a /dev symlink on the host (CVE-2026-41579, GHSA-xjvp-4fhw-gc47)"
	mkdir "$TMP/hostdev"
	rmdir "$BUNDLE/rootfs/dev"
	ln -s "$TMP/hostdev" "$BUNDLE/rootfs/dev"
	update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
	set_args true
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ -z "$(ls -A "$TMP/hostdev")" ] || fail "created on the host: $(find "$TMP/hostdev")"
}

@test "mounts: container mounts do not appear on the host" {
	add_mount /scratch tmpfs tmpfs size=1m
	set_args sleep 600
	husk_run_detached
	! grep -q "$BUNDLE/rootfs" /proc/self/mountinfo || fail "$(grep "$BUNDLE/rootfs" /proc/self/mountinfo)"
}
