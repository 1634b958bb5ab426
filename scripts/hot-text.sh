#!/bin/bash
# Regenerates src/cli/hot-text.ld from single-stepped profiles of the husk in BUILD (default build):
# `run` (also with podman's seccomp profile), `create`, `start`, `exec`, `state`, `kill` and `delete` of
# the bench's bundle (see scripts/hot-text.py).
# Run it as root after changes that move husk's hot path, rebuild, and commit the new layout.
#
# usage: sudo scripts/hot-text.sh [BUILD]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
husk=$build/husk
[ "$(id -u)" -eq 0 ] || {
	echo "hot-text: run as root" >&2
	exit 1
}
[ -f "$build/husk.map" ] || {
	echo "hot-text: no $build/husk.map (a static build with GNU ld writes it)" >&2
	exit 1
}

if [ -z "${HOT_TEXT_INNER:-}" ]; then
	# Own mount namespace: the state root is a tmpfs that goes away with it.
	exec env HOT_TEXT_INNER=1 unshare --mount --propagation private "$0" "$build"
fi

tmp=$(mktemp -d /tmp/husk-hot-text.XXXXXX)
cleanup() {
	local id
	for id in hot-sleep hot-start; do
		"$husk" --root "$tmp/root" delete -f "$id" >/dev/null 2>&1 || true
	done
	umount "$tmp/root" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/root"
mount -t tmpfs tmpfs "$tmp/root"
cc -O2 -Wall -Wextra -Werror -o "$tmp/insncount" "$repo/bench/insncount.c"
# The bench's bundles (bench/bundles.sh).
# shellcheck source=bench/bundles.sh
. "$repo/bench/bundles.sh"
bench_bundles "$tmp"
[ -d "$tmp/bundle-seccomp" ] ||
	echo "hot-text: no podman seccomp profile (package containers-common): the layout leaves seccomp's code out" >&2

h=("$husk" --root "$tmp/root")
# profile NAME COMMAND...: COMMAND single-stepped, its profile in $tmp/profile.NAME
profile() {
	local name=$1
	shift
	"$tmp/insncount" -d -x "$tmp/bundle/rootfs/bin/busybox" -o /dev/null -p "$tmp/profile.$name" -- "$@"
}
"${h[@]}" run --bundle "$tmp/bundle" hot-warm
profile run "${h[@]}" run --bundle "$tmp/bundle" hot-run
if [ -d "$tmp/bundle-seccomp" ]; then
	"${h[@]}" run --bundle "$tmp/bundle-seccomp" hot-seccomp-warm # fills the filter cache, as every later run finds it
	profile seccomp "${h[@]}" run --bundle "$tmp/bundle-seccomp" hot-seccomp
fi
# create (and its re-execution) traced: its init stays traced until the untraced start lets it exec
# sleep, from where insncount leaves it.
profile create "${h[@]}" create --bundle "$tmp/bundle-sleep" hot-sleep &
create=$!
until [ "$("${h[@]}" state hot-sleep 2>/dev/null | jq -r .status)" = created ]; do
	kill -0 "$create" 2>/dev/null || wait "$create" # a failed create fails the script here
	sleep 0.1
done
"${h[@]}" start hot-sleep
wait "$create"
"${h[@]}" create --bundle "$tmp/bundle-sleep" hot-start
profile start "${h[@]}" start hot-start
"${h[@]}" delete -f hot-start
profile exec "${h[@]}" exec hot-sleep /bin/true
profile state "${h[@]}" state hot-sleep >/dev/null
profile kill "${h[@]}" kill hot-sleep KILL
while [ "$("${h[@]}" state hot-sleep | jq -r .status)" != stopped ]; do sleep 0.05; done
profile delete "${h[@]}" delete hot-sleep
python3 "$repo/scripts/hot-text.py" "$build/husk.map" "$tmp"/profile.* >"$repo/src/cli/hot-text.ld"
