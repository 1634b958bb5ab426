#!/bin/bash
# `make demo`: runs one busybox container with husk and prints what it sees (hostname, pid, ids, caps, mounts).
#
# usage: tests/lib/demo.sh BUILD_DIR
#   uses BUILD_DIR/husk (override with HUSK=...) and BUILD_DIR/tests/checker/checker when built.
#   The bundle and the --root state dir live in a temp dir that is removed afterwards.
set -euo pipefail

[ $# -eq 1 ] || {
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
}
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
husk=${HUSK:-$build/husk}
[ -x "$husk" ] || {
	echo "demo: no runtime at $husk (build it first)" >&2
	exit 1
}
export CHECKER=${CHECKER:-$build/tests/checker/checker}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/husk-demo.XXXXXX")
id=demo-$(basename "$tmp" | cut -d. -f2 | tr 'A-Z' 'a-z')
cleanup() {
	"$husk" --root "$tmp/root" delete --force "$id" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

"$here/make-bundle.sh" "$tmp/bundle"
# Everything the script prints is read inside the container; nothing on the host is shown.
script='
echo "hostname:  $(hostname)"
echo "pid:       $$ (the container init)"
echo "uid/gid:   $(id)"
echo "capabilities (from /proc/self/status):"
grep "^Cap" /proc/self/status | sed "s/^/  /"
if command -v checker >/dev/null; then
	echo "capability names:"
	checker caps | grep _names= | sed "s/^/  /"
fi
echo "no_new_privs: $(grep ^NoNewPrivs /proc/self/status | cut -f2)  seccomp: $(grep ^Seccomp: /proc/self/status | cut -f2)"
echo "mounts (from /proc/self/mounts):"
sed "s/^/  /" /proc/self/mounts
'
jq --arg script "$script" '.process.args = ["sh", "-c", $script] | .hostname = "husk-demo"' \
	"$tmp/bundle/config.json" >"$tmp/bundle/config.json.new"
mv "$tmp/bundle/config.json.new" "$tmp/bundle/config.json"

echo "== $husk run $id"
"$husk" --root "$tmp/root" run --bundle "$tmp/bundle" "$id" </dev/null
