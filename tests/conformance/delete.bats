#!/usr/bin/env bats
# runtime-spec 1.2 runtime.md, "Delete" and lifecycle step 12: delete undoes create, only for stopped
# containers, and leaves alone what the container did not create.

load ../integration/helpers
load conformance

setup_file() { conformance_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# The cgroup directories of PID that are not the caller's own, one a line.
own_cgroup_dirs() {
	local hid controllers path c
	while IFS=: read -r hid controllers path; do
		grep -qx "$hid:$controllers:$path" "/proc/$$/cgroup" && continue
		if [ -z "$controllers" ]; then
			[ -d /sys/fs/cgroup/unified ] && echo "/sys/fs/cgroup/unified$path" || echo "/sys/fs/cgroup$path"
			continue
		fi
		for c in ${controllers//,/ }; do echo "/sys/fs/cgroup/${c#name=}$path"; done
	done <"/proc/$1/cgroup"
}

# runtime.md Delete: "This operation MUST generate an error if it is not provided the container ID."
@test "runtime.md delete: MUST generate an error without a container ID" {
	set_args true
	husk_create
	husk start "$ID"
	wait_for_status stopped
	run husk delete
	[ "$status" -ne 0 ] || fail "delete without an id succeeded"
	[ "$(container_status)" = stopped ] || fail "status $(container_status)"
}

# runtime.md Delete: "Attempting to delete a container that is not stopped MUST have no effect on the container
# and MUST generate an error." (a container that does not exist)
@test "runtime.md delete: MUST generate an error for a container that does not exist" {
	run husk delete "$ID"
	[ "$status" -ne 0 ] || fail "delete of an unknown id succeeded"
}

# runtime.md Delete: "Attempting to delete a container that is not stopped MUST have no effect on the container
# and MUST generate an error." (created) A deliberate deviation, as runc and crun: a created container is killed
# and deleted without --force. containerd's runc shim deletes a task that never started with a plain `delete`
# (its createdState.Delete), which would fail and leave the task behind otherwise.
@test "runtime.md delete: a created container is killed and deleted, as runc and crun do (a deviation)" {
	add_shared_dir
	set_args sh -c 'echo ran > /shared/ran; exec sleep 600'
	husk_create
	pid=$(container_pid)
	cgroups=$(own_cgroup_dirs "$pid")
	[ -n "$cgroups" ] || fail "no cgroup found for $pid"
	husk delete "$ID"
	retry 100 0.05 process_gone "$pid" || fail "the init $pid outlived delete"
	[ ! -e "$TMP/shared/ran" ] || fail "the container's process ran"
	[ ! -e "$ROOT/$ID" ] || fail "the state dir is left"
	for d in $cgroups; do [ ! -d "$d" ] || fail "cgroup $d left"; done
}

# runtime.md Delete: "Attempting to delete a container that is not stopped MUST have no effect on the container
# and MUST generate an error." (running)
@test "runtime.md delete: deleting a running container MUST generate an error and have no effect" {
	set_args sleep 600
	husk_create
	husk start "$ID"
	pid=$(container_pid)
	cgroups=$(own_cgroup_dirs "$pid")
	run husk delete "$ID"
	[ "$status" -ne 0 ] || fail "delete of a running container succeeded"
	[ "$(container_status)" = running ] && [ "$(container_pid)" = "$pid" ] || fail "the container changed"
	kill -0 "$pid" || fail "the container process is gone"
	for d in $cgroups; do [ -d "$d" ] || fail "cgroup $d removed"; done
	[ -d "$ROOT/$ID" ] || fail "the state dir is gone"
}

# runtime.md Delete: "Deleting a container MUST delete the resources that were created during the create step."
# (Lifecycle step 12: "The container MUST be destroyed by undoing the steps performed during create phase".)
@test "runtime.md delete: MUST delete the resources that were created during create" {
	update_config '.linux.resources.pids = {"limit": 50}'
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	cgroups=$(own_cgroup_dirs "$pid")
	[ -n "$cgroups" ] || fail "the container has no cgroup of its own"
	netns=$(ns_of "$pid" net)
	mntns=$(ns_of "$pid" mnt)
	husk start "$ID"
	husk kill "$ID" KILL
	wait_for_status stopped
	husk delete "$ID"
	run husk state "$ID"
	[ "$status" -ne 0 ] || fail "the deleted container still has a state"
	[ ! -e "$ROOT/$ID" ] || fail "state dir $ROOT/$ID left"
	for d in $cgroups; do
		if [ -d "$d" ]; then fail "cgroup $d left"; fi
	done
	# the namespaces go with the last process in them (-lname takes a pattern: escape the brackets of net:[N];
	# find fails on the processes that exit while it walks /proc, hence || true)
	left=$(find /proc/[0-9]*/ns -maxdepth 1 \( -lname "$(sed 's/[][]/\\&/g' <<<"$netns")" \
		-o -lname "$(sed 's/[][]/\\&/g' <<<"$mntns")" \) 2>/dev/null || true)
	[ -z "$left" ] || fail "processes still in the container's namespaces: $left"
}

# runtime.md Delete: "Note that resources associated with the container, but not created by this container, MUST
# NOT be deleted."
@test "runtime.md delete: resources the container did not create MUST NOT be deleted" {
	# a bind-mounted host directory, a network namespace joined by path, a parent cgroup that existed before
	mkdir "$TMP/keep"
	echo kept >"$TMP/keep/file"
	holder=$(unshare --net sleep 600 </dev/null >/dev/null 2>&1 3>&- & echo $!)
	BACKGROUND_PIDS+=("$holder")
	retry 100 0.02 sh -c "[ \"\$(readlink /proc/$holder/ns/net)\" != \"$(ns_of $$ net)\" ]"
	holder_ns=$(ns_of "$holder" net)
	parent=/sys/fs/cgroup/pids/$ID-parent
	[ -d /sys/fs/cgroup/pids ] || parent=/sys/fs/cgroup/$ID-parent
	mkdir "$parent"
	update_config '.mounts += [{"destination": "/keep", "type": "bind", "source": $keep, "options": ["rbind", "rw"]}]
		| (.linux.namespaces[] | select(.type == "network")) |= {"type": "network", "path": $netns}
		| .linux.cgroupsPath = $cg' \
		--arg keep "$TMP/keep" --arg netns "/proc/$holder/ns/net" --arg cg "/$ID-parent/ctr"
	set_args sh -c 'echo changed-inside > /keep/inside'
	husk_create
	[ "$(ns_of "$(container_pid)" net)" = "$holder_ns" ] || fail "the container did not join the network namespace"
	husk start "$ID"
	wait_for_status stopped
	husk delete "$ID"
	[ "$(cat "$TMP/keep/file")" = kept ] && [ "$(cat "$TMP/keep/inside")" = changed-inside ] ||
		fail "the bind-mounted host directory lost its content"
	kill -0 "$holder" && [ "$(ns_of "$holder" net)" = "$holder_ns" ] || fail "the joined namespace's holder changed"
	[ -d "$parent" ] || fail "the pre-existing parent cgroup $parent was removed"
	[ -x "$BUNDLE/rootfs/bin/busybox" ] && [ -f "$BUNDLE/config.json" ] || fail "the bundle was touched"
}

# runtime.md Delete: "Once a container is deleted its ID MAY be used by a subsequent container." (A MAY, which
# husk implements: a deleted id is free again.)
@test "runtime.md delete: a deleted container's ID can be used by a subsequent container" {
	set_args true
	husk_create
	husk start "$ID"
	wait_for_status stopped
	husk delete "$ID"
	set_args sleep 600
	husk_create
	[ "$(container_status)" = created ] || fail "status of the second container: $(container_status)"
	husk start "$ID"
	[ "$(cmdline_of "$(container_pid)")" = "sleep 600 " ] || fail "the second container runs the first's program"
}
