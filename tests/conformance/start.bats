#!/usr/bin/env bats
# runtime-spec 1.2 runtime.md, "Start" and lifecycle step 8: start runs the user-specified program, once.

load ../integration/helpers
load conformance

setup_file() { conformance_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# runtime.md Start: "This operation MUST generate an error if it is not provided the container ID."
@test "runtime.md start: MUST generate an error without a container ID" {
	set_args sleep 600
	husk_create
	run husk start
	[ "$status" -ne 0 ] || fail "start without an id succeeded"
	[ "$(container_status)" = created ] || fail "status $(container_status)"
}

# runtime.md Start: "Attempting to start a container that is not created MUST have no effect on the container
# and MUST generate an error." (a container that does not exist)
@test "runtime.md start: MUST generate an error for a container that does not exist" {
	run husk start "$ID"
	[ "$status" -ne 0 ] || fail "start of an unknown id succeeded"
	assert_nothing_left
}

# runtime.md Start: "Attempting to start a container that is not created MUST have no effect on the container
# and MUST generate an error." (running)
@test "runtime.md start: starting a running container MUST generate an error and have no effect" {
	add_shared_dir
	set_args sh -c 'echo started >> /shared/count; exec sleep 600'
	husk_create
	pid=$(container_pid)
	husk start "$ID"
	retry 100 0.05 test -s "$TMP/shared/count"
	# The shell has written its line; wait for its exec of sleep too, so that what follows compares like with like.
	retry 100 0.05 cmdline_is "$pid" "sleep 600 " || fail "the program never exec'd sleep: $(cmdline_of "$pid")"
	run husk start "$ID"
	[ "$status" -ne 0 ] || fail "a second start succeeded"
	sleep 0.2
	[ "$(container_status)" = running ] && [ "$(container_pid)" = "$pid" ] || fail "the container changed"
	[ "$(cmdline_of "$pid")" = "sleep 600 " ] || fail "the process changed: $(cmdline_of "$pid")"
	[ "$(wc -l <"$TMP/shared/count")" -eq 1 ] || fail "the program ran $(wc -l <"$TMP/shared/count") times"
}

# runtime.md Start: "Attempting to start a container that is not created MUST have no effect on the container
# and MUST generate an error." (stopped)
@test "runtime.md start: starting a stopped container MUST generate an error and have no effect" {
	add_shared_dir
	set_args sh -c 'echo started >> /shared/count'
	husk_create
	husk start "$ID"
	wait_for_status stopped
	before=$(husk state "$ID")
	run husk start "$ID"
	[ "$status" -ne 0 ] || fail "start of a stopped container succeeded"
	sleep 0.2
	[ "$(husk state "$ID")" = "$before" ] || fail "the state changed: $(husk state "$ID")"
	[ "$(wc -l <"$TMP/shared/count")" -eq 1 ] || fail "the program ran $(wc -l <"$TMP/shared/count") times"
	husk delete "$ID"
}

# runtime.md Start: "This operation MUST run the user-specified program as specified by process."
# (Lifecycle step 8: "The runtime MUST run the user-specified program, as specified by process.")
@test "runtime.md start: MUST run the user-specified program as specified by process" {
	add_shared_dir
	update_config '.process.env = ["PATH=/bin", "CONF_VAR=a b=c"]
		| .process.cwd = "/tmp"
		| .process.user = {"uid": 65534, "gid": 65534, "additionalGids": [5]}'
	# argv[0] and argv[1] of sh -c are $0 and $1
	set_args sh -c 'echo "$0|$1|$CONF_VAR|$(pwd)|$(id -u)|$(id -g)|$(id -G)" > /shared/out' \
		zero 'one two'
	husk_create
	husk start "$ID"
	wait_for_status stopped
	[ "$(cat "$TMP/shared/out")" = "zero|one two|a b=c|/tmp|65534|65534|65534 5" ] ||
		fail "the program saw: $(cat "$TMP/shared/out")"
}

# runtime.md Start: "This operation MUST generate an error if process was not set."
# (config.md: process "is REQUIRED when start is called".)
@test "runtime.md start: MUST generate an error if process was not set" {
	update_config 'del(.process)'
	run husk_create
	if [ "$status" -ne 0 ]; then
		# refused up front (config.md lets a runtime validate before create): nothing was made
		assert_nothing_left
		return
	fi
	run husk start "$ID"
	[ "$status" -ne 0 ] || fail "start without process succeeded"
	[ "$(container_status)" != running ] || fail "the container runs"
}
