#!/usr/bin/env bats
# run_oci mode: husk invoked as `run_oci` takes ChromeOS run_oci's command line (run, start, kill, destroy),
# plus the loop and performInIntermediateNamespace mounts that run_oci configs use.

load helpers

setup_file() { husk_setup_file; }

setup() {
	husk_setup
	husk_only "run_oci mode is husk's"
	RUN_OCI=$TMP/run_oci
	ln -s "$HUSK" "$RUN_OCI"
	add_shared_dir
}

teardown() {
	# Loop devices backed by this test's images: listed before teardown deletes them, detached after the
	# containers are gone (a mounted device is only marked autoclear).
	local loops dev
	loops=$(losetup --noheadings --list --output NAME,BACK-FILE 2>/dev/null |
		awk -v tmp="${TMP:-/nonexistent}/" 'index($2, tmp) == 1 { print $1 }')
	husk_teardown
	for dev in $loops; do
		losetup --detach "$dev" 2>/dev/null || true
	done
}

# run_oci with this test's state root (--root is husk's addition to run_oci's options).
run_oci() {
	"$RUN_OCI" --root "$ROOT" "$@"
}

# run_oci start with the container's stdio away from bats' pipes (see husk_create in helpers.bash).
run_oci_start() {
	run_oci start "$@" </dev/null >"$TMP/start.out" 2>"$TMP/start.err" 3>&-
	local rc=$?
	[ $rc -eq 0 ] || cat "$TMP/start.err" >&2
	return $rc
}

# An 8 MiB ext4 image at $1 holding /hello (made with mkfs.ext4 -d: nothing is mounted on the host).
make_ext4_image() {
	mkdir -p "$TMP/image-content"
	echo from-the-image >"$TMP/image-content/hello"
	truncate -s 8M "$1"
	mkfs.ext4 -q -F -d "$TMP/image-content" "$1"
}

# Loop devices attached to the image $1 (none once everything is released).
loops_of() {
	losetup --noheadings --associated "$1" 2>/dev/null
}

no_loops_of() {
	[ -z "$(loops_of "$1")" ]
}

# Without the devpts gid=5 option: a user namespace that maps only root has no group 5.
devpts_without_gid() {
	update_config '(.mounts[] | select(.destination == "/dev/pts") | .options) |= map(select(startswith("gid=") | not))'
}

# A user namespace mapping ids 0-65535 to themselves, whose maps -u replaces.
with_user_namespace() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
}

@test "run_oci: run appends the arguments after -- and exits with the container's status" {
	set_args sh -c 'echo "args:$*"; exit 7' sh
	run run_oci run -c "$BUNDLE" "$ID" -- one 'two words' </dev/null
	assert_status 7
	assert_output_contains "args:one two words"
	# run cleans up after the container
	assert_no_trace
}

@test "run_oci: run exits 128+N when the container dies of signal N" {
	set_args sleep 600
	"$RUN_OCI" --root "$ROOT" run -c "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- &
	run_pid=$!
	BACKGROUND_PIDS+=("$run_pid")
	wait_for_status running
	# kill works on a container that run holds in the foreground
	run_oci kill -S KILL "$ID"
	rc=0
	wait "$run_pid" || rc=$?
	[ "$rc" -eq 137 ] || fail "run exited $rc, want 137: $(cat "$TMP/run.out")"
	assert_no_trace
}

@test "run_oci: run exits 253 when the container dies of SIGSYS, as minijail reports a seccomp violation" {
	# without a pid namespace of its own the shell is no init, which ignores its own SIGSYS
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'kill -SYS $$'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 253
	assert_no_trace
}

@test "run_oci: the bundle defaults to the current directory" {
	set_args sh -c 'echo in-cwd-bundle'
	cd "$BUNDLE"
	run run_oci run "$ID" </dev/null
	assert_status 0
	assert_output_contains in-cwd-bundle
}

