#!/usr/bin/env bats
# Rootless: an unprivileged user writes `spec --rootless` and runs containers, its state under
# $XDG_RUNTIME_DIR/husk; its own id mapped directly, several ranges through newuidmap/newgidmap.
#
# setup_file creates a throwaway user; every host file that useradd or a test touches (/etc/passwd,
# group, shadow, gshadow, subuid, subgid) is backed up first and restored byte for byte in teardown_file.

load helpers

HOST_ID_FILES="/etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/subuid /etc/subgid"

setup_file() {
	husk_setup_file
	[ "$(id -u)" = 0 ] || skip "needs root to create a test user"
	command -v useradd >/dev/null || skip "no useradd"
	ETC_BACKUP=$BATS_FILE_TMPDIR/etc
	mkdir -p "$ETC_BACKUP"
	for f in $HOST_ID_FILES; do
		if [ -e "$f" ]; then cp -a "$f" "$ETC_BACKUP/"; else touch "$ETC_BACKUP/$(basename "$f").absent"; fi
	done
	RL_USER=huskrl$$
	useradd --no-create-home --home-dir /nonexistent --shell /bin/sh "$RL_USER"
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	export ETC_BACKUP RL_USER RL_UID RL_GID
}

teardown_file() {
	[ -n "${RL_USER:-}" ] || return 0
	userdel "$RL_USER" 2>/dev/null || true
	# Restore the contents in place (same inode, mode and owner) and remove what was not there before.
	for f in $HOST_ID_FILES; do
		if [ -e "$ETC_BACKUP/$(basename "$f")" ]; then
			cat "$ETC_BACKUP/$(basename "$f")" >"$f"
		elif [ -e "$ETC_BACKUP/$(basename "$f").absent" ]; then
			rm -f "$f"
		fi
	done
}

setup() {
	husk_setup
	# The user reaches the bundle (the rootfs stays the host root's) and owns its runtime dir.
	chmod 0755 "$TMP"
	XDG=$TMP/xdg
	mkdir -m 0700 "$XDG"
	chown "$RL_USER:" "$XDG" "$BUNDLE"
	rm -f "$BUNDLE/config.json"
	cd "$BUNDLE"
	as_user "$HUSK" spec --rootless
	update_config '.process.terminal = false | .root.path = $rootfs' --arg rootfs "$BUNDLE/rootfs"
	chown "$RL_USER:" "$BUNDLE/config.json"
}

teardown() {
	# Containers of the user, under its own root.
	local id
	for id in $(ls -A "$XDG/husk" 2>/dev/null); do
		as_user "$HUSK" delete -f "$id" >/dev/null 2>&1 || true
	done
	# Cgroups delegated to the user by a test (children first).
	local dir
	for dir in /sys/fs/cgroup/*/"husk-deleg-$ID"/c /sys/fs/cgroup/*/"husk-deleg-$ID"; do
		[ -d "$dir" ] && rmdir "$dir" 2>/dev/null
	done
	husk_teardown
}

# Run a command as the test user: no capabilities left, its own runtime dir.
as_user() {
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups --inh-caps=-all \
		env HOME=/nonexistent XDG_RUNTIME_DIR="$XDG" "$@"
}

# Replace the user's /etc/subuid and /etc/subgid entries (teardown_file restores the files).
set_subids() {
	local start=$1 count=$2 f
	for f in /etc/subuid /etc/subgid; do
		sed -i "/^$RL_USER:/d; /^$RL_UID:/d" "$f"
		[ -z "$start" ] || echo "$RL_USER:$start:$count" >>"$f"
	done
}

# Like container_run, as the user and without --root: the default root must be $XDG_RUNTIME_DIR/husk.
user_run() {
	set_args "$@"
	chown "$RL_USER:" "$BUNDLE/config.json"
	run as_user "$HUSK" run --bundle "$BUNDLE" "$ID" </dev/null
}

@test "rootless: spec --rootless maps the caller's own ids into a user namespace" {
	jq -e --argjson uid "$RL_UID" --argjson gid "$RL_GID" '
		(.linux.namespaces | map(.type) | index("user")) != null
		and (.linux.namespaces | map(.type) | index("network")) == null
		and .linux.uidMappings == [{"containerID": 0, "hostID": $uid, "size": 1}]
		and .linux.gidMappings == [{"containerID": 0, "hostID": $gid, "size": 1}]' "$BUNDLE/config.json"
}

