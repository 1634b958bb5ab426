#!/bin/bash
# Runs the real-client tests (podman, containerd, the go-runc/hcsshim contract) with bats (TAP) and ends with a
# "clients: N passed, N failed, N skipped" line. Installs the clients first when they are missing (setup.sh).
#
# usage: tests/clients/run.sh [BATS ARGS...]     e.g. run.sh tests/clients/podman.bats   or   run.sh -f 'pause'
# Environment: HUSK (default build/husk), CHECKER (default build/tests/checker/checker; SUBREAPER next to it).
# Needs root, bats and jq; podman, containerd and runc come from tests/clients/setup.sh (apt).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in bats jq; do
	command -v "$tool" >/dev/null || {
		echo "clients: missing $tool (apt-get install bats jq)" >&2
		exit 1
	}
done
[ "$(id -u)" -eq 0 ] || {
	echo "clients: must run as root" >&2
	exit 1
}
# A failed install is not fatal here: each file then skips, saying which client is missing.
"$here/setup.sh" || echo "clients: setup.sh could not install every client; their tests will skip" >&2

args=("$@")
has_target=false
for arg in "${args[@]}"; do
	[[ "$arg" == *.bats || -d "$arg" ]] && has_target=true
done
$has_target || args+=("$here")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
bats --tap "${args[@]}" | tee "$log"
rc=${PIPESTATUS[0]}
skipped=$(grep -c '^ok .* # skip' "$log")
passed=$(($(grep -c '^ok ' "$log") - skipped))
failed=$(grep -c '^not ok ' "$log")
echo "clients: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
