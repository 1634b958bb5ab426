#!/bin/bash
# Builds a minimal OCI bundle (busybox-static rootfs, the test checker, a `runc spec`-style config.json) in DIR.
#
# usage: tests/lib/make-bundle.sh DIR
#   DIR/rootfs       bin/busybox + one symlink per applet, bin/checker (when built), etc/passwd and
#                    etc/group (root, nobody), empty proc sys dev tmp root
#   DIR/config.json  what `runc spec` writes, with process.args ["sh"] and process.terminal false
# Environment:
#   BUSYBOX  static busybox to copy (default /bin/busybox; installed from busybox-static when missing)
#   CHECKER  the checker binary (default build/tests/checker/checker of this repo); skipped when absent
set -euo pipefail

die() {
	echo "make-bundle: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 DIR"
dir=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
busybox=${BUSYBOX:-/bin/busybox}
checker=${CHECKER:-$repo/build/tests/checker/checker}

if [ ! -x "$busybox" ] && [ -z "${BUSYBOX:-}" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "make-bundle: installing busybox-static" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static >/dev/null ||
			die "cannot install busybox-static"
	fi
fi
[ -x "$busybox" ] || die "no busybox at $busybox (apt-get install busybox-static)"
# A dynamically linked busybox would need its libraries in the rootfs.
if LC_ALL=C ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; install busybox-static"
fi

rootfs=$dir/rootfs
mkdir -p "$rootfs"/{bin,etc,proc,sys,dev,tmp,root}
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"

cp "$busybox" "$rootfs/bin/busybox"
# One symlink per applet, all in /bin (on PATH); `--install -s` would need to run inside the rootfs. One
# perl (Essential on Debian) rather than ~400 `ln` processes: the cgroup v2 VM runs under emulation.
# shellcheck disable=SC2046 # one applet name per word
perl -e '$d = shift; for (@ARGV) { next if $_ eq "busybox"; unlink "$d/$_"; symlink("busybox", "$d/$_") or die "symlink $d/$_: $!\n" }' \
	"$rootfs/bin" $("$busybox" --list)

if [ -x "$checker" ]; then
	cp "$checker" "$rootfs/bin/checker"
fi

cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF

# The config `runc spec` writes (runc 1.1), with an ociVersion every runtime under test accepts.
cat >"$dir/config.json" <<'EOF'
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": ["sh"],
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm"
    ],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [
      { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }
    ],
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": true },
  "hostname": "husk",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
      "options": ["nosuid", "noexec", "nodev"] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": ["nosuid", "noexec", "nodev", "ro"] },
    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
      "options": ["nosuid", "noexec", "nodev", "relatime", "ro"] }
  ],
  "linux": {
    "resources": {
      "devices": [ { "allow": false, "access": "rwm" } ]
    },
    "namespaces": [
      { "type": "pid" },
      { "type": "network" },
      { "type": "ipc" },
      { "type": "uts" },
      { "type": "mount" }
    ],
    "maskedPaths": [
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
    ],
    "readonlyPaths": [
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
    ]
  }
}
EOF
