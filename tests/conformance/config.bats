#!/usr/bin/env bats
# runtime-spec 1.2 config.md: the rules on config.json a runtime enforces (ociVersion, root, mounts, process,
# hooks, annotations, extensibility, valid values) and the properties it MUST apply as given.

load ../integration/helpers
load conformance

setup_file() { conformance_setup_file; }
setup() { husk_setup; }
teardown() { husk_teardown; }

# config.md Specification version: "ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format"
@test "config.md ociVersion: REQUIRED: a config without it is refused" {
	skip_on_runc "1.1 does not look at ociVersion"
	set_args true
	expect_config_rejected 'del(.ociVersion)'
}

# config.md Specification version: "ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format"; Valid
# values: "Runtimes MUST generate an error when invalid or unsupported values are encountered."
@test "config.md ociVersion: MUST be SemVer: a value that is not is refused, SemVer ones are accepted" {
	skip_on_runc "1.1 does not look at ociVersion"
	set_args true
	expect_config_rejected '.ociVersion = "conformance"'
	expect_config_rejected '.ociVersion = "1.0"'
	for version in 1.0.0 1.0.2-dev 1.1.0 1.2.0; do
		update_config '.ociVersion = $v' --arg v "$version"
		husk_create "$ID-$version" || fail "ociVersion $version refused"
	done
}

# config.md Specification version: "retains forward and backward compatibility within major versions [...] a
# configuration [...] compliant with version 1.1 [...] is not compatible with a runtime that supports 1.0 and not
# 1.1"; Valid values: "Runtimes MUST generate an error when invalid or unsupported values are encountered."
@test "config.md ociVersion: a config of another major version is unsupported and refused" {
	skip_on_runc "1.1 does not look at ociVersion"
	set_args true
	expect_config_rejected '.ociVersion = "2.0.0"'
	expect_config_rejected '.ociVersion = "0.5.0"'
}

# config.md Root: "root (object, OPTIONAL) [...] On all other platforms, this field is REQUIRED." and "path
# (string, REQUIRED)"
@test "config.md root: REQUIRED on Linux: a config without root or root.path is refused" {
	set_args true
	expect_config_rejected 'del(.root)'
	expect_config_rejected 'del(.root.path)'
}

# config.md Root: "A directory MUST exist at the path declared by the field."
@test "config.md root: a root.path that is not a directory is refused" {
	set_args true
	touch "$TMP/not-a-dir"
	expect_config_rejected '.root.path = "no-such-rootfs"'
	expect_config_rejected '.root.path = $f' --arg f "$TMP/not-a-dir"
}

# config.md Root: "readonly (bool, OPTIONAL) If true then the root filesystem MUST be read-only inside the
# container, defaults to false."
@test "config.md root: readonly true MUST make the root filesystem read-only, the default is writable" {
	update_config '.root.readonly = true'
	container_run checker write /conf-ro
	assert_status 0
	[ "$(kv write)" = EROFS ] || fail "a write to / with readonly: $(kv write)"
	update_config 'del(.root.readonly)'
	container_run checker write /conf-rw
	assert_status 0
	[ "$(kv write)" = ok ] || fail "a write to / without readonly: $(kv write)"
}

# config.md Mounts: "The runtime MUST mount entries in the listed order."
@test "config.md mounts: MUST mount entries in the listed order" {
	mkdir "$TMP/src"
	echo bound >"$TMP/src/marker"
	tmpfs='{"destination": "/conf-order", "type": "tmpfs", "source": "tmpfs"}'
	bind=$(jq -n --arg s "$TMP/src" '{"destination": "/conf-order", "type": "none", "source": $s, "options": ["rbind"]}')
	save_config
	update_config '.mounts += [$a, $b]' --argjson a "$tmpfs" --argjson b "$bind"
	container_run cat /conf-order/marker
	[ "$status" -eq 0 ] && [ "$output" = bound ] || fail "tmpfs then bind: the bind is not on top"
	restore_config
	update_config '.mounts += [$a, $b]' --argjson a "$bind" --argjson b "$tmpfs"
	container_run ls -A /conf-order
	assert_status 0
	[ -z "$output" ] || fail "bind then tmpfs: the tmpfs is not on top"
}

