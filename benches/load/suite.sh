#!/usr/bin/env bash
# The whole load-comparison suite, one command:
#
#   bash benches/load/suite.sh                 # 3 rounds, ~20 minutes
#   bash benches/load/suite.sh --rounds 5
#
# 1. builds release binaries: ours (examples), hyper peers (benches), and the peers crate
#    benches/peers (axum, actix-web, canned, canned_h2) into target/peers;
# 2. HTTP/1.1 with wrk -t1 -c64 (benches/load/compare.sh): GET /plaintext and GET /json
#    without pipelining, and /plaintext pipelined 16 deep (wrk Lua script);
# 3. h2c with h2load -c32 -m32 (benches/load/h2_compare.sh), canned_h2 (pre-encoded
#    frames, no HTTP/2 processing) as the floor;
# 4. static files against nginx and static-web-server (built into target/peers/sws when
#    missing), 1 KiB / 100 KiB / 10 MiB and 100 KiB compressed (benches/static_load.sh),
#    twice: with wrk, and with benches `discard_load`, whose client discards bodies in the
#    kernel so that the server's core, not the client's, is what runs out;
# 5. RSS per idle keep-alive connection at 10,000 connections (idle_conns);
# 6. heap allocations per request on the plaintext path (alloc_count);
# 7. over TLS (one self-signed ECDSA P-256 certificate, made by openssl under
#    target/load/tls/), ours vs hyper + tokio-rustls (benches `hyper_tls`, rustls with our
#    provider and defaults) vs nginx (OpenSSL; benches/load/nginx_tls.sh writes its config
#    into the run's out dir):
#    tls-h1    HTTP/1.1 keep-alive, wrk -t1 -c64 GET https://.../plaintext (compare.sh --tls),
#              with canned over TLS (the same tokio-rustls setup, no HTTP work) as the floor;
#    tls-h2    HTTP/2, h2load -c32 -m32 with ALPN h2 (h2_compare.sh --tls), with bare_h2 (the
#              h2 crate and nothing else) and canned_h2 (no HTTP/2 work) over TLS as floors;
#    tls-conn  new connections per second, one request each, full handshakes and
#              resumptions (TLS 1.3 tickets) counted apart, from one client and from
#              1,000 taking turns (benches `tls_conns`, benches/load/conn_compare.sh);
# 8. sse: 10,000 SSE subscribers each getting one event per second: server CPU per
#    delivered event and RSS per subscriber, ours (benches `sse_broadcast`, http-sse) vs
#    axum (benches/peers `axum_sse`) (benches `sse_fanout`, benches/load/sse_compare.sh);
# 9. summary.svg: ours ÷ each row's peer in server CPU (or memory) per unit of work, one
#    horizontal bar per comparison with a line at 1.0 (benches/load/chart.awk).
#
# Every comparison runs its servers interleaved (A B C A B C ...), the server pinned to
# CPU 0 with --workers 1 and the load generator to CPU 1, and reads the server's CPU time
# from /proc/PID/stat around each measured run. Raw results and logs go to
# target/load/suite-<timestamp>/; the summary (markdown) is printed at the end and saved
# as summary.md there, the chart as summary.svg. Targets only 127.0.0.1; every process
# started is stopped by PID.
#
# Options: --rounds N [3], --duration D (wrk) [5s], --requests N (h2load) [200000],
#          --connections N (idle RSS) [10000], --subscribers N (sse) [10000],
#          --skip LIST (comma-separated of: plaintext,json,pipelined,h2c,static,idle,
#          alloc,tls-h1,tls-h2,tls-conn,sse), --no-build. --duration also sets the
#          measured seconds of tls-conn (per mode) and, times 3, of sse (at least 5 s).
#
# A quick look at the new rows only:
#   bash benches/load/suite.sh --rounds 1 --duration 2s --skip plaintext,json,pipelined,h2c,static,idle,alloc
set -euo pipefail

# ROOT, TARGET_DIR, BIN, HERE, SERVERS, build_peers_for
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

