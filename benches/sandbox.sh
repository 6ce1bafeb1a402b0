#!/usr/bin/env bash
# Start-up cost of the sandbox: `true` run directly vs through
# `tandem sandbox-exec --policy ... -- true` (workspace-write, network off),
# each fork+exec'd from this bash loop and timed with bash's microsecond
# clock. Prints the median of each and the difference (target: < 5 ms).
# Usage: benches/sandbox.sh [RUNS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --release --quiet
bin=$PWD/target/release/tandem
true_bin=$(command -v true | grep / || echo /bin/true)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
policy="{\"mode\":\"workspace-write\",\"network\":false,\"workspace\":\"$work\"}"

# One sandboxed run first: the binary's pages into the cache, and a check
# that the sandbox works at all.
"$bin" sandbox-exec --report --policy "$policy" -- "$true_bin"

# Prints the wall time of one run of the command in milliseconds.
timed() {
    local start=$EPOCHREALTIME
    "$@" </dev/null >/dev/null
    local end=$EPOCHREALTIME
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", (e - s) * 1000 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'; }

for _ in $(seq "$runs"); do timed "$true_bin"; done >"$work/direct"
for _ in $(seq "$runs"); do
    timed "$bin" sandbox-exec --policy "$policy" -- "$true_bin"
done >"$work/sandboxed"

direct=$(median <"$work/direct")
sandboxed=$(median <"$work/sandboxed")
echo "runs: $runs each"
echo "median direct:    $direct ms  ($true_bin)"
echo "median sandboxed: $sandboxed ms  ($bin sandbox-exec --policy ... -- $true_bin)"
awk -v d="$direct" -v s="$sandboxed" 'BEGIN { printf "sandbox overhead: %.3f ms (target < 5 ms)\n", s - d }'
