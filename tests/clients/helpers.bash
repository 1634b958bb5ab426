# Shared by the real-client tests (podman, containerd, go-runc/hcsshim contract): paths, the busybox image made
# offline, and removal of what a client leaves on the host (mounts, cgroups, processes) even after a failure.
#
# Environment:
#   HUSK       the runtime under test (default: build/husk of this repo)
#   SUBREAPER  the PR_SET_CHILD_SUBREAPER helper (default: next to build/tests/checker/checker)
#   CHECKER    copied into the image's rootfs as /bin/checker when it exists
# Every file's setup_file makes $CTMP (mktemp under /tmp), removed by clients_teardown_tmp.

bats_require_minimum_version 1.5.0

CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$CLIENTS_DIR/../.." && pwd)
abs_path() {
	case "$1" in
	*/*) echo "$(cd "$(dirname "$1")" 2>/dev/null && pwd)/$(basename "$1")" ;;
	*) command -v "$1" || echo "$1" ;;
	esac
}
HUSK=$(abs_path "${HUSK:-$REPO_DIR/build/husk}")
CHECKER=$(abs_path "${CHECKER:-$REPO_DIR/build/tests/checker/checker}")
SUBREAPER=$(abs_path "${SUBREAPER:-$(dirname "$CHECKER")/subreaper}")
export HUSK CHECKER SUBREAPER

# Fail (not skip) when husk itself is missing: that is a broken build, not a missing client.
clients_require_husk() {
	if [ ! -x "$HUSK" ]; then
		echo "# no runtime at HUSK=$HUSK (ninja -C build husk)" >&3
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "# the client tests run as root (podman and containerd as root, cgroupfs)" >&3
		return 1
	fi
}

# Install the clients when one is missing (tests/clients/setup.sh is idempotent); say why when that fails.
# usage: clients_install COMMAND... ; returns 1 with the reason in $CLIENTS_MISSING
clients_install() {
	local c missing=()
	for c in "$@"; do
		command -v "$c" >/dev/null || missing+=("$c")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	"$CLIENTS_DIR/setup.sh" >&3 2>&1 || true
	missing=()
	for c in "$@"; do
		command -v "$c" >/dev/null || missing+=("$c")
	done
	CLIENTS_MISSING="${missing[*]}"
	[ ${#missing[@]} -eq 0 ]
}

# The busybox-static rootfs of tests/lib/make-bundle.sh as a tar (the image's only layer), in $1.
make_rootfs_tar() {
	local out=$1 work
	work=$(mktemp -d "$CTMP/bundle.XXXXXX")
	CHECKER=$CHECKER "$REPO_DIR/tests/lib/make-bundle.sh" "$work" >/dev/null
	# Reproducible: same bytes, same layer digest, every run.
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$out" .
	rm -rf "$work"
}

# Write blob $1 (a file) into the OCI layout $2 and print "sha256:<hex> <size>".
oci_add_blob() {
	local file=$1 layout=$2 digest size
	digest=$(sha256sum "$file" | cut -d' ' -f1)
	size=$(stat -c %s "$file")
	mkdir -p "$layout/blobs/sha256"
	mv "$file" "$layout/blobs/sha256/$digest"
	echo "sha256:$digest $size"
}

# An OCI image archive (oci-layout, index.json, blobs) with the one-layer image from rootfs tar $1, named $3,
# written to $2. `ctr image import` reads the name from the io.containerd.image.name annotation.
make_oci_archive() {
	local rootfs_tar=$1 out=$2 name=$3 layout layer config manifest
	layout=$(mktemp -d "$CTMP/oci.XXXXXX")
	cp "$rootfs_tar" "$layout/layer"
	layer=$(oci_add_blob "$layout/layer" "$layout")
	jq -cn --arg diff "${layer% *}" '{
		architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
		rootfs: {type: "layers", diff_ids: [$diff]}
	}' >"$layout/config"
	config=$(oci_add_blob "$layout/config" "$layout")
	jq -cn --arg c "${config% *}" --argjson cs "${config#* }" --arg l "${layer% *}" --argjson ls "${layer#* }" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]
	}' >"$layout/manifest"
	manifest=$(oci_add_blob "$layout/manifest" "$layout")
	jq -cn --arg m "${manifest% *}" --argjson ms "${manifest#* }" --arg name "$name" '{
		schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
			annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": ($name | sub(".*:"; ""))}}]
	}' >"$layout/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
	tar -C "$layout" -cf "$out" oci-layout index.json blobs
	rm -rf "$layout"
}

# Unmount everything mounted under directory $1 (deepest first): overlay rootfs, shm, podman's private binds.
unmount_under() {
	local dir=$1
	[ -n "$dir" ] || return 0
	awk -v d="$dir/" 'index($5, d) == 1 || $5 == substr(d, 1, length(d) - 1) { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
}

# Kill what is left in cgroup $1 (a path relative to each hierarchy, e.g. /libpod_parent) and remove it,
# deepest first, in every v1 hierarchy and in the unified one.
remove_cgroup_tree() {
	local rel=$1 top cg
	[ -n "$rel" ] && [ "$rel" != / ] || return 0
	for top in /sys/fs/cgroup /sys/fs/cgroup/*; do
		[ -d "$top$rel" ] || continue
		find "$top$rel" -depth -type d 2>/dev/null | while read -r cg; do
			remove_cgroup_dir "$cg"
		done
	done
}

# Thaw, empty and remove one cgroup dir (its children must be gone already).
remove_cgroup_dir() {
	local cg=$1
	[ -f "$cg/freezer.state" ] && echo THAWED >"$cg/freezer.state" 2>/dev/null
	[ -f "$cg/cgroup.freeze" ] && echo 0 >"$cg/cgroup.freeze" 2>/dev/null
	xargs -r kill -9 <"$cg/cgroup.procs" 2>/dev/null || true
	rmdir "$cg" 2>/dev/null || { sleep 0.2; rmdir "$cg" 2>/dev/null; } || true
}

# Remove every cgroup dir named $1 (a container id) at any depth, deepest first: runc's and husk's default
# cgroup (no cgroupsPath) is relative to the caller's own cgroup in each hierarchy.
remove_cgroups_named() {
	local cg
	[ -n "$1" ] || return 0
	find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$1" 2>/dev/null | sort -r | while read -r cg; do
		remove_cgroup_dir "$cg"
	done
}

# Host path of the v1 hierarchy $2's cgroup of pid $1 (e.g. cgroup_dir 1234 memory).
cgroup_dir() {
	echo "/sys/fs/cgroup/$2$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")"
}

# Stop process $1 (a pid this test file started): TERM, then KILL after $2 seconds (default 5).
stop_pid() {
	local pid=$1 wait=${2:-5} i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < wait * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

# Pids of processes whose command line contains string $1.
pids_with_arg() {
	# As a regex whose first character is in brackets: grep's own command line, which holds the pattern,
	# does not match it then.
	local rest
	rest=$(printf '%s' "${1:1}" | sed 's/[][\.*^$]/\\&/g')
	grep -lsa -e "[${1:0:1}]$rest" /proc/[0-9]*/cmdline 2>/dev/null | awk -F/ -v self=$$ '$3 != self { print $3 }'
}

