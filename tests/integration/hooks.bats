#!/usr/bin/env bats
# Hooks (runtime-spec 1.2): the six stages in order with the right state, args/env, timeouts, and which
# failures are fatal (prestart, createRuntime, createContainer, startContainer) and which only warn
# (poststart, poststop).

load helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	mkdir -p "$TMP/hooklog"
	chmod 0777 "$TMP/hooklog"
	# One script for every stage: hook STAGE LOG appends "STAGE <state.status>" to LOG and keeps the state
	# JSON as state.STAGE beside it. Plain sh + sed: it also runs inside the busybox rootfs.
	cat >"$TMP/hook" <<'EOF'
#!/bin/sh
state=$(cat)
status=$(printf '%s' "$state" | sed -n 's/.*"status" *: *"\([a-z]*\)".*/\1/p')
printf '%s\n' "$state" >"$(dirname "$2")/state.$1"
echo "$1 $status" >>"$2"
EOF
	chmod 0755 "$TMP/hook"
	# startContainer runs in the container: its path resolves in the rootfs, its log is the same dir bound in.
	cp "$TMP/hook" "$BUNDLE/rootfs/bin/hook"
	update_config '.mounts += [{"destination": "/hooklog", "type": "bind", "source": $d, "options": ["rbind", "rw"]}]' \
		--arg d "$TMP/hooklog"
	LOG=$TMP/hooklog/log
}
teardown() { husk_teardown; }

# host_hook STAGE: a hook entry running $TMP/hook on the host for STAGE
host_hook() {
	jq -n --arg p "$TMP/hook" --arg s "$1" --arg l "$LOG" '{"path": $p, "args": ["hook", $s, $l]}'
}

add_hook() {
	update_config '.hooks[$stage] += [$hook]' --arg stage "$1" --argjson hook "$2"
}

add_all_hooks() {
	local stage
	for stage in prestart createRuntime createContainer poststart poststop; do
		add_hook "$stage" "$(host_hook "$stage")"
	done
	add_hook startContainer '{"path": "/bin/hook", "args": ["hook", "startContainer", "/hooklog/log"]}'
}

@test "hooks: all six stages run in order with the state status of their point in the lifecycle" {
	skip_on_runc "1.1 runs poststart hooks during create, before startContainer and the user process (runc#1710)"
	add_all_hooks
	set_args true
	husk_create
	[ "$(cat "$LOG")" = "$(printf 'prestart creating\ncreateRuntime creating\ncreateContainer creating')" ] ||
		fail "after create: $(cat "$LOG")"
	husk start "$ID"
	wait_for_status stopped
	husk delete "$ID"
	expected='prestart creating
createRuntime creating
createContainer creating
startContainer created
poststart running
poststop stopped'
	[ "$(cat "$LOG")" = "$expected" ] || fail "hooks ran as: $(cat "$LOG")"
}

@test "hooks: all six stages run at their points in the lifecycle, in order" {
	skip_on_runc "1.1 runs poststart hooks during create, before startContainer and the user process (runc#1710)"
	add_all_hooks
	set_args sleep 600
	husk_create
	[ "$(cut -d' ' -f1 "$LOG" | xargs)" = "prestart createRuntime createContainer" ] || fail "after create: $(cat "$LOG")"
	husk start "$ID"
	[ "$(cut -d' ' -f1 "$LOG" | xargs)" = "prestart createRuntime createContainer startContainer poststart" ] ||
		fail "after start: $(cat "$LOG")"
	grep -qx 'startContainer created' "$LOG" || fail "startContainer: $(cat "$LOG")"
	grep -qx 'poststart running' "$LOG" || fail "poststart: $(cat "$LOG")"
	husk kill "$ID" KILL
	wait_for_status stopped
	[ "$(wc -l <"$LOG")" -eq 5 ] || fail "a hook ran on kill: $(cat "$LOG")"
	husk delete "$ID"
	[ "$(tail -n1 "$LOG")" = "poststop stopped" ] || fail "after delete: $(cat "$LOG")"
}

