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
	# A copy the user can execute wherever the build tree is (a clone under /root is out of its reach).
	RL_BIN=$(mktemp -d /tmp/husk-rootless-bin.XXXXXX)
	chmod 0755 "$RL_BIN"
	install -m 0755 "$HUSK" "$RL_BIN/husk"
	HUSK=$RL_BIN/husk
	export ETC_BACKUP RL_USER RL_UID RL_GID RL_BIN HUSK
}

teardown_file() {
	[ -z "${RL_BIN:-}" ] || rm -rf "$RL_BIN"
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
	V2_CGROUPS=()
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
	# cgroup v2 subtrees of a test: kill what is left, then remove them deepest first.
	for dir in "${V2_CGROUPS[@]}"; do
		[ -d "$dir" ] || continue
		echo 1 >"$dir/cgroup.kill" 2>/dev/null || true
		find "$dir" -depth -type d | while read -r cg; do
			retry 50 0.1 rmdir "$cg" 2>/dev/null || echo "# could not remove $cg" >&3
		done
	done
	# The user's systemd manager of a --systemd-cgroup test, its units and cgroups.
	if [ -n "${SDU_PID:-}" ]; then
		"$REPO_DIR/tests/lib/systemd-manager.sh" stop "$SDU_NAME" "$SDU_PID" || echo "# $SDU_NAME: cgroups left" >&3
	fi
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

# Delegate 520000-585535 to the user and map container ids 1-65536 there (0 stays the user's own ids), so
# the maps go through newuidmap/newgidmap. $1: more of the jq filter (it may use $uid and $gid); the rest
# goes to jq.
map_subid_range() {
	local more=${1:-.}
	shift || true
	set_subids 520000 65536
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": $uid, "size": 1},
				{"containerID": 1, "hostID": 520000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": $gid, "size": 1},
				{"containerID": 1, "hostID": 520000, "size": 65536}]
		| '"$more" --argjson uid "$RL_UID" --argjson gid "$RL_GID" "$@"
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

# Rootless podman runs the runtime as root of a user namespace podman made (with only the user's own id mapped when
# /etc/subuid has no range for it, setgroups then denied), and gives the container no user namespace of its own.
# runc's rules make that rootless: the state under $XDG_RUNTIME_DIR, cgroups only where delegated, and no
# setgroups. unshare -r makes such a namespace; each call a new one, so state, kill and delete come from other
# namespaces of the same user, as podman's commands would from a restarted podman.
as_userns_root() {
	as_user env -u USER unshare --user --map-root-user "$@"
}

@test "rootless: as root of a user namespace that is not the host's (rootless podman), husk is rootless" {
	update_config 'del(.linux.uidMappings, .linux.gidMappings) | .linux.namespaces |= map(select(.type != "user"))'
	set_args sh -c 'cat /proc/self/uid_map /proc/self/setgroups; id -u; sleep 100'
	chown "$RL_USER:" "$BUNDLE/config.json"
	as_userns_root "$HUSK" run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- ||
		fail "run: $(cat "$TMP/run.out")"
	[ -f "$XDG/husk/$ID/state.json" ] || fail "no state under $XDG/husk: $(ls -A /run/husk 2>/dev/null)"
	[ ! -e "/run/husk/$ID" ] || fail "state in /run/husk"
	run as_userns_root "$HUSK" state "$ID"
	assert_status 0
	[ "$(printf '%s' "$output" | jq -r .status)" = running ] || fail "$output"
	retry 100 0.05 grep -q '^0$' "$TMP/run.out"
	# podman's namespace, not one of the container's: the user's id is root there, and setgroups stays denied
	lines_=$(tr -s ' ' <"$TMP/run.out" | sed 's/^ //')
	[ "$(printf '%s\n' "$lines_" | sed -n 1p)" = "0 $RL_UID 1" ] || fail "$lines_"
	[ "$(printf '%s\n' "$lines_" | sed -n 2p)" = deny ] || fail "$lines_"
	run as_userns_root "$HUSK" kill "$ID" KILL
	assert_status 0
	run as_userns_root "$HUSK" delete --force "$ID"
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

@test "rootless: a bind asking exec, suid, dev or another atime of a noexec, nosuid, nodev source keeps them, saying so" {
	# The kernel locks an inherited mount's flags in a user namespace: runc keeps them silently.
	mkdir "$TMP/locked"
	mount -t tmpfs -o noexec,nosuid,nodev,noatime,mode=0755 tmpfs "$TMP/locked"
	update_config '.mounts += [{"destination": "/root", "type": "bind", "source": $src,
		"options": ["rbind", "exec", "suid", "dev"]}]' --arg src "$TMP/locked"
	local line options
	user_run cat /proc/self/mounts
	assert_status 0
	line=$(grep " /root " <<<"$output")
	options=,$(cut -d' ' -f4 <<<"$line"),
	[[ "$options" == *,noexec,* && "$options" == *,nosuid,* && "$options" == *,nodev,* ]] ||
		fail "the locked flags are not kept: $output"
	husk_only "runc refuses to change the atime mode"
	assert_output_contains "keeps nosuid, nodev, noexec of its source: the kernel locks them in a user namespace"
	update_config '.mounts[-1].options += ["strictatime"]'
	user_run cat /proc/self/mounts
	assert_status 0
	line=$(grep " /root " <<<"$output")
	[[ ",$(cut -d' ' -f4 <<<"$line")," == *,noatime,* ]] || fail "the locked atime mode is not kept: $output"
	assert_output_contains "keeps nosuid, nodev, noexec, its atime mode of its source"
}

@test "rootless: sysfs is bind-mounted when the network namespace is the host's, read-only with all its submounts" {
	update_config '(.mounts[] | select(.destination == "/sys")) |= {"destination": "/sys", "type": "sysfs",
		"source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}'
	# The host's mounts under /sys (its cgroups, securityfs...) come with the bind: none may stay writable.
	user_run sh -c 'ls /sys/class/net >/dev/null && echo sys=ok
		awk '\''$5 ~ "^/sys(/|$)" && $6 !~ /^ro,/ { print "writable=" $5 }'\'' /proc/self/mountinfo'
	assert_status 0
	[ "$(kv sys)" = ok ] || fail "$output"
	[[ "$output" != *writable=* ]] || fail "$output"
}

@test "rootless: several ranges go through newuidmap and newgidmap" {
	command -v newuidmap >/dev/null || skip "newuidmap not installed (Debian package uidmap)"
	map_subid_range '.process.user.additionalGids = [5]'
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

# A running container of the user whose init sleeps; its host pid in INIT_PID.
user_run_detached() {
	set_args sleep 600
	chown "$RL_USER:" "$BUNDLE/config.json"
	as_user "$HUSK" run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- ||
		fail "run: $(cat "$TMP/run.out")"
	INIT_PID=$(as_user "$HUSK" state "$ID" | jq -r .pid)
}

# The container's pid namespace belongs to its user namespace: only a process that entered the user namespace first
# may join it, which the unprivileged runtime itself may not do for its own.
@test "rootless: exec runs in every namespace of the container, as its root, and returns the output and exit status" {
	user_run_detached
	run as_user "$HUSK" exec "$ID" sh -c 'checker ns; echo pid=$$; echo ppid=$PPID; echo uid=$(id -u); echo gid=$(id -g)
		echo init=$(cat /proc/1/comm); echo setgroups=$(cat /proc/self/setgroups); echo out; echo err >&2; exit 3' </dev/null
	[ "$status" -eq 3 ] || fail "exit status $status, not 3: $output"
	for ns in user pid mnt ipc uts; do
		want=$(readlink "/proc/$INIT_PID/ns/$ns")
		[ "$(kv "ns.$ns")" = "$want" ] || fail "ns.$ns: got $(kv "ns.$ns"), init has $want"
	done
	# Below the container's init in its pid namespace, the parent (the runtime) outside it.
	[ "$(kv pid)" -gt 1 ] && [ "$(kv ppid)" = 0 ] && [ "$(kv init)" = sleep ] || fail "not in the pid namespace: $output"
	[ "$(kv uid)" = 0 ] && [ "$(kv gid)" = 0 ] || fail "ids: $output"
	# The user wrote the gid map itself: setgroups is denied there, and exec must not need it.
	[ "$(kv setgroups)" = deny ] || fail "$output"
	assert_output_contains out
	assert_output_contains err
	# --detach: the pid file names the process on the host, in the container's namespaces.
	as_user "$HUSK" exec --detach --pid-file "$XDG/exec.pid" "$ID" sleep 300 </dev/null >"$TMP/exec.out" 2>&1 3>&- ||
		fail "exec -d: $(cat "$TMP/exec.out")"
	pid=$(cat "$XDG/exec.pid")
	[ "$(cat "/proc/$pid/comm")" = sleep ] || fail "pid file: $pid is $(cat "/proc/$pid/comm")"
	[ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$INIT_PID/ns/pid")" ] || fail "pid file: $pid not in the container"
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ] || fail "the exec'd process is not the user's"
	# A command that cannot run fails with a message, and the container stays.
	run as_user "$HUSK" exec "$ID" /nonexistent </dev/null
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains /nonexistent
	[ "$(as_user "$HUSK" state "$ID" | jq -r .status)" = running ] || fail "the container did not survive"
}

@test "rootless: exec -t gets a pty of the container, through --console-socket or proxying the caller's terminal" {
	user_run_detached
	start_console_socket
	chmod 0777 "$TMP/console.sock"
	as_user "$HUSK" exec --detach --tty --console-socket "$TMP/console.sock" "$ID" \
		sh -c 'checker tty; echo owner=$(stat -c %u "$(tty)")' </dev/null >"$TMP/exec.out" 2>&1 3>&- ||
		fail "exec -t: $(cat "$TMP/exec.out")"
	wait_console_output
	output=$console
	[ "$(kv stdin.tty)" = 1 ] && [ "$(kv stdout.tty)" = 1 ] && [ "$(kv ctty)" = 1 ] || fail "no terminal: $output"
	[[ "$(kv stdin.ttyname)" == /dev/pts/* ]] || fail "the pty is not in the container's devpts: $output"
	# Made by the container's root, not by an id the user namespace does not map.
	[ "$(kv owner)" = 0 ] || fail "$output"
	# On a terminal (util-linux script), the runtime proxies it and returns the exit status.
	command -v script >/dev/null || skip "no script (util-linux)"
	mkfifo "$TMP/pty.in"
	exec {fd}<>"$TMP/pty.in"
	run script -qefc "setpriv --reuid=$RL_UID --regid=$RL_GID --init-groups --inh-caps=-all \
		env HOME=/nonexistent XDG_RUNTIME_DIR=$XDG $HUSK exec -t $ID sh -c 'checker tty; exit 5'" /dev/null <&$fd 3>&-
	exec {fd}>&-
	output=${output//$'\r'/}
	[ "$status" -eq 5 ] || fail "exit status $status, not 5: $output"
	[ "$(kv stdin.tty)" = 1 ] && [ "$(kv ctty)" = 1 ] || fail "no terminal: $output"
}

@test "rootless: exec --user runs as a mapped user of the container, which owns what it creates" {
	command -v newuidmap >/dev/null || skip "newuidmap not installed (Debian package uidmap)"
	map_subid_range '.mounts += [{"destination": "/shared", "type": "bind", "source": $shared, "options": ["rbind", "rw"]}]' \
		--arg shared "$TMP/shared"
	mkdir -m 0777 "$TMP/shared" "$BUNDLE/rootfs/shared"
	user_run_detached
	run as_user "$HUSK" exec --user 1000:1000 --additional-gids 5 "$ID" \
		sh -c 'echo uid=$(id -u) gid=$(id -g); echo groups=$(id -G); touch /shared/made' </dev/null
	assert_status 0
	[ "$(kv uid)" = "1000 gid=1000" ] || fail "$output"
	# newgidmap wrote the gid map: setgroups is allowed and the additional gid set.
	[ "$(kv groups)" = "1000 5" ] || fail "$output"
	[ "$(stat -c %u:%g "$TMP/shared/made")" = 520999:520999 ] || fail "owner: $(stat -c %u:%g "$TMP/shared/made")"
}

# As in a Kubernetes pod with user namespaces: the container joins the sandbox's user namespace and gets its own pid
# namespace, which must belong to the joined user namespace for the container's root to mount its proc.
@test "rootless: a user namespace of the user's joined by path, with a pid namespace of its own, and exec into it" {
	setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups --inh-caps=-all \
		unshare --user --map-root-user sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	local holder=$!
	BACKGROUND_PIDS+=("$holder")
	# unshare writes the maps before it executes sleep.
	retry 100 0.02 grep -qx sleep "/proc/$holder/comm"
	update_config '.linux.namespaces |= map(if .type == "user" then .path = $user else . end)
		| del(.linux.uidMappings, .linux.gidMappings)
		| .mounts += [{"destination": "/shared", "type": "bind", "source": $shared, "options": ["rbind", "rw"]}]' \
		--arg user "/proc/$holder/ns/user" --arg shared "$TMP/shared"
	mkdir -m 0777 "$TMP/shared" "$BUNDLE/rootfs/shared"
	user_run sh -c 'echo pid=$$; echo init=$(sed -n "s/^Name:\t//p" /proc/1/status); echo uid=$(id -u)
		grep -c "^proc /proc proc" /proc/self/mounts | sed s/^/proc=/
		echo userns=$(readlink /proc/self/ns/user); echo pidns=$(readlink /proc/self/ns/pid); touch /shared/made'
	assert_status 0
	[ "$(kv pid)" = 1 ] && [ "$(kv init)" = sh ] && [ "$(kv proc)" = 1 ] || fail "$output"
	[ "$(kv uid)" = 0 ] || fail "$output"
	[ "$(kv userns)" = "$(readlink "/proc/$holder/ns/user")" ] || fail "not in the joined user namespace: $output"
	[ "$(kv pidns)" != "$(readlink "/proc/$holder/ns/pid")" ] || fail "no pid namespace of its own: $output"
	[ "$(stat -c %u:%g "$TMP/shared/made")" = "$RL_UID:$RL_GID" ] || fail "owner: $(stat -c %u:%g "$TMP/shared/made")"
	user_run_detached
	[ "$(readlink "/proc/$INIT_PID/ns/user")" = "$(readlink "/proc/$holder/ns/user")" ] || fail "init not in the joined user namespace"
	run as_user "$HUSK" exec "$ID" sh -c 'echo pid=$$; echo init=$(cat /proc/1/comm); readlink /proc/self/ns/pid' </dev/null
	assert_status 0
	[ "$(kv pid)" -gt 1 ] && [ "$(kv init)" = sleep ] || fail "$output"
	assert_output_contains "$(readlink "/proc/$INIT_PID/ns/pid")"
}

# On v1 and hybrid hosts delegating a cgroup is handing its directory (and files) to the user; a systemd user
# slice does that on v2. Here every hierarchy's delegated dir is made by the test, as an administrator would.
@test "rootless: a cgroup delegated to the user is used: the container is placed in it and its limits applied" {
	local parent=husk-deleg-$ID dir
	[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] || skip "v1 and hybrid only: pure v2 has the \"cgroup v2:\" tests"
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

# ---- cgroup v2: delegation as systemd does it (Delegate=yes) ----
#
# On pure v2 an unprivileged user may create cgroups only where an administrator delegated a subtree: its
# directory and its cgroup.procs, cgroup.subtree_control and cgroup.threads are the user's. Moving a process
# also needs write access to cgroup.procs of the common ancestor of where it is and where it goes, so the user's
# processes must already live inside the subtree, in a leaf (v2 gives controllers only to the children of a
# cgroup without processes): root puts them there, as systemd does with the user manager.

# Skip unless /sys/fs/cgroup is cgroup2; the cgroup v2 VM runs these: tests/vm/run-cgroup-v2.sh.
require_pure_v2() {
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] ||
		skip "needs pure cgroup v2 (this host is v1 or hybrid): run it in the VM with VM_FILTER='^rootless: cgroup v2' bash tests/vm/run-cgroup-v2.sh tests/integration/rootless.bats"
}

# Make the cgroup /sys/fs/cgroup$1 (removed in teardown with all it holds) and hand it to the user as
# Delegate=yes does.
delegate_v2() {
	local dir=/sys/fs/cgroup$1
	mkdir "$dir"
	V2_CGROUPS+=("$dir")
	chown "$RL_USER:" "$dir" "$dir/cgroup.procs" "$dir/cgroup.subtree_control" "$dir/cgroup.threads"
}

# as_user from inside cgroup $1 (under /sys/fs/cgroup): root moves a subshell there first.
as_user_in() {
	local cg=$1
	shift
	(echo 0 >"/sys/fs/cgroup$cg/cgroup.procs" && as_user "$@")
}

@test "rootless: cgroup v2: a delegated cgroupsPath gets the container and its limits, and delete removes it" {
	require_pure_v2
	local deleg=/$ID-deleg
	delegate_v2 "$deleg"
	# The user makes its own leaf for the shell; the administrator enables controllers for the subtree.
	as_user mkdir "/sys/fs/cgroup$deleg/shell"
	echo "+pids +memory" >"/sys/fs/cgroup$deleg/cgroup.subtree_control"
	update_config '.linux.cgroupsPath = $p | .linux.resources = {"pids": {"limit": 17}, "memory": {"limit": 67108864}}' \
		--arg p "$deleg/c"
	set_args sleep 100
	chown "$RL_USER:" "$BUNDLE/config.json"
	as_user_in "$deleg/shell" "$HUSK" run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- ||
		fail "run: $(cat "$TMP/run.out")"
	local dir=/sys/fs/cgroup$deleg/c
	pid=$(as_user "$HUSK" state "$ID" | jq -r .pid)
	grep -qx "$pid" "$dir/cgroup.procs" || fail "container process $pid not in $dir: $(cat "/proc/$pid/cgroup")"
	[ "$(cat "$dir/pids.max")" = 17 ] || fail "pids.max: $(cat "$dir/pids.max")"
	[ "$(cat "$dir/memory.max")" = 67108864 ] || fail "memory.max: $(cat "$dir/memory.max")"
	# Made by the user, so its files are the user's (the kernel gives a new cgroup to its creator).
	[ "$(stat -c %u "$dir" "$dir/cgroup.procs" | sort -u)" = "$RL_UID" ] || fail "$(ls -ln "$dir" | head)"
	run as_user "$HUSK" delete -f "$ID"
	assert_status 0
	[ ! -e "$dir" ] || fail "$dir left behind"
	[ -d "/sys/fs/cgroup$deleg/shell" ] || fail "the delegated subtree itself must stay"
}

# runc (fs2, no systemd) puts a container without cgroupsPath in <parent of its own cgroup>/<id> (its own cgroup has
# processes, so controllers could not be enabled below it), and as rootless skips it when that cannot be created
# and no limits are set. husk does the same.
@test "rootless: cgroup v2: without cgroupsPath the cgroup is <parent of the caller's>/<id> if delegated, else skipped" {
	require_pure_v2
	local deleg=/$ID-deleg own
	delegate_v2 "$deleg"
	set_args cat /proc/self/cgroup
	# The host's view of the container's cgroup: no cgroup namespace (spec --rootless has one on this host).
	update_config 'del(.linux.namespaces[] | select(.type == "cgroup"))'
	# Not delegated (the caller's cgroup is root's): no cgroup, the container stays in the caller's, nothing left.
	own=$(cut -d: -f3 /proc/self/cgroup)
	user_run cat /proc/self/cgroup
	assert_status 0
	[ "$output" = "0::$own" ] || fail "expected the caller's cgroup $own"
	assert_no_cgroup
	# The caller's own cgroup is the user's but its parent is not: the same, <parent>/<id> cannot be made.
	run as_user_in "$deleg" "$HUSK" run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$output" = "0::$deleg" ] || fail "expected the caller's cgroup $deleg"
	assert_no_cgroup
	# From a leaf of the delegated subtree: <deleg>/<id>, removed when the container is.
	as_user mkdir "/sys/fs/cgroup$deleg/shell"
	run as_user_in "$deleg/shell" "$HUSK" run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$output" = "0::$deleg/$ID" ] || fail "expected $deleg/$ID"
	assert_no_cgroup
	[ -z "$(ls -A "$XDG/husk")" ] || fail "state left: $(ls -A "$XDG/husk")"
}

@test "rootless: a pids.limit of 0 and a classID of 0 need no cgroup: a new one has them already (as with runc)" {
	update_config '.linux.resources = {"pids": {"limit": 0}, "network": {"classID": 0}}'
	user_run true
	assert_status 0
	assert_no_cgroup
}

@test "rootless: cgroup v2: limits without a delegated cgroup fail, naming what is not delegated" {
	require_pure_v2
	husk_only "message text"
	local deleg=/$ID-deleg
	update_config '.linux.resources = {"pids": {"limit": 17}}'
	# No cgroupsPath and the caller's parent cgroup is root's (runc: "rootless needs no limits + no cgrouppath").
	user_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "rootless with linux.resources limits and no linux.cgroupsPath needs a cgroup it may create"
	assert_output_contains "is not delegated to uid $RL_UID: it cannot create \`$ID\` in"
	assert_no_cgroup
	# cgroupsPath outside any delegated subtree.
	update_config '.linux.cgroupsPath = $p' --arg p "/$ID-nodeleg/c"
	user_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "cgroup \`/$ID-nodeleg/c\` is not delegated to uid $RL_UID: it cannot create \`$ID-nodeleg\` in \`/sys/fs/cgroup\`, owned by uid 0"
	assert_output_contains "Delegate=yes"
	[ ! -e "/sys/fs/cgroup/$ID-nodeleg" ] || fail "cgroup made"
	# Delegated, but husk runs outside the subtree: the move needs the common ancestor's cgroup.procs.
	delegate_v2 "$deleg"
	update_config '.linux.cgroupsPath = $p' --arg p "$deleg/c"
	own=$(cut -d: -f3 /proc/self/cgroup)
	user_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "cgroup \`$deleg/c\` is not delegated to uid $RL_UID together with husk's own cgroup \`$own\`"
	assert_output_contains "/cgroup.procs\`, in their common ancestor, owned by uid 0"
	[ ! -e "/sys/fs/cgroup$deleg/c" ] || fail "cgroup left behind"
	# A controller the administrator did not enable for the subtree (memory: only pids reaches it).
	local top=/$ID-top
	mkdir "/sys/fs/cgroup$top"
	V2_CGROUPS=("/sys/fs/cgroup$top" "${V2_CGROUPS[@]}")
	echo +pids >"/sys/fs/cgroup$top/cgroup.subtree_control"
	delegate_v2 "$top/deleg"
	as_user mkdir "/sys/fs/cgroup$top/deleg/shell"
	update_config '.linux.cgroupsPath = $p | .linux.resources = {"memory": {"limit": 67108864}}' --arg p "$top/deleg/c"
	set_args true
	chown "$RL_USER:" "$BUNDLE/config.json"
	run as_user_in "$top/deleg/shell" "$HUSK" run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "expected a failure"
	assert_output_contains "cgroup controller \`memory\` is not delegated to uid $RL_UID: enable it in \`/sys/fs/cgroup$top/cgroup.subtree_control\`"
	[ ! -e "/sys/fs/cgroup$top/deleg/c" ] || fail "cgroup left behind"
	[ -z "$(ls -A "$XDG/husk" 2>/dev/null)" ] || fail "state left: $(ls -A "$XDG/husk")"
}

# --- the systemd cgroup driver with the user's own manager -------------------------------------------------------------

# Start a systemd --user manager of the test user (tests/lib/systemd-manager.sh), stopped in teardown.
start_user_manager() {
	[ -x /lib/systemd/systemd ] && command -v nsenter >/dev/null || skip "no systemd here (apt-get install systemd)"
	SDU_NAME=husk-it-sdu-$$-$BATS_TEST_NUMBER
	SDU_PID=$("$REPO_DIR/tests/lib/systemd-manager.sh" start "$SDU_NAME" "$RL_USER" 2>"$TMP/manager.err") ||
		skip "systemd --user could not run here for the test user: $(tail -n 1 "$TMP/manager.err")"
	SDU_ROOT=$TMP/sdroot
	mkdir -m 0700 "$SDU_ROOT"
	chown "$RL_USER:" "$SDU_ROOT"
	# The caller lives in the manager's subtree, as a user's programs do under its manager. (On a host booted
	# with systemd, PID 1 moves the others into the user's scopes on its manager's behalf: none here.)
	local dir
	SDU_CALLER=()
	for dir in $("$REPO_DIR/tests/lib/systemd-manager.sh" dirs "$SDU_NAME"); do
		mkdir "$dir/caller"
		chown -R "$RL_USER:" "$dir/caller"
		SDU_CALLER+=("$dir/caller")
	done
}

# husk --systemd-cgroup as the test user, in the manager's mount namespace and its caller cgroup.
sdu_husk() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	sh -c 'for d in $1; do echo $$ >"$d/cgroup.procs"; done; shift; exec "$@"' - "${SDU_CALLER[*]}" \
		nsenter --mount="/proc/$SDU_PID/ns/mnt" -- setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		--inh-caps=-all env HOME=/nonexistent XDG_RUNTIME_DIR="/run/user/$RL_UID" \
		"$HUSK" --root "$SDU_ROOT" --systemd-cgroup "$@"
}

sdu_ctl() {
	nsenter --mount="/proc/$SDU_PID/ns/mnt" -- setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		env XDG_RUNTIME_DIR="/run/user/$RL_UID" systemctl --user --no-pager "$@"
}

# sdu_kill_delete RUNNER: KILL the container through RUNNER (sdu_husk or sdu_husk_userns), wait until it is
# stopped, delete it, and check that its scope is gone from the user's manager.
sdu_kill_delete() {
	local runner=$1 unit=husk-$ID.scope
	"$runner" kill "$ID" KILL
	for _ in $(seq 1 100); do
		[ "$("$runner" state "$ID" | jq -r .status)" = stopped ] && break
		sleep 0.05
	done
	run "$runner" delete "$ID"
	assert_status 0
	[ -z "$(sdu_ctl list-units --all --plain --no-legend "$unit")" ] || fail "unit left: $(sdu_ctl status "$unit")"
}

@test "rootless: systemd: --systemd-cgroup puts the container in a scope of the user's own manager, delegated to it" {
	start_user_manager
	local v2=false
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && v2=true
	# Limits only where the user's manager can have them: systemd delegates the cgroup2 hierarchy alone.
	! $v2 || update_config '.linux.resources = {"pids": {"limit": 17}, "memory": {"limit": 67108864}}'
	set_args sleep 100
	chown "$RL_USER:" "$BUNDLE/config.json"
	sdu_husk run -d --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- || fail "run: $(cat "$TMP/run.out")"
	local unit=husk-$ID.scope pid cgroup dir
	pid=$(sdu_husk state "$ID" | jq -r .pid)
	[ "$(sdu_ctl show -P ActiveState "$unit")" = active ] || fail "unit $unit: $(sdu_ctl status "$unit" 2>&1)"
	[ "$(sdu_ctl show -P Slice "$unit")" = user.slice ]
	cgroup=$(sdu_ctl show -P ControlGroup "$unit")
	[[ "$cgroup" == "/$SDU_NAME/user.slice/$unit" ]] || fail "ControlGroup: $cgroup"
	grep -qx "0::$cgroup" "/proc/$pid/cgroup" || fail "init $pid not in $cgroup: $(cat "/proc/$pid/cgroup")"
	# Delegated: the scope is the user's, as are the files of what it manages below.
	if $v2; then dir=/sys/fs/cgroup$cgroup; else dir=/sys/fs/cgroup/unified$cgroup; fi
	[ "$(stat -c %u "$dir" "$dir/cgroup.procs" | sort -u)" = "$RL_UID" ] || fail "$(ls -ln "$dir" | head)"
	if $v2; then
		[ "$(cat "$dir/memory.max")" = 67108864 ] || fail "memory.max: $(cat "$dir/memory.max")"
		[ "$(cat "$dir/pids.max")" = 17 ] || fail "pids.max: $(cat "$dir/pids.max")"
		[ "$(sdu_ctl show -P MemoryMax "$unit")" = 67108864 ]
	fi
	sdu_kill_delete sdu_husk
	[ ! -e "$dir" ] || fail "$dir left behind"
}

# Rootless podman with its systemd cgroup manager: husk, root of podman's user namespace, gets --systemd-cgroup
# and must use the user's own manager (through $XDG_RUNTIME_DIR/systemd/private), not the system's.
@test "rootless: systemd: as root of a user namespace that is not the host's, --systemd-cgroup uses the user's manager" {
	start_user_manager
	update_config 'del(.linux.uidMappings, .linux.gidMappings) | .linux.namespaces |= map(select(.type != "user"))'
	set_args sleep 100
	chown "$RL_USER:" "$BUNDLE/config.json"
	sdu_husk_userns run -d --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- ||
		fail "run: $(cat "$TMP/run.out")"
	local unit=husk-$ID.scope pid cgroup
	pid=$(sdu_husk_userns state "$ID" | jq -r .pid)
	[ "$(sdu_ctl show -P ActiveState "$unit")" = active ] || fail "unit $unit: $(sdu_ctl status "$unit" 2>&1)"
	cgroup=$(sdu_ctl show -P ControlGroup "$unit")
	[[ "$cgroup" == "/$SDU_NAME/user.slice/$unit" ]] || fail "ControlGroup: $cgroup"
	grep -qx "0::$cgroup" "/proc/$pid/cgroup" || fail "init $pid not in $cgroup: $(cat "/proc/$pid/cgroup")"
	sdu_kill_delete sdu_husk_userns
}

# sdu_husk, as root of a new user namespace of the user's (a new one each call, as podman's commands after a
# restart of its pause process), without --root: the default is the user's.
sdu_husk_userns() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	sh -c 'for d in $1; do echo $$ >"$d/cgroup.procs"; done; shift; exec "$@"' - "${SDU_CALLER[*]}" \
		nsenter --mount="/proc/$SDU_PID/ns/mnt" -- setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		--inh-caps=-all env -u USER HOME=/nonexistent XDG_RUNTIME_DIR="/run/user/$RL_UID" \
		unshare --user --map-root-user "$HUSK" --systemd-cgroup "$@"
}
