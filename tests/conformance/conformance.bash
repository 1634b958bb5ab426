# Helpers shared by the conformance tests, on top of tests/integration/helpers.bash (loaded first).
# The quotes in the tests are from runtime-spec v1.2.0.

# Busybox applets kept in the conformance template rootfs: what the tests run inside containers, and then some.
# (Copying the 270 applet links of the full template into every test's bundle was a third of the suite's time.)
KEEP_APPLETS="[ [[ ash awk basename cat chmod cp cut date dd dirname echo env expr false grep head hostname id
	kill ln ls mkdir mount mv nproc od printf ps pwd readlink rm sed seq sh sleep sort stat tail tee test touch tr
	true umount uname uniq wc which xargs yes"

# setup_file of every conformance file: one template bundle for the whole bats run (under $BATS_RUN_TMPDIR),
# built by the integration helpers on first use and slimmed to $KEEP_APPLETS.
conformance_setup_file() {
	local template=$BATS_RUN_TMPDIR/conformance-template keep applet
	if [ ! -d "$template" ]; then
		husk_setup_file || return 1
		keep=" $(tr -s ' \t\n' ' ' <<<"$KEEP_APPLETS") "
		for applet in "$TEMPLATE_BUNDLE"/rootfs/bin/*; do
			[ -L "$applet" ] || continue
			[[ "$keep" == *" ${applet##*/} "* ]] || rm "$applet"
		done
		mv "$TEMPLATE_BUNDLE" "$template"
	fi
	RUNTIME=$(runtime_name)
	TEMPLATE_BUNDLE=$template
	export RUNTIME TEMPLATE_BUNDLE
}

# set_args WORD...: process.args = the words, like the integration helper of that name but with one jq instead of
# one per word (the words go in NUL-separated, so none is taken for a jq option).
set_args() {
	printf '%s\0' "$@" >"$TMP/args.nul"
	update_config '.process.args = ($words | split("\u0000")[:-1])' --rawfile words "$TMP/args.nul"
}

# Everything a create or start of container $1 (default $ID) could have left on the host: state dir, cgroup,
# processes whose command line names the id (the init before execve is a clone of the runtime's `create ID`),
# and host mounts under $TMP.
assert_nothing_left() {
	local id=${1:-$ID} pids mnts
	assert_no_trace "$id" || return 1
	pids=$(marker_pids "$id")
	if [ -n "$pids" ]; then
		echo "processes left for $id: $(for p in $pids; do cmdline_of "$p"; echo; done)" >&2
		return 1
	fi
	mnts=$(awk -v tmp="$TMP/" 'index($5, tmp) == 1 { print $5 }' /proc/self/mountinfo)
	if [ -n "$mnts" ]; then
		echo "host mounts left: $mnts" >&2
		return 1
	fi
}

# create must fail and leave nothing behind ("generate an error", runtime.md Errors).
expect_create_error() {
	local id=${1:-$ID}
	run husk_create "$id"
	[ "$status" -ne 0 ] || fail "create succeeded"
	assert_nothing_left "$id"
}

# The config.json of the bundle was edited by a test case: put back the pristine one.
save_config() { cp "$BUNDLE/config.json" "$TMP/config.pristine"; }
restore_config() { cp "$TMP/config.pristine" "$BUNDLE/config.json"; }

# expect_config_rejected JQ_FILTER [jq args...]: a config edited by the filter is refused by create, which
# leaves nothing; the bundle's config is restored afterwards.
expect_config_rejected() {
	save_config
	update_config "$@"
	run husk_create "$ID"
	local rc=$status out=$output
	restore_config
	[ "$rc" -ne 0 ] || { output=$out; fail "create accepted a config edited with: $1"; }
	assert_nothing_left
}

# The inode of namespace TYPE (net, uts, ipc, mnt, pid, cgroup, time) of process PID, e.g. net:[4026531840].
ns_of() {
	readlink "/proc/$1/ns/$2"
}

# The cgroup directory of PID for a v1 controller (or the v2 hierarchy when the controller is not on v1).
cgroup_dir_of() {
	local pid=$1 controller=$2 line path
	line=$(awk -F: -v c="$controller" '{ n = split($2, cs, ","); for (i = 1; i <= n; i++) if (cs[i] == c) print }' \
		"/proc/$pid/cgroup")
	if [ -n "$line" ]; then
		path=${line#*:*:}
		echo "/sys/fs/cgroup/$controller$path"
		return
	fi
	path=$(awk -F: '$1 == "0" && $2 == "" { print $3 }' "/proc/$pid/cgroup")
	if [ -d /sys/fs/cgroup/unified ]; then
		echo "/sys/fs/cgroup/unified$path"
	else
		echo "/sys/fs/cgroup$path"
	fi
}

# Live processes whose command line contains the fixed string MARKER (zombies and this lookup left out).
marker_pids() {
	local p
	for p in $(pgrep -f -- "$1"); do
		[[ "$(cmdline_of "$p")" != *"$1"* ]] || echo "$p"
	done
}

# The command line of PID with NULs as spaces.
cmdline_of() {
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null
}

# Whether process $1's command line (as cmdline_of prints it) is $2.
cmdline_is() {
	[ "$(cmdline_of "$1")" = "$2" ]
}

# A process that is gone or a zombie waiting for its reaper.
process_gone() {
	! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# The hook script used by hooks.bats: `hook STAGE DIR [STATUS]` appends STAGE to DIR/log, keeps the state read
# from stdin as DIR/state.STAGE and the namespaces it runs in as DIR/ns.STAGE, then exits STATUS (default 0).
# Plain sh, readlink and cat: it also runs inside the busybox rootfs.
write_hook_script() {
	cat >"$1" <<'EOF'
#!/bin/sh
stage=$1 dir=$2
cat >"$dir/state.$stage"
for ns in mnt net uts ipc pid cgroup; do
	echo "$ns=$(readlink /proc/self/ns/$ns)"
done >"$dir/ns.$stage"
echo "$stage" >>"$dir/log"
exit "${3:-0}"
EOF
	chmod 0755 "$1"
}
