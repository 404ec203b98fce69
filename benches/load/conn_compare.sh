#!/usr/bin/env bash
# New TLS connections per second, one request per connection (benches `tls_conns`): full
# TLS 1.3 handshakes and resumptions counted apart, against ours (examples `hello`),
# hyper + tokio-rustls (benches `hyper_tls`) and nginx (benches/load/nginx_tls.sh),
# rounds interleaved. Three modes:
#   full    no client session store: every handshake is full;
#   resume  one client with a ticket store: resumes whenever the server accepts a ticket;
#   many    1,000 clients, each with its own ticket store, taking turns: does the server
#           still resume a client after the 999 others connected?
#
# Each round and server: start it pinned to CPU 0 (--workers 1 / one nginx process) with
# the same certificate (servers.sh tls_cert_files: ECDSA P-256), then run tls_conns pinned to
# CPU 1 in each mode; tls_conns reads the server's CPU time from /proc/PID/stat around its
# measured window. Prints per-run lines, then medians and ratios against --baseline.
#
#   bash benches/load/conn_compare.sh
#   bash benches/load/conn_compare.sh --rounds 5 --seconds 10 --concurrency 64
#
# Options (defaults in brackets):
#   --servers LIST      comma-separated: ours, hyper_tls, nginx [ours,hyper_tls,nginx]
#   --baseline NAME     ratios are X/NAME [nginx]
#   --rounds N          [3]
#   --seconds S         measured seconds per mode (after 1 s of warm-up) [5]
#   --concurrency N     connections in flight [32]
#   --modes LIST        comma-separated: full, resume, many [full,resume,many]
#   --out DIR           raw results and server logs [target/load/conn-<timestamp>]
# Targets only 127.0.0.1; every server is stopped by PID.
set -euo pipefail

# ROOT, TARGET_DIR, BIN, SERVERS, start_peer, stop_peer, tls_cert_files, kv, column_median
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

servers="ours,hyper_tls,nginx"
baseline="nginx"
rounds=3
seconds=5
concurrency=32
modes="full,resume,many"
out=""
die() { echo "conn_compare.sh: $*" >&2; exit 2; }
shared_options="--rounds --out"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) servers="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    *) common_option "$@" || die "unknown option $1 (see --help)"; shift "$shifted" ;;
  esac
done
IFS=',' read -r -a names <<<"$servers"
IFS=',' read -r -a mode_list <<<"$modes"
for m in "${mode_list[@]}"; do
  [[ "$m" == full || "$m" == resume || "$m" == many ]] || die "unknown mode $m (full, resume, many)"
done
for n in "${names[@]}" tls_conns; do
  path="${SERVERS[$n]:-$BIN/$n}"
  [[ -x "$path" ]] || die "$path is missing (build it)"
done
read -r cert key < <(tls_cert_files)
out="${out:-$TARGET_DIR/load/conn-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
export NGINX_RUN_DIR="$out"
raw="$out/results.tsv"
printf 'round\tserver\tmode\tconns_per_s\tconns\tfull\tresumed\terrors\tcpu_us_per_conn\tno_ticket\n' >"$raw"
trap stop_peer EXIT

echo "tls_conns -c $concurrency, ${seconds}s per mode; servers on CPU 0 (--workers 1), tls_conns on CPU 1; $rounds rounds of ${names[*]}" >&2
for ((r = 1; r <= rounds; r++)); do
  for n in "${names[@]}"; do
    start_peer "$n" "$out/$n.$r" --tls-cert "$cert" --tls-key "$key"
    for mode in "${mode_list[@]}"; do
      case "$mode" in
        full) how=(--mode full) ;;
        resume) how=(--mode resume) ;;
        many) how=(--mode resume --clients 1000) ;;
      esac
      line=$(taskset -c 1 "$BIN/tls_conns" --url "${server_url}/plaintext" "${how[@]}" --concurrency "$concurrency" \
        --seconds "$seconds" --server-pid "$server_pid" 2>>"$out/$n.$r.tls_conns.err")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "$mode" "$(kv conns_per_s "$line")" "$(kv conns "$line")" \
        "$(kv full "$line")" "$(kv resumed "$line")" "$(kv errors "$line")" "$(kv cpu_us_per_conn "$line")" \
        "$(kv no_ticket "$line")" >>"$raw"
      echo "  round $r $n: $line" >&2
    done
    stop_peer
  done
done

# Medians per server and mode (column 2 holds "server/mode" for column_median).
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 1 { print; next } { $2 = $2 "/" $3; print }' "$raw" >"$out/by_mode.tsv"
echo
echo "Medians of $rounds rounds (tls_conns -c $concurrency, one GET /plaintext per connection, ${seconds}s per mode):"
echo "| server | handshakes | conns/s | full | of them without a ticket | resumed | errors | server CPU µs/conn | conns/s vs $baseline | CPU/conn vs $baseline |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for mode in "${mode_list[@]}"; do
  b_rate=$(column_median "$out/by_mode.tsv" "$baseline/$mode" 4)
  b_cpu=$(column_median "$out/by_mode.tsv" "$baseline/$mode" 9)
  for n in "${names[@]}"; do
    k="$n/$mode"
    awk -v n="$n" -v m="$mode" -v r="$(column_median "$out/by_mode.tsv" "$k" 4)" \
      -v f="$(column_median "$out/by_mode.tsv" "$k" 6)" -v s="$(column_median "$out/by_mode.tsv" "$k" 7)" \
      -v t="$(column_median "$out/by_mode.tsv" "$k" 10)" \
      -v e="$(column_median "$out/by_mode.tsv" "$k" 8)" -v c="$(column_median "$out/by_mode.tsv" "$k" 9)" \
      -v br="$b_rate" -v bc="$b_cpu" \
      'BEGIN { printf "| %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.1f | %.2f× | %.2f× |\n", n, m, r, f, t, s, e, c, (br > 0 ? r / br : 0), (bc > 0 ? c / bc : 0) }'
  done
done
echo "raw results: $raw" >&2