@test "run_oci: signals sent to run are forwarded to the container" {
	set_args sh -c 'trap "echo usr1 > /shared/got; exit 9" USR1; echo > /shared/ready; while :; do sleep 0.05; done'
	"$RUN_OCI" --root "$ROOT" run -c "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- &
	run_pid=$!
	BACKGROUND_PIDS+=("$run_pid")
	retry 100 0.05 test -e "$TMP/shared/ready"
	kill -USR1 "$run_pid"
	rc=0
	wait "$run_pid" || rc=$?
	[ "$(cat "$TMP/shared/got")" = usr1 ]
	[ "$rc" -eq 9 ] || fail "run exited $rc, want 9: $(cat "$TMP/run.out")"
}

@test "run_oci: --bind_mount binds host paths after the config's mounts, and may repeat" {
	mkdir -p "$TMP/host-a" "$TMP/host-b"
	echo content-a >"$TMP/host-a/file"
	echo content-b >"$TMP/host-b/file"
	# The config mounts a tmpfs on /data: the --bind_mount on /data/b comes after it, so it is visible.
	update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs"}]'
	set_args sh -c 'cat /a/file /data/b/file'
	run run_oci run -c "$BUNDLE" -b "$TMP/host-a:/a" --bind_mount "$TMP/host-b:/data/b" "$ID" </dev/null
	assert_status 0
	assert_output_contains content-a
	assert_output_contains content-b
}

@test "run_oci: --bind_mount ignores what follows a second colon, as run_oci" {
	mkdir -p "$TMP/host-a"
	echo content-a >"$TMP/host-a/file"
	set_args sh -c 'cat /a/file; /bin/checker write /a/x'
	run run_oci run -c "$BUNDLE" -b "$TMP/host-a:/a:ro:more" "$ID" </dev/null
	assert_status 0
	assert_output_contains content-a
	# the extra part is no option: the bind stays writable
	assert_output_contains "write=ok"
	assert_output_contains "ignored"
}

@test "run_oci: --bind_mount needs SOURCE:DESTINATION with an existing source and absolute destination" {
	for bad in "$TMP/shared" "$TMP/shared:" ":/x" "$TMP/shared:relative" "$TMP/missing:/x" "$TMP/shared::/x"; do
		run run_oci run -c "$BUNDLE" -b "$bad" "$ID" </dev/null
		[ "$status" -eq 255 ] || fail "--bind_mount '$bad' exited $status"
		assert_output_contains "--bind_mount"
	done
	assert_no_trace
}

@test "run_oci: --use_current_user maps container root to the caller's uid and gid only" {
	with_user_namespace
	devpts_without_gid
	set_args sh -c 'echo uid_map: $(cat /proc/self/uid_map); echo gid_map: $(cat /proc/self/gid_map); /bin/checker ids'
	run run_oci run -c "$BUNDLE" -u "$ID" </dev/null
	assert_status 0
	assert_output_contains "uid_map: 0 $(id -u) 1"
	assert_output_contains "gid_map: 0 $(id -g) 1"
	[ "$(kv uid)" = 0 ] || fail "uid inside is not 0"
	# Without -u: the config's maps.
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	assert_output_contains "uid_map: 0 0 65536"
}

@test "run_oci: --use_current_user adds no user namespace to a config without one" {
	# as run_oci: -u only replaces the maps of a user namespace the config has; devpts keeps its gid=5
	set_args sh -c 'echo uid_map: $(cat /proc/self/uid_map); readlink /proc/self/ns/user'
	run run_oci run -c "$BUNDLE" -u "$ID" </dev/null
	assert_status 0
	assert_output_contains "uid_map: 0 0 4294967295"
	assert_output_contains "$(readlink /proc/self/ns/user)"
	assert_output_contains "--use_current_user ignored"
}