# config.md Mounts: destination "Linux: This value SHOULD be an absolute path. For compatibility with old tools
# and configurations, it MAY be a relative path, in which case it MUST be interpreted as relative to "/"."
@test "config.md mounts: a relative destination MUST be interpreted as relative to /" {
	update_config '.process.cwd = "/tmp"
		| .mounts += [{"destination": "conf-rel/sub", "type": "tmpfs", "source": "tmpfs"}]'
	container_run checker mountinfo /conf-rel/sub
	assert_status 0
	[ "$(kv fstype)" = tmpfs ] || fail "no tmpfs at /conf-rel/sub"
	[ ! -e "$BUNDLE/rootfs/tmp/conf-rel" ] || fail "the destination was taken relative to the cwd"
}

# The filesystem-independent MUST options of config.md's "Linux mount options" table (remount aside: it needs a
# mount to remount; bind, rbind and the propagation ones have a test of their own).
MUST_MOUNT_OPTIONS="async atime defaults dev diratime dirsync exec iversion lazytime loud noatime nodev nodiratime
	noexec noiversion nolazytime norelatime nostrictatime nosuid relatime ro rw silent strictatime suid sync"

# config.md Linux mount options: "Runtimes MUST/SHOULD/MAY implement the following option strings for Linux"
@test "config.md mount options: every MUST option string is accepted" {
	skip_on_runc "1.1 passes \`defaults\` to the filesystem as data, which tmpfs refuses (EINVAL)"
	local o mounts='[]'
	for o in $MUST_MOUNT_OPTIONS; do
		mounts=$(jq --arg o "$o" '. + [{"destination": ("/opt-" + $o), "type": "tmpfs", "source": "tmpfs",
			"options": [$o]}]' <<<"$mounts")
	done
	update_config '.mounts += $m' --argjson m "$mounts"
	container_run true
	[ "$status" -ne 0 ] || return 0
	# name the options refused one by one
	refused=()
	for o in $MUST_MOUNT_OPTIONS; do
		jq --arg o "$o" '.mounts = [.mounts[] | select((.destination | startswith("/opt-")) | not)]
			+ [{"destination": "/opt", "type": "tmpfs", "source": "tmpfs", "options": [$o]}]' \
			"$BUNDLE/config.json" >"$TMP/one.json"
		cp "$BUNDLE/config.json" "$TMP/all.json"
		cp "$TMP/one.json" "$BUNDLE/config.json"
		husk run --bundle "$BUNDLE" "$ID-one" </dev/null >"$TMP/one.out" 2>&1 || refused+=("$o: $(cat "$TMP/one.out")")
		cp "$TMP/all.json" "$BUNDLE/config.json"
	done
	fail "refused MUST mount options: ${refused[*]}"
}

# config.md Linux mount options: "Runtimes MUST/SHOULD/MAY implement the following option strings for Linux"
# (the MUST ones whose effect shows in mountinfo)
@test "config.md mount options: the MUST options take effect" {
	update_config '.mounts += [
		{"destination": "/o1", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "nosuid", "nodev", "noexec", "noatime"]},
		{"destination": "/o2", "type": "tmpfs", "source": "tmpfs", "options": ["nodiratime", "strictatime", "sync", "dirsync", "lazytime"]},
		{"destination": "/o3", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "suid", "nodev", "dev", "noexec", "exec", "ro", "rw", "noatime", "atime"]},
		{"destination": "/o4", "type": "tmpfs", "source": "tmpfs", "options": ["sync", "async", "noatime", "atime", "nodiratime", "diratime", "lazytime", "nolazytime", "silent", "loud"]}]'
	set_args sh -c 'for m in /o1 /o2 /o3 /o4; do checker mountinfo $m | sed -n "s,^options=,$m=,p"; done'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	has() { [[ ",$(kv "$1")," == *",$2,"* ]] || fail "$1 lacks $2"; }
	lacks() { [[ ",$(kv "$1")," != *",$2,"* ]] || fail "$1 has $2"; }
	for o in ro nosuid nodev noexec noatime; do has /o1 $o; done
	for o in nodiratime sync dirsync lazytime; do has /o2 $o; done
	for o in relatime noatime; do lacks /o2 $o; done
	for o in rw relatime; do has /o3 $o; done
	for o in ro nosuid nodev noexec noatime; do lacks /o3 $o; done
	for o in ro nosuid nodev noexec noatime nodiratime sync dirsync lazytime; do lacks /o4 $o; done
}