invocation="bash benches/load/suite.sh${*:+ $*}"
rounds=3
duration=5s
requests=200000
idle_connections=10000
subscribers=10000
skip=","
build=1
shared_options="--rounds --no-build"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --connections) idle_connections="$2"; shift 2 ;;
    --subscribers) subscribers="$2"; shift 2 ;;
    --skip) skip=",$2,"; shift 2 ;;
    *) common_option "$@" || { echo "suite.sh: unknown option $1" >&2; exit 2; }; shift "$shifted" ;;
  esac
done
want() { [[ "$skip" != *",$1,"* ]]; }

out="$TARGET_DIR/load/suite-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
summary="$out/summary.md"
log() { echo "== $*" >&2; }

for tool in wrk h2load taskset; do
  command -v "$tool" >/dev/null || { echo "suite.sh: $tool is required (apt-get install -y wrk nghttp2-client util-linux)" >&2; exit 2; }
done

if [[ $build -eq 1 ]]; then
  log "building release binaries (lto = fat: several minutes on a cold target dir)"
  # `--bins` (not `--bin fileserver`, which would build only that one): hello, the hyper
  # peers, idle_conns, alloc_count and fileserver (which needs http-server's `cli` feature)
  cargo build --release -p examples -p benches -p http-server --features http-server/cli --bins >&2
  build_peers_for axum,actix,canned,canned_h2,axum_sse
fi
ratios="$out/ratios.tsv"
: >"$ratios"
# ratio LABEL RESULTS COLUMN SERVER PEER: appends "LABEL<TAB>SERVER's median ÷ PEER's" of
# COLUMN in a results.tsv (server names in column 2) to the chart's data.
ratio() {
  awk -v l="$1" -v a="$(column_median "$2" "$4" "$3")" -v b="$(column_median "$2" "$5" "$3")" \
    'BEGIN { printf "%s\t%s\n", l, (a + 0 > 0 && b + 0 > 0 ? sprintf("%.3f", a / b) : "nan") }' >>"$ratios"
}
# static_ratios TABLE: the chart's static rows from a static_load.sh table: fileserver's CPU
# per request ÷ nginx's and ÷ sws's, per file (the table's columns 7, 8 and 9).
static_ratios() {
  awk -F'|' '$2 ~ /\.(bin|html)/ {
      f = $2; gsub(/^ +| +$/, "", f); if (f ~ /,/) { sub(/,.*/, "", f); f = f " br/gzip" }
      fs = $8 + 0; ng = $9 + 0; sw = $10 + 0
      printf "static %s vs nginx\t%s\n", f, (fs > 0 && ng > 0 ? sprintf("%.3f", fs / ng) : "nan")
      if (sw > 0) printf "static %s vs sws\t%.3f\n", f, fs / sw
    }' "$1" >>"$ratios"
}
# idle_bytes NAME: the bytes per idle connection idle_conns reported for NAME.
idle_bytes() {
  awk -v n="$1:" '$1 == n { for (i = 2; i <= NF; i++) if ($i == "bytes") print $(i - 1) }' "$out/idle.txt"
}
secs="${duration%s}"