@test "run_oci: --cgroup_parent holds the container's cgroup when the config has none" {
	parent=$ID-parent
	set_args /bin/checker cgroup
	run run_oci run -c "$BUNDLE" -p "$parent" "$ID" </dev/null
	assert_status 0
	# every hierarchy (v1 controllers and the unified one) places the container at /<parent>/<id>
	assert_output_contains "/$parent/$ID"
	[ "$(grep -c "/$parent/$ID\$" <<<"$output")" -ge 1 ]
	assert_no_cgroup "$ID"

	# config.json's cgroupsPath wins over --cgroup_parent
	update_config '.linux.cgroupsPath = $p' --arg p "/$ID-config"
	run run_oci run -c "$BUNDLE" -p "$parent" "$ID" </dev/null
	assert_status 0
	assert_output_contains "/$ID-config"
	[[ "$output" != *"/$parent/"* ]] || fail "--cgroup_parent overrode cgroupsPath"

	run run_oci run -c "$BUNDLE" -p "a/../b" "$ID" </dev/null
	assert_status 255
	assert_output_contains "--cgroup_parent"
}

@test "run_oci: --log_dir gets husk's, the hooks' and the container's output in DIR/ID.TIMESTAMP" {
	update_config '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "echo prestart-hook-output"]}],
		"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "echo poststop-hook-output >&2"]}]}'
	set_args sh -c 'echo container-output'
	logs=$TMP/logs
	run --separate-stderr run_oci -l "$logs" run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ -z "$output" ] || fail "stdout not redirected"
	[ -z "$stderr" ] || fail "stderr not redirected: $stderr"
	[ -d "$logs" ]
	files=("$logs"/*)
	[ "${#files[@]}" -eq 1 ]
	[[ "$(basename "${files[0]}")" =~ ^$ID\.[0-9]{8}-[0-9]{6}$ ]] || fail "log file name: ${files[0]}"
	log=$(cat "${files[0]}")
	for want in prestart-hook-output container-output poststop-hook-output "level=info" "exited with status 0"; do
		[[ "$log" == *"$want"* ]] || fail "log lacks '$want': $log"
	done

	# errors land in the log too, and the directory may already exist
	run --separate-stderr run_oci --log_dir "$logs" kill "$ID-missing"
	assert_status 255
	[[ "$(cat "$logs/$ID-missing".*)" == *"level=error"*"does not exist"* ]]
}

@test "run_oci: the log file is named by the time the process started, which a re-exec of husk keeps" {
	# run_oci's run creates, then starts. With a startContainer hook the exec trampoline will not do
	# (container/protect.c), so husk re-executes itself from a protected view of its binary and sets
	# the log up again. Both images must name the same file: the time of each call gave two files
	# whenever a second boundary fell between them. The process starts 2.5 s before run_oci's code
	# runs (exec keeps the start time), which tells a start-time name from a call-time one.
	update_config '.hooks.startContainer = [{"path": "/bin/true"}]'
	set_args true
	logs=$TMP/logs
	local t0
	t0=$(date +%s)
	run --separate-stderr bash -c 'sleep 2.5; exec "$@"' sh "$RUN_OCI" --root "$ROOT" -l "$logs" run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	files=("$logs"/*)
	[ "${#files[@]}" -eq 1 ] || fail "log files: ${files[*]}"
	[ "$(grep -c 'selfprotect: running from' "${files[0]}")" -eq 1 ] || fail "no re-exec of husk: $(cat "${files[0]}")"
	local stamp
	stamp=${files[0]##*/"$ID".}
	# /proc counts the start in clock ticks (10 ms): the name may be a second before t0's
	local t
	for t in $((t0 - 1)) "$t0" $((t0 + 1)); do
		[ "$stamp" != "$(date -d "@$t" +%Y%m%d-%H%M%S)" ] || return 0
	done
	fail "log file $stamp is not named by the start at $(date -d "@$t0" +%Y%m%d-%H%M%S)"
}

