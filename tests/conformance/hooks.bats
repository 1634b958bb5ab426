#!/usr/bin/env bats
# runtime-spec 1.2 config.md "POSIX-platform Hooks" and runtime.md lifecycle steps 3-13: when each hook stage
# runs, where its path resolves, which namespaces it runs in, the state it reads on stdin, and what a failing
# hook does to the lifecycle.

load ../integration/helpers
load conformance

setup_file() { conformance_setup_file; }
setup() {
	husk_setup
	HOOKLOG=$TMP/hooklog
	LOG=$HOOKLOG/log
	mkdir -p "$HOOKLOG"
	chmod 0777 "$HOOKLOG"
	# The same script on the host (runtime namespace) and in the rootfs (container namespace); the log dir is
	# bound at /hooklog so that hooks and the program inside append to the same log.
	write_hook_script "$TMP/hook"
	write_hook_script "$BUNDLE/rootfs/bin/conf-hook"
	update_config '.mounts += [{"destination": "/hooklog", "type": "bind", "source": $d, "options": ["rbind", "rw"]}]
		| .linux.namespaces += [{"type": "cgroup"}]' --arg d "$HOOKLOG"
}
teardown() { husk_teardown; }

# host_hook NAME [EXIT]: a hook entry running $TMP/hook in the runtime namespace, logging NAME.
host_hook() {
	jq -n --arg p "$TMP/hook" --arg n "$1" --arg d "$HOOKLOG" --arg x "${2:-0}" \
		'{"path": $p, "args": ["hook", $n, $d, $x]}'
}

# ctr_hook NAME [EXIT]: a hook entry whose path resolves in the container (for startContainer).
ctr_hook() {
	jq -n --arg n "$1" --arg x "${2:-0}" '{"path": "/bin/conf-hook", "args": ["conf-hook", $n, "/hooklog", $x]}'
}

add_hook() {
	update_config '.hooks[$stage] += [$hook]' --arg stage "$1" --argjson hook "$2"
}

# One hook per stage, each logging its stage name.
add_all_hooks() {
	local stage
	for stage in prestart createRuntime createContainer poststart poststop; do
		add_hook "$stage" "$(host_hook "$stage")"
	done
	add_hook startContainer "$(ctr_hook startContainer)"
}

# The log as one line of words.
log_words() {
	[ -f "$LOG" ] && xargs <"$LOG"
}

# create, start, wait for the program to exit, delete.
full_lifecycle() {
	husk_create
	husk start "$ID"
	wait_for_status stopped
	husk delete "$ID"
}

# The container $1 is stopped or gone.
not_running() {
	[ "$(container_status "$1")" != running ]
}

# assert_ns STAGE WHOSE: the namespaces hook STAGE ran in are those of process WHOSE.
assert_ns() {
	local stage=$1 pid=$2 ns want got
	[ -f "$HOOKLOG/ns.$stage" ] || fail "$stage hook did not run"
	for ns in mnt net uts ipc pid cgroup; do
		want=$(ns_of "$pid" $ns)
		got=$(kv "$ns" "$(cat "$HOOKLOG/ns.$stage")")
		[ "$got" = "$want" ] || fail "$stage ran in $ns namespace $got, want $want (pid $pid)"
	done
}

# config.md Hooks: "Hooks MUST be called in the listed order."
@test "config.md hooks: the hooks of each stage MUST be called in the listed order" {
	local stage
	for stage in prestart createRuntime createContainer poststart poststop; do
		for i in 1 2 3; do add_hook "$stage" "$(host_hook "$stage.$i")"; done
	done
	for i in 1 2 3; do add_hook startContainer "$(ctr_hook "startContainer.$i")"; done
	set_args true
	full_lifecycle
	for stage in prestart createRuntime createContainer startContainer poststart poststop; do
		[ "$(grep "^$stage\." "$LOG" | xargs)" = "$stage.1 $stage.2 $stage.3" ] ||
			fail "$stage hooks ran as: $(grep "^$stage\." "$LOG" | xargs)"
	done
}

