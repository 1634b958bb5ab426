#!/usr/bin/env bats
# Idmapped mounts (runtime-spec 1.2 mount uidMappings/gidMappings and the idmap/ridmap options): the owners seen
# through the mount, with and without a user namespace, ridmap over submounts, the mount's options and
# propagation, and the errors (one line, nothing left behind).

load helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	skip_on_runc "1.1 has no idmapped mounts"
	# A container's root in a user namespace acts on the host as uid 100000: it must reach the bundle.
	chmod 0755 "$TMP"
	# The source of the idmapped mounts: root-owned and 1000:1001-owned files.
	mkdir -p "$TMP/data"
	touch "$TMP/data/root" "$TMP/data/user"
	chown 1000:1001 "$TMP/data/user"
}
teardown() { husk_teardown; }

MAPS='[{"containerID": 0, "hostID": 100000, "size": 65536}]'
GMAPS='[{"containerID": 0, "hostID": 200000, "size": 65536}]'

# add_idmapped DESTINATION SOURCE OPTIONS_JSON [UIDMAPS_JSON GIDMAPS_JSON]
add_idmapped() {
	if [ $# -ge 5 ]; then
		update_config '.mounts += [{"destination": $d, "type": "bind", "source": $s, "options": $o,
			"uidMappings": $u, "gidMappings": $g}]' \
			--arg d "$1" --arg s "$2" --argjson o "$3" --argjson u "$4" --argjson g "$5"
	else
		update_config '.mounts += [{"destination": $d, "type": "bind", "source": $s, "options": $o}]' \
			--arg d "$1" --arg s "$2" --argjson o "$3"
	fi
}

# A user namespace for the container: 0-65535 -> 100000 (uids), 200000 (gids).
with_userns() {
	update_config '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = $u | .linux.gidMappings = $g' \
		--argjson u "$MAPS" --argjson g "$GMAPS"
}

# Shell text for the container: `st NAME PATH` prints NAME=uid:gid of PATH as the container sees it (checker stat).
ST=$(
	cat <<'EOF'
st() { checker stat "$2" | awk -F= -v n="$1" '$1 == "uid" { u = $2 } $1 == "gid" { g = $2 } END { print n "=" u ":" g }'; }
EOF
)

@test "idmap: mount mappings show the files' owners mapped, without a user namespace" {
	echo content >"$TMP/file"
	chown 0:0 "$TMP/file"
	add_idmapped /data "$TMP/data" '["bind", "idmap"]' "$MAPS" "$GMAPS"
	add_idmapped /etc/idmapped-file "$TMP/file" '["bind", "idmap"]' "$MAPS" "$GMAPS"
	container_run sh -c "$ST"'
		st root /data/root; st user /data/user; st file /etc/idmapped-file
		checker mountinfo /data | grep ^mount_options=; cat /etc/idmapped-file'
	assert_status 0
	# On disk 0 is containerID 0 of the mount mappings: it shows as hostID 100000 (gids: 200000).
	[ "$(kv root)" = 100000:200000 ] || fail "$output"
	[ "$(kv user)" = 101000:201001 ] || fail "$output"
	[ "$(kv file)" = 100000:200000 ] || fail "$output"
	[[ ",$(kv mount_options)," == *,idmapped,* ]] || fail "$output"
	assert_output_contains content
	# The files themselves are untouched.
	[ "$(stat -c %u:%g "$TMP/data/user")" = 1000:1001 ]
}

@test "idmap: without mappings, the container's user namespace mappings are used" {
	with_userns
	add_idmapped /data "$TMP/data" '["bind", "idmap"]'
	# The same directory without idmap, for comparison.
	update_config '.mounts += [{"destination": "/plain", "type": "bind", "source": $s, "options": ["bind"]}]' \
		--arg s "$TMP/data"
	container_run sh -c "$ST"'
		st root /data/root; st user /data/user; st plain /plain/root
		touch /data/made-inside && echo touched=yes'
	assert_status 0
	# Through the idmapped mount the host's ids read as the container's own.
	[ "$(kv root)" = 0:0 ] || fail "$output"
	[ "$(kv user)" = 1000:1001 ] || fail "$output"
	# Without it, host root is unmapped in the container: the overflow ids.
	[ "$(kv plain)" = 65534:65534 ] || fail "$output"
	# The container's root writes as the host's root through the mount.
	[ "$(kv touched)" = yes ] || fail "$output"
	[ "$(stat -c %u:%g "$TMP/data/made-inside")" = 0:0 ] || fail "$(stat -c %u:%g "$TMP/data/made-inside")"
}