@test "rootless: run works as an unprivileged user, its own id mapped without helpers" {
	user_run sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; cat /proc/self/setgroups'
	assert_status 0
	lines_=$(printf '%s\n' "$output" | tr -s ' ' | sed 's/^ //')
	[ "$(printf '%s\n' "$lines_" | sed -n 1,2p | tr '\n' ' ')" = "0 0 " ] || fail "$output"
	[ "$(printf '%s\n' "$lines_" | sed -n 3p)" = "0 $RL_UID 1" ] || fail "$output"
	[ "$(printf '%s\n' "$lines_" | sed -n 4p)" = "0 $RL_GID 1" ] || fail "$output"
	# Written by husk itself, which must deny setgroups first (newgidmap would have left it allowed).
	[ "$(printf '%s\n' "$lines_" | sed -n 5p)" = deny ] || fail "$output"
}

@test "rootless: the state lives under \$XDG_RUNTIME_DIR/husk and the lifecycle works" {
	set_args sleep 100
	chown "$RL_USER:" "$BUNDLE/config.json"
	# The container keeps its stdio: not bats' pipes (see husk_create).
	as_user "$HUSK" create --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/create.out" 2>&1 3>&- ||
		fail "create: $(cat "$TMP/create.out")"
	[ -f "$XDG/husk/$ID/state.json" ] || fail "no state under $XDG/husk"
	[ "$(stat -c %u "$XDG/husk/$ID")" = "$RL_UID" ] || fail "state dir not owned by the user"
	run as_user "$HUSK" state "$ID"
	assert_status 0
	[ "$(printf '%s' "$output" | jq -r .status)" = created ] || fail "$output"
	run as_user "$HUSK" start "$ID"
	assert_status 0
	run as_user "$HUSK" state "$ID"
	[ "$(printf '%s' "$output" | jq -r .status)" = running ] || fail "$output"
	pid=$(printf '%s' "$output" | jq -r .pid)
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ] || fail "container process not the user's"
	run as_user "$HUSK" kill "$ID" KILL
	assert_status 0
	retry 100 0.05 sh -c "[ \"\$(setpriv --reuid=$RL_UID --regid=$RL_GID --init-groups env XDG_RUNTIME_DIR=$XDG $HUSK state $ID | jq -r .status)\" = stopped ]"
	run as_user "$HUSK" delete "$ID"
	assert_status 0
	[ ! -e "$XDG/husk/$ID" ] || fail "state left behind"
}

@test "rootless: devices are bind-mounted and proc, devpts, /dev/shm, mqueue mounted" {
	user_run sh -c '
		echo data > /dev/null && echo null=ok
		grep -c " /dev/null " /proc/self/mountinfo | sed s/^/nullbind=/
		grep -E " /(proc|dev/pts|dev/shm|dev/mqueue) " /proc/self/mounts | cut -d" " -f2,3
		echo x > /dev/shm/f && echo shm=$(cat /dev/shm/f)
		echo oom=$(cat /proc/self/oom_score_adj)'
	assert_status 0
	[ "$(kv null)" = ok ] || fail "$output"
	[ "$(kv nullbind)" = 1 ] || fail "$output"
	[ "$(kv shm)" = x ] || fail "$output"
	assert_output_contains "/proc proc"
	assert_output_contains "/dev/pts devpts"
	assert_output_contains "/dev/mqueue mqueue"
}

@test "rootless: oomScoreAdj is written by the runtime" {
	update_config '.process.oomScoreAdj = 250'
	user_run cat /proc/self/oom_score_adj
	assert_status 0
	[ "$output" = 250 ] || fail "$output"
}

@test "rootless: sysfs is bind-mounted when the network namespace is the host's" {
	update_config '(.mounts[] | select(.destination == "/sys")) |= {"destination": "/sys", "type": "sysfs",
		"source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}'
	user_run sh -c 'ls /sys/class/net >/dev/null && echo sys=ok; grep -c " /sys " /proc/self/mountinfo'
	assert_status 0
	[ "$(kv sys)" = ok ] || fail "$output"
}