@test "run_oci: start leaves the container running; destroy is refused until kill stopped it" {
	update_config '.hooks = {"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "echo stopped >> '"$TMP"'/shared/poststop"]}]}'
	set_args sleep 600
	run_oci_start -c "$BUNDLE" "$ID"
	[ "$(container_status)" = running ]
	pid=$(container_pid)

	run run_oci destroy "$ID"
	assert_status 255
	assert_output_contains "not stopped"
	kill -0 "$pid"
	[ ! -e "$TMP/shared/poststop" ]

	run_oci kill -S KILL "$ID"
	wait_for_status stopped
	# kill does not run poststop hooks; destroy does, once
	[ ! -e "$TMP/shared/poststop" ]
	run_oci destroy "$ID"
	[ "$(cat "$TMP/shared/poststop")" = stopped ]
	assert_no_trace
	# destroying what is gone succeeds, as with run_oci
	run_oci destroy "$ID"
	[ "$(cat "$TMP/shared/poststop")" = stopped ]
}

@test "run_oci: kill sends TERM by default and takes signal names only" {
	set_args sh -c 'trap "echo term > /shared/got; exit 0" TERM; echo > /shared/ready; while :; do sleep 0.05; done'
	run_oci_start -c "$BUNDLE" "$ID"
	retry 100 0.05 test -e "$TMP/shared/ready"
	for bad in 9 +9 NOSUCHSIGNAL ""; do
		run run_oci kill -S "$bad" "$ID"
		assert_status 255
		assert_output_contains "signal"
	done
	[ "$(container_status)" = running ]
	run_oci kill "$ID"
	wait_for_status stopped
	[ "$(cat "$TMP/shared/got")" = term ]
	run_oci destroy "$ID"

	set_args sleep 600
	run_oci_start -c "$BUNDLE" "$ID"
	# the long form; the SIG prefix is accepted too
	run_oci kill --signal=SIGKILL "$ID"
	wait_for_status stopped
	run_oci destroy "$ID"
}

@test "run_oci: -s stops run_oci with SIGSTOP once the container runs" {
	set_args sh -c 'while [ ! -e /shared/go ]; do sleep 0.05; done; exit 4'
	"$RUN_OCI" --root "$ROOT" run -s -c "$BUNDLE" "$ID" </dev/null >"$TMP/run.out" 2>&1 3>&- &
	run_pid=$!
	BACKGROUND_PIDS+=("$run_pid")
	retry 100 0.05 eval '[ "$(awk "{print \$3}" /proc/$run_pid/stat)" = T ]'
	[ "$(container_status)" = running ]
	kill -CONT "$run_pid"
	touch "$TMP/shared/go"
	rc=0
	wait "$run_pid" || rc=$?
	[ "$rc" -eq 4 ] || fail "run exited $rc, want 4: $(cat "$TMP/run.out")"
	assert_no_trace
}

@test "run_oci: an id may hold characters runc refuses (run_oci refuses only /), which husk's runc front end refuses" {
	local id="$ID: a@b"
	set_args sh -c 'echo ran'
	run run_oci run -c "$BUNDLE" "$id" </dev/null
	assert_status 0
	assert_output_contains ran
	assert_no_trace "$id"
	run husk state "$id"
	[ "$status" -ne 0 ]
	assert_output_contains "invalid id format"
}

@test "run_oci: ids with / and bad command lines are refused before anything is made" {
	run run_oci run -c "$BUNDLE" "a/b" </dev/null
	assert_status 255
	assert_output_contains "must not contain \`/\`"
	[ -z "$(ls -A "$ROOT")" ]
	run run_oci destroy "../x"
	assert_status 255

	run run_oci
	assert_status 255
	assert_output_contains "missing command"
	run run_oci frobnicate "$ID"
	assert_status 255
	assert_output_contains "unknown command"
	run run_oci run
	assert_status 255
	assert_output_contains "missing container id"
	run run_oci --help
	assert_status 0
	assert_output_contains "Usage:"
	[ -z "$(ls -A "$ROOT")" ]
}

@test "run_oci: an unknown option, or one without its value, gets the help and exit status 1" {
	for args in "--no-such-option run $ID" "-B run $ID" "-t tag run $ID" "run $ID -c"; do
		# shellcheck disable=SC2086 # the words are the point
		run run_oci $args </dev/null
		[ "$status" -eq 1 ] || fail "run_oci $args exited $status: $output"
		assert_output_contains "Usage:"
	done
	assert_output_contains "needs a value"
	[ -z "$(ls -A "$ROOT")" ]
}