@test "idmap: mount mappings of its own win over the container's" {
	with_userns
	# On-disk 0 -> host 101000, which the container's user namespace maps back to 1000.
	add_idmapped /data "$TMP/data" '["bind", "idmap"]' \
		'[{"containerID": 0, "hostID": 101000, "size": 1000}]' '[{"containerID": 0, "hostID": 202000, "size": 1000}]'
	container_run sh -c "$ST"'
		st root /data/root'
	assert_status 0
	[ "$(kv root)" = 1000:2000 ] || fail "$output"
}

@test "idmap: mappings alone (no idmap option) idmap the mount, as in runc" {
	add_idmapped /data "$TMP/data" '["bind"]' "$MAPS" "$GMAPS"
	container_run sh -c "$ST"'
		st root /data/root'
	assert_status 0
	[ "$(kv root)" = 100000:200000 ] || fail "$output"
}

@test "idmap: ridmap idmaps the submounts of an rbind tree, idmap only its top" {
	mkdir -p "$TMP/tree"
	mount -t tmpfs -o mode=0755 tree "$TMP/tree"
	mkdir "$TMP/tree/sub"
	touch "$TMP/tree/top"
	mount -t tmpfs -o mode=0755 sub "$TMP/tree/sub"
	touch "$TMP/tree/sub/inner"
	add_idmapped /one "$TMP/tree" '["rbind", "idmap"]' "$MAPS" "$GMAPS"
	add_idmapped /all "$TMP/tree" '["rbind", "ridmap"]' "$MAPS" "$GMAPS"
	container_run sh -c "$ST"'
		st one_top /one/top; st one_inner /one/sub/inner; st all_top /all/top; st all_inner /all/sub/inner
		echo one_sub=$(checker mountinfo /one/sub | grep ^mount_options=)
		echo all_sub=$(checker mountinfo /all/sub | grep ^mount_options=)'
	assert_status 0
	[ "$(kv one_top)" = 100000:200000 ] || fail "$output"
	[ "$(kv one_inner)" = 0:0 ] || fail "$output"
	[[ "$(kv one_sub)" != *idmapped* ]] || fail "$output"
	[ "$(kv all_top)" = 100000:200000 ] || fail "$output"
	[ "$(kv all_inner)" = 100000:200000 ] || fail "$output"
	[[ "$(kv all_sub)" == *idmapped* ]] || fail "$output"
}

@test "idmap: the mount's own options apply to the idmapped mount" {
	add_idmapped /data "$TMP/data" '["bind", "idmap", "ro", "nosuid", "nodev"]' "$MAPS" "$GMAPS"
	container_run sh -c 'checker write /data/x; checker mountinfo /data | grep ^mount_options='
	assert_status 0
	[ "$(kv write)" = EROFS ] || fail "$output"
	opts=",$(kv mount_options),"
	[[ "$opts" == *,ro,* && "$opts" == *,nosuid,* && "$opts" == *,nodev,* && "$opts" == *,idmapped,* ]] ||
		fail "$output"
	[ ! -e "$TMP/data/x" ]
}

@test "idmap: a mount made under an idmapped mount in the container does not reach the host" {
	# A shared source: a plain clone of it would be a peer of the host's mount.
	mkdir -p "$TMP/shared-src"
	mount -t tmpfs -o mode=0755 shared-src "$TMP/shared-src"
	mount --make-shared "$TMP/shared-src"
	mkdir "$TMP/shared-src/x"
	with_userns
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	add_idmapped /src "$TMP/shared-src" '["rbind", "idmap"]'
	container_run sh -c 'mount -t tmpfs inside /src/x && echo mounted=yes; checker mountinfo /src | grep ^propagation='
	assert_status 0
	[ "$(kv mounted)" = yes ] || fail "$output"
	# A slave of the host's peer group: host mounts come in, the container's do not go out.
	[[ "$(kv propagation)" == master:* ]] || fail "$output"
	! grep -q " $TMP/shared-src/x " /proc/self/mountinfo || fail "the container's mount reached the host"
}

@test "idmap: no idmapped tree stays open for the process to reach through /proc/self/fd" {
	with_userns
	add_idmapped /data "$TMP/data" '["bind", "idmap"]'
	add_idmapped /data2 "$TMP/data" '["bind", "idmap"]' "$MAPS" "$GMAPS"
	# A tree the init kept would be a host directory: a cwd through it would start the process there.
	for fd in 3 4 5 6 7 8 9 10; do
		update_config '.process.cwd = $cwd' --arg cwd "/proc/self/fd/$fd"
		container_run true
		[ "$status" -ne 0 ] || fail "started with cwd /proc/self/fd/$fd"
	done
}

