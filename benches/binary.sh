#!/usr/bin/env bash
# Whole-binary figures, each run measured with /usr/bin/time -v (wall clock,
# peak RSS): start-up (`tandem --version`) and one headless `tandem exec` of
# a 2,000-word answer streamed by the mock server on loopback (a separate
# process, not counted). Usage: benches/binary.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build --release --quiet
bin=target/release/tandem
work=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

# Prints "wall_ms peak_rss_kib" of one run of the command. /usr/bin/time
# gives the peak RSS; its wall clock has only 10 ms resolution, so the wall
# time comes from bash's microsecond clock around the same run.
timed() {
    local start=$EPOCHREALTIME
    /usr/bin/time -f '%M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" </dev/null \
        || { cat "$work/stderr"; exit 1; }
    local end=$EPOCHREALTIME
    awk -v s="$start" -v e="$end" -v rss="$(cat "$work/time")" \
        'BEGIN { printf "%.1f %s\n", (e - s) * 1000, rss }'
}

echo "tandem --version (wall ms, peak RSS KiB):"
for _ in $(seq "$runs"); do timed "$bin" --version; done

echo "tandem exec, 2,000-word answer (wall ms, peak RSS KiB):"
for _ in $(seq "$runs"); do
    # A fresh server per run: the script holds one reply.
    : >"$work/url"
    "$bin" mock-server --script benches/answer-2000-words.toml >"$work/url" &
    server_pid=$!
    for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.02; done
    TANDEM_HOME=$work OPENAI_BASE_URL=$(cat "$work/url") OPENAI_API_KEY=bench \
        timed "$bin" exec --provider openai --model bench "write 2000 words"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
    server_pid=
done
