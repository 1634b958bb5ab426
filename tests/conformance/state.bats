#!/usr/bin/env bats
# runtime-spec 1.2 runtime.md, "State" and "Query State": what `state` reports, checked against the host.

load ../integration/helpers
load conformance

setup_file() { conformance_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

semver_re='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$'

# runtime.md State: "ociVersion (string, REQUIRED) is version of the Open Container Initiative Runtime
# Specification with which the state complies."
@test "runtime.md state: ociVersion (string, REQUIRED) is a spec version" {
	set_args sleep 600
	husk_create
	run --separate-stderr husk state "$ID"
	assert_status 0
	jq -e '.ociVersion | type == "string"' <<<"$output" || fail "ociVersion is not a string"
	[[ "$(jq -r .ociVersion <<<"$output")" =~ $semver_re ]] || fail "ociVersion is not a SemVer version"
}

# runtime.md State: "id (string, REQUIRED) is the container's ID."
@test "runtime.md state: id (string, REQUIRED) is the container's ID" {
	set_args sleep 600
	husk_create
	run --separate-stderr husk state "$ID"
	assert_status 0
	jq -e --arg id "$ID" '.id == $id' <<<"$output" || fail "id is not $ID"
}

# runtime.md State: "created: the runtime has finished the create operation (after step 2 in the lifecycle),
# and the container process has neither exited nor executed the user-specified program"
@test "runtime.md state: status is created after create, while the process has not executed the program" {
	set_args sleep 600
	husk_create
	[ "$(container_status)" = created ] || fail "status $(container_status)"
	pid=$(container_pid)
	kill -0 "$pid" || fail "the container process $pid does not exist"
	[ "$(cmdline_of "$pid")" != "sleep 600 " ] || fail "the user program already runs"
}

# runtime.md State: "running: the container process has executed the user-specified program but has not
# exited (after step 8 in the lifecycle)"
@test "runtime.md state: status is running once start returned, the program executed and not exited" {
	set_args sleep 600
	husk_create
	husk start "$ID"
	# no waiting: start returns after step 8, so the program has been executed by now
	[ "$(container_status)" = running ] || fail "status right after start: $(container_status)"
	[ "$(cmdline_of "$(container_pid)")" = "sleep 600 " ] || fail "pid runs $(cmdline_of "$(container_pid)")"
}

# runtime.md State: "stopped: the container process has exited (step 10 in the lifecycle)"
@test "runtime.md state: status is stopped after the container process exited on its own" {
	set_args sh -c 'exit 3'
	husk_create
	pid=$(container_pid)
	husk start "$ID"
	wait_for_status stopped || fail "status $(container_status)"
	process_gone "$pid" || fail "status stopped while $pid still runs"
}

# runtime.md State: "Additional values MAY be defined by the runtime, however, they MUST be used to represent
# new runtime states not defined above."
@test "runtime.md state: a runtime-defined status (paused) is used only for a state of its own" {
	set_args sleep 600
	husk_create
	[ "$(container_status)" = created ]
	husk start "$ID"
	[ "$(container_status)" = running ]
	run husk pause "$ID"
	[ "$status" -eq 0 ] || skip "the runtime cannot pause here: $output"
	freezer=$(cgroup_dir_of "$(container_pid)" freezer)
	[ ! -f "$freezer/freezer.state" ] || [ "$(cat "$freezer/freezer.state")" = FROZEN ] || fail "pause did not freeze"
	st=$(container_status)
	case "$st" in
	created | running | stopped | creating) fail "a frozen container reports the spec status $st" ;;
	esac
	husk resume "$ID"
	[ "$(container_status)" = running ] || fail "status after resume: $(container_status)"
	husk kill "$ID" KILL
	wait_for_status stopped || fail "status after kill: $(container_status)"
}

