#!/usr/bin/env bats
# process.terminal: the pty through --console-socket (create, run -d, exec -t), consoleSize, /dev/console, its owner,
# and the foreground proxy of the caller's terminal (run, exec -t) with its size, SIGWINCH, exit status, onlcr and
# the caller's terminal modes while it runs and after.

load helpers

setup_file() { husk_setup_file; }
setup() {
	husk_setup
	update_config '.process.terminal = true'
	export ROOT BUNDLE ID TMP
}
teardown() { husk_teardown; }

# Run the bash command line $1 on a fresh pty (util-linux script), as if typed in a terminal: $output is what
# the terminal showed (CR removed), $status the command's exit status. What $2 holds is typed into the terminal;
# the terminal's input then stays open (no EOF arrives).
in_pty() {
	command -v script >/dev/null || skip "no script (util-linux)"
	local fifo=$TMP/pty.in fd
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {fd}<>"$fifo"
	[ -z "${2:-}" ] || printf '%s' "$2" >&$fd
	run script -qefc "$1" /dev/null <&$fd 3>&-
	exec {fd}>&-
	output=${output//$'\r'/}
}

# Start recvtty on $TMP/console.sock with its stdin on a fifo the test writes to through fd $CONSOLE_IN.
start_console_socket_with_input() {
	[ -x "$RECVTTY" ] || skip "no recvtty at $RECVTTY (ninja -C build tests/checker/recvtty)"
	mkfifo "$TMP/console.in"
	exec {CONSOLE_IN}<>"$TMP/console.in"
	"$RECVTTY" "$TMP/console.sock" <"$TMP/console.in" >"$TMP/tty.out" 2>"$TMP/recvtty.err" 3>&- &
	RECVTTY_PID=$!
	BACKGROUND_PIDS+=("$RECVTTY_PID")
	retry 100 0.02 test -S "$TMP/console.sock"
}

@test "terminal: create --console-socket hands over the pty master; the pty is the container's stdio and ctty" {
	set_args sh -c 'checker tty; checker pid'
	start_console_socket
	husk_create "$ID" --console-socket "$TMP/console.sock"
	husk start "$ID"
	wait_console_output
	output=$console
	[ "$(kv stdin.tty)" = 1 ] && [ "$(kv stdout.tty)" = 1 ] && [ "$(kv stderr.tty)" = 1 ] || fail "stdio not on the pty"
	[ "$(kv ctty)" = 1 ] || fail "the pty is not the controlling terminal"
	[[ "$(kv stdin.ttyname)" == /dev/pts/* ]] || fail "the pty is not in the container's devpts"
	[ "$(kv sid)" = 1 ] || fail "init does not lead the terminal's session"
}

@test "terminal: run -d --console-socket, and what is typed into the master reaches the container" {
	set_args sh -c 'read line; echo "got:$line"'
	start_console_socket_with_input
	husk_run_detached "$ID" --console-socket "$TMP/console.sock"
	printf 'hello\n' >&$CONSOLE_IN
	wait_console_output
	exec {CONSOLE_IN}>&-
	[[ "$console" == *"got:hello"* ]] || fail "input did not arrive: $console"
}

@test "terminal: process.consoleSize is the pty's size (stty size)" {
	update_config '.process.consoleSize = {"height": 33, "width": 77}'
	set_args stty size
	start_console_socket
	husk_run_detached "$ID" --console-socket "$TMP/console.sock"
	wait_console_output
	[ "$console" = "33 77" ] || fail "stty size shows: $console"
}

@test "terminal: /dev/console is the container's pty" {
	set_args sh -c 'stat -L -c "console=%t:%T" /dev/console; stat -L -c "stdin=%t:%T" /proc/self/fd/0'
	start_console_socket
	husk_run_detached "$ID" --console-socket "$TMP/console.sock"
	wait_console_output
	output=$console
	[ -n "$(kv stdin)" ] && [ "$(kv console)" = "$(kv stdin)" ] || fail "/dev/console is not the pty"
}

@test "terminal: a container joining a pid namespace by path gets the pty as stdio and controlling terminal" {
	# With the kernel's procfs pidns option husk sets such an init up outside the namespace and hands over to
	# a process cloned into it (namespaces.bats): the pty stays that process's, in a session it leads.
	cp -a "$BUNDLE" "$TMP/owner"
	jq '.process.terminal = false | .process.args = ["sleep", "600"]' "$BUNDLE/config.json" >"$TMP/owner/config.json"
	husk run --detach --bundle "$TMP/owner" "$ID-owner" </dev/null >/dev/null 2>&1 3>&-
	local owner
	owner=$(container_pid "$ID-owner")
	update_config '(.linux.namespaces[] | select(.type == "pid")) |= . + {"path": ("/proc/"+$pid+"/ns/pid")}' \
		--arg pid "$owner"
	set_args sh -c 'sleep 0.2; echo init=$$; checker tty; checker pid; checker ns'
	start_console_socket
	husk_create "$ID" --console-socket "$TMP/console.sock"
	husk start "$ID"
	wait_console_output
	output=$console
	[ "$(kv ns.pid)" = "$(readlink "/proc/$owner/ns/pid")" ] || fail "not in the joined pid namespace"
	[ "$(kv stdin.tty)" = 1 ] && [ "$(kv stdout.tty)" = 1 ] && [ "$(kv stderr.tty)" = 1 ] || fail "stdio not on the pty"
	[ "$(kv ctty)" = 1 ] || fail "the pty is not the controlling terminal"
	[[ "$(kv stdin.ttyname)" == /dev/pts/* ]] || fail "the pty is not in the container's devpts"
	[ -n "$(kv init)" ] && [ "$(kv sid)" = "$(kv init)" ] || fail "init does not lead the terminal's session"
	wait_for_status stopped
	husk delete "$ID"
}

@test "terminal: a terminal without --console-socket is an error when the runtime does not stay (create, run -d)" {
	set_args true
	run husk create --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "create with a terminal and no console socket succeeded"
	[[ "$output" == *console?socket* ]] || fail "the error does not name the console socket"
	assert_no_trace
	run husk run -d --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "run -d with a terminal and no console socket succeeded"
	[[ "$output" == *console?socket* ]] || fail "the error does not name the console socket"
	assert_no_trace
}

@test "terminal: exec -t -d whose console receiver closes without taking the master fails, saying so" {
	# The send fails (EPIPE): husk's exec'd child once went on to close the master, its own controlling terminal,
	# and died of the SIGHUP before it could say so; when it did say so, husk took its EPIPE for the EOF of an
	# exec, and exec said the process ran. A receiver that closes only after the send leaves the pty hung up
	# before the process takes it as its controlling terminal (husk sends the master first), or, later, cannot be
	# told apart (the send worked): of three tries, those that fail must say why, and at least one must fail.
	update_config '.process.terminal = false'
	set_args sleep 600
	husk_run_detached
	local i failed=0
	for i in 1 2 3; do
		rm -f "$TMP/closing.sock" "$TMP/exec.pid"
		python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
s.accept()[0].close()' "$TMP/closing.sock" 3>&- &
		BACKGROUND_PIDS+=("$!")
		retry 50 0.1 test -S "$TMP/closing.sock"
		run husk exec -t -d --pid-file "$TMP/exec.pid" --console-socket "$TMP/closing.sock" "$ID" true </dev/null
		[ "$status" -eq 0 ] && continue
		failed=$((failed + 1))
		[ ! -e "$TMP/exec.pid" ] || fail "a failed exec wrote its pid file"
		[ "$RUNTIME" != husk ] || [[ "$output" == *"send \`/dev/ptmx\` over the socket"* ]] ||
			assert_output_contains "the --console-socket receiver closed the pty's master without taking it"
	done
	[ "$failed" -ge 1 ] || fail "exec said the process ran each time its console receiver went away"
}

@test "terminal: --console-socket without process.terminal is an error" {
	update_config '.process.terminal = false'
	set_args true
	start_console_socket
	run husk create --console-socket "$TMP/console.sock" --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "create with a console socket and no terminal succeeded"
	[[ "$output" == *console?socket* ]] || fail "the error does not name the console socket"
	assert_no_trace
	run husk run -d --console-socket "$TMP/console.sock" --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "run -d with a console socket and no terminal succeeded"
	assert_no_trace
}

@test "terminal: run with a terminal and a pipe for stdin passes on the pipe's end, and the process ends" {
	skip_on_runc "refuses a terminal when its stdin is not one"
	# (A file is no terminal either, and timeout reaches husk itself, which passes its TERM on.)
	printf 'hello\nworld\n' >"$TMP/input"
	set_args wc -c
	run timeout 20 "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" <"$TMP/input"
	[ "$status" -ne 124 ] || fail "the process never saw the end of its input"
	assert_status 0
	[ "$(tr -d '\r' <<<"${lines[-1]}")" = 12 ] || fail "wc read: $output"
	# A last line without its newline: end of file takes two ^D.
	printf abc >"$TMP/input"
	set_args cat
	run timeout 20 "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" <"$TMP/input"
	assert_status 0
}

@test "terminal: run in the foreground proxies the caller's terminal and returns the exit status" {
	set_args sh -c 'checker tty; exit 5'
	in_pty '"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"'
	assert_status 5
	[ "$(kv stdin.tty)" = 1 ] && [ "$(kv stdout.tty)" = 1 ] && [ "$(kv ctty)" = 1 ] || fail "no terminal inside"
	assert_no_trace
}

@test "terminal: run in the foreground: what the caller types reaches the container" {
	set_args sh -c 'read line; echo "got:$line"'
	in_pty '"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"' $'typed\n'
	assert_status 0
	assert_output_contains "got:typed"
}

@test "terminal: run in the foreground: the container starts with the caller's terminal size" {
	skip_on_runc "1.1.5 sizes the pty only once the process runs (a race)"
	# stty size is the container's first act: a size copied only once the process runs comes too late
	set_args stty size
	in_pty 'stty rows 31 cols 93; "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"'
	assert_status 0
	[ "$output" = "31 93" ] || fail "the container saw another size"
}

@test "terminal: run in the foreground: SIGWINCH on the caller's terminal resizes the container's" {
	# the container waits until it sees the new size (or gives up after 5 s) and reports it
	set_args sh -c 'i=0; while [ "$(stty size)" != "40 100" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		echo "size=$(stty size)"'
	in_pty 'stty rows 31 cols 93
		"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/tty & pid=$!
		sleep 0.5; stty rows 40 cols 100; wait $pid'
	assert_status 0
	[ "$(kv size)" = "40 100" ] || fail "the resize did not reach the container"
}

@test "terminal: run in the foreground: the caller's terminal modes are restored on exit" {
	set_args sh -c 'exit 3'
	in_pty 'before=$(stty -g); "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"; rc=$?
		[ "$(stty -g)" = "$before" ] && echo modes=restored; exit $rc'
	assert_status 3
	[ "$(kv modes)" = restored ] || fail "terminal modes changed"
	# also when the container dies of a signal (sent from outside: init ignores its own namespace's SIGKILL)
	add_shared_dir
	set_args sh -c 'echo > /shared/ready; exec sleep 600'
	in_pty 'before=$(stty -g); "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/tty & pid=$!
		for i in $(seq 100); do [ -e "$TMP/shared/ready" ] && break; sleep 0.05; done
		"$HUSK" --root "$ROOT" kill "$ID" KILL; wait $pid; rc=$?
		[ "$(stty -g)" = "$before" ] && echo modes=restored; exit $rc'
	assert_status 137
	[ "$(kv modes)" = restored ] || fail "terminal modes changed"
}

@test "terminal: run in the foreground: output written right before exit is not lost" {
	set_args sh -c 'i=0; while [ $i -lt 2000 ]; do echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i + 1)); done; echo END'
	in_pty '"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"'
	assert_status 0
	[ "$(grep -c '^line [0-9]* x*$' <<<"$output")" = 2000 ] || fail "lines lost"
	[ "$(tail -n1 <<<"$output")" = END ] || fail "the end was lost"
}

@test "terminal: exec -t proxies the caller's terminal, its size, and returns the exit status" {
	update_config '.process.terminal = false'
	set_args sleep 600
	husk_run_detached
	in_pty 'stty rows 27 cols 81; "$HUSK" --root "$ROOT" exec -t "$ID" sh -c "checker tty; echo size=\$(stty size); exit 4"'
	assert_status 4
	[ "$(kv stdin.tty)" = 1 ] && [ "$(kv stdout.tty)" = 1 ] && [ "$(kv ctty)" = 1 ] || fail "no terminal inside"
	[[ "$(kv stdin.ttyname)" == /dev/pts/* ]] || fail "the pty is not in the container's devpts"
	[ "$(kv size)" = "27 81" ] || fail "the exec'd process saw another size"
}

@test "terminal: exec -t: typed input, SIGWINCH resize and restored modes" {
	update_config '.process.terminal = false'
	set_args sleep 600
	husk_run_detached
	in_pty '"$HUSK" --root "$ROOT" exec -t "$ID" sh -c "read line; echo got:\$line"' $'typed\n'
	assert_status 0
	assert_output_contains "got:typed"
	in_pty 'stty rows 31 cols 93; before=$(stty -g)
		"$HUSK" --root "$ROOT" exec -t "$ID" sh -c '\''i=0; while [ "$(stty size)" != "40 100" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; echo "size=$(stty size)"'\'' </dev/tty & pid=$!
		sleep 0.5; stty rows 40 cols 100; wait $pid; rc=$?
		[ "$(stty -g)" = "$before" ] && echo modes=restored; exit $rc'
	assert_status 0
	[ "$(kv size)" = "40 100" ] || fail "the resize did not reach the exec'd process"
	[ "$(kv modes)" = restored ] || fail "terminal modes changed"
}

@test "terminal: exec -t into a terminal container gets a pty of its own" {
	set_args sleep 600
	start_console_socket
	husk_run_detached "$ID" --console-socket "$TMP/console.sock"
	in_pty '"$HUSK" --root "$ROOT" exec -t "$ID" sh -c "checker tty; ls -l /dev/console"'
	assert_status 0
	[[ "$(kv stdin.ttyname)" == /dev/pts/* ]] && [ "$(kv stdin.ttyname)" != /dev/pts/0 ] ||
		fail "exec -t did not get a new pty"
}

@test "terminal: exec -t: a large input the terminal echoes back does not deadlock the proxy" {
	skip_on_runc "1.1.5 deadlocks: it blocks writing input to the pty while nobody drains the echo"
	update_config '.process.terminal = false'
	set_args sleep 600
	husk_run_detached
	# ~800 KB of lines: the pty echoes each one while the process reads, so input and output must flow together
	head -c 600000 /dev/urandom | base64 -w 76 >"$TMP/input"
	lines=$(wc -l <"$TMP/input")
	# in a terminal (runc needs one for -t), with stdin and stdout redirected to files
	in_pty "timeout -s KILL 60 \"\$HUSK\" --root \"\$ROOT\" exec -t \"\$ID\" sh -c 'head -n $lines >/dev/null; echo done' \
		<\"\$TMP/input\" >\"\$TMP/output\" 2>&1"
	[ "$status" -eq 0 ] || fail "exec -t exited $status (137: stuck and killed)"
	[ "$(tr -d '\r' <"$TMP/output" | tail -n1)" = done ] || fail "the process did not get all its input"
	[ "$(tr -d '\r' <"$TMP/output" | grep -c '^[A-Za-z0-9+/=]\{76\}$')" -ge $((lines - 1)) ] || fail "echo lost"
}

# What the container writes, as bytes: husk's stdout is a file, its stdin the terminal it makes raw.
@test "terminal: run in the foreground: the pty adds no \\r to the process's newlines (runc clears onlcr)" {
	set_args printf 'one\ntwo\n'
	in_pty '"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" >"$TMP/out"'
	assert_status 0
	printf 'one\ntwo\n' >"$TMP/expected"
	cmp "$TMP/expected" "$TMP/out" || fail "bytes: $(od -c "$TMP/out")"
}

@test "terminal: exec -t: the pty adds no \\r to the process's newlines (runc clears onlcr)" {
	update_config '.process.terminal = false'
	set_args sleep 600
	husk_run_detached
	in_pty '"$HUSK" --root "$ROOT" exec -t "$ID" printf "one\ntwo\n" >"$TMP/out"'
	assert_status 0
	printf 'one\ntwo\n' >"$TMP/expected"
	cmp "$TMP/expected" "$TMP/out" || fail "bytes: $(od -c "$TMP/out")"
}

# The caller's terminal while the container runs: raw input, but output processing (opost) stays on, so that
# the process's "\n" still shows as a new line there.
@test "terminal: run in the foreground and exec -t: the caller's terminal is raw but keeps output processing" {
	add_shared_dir
	set_args sh -c 'echo > /shared/ready; i=0; while [ ! -e /shared/go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done'
	# shellcheck disable=SC2016
	local watch='for i in $(seq 100); do [ -e "$TMP/shared/ready" ] && break; sleep 0.05; done
		echo "modes=$(stty -a </dev/tty | tr " ;" "\n\n" | grep -x -e "-\?opost" -e "-\?icanon" -e "-\?echo" | tr "\n" " ")"
		touch "$TMP/shared/go"; wait $pid'
	in_pty '"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/tty & pid=$!
		'"$watch"
	assert_status 0
	[ "$(kv modes)" = "opost -icanon -echo " ] || fail "modes while run relays: $(kv modes)"

	update_config '.process.terminal = false'
	set_args sleep 600
	ID=$ID-x husk_run_detached
	rm -f "$TMP/shared/ready" "$TMP/shared/go"
	in_pty '"$HUSK" --root "$ROOT" exec -t "$ID-x" sh -c '\''echo > /shared/ready; i=0; while [ ! -e /shared/go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done'\'' </dev/tty & pid=$!
		'"$watch"
	assert_status 0
	[ "$(kv modes)" = "opost -icanon -echo " ] || fail "modes while exec -t relays: $(kv modes)"
}

# The receiver of the master decides about onlcr (containerd keeps it, runc's recvtty clears it): the runtime
# leaves the pty as the kernel makes it, "\n" -> "\r\n". recvtty does not touch it.
@test "terminal: with --console-socket the pty keeps onlcr (run -d, exec -t)" {
	set_args printf 'one\ntwo\n'
	start_console_socket
	husk_run_detached "$ID" --console-socket "$TMP/console.sock"
	wait "$RECVTTY_PID" || true
	printf 'one\r\ntwo\r\n' >"$TMP/expected"
	cmp "$TMP/expected" "$TMP/tty.out" || fail "run -d bytes: $(od -c "$TMP/tty.out")"

	update_config '.process.terminal = false'
	set_args sleep 600
	ID=$ID-x husk_run_detached
	rm -f "$TMP/console.sock" # the first recvtty's, gone: the next must not be taken for it
	start_console_socket
	husk exec -t -d --console-socket "$TMP/console.sock" "$ID-x" printf 'one\ntwo\n' </dev/null
	wait "$RECVTTY_PID" || true
	cmp "$TMP/expected" "$TMP/tty.out" || fail "exec -t bytes: $(od -c "$TMP/tty.out")"
}

# runc's fixStdioPermissions: the user owns its terminal; the group is the devpts mount's gid=5 (tty), untouched.
@test "terminal: the pty belongs to process.user.uid and keeps the tty group (run, create, exec -t)" {
	update_config '.process.user = {"uid": 1000, "gid": 100}'
	set_args sh -c 'stat -L -c "owner=%u:%g" /proc/self/fd/0'
	in_pty '"$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"'
	assert_status 0
	[ "$(kv owner)" = 1000:5 ] || fail "run: the pty belongs to $(kv owner)"

	start_console_socket
	husk_create "$ID-c" --console-socket "$TMP/console.sock"
	husk start "$ID-c"
	wait_console_output
	output=$console
	[ "$(kv owner)" = 1000:5 ] || fail "create: the pty belongs to $(kv owner)"

	update_config '.process.terminal = false'
	set_args sleep 600
	ID=$ID-x husk_run_detached
	in_pty '"$HUSK" --root "$ROOT" exec -t "$ID-x" stat -L -c "owner=%u:%g" /proc/self/fd/0'
	assert_status 0
	[ "$(kv owner)" = 1000:5 ] || fail "exec -t: the pty belongs to $(kv owner)"
	in_pty '"$HUSK" --root "$ROOT" exec -t -u 1234:1234 "$ID-x" stat -L -c "owner=%u:%g" /proc/self/fd/0'
	[ "$(kv owner)" = 1234:5 ] || fail "exec -t -u 1234: the pty belongs to $(kv owner)"
	in_pty '"$HUSK" --root "$ROOT" exec -t -u 0 "$ID-x" stat -L -c "owner=%u:%g" /proc/self/fd/0'
	[ "$(kv owner)" = 0:5 ] || fail "exec -t -u 0: the pty belongs to $(kv owner)"
}
