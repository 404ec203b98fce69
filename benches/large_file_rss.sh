#!/usr/bin/env bash
# Serving a 1 GiB file to 100 clients at once keeps the fileserver's memory bounded.
#
#   benches/large_file_rss.sh [CLIENTS] [SECONDS] [RATE]
#
# Makes a sparse 1 GiB file with `truncate`, starts target/release/fileserver on it
# (127.0.0.1, a free port), starts CLIENTS (default 100) curl downloads at once, each
# limited to RATE (default 20M bytes/s, so the clients are slower than the disk and the
# server must wait on them rather than buffer) for at most SECONDS (default 15), samples the
# server's VmRSS every 0.5 s from /proc, and prints the baseline, the peak (VmHWM) and the
# bytes the clients received. Stops what it started by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${1:-100}
SECONDS_=${2:-15}
RATE=${3:-20M}
FILESERVER=${FILESERVER:-target/release/fileserver}
[[ -x "$FILESERVER" ]] || cargo build --release -q -p http-server --features cli --bin fileserver

WORK=$(mktemp -d /tmp/large-rss.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
truncate -s 1G "$WORK/big.bin"

"$FILESERVER" "$WORK" --port 0 --quiet > "$WORK/fs.out" 2> "$WORK/fs.err" &
SERVER=$!
PIDS+=("$SERVER")
for _ in $(seq 50); do [[ -s "$WORK/fs.out" ]] && break; sleep 0.1; done
URL="$(head -1 "$WORK/fs.out" | sed 's/^listening on //')/big.bin"
rss() { awk '/^VmRSS/{print $2}' "/proc/$SERVER/status"; }
BASE=$(rss)

CURLS=()
for i in $(seq "$CLIENTS"); do
    curl -s --max-time "$SECONDS_" --limit-rate "$RATE" -o /dev/null -w '%{size_download}\n' "$URL" \
        > "$WORK/c$i" 2>/dev/null &
    CURLS+=($!)
done
PEAK_SAMPLE=0
END=$((SECONDS + SECONDS_ + 2))
while ((SECONDS < END)); do
    r=$(rss)
    ((r > PEAK_SAMPLE)) && PEAK_SAMPLE=$r
    open=0
    for p in "${CURLS[@]}"; do kill -0 "$p" 2>/dev/null && open=$((open + 1)); done
    ((open == 0)) && break
    sleep 0.5
done
for p in "${CURLS[@]}"; do wait "$p" 2>/dev/null || true; done
HWM=$(awk '/^VmHWM/{print $2}' "/proc/$SERVER/status")
BYTES=$(cat "$WORK"/c* | awk '{s+=$1} END {printf "%d", s / 1048576}')
echo "clients=$CLIENTS rate=$RATE/s each for ${SECONDS_}s, file=1 GiB (sparse)"
echo "server RSS: baseline $((BASE / 1024)) MiB, peak sampled $((PEAK_SAMPLE / 1024)) MiB, VmHWM $((HWM / 1024)) MiB"
echo "clients received $BYTES MiB in total"