# config.md Prestart: "The prestart hooks MUST be called before the createRuntime hooks."
@test "config.md prestart: prestart hooks MUST be called before the createRuntime hooks" {
	add_hook createRuntime "$(host_hook createRuntime)"
	add_hook prestart "$(host_hook prestart)"
	set_args sleep 600
	husk_create
	[ "$(log_words)" = "prestart createRuntime" ] || fail "hooks ran as: $(log_words)"
}

# config.md CreateContainer Hooks: "The createContainer hooks MUST be called after the createRuntime hooks."
@test "config.md createContainer: createContainer hooks MUST be called after the createRuntime hooks" {
	add_hook createContainer "$(host_hook createContainer)"
	add_hook createRuntime "$(host_hook createRuntime)"
	set_args sleep 600
	husk_create
	[ "$(log_words)" = "createRuntime createContainer" ] || fail "hooks ran as: $(log_words)"
}

# config.md Prestart / CreateRuntime Hooks / CreateContainer Hooks: "MUST be called as part of the create
# operation after the runtime environment has been created [...] but before the pivot_root or any equivalent
# operation has been executed."
@test "config.md prestart, createRuntime, createContainer: MUST be called as part of the create operation" {
	for stage in prestart createRuntime createContainer; do add_hook "$stage" "$(host_hook "$stage")"; done
	add_hook startContainer "$(ctr_hook startContainer)"
	set_args sleep 600
	husk_create
	[ "$(log_words)" = "prestart createRuntime createContainer" ] || fail "after create: $(log_words)"
	# before pivot_root: the createContainer hook, a child of the container process, still had the host's root
	[ -f "$HOOKLOG/state.createContainer" ] || fail "createContainer did not see the host's $HOOKLOG"
}

# config.md StartContainer Hooks: "The startContainer hooks MUST be called before the user-specified process is
# executed as part of the start operation."
@test "config.md startContainer: MUST be called by start, before the user-specified process is executed" {
	add_hook startContainer "$(ctr_hook startContainer)"
	set_args sh -c 'echo program >> /hooklog/log'
	husk_create
	[ ! -e "$LOG" ] || fail "after create: $(log_words)"
	husk start "$ID"
	wait_for_status stopped
	[ "$(log_words)" = "startContainer program" ] || fail "after start: $(log_words)"
}

# config.md Poststart: "The poststart hooks MUST be called after the user-specified process is executed but
# before the start operation returns."
@test "config.md poststart: MUST be called after the process is executed, before start returns" {
	skip_on_runc "1.1 runs poststart hooks during create, before startContainer and the user process (runc#1710)"
	cat >"$TMP/poststart-hook" <<EOF
#!/bin/sh
pid=\$(sed -n 's/.*"pid" *: *\([0-9]*\).*/\1/p')
tr '\0' ' ' </proc/\$pid/cmdline >$HOOKLOG/poststart.cmdline
sleep 0.5
echo poststart >>$LOG
EOF
	chmod 0755 "$TMP/poststart-hook"
	add_hook poststart "$(jq -n --arg p "$TMP/poststart-hook" '{"path": $p}')"
	set_args sleep 600
	husk_create
	[ ! -e "$LOG" ] || fail "after create: $(log_words)"
	husk start "$ID"
	# no waiting: the hook, which takes half a second, has finished when start returns
	[ "$(log_words)" = poststart ] || fail "start returned before the poststart hook finished"
	[ "$(cat "$HOOKLOG/poststart.cmdline")" = "sleep 600 " ] ||
		fail "poststart ran before the process was executed: $(cat "$HOOKLOG/poststart.cmdline")"
}

