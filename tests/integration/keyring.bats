#!/usr/bin/env bats
# Session keyrings: each container gets its own (runc and crun do), so its processes do not possess the keys
# of the session the runtime was started from; exec joins the container's; --no-new-keyring keeps the caller's.

load helpers

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

start_sleeper() {
	set_args sleep 600
	husk_create "${1:-$ID}"
	husk start "${1:-$ID}"
}

@test "keyring: the container has a session keyring of its own, named after it, searchable by its root" {
	host_id=$(kv keyring.id "$("$CHECKER" keyring)")
	[ -n "$host_id" ] || skip "this kernel has no keyrings"
	container_run checker keyring
	assert_status 0
	[ "$(kv keyring.id)" != "$host_id" ] || fail "the container holds the caller's session keyring: $output"
	[[ "$(kv keyring.name)" == "_ses.$ID"* ]] || fail "name: $output"
	# possessor: all; user (the container's root): view, read, search, link
	[ "$(kv keyring.perm)" = 3f1b0000 ] || fail "permissions: $output"
}

# The keyring's description outgrows a small buffer: its permissions must still be read right.
@test "keyring: a container id of 240 characters" {
	host_id=$(kv keyring.id "$("$CHECKER" keyring)")
	[ -n "$host_id" ] || skip "this kernel has no keyrings"
	ID=$ID-$(printf 'k%.0s' $(seq 1 220))
	container_run checker keyring
	assert_status 0
	[[ "$(kv keyring.name)" == "_ses.$ID"* ]] || fail "$output"
	[ "$(kv keyring.perm)" = 3f1b0000 ] || fail "permissions: $output"
}

@test "keyring: two containers never share one" {
	host_id=$(kv keyring.id "$("$CHECKER" keyring)")
	[ -n "$host_id" ] || skip "this kernel has no keyrings"
	start_sleeper "$ID-a"
	start_sleeper "$ID-b"
	run husk exec "$ID-a" checker keyring </dev/null
	a=$(kv keyring.id)
	run husk exec "$ID-b" checker keyring </dev/null
	b=$(kv keyring.id)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || fail "a=$a b=$b"
}

@test "keyring: exec joins the init's session keyring" {
	host_id=$(kv keyring.id "$("$CHECKER" keyring)")
	[ -n "$host_id" ] || skip "this kernel has no keyrings"
	set_args sh -c 'checker keyring >/dev/shm/init; exec sleep 600'
	husk_create
	husk start "$ID"
	retry 100 0.05 husk exec "$ID" test -s /dev/shm/init
	init_id=$(kv keyring.id "$(husk exec "$ID" cat /dev/shm/init </dev/null)")
	[ -n "$init_id" ] && [ "$init_id" != "$host_id" ] || fail "init: $init_id"
	run husk exec "$ID" checker keyring </dev/null
	assert_status 0
	[ "$(kv keyring.id)" = "$init_id" ] || fail "exec: $output, init: $init_id"
}

# runc names the keyring _ses.<id>: a process of the same user that makes that keyring first (another
# container's root, without a user namespace) has the container join it, and possesses what it keeps there.
@test "keyring: a keyring made beforehand under the container's name is not joined" {
	skip_on_runc "1.1 joins a keyring named _ses.<id> made by someone else"
	host_id=$(kv keyring.id "$("$CHECKER" keyring)")
	[ -n "$host_id" ] || skip "this kernel has no keyrings"
	"$CHECKER" keyring-hold "_ses.$ID" >"$TMP/squat" 3>&- &
	BACKGROUND_PIDS+=("$!")
	retry 100 0.02 grep -q keyring.id= "$TMP/squat"
	squat=$(kv keyring.id "$(cat "$TMP/squat")")
	container_run checker keyring
	assert_status 0
	[ "$(kv keyring.id)" != "$squat" ] || fail "joined the keyring made beforehand ($squat): $output"
	[ "$(kv keyring.id)" != "$host_id" ] || fail "$output"
	[[ "$(kv keyring.name)" == "_ses.$ID."* ]] || fail "$output"
}

@test "keyring: --no-new-keyring keeps the caller's session keyring, in run and exec" {
	host_id=$(kv keyring.id "$("$CHECKER" keyring)")
	[ -n "$host_id" ] || skip "this kernel has no keyrings"
	set_args checker keyring
	run husk run --no-new-keyring --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$(kv keyring.id)" = "$host_id" ] || fail "$output"
	set_args sleep 600
	husk_create "$ID-x" --no-new-keyring
	husk start "$ID-x"
	run husk exec "$ID-x" checker keyring </dev/null
	assert_status 0
	[ "$(kv keyring.id)" = "$host_id" ] || fail "exec: $output"
}

@test "keyring: in a user namespace, owned by the mapped root and searchable there" {
	host_id=$(kv keyring.id "$("$CHECKER" keyring)")
	[ -n "$host_id" ] || skip "this kernel has no keyrings"
	chmod 0755 "$TMP"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]'
	container_run checker keyring
	assert_status 0
	[ "$(kv keyring.id)" != "$host_id" ] || fail "$output"
	[[ "$(kv keyring.name)" == "_ses.$ID"* ]] || fail "$output"
	# possessor: all; user: view, read, link; other: search (runc's choice with a user namespace)
	[ "$(kv keyring.perm)" = 3f130008 ] || fail "permissions: $output"
}