@test "run_oci: options that do not apply to the command are ignored with a warning, as are kill's extra arguments" {
	set_args sh -c 'echo ran'
	run run_oci run -c "$BUNDLE" -S KILL "$ID" </dev/null
	assert_status 0
	assert_output_contains ran
	assert_output_contains "option \`--signal\` does not apply to run: ignored"
	set_args sleep 600
	run_oci_start -c "$BUNDLE" -s "$ID"
	grep -q "option \`--sigstop_when_ready\` does not apply to start" "$TMP/start.err"
	wait_for_status running
	run run_oci kill -c "$BUNDLE" -p parent -u -b /nonexistent:/x -S KILL "$ID" extra
	assert_status 0
	assert_output_contains "\`--container_path\` does not apply to kill"
	assert_output_contains "\`--bind_mount\` does not apply to kill"
	assert_output_contains "1 argument after the container id ignored"
	wait_for_status stopped
	run run_oci destroy -s -S TERM "$ID" extra
	assert_status 0
	assert_no_trace
}

@test "run_oci: the command and the id may follow --, as getopt_long's permutation leaves them" {
	set_args sh -c 'echo "args:$*"' sh
	run run_oci run -c "$BUNDLE" -- "$ID" one two </dev/null
	assert_status 0
	assert_output_contains "args:one two"
	run run_oci -c "$BUNDLE" -- run "$ID" </dev/null
	assert_status 0
	assert_output_contains "args:"
	# the usual form: options after the id, arguments after --
	run run_oci run "$ID" -c "$BUNDLE" -- -x </dev/null
	assert_status 0
	assert_output_contains "args:-x"
	assert_no_trace
}

@test "run_oci: --log_tag is accepted; without --log_dir husk warns that it does not log to syslog" {
	set_args sh -c 'echo ran'
	run run_oci --log_tag mytag run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	assert_output_contains ran
	assert_output_contains "--log_tag \`mytag\` ignored"
	# with --log_dir, run_oci ignores the tag too: the log file is where everything goes
	run run_oci --log_tag=mytag -l "$TMP/logs" run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	grep -q ran "$TMP"/logs/"$ID".*
	! grep -q "log_tag" "$TMP"/logs/"$ID".*
}

@test "run_oci: a loop-mounted ext4 image is attached, used, and detached when run ends" {
	img=$TMP/disk.img
	make_ext4_image "$img"
	# a source relative to the bundle, as run_oci resolves it
	update_config '.mounts += [{"destination": "/mnt/disk", "type": "ext4", "source": "../disk.img", "options": ["loop", "nodev"]}]'
	set_args sh -c 'cat /mnt/disk/hello && echo written > /mnt/disk/out && /bin/checker mountinfo /mnt/disk'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	assert_output_contains from-the-image
	assert_output_contains nodev
	# the device went away with the mount (autoclear), and nothing was mounted on the host
	retry 50 0.1 no_loops_of "$img"
	! grep -q "$TMP" /proc/self/mountinfo
	# the write reached the image
	[ "$(debugfs -R 'cat /out' "$img" 2>/dev/null)" = written ]
}

@test "run_oci: a read-only loop mount gets a read-only device" {
	img=$TMP/disk.img
	make_ext4_image "$img"
	update_config '.mounts += [{"destination": "/mnt/disk", "type": "ext4", "source": $img, "options": ["loop", "ro"]}]' \
		--arg img "$img"
	set_args sh -c 'cat /mnt/disk/hello; /bin/checker write /mnt/disk/x'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	assert_output_contains from-the-image
	[ "$(kv write)" = EROFS ] || fail "write to the read-only mount"
	retry 50 0.1 no_loops_of "$img"
}

