#!/usr/bin/env bats
# check: `husk check` reports this host's container support (cgroup layout and controllers, namespaces, seccomp,
# syscalls, LSM, CRIU) in text and JSON, and exits 1 when something root containers need is missing. The expected
# values are read from the host independently (statfs type, /proc/cgroups, cgroup.controllers).

load helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	husk_only "check is husk's own command"
}
teardown() { husk_teardown; }

PROBES="cgroup.layout cgroup.controllers cgroup.delegation namespaces time_namespace user_namespaces
user_namespaces.unprivileged subuid subgid newuidmap newgidmap seccomp seccomp.notify openat2 clone3 pidfd_open
fsopen mount_setattr procfs.pidns lsm criu"

# The layout as the host shows it: cgroup2 on /sys/fs/cgroup (v2), cgroup2 on .../unified (hybrid), else v1.
host_layout() {
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo v2
	elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo hybrid
	else
		echo v1
	fi
}

# Controllers the host has: mounted v1 hierarchies (hierarchy id != 0, enabled) plus the cgroup2 root's.
host_controllers() {
	local layout
	layout=$(host_layout)
	if [ "$layout" != v2 ]; then
		awk '!/^#/ && $2 != 0 && $4 == 1 { print $1 }' /proc/cgroups |
			while read -r c; do [ "$(stat -fc %T "/sys/fs/cgroup/$c" 2>/dev/null)" = cgroupfs ] && echo "$c"; done
	fi
	case "$layout" in
	v2) tr ' ' '\n' </sys/fs/cgroup/cgroup.controllers ;;
	hybrid) tr ' ' '\n' </sys/fs/cgroup/unified/cgroup.controllers ;;
	esac
}

@test "check: text output names every probe, the host's cgroup layout, and exits 0 here" {
	run "$HUSK" check
	echo "$output"
	[ "$status" -eq 0 ]
	for probe in $PROBES; do
		echo "$output" | grep -qE "^(ok|warning|missing) +$probe " || { echo "no line for $probe"; false; }
	done
	case "$(host_layout)" in
	v2) echo "$output" | grep -qE '^ok +cgroup.layout +unified cgroup2 hierarchy at `/sys/fs/cgroup`' ;;
	hybrid) echo "$output" | grep -qE '^ok +cgroup.layout +cgroup v1 controllers .* cgroup2 at `/sys/fs/cgroup/unified`' ;;
	v1) echo "$output" | grep -qE '^warning +cgroup.layout +legacy cgroup v1' ;;
	esac
	# Every item that is not ok says how to fix it on the next line.
	echo "$output" | awk '/^(warning|missing) / { want = 1; next } want { if ($1 != "fix:") exit 1; want = 0 }'
	[[ "$output" == *"husk can run containers as root on this host"* ]]
}

@test "check: --format json is one object with every probe, the layout and the controllers" {
	run --separate-stderr "$HUSK" check --format json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e . >/dev/null
	[ "$(echo "$output" | jq -r .ok)" = true ]
	for probe in $PROBES; do
		[ "$(echo "$output" | jq --arg n "$probe" '[.checks[] | select(.name == $n)] | length')" = 1 ] ||
			{ echo "no single item for $probe"; false; }
	done
	# Item shape: status is one of three words; fix exactly when not ok; required items are all ok here.
	echo "$output" | jq -e '.checks | all(.status == "ok" or .status == "warning" or .status == "missing")'
	echo "$output" | jq -e '.checks | all((.status == "ok") == (has("fix") | not))'
	echo "$output" | jq -e '.checks | all(.detail | type == "string" and length > 0)'
	echo "$output" | jq -e '[.checks[] | select(.required and .status == "missing")] | length == 0'

	local layout
	layout=$(echo "$output" | jq -r '.checks[] | select(.name == "cgroup.layout") | .value')
	[ "$layout" = "$(host_layout)" ]
	# The controller list is exactly the host's (order aside).
	local got want
	got=$(echo "$output" | jq -r '.checks[] | select(.name == "cgroup.controllers") | .value' | tr ' ' '\n' |
		grep . | sort)
	want=$(host_controllers | grep . | sort)
	echo "got: $got"
	echo "want: $want"
	[ "$got" = "$want" ]
	[[ "$got" == *memory* ]] && [[ "$got" == *pids* ]]
}

