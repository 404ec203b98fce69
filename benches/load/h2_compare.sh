#!/usr/bin/env bash
# HTTP/2 cleartext (prior knowledge) load comparison with h2load: examples' `hello`
# /plaintext (a serve-style handler matching on the path, no router) vs a hyper 1.x h2c
# server with the same handler (benches/src/bin/hyper_h2c.rs), same run, rounds
# interleaved (ours hyper ours hyper ...).
#
# Servers: ours = examples `hello`; hyper = benches `hyper_h2c`; axum, actix =
# benches/peers (a crate outside the workspace, built into target/peers; both accept h2c
# prior knowledge on their port); canned_h2 = benches/peers `canned_h2`, the floor: the
# same response as pre-encoded frames, no HTTP/2 processing beyond frame headers (no HPACK
# decoding, no flow control); bare_h2 = benches `bare_h2`, the `h2` crate with no framework
# on it (the floor for any server on that codec). Ratios are against hyper.
#
# Each measurement: start the server pinned to one core (taskset, --workers 1; actix adds
# its own accept thread, counted in its CPU time), read its port from its first stdout
# line, warm up, run h2load pinned to another core, and take the server's CPU time
# (utime+stime, /proc/PID/stat fields 14+15, in CLK_TCK ticks) before and after the
# measured run. Prints per-round results, then medians and ratios. When the server
# needs less CPU than h2load, h2load's core limits req/s: read CPU µs/request then.
#
#   bash benches/load/h2_compare.sh
#   bash benches/load/h2_compare.sh --rounds 5 --requests 400000
#   bash benches/load/h2_compare.sh --servers ours,hyper,actix
#
# Options (defaults in brackets):
#   --servers LIST    comma-separated: ours, hyper, axum, actix, canned_h2, bare_h2; with --tls:
#                     ours, hyper_tls, nginx, canned_h2, bare_h2 [ours,hyper]
#   --baseline NAME   ratios are X/NAME [hyper]
#   --tls CERT,KEY    HTTP/2 over TLS (h2load negotiates ALPN h2): every server gets
#                     --tls-cert CERT --tls-key KEY [off: h2c prior knowledge]
#   --requests N      h2load -n [200000]
#   --clients N       h2load -c [32]
#   --streams N       h2load -m (concurrent streams per connection) [32]
#   --warmup N        unmeasured h2load -n before each measurement, 0 = none [20000]
#   --rounds N        rounds, each runs every server once [3]
#   --path P          request path [/plaintext]
#   --server-cpus L   taskset list for the server [0]
#   --load-cpus L     taskset list for h2load [1]
#   --no-build        skip cargo build
#   --out DIR         raw results and server logs [target/load/h2-<timestamp>]
set -euo pipefail

# ROOT, TARGET_DIR, BIN, SERVERS, cpu_ticks, column_median, build_peers_for; hyper's h2c peer is its own binary,
# and canned speaks HTTP/1.1 only (canned_h2 is its h2c counterpart).
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
SERVERS[hyper]="$BIN/hyper_h2c"
unset 'SERVERS[canned]'

servers="ours,hyper"
baseline="hyper"
tls=""

requests=200000
clients=32
streams=32
warmup=20000
rounds=3
path="/plaintext"
server_cpus=0
load_cpus=1
build=1
out=""

die() { echo "h2_compare.sh: $*" >&2; exit 2; }
shared_options="--rounds --out --server-cpus --load-cpus --no-build"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) servers="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --tls) tls="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --streams) streams="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --path) path="$2"; shift 2 ;;
    *) common_option "$@" || die "unknown option $1 (see --help)"; shift "$shifted" ;;
  esac
done
IFS=',' read -r -a names <<<"$servers"
for n in "${names[@]}"; do [[ -n "${SERVERS[$n]:-}" ]] || die "unknown server '$n' (known: ${!SERVERS[*]})"; done
[[ ",$servers," == *,$baseline,* ]] || die "--servers must include $baseline (the ratios' baseline)"
[[ "$rounds" -ge 1 ]] || die "--rounds must be >= 1"

# ---- tools and binaries -------------------------------------------------------------
need_tool h2load nghttp2-client
command -v taskset >/dev/null || die "taskset (util-linux) is required"
if [[ $build -eq 1 ]]; then
  echo "building release binaries (lto = fat: this takes a while)..." >&2
  cargo build --release -p examples --bin hello -p benches --bin hyper_h2c --bin bare_h2 >&2
  build_peers_for "$servers"