# config.md Linux mount options: bind, rbind, private, rprivate, shared, rshared, unbindable, runbindable are MUST
# ("Bind mount propagation"); source: "A mount is a bind mount if it has either bind or rbind in the options."
@test "config.md mount options: bind and rbind make bind mounts, the propagation options apply" {
	mkdir -p "$TMP/src/sub"
	echo bound >"$TMP/src/marker"
	mount -t tmpfs -o size=1m tmpfs "$TMP/src/sub"
	echo sub >"$TMP/src/sub/marker"
	update_config '.mounts += [
		{"destination": "/b1", "source": $s, "options": ["bind"]},
		{"destination": "/b2", "type": "none", "source": $s, "options": ["rbind"]},
		{"destination": "/p1", "type": "none", "source": $s, "options": ["rbind", "shared"]},
		{"destination": "/p2", "type": "none", "source": $s, "options": ["rbind", "rshared"]},
		{"destination": "/p3", "type": "none", "source": $s, "options": ["rbind", "private"]},
		{"destination": "/p4", "type": "none", "source": $s, "options": ["rbind", "rprivate"]},
		{"destination": "/p5", "type": "none", "source": $s, "options": ["rbind", "unbindable"]},
		{"destination": "/p6", "type": "none", "source": $s, "options": ["rbind", "runbindable"]}]' \
		--arg s "$TMP/src"
	set_args sh -c 'cat /b1/marker; cat /b2/sub/marker; ls /b1/sub
		for m in /p1 /p2 /p3 /p4 /p5 /p6 /p2/sub /p4/sub /p6/sub; do echo "$m=$(checker mountinfo $m | sed -n "s/^propagation=//p")"; done'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	umount "$TMP/src/sub"
	assert_status 0
	[ "${lines[0]}" = bound ] || fail "bind did not bind the host directory"
	[ "${lines[1]}" = sub ] || fail "rbind did not carry the submount"
	[ -z "${lines[2]:-}" ] || [[ "${lines[2]}" = /p1=* ]] || fail "bind carried the submount"
	[[ "$(kv /p1)" == shared:* ]] || fail "shared: $(kv /p1)"
	[[ "$(kv /p2)" == shared:* ]] && [[ "$(kv /p2/sub)" == shared:* ]] || fail "rshared: $(kv /p2) $(kv /p2/sub)"
	[ "$(kv /p3)" = private ] || fail "private: $(kv /p3)"
	[ "$(kv /p4)" = private ] && [ "$(kv /p4/sub)" = private ] || fail "rprivate: $(kv /p4) $(kv /p4/sub)"
	[ "$(kv /p5)" = unbindable ] || fail "unbindable: $(kv /p5)"
	[ "$(kv /p6)" = unbindable ] && [ "$(kv /p6/sub)" = unbindable ] || fail "runbindable: $(kv /p6) $(kv /p6/sub)"
}

# config.md Linux mount options: idmap "If there are no uidMappings and gidMappings specified and the container
# isn't using user namespaces, an error MUST be returned."
@test "config.md mount options: idmap without mappings and without a user namespace is an error" {
	skip_on_runc "1.1 predates idmapped mounts and ignores the option"
	mkdir "$TMP/src"
	set_args true
	expect_config_rejected '.mounts += [{"destination": "/idm", "type": "none", "source": $s, "options": ["rbind", "idmap"]}]' \
		--arg s "$TMP/src"
}

# config.md POSIX-platform Mounts: uidMappings "If specified, it MUST be specified along with gidMappings."
# Valid values: "Runtimes MUST generate an error when invalid or unsupported values are encountered."
@test "config.md mounts: uidMappings without gidMappings is refused" {
	skip_on_runc "1.1 predates mount id mappings and ignores them"
	mkdir "$TMP/src"
	set_args true
	expect_config_rejected '.mounts += [{"destination": "/idm", "type": "none", "source": $s, "options": ["rbind", "idmap"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]' --arg s "$TMP/src"
}

