#!/usr/bin/env bats
# Rootless podman drives husk: podman, run by an unprivileged user (nobody here), runs husk as root of a user
# namespace it made itself, the user's own id its only mapping (nobody has no /etc/subuid range, so setgroups is
# denied there), and gives the container no user namespace of its own. husk must take that as rootless, as runc
# does: its state under $XDG_RUNTIME_DIR/husk, cgroups only where delegated (none on this v1 host), no setgroups.
#
# Everything podman writes lives under $CTMP: its storage in $HOME (there), its run root, events and locks in
# $XDG_RUNTIME_DIR (there), husk's state too. The image is imported offline from the busybox rootfs of
# tests/lib/make-bundle.sh. teardown_file kills podman's pause process, which holds the user namespace and the
# mount namespace podman's overlay mounts live in, so nothing of it stays on the host.

load helpers

IMAGE=localhost/husk-busybox:rootless
RL_UID=65534

setup_file() {
	clients_require_husk
	if ! clients_install podman conmon; then
		skip "podman cannot run here: $CLIENTS_MISSING not installed and tests/clients/setup.sh could not install it"
	fi
	[ "$(id -un "$RL_UID" 2>/dev/null)" = nobody ] || skip "no user nobody (uid $RL_UID) to run podman as"
	setpriv --reuid="$RL_UID" --regid="$RL_UID" --clear-groups unshare --user true 2>/dev/null ||
		skip "this kernel lets no unprivileged user make a user namespace (kernel.unprivileged_userns_clone)"
	CTMP=$(mktemp -d /tmp/husk-podman-rootless.XXXXXX)
	export CTMP
	chmod 0755 "$CTMP"
	mkdir -p "$CTMP/home" "$CTMP/xdg"
	chmod 0700 "$CTMP/xdg"
	# A copy the user can execute wherever the build tree is.
	install -m 0755 "$HUSK" "$CTMP/husk"
	cat >"$CTMP/home/containers.conf" <<-EOF
		[containers]
		netns = "none"
		[engine]
		runtime = "husk"
		runtime_supports_json = ["husk", "crun", "runc"]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$CTMP/xdg/events.log"
		[engine.runtimes]
		husk = ["$CTMP/husk"]
	EOF
	chown -R "$RL_UID:$RL_UID" "$CTMP/home" "$CTMP/xdg"
	make_rootfs_tar "$CTMP/rootfs.tar"
	chmod 0644 "$CTMP/rootfs.tar"
	run rl import --change 'CMD ["sh"]' "$CTMP/rootfs.tar" "$IMAGE"
	[ "$status" -eq 0 ] || {
		echo "# podman import as nobody failed: $output" >&3
		return 1
	}
}

teardown_file() {
	[ -n "${CTMP:-}" ] || return 0
	local pid
	rl rm -af -t 0 >/dev/null 2>&1 || true
	for pid in $(cat "$CTMP/xdg/libpod/tmp/pause.pid" 2>/dev/null) $(pids_with_arg "$CTMP/"); do
		kill -9 "$pid" 2>/dev/null || true
	done
	clients_teardown_tmp
}

teardown() {
	rl rm -af -t 0 >/dev/null 2>&1 || true
}

# podman as the unprivileged user, with nothing of root's environment, in a directory it can enter (podman
# re-executes itself in the caller's directory, which can be a clone under /root).
rl() {
	setpriv --reuid="$RL_UID" --regid="$RL_UID" --clear-groups --inh-caps=-all \
		env -C / -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$CTMP/home" XDG_RUNTIME_DIR="$CTMP/xdg" \
		CONTAINERS_CONF="$CTMP/home/containers.conf" podman "$@" </dev/null
}

# Container dirs in husk's state root under $XDG_RUNTIME_DIR (its seccomp cache aside).
husk_state_dirs() {
	ls "$CTMP/xdg/husk" 2>/dev/null
}

@test "podman rootless: run --rm as an unprivileged user runs in podman's user namespace and returns the status" {
	run rl run --rm "$IMAGE" sh -c 'cat /proc/self/uid_map; cat /proc/self/setgroups; id -u; exit 3'
	assert_status 3
	# podman's single-id namespace, as husk got it: no user namespace of the container's own
	printf '%s\n' "$output" | tr -s ' ' | grep -qx " *0 $RL_UID 1" || fail "uid_map is not podman's"
	assert_output_contains deny
	[ -d "$CTMP/xdg/husk" ] || fail "husk kept no state under \$XDG_RUNTIME_DIR/husk"
	[ -z "$(husk_state_dirs)" ] || fail "state left: $(husk_state_dirs)"
}

@test "podman rootless: run -d, exec, stop and rm" {
	run rl run -d --name svc "$IMAGE" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	assert_status 0
	local id=$output
	[ -f "$CTMP/xdg/husk/$id/state.json" ] || fail "no state for $id under \$XDG_RUNTIME_DIR/husk"
	run rl exec svc sh -c 'echo exec says hi; id -u'
	assert_status 0
	assert_output_contains "exec says hi"
	run rl exec svc sh -c 'exit 5'
	assert_status 5
	run rl stop -t 5 svc
	assert_status 0
	[ "$(rl inspect --format '{{.State.Status}} {{.State.ExitCode}}' svc)" = "exited 0" ] || fail "not exited 0"
	run rl rm svc
	assert_status 0
	[ -z "$(husk_state_dirs)" ] || fail "state left: $(husk_state_dirs)"
}