@test "hooks: the state on stdin has id, pid, status, bundle and annotations" {
	add_all_hooks
	update_config '.annotations = {"org.example.hook": "yes"}'
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	husk start "$ID"
	husk delete -f "$ID"
	for stage in prestart createRuntime createContainer startContainer poststart poststop; do
		state=$TMP/hooklog/state.$stage
		[ -f "$state" ] || fail "no state for $stage"
		jq -e --arg id "$ID" '.id == $id' "$state" || fail "$stage: $(cat "$state")"
		jq -e --arg b "$BUNDLE" '.bundle == $b' "$state" || fail "$stage: $(cat "$state")"
		jq -e '.ociVersion | type == "string"' "$state" || fail "$stage: $(cat "$state")"
		jq -e '.annotations["org.example.hook"] == "yes"' "$state" || fail "$stage: $(cat "$state")"
	done
	# runtime-spec 1.2 State: the pid as seen by the runtime for hooks in the runtime namespace, as seen by
	# the container (1: a new pid namespace) for hooks in the container namespace
	for stage in prestart createRuntime poststart; do
		jq -e --argjson pid "$pid" '.pid == $pid' "$TMP/hooklog/state.$stage" || fail "$stage: $(cat "$TMP/hooklog/state.$stage")"
	done
	for stage in createContainer startContainer; do
		jq -e '.pid == 1' "$TMP/hooklog/state.$stage" || fail "$stage: $(cat "$TMP/hooklog/state.$stage")"
	done
}

@test "hooks: args and env are passed as given, nothing else in the environment" {
	cat >"$TMP/envhook" <<'EOF'
#!/bin/sh
echo "args=$*" >"$OUT"
env >>"$OUT"
EOF
	chmod 0755 "$TMP/envhook"
	hook=$(jq -n --arg p "$TMP/envhook" --arg out "$TMP/hooklog/env" \
		'{"path": $p, "args": ["envhook", "one", "two words"], "env": ["OUT=" + $out, "HOOK_VAR=x=y"]}')
	add_hook createRuntime "$hook"
	export HUSK_TEST_LEAK=leaked
	set_args true
	husk_create
	out=$(cat "$TMP/hooklog/env")
	[ "$(kv args "$out")" = "one two words" ] || fail "$out"
	[ "$(kv HOOK_VAR "$out")" = x=y ] || fail "$out"
	[[ "$out" != *HUSK_TEST_LEAK* ]] || fail "the runtime's environment leaked into the hook: $out"
}

# runc and crun run a hook without `env` with the runtime's environment, and hooks rely on it (PATH to find their
# tools: NVIDIA's and podman's OCI hooks). Inside the container they get the container process's, as with runc:
# nothing of the caller's environment is passed on there.
@test "hooks: without env a hook inherits the runtime's environment outside the container, process.env inside" {
	cat >"$TMP/envdump" <<'EOF'
#!/bin/sh
env >"$2/env.$1"
EOF
	chmod 0755 "$TMP/envdump"
	cp "$TMP/envdump" "$BUNDLE/rootfs/bin/envdump"
	local stage out
	for stage in prestart createRuntime createContainer poststart poststop; do
		add_hook "$stage" "$(jq -n --arg p "$TMP/envdump" --arg s "$stage" --arg d "$TMP/hooklog" \
			'{"path": $p, "args": ["envdump", $s, $d]}')"
	done
	add_hook startContainer '{"path": "/bin/envdump", "args": ["envdump", "startContainer", "/hooklog"]}'
	update_config '.process.env += ["HOOK_SEES=process.env"]'
	export HUSK_TEST_HOOK_ENV="from the caller"
	set_args true
	husk_create
	husk start "$ID"
	wait_for_status stopped
	husk delete "$ID"
	for stage in prestart createRuntime poststart poststop; do
		out=$(cat "$TMP/hooklog/env.$stage") || fail "the $stage hook did not run"
		[ "$(kv HUSK_TEST_HOOK_ENV "$out")" = "from the caller" ] || fail "$stage: $out"
		[ "$(kv PATH "$out")" = "$PATH" ] || fail "$stage: $out"
		[[ "$out" != *HOOK_SEES* ]] || fail "$stage got the container's process.env: $out"
	done
	for stage in createContainer startContainer; do
		out=$(cat "$TMP/hooklog/env.$stage") || fail "the $stage hook did not run"
		[ "$(kv HOOK_SEES "$out")" = process.env ] || fail "$stage: $out"
		[[ "$out" != *HUSK_TEST_HOOK_ENV* ]] || fail "the caller's environment reached the $stage hook: $out"
	done
}

