#!/bin/sh
# Install the Debian packages a make target needs, only when some are missing.
# Usage: scripts/install-deps.sh build|test|bench
set -eu
build="gcc make meson ninja-build pkg-config python3 libjansson-dev libseccomp-dev"
# llvm: llvm-symbolizer, without which the sanitizers' reports have no function names and tests/lsan.supp
# matches nothing. iptables: criu's dump locks the container's network with iptables-restore. strace: the
# events test that counts the syscalls of an idle stream.
test="$build libcmocka-dev bats busybox-static jq clang libclang-rt-14-dev llvm iproute2 util-linux procps e2fsprogs runc uidmap valgrind systemd iptables strace"
bench="$build busybox-static jq runc crun hyperfine time golang-github-containers-common libc6-dbg"
case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
bench) want=$bench ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