cut -d' ' -f1-3 /proc/loadavg >"$out/loadavg"
{
  echo "# Load-comparison suite, $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "Command: \`$invocation\`. Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); loadavg at start $(cat "$out/loadavg")."
  echo "Servers pinned to CPU 0 with --workers 1, load generator on CPU 1; medians of $rounds interleaved rounds; CPU = server utime+stime per request."
} >"$summary"

# Runs compare.sh for one HTTP/1.1 test and appends its median table to the summary.
h1_test() { # title, out-subdir, compare.sh args...
  local title="$1" dir="$2"; shift 2
  log "$title"
  bash "$HERE/compare.sh" --no-build --no-alloc --rounds "$rounds" --duration "$duration" --out "$out/$dir" "$@" \
    | tee "$out/$dir.txt" >&2
  {
    echo
    echo "## $title"
    echo
    sed -n '/^Medians of/,$p' "$out/$dir.txt" | sed '/^Medians of/d'
  } >>"$summary"
}

if want plaintext; then
  h1_test "HTTP/1.1 GET /plaintext, wrk -t1 -c64" plaintext --servers ours,hyper,axum,actix,canned --path /plaintext
  ratio "HTTP/1.1 plaintext vs hyper" "$out/plaintext/results.tsv" 6 ours hyper
fi
if want json; then
  h1_test "HTTP/1.1 GET /json, wrk -t1 -c64" json --servers ours,hyper,axum,actix --path /json
  ratio "HTTP/1.1 json vs hyper" "$out/json/results.tsv" 6 ours hyper
fi
if want pipelined; then
  h1_test "HTTP/1.1 GET /plaintext pipelined 16 deep, wrk -t1 -c64" pipelined \
    --servers ours,hyper,axum,actix,canned --path /plaintext --pipeline 16
  ratio "HTTP/1.1 pipelined vs hyper" "$out/pipelined/results.tsv" 6 ours hyper
fi
if want h2c; then
  log "h2c"
  bash "$HERE/h2_compare.sh" --no-build --rounds "$rounds" --requests "$requests" --servers ours,hyper,axum,actix,canned_h2 \
    --out "$out/h2c" | tee "$out/h2c.txt" >&2
  {
    echo
    echo "## h2c GET /plaintext, h2load -n $requests -c32 -m32"
    echo
    sed -n '/^Medians of/,$p' "$out/h2c.txt" | sed '/^Medians of/d'
  } >>"$summary"
  ratio "h2c vs hyper" "$out/h2c/results.tsv" 7 ours hyper
  ratio "h2c vs canned_h2" "$out/h2c/results.tsv" 7 ours canned_h2
fi
if want static; then
  log "static files vs nginx"
  FILESERVER="$BIN/fileserver" bash "$ROOT/benches/static_load.sh" "$rounds" "${duration%s}" 32 | tee "$out/static.txt" >&2
  {
    echo
    echo "## Static files vs nginx and static-web-server, wrk -t1 -c32"
    echo
    grep '^|' "$out/static.txt"
  } >>"$summary"
  log "static files vs nginx, bodies discarded by the client (the server's core is the bound)"
  LOADGEN=discard DISCARD="$BIN/discard_load" FILESERVER="$BIN/fileserver" bash "$ROOT/benches/static_load.sh" \
    "$rounds" "${duration%s}" 32 | tee "$out/static-discard.txt" >&2
  {
    echo
    echo "## Static files vs nginx and static-web-server, discard_load --connections 32 (bodies discarded in the kernel)"
    echo
    grep '^|' "$out/static-discard.txt"
  } >>"$summary"
  # the chart takes the server-bound run: under wrk the large files measure wrk's core
  static_ratios "$out/static-discard.txt"
fi
if want idle; then
  log "RSS per idle keep-alive connection"
  {
    echo
    echo "## RSS per idle keep-alive connection, $idle_connections connections (idle_conns)"
    echo
    echo '```'
  } >>"$summary"
  for name in ours hyper axum actix canned; do
    (ulimit -n 20000 2>/dev/null || true
     "$BIN/idle_conns" --server "${SERVERS[$name]}" --name "$name" --connections "$idle_connections") | tee -a "$out/idle.txt" >&2 ||
      echo "$name: failed (see above)" >>"$out/idle.txt"
  done
  cat "$out/idle.txt" >>"$summary"
  echo '```' >>"$summary"
  awk -v a="$(idle_bytes ours)" -v b="$(idle_bytes hyper)" \
    'BEGIN { printf "idle connection RSS vs hyper\t%s\n", (a + 0 > 0 && b + 0 > 0 ? sprintf("%.3f", a / b) : "nan") }' >>"$ratios"
fi
if want alloc; then
  log "allocations per request"
  {
    echo
    echo "## Heap allocations per request (alloc_count, one keep-alive connection)"
    echo
    echo '```'
    "$BIN/alloc_count" --path /plaintext --depth 1
    "$BIN/alloc_count" --path /plaintext --depth 16
    echo '```'
  } >>"$summary"
fi

if want tls-h1 || want tls-h2 || want tls-conn; then
  read -r tls_cert tls_key < <(tls_cert_files)
  export NGINX_RUN_DIR="$out"
  echo >>"$summary"
  echo "TLS rows: one self-signed ECDSA P-256 certificate for all servers; hyper_tls = hyper + tokio-rustls (ring, our defaults), nginx $(nginx -v 2>&1 | sed 's#.*/##') with $(openssl version | cut -d' ' -f1-2), one process (master_process off); canned, canned_h2 and bare_h2 over TLS are the floors (the same rustls setup as hyper_tls; no HTTP work, no HTTP/2 work, the h2 crate alone)." >>"$summary"