# runc enters the bundle to create or run a container, and its init the rootfs before the mounts: hooks that read
# config.json or write beside it by relative path rely on it. start and delete stay where they were started.
@test "hooks: create and run hooks run in the bundle, createContainer in the rootfs, start's and delete's in the caller's cwd" {
	cat >"$TMP/cwd-hook" <<-'EOF'
		#!/bin/sh
		cat >/dev/null
		echo "$1=$(pwd -P)" >>"$2"
	EOF
	chmod 0755 "$TMP/cwd-hook"
	local stage
	for stage in prestart createRuntime createContainer poststart poststop; do
		add_hook "$stage" "$(jq -n --arg p "$TMP/cwd-hook" --arg s "$stage" --arg l "$LOG" \
			'{"path": $p, "args": ["cwd-hook", $s, $l]}')"
	done
	set_args true
	local bundle rootfs caller
	bundle=$(cd "$BUNDLE" && pwd -P)
	rootfs=$(cd "$BUNDLE/rootfs" && pwd -P)
	caller=$(cd "$TMP/hooklog" && pwd -P)
	(cd "$TMP/hooklog" && husk run --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1) || fail "run failed"
	[ "$(kv prestart "$(cat "$LOG")")" = "$bundle" ] && [ "$(kv createRuntime "$(cat "$LOG")")" = "$bundle" ] &&
		[ "$(kv createContainer "$(cat "$LOG")")" = "$rootfs" ] && [ "$(kv poststart "$(cat "$LOG")")" = "$bundle" ] &&
		[ "$(kv poststop "$(cat "$LOG")")" = "$bundle" ] || fail "run: $(cat "$LOG")"

	skip_on_runc "1.1 runs poststart hooks during create, in the bundle (runc#1710)"
	: >"$LOG"
	(cd "$TMP/hooklog" && husk_create && husk start "$ID") || fail "create or start failed"
	wait_for_status stopped
	(cd "$TMP/hooklog" && husk delete "$ID") || fail "delete failed"
	[ "$(kv prestart "$(cat "$LOG")")" = "$bundle" ] && [ "$(kv createRuntime "$(cat "$LOG")")" = "$bundle" ] &&
		[ "$(kv createContainer "$(cat "$LOG")")" = "$rootfs" ] && [ "$(kv poststart "$(cat "$LOG")")" = "$caller" ] &&
		[ "$(kv poststop "$(cat "$LOG")")" = "$caller" ] || fail "create, start, delete: $(cat "$LOG")"

	# run --detach is create and start, and runc's enters the bundle for both.
	: >"$LOG"
	(cd "$TMP/hooklog" && husk_run_detached) || fail "run --detach failed"
	wait_for_status stopped
	[ "$(kv prestart "$(cat "$LOG")")" = "$bundle" ] && [ "$(kv poststart "$(cat "$LOG")")" = "$bundle" ] ||
		fail "run --detach: $(cat "$LOG")"
}

@test "hooks: a hook running past its timeout is killed and create fails" {
	cat >"$TMP/slowhook" <<EOF
#!/bin/sh
echo \$\$ > $TMP/hooklog/slow.pid
exec sleep 30
EOF
	chmod 0755 "$TMP/slowhook"
	add_hook createRuntime "$(jq -n --arg p "$TMP/slowhook" '{"path": $p, "timeout": 1}')"
	set_args true
	start=$(date +%s)
	run husk_create
	elapsed=$(($(date +%s) - start))
	[ "$status" -ne 0 ]
	[ "$elapsed" -lt 10 ] || fail "create took ${elapsed}s with a 1s hook timeout"
	assert_no_trace
	hook_pid=$(cat "$TMP/hooklog/slow.pid")
	retry 50 0.1 sh -c "! kill -0 $hook_pid 2>/dev/null" || fail "the timed-out hook still runs"
}

@test "hooks: a failing prestart, createRuntime or createContainer hook fails create and leaves nothing" {
	printf '#!/bin/sh\nexit 1\n' >"$TMP/failhook"
	chmod 0755 "$TMP/failhook"
	for stage in prestart createRuntime createContainer; do
		cp "$BUNDLE/config.json" "$TMP/config.orig"
		add_hook "$stage" "$(jq -n --arg p "$TMP/failhook" '{"path": $p}')"
		# the marker in args finds the container process if it survived
		set_args sh -c "sleep 600; echo $ID-$stage"
		run husk_create "$ID-$stage"
		[ "$status" -ne 0 ] || fail "$stage: create succeeded"
		# runc 1.2's words (1.1 leaves out the stage), which its own tests and their users match
		[ "$RUNTIME" != husk ] || assert_output_contains "error running $stage hook #0: "
		assert_no_trace "$ID-$stage"
		[ -z "$(pgrep -f "$ID-$stage")" ] || fail "$stage: container process left: $(pgrep -af "$ID-$stage")"
		cp "$TMP/config.orig" "$BUNDLE/config.json"
	done
}

