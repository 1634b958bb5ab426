#!/bin/bash
# A real systemd service manager for tests of the systemd cgroup driver on a host that was not booted with
# systemd: `systemd --user` of root, run in a mount namespace of its own where /run is a fresh tmpfs holding
# /run/systemd/system (what systemd checks for a systemd-booted host) and, with XDG_RUNTIME_DIR=/run, its
# private D-Bus socket at /run/systemd/private, where husk finds the system manager's. It manages the cgroup
# it is started in: a new one under each cgroup2 hierarchy (and name=systemd on hybrid hosts). Nothing
# outside that cgroup and that mount namespace changes; stop also removes NAME from the v1 hierarchies, where
# husk makes the parents of its containers' cgroups.
#
# usage: systemd-manager.sh start NAME [USER]  prints the manager's pid once its socket answers
#        systemd-manager.sh stop NAME PID        stops it (its units stop with it) and removes its cgroups
#        systemd-manager.sh dirs NAME            the manager's cgroup directories (one per hierarchy it uses)
# Enter its mount namespace to use it: nsenter --mount=/proc/PID/ns/mnt -- COMMAND.
# With USER, the manager is that user's own, as on a host where the user has logged in: its cgroup is
# delegated to the user (chowned, as systemd's user@.service gets it) and its private socket is
# /run/user/UID/systemd/private (XDG_RUNTIME_DIR=/run/user/UID).
set -euo pipefail

systemd=/lib/systemd/systemd

# The directories the manager's cgroup gets: pure v2, or hybrid's cgroup2 plus name=systemd.
cgroup_dirs() {
	local name=$1
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo "/sys/fs/cgroup/$name"
	elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo "/sys/fs/cgroup/unified/$name"
		[ -d /sys/fs/cgroup/systemd ] && echo "/sys/fs/cgroup/systemd/$name"
	else
		echo "systemd-manager: no cgroup2 hierarchy here" >&2
		return 1
	fi
}

# rmdir a cgroup tree, deepest first.
remove_tree() {
	[ -d "$1" ] || return 0
	find "$1" -depth -type d -exec rmdir {} + 2>/dev/null || true
	[ ! -d "$1" ]
}

start() {
	local name=$1 user=${2:-} dir dirs log uid=0 gid=0 runtime=/run
	[ -x "$systemd" ] || {
		echo "systemd-manager: no $systemd (apt-get install systemd)" >&2
		return 1
	}
	if [ -n "$user" ]; then
		uid=$(id -u "$user") && gid=$(id -g "$user") || return 1
		runtime=/run/user/$uid
	fi
	dirs=$(cgroup_dirs "$name")
	for dir in $dirs; do
		mkdir "$dir"
		[ -z "$user" ] || chown -R "$uid:$gid" "$dir"
	done
	log=${TMPDIR:-/tmp}/systemd-manager.$name.log
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private sh -c '
		for dir in $1; do echo $$ >"$dir/cgroup.procs"; done
		mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/systemd/system "$3" && chown "$4:$5" "$3" &&
			chmod 0700 "$3" || exit 1
		export XDG_RUNTIME_DIR=$3
		[ "$4" = 0 ] || exec setpriv --reuid="$4" --regid="$5" --clear-groups --inh-caps=-all env HOME=/ \
			"$2" --user --log-target=console --log-level=notice
		exec "$2" --user --log-target=console --log-level=notice' - "$dirs" "$systemd" "$runtime" "$uid" "$gid" \
		</dev/null >"$log" 2>&1 3>&- &
	local pid=$!
	for _ in $(seq 1 300); do
		if nsenter --mount="/proc/$pid/ns/mnt" -- test -S "$runtime/systemd/private" 2>/dev/null &&
			nsenter --mount="/proc/$pid/ns/mnt" -- setpriv --reuid="$uid" --regid="$gid" --clear-groups \
				env XDG_RUNTIME_DIR="$runtime" systemctl --user is-system-running >/dev/null 2>&1; then
			echo "$pid"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "systemd-manager: systemd --user did not come up: $(tail -n 5 "$log" 2>/dev/null)" >&2
	stop "$name" "$pid"
	return 1
}

stop() {
	local name=$1 pid=$2 dir ok=0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	# Its own cgroups, and the parents of the containers' ones that husk made in the v1 hierarchies.
	for dir in $(cgroup_dirs "$name") /sys/fs/cgroup/*/"$name"; do
		[ -d "$dir" ] || continue
		# What is left (a unit's process systemd could not stop) goes with the cgroup.
		if [ -f "$dir/cgroup.kill" ]; then
			echo 1 >"$dir/cgroup.kill" 2>/dev/null || true
		fi
		for _ in $(seq 1 50); do
			remove_tree "$dir" && break
			sleep 0.1
		done
		[ -d "$dir" ] && ok=1
	done
	rm -f "${TMPDIR:-/tmp}/systemd-manager.$name.log"
	return $ok
}

case "${1:-}" in
start) start "$2" "${3:-}" ;;
dirs) cgroup_dirs "$2" ;;
stop) stop "$2" "$3" ;;
*)
	echo "usage: $0 start NAME [USER] | stop NAME PID | dirs NAME" >&2
	exit 2
	;;
esac