fi
if want tls-h1; then
  h1_test "HTTP/1.1 over TLS GET /plaintext (keep-alive), wrk -t1 -c64 — target: ours CPU/request ≤ 0.9× hyper_tls" tls-h1 \
    --servers ours,hyper_tls,nginx,canned --baseline hyper_tls --tls "$tls_cert,$tls_key" --path /plaintext
  ratio "HTTP/1.1 over TLS vs hyper+rustls" "$out/tls-h1/results.tsv" 6 ours hyper_tls
  ratio "HTTP/1.1 over TLS vs nginx" "$out/tls-h1/results.tsv" 6 ours nginx
  ratio "HTTP/1.1 over TLS vs canned over TLS" "$out/tls-h1/results.tsv" 6 ours canned
fi
if want tls-h2; then
  log "HTTP/2 over TLS"
  bash "$HERE/h2_compare.sh" --no-build --rounds "$rounds" --requests "$requests" --servers ours,hyper_tls,nginx,bare_h2,canned_h2 \
    --baseline hyper_tls --tls "$tls_cert,$tls_key" --out "$out/tls-h2" | tee "$out/tls-h2.txt" >&2
  {
    echo
    echo "## HTTP/2 over TLS GET /plaintext, h2load -n $requests -c32 -m32 (ALPN h2) — target: ours CPU/request ≤ 0.5× hyper_tls"
    echo
    sed -n '/^Medians of/,$p' "$out/tls-h2.txt" | sed '/^Medians of/d'
  } >>"$summary"
  ratio "HTTP/2 over TLS vs hyper+rustls" "$out/tls-h2/results.tsv" 7 ours hyper_tls
  ratio "HTTP/2 over TLS vs nginx" "$out/tls-h2/results.tsv" 7 ours nginx
  ratio "HTTP/2 over TLS vs the h2 crate alone (bare_h2)" "$out/tls-h2/results.tsv" 7 ours bare_h2
fi
if want tls-conn; then
  log "new TLS connections per second"
  bash "$HERE/conn_compare.sh" --rounds "$rounds" --seconds "$secs" --out "$out/tls-conn" | tee "$out/tls-conn.txt" >&2
  {
    echo
    echo "## New TLS connections, one GET /plaintext each (tls_conns -c32) — target: ours conns/s ≥ nginx"
    echo
    sed -n '/^Medians of/,$p' "$out/tls-conn.txt" | sed '/^Medians of/d'
  } >>"$summary"
  for mode in full resume many; do
    for peer in hyper_tls nginx; do
      ratio "new TLS conns ($mode) vs ${peer/hyper_tls/hyper+rustls}" "$out/tls-conn/by_mode.tsv" 9 "ours/$mode" "$peer/$mode"
    done
  done
fi
if want sse; then
  log "SSE fan-out"
  sse_secs=$(awk -v s="$secs" 'BEGIN { v = s * 3; print (v < 5 ? 5 : v) }')
  bash "$HERE/sse_compare.sh" --rounds "$rounds" --subscribers "$subscribers" --seconds "$sse_secs" --out "$out/sse" \
    | tee "$out/sse.txt" >&2
  {
    echo
    echo "## SSE fan-out, $subscribers subscribers × one event per second (sse_fanout, ${sse_secs}s measured)"
    echo
    sed -n '/^Medians of/,$p' "$out/sse.txt" | sed '/^Medians of/d'
  } >>"$summary"
  ratio "SSE CPU per event vs axum" "$out/sse/results.tsv" 5 ours_sse axum_sse
  ratio "SSE RSS per subscriber vs axum" "$out/sse/results.tsv" 6 ours_sse axum_sse
fi

if [[ -s "$ratios" ]]; then
  awk -f "$HERE/chart.awk" -v title="Load suite, $(date -u '+%Y-%m-%d') — medians of $rounds rounds" \
    -v note="$invocation\nloadavg at start $(cut -d' ' -f1-3 "$out/loadavg"); server on CPU 0, load generator on CPU 1" \
    "$ratios" >"$out/summary.svg"
fi

echo
cat "$summary"
echo
echo "(saved as $summary and $out/summary.svg; raw results under $out)"
