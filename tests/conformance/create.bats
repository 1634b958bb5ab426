#!/usr/bin/env bats
# runtime-spec 1.2 runtime.md, "Create", lifecycle step 2 and "Errors": what create makes, what it must not
# run yet, and what it must refuse without leaving anything behind.

load ../integration/helpers
load conformance

setup_file() { conformance_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# runtime.md Create: "This operation MUST generate an error if it is not provided a path to the bundle and the
# container ID to associate with the container."
@test "runtime.md create: MUST generate an error without a container ID or without a bundle" {
	set_args sleep 600
	# (not `run`: a create that wrongly succeeded would leave its init holding run's pipe)
	if husk create --bundle "$BUNDLE" </dev/null >"$TMP/out" 2>&1 3>&-; then fail "create without an id succeeded"; fi
	[ -z "$(ls -A "$ROOT")" ] || fail "create without an id left $(ls -A "$ROOT")"
	# no bundle: the runc CLI takes the current directory, which holds no config.json here
	cd "$TMP"
	if husk create "$ID" </dev/null >"$TMP/out" 2>&1 3>&-; then fail "create without a bundle succeeded"; fi
	cd /
	assert_nothing_left
}

# runtime.md Create: "If the ID provided is not unique across all containers within the scope of the runtime
# [...] the implementation MUST generate an error and a new container MUST NOT be created."
@test "runtime.md create: a non-unique ID MUST generate an error and no new container is created" {
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	# A second bundle whose container would show itself: a createRuntime hook and a process of its own.
	cp -a "$BUNDLE" "$TMP/second"
	printf '#!/bin/sh\ntouch %s/second-hook-ran\n' "$TMP" >"$TMP/second-hook"
	chmod 0755 "$TMP/second-hook"
	jq --arg h "$TMP/second-hook" '.hooks.createRuntime = [{"path": $h}]' "$BUNDLE/config.json" \
		>"$TMP/second/config.json"
	if husk create --bundle "$TMP/second" "$ID" </dev/null >"$TMP/out" 2>&1 3>&-; then
		fail "a second create of $ID succeeded"
	fi
	[ ! -e "$TMP/second-hook-ran" ] || fail "the second container was set up far enough to run its hooks"
	[ -z "$(marker_pids "$TMP/second")" ] || fail "a process of the second create is left"
	[ "$(husk list -q)" = "$ID" ] || fail "containers: $(husk list -q)"
	[ "$(container_status)" = created ] && [ "$(container_pid)" = "$pid" ] || fail "the first container changed"
	[ "$(jq -r .bundle <<<"$(husk state "$ID")")" = "$BUNDLE" ] || fail "the first container's bundle changed"
}

# runtime.md Create: "If the ID provided is [...] not valid in any other way, the implementation MUST generate
# an error and a new container MUST NOT be created."
@test "runtime.md create: an invalid ID MUST generate an error and no container is created" {
	set_args sleep 600
	for bad in a/b .. . "" "../$(basename "$TMP")-escape" "$(printf 'x%.0s' $(seq 1100))"; do
		if husk create --bundle "$BUNDLE" "$bad" </dev/null >"$TMP/out" 2>&1 3>&-; then
			fail "id '${bad:0:40}' accepted"
		fi
		[ -z "$(ls -A "$ROOT")" ] || fail "id '${bad:0:40}' left $(ls -A "$ROOT")"
	done
	[ ! -e "$(dirname "$ROOT")/$(basename "$TMP")-escape" ] || fail "an id with .. made a directory outside the root"
	[ -z "$(marker_pids "$BUNDLE")" ] || fail "a container process is left"
}

# runtime.md Create: "This operation MUST create a new container." State: created is "after step 2".
@test "runtime.md create: MUST create a new container, in status created, in namespaces of its own" {
	set_args sleep 600
	husk_create
	[ "$(container_status)" = created ] || fail "status $(container_status)"
	pid=$(container_pid)
	kill -0 "$pid" || fail "no container process"
	for ns in pid net ipc uts mnt; do
		[ "$(ns_of "$pid" $ns)" != "$(ns_of $$ $ns)" ] || fail "the container shares the host's $ns namespace"
	done
}

# runtime.md Create: "All of the properties configured in config.json except for process MUST be applied."
@test "runtime.md create: every property but process MUST be applied by create, before start" {
	update_config '.hostname = "conformance-host"
		| .mounts += [{"destination": "/conf-mnt", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]
		| .linux.sysctl = {"kernel.msgmax": "4321"}
		| .linux.resources.pids = {"limit": 123}'
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	[ "$(nsenter -t "$pid" --uts hostname)" = conformance-host ] || fail "hostname not set at create"
	[ "$(nsenter -t "$pid" --ipc cat /proc/sys/kernel/msgmax)" = 4321 ] || fail "sysctl not applied at create"
	awk '$5 == "/conf-mnt" { found = 1 } END { exit !found }' "/proc/$pid/mountinfo" || fail "mount not made at create"
	awk '$5 == "/proc/keys" { found = 1 } END { exit !found }' "/proc/$pid/mountinfo" ||
		fail "maskedPaths not applied at create"
	root_opts=$(awk '$5 == "/" { opts = $6 } END { print opts }' "/proc/$pid/mountinfo")
	[[ ",$root_opts," == *,ro,* ]] || fail "root.readonly not applied at create: $root_opts"
	[ "$(cat "$(cgroup_dir_of "$pid" pids)/pids.max")" = 123 ] || fail "linux.resources not applied at create"
	[ "$(container_status)" = created ]
}

# runtime.md Create: "process.args MUST NOT be applied until triggered by the start operation."
@test "runtime.md create: process.args MUST NOT be applied until start" {
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	[ "$(cmdline_of "$pid")" != "sleep 600 " ] || fail "process.args applied by create"
	[ "$(readlink "/proc/$pid/exe")" != "$(readlink -f "$BUNDLE/rootfs/bin/busybox")" ] ||
		fail "the container process already executes the program"
	husk start "$ID"
	[ "$(cmdline_of "$pid")" = "sleep 600 " ] || fail "start did not apply process.args: $(cmdline_of "$pid")"
}

# runtime.md Lifecycle step 2: "While the resources requested in the config.json MUST be created, the
# user-specified program (from process) MUST NOT be run at this time."
@test "runtime.md lifecycle 2: the user-specified program MUST NOT run during create" {
	add_shared_dir
	set_args sh -c 'echo ran >> /shared/ran; exec sleep 600'
	husk_create
	pid=$(container_pid)
	sleep 0.3
	[ ! -e "$TMP/shared/ran" ] || fail "the program ran at create"
	# nothing but the container's init in its cgroup
	[ "$(cat "$(cgroup_dir_of "$pid" pids)/cgroup.procs")" = "$pid" ] || fail "more processes in the container"
	husk start "$ID"
	retry 100 0.05 test -s "$TMP/shared/ran"
	[ "$(cat "$TMP/shared/ran")" = ran ]
}

# runtime.md Lifecycle step 2: "Any updates to config.json after this step MUST NOT affect the container."
@test "runtime.md lifecycle 2: updates to config.json after create MUST NOT affect the container" {
	add_shared_dir
	update_config '.hostname = "before" | .process.env += ["CONF=before"]'
	set_args sh -c 'echo "$CONF $(hostname)" > /shared/out'
	husk_create
	# Everything start or delete could read again: the process, the hostname, hooks for later stages.
	printf '#!/bin/sh\ntouch %s/$1\n' "$TMP" >"$TMP/late-hook"
	chmod 0755 "$TMP/late-hook"
	update_config '.hostname = "after" | .process.env = ["CONF=after"]
		| .process.args = ["sh", "-c", "echo after > /shared/out"]
		| .hooks.startContainer = [{"path": "/bin/false"}]
		| .hooks.poststart = [{"path": $h, "args": ["late-hook", "poststart-ran"]}]
		| .hooks.poststop = [{"path": $h, "args": ["late-hook", "poststop-ran"]}]' --arg h "$TMP/late-hook"
	husk start "$ID"
	wait_for_status stopped
	husk delete "$ID"
	[ "$(cat "$TMP/shared/out")" = "before before" ] || fail "the container ran with: $(cat "$TMP/shared/out")"
	[ ! -e "$TMP/poststart-ran" ] || fail "a poststart hook added after create ran"
	[ ! -e "$TMP/poststop-ran" ] || fail "a poststop hook added after create ran"
}

# runtime.md Create: "If the runtime cannot apply a property as specified in the configuration, it MUST generate
# an error and a new container MUST NOT be created." (Lifecycle step 2: "If the runtime is unable to create the
# environment specified in the config.json, it MUST generate an error.")
@test "runtime.md create: a property that cannot be applied MUST generate an error and no container" {
	set_args sleep 600
	expect_config_rejected '.mounts += [{"destination": "/conf", "type": "conformancefs", "source": "none"}]'
	expect_config_rejected '.mounts += [{"destination": "/conf", "type": "none", "source": "/nonexistent-conformance",
		"options": ["rbind"]}]'
	expect_config_rejected '.linux.sysctl = {"kernel.conformance_no_such_key": "1"}'
	expect_config_rejected '.linux.sysctl = {"kernel.msgmax": "not-a-number"}'
	expect_config_rejected '.linux.namespaces += [{"type": "cgroup", "path": "/nonexistent-conformance"}]'
	expect_config_rejected '.process.oomScoreAdj = 5000'
	expect_config_rejected '.root.path = "/nonexistent-conformance"'
}