# config.md Process: cwd "This value MUST be an absolute path."
@test "config.md process: a relative cwd is refused" {
	set_args true
	expect_config_rejected '.process.cwd = "tmp"'
}

# config.md Process: args "at least one entry is REQUIRED (non-Windows)"
@test "config.md process: args without an entry is refused" {
	expect_config_rejected '.process.args = []'
	expect_config_rejected 'del(.process.args)'
}

# config.md Process: consoleSize "Runtimes MUST ignore consoleSize if terminal is false or unset."
@test "config.md process: consoleSize is ignored when terminal is false or unset" {
	update_config '.process.consoleSize = {"height": 12, "width": 34} | .process.terminal = false'
	container_run checker tty
	assert_status 0
	[ "$(kv stdin.tty)" = 0 ] && [ "$(kv stdout.tty)" = 0 ] || fail "a terminal was set up: $output"
	update_config 'del(.process.terminal)'
	container_run checker tty
	assert_status 0
	[ "$(kv stdin.tty)" = 0 ] && [ "$(kv stdout.tty)" = 0 ] || fail "a terminal was set up: $output"
}

# config.md POSIX process: rlimits type "The runtime MUST generate an error for any values which cannot be mapped
# to a relevant kernel interface."
@test "config.md rlimits: a type that maps to no kernel limit MUST generate an error" {
	set_args true
	expect_config_rejected '.process.rlimits += [{"type": "RLIMIT_CONFORMANCE", "soft": 1, "hard": 1}]'
	expect_config_rejected '.process.rlimits += [{"type": "NOFILE", "soft": 1, "hard": 1}]'
}

# config.md POSIX process: "For each entry in rlimits, a getrlimit(3) on type MUST succeed." soft: "rlim.rlim_cur
# MUST match the configured value." hard: "rlim.rlim_max MUST match the configured value."
@test "config.md rlimits: getrlimit in the container MUST return the configured soft and hard values" {
	update_config '.process.rlimits = [
		{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
		{"type": "RLIMIT_NPROC", "soft": 1000, "hard": 2000},
		{"type": "RLIMIT_MSGQUEUE", "soft": 8192, "hard": 16384}]'
	set_args sh -c 'for r in NOFILE CORE NPROC MSGQUEUE; do checker rlimit $r | sed "s/^/$r./"; done'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	for want in NOFILE.soft=321 NOFILE.hard=654 CORE.soft=0 CORE.hard=4096 NPROC.soft=1000 NPROC.hard=2000 \
		MSGQUEUE.soft=8192 MSGQUEUE.hard=16384; do
		[ "$(kv "${want%=*}")" = "${want#*=}" ] || fail "want $want, got ${want%=*}=$(kv "${want%=*}")"
	done
}

# config.md POSIX process: "If rlimits contains duplicated entries with same type, the runtime MUST generate an
# error."
@test "config.md rlimits: duplicated entries with the same type MUST generate an error" {
	skip_on_runc "1.1 takes the last of duplicated rlimits"
	set_args true
	expect_config_rejected '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024},
		{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 512}]'
}

# config.md Linux Process: capabilities "Any value which cannot be mapped to a relevant kernel interface, or
# cannot be granted otherwise MUST be logged as a warning by the runtime." runtime.md Warnings: "logging a warning
# does not change the flow of the operation; it MUST continue as if the warning had not been logged."
@test "config.md capabilities: a capability that cannot be mapped is a warning, the container still runs" {
	update_config '.process.capabilities = {
		"bounding": ["CAP_KILL", "CAP_CONFORMANCE"], "effective": ["CAP_KILL", "CAP_CONFORMANCE"],
		"permitted": ["CAP_KILL", "CAP_CONFORMANCE"]}'
	set_args checker caps
	run --separate-stderr husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "run failed on an unknown capability: $stderr"
	# CAP_KILL is bit 5: the known capability is still granted, nothing else
	[ "$(kv CapBnd)" = 0000000000000020 ] && [ "$(kv CapEff)" = 0000000000000020 ] ||
		fail "capabilities: $output"
}