@test "idmap: idmap on a filesystem mount is refused in one line, with nothing left" {
	husk_only "message text"
	update_config '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}]'
	container_run true
	[ "$status" -ne 0 ] || fail "expected a failure"
	[ "${#lines[@]}" -eq 1 ] || fail "not one line"
	n=$(($(jq '.mounts | length' "$BUNDLE/config.json") - 1))
	assert_output_contains "config.json: mounts[$n] (\`/scratch\`): only bind mounts can be idmapped"
	assert_no_trace
	[ ! -e "$BUNDLE/rootfs/scratch" ] || fail "mount point created"
}

@test "idmap: bad mount mappings are refused in one line naming the mount" {
	husk_only "message text"
	n=$(jq '.mounts | length' "$BUNDLE/config.json")
	add_idmapped /data "$TMP/data" '["bind", "idmap"]' '[{"containerID": 0, "hostID": 100000, "size": 0}]' "$GMAPS"
	container_run true
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] || fail "expected a one-line failure"
	assert_output_contains "config.json: mounts[$n] (\`/data\`): uidMappings[0]: size must be at least 1"
	assert_no_trace

	update_config '.mounts[-1].gidMappings = [{"containerID": 0, "hostID": 1, "size": 10},
		{"containerID": 5, "hostID": 100, "size": 10}] | .mounts[-1].uidMappings[0].size = 10'
	container_run true
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] || fail "expected a one-line failure"
	assert_output_contains "gidMappings[1]: container ids 5-14 overlap those of entry 0"

	update_config '.mounts[-1].gidMappings = [{"containerID": 0, "hostID": 4294967290, "size": 10}]'
	container_run true
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] || fail "expected a one-line failure"
	assert_output_contains "gidMappings[0]: the range ends past the last valid id"

	update_config 'del(.mounts[-1].gidMappings)'
	container_run true
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] || fail "expected a one-line failure"
	assert_output_contains "uidMappings and gidMappings: give both"
	assert_no_trace
	[ ! -e "$BUNDLE/rootfs/data" ] || fail "mount point created"
}

@test "idmap: idmap without mappings needs a user namespace to take them from" {
	husk_only "message text"
	add_idmapped /data "$TMP/data" '["bind", "ridmap"]'
	container_run true
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] || fail "expected a one-line failure"
	assert_output_contains "\`ridmap\` without uidMappings and gidMappings uses the container's user namespace mappings"
	assert_no_trace
}

@test "idmap: a source whose filesystem cannot be idmapped fails in one line" {
	husk_only "message text"
	add_idmapped /hostproc /proc '["rbind", "idmap"]' "$MAPS" "$GMAPS"
	container_run true
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] || fail "expected a one-line failure"
	assert_output_contains "idmapped bind mount \`/proc\` on \`/hostproc\`: the filesystem of the source does not support idmapped mounts"
	assert_no_trace
	[ ! -e "$BUNDLE/rootfs/hostproc" ] || fail "mount point created"
}

@test "idmap: an unprivileged runtime is refused, as by runc" {
	husk_only "message text"
	command -v setpriv >/dev/null || skip "no setpriv"
	# nobody maps only itself: no newuidmap needed, and the idmapped mount is what fails (devpts' gid=5 would be
	# unmapped).
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 65534, "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 65534, "size": 1}]
		| (.mounts[] | select(.type == "devpts") | .options) |= map(select(. != "gid=5"))'
	add_idmapped /data "$TMP/data" '["bind", "idmap"]'
	mkdir -m 0777 "$TMP/user-root"
	run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$HUSK" --root "$TMP/user-root" run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] || fail "expected a one-line failure"
	assert_output_contains "idmapped mounts need husk to run as root"
	[ -z "$(ls -A "$TMP/user-root")" ] || fail "state left: $(ls -A "$TMP/user-root")"
}

@test "idmap: features report idmapped mounts and the idmap and ridmap options" {
	husk_only "features of husk"
	run husk features
	assert_status 0
	printf '%s' "$output" | jq -e '.linux.mountExtensions.idmap.enabled == true
		and (.mountOptions | index("idmap")) != null and (.mountOptions | index("ridmap")) != null' >/dev/null ||
		fail "features: $output"
}