# runtime.md Errors: "Unless otherwise stated, generating an error MUST leave the state of the environment as if
# the operation were never attempted - modulo any possible trivial ancillary changes such as logging."
@test "runtime.md errors: a create failing late leaves the host as if it had not been attempted" {
	# A createRuntime hook sees what create had made by then (the init, its cgroup); a sysctl value the
	# kernel refuses fails create after that.
	cat >"$TMP/snap-hook" <<EOF
#!/bin/sh
pid=\$(sed -n 's/.*"pid" *: *\([0-9]*\).*/\1/p')
echo "\$pid" >$TMP/snap.pid
cat /proc/\$pid/cgroup >$TMP/snap.cgroup
EOF
	chmod 0755 "$TMP/snap-hook"
	update_config '.hooks.createRuntime = [{"path": $h}]
		| .linux.resources.pids = {"limit": 99}
		| .mounts += [{"destination": "/conf-mnt", "type": "tmpfs", "source": "tmpfs"}]
		| .linux.sysctl = {"kernel.msgmax": "not-a-number"}' --arg h "$TMP/snap-hook"
	set_args sleep 600
	expect_create_error
	[ -s "$TMP/snap.pid" ] || fail "create failed before its createRuntime hooks: the test needs a later failure"
	process_gone "$(cat "$TMP/snap.pid")" || fail "the container process of the failed create still runs"
	# every cgroup the container had that is not the caller's own
	while IFS=: read -r hid controllers path; do
		grep -qx "$hid:$controllers:$path" "/proc/$$/cgroup" && continue
		dirs=()
		for c in ${controllers//,/ }; do dirs+=("/sys/fs/cgroup/${c#name=}$path"); done
		[ -n "$controllers" ] || dirs+=("/sys/fs/cgroup/unified$path" "/sys/fs/cgroup$path")
		for d in "${dirs[@]}"; do
			if [ -d "$d" ]; then fail "cgroup $d left"; fi
		done
	done <"$TMP/snap.cgroup"
}