# config.md Poststop: "The poststop hooks MUST be called after the container is deleted but before the delete
# operation returns."
@test "config.md poststop: MUST be called after the container is deleted, before delete returns" {
	cg=/sys/fs/cgroup/pids/$ID-cg
	[ -d /sys/fs/cgroup/pids ] || cg=/sys/fs/cgroup/$ID-cg
	cat >"$TMP/poststop-hook" <<EOF
#!/bin/sh
pid=\$(cat $HOOKLOG/pid)
if [ -d $cg ]; then echo cgroup=present; else echo cgroup=absent; fi >$HOOKLOG/poststop.seen
# a zombie waiting for its reaper is gone as far as the container goes
if grep -qv '^[0-9]* (.*) Z' /proc/\$pid/stat 2>/dev/null; then echo process=alive; else echo process=gone; fi \
	>>$HOOKLOG/poststop.seen
sleep 0.5
echo poststop >>$LOG
EOF
	chmod 0755 "$TMP/poststop-hook"
	add_hook poststop "$(jq -n --arg p "$TMP/poststop-hook" '{"path": $p}')"
	update_config '.linux.cgroupsPath = $cg' --arg cg "/$ID-cg"
	set_args sleep 600
	husk_create
	container_pid >"$HOOKLOG/pid"
	husk start "$ID"
	husk kill "$ID" KILL
	wait_for_status stopped
	[ ! -e "$LOG" ] || fail "poststop ran before delete: $(log_words)"
	husk delete "$ID"
	[ "$(log_words)" = poststop ] || fail "delete returned before the poststop hook finished"
	[ "$(kv cgroup "$(cat "$HOOKLOG/poststop.seen")")" = absent ] || fail "poststop ran before the cgroup was removed"
	[ "$(kv process "$(cat "$HOOKLOG/poststop.seen")")" = gone ] || fail "poststop ran while the process lived"
}

# config.md Hooks: prestart "The value of path MUST resolve in the runtime namespace. The prestart hooks MUST be
# executed in the runtime namespace."
@test "config.md prestart: path resolves and the hook runs in the runtime namespace" {
	add_hook prestart "$(host_hook prestart)"
	set_args sleep 600
	husk_create
	assert_ns prestart $$
}

# config.md Hooks: createRuntime "The value of path MUST resolve in the runtime namespace. The createRuntime hooks
# MUST be executed in the runtime namespace."
@test "config.md createRuntime: path resolves and the hook runs in the runtime namespace" {
	add_hook createRuntime "$(host_hook createRuntime)"
	set_args sleep 600
	husk_create
	assert_ns createRuntime $$
}

# config.md Hooks: createContainer "The value of path MUST resolve in the runtime namespace. The createContainer
# hooks MUST be executed in the container namespace."
@test "config.md createContainer: path resolves in the runtime namespace, the hook runs in the container's" {
	[ ! -e "$BUNDLE/rootfs$TMP/hook" ]
	add_hook createContainer "$(host_hook createContainer)"
	set_args sleep 600
	husk_create
	assert_ns createContainer "$(container_pid)"
}

# config.md Hooks: startContainer "The value of path MUST resolve in the container namespace. The startContainer
# hooks MUST be executed in the container namespace."
@test "config.md startContainer: path resolves and the hook runs in the container namespace" {
	[ ! -e /bin/conf-hook ] || skip "/bin/conf-hook exists on the host too"
	add_hook startContainer "$(ctr_hook startContainer)"
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	husk start "$ID"
	assert_ns startContainer "$pid"
}

# config.md Hooks: poststart "The value of path MUST resolve in the runtime namespace. The poststart hooks MUST be
# executed in the runtime namespace."
@test "config.md poststart: path resolves and the hook runs in the runtime namespace" {
	add_hook poststart "$(host_hook poststart)"
	set_args sleep 600
	husk_create
	husk start "$ID"
	assert_ns poststart $$
}

# config.md Hooks: poststop "The value of path MUST resolve in the runtime namespace. The poststop hooks MUST be
# executed in the runtime namespace."
@test "config.md poststop: path resolves and the hook runs in the runtime namespace" {
	add_hook poststop "$(host_hook poststop)"
	set_args true
	full_lifecycle
	assert_ns poststop $$
}

# config.md Hooks: "The state of the container MUST be passed to hooks over stdin so that they may do work
# appropriate to the current state of the container."
@test "config.md hooks: the state of the container MUST be passed to every hook on stdin" {
	add_all_hooks
	update_config '.annotations = {"org.example.conformance": "hooks"}'
	set_args true
	full_lifecycle
	for stage in prestart createRuntime createContainer startContainer poststart poststop; do
		state=$HOOKLOG/state.$stage
		[ -s "$state" ] || fail "no state on the stdin of $stage"
		jq -e --arg id "$ID" --arg b "$BUNDLE" '.id == $id and .bundle == $b
			and (.ociVersion | type == "string") and (.status | type == "string")
			and .annotations["org.example.conformance"] == "hooks"' "$state" || fail "$stage got: $(cat "$state")"
	done
}