# config.md Linux Process: oomScoreAdj "If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given
# value. If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj."
@test "config.md oomScoreAdj: MUST be set when given and MUST NOT be changed when not" {
	update_config '.process.oomScoreAdj = 421'
	container_run checker oom_score_adj
	assert_status 0
	[ "$(kv oom_score_adj)" = 421 ] || fail "oomScoreAdj 421: $(kv oom_score_adj)"
	update_config 'del(.process.oomScoreAdj)'
	set_args checker oom_score_adj
	# the runtime's caller has a value of its own, which the container inherits untouched
	run sh -c 'echo 123 >/proc/self/oom_score_adj && exec "$@"' sh "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" \
		"$ID" </dev/null
	assert_status 0
	[ "$(kv oom_score_adj)" = 123 ] || fail "oomScoreAdj unset: $(kv oom_score_adj), the caller's is 123"
}

# config.md POSIX-platform Hooks: path "This specification extends the IEEE standard in that path MUST be
# absolute."
@test "config.md hooks: a hook path that is not absolute is refused" {
	skip_on_runc "1.1 does not check that hook paths are absolute"
	set_args true
	for stage in prestart createRuntime createContainer startContainer poststart poststop; do
		expect_config_rejected '.hooks[$s] = [{"path": "bin/true"}]' --arg s "$stage"
	done
}

# config.md POSIX-platform Hooks: timeout "If set, timeout MUST be greater than zero."
@test "config.md hooks: a timeout that is not greater than zero is refused" {
	set_args true
	expect_config_rejected '.hooks.createRuntime = [{"path": "/bin/true", "timeout": 0}]'
	expect_config_rejected '.hooks.createRuntime = [{"path": "/bin/true", "timeout": -1}]'
}

# config.md Annotations: "Keys MUST NOT be an empty string."
@test "config.md annotations: an empty key is refused" {
	skip_on_runc "1.1 accepts an empty annotation key"
	set_args true
	expect_config_rejected '.annotations = {"": "value"}'
}

# config.md Annotations: "Values MUST be strings."
@test "config.md annotations: a value that is not a string is refused" {
	set_args true
	expect_config_rejected '.annotations = {"org.example.number": 1}'
	expect_config_rejected '.annotations = {"org.example.object": {}}'
}

# config.md Annotations: "Runtimes MUST handle unknown annotation keys like any other unknown property."
@test "config.md annotations: unknown keys are accepted and kept" {
	update_config '.annotations = {"com.example.conformance.unknown": "x", "org.opencontainers.conformance": "y"}'
	set_args sleep 600
	husk_create
	husk state "$ID" | jq -e '.annotations["com.example.conformance.unknown"] == "x"' || fail "annotation lost"
}

# config.md Extensibility: "Runtimes MAY log unknown properties but MUST otherwise ignore them. That includes not
# generating errors if they encounter an unknown property."
@test "config.md extensibility: unknown properties are ignored, not errors" {
	update_config '.conformanceTop = {"a": [1, 2]}
		| .process.conformanceProcess = true
		| .process.user.conformanceUser = 1
		| .root.conformanceRoot = "x"
		| .mounts[0].conformanceMount = null
		| .linux.conformanceLinux = {}
		| .linux.namespaces[0].conformanceNs = 1
		| .linux.resources.conformanceResources = 2
		| .hooks = {"conformanceStage": [{"path": "/bin/false"}], "poststop": [{"path": "/bin/true", "conformanceHook": 1}]}'
	container_run sh -c 'echo ran'
	assert_status 0
	[ "$output" = ran ] || fail "output: $output"
}

# config.md Valid values: "Runtimes MUST generate an error when invalid or unsupported values are encountered."
@test "config.md valid values: invalid or unsupported values MUST generate an error" {
	set_args true
	expect_config_rejected '.linux.namespaces[0].type = "conformance"'
	expect_config_rejected '.linux.rootfsPropagation = "conformance"'
	expect_config_rejected '.linux.seccomp = {"defaultAction": "SCMP_ACT_CONFORMANCE"}'
	expect_config_rejected '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_CONFORMANCE"]}'
	expect_config_rejected '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_CONFORMANCE"}]}]}'
	expect_config_rejected '.process.user.uid = -1'
	expect_config_rejected '.linux.devices = [{"path": "/dev/conf", "type": "x", "major": 1, "minor": 3}]'
	expect_config_rejected '.linux.resources.devices = [{"allow": true, "type": "x", "access": "rwm"}]'
}