@test "run_oci: a loop mount works in a user namespace and lives as long as a started container" {
	img=$TMP/disk.img
	make_ext4_image "$img"
	with_user_namespace
	devpts_without_gid
	update_config '.mounts += [{"destination": "/mnt/disk", "type": "ext4", "source": $img, "options": ["loop"]}]' \
		--arg img "$img"
	# ext4 cannot be mounted from inside a user namespace: this works because husk mounts it outside
	set_args sh -c 'cat /mnt/disk/hello > /shared/read; exec sleep 600'
	run_oci_start -c "$BUNDLE" -u "$ID"
	retry 100 0.05 test -s "$TMP/shared/read"
	[ "$(cat "$TMP/shared/read")" = from-the-image ]
	# start has exited: the container alone holds the mount, so the device is still attached
	[ -n "$(loops_of "$img")" ]
	run_oci kill -S KILL "$ID"
	wait_for_status stopped
	run_oci destroy "$ID"
	retry 50 0.1 no_loops_of "$img"
	assert_no_trace
}

@test "run_oci: a loop mount of a missing image fails cleanly" {
	update_config '.mounts += [{"destination": "/mnt/disk", "type": "ext4", "source": "../nope.img", "options": ["loop"]}]'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 255
	assert_output_contains "nope.img"
	assert_no_trace
}

@test "run_oci: performInIntermediateNamespace mounts are made outside the container, unseen by the host" {
	mkdir -p "$TMP/outside"
	echo outside-content >"$TMP/outside/file"
	update_config '.mounts += [
		{"destination": "/inter", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=711"], "performInIntermediateNamespace": true},
		{"destination": "/bound", "type": "bind", "source": $src, "options": ["rbind", "ro"], "performInIntermediateNamespace": true},
		{"destination": "/intree", "type": "tmpfs", "source": "tmpfs"}]' \
		--arg src "$TMP/outside"
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
	with_user_namespace
	devpts_without_gid
	set_args sh -c '/bin/checker mountinfo /inter; cat /bound/file; /bin/checker write /bound/x
		umount /intree && echo intree-unmounted; umount /inter || echo inter-locked
		echo > /shared/ready; exec sleep 600'
	# With a user namespace, a mount the container's root did not make itself (the kernel locks what a new
	# user namespace inherits) cannot be unmounted from inside, while one its init made (/intree) can.
	run_oci_start -c "$BUNDLE" -u "$ID"
	retry 100 0.05 test -e "$TMP/shared/ready"
	out=$(cat "$TMP/start.out")
	[[ "$out" == *"tmpfs"* ]] || fail "no tmpfs on /inter: $out"
	[[ "$out" == *"mode=711"* || "$out" == *"mode=0711"* ]] || fail "tmpfs options lost: $out"
	[[ "$out" == *outside-content* ]] || fail "bind not seen: $out"
	[[ "$out" == *"write=EROFS"* ]] || fail "ro bind writable: $out"
	[[ "$out" == *intree-unmounted* ]] || fail "the init's own mount could not be unmounted: $out"
	[[ "$out" == *inter-locked* ]] || fail "the intermediate mount was made inside the container: $out"
	# the host's mount table has none of them
	! grep -q "$BUNDLE/rootfs/inter\|$BUNDLE/rootfs/bound" /proc/self/mountinfo
	run_oci kill -S KILL "$ID"
	wait_for_status stopped
	run_oci destroy "$ID"
}

@test "run_oci: performInIntermediateNamespace needs CAP_SYS_ADMIN" {
	command -v setpriv >/dev/null || skip "no setpriv"
	update_config '.mounts += [{"destination": "/inter", "type": "tmpfs", "source": "tmpfs", "performInIntermediateNamespace": true}]'
	run setpriv --bounding-set -sys_admin "$RUN_OCI" --root "$ROOT" run -c "$BUNDLE" "$ID" </dev/null
	assert_status 255
	assert_output_contains "need CAP_SYS_ADMIN"
	assert_no_trace
}

@test "run_oci: husk's runc front end refuses loop and intermediate mounts instead of skipping them" {
	update_config '.mounts += [{"destination": "/inter", "type": "tmpfs", "source": "tmpfs", "performInIntermediateNamespace": true}]'
	set_args true
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ]
	assert_output_contains "run_oci mode"
	assert_no_trace
}