@test "hooks: a failing startContainer hook stops the container before the user process runs" {
	printf '#!/bin/sh\nexit 1\n' >"$BUNDLE/rootfs/bin/failhook"
	chmod 0755 "$BUNDLE/rootfs/bin/failhook"
	add_hook startContainer '{"path": "/bin/failhook"}'
	set_args sh -c 'echo ran > /hooklog/user-process-ran'
	husk_create
	run husk start "$ID"
	wait_for_status stopped || [ -z "$(container_status)" ]
	[ ! -e "$TMP/hooklog/user-process-ran" ] || fail "the user process ran"
	# the container is stopped (or already gone): nothing runs
	st=$(container_status)
	[ -z "$st" ] || [ "$st" = stopped ] || fail "status $st"
}

@test "hooks: a failing startContainer hook makes start fail" {
	skip_on_runc "1.1 runs startContainer hooks in init after start returned, so start exits 0"
	printf '#!/bin/sh\nexit 1\n' >"$BUNDLE/rootfs/bin/failhook"
	chmod 0755 "$BUNDLE/rootfs/bin/failhook"
	add_hook startContainer '{"path": "/bin/failhook"}'
	set_args sleep 600
	husk_create
	run husk start "$ID"
	[ "$status" -ne 0 ]
	assert_output_contains "error running startContainer hook #0: "
	st=$(container_status)
	[ -z "$st" ] || [ "$st" = stopped ] || fail "status $st"
}

@test "hooks: startContainer hooks run under the container's seccomp filter, late or early" {
	skip_on_runc "1.1 runs them before a noNewPrivileges filter (1.2 after it)"
	# A program in the container's root, from its image: it must not run where the container's own process
	# could not. mkdir is what the filter denies; the hook says whether it could make its directory.
	printf '#!/bin/sh\nmkdir /hooklog/d && rmdir /hooklog/d && echo made >/hooklog/mkdir || echo refused >/hooklog/mkdir\n' \
		>"$BUNDLE/rootfs/bin/mkdirhook"
	chmod 0755 "$BUNDLE/rootfs/bin/mkdirhook"
	add_hook startContainer '{"path": "/bin/mkdirhook"}'
	local nnp
	for nnp in true false; do
		update_config 'del(.linux.seccomp) | .process.noNewPrivileges = $n' --argjson n "$nnp"
		rm -f "$TMP/hooklog/mkdir"
		container_run true
		assert_status 0
		[ "$(cat "$TMP/hooklog/mkdir")" = made ] ||
			fail "noNewPrivileges=$nnp: without a filter the hook could not mkdir"
		update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir",
			"mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
		rm -f "$TMP/hooklog/mkdir"
		container_run true
		assert_status 0
		[ "$(cat "$TMP/hooklog/mkdir")" = refused ] ||
			fail "noNewPrivileges=$nnp: the hook ran outside the filter: $(cat "$TMP/hooklog/mkdir")"
	done
}

@test "hooks: a failing poststart hook only warns" {
	skip_on_runc "1.1 treats a poststart failure as fatal (create fails) where runtime-spec 1.2 says warn (runc#1710)"
	printf '#!/bin/sh\nexit 1\n' >"$TMP/failhook"
	chmod 0755 "$TMP/failhook"
	add_hook poststart "$(jq -n --arg p "$TMP/failhook" '{"path": $p}')"
	add_hook poststart "$(host_hook poststart)"
	set_args sleep 600
	husk_create
	run husk start "$ID"
	assert_status 0
	[ "$(container_status)" = running ]
	# the remaining hooks still run
	grep -qx 'poststart running' "$LOG" || fail "second poststart hook did not run: $(cat "$LOG")"
}

@test "hooks: a failing poststop hook only warns and delete completes" {
	skip_on_runc "1.1 fails delete on a poststop failure and skips the remaining hooks where runtime-spec 1.2 says warn (runc#1710)"
	printf '#!/bin/sh\nexit 1\n' >"$TMP/failhook"
	chmod 0755 "$TMP/failhook"
	add_hook poststop "$(jq -n --arg p "$TMP/failhook" '{"path": $p}')"
	add_hook poststop "$(host_hook poststop)"
	set_args true
	husk_create
	husk start "$ID"
	wait_for_status stopped
	run husk delete "$ID"
	assert_status 0
	[ ! -e "$ROOT/$ID" ]
	grep -qx 'poststop stopped' "$LOG" || fail "second poststop hook did not run: $(cat "$LOG")"
}

@test "hooks: poststop runs on delete --force of a running container" {
	add_hook poststop "$(host_hook poststop)"
	set_args sleep 600
	husk_run_detached
	husk delete --force "$ID"
	grep -qx 'poststop stopped' "$LOG" || fail "$(cat "$LOG" 2>/dev/null)"
}

