#!/usr/bin/env bash
# SSE fan-out: --subscribers streams (10,000) each receiving one event per second from one
# broadcasting server, ours (benches `sse_broadcast`, http-sse) vs axum (benches/peers
# `axum_sse`), rounds interleaved. benches `sse_fanout` connects the subscribers (pinned to
# CPU 1), waits until each has an event, then measures for --seconds: server CPU per
# delivered event (/proc/PID/stat) and server RSS per subscriber (VmRSS with all of them
# connected minus before the first). The open-file limit is raised for both processes.
#
#   bash benches/load/sse_compare.sh
#   bash benches/load/sse_compare.sh --rounds 5 --subscribers 5000
#
# Options (defaults in brackets):
#   --servers LIST      comma-separated: ours_sse, axum_sse [ours_sse,axum_sse]
#   --baseline NAME     ratios are X/NAME [axum_sse]
#   --rounds N          [3]
#   --subscribers N     [10000]
#   --seconds S         measured seconds, after connecting (about 2 s per 10,000) [15]
#   --out DIR           raw results and server logs [target/load/sse-<timestamp>]
# Targets only 127.0.0.1; every server is stopped by PID.
set -euo pipefail

# ROOT, TARGET_DIR, BIN, SERVERS, start_peer, stop_peer, kv, column_median
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

servers="ours_sse,axum_sse"
baseline="axum_sse"
rounds=3
subscribers=10000
seconds=15
out=""
die() { echo "sse_compare.sh: $*" >&2; exit 2; }
shared_options="--rounds --out"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) servers="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --subscribers) subscribers="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) common_option "$@" || die "unknown option $1 (see --help)"; shift "$shifted" ;;
  esac
done
IFS=',' read -r -a names <<<"$servers"
for n in "${names[@]}" sse_fanout; do
  [[ -x "${SERVERS[$n]:-$BIN/$n}" ]] || die "${SERVERS[$n]:-$BIN/$n} is missing (build it)"
done
need=$((subscribers + 1000))
ulimit -n "$need" 2>/dev/null || die "cannot raise the open-file limit to $need (ulimit -n)"
out="${out:-$TARGET_DIR/load/sse-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
raw="$out/results.tsv"
printf 'round\tserver\tevents_per_s\tevents\tcpu_us_per_event\trss_kib_per_sub\tmin_sub\tmax_sub\n' >"$raw"
trap stop_peer EXIT

echo "sse_fanout: $subscribers subscribers, one event/s each, ${seconds}s measured; servers on CPU 0 (--workers 1), subscribers on CPU 1; $rounds rounds of ${names[*]}" >&2
for ((r = 1; r <= rounds; r++)); do
  for n in "${names[@]}"; do
    start_peer "$n" "$out/$n.$r"
    line=$(taskset -c 1 "$BIN/sse_fanout" --addr "${server_url#http://}" --path /events --subscribers "$subscribers" \
      --seconds "$seconds" --server-pid "$server_pid" 2>>"$out/$n.$r.fanout.err")
    stop_peer
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "$(kv events_per_s "$line")" "$(kv events "$line")" \
      "$(kv cpu_us_per_event "$line")" "$(kv rss_kib_per_sub "$line")" "$(kv min_sub "$line")" "$(kv max_sub "$line")" >>"$raw"
    echo "  round $r $n: $line" >&2
  done
done

echo
echo "Medians of $rounds rounds ($subscribers subscribers, one event per second each, ${seconds}s):"
echo "| server | events/s delivered | server CPU µs/event | RSS KiB/subscriber | CPU/event vs $baseline | RSS/subscriber vs $baseline |"
echo "|---|---:|---:|---:|---:|---:|"
b_cpu=$(column_median "$raw" "$baseline" 5)
b_rss=$(column_median "$raw" "$baseline" 6)
for n in "${names[@]}"; do
  awk -v n="$n" -v e="$(column_median "$raw" "$n" 3)" -v c="$(column_median "$raw" "$n" 5)" -v m="$(column_median "$raw" "$n" 6)" \
    -v bc="$b_cpu" -v bm="$b_rss" \
    'BEGIN { printf "| %s | %.0f | %.2f | %.2f | %.2f× | %.2f× |\n", n, e, c, m, (bc > 0 ? c / bc : 0), (bm > 0 ? m / bm : 0) }'
done
echo "raw results: $raw" >&2
