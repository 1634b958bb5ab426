#!/bin/bash
# A criu that can checkpoint on this machine's kernel, for checkpoint/restore tests.
#
# Debian 12's criu (3.17) fails on kernels 6.x here already in its vDSO probe
# (kerndat_vdso_fill_symtable), so it cannot dump anything. Debian 13's criu 4.1 can, but it needs
# Debian 13's C library. This script therefore takes criu and everything it depends on from
# Debian 13's archive with a private apt configuration (nothing under /etc/apt changes), unpacks
# them under PREFIX (default /opt/husk-criu) without installing them, and writes PREFIX/bin/criu,
# a wrapper that runs that criu with its own loader and libraries. The host's packages are not
# touched. Programs that find criu on $PATH (husk, runc, podman) use it with PREFIX/bin first.
#
# usage: scripts/install-criu.sh [PREFIX]     (as root; does nothing when PREFIX/bin/criu works)
set -euo pipefail
prefix=${1:-/opt/husk-criu}
suite=${HUSK_CRIU_SUITE:-trixie}

if [ -x "$prefix/bin/criu" ] && "$prefix/bin/criu" --version >/dev/null 2>&1; then
	exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "install-criu: run as root" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
echo "deb http://deb.debian.org/debian $suite main" >"$work/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=/dev/null"
	-o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Debug::NoLocking=1"
	-o "APT::Sandbox::User=root")
apt-get "${apt_opts[@]}" -qq update
# criu and, recursively, what it depends on (essential packages need not be unpacked: the wrapper
# needs only shared libraries, and the loader comes with libc6).
pkgs=$(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances criu | grep -v '^ ' | grep -v '^<' | sort -u)
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download $pkgs >/dev/null)
rm -rf "$prefix.new"
mkdir -p "$prefix.new/root" "$prefix.new/bin"
for deb in "$work"/debs/*.deb; do
	dpkg-deb -x "$deb" "$prefix.new/root"
done
lib=$prefix/root/usr/lib/x86_64-linux-gnu
[ -x "$prefix.new/root/usr/sbin/criu" ] || { echo "install-criu: no criu in the $suite packages" >&2; exit 1; }
cat >"$prefix.new/bin/criu" <<EOF
#!/bin/sh
# criu from Debian $suite with its own C library (scripts/install-criu.sh)
exec $lib/ld-linux-x86-64.so.2 --library-path $lib $prefix/root/usr/sbin/criu "\$@"
EOF
chmod 755 "$prefix.new/bin/criu"
rm -rf "$prefix"
mv "$prefix.new" "$prefix"
"$prefix/bin/criu" --version
