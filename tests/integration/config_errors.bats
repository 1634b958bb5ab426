#!/usr/bin/env bats
# Invalid config.json: a non-zero exit, nothing left behind, and (husk) one stderr line naming the JSON path.

load helpers

setup_file() { husk_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# expect_config_error EXPECTED: create must fail and leave nothing under --root; with husk, stderr must be one
# line `husk: ... config.json: EXPECTED` (EXPECTED is `<path>: <reason>`, matched as a substring).
expect_config_error() {
	local expected=$1
	run husk_create
	[ "$status" -ne 0 ] || fail "create accepted the config"
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ] || fail "create left $(ls -A "$ROOT") under --root"
	assert_no_cgroup
	[ "$RUNTIME" = husk ] || return 0
	local err
	err=$(grep -v '^$' "$TMP/$ID.err")
	[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "want one line on stderr, got: $err"
	[[ "$err" == "husk: "* ]] || fail "stderr does not start with 'husk: ': $err"
	[[ "$err" == *"config.json: $expected"* ]] || fail "stderr lacks 'config.json: $expected': $err"
}

@test "config: unknown rlimit names its array index" {
	update_config '.process.rlimits += [{"type": "RLIMIT_FOO", "hard": 1, "soft": 1}]'
	expect_config_error 'process.rlimits[1].type: unknown rlimit "RLIMIT_FOO"'
}

# Both refuse masked paths without a mount namespace; husk refuses mounts too (below), runc would make them in
# the caller's mount namespace and leave them there.
@test "config: without a mount namespace, linux.maskedPaths is refused" {
	update_config '.linux.namespaces |= map(select(.type != "mount")) | .mounts = []'
	expect_config_error 'linux.maskedPaths: needs a mount namespace, and linux.namespaces has none'
}

@test "config: without a mount namespace, mounts are refused rather than made in the host's mount namespace" {
	husk_only "runc mounts into its caller's mount namespace"
	update_config '.linux.namespaces |= map(select(.type != "mount")) | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	expect_config_error 'mounts: needs a mount namespace, and linux.namespaces has none'
	[ "$(findmnt -rn -o TARGET | grep -c "^$BUNDLE")" = 0 ] || fail "mounts left under the bundle"
}

# (uid_t)-1 is "leave unchanged" to setresuid(): taken, it would leave the process running as root (as crun does).
@test "config: uid and gid 4294967295 are refused, not left to run the process as root" {
	update_config '.process.user.uid = 4294967295'
	expect_config_error 'process.user.uid: 4294967295 is out of range (0..4294967294)'
	update_config '.process.user.uid = 1000 | .process.user.gid = 4294967295'
	expect_config_error 'process.user.gid: 4294967295 is out of range (0..4294967294)'
}

@test "config: unknown namespace type" {
	update_config '.linux.namespaces[0].type = "foo"'
	expect_config_error 'linux.namespaces[0].type: unknown namespace type "foo"'
}

@test "config: an unknown capability is a warning naming it, and the container runs without it" {
	husk_only "the warning's text is husk's"
	update_config '.process.capabilities.bounding[0] = "CAP_FOO"'
	set_args true
	run --separate-stderr husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[[ "$stderr" == *'level=warning'*'process.capabilities.bounding[0]: unknown capability '*CAP_FOO*': ignored'* ]] ||
		fail "$stderr"
}

@test "config: malformed JSON reports line and column" {
	printf '{\n  "ociVersion": "1.0.2",\n  "process": {,\n}\n' >"$BUNDLE/config.json"
	expect_config_error 'line 3, column'
	if [ "$RUNTIME" = husk ]; then
		[[ "$(cat "$TMP/$ID.err")" =~ config\.json:\ line\ 3,\ column\ [0-9]+:\ . ]] || fail "$(cat "$TMP/$ID.err")"
	fi
}

@test "config: a top level that is not an object" {
	echo '[]' >"$BUNDLE/config.json"
	expect_config_error 'expected an object, got an array'
}

@test "config: missing process.args" {
	update_config 'del(.process.args)'
	expect_config_error 'process.args: missing required field'
}

@test "config: empty process.args" {
	update_config '.process.args = []'
	expect_config_error 'process.args: must not be empty'
}

@test "config: a string where an integer belongs" {
	update_config '.process.user.uid = "0"'
	expect_config_error 'process.user.uid: expected an integer, got a string'
}

@test "config: a uid out of range" {
	update_config '.process.user.uid = -1'
	expect_config_error 'process.user.uid: -1 is out of range'
}

@test "config: unknown rootfs propagation" {
	update_config '.linux.rootfsPropagation = "bogus"'
	expect_config_error 'linux.rootfsPropagation: unknown'
	if [ "$RUNTIME" = husk ]; then
		assert_output_contains '"bogus"'
	fi
}

@test "config: unknown seccomp action" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_FOO"}'
	expect_config_error 'linux.seccomp.defaultAction: unknown'
}

@test "config: a hook path that is not absolute" {
	update_config '.hooks.prestart = [{"path": "relative/hook"}]'
	expect_config_error 'hooks.prestart[0].path: "relative/hook" is not an absolute path'
}

@test "config: run fails the same way as create" {
	update_config '.linux.namespaces[0].type = "foo"'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
	if [ "$RUNTIME" = husk ]; then
		assert_output_contains 'config.json: linux.namespaces[0].type: unknown namespace type "foo"'
	fi
}
