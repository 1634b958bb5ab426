#!/bin/bash
# Runs the integration suite with bats (TAP) and ends with a "N passed, N failed, N skipped" line.
#
# usage: tests/integration/run.sh [BATS ARGS...]      e.g. run.sh -f 'hooks:'   or   run.sh tests/integration/hooks.bats
# Environment: HUSK (default build/husk), CHECKER (default build/tests/checker/checker), RECVTTY.
#   HUSK=$(command -v runc) tests/integration/run.sh    validates the runc-compatible tests against runc.
# Needs root, bats, jq and busybox-static (make-bundle.sh installs busybox-static when it is missing).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
missing=()
for tool in bats jq unshare; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "integration: missing ${missing[*]} (apt-get install bats jq util-linux)" >&2
	exit 1
fi
[ "$(id -u)" -eq 0 ] || {
	echo "integration: must run as root" >&2
	exit 1
}

# Test files (or a directory) among the arguments go last; default: the whole directory.
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
echo "integration: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