# runtime.md State: "pid (int, REQUIRED when status is created or running on Linux, OPTIONAL on other
# platforms) is the ID of the container process." (`state` runs in the runtime namespace: the host's pid.)
@test "runtime.md state: pid (int, REQUIRED when created or running) is the container process as the host sees it" {
	set_args sleep 600
	husk_create
	for expected in created running; do
		[ "$expected" = running ] && husk start "$ID"
		state=$(husk state "$ID")
		[ "$(jq -r .status <<<"$state")" = "$expected" ]
		jq -e '.pid | type == "number" and . == floor and . > 0' <<<"$state" || fail "$expected: pid in $state"
		pid=$(jq -r .pid <<<"$state")
		# NSpid: the host's view first, then the container's pid namespace, where it is init
		nspid=$(awk '$1 == "NSpid:" { print $2, $NF }' "/proc/$pid/status")
		[ "$nspid" = "$pid 1" ] || fail "$expected: /proc/$pid is not the container's init (NSpid $nspid)"
		[ "$(ns_of "$pid" pid)" != "$(ns_of $$ pid)" ] || fail "$expected: pid $pid is in the host pid namespace"
	done
}

# runtime.md State: "bundle (string, REQUIRED) is the absolute path to the container's bundle directory."
@test "runtime.md state: bundle (string, REQUIRED) is absolute even when create got a relative path" {
	set_args sleep 600
	cd "$TMP"
	husk create --bundle "./$(basename "$BUNDLE")" "$ID" </dev/null >/dev/null 2>"$TMP/err" 3>&- ||
		fail "create with a relative bundle: $(cat "$TMP/err")"
	cd /
	run --separate-stderr husk state "$ID"
	assert_status 0
	jq -e --arg b "$BUNDLE" '.bundle == $b' <<<"$output" || fail "bundle is not $BUNDLE"
}

# runtime.md State: "annotations (map, OPTIONAL) contains the list of annotations associated with the
# container. If no annotations were provided then this property MAY either be absent or an empty map."
@test "runtime.md state: annotations (map, OPTIONAL) are the container's, absent or empty without any" {
	update_config '.annotations = {"org.example.conformance": "one", "com.example.empty": ""}'
	set_args sleep 600
	husk_create
	run --separate-stderr husk state "$ID"
	assert_status 0
	jq -e '.annotations == {"org.example.conformance": "one", "com.example.empty": ""}' <<<"$output" ||
		fail "annotations differ"

	update_config 'del(.annotations)'
	husk_create "$ID-none"
	run --separate-stderr husk state "$ID-none"
	assert_status 0
	jq -e '(has("annotations") | not) or .annotations == {}' <<<"$output" || fail "annotations without any"
}

# runtime.md Query State: "This operation MUST return the state of a container as specified in the State
# section." State: "When serialized in JSON, the format MUST adhere to the following pattern"
@test "runtime.md query state: the output is one JSON object with the State properties and their types" {
	update_config '.annotations = {"org.example.k": "v"}'
	set_args sleep 600
	husk_create
	run --separate-stderr husk state "$ID"
	assert_status 0
	[ "$(jq -s length <<<"$output")" = 1 ] || fail "not exactly one JSON document"
	jq -e 'type == "object"
		and (.ociVersion | type == "string") and (.id | type == "string")
		and (.status | type == "string") and (.pid | type == "number")
		and (.bundle | type == "string") and (.annotations | type == "object")' <<<"$output" ||
		fail "State properties missing or of the wrong type"
}

# runtime.md Query State: "This operation MUST generate an error if it is not provided the ID of a container."
@test "runtime.md query state: MUST generate an error without a container ID" {
	set_args sleep 600
	husk_create
	run husk state
	[ "$status" -ne 0 ] || fail "state without an id succeeded"
	[ "$(container_status)" = created ]
}

# runtime.md Query State: "Attempting to query a container that does not exist MUST generate an error."
@test "runtime.md query state: MUST generate an error for a container that does not exist" {
	run husk state "$ID"
	[ "$status" -ne 0 ] || fail "state of an unknown id succeeded"
	set_args true
	husk_create
	husk start "$ID"
	wait_for_status stopped
	husk delete "$ID"
	run husk state "$ID"
	[ "$status" -ne 0 ] || fail "state of a deleted container succeeded"
}
