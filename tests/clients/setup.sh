#!/bin/sh
# Install the real clients the tests in tests/clients drive (podman, containerd, runc), only when missing.
#
# usage: tests/clients/setup.sh
# Idempotent: nothing happens when every command is already there. Run as root (apt-get). Recommends are left
# out: the tests need podman, conmon, containerd, its runc shim and runc; not buildah, slirp4netns or uidmap.
# Exits 0 when everything is installed, 1 (naming what is missing) when it could not be installed.
set -eu

# command -> Debian package
want="podman:podman conmon:conmon containerd:containerd ctr:containerd containerd-shim-runc-v2:containerd runc:runc"

missing_packages() {
	for pair in $want; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || echo "${pair#*:}"
	done | sort -u | tr '\n' ' '
}

missing=$(missing_packages)
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "clients/setup: missing $missing(install them: apt-get install $missing)" >&2
	exit 1
fi

echo "clients/setup: installing $missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
	# A fresh machine has no package lists yet, or stale ones.
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

missing=$(missing_packages)
if [ -n "$missing" ]; then
	echo "clients/setup: still missing after apt-get install: $missing" >&2
	exit 1
fi
