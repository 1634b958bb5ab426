# The bench's bundles, for bench/run.sh and scripts/hot-text.sh (sourced: it defines two functions).
# shellcheck shell=bash

bench_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# bench_variant DIR NAME JQ-FILTER [JQ ARGS...]: DIR/bundle-NAME, DIR/bundle's config changed by the
# filter, on the same rootfs (by absolute path).
bench_variant() {
	local dir=$1 name=$2 filter=$3
	shift 3
	mkdir -p "$dir/bundle-$name"
	jq "$@" --arg rootfs "$dir/bundle/rootfs" ".root.path = \$rootfs | $filter" "$dir/bundle/config.json" \
		>"$dir/bundle-$name/config.json"
}

# bench_bundles DIR: DIR/bundle (busybox rootfs, the runc spec config, /bin/true), DIR/bundle-sleep
# (`sleep 1000000`) and DIR/bundle-seccomp: podman's default profile (PODMAN_SECCOMP, by default
# /usr/share/containers/seccomp.json) resolved as podman resolves it for its default capabilities.
# No bundle-seccomp when that profile is not there.
bench_bundles() {
	local dir=$1 src=${PODMAN_SECCOMP:-/usr/share/containers/seccomp.json}
	CHECKER=/nonexistent "$bench_repo/tests/lib/make-bundle.sh" "$dir/bundle" >/dev/null
	jq '.process.args = ["/bin/true"]' "$dir/bundle/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/bundle/config.json"
	bench_variant "$dir" sleep '.process.args = ["sleep", "1000000"]'
	[ -f "$src" ] || return 0
	jq --arg arch amd64 -f "$bench_repo/bench/podman-seccomp.jq" "$src" >"$dir/seccomp.json"
	# shellcheck disable=SC2016 # $profile is jq's
	bench_variant "$dir" seccomp '.linux.seccomp = $profile[0]' --slurpfile profile "$dir/seccomp.json"
}
