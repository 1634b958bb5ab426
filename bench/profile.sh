#!/bin/bash
# Turns an insncount profile (COUNT PATH OFFSET per instruction address) into a flat per-function profile.
#
# usage: bench/profile.sh PROFILE RUNTIME [TOP]
#   PROFILE  written by `insncount -p`
#   RUNTIME  the runtime's binary on the host: mappings whose path is no file on the host (husk's
#            read-only overlayfs view of itself, crun's read-only bind mount, runc's memfd) are that binary
#   TOP      how many functions to list (default 40)
# Prints instructions per object, then the TOP functions by self instructions (callgrind's "self Ir") with
# their calls (how often the entry instruction ran).
# Symbols come from the separate debug file when one is installed (/usr/lib/debug/.build-id, e.g.
# libc6-dbg), else from the object's own symbol table, else its dynamic symbols (coarse: an internal
# function is then charged to the exported symbol before it).
set -euo pipefail

[ $# -ge 2 ] || {
	sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}
profile=$1
runtime=$2
top=${3:-40}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/husk-profile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# symbol_source FILE: the file nm should read, and nm's flag for the dynamic table when nothing better exists.
symbol_source() {
	local file=$1 id debug
	# every reader below reads to the end: under pipefail, a writer killed by SIGPIPE would fail the script
	id=$(readelf -nW "$file" 2>/dev/null | awk '/Build ID:/ && id == "" { id = $NF } END { print id }')
	debug=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
	if [ -n "$id" ] && [ -f "$debug" ]; then
		echo "$debug"
	elif [ "$(nm "$file" 2>/dev/null | wc -l)" -gt 0 ]; then
		echo "$file"
	else
		echo "-D $file"
	fi
}

total=$(awk -F'\t' '{ s += $1 } END { printf "%.0f\n", s }' "$profile")
: >"$tmp/functions"
awk -F'\t' '{ print $2 }' "$profile" | sort -u >"$tmp/paths"
while IFS= read -r path; do
	object=$path
	if [[ $path != \[* ]] && { [[ $path == *memfd:* ]] || [ ! -f "$path" ]; }; then
		object=$runtime
	fi
	name=${object##*/}
	[[ $path == \[* ]] && name=$path
	# This path's samples, file offset -> virtual address via the PT_LOAD segment that holds the offset.
	awk -F'\t' -v p="$path" '$2 == p { print $3 "\t" $1 }' "$profile" | sort -n >"$tmp/samples"
	if [[ $path == \[* ]] || [ ! -f "$object" ]; then
		awk -F'\t' -v n="$name" '{ s += $2 } END { printf "%.0f\t%s\t%s\t0\n", s, n, n }' "$tmp/samples" >>"$tmp/functions"
		continue
	fi
	readelf -lW "$object" | awk '$1 == "LOAD" { print $2, $3, $5 }' | while read -r off vaddr size; do
		echo "$((off)) $((vaddr)) $((size))"
	done >"$tmp/segments"
	# shellcheck disable=SC2046 # symbol_source may return "-D FILE"
	nm -n --defined-only -t d $(symbol_source "$object") 2>/dev/null |
		awk 'NF == 3 && $2 ~ /^[TtWwi]$/ { print $1 + 0, $3 }' >"$tmp/symbols"
	awk -v n="$name" '
		FILENAME == ARGV[1] { so[NR] = $1; sv[NR] = $2; ss[NR] = $3; nseg = NR; next }
		FILENAME == ARGV[2] { sa[++nsym] = $1; sn[nsym] = $2; next }
		{
			split($0, f, "\t"); off = f[1] + 0; c = f[2] + 0; va = off
			for (i = 1; i <= nseg; i++)
				if (off >= so[i] && off < so[i] + ss[i]) { va = off - so[i] + sv[i]; break }
			# binary search: the last symbol at or below va
			lo = 1; hi = nsym; best = 0
			while (lo <= hi) { mid = int((lo + hi) / 2); if (sa[mid] <= va) { best = mid; lo = mid + 1 } else hi = mid - 1 }
			fn = best ? sn[best] : "?"
			cost[fn] += c
			if (best && va == sa[best]) calls[fn] += c # the entry instruction runs once per call
		}
		END { for (fn in cost) printf "%.0f\t%s\t%s\t%.0f\n", cost[fn], n, fn, calls[fn] }
	' "$tmp/segments" "$tmp/symbols" "$tmp/samples" >>"$tmp/functions"
done <"$tmp/paths"

echo "instructions: $total"
echo
echo "by object:"
awk -F'\t' -v t="$total" '{ c[$2] += $1 } END { for (o in c) printf "%12.0f %6.2f%%  %s\n", c[o], 100 * c[o] / t, o }' \
	"$tmp/functions" | sort -rn
echo
echo "top $top functions by self instructions:"
# the runtime's two paths (the binary and its protected view) are one object: add their lines up
awk -F'\t' '{ k = $2 "\t" $3; c[k] += $1; n[k] += $4 } END { for (k in c) printf "%.0f\t%s\t%.0f\n", c[k], k, n[k] }' \
	"$tmp/functions" | sort -t$'\t' -k1,1rn | awk -v top="$top" 'NR <= top' |
	awk -F'\t' -v t="$total" 'BEGIN { printf "%12s %7s %7s  %-12s %s\n", "self", "%", "calls", "object", "function" }
		{ printf "%12.0f %6.2f%% %7s  %-12s %s\n", $1, 100 * $1 / t, $4 ? $4 : "-", $2, $3 }'
