#!/bin/bash
# Run the unit tests (meson suite `unit`) under valgrind memcheck and print TAP; leaks and memory errors fail.
# Usage: tests/valgrind.sh BUILD_DIR   (the build must be plain: no sanitizers)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: tests/valgrind.sh BUILD_DIR}
supp=$PWD/tests/valgrind.supp

# Tests that cannot run under valgrind 3.19 (Debian 12), with the reason; they are reported as skipped.
# openat2 (syscall 437) is unknown to valgrind before 3.22 and fails with ENOSYS, so every test
# that opens through husk's safe path layer fails for valgrind's reasons, not husk's.
declare -A skip=(
	[util-path]="valgrind 3.19 lacks openat2"
	[linux-rootfs]="valgrind 3.19 lacks openat2"
	[procattr_proc]="valgrind 3.19 lacks openat2"
	[procattr_process]="valgrind 3.19 lacks openat2"
	[procattr_sysctls]="valgrind 3.19 lacks openat2"
	# clone3 (a user namespace for the mappings) and mount_setattr are unknown to valgrind 3.19.
	[linux-idmap-mount]="valgrind 3.19 lacks clone3 and mount_setattr"
	# clone3 with CLONE_VM, and a child running on the caller's stack, are beyond valgrind 3.19.
	[linux-vfork]="valgrind 3.19 lacks clone3"
	# The test re-executes /proc/self/exe, which under valgrind is valgrind's own tool binary.
	[spec-oom]="re-executes /proc/self/exe"
)

command -v valgrind >/dev/null || { echo "1..0 # skip valgrind not installed"; exit 0; }
ninja -C "$build" >/dev/null || { echo "not ok 1 build"; echo "1..1"; exit 1; }

mapfile -t names < <(meson test -C "$build" --list --suite unit 2>/dev/null | sed -n 's|^.* / ||p')
run=()
for name in "${names[@]}"; do
	[ -n "${skip[$name]:-}" ] || run+=("$name")
done

# Forked children that _exit without freeing are not leaks of the parent: keep them silent.
wrapper="valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect --child-silent-after-fork=yes --num-callers=30 --suppressions=$supp"
# meson names the log after the logbase and the wrapper.
log="$build/meson-logs/memcheck-valgrind.json"
rm -f "$log"
if [ ${#run[@]} -gt 0 ]; then
	meson test -C "$build" --no-rebuild --logbase memcheck --timeout-multiplier 10 --wrapper "$wrapper" \
		"${run[@]}" >/dev/null 2>&1
fi

n=0 failed=0
for name in "${names[@]}"; do
	n=$((n + 1))
	if [ -n "${skip[$name]:-}" ]; then
		echo "ok $n $name # skip ${skip[$name]}"
		continue
	fi
	result=$(python3 - "$log" "$name" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["name"].split(" / ")[-1] == sys.argv[2]:
        print(t["result"])
        if t["result"] != "OK":
            sys.stderr.write((t.get("stderr") or "")[-6000:] + (t.get("stdout") or "")[-2000:])
        break
else:
    print("MISSING")
PY
	)
	if [ "$result" = OK ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name ($result)"
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