# No process has string $1 in its command line.
not_running() {
	[ -z "$(pids_with_arg "$1")" ]
}

clients_teardown_tmp() {
	[ -n "${CTMP:-}" ] && [ -d "$CTMP" ] || return 0
	unmount_under "$CTMP"
	rm -rf "$CTMP"
}

# retry ATTEMPTS DELAY COMMAND...: run COMMAND until it succeeds.
retry() {
	local attempts=$1 delay=$2 i
	shift 2
	for ((i = 0; i < attempts; i++)); do
		"$@" && return 0
		sleep "$delay"
	done
	echo "retry: '$*' did not succeed after $attempts attempts" >&2
	return 1
}

fail() {
	echo "$@" >&2
	echo "output: ${output:-}" >&2
	return 1
}

assert_output_contains() {
	[[ "$output" == *"$1"* ]] || fail "expected output to contain: $1"
}

assert_status() {
	[ "$status" -eq "$1" ] || fail "expected exit status $1, got $status"
}

# A shell probe for terminal tests: waits up to 5 s for the window size rows ($1) x cols ($2) to arrive (clients
# set it after the process starts), then prints its tty, "size=<rows> <cols>", whether stdin is a tty, and exits
# ${3:-0}. Free of single quotes, so that it fits in sh -c '...'.
tty_probe() {
	echo "tty; i=0; until [ \"\$(stty size 2>/dev/null)\" = \"$1 $2\" ] || [ \$i -ge 50 ]; do sleep 0.1; i=\$((i + 1)); done;" \
		"echo size=\$(stty size); [ -t 0 ] && echo stdin-is-a-tty; exit ${3:-0}"
}

# run a client's command line ($3) in a pty of rows ($1) x cols ($2); $output without the pty's \r and NULs.
run_in_pty() {
	run script -qec "stty cols $2 rows $1; $3" /dev/null </dev/null
	output=$(tr -d '\r\0' <<<"$output")
}

# What tty_probe printed: a tty of /dev/pts, the window size rows ($1) x cols ($2), stdin a tty.
assert_tty_output() {
	assert_output_contains "/dev/pts/"
	assert_output_contains "size=$1 $2"
	assert_output_contains "stdin-is-a-tty"
}