@test "rootless: several ranges go through newuidmap and newgidmap" {
	command -v newuidmap >/dev/null || skip "newuidmap not installed (Debian package uidmap)"
	set_subids 520000 65536
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": $uid, "size": 1},
				{"containerID": 1, "hostID": 520000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": $gid, "size": 1},
				{"containerID": 1, "hostID": 520000, "size": 65536}]
		| .process.user.additionalGids = [5]' --argjson uid "$RL_UID" --argjson gid "$RL_GID"
	mkdir "$BUNDLE/rootfs/owned"
	touch "$BUNDLE/rootfs/owned/f"
	chown 520009:520010 "$BUNDLE/rootfs/owned/f"
	user_run sh -c 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -G; stat -c owner=%u:%g /owned/f'
	assert_status 0
	lines_=$(printf '%s\n' "$output" | tr -s ' ' | sed 's/^ //')
	[ "$(printf '%s\n' "$lines_" | sed -n 2p)" = "1 520000 65536" ] || fail "$output"
	[ "$(printf '%s\n' "$lines_" | sed -n 4p)" = "1 520000 65536" ] || fail "$output"
	[ "$(printf '%s\n' "$lines_" | sed -n 5p)" = allow ] || fail "$output"
	[[ " $(printf '%s\n' "$lines_" | sed -n 6p) " == *" 5 "* ]] || fail "groups: $output"
	[ "$(kv owner)" = 10:11 ] || fail "$output"
}

@test "rootless: no /etc/subuid entry names the file and the line to add" {
	husk_only "message text"
	set_subids "" ""
	update_config '.linux.uidMappings += [{"containerID": 1, "hostID": 520000, "size": 65536}]'
	user_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "no entry for user \`$RL_USER\` in /etc/subuid: add one, e.g. \`$RL_USER:100000:65536\`"
	# Nothing was created.
	[ -z "$(ls -A "$XDG/husk" 2>/dev/null)" ] || fail "state left: $(ls -A "$XDG/husk")"
}

@test "rootless: a range outside the delegated ones is refused before newuidmap runs" {
	husk_only "message text"
	set_subids 520000 65536
	update_config '.linux.gidMappings += [{"containerID": 1, "hostID": 700000, "size": 10}]'
	user_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "linux.gidMappings[1]: host ids 700000-700009 are not delegated to user \`$RL_USER\` in /etc/subgid"
}

@test "rootless: additionalGids with only the own gid mapped fails clearly" {
	husk_only "message text"
	update_config '.process.user.additionalGids = [5]'
	user_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "process.user.additionalGids"
	assert_output_contains "deny setgroups"
}

@test "rootless: --rootless takes auto, true or false" {
	husk_only "message text"
	user_run true
	assert_status 0
	run as_user "$HUSK" --rootless true run --bundle "$BUNDLE" "$ID-t" </dev/null
	assert_status 0
	run as_user "$HUSK" --rootless maybe list
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "--rootless: invalid value \`maybe\` (auto, true or false)"
}

# On v1 and hybrid hosts delegating a cgroup is handing its directory (and files) to the user; a systemd user
# slice does that on v2. Here every hierarchy's delegated dir is made by the test, as an administrator would.
@test "rootless: a cgroup delegated to the user is used: the container is placed in it and its limits applied" {
	local parent=husk-deleg-$ID dir
	for dir in /sys/fs/cgroup/*/; do
		[ -e "$dir/cgroup.procs" ] || continue
		mkdir "$dir$parent"
		chown -R "$RL_USER:" "$dir$parent"
	done
	# A v1 cpuset takes no tasks until it has cpus and mems; the administrator fills them in.
	if [ -d "/sys/fs/cgroup/cpuset/$parent" ]; then
		cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$parent/cpuset.cpus"
		cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$parent/cpuset.mems"
	fi
	[ -d "/sys/fs/cgroup/pids/$parent" ] || skip "no v1 pids hierarchy here (pure v2 needs a systemd user slice)"
	update_config '.linux.cgroupsPath = $p | .linux.resources = {"pids": {"limit": 17}}' --arg p "/$parent/c"
	set_args sleep 100
	chown "$RL_USER:" "$BUNDLE/config.json"
	as_user "$HUSK" run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- ||
		fail "run: $(cat "$TMP/run.out")"
	pid=$(as_user "$HUSK" state "$ID" | jq -r .pid)
	[ "$(cat "/sys/fs/cgroup/pids/$parent/c/pids.max")" = 17 ] || fail "pids.max: $(cat "/sys/fs/cgroup/pids/$parent/c/pids.max")"
	# Every v1 hierarchy. Hybrid's cgroup2 one has no controllers, and moving into it also needs write access
	# to the common ancestor's cgroup.procs, which a directory handed over here does not give.
	for dir in /sys/fs/cgroup/*/"$parent"/c; do
		[ "$dir" = "/sys/fs/cgroup/unified/$parent/c" ] && continue
		grep -qx "$pid" "$dir/cgroup.procs" || fail "container process $pid not in $dir"
	done
	run as_user "$HUSK" delete -f "$ID"
	assert_status 0
	for dir in /sys/fs/cgroup/*/"$parent"; do
		[ ! -e "$dir/c" ] || fail "$dir/c left behind"
	done
}