@test "run_oci: a bind entry without bind or rbind changes the mount on its destination, never binds its source" {
	writable_rootfs
	mkdir -p "$BUNDLE/rootfs/shared" # the root is read-only when the init mounts /shared
	# run_oci's README example: "" as source, which runc's rule would read as the bundle directory
	update_config '.mounts = [
		{"destination": "/", "type": "bind", "source": "", "options": ["private", "recursive"], "performInIntermediateNamespace": true},
		{"destination": "/", "type": "bind", "source": "", "options": ["remount", "ro", "nodev"], "performInIntermediateNamespace": true}
		] + .mounts'
	set_args sh -c '/bin/checker mountinfo /; /bin/checker write /x; ls /'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[[ "$(kv mount_options)" == ro,nodev* ]] || fail "the rootfs was not remounted ro,nodev"
	[ "$(kv write)" = EROFS ] || fail "the rootfs is writable"
	[[ "$output" != *config.json* ]] || fail "the bundle directory is the container's root"
	# the rootfs bound onto itself in the intermediate namespace went with it
	! grep -q " $BUNDLE/rootfs " /proc/self/mountinfo
	assert_no_trace
}

@test "run_oci: a bind entry without bind or rbind outside the intermediate namespace changes the mount there" {
	update_config '.mounts += [
		{"destination": "/data", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/data", "type": "bind", "source": "", "options": ["remount", "ro", "noexec"]}]'
	set_args sh -c '/bin/checker mountinfo /data; /bin/checker write /data/x'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	[ "$(kv fstype)" = tmpfs ] || fail "the tmpfs on /data was covered"
	[[ "$(kv mount_options)" == ro,*noexec* ]] || fail "the tmpfs was not remounted ro,noexec"
	[ "$(kv write)" = EROFS ] || fail "the tmpfs is writable"
}

@test "run_oci: a bind entry without bind or rbind needs a mount on its destination" {
	mkdir -p "$TMP/src"
	update_config '.mounts += [{"destination": "/srv", "type": "bind", "source": $src, "options": ["ro"]}]' \
		--arg src "$TMP/src"
	set_args true
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 255
	assert_output_contains 'change the mount on `/srv`: no mount there'
	assert_no_trace
}

@test "run_oci: a bind mount with an empty source is refused" {
	update_config '.mounts += [{"destination": "/b", "type": "bind", "source": "", "options": ["rbind"]}]'
	set_args true
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 255
	assert_output_contains '(`/b`): a bind mount needs a source'
	assert_no_trace
}

@test "run_oci: linux.altSyscall is refused, not dropped" {
	set_args true
	for value in '"android"' 5; do
		update_config ".linux.altSyscall = $value"
		run run_oci run -c "$BUNDLE" "$ID" </dev/null
		assert_status 255
		assert_output_contains "linux.altSyscall: alternative syscall tables are not supported"
		assert_no_trace
	done
	# "" names no table, as with run_oci; runc ignores the field
	update_config '.linux.altSyscall = ""'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	update_config '.linux.altSyscall = "android"'
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
}

@test "run_oci: linux.skipSecurebits takes run_oci's securebit names only" {
	set_args true
	update_config '.linux.skipSecurebits = ["NOROOT", "KEEP_CAPS_LOCKED", "NO_CAP_AMBIENT_RAISE"]'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	update_config '.linux.skipSecurebits = ["NOROOT", "BOGUS"]'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 255
	assert_output_contains 'linux.skipSecurebits[1]: unknown securebit `BOGUS`'
	assert_no_trace
	update_config '.linux.skipSecurebits = [1]'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 255
	assert_output_contains 'linux.skipSecurebits: expected an array of securebit names'
	assert_no_trace
	# runc ignores the field
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
}

# A hook that logs its stage ($1), the state's status and what it saw to $TMP/hooks.log, and exits $HOOK_RC.
write_stage_hook() {
	cat >"$TMP/hook.sh" <<-HOOK
		#!/bin/sh
		state=\$(cat)
		saw=
		[ -e "$ROOT/$ID" ] || saw="\$saw no-state"
		pid=\$(printf '%s' "\$state" | jq -r .pid)
		[ "\$pid" -gt 0 ] && grep -q " $BUNDLE/rootfs/data " /proc/\$pid/mountinfo && saw="\$saw mounts-made"
		echo "\$1 \$(printf '%s' "\$state" | jq -r .status)\$saw" >> "$TMP/hooks.log"
		exit \${HOOK_RC:-0}
	HOOK
	chmod +x "$TMP/hook.sh"
}

# hooks.STAGE = [the stage hook] for each STAGE given.
set_stage_hooks() {
	local stage
	for stage in "$@"; do
		update_config '.hooks[$s] = [{"path": $p, "args": ["hook", $s]}]' --arg s "$stage" --arg p "$TMP/hook.sh"
	done
}

@test "run_oci: a failing poststart hook stops the container; run and start fail with 255 after the poststop hooks" {
	update_config '.hooks = {
		"poststart": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > '"$TMP"'/shared/state; exit 3"]}],
		"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "echo stopped >> '"$TMP"'/shared/poststop"]}]}'
	# long enough to tell a stopped container from one that ran to its end
	set_args sh -c 'sleep 5; echo ran-to-the-end'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 255
	assert_output_contains "poststart"
	[[ "$output" != *ran-to-the-end* ]] || fail "the container was not stopped"
	[ "$(jq -r .status "$TMP/shared/state")" = running ]
	[ "$(jq -r .pid "$TMP/shared/state")" -gt 0 ]
	[ "$(cat "$TMP/shared/poststop")" = stopped ]
	assert_no_trace
	rm "$TMP/shared/poststop"
	run run_oci start -c "$BUNDLE" "$ID" </dev/null
	assert_status 255
	[ "$(cat "$TMP/shared/poststop")" = stopped ]
	assert_no_trace
}

@test "run_oci: precreate hooks run before anything is made, prechroot hooks once the mounts are, before prestart" {
	write_stage_hook
	update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs"}]'
	set_stage_hooks precreate prechroot prestart poststart
	set_args true
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 0
	run cat "$TMP/hooks.log"
	[ "${lines[0]}" = "precreate creating no-state" ] || fail "precreate"
	[ "${lines[1]}" = "prechroot creating mounts-made" ] || fail "prechroot"
	[[ "${lines[2]}" == "prestart creating"* ]] || fail "prestart after prechroot"
	[[ "${lines[3]}" == "poststart running"* ]] || fail "poststart"
	# runc ignores both
	rm "$TMP/hooks.log"
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
	run cat "$TMP/hooks.log"
	[[ "$output" != *pre[cr]* ]] || fail "runc front end ran run_oci's hooks"
}

@test "run_oci: a failing precreate or prechroot hook fails the run and leaves nothing behind" {
	write_stage_hook
	set_args true
	for stage in precreate prechroot; do
		update_config 'del(.hooks)'
		set_stage_hooks "$stage" prestart
		update_config '.hooks[$s][0].env = ["HOOK_RC=3"]' --arg s "$stage"
		rm -f "$TMP/hooks.log"
		run run_oci run -c "$BUNDLE" "$ID" </dev/null
		assert_status 255
		assert_output_contains "exited with status 3"
		assert_no_trace
		[[ "$(cat "$TMP/hooks.log")" != *prestart* ]] || fail "prestart ran after a failed $stage"
	done
	# a malformed list is refused in run_oci mode, ignored by the runc front end
	update_config '.hooks = {"precreate": [{"args": ["x"]}]}'
	run run_oci run -c "$BUNDLE" "$ID" </dev/null
	assert_status 255
	assert_output_contains "hooks.precreate[0]"
	assert_no_trace
	run husk run --bundle "$BUNDLE" "$ID" </dev/null
	assert_status 0
}