# runtime.md State: status "creating: the container is being created (step 2 in the lifecycle)", "created: the
# runtime has finished the create operation", "running: the container process has executed the user-specified
# program", "stopped: the container process has exited" - as each hook sees it on stdin.
@test "runtime.md state: the status each hook reads is that of its point in the lifecycle" {
	skip_on_runc "1.1 runs poststart hooks during create, before startContainer and the user process (runc#1710)"
	add_all_hooks
	set_args true
	full_lifecycle
	for pair in prestart:creating createRuntime:creating createContainer:creating startContainer:created \
		poststart:running poststop:stopped; do
		stage=${pair%%:*} want=${pair#*:}
		got=$(jq -r .status "$HOOKLOG/state.$stage")
		[ "$got" = "$want" ] || fail "$stage read status $got, want $want"
	done
}

# runtime.md State: pid "For hooks executed in the runtime namespace, it is the pid as seen by the runtime."
@test "runtime.md state: hooks in the runtime namespace read the pid as the runtime sees it" {
	add_all_hooks
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	husk start "$ID"
	husk kill "$ID" KILL
	wait_for_status stopped
	husk delete "$ID"
	for stage in prestart createRuntime poststart; do
		got=$(jq -r .pid "$HOOKLOG/state.$stage")
		[ "$got" = "$pid" ] || fail "$stage read pid $got, want $pid"
	done
	# poststop: the pid is OPTIONAL once stopped, but if given it is still the runtime's view
	got=$(jq -r '.pid // empty' "$HOOKLOG/state.poststop")
	[ -z "$got" ] || [ "$got" = "$pid" ] || [ "$got" = 0 ] || fail "poststop read pid $got, want $pid"
}

# runtime.md State: pid "For hooks executed in the container namespace, it is the pid as seen by the container."
@test "runtime.md state: hooks in the container namespace read the pid as the container sees it" {
	add_hook createContainer "$(host_hook createContainer)"
	add_hook startContainer "$(ctr_hook startContainer)"
	set_args sleep 600
	husk_create
	husk start "$ID"
	# a new pid namespace: the container process is its init
	for stage in createContainer startContainer; do
		got=$(jq -r .pid "$HOOKLOG/state.$stage")
		[ "$got" = 1 ] || fail "$stage read pid $got, want 1 (the container's view; the host's is $(container_pid))"
	done
}

# assert_failed_create_hook STAGE: a failing STAGE hook fails create, stops and destroys the container.
assert_failed_create_hook() {
	add_hook "$1" "$(host_hook "$1" 1)"
	set_args sh -c 'echo program >> /hooklog/log; exec sleep 600'
	run husk_create
	[ "$status" -ne 0 ] || fail "create succeeded with a failing $1 hook"
	grep -qx "$1" "$LOG" || fail "the $1 hook did not run"
	! grep -qx program "$LOG" || fail "the user program ran"
	assert_nothing_left
}

# runtime.md Lifecycle 3: "If any prestart hook fails, the runtime MUST generate an error, stop the container,
# and continue the lifecycle at step 12."
@test "runtime.md lifecycle 3: a failing prestart hook MUST generate an error, stop and destroy the container" {
	assert_failed_create_hook prestart
}

# runtime.md Lifecycle 4: "If any createRuntime hook fails, the runtime MUST generate an error, stop the container,
# and continue the lifecycle at step 12."
@test "runtime.md lifecycle 4: a failing createRuntime hook MUST generate an error, stop and destroy the container" {
	assert_failed_create_hook createRuntime
}

# runtime.md Lifecycle 5: "If any createContainer hook fails, the runtime MUST generate an error, stop the
# container, and continue the lifecycle at step 12."
@test "runtime.md lifecycle 5: a failing createContainer hook MUST generate an error, stop and destroy the container" {
	assert_failed_create_hook createContainer
}

# runtime.md Lifecycle 7: "If any startContainer hook fails, the runtime MUST generate an error, stop the
# container, and continue the lifecycle at step 12."
@test "runtime.md lifecycle 7: a failing startContainer hook MUST generate an error and stop the container" {
	skip_on_runc "1.1 runs startContainer hooks in its init after start returned, so start exits 0"
	add_hook startContainer "$(ctr_hook startContainer 1)"
	set_args sh -c 'echo program >> /hooklog/log; exec sleep 600'
	husk_create
	pid=$(container_pid)
	run husk start "$ID"
	[ "$status" -ne 0 ] || fail "start succeeded with a failing startContainer hook"
	grep -qx startContainer "$LOG" || fail "the startContainer hook did not run"
	retry 100 0.05 process_gone "$pid" || fail "the container process was not stopped"
	! grep -qx program "$LOG" || fail "the user program ran"
	st=$(container_status)
	[ -z "$st" ] || [ "$st" = stopped ] || fail "status $st"
}

# runtime.md Lifecycle 3, 4, 5, 7: a failing hook makes the runtime "continue the lifecycle at step 12", and step
# 13 is: "The poststop hooks MUST be invoked by the runtime."
@test "runtime.md lifecycle 12-13: after a failing prestart, createRuntime, createContainer or startContainer hook, poststop hooks run" {
	save_config
	for stage in prestart createRuntime createContainer startContainer; do
		restore_config
		rm -f "$LOG"
		if [ "$stage" = startContainer ]; then
			add_hook startContainer "$(ctr_hook startContainer 1)"
		else
			add_hook "$stage" "$(host_hook "$stage" 1)"
		fi
		add_hook poststop "$(host_hook poststop)"
		set_args sleep 600
		id=$ID-$stage
		if husk_create "$id" 2>/dev/null; then
			# (that start fails is lifecycle 7's test) the container may be destroyed already, by start, or
			# stopped and waiting for delete
			run husk start "$id"
			retry 100 0.05 not_running "$id" || fail "$stage: the container runs"
			husk delete "$id" 2>/dev/null || husk delete --force "$id" 2>/dev/null || true
		fi
		[ "$(grep -cx poststop "$LOG")" = 1 ] || fail "$stage failure: hooks ran as $(log_words)"
		assert_nothing_left "$id"
	done
}

# runtime.md Lifecycle 9: "If any poststart hook fails, the runtime MUST log a warning, but the remaining hooks and
# lifecycle continue as if the hook had succeeded."
@test "runtime.md lifecycle 9: a failing poststart hook is a warning, the remaining hooks and lifecycle continue" {
	skip_on_runc "1.1 treats a poststart failure as fatal (create fails) where runtime-spec 1.2 says warn (runc#1710)"
	add_hook poststart "$(host_hook poststart.1 1)"
	add_hook poststart "$(host_hook poststart.2)"
	add_hook poststop "$(host_hook poststop)"
	set_args sleep 600
	husk_create
	run husk start "$ID"
	assert_status 0
	[ "$(container_status)" = running ] || fail "status $(container_status)"
	husk kill "$ID" KILL
	wait_for_status stopped
	husk delete "$ID"
	[ "$(log_words)" = "poststart.1 poststart.2 poststop" ] || fail "hooks ran as: $(log_words)"
}

# runtime.md Lifecycle 13: "If any poststop hook fails, the runtime MUST log a warning, but the remaining hooks and
# lifecycle continue as if the hook had succeeded."
@test "runtime.md lifecycle 13: a failing poststop hook is a warning, the remaining hooks and delete continue" {
	skip_on_runc "1.1 fails delete on a poststop failure and skips the remaining hooks (runc#1710)"
	add_hook poststop "$(host_hook poststop.1 1)"
	add_hook poststop "$(host_hook poststop.2)"
	set_args true
	husk_create
	husk start "$ID"
	wait_for_status stopped
	run husk delete "$ID"
	assert_status 0
	[ "$(log_words)" = "poststop.1 poststop.2" ] || fail "hooks ran as: $(log_words)"
	assert_nothing_left
}