fi
for n in "${names[@]}"; do [[ -x "${SERVERS[$n]}" ]] || die "${SERVERS[$n]} is missing (build it, or drop --no-build)"; done

tls_args=()
[[ -n "$tls" ]] && tls_args=(--tls-cert "${tls%%,*}" --tls-key "${tls#*,}")
HZ=$(getconf CLK_TCK)
out="${out:-$TARGET_DIR/load/h2-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
raw="$out/results.tsv"
printf 'round\tserver\treq_s\tsucceeded\tfailed\tcpu_ticks\tcpu_us_per_req\tp50_us\tp99_us\n' >"$raw"


trap stop_peer EXIT

# start_server NAME ROUND: sets server_pid and url (start_peer in servers.sh).
start_server() {
  start_peer "$1" "$out/$1.$2" "${tls_args[@]}" || die "$1 did not start"
  url="$server_url$path"
}


echo "h2load -n $requests -c $clients -m $streams $path; server taskset -c $server_cpus --workers 1, h2load taskset -c $load_cpus; $rounds rounds" >&2
for round in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    start_server "$name" "$round"
    if [[ "$warmup" -gt 0 ]]; then
      taskset -c "$load_cpus" h2load -n "$warmup" -c "$clients" -m "$streams" "$url" >/dev/null 2>&1 || true
    fi
    before=$(cpu_ticks "$server_pid")
    report="$out/$name.$round.h2load"
    # --log-file: one line per request (start, status, microseconds to the end of the
    # response), for the latency percentiles h2load does not print.
    taskset -c "$load_cpus" h2load -n "$requests" -c "$clients" -m "$streams" --log-file="$report.log" "$url" >"$report" 2>&1 \
      || die "h2load failed against $name: $(tail -n 5 "$report")"
    after=$(cpu_ticks "$server_pid")
    stop_peer
    rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$report")
    succeeded=$(awk '/^requests:/ { print $8 }' "$report")
    failed=$(awk '/^requests:/ { print $10 }' "$report")
    ticks=$((after - before))
    cpu_us=$(awk -v t="$ticks" -v hz="$HZ" -v n="$requests" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
    read -r p50 p99 < <(cut -f3 "$report.log" | sort -n | awk '{ v[NR] = $1 }
      END { if (NR == 0) print "nan nan"; else print v[int((NR - 1) * 0.50) + 1], v[int((NR - 1) * 0.99) + 1] }')
    rm -f "$report.log"
    [[ "$succeeded" == "$requests" ]] || echo "warning: $name round $round: $succeeded of $requests succeeded ($failed failed)" >&2
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$rps" "$succeeded" "$failed" "$ticks" "$cpu_us" "$p50" "$p99" >>"$raw"
    printf 'round %s %-6s %10s req/s  %s ok  %s failed  %6s µs CPU/req  p50 %s µs  p99 %s µs\n' "$round" "$name" "$rps" "$succeeded" "$failed" "$cpu_us" "$p50" "$p99" >&2
  done
done

declare -A med_rps med_cpu med_p50 med_p99
for name in "${names[@]}"; do
  med_rps[$name]=$(column_median "$raw" "$name" 3)
  med_cpu[$name]=$(column_median "$raw" "$name" 7)
  med_p50[$name]=$(column_median "$raw" "$name" 8)
  med_p99[$name]=$(column_median "$raw" "$name" 9)
done
echo
echo "Medians of $rounds rounds (h2load -n $requests -c $clients -m $streams $path):"
echo "| server | median req/s | median server CPU µs/request | p50 µs | p99 µs | req/s vs $baseline | CPU/request vs $baseline | p99 vs $baseline |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for name in "${names[@]}"; do
  awk -v n="$name" -v r="${med_rps[$name]}" -v c="${med_cpu[$name]}" -v hr="${med_rps[$baseline]}" -v hc="${med_cpu[$baseline]}" \
    -v p5="${med_p50[$name]}" -v p9="${med_p99[$name]}" -v hp9="${med_p99[$baseline]}" \
    'BEGIN { printf "| %s | %.0f | %.2f | %.0f | %.0f | %.2f× | %.2f× | %.2f× |\n", n, r, c, p5, p9, r / hr, c / hc, (hp9 > 0 ? p9 / hp9 : 0) }'
done
echo
echo "raw results: $raw" >&2