@test "check: probes agree with what the host really has" {
	run --separate-stderr "$HUSK" check -f json
	[ "$status" -eq 0 ]
	item() { echo "$output" | jq -r --arg n "$1" ".checks[] | select(.name == \$n) | .$2"; }
	# These are what husk itself runs on: they exist on any host where the integration tests pass.
	for probe in namespaces seccomp openat2 clone3 pidfd_open; do
		[ "$(item "$probe" status)" = ok ] || { echo "$probe: $(item "$probe" detail)"; false; }
	done
	if [ -e /proc/self/ns/time ]; then [ "$(item time_namespace status)" = ok ]; else [ "$(item time_namespace status)" = missing ]; fi
	if [ "$("$CHECKER" proc-pidns)" = proc_pidns=yes ]; then
		[ "$(item procfs.pidns status)" = ok ]
	else
		[ "$(item procfs.pidns status)" = warning ]
	fi
	[ "$(item user_namespaces value)" = "$(cat /proc/sys/user/max_user_namespaces)" ]
	if command -v criu >/dev/null; then
		[ "$(item criu value)" = "$(criu --version | awk '/^Version:/ { print $2 }')" ]
	else
		[ "$(item criu status)" = missing ]
	fi
	local newuidmap
	newuidmap=$(command -v newuidmap || true)
	if [ -n "$newuidmap" ] && [ -u "$newuidmap" ]; then
		[ "$(item newuidmap status)" = ok ]
		[ "$(item newuidmap value)" = "$newuidmap" ]
	fi
	# The subuid count is the sum of root's ranges in /etc/subuid.
	local want
	want=$(awk -F: '$1 == "root" || $1 == "0" { n += $3 } END { print n + 0 }' /etc/subuid 2>/dev/null || echo 0)
	[ "$(item subuid value)" = "$want" ]
}

@test "check: an unprivileged caller gets a delegation verdict for itself" {
	run --separate-stderr setpriv --reuid 65534 --regid 65534 --clear-groups "$HUSK" check --format json
	[ "$status" -eq 0 ]
	local deleg
	deleg=$(echo "$output" | jq -r '.checks[] | select(.name == "cgroup.delegation") | .status')
	# nobody owns no cgroup on this host.
	[ "$deleg" = warning ]
	echo "$output" | jq -e '.checks[] | select(.name == "cgroup.delegation") | .fix | length > 0'
	echo "$output" | jq -e '.checks[] | select(.name == "cgroup.delegation") | .detail | contains("uid 65534")'
}

@test "check: a required syscall denied by seccomp is reported missing with a fix, and check exits 1" {
	# husk check inside a container whose seccomp filter makes openat2 ENOSYS: the probe must see the syscall,
	# not a kernel version.
	local rootfs=$BUNDLE/rootfs lib
	cp "$HUSK" "$rootfs/husk"
	for lib in $(ldd "$HUSK" | awk '/=>/ { print $3 } /^\t\// { print $1 }'); do
		mkdir -p "$rootfs$(dirname "$lib")"
		cp -L "$lib" "$rootfs$lib"
	done
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["openat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
	container_run /husk check
	echo "$output"
	[ "$status" -eq 1 ]
	echo "$output" | grep -E '^missing +openat2 +openat2: not implemented by this kernel'
	echo "$output" | grep -A1 -E '^missing +openat2' | grep -q 'fix: needs Linux 5.6+'
	[[ "$output" == *"husk cannot run containers on this host"* ]]

	update_config '.linux.seccomp.syscalls[0].errnoRet = 1'
	container_run /husk check --format json
	[ "$status" -eq 1 ]
	echo "$output" | jq -e '.ok == false'
	echo "$output" | jq -e '.checks[] | select(.name == "openat2") | .status == "missing" and (.detail | contains("blocked"))'
}

@test "check: bad usage is a clear error" {
	run "$HUSK" check --format yaml
	[ "$status" -eq 1 ]
	[[ "$output" == *'check: --format: unknown format `yaml` (text or json)'* ]]
	run "$HUSK" check extra
	[ "$status" -eq 1 ]
	[[ "$output" == *"check: too many arguments"* ]]
	run "$HUSK" check --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--format"* ]]
}
