#!/usr/bin/env bats
# runtime-spec 1.2 runtime.md, "Kill": signals reach the container process, only while it is created or running.

load ../integration/helpers
load conformance

setup_file() { conformance_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# runtime.md Kill: "This operation MUST generate an error if it is not provided the container ID."
@test "runtime.md kill: MUST generate an error without a container ID" {
	set_args sleep 600
	husk_create
	husk start "$ID"
	run husk kill
	[ "$status" -ne 0 ] || fail "kill without an id succeeded"
	[ "$(container_status)" = running ] || fail "status $(container_status)"
}

# runtime.md Kill: "Attempting to send a signal to a container that is neither created nor running MUST have no
# effect on the container and MUST generate an error." (stopped)
@test "runtime.md kill: signalling a stopped container MUST generate an error and have no effect" {
	set_args sh -c 'exit 7'
	husk_create
	husk start "$ID"
	wait_for_status stopped
	before=$(husk state "$ID")
	for sig in KILL TERM; do
		run husk kill "$ID" "$sig"
		[ "$status" -ne 0 ] || fail "kill $sig of a stopped container succeeded"
	done
	[ "$(husk state "$ID")" = "$before" ] || fail "the state changed: $(husk state "$ID")"
	husk delete "$ID"
}

# runtime.md Kill: "Attempting to send a signal to a container that is neither created nor running MUST have no
# effect on the container and MUST generate an error." (a container that does not exist)
@test "runtime.md kill: signalling a container that does not exist MUST generate an error" {
	run husk kill "$ID" KILL
	[ "$status" -ne 0 ] || fail "kill of an unknown id succeeded"
	assert_nothing_left
}

# runtime.md Kill: "This operation MUST send the specified signal to the process in the container." (running)
@test "runtime.md kill: MUST send the specified signal to the running container process" {
	add_shared_dir
	set_args sh -c 'trap "echo USR1 >> /shared/got" USR1; trap "echo USR2 >> /shared/got; exit 0" USR2
		echo > /shared/ready; while :; do sleep 0.05; done'
	husk_create
	husk start "$ID"
	retry 100 0.05 test -e "$TMP/shared/ready"
	husk kill "$ID" USR1
	retry 100 0.05 grep -qx USR1 "$TMP/shared/got"
	[ "$(container_status)" = running ]
	husk kill "$ID" SIGUSR2
	wait_for_status stopped
	[ "$(cat "$TMP/shared/got")" = "$(printf 'USR1\nUSR2')" ] || fail "the process got: $(cat "$TMP/shared/got")"
}

# runtime.md Kill: "This operation MUST send the specified signal to the process in the container." (created)
@test "runtime.md kill: MUST send the specified signal to a created container's process" {
	set_args sleep 600
	husk_create
	pid=$(container_pid)
	husk kill "$ID" KILL
	retry 100 0.05 process_gone "$pid" || fail "the container process survived SIGKILL"
	wait_for_status stopped || fail "status after SIGKILL: $(container_status)"
}