@test "hooks: a poststop hook runs once the container is deleted: it may ask husk about it, or delete it again" {
	printf '#!/bin/sh\n"$1" --root "$2" state "$3" >%s/state.out 2>&1; echo "state=$?" >>%s/state.out\n"$1" --root "$2" delete -f "$3"; echo "delete=$?" >>%s/state.out\n' \
		"$TMP" "$TMP" "$TMP" >"$TMP/askhook"
	chmod 0755 "$TMP/askhook"
	add_hook poststop "$(jq -n --arg p "$TMP/askhook" --arg h "$HUSK" --arg r "$ROOT" --arg id "$ID" \
		'{"path": $p, "args": ["askhook", $h, $r, $id], "timeout": 20}')"
	set_args true
	husk_create
	husk start "$ID"
	wait_for_status stopped
	run husk delete "$ID"
	assert_status 0
	[[ "$output" != *"did not finish"* ]] || fail "the hook waited for delete's lock: $output"
	grep -q 'does not exist' "$TMP/state.out" && grep -qx 'state=1' "$TMP/state.out" ||
		fail "the hook found the container: $(cat "$TMP/state.out")"
	assert_no_trace
}

@test "hooks: a hook gets no fd but its stdio, and no args is its path alone" {
	# husk's own fds and --preserve-fds meant for the container stay out of a hook on the host; "args": []
	# runs it as [path], as runc.
	printf '#!/bin/sh\necho "$0" >%s/argv0\nexec %s fds >%s/hookfds\n' "$TMP" "$CHECKER" "$TMP" >"$TMP/fdhook"
	chmod 0755 "$TMP/fdhook"
	add_hook prestart "$(jq -n --arg p "$TMP/fdhook" '{"path": $p, "args": []}')"
	set_args true
	run bash -c 'exec 3</dev/null; "$1" --root "$2" run --preserve-fds 1 --bundle "$3" "$4" </dev/null' _ \
		"$HUSK" "$ROOT" "$BUNDLE" "$ID"
	assert_status 0
	[ "$(cat "$TMP/argv0")" = "$TMP/fdhook" ] || fail "argv[0]: $(cat "$TMP/argv0")"
	[ "$(kv fds "$(cat "$TMP/hookfds")")" = 0,1,2 ] || fail "the hook's fds: $(cat "$TMP/hookfds")"
}

@test "hooks: a child a hook leaves holding its output does not hold up create" {
	skip_on_runc "1.1 waits for every holder of the hook's output pipe"
	printf '#!/bin/sh\n%s keyring-hold hook-child-%s &\necho started\n' "$CHECKER" "$ID" >"$TMP/bghook"
	chmod 0755 "$TMP/bghook"
	add_hook createRuntime "$(jq -n --arg p "$TMP/bghook" '{"path": $p}')"
	set_args sleep 600
	# (The init holds create's stdout: a file, not bats' pipe.)
	local rc=0 child
	timeout 60 "$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/create.out" 2>&1 3>&- || rc=$?
	child=$(pgrep -f "keyring-hold hook-child-$ID" || true)
	[ -z "$child" ] || kill -9 $child
	[ "$rc" -eq 0 ] || fail "create exited $rc: $(cat "$TMP/create.out")"
	[ "$(container_status)" = created ]
}

@test "hooks: createContainer and startContainer hooks get the state with large annotations" {
	# Both states go to the init in one message: past the socket's buffer (about 200 KiB) in a memfd.
	head -c 150000 /dev/zero | tr '\0' x >"$TMP/big"
	update_config '.annotations = {"big": $v}' --rawfile v "$TMP/big"
	add_hook createContainer "$(jq -n --arg p "$TMP/hook" --arg l "$LOG" '{"path": $p, "args": ["hook", "createContainer", $l]}')"
	add_hook startContainer '{"path": "/bin/hook", "args": ["hook", "startContainer", "/hooklog/log"]}'
	set_args true
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$(cut -d' ' -f1 "$LOG" | xargs)" = "createContainer startContainer" ] || fail "$(cat "$LOG")"
	[ "$(jq -r '.annotations.big | length' "$TMP/hooklog/state.startContainer")" = 150000 ] || fail "startContainer's state"
	[ "$(jq -r '.annotations.big | length' "$TMP/hooklog/state.createContainer")" = 150000 ] || fail "createContainer's state"
}

@test "hooks: run executes the hooks too" {
	skip_on_runc "1.1 runs poststart hooks during create, before startContainer and the user process (runc#1710)"
	add_all_hooks
	set_args true
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$(cut -d' ' -f1 "$LOG" | xargs)" = "prestart createRuntime createContainer startContainer poststart poststop" ] ||
		fail "$(cat "$LOG")"
}
