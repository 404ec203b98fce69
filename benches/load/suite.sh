#!/usr/bin/env bash
# The whole load-comparison suite, one command:
#
#   bash benches/load/suite.sh                 # 3 rounds, ~20 minutes
#   bash benches/load/suite.sh --rounds 5
#
# 1. builds release binaries: ours (examples), hyper peers (benches), and the peers crate
#    benches/peers (axum, actix-web, canned) into target/peers;
# 2. HTTP/1.1 with wrk -t1 -c64 (benches/load/compare.sh): GET /plaintext and GET /json
#    without pipelining, and /plaintext pipelined 16 deep (wrk Lua script);
# 3. h2c with h2load -c32 -m32 (benches/load/h2_compare.sh);
# 4. static files against nginx and static-web-server (built into target/peers/sws when
#    missing), 1 KiB / 100 KiB / 10 MiB and 100 KiB compressed (benches/static_load.sh);
# 5. RSS per idle keep-alive connection at 10,000 connections (idle_conns);
# 6. heap allocations per request on the plaintext path (alloc_count).
#
# Every comparison runs its servers interleaved (A B C A B C ...), the server pinned to
# CPU 0 with --workers 1 and the load generator to CPU 1, and reads the server's CPU time
# from /proc/PID/stat around each measured run. Raw results and logs go to
# target/load/suite-<timestamp>/; the summary (markdown) is printed at the end and saved
# as summary.md there. Targets only 127.0.0.1; every process started is stopped by PID.
#
# Options: --rounds N [3], --duration D (wrk) [5s], --requests N (h2load) [200000],
#          --connections N (idle RSS) [10000], --skip LIST (comma-separated of:
#          plaintext,json,pipelined,h2c,static,idle,alloc), --no-build.
set -euo pipefail

# ROOT, TARGET_DIR, BIN, HERE, SERVERS, build_peers_for
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

rounds=3
duration=5s
requests=200000
idle_connections=10000
skip=","
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --connections) idle_connections="$2"; shift 2 ;;
    --skip) skip=",$2,"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "suite.sh: unknown option $1" >&2; exit 2 ;;
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
  build_peers_for axum,actix,canned
fi

{
  echo "# Load-comparison suite, $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "Command: \`bash benches/load/suite.sh --rounds $rounds\`. Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); loadavg at start $(cut -d' ' -f1-3 /proc/loadavg)."
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
fi
if want json; then
  h1_test "HTTP/1.1 GET /json, wrk -t1 -c64" json --servers ours,hyper,axum,actix --path /json
fi
if want pipelined; then
  h1_test "HTTP/1.1 GET /plaintext pipelined 16 deep, wrk -t1 -c64" pipelined \
    --servers ours,hyper,axum,actix,canned --path /plaintext --pipeline 16
fi
if want h2c; then
  log "h2c"
  bash "$HERE/h2_compare.sh" --no-build --rounds "$rounds" --requests "$requests" --servers ours,hyper,axum,actix \
    --out "$out/h2c" | tee "$out/h2c.txt" >&2
  {
    echo
    echo "## h2c GET /plaintext, h2load -n $requests -c32 -m32"
    echo
    sed -n '/^Medians of/,$p' "$out/h2c.txt" | sed '/^Medians of/d'
  } >>"$summary"
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

echo
cat "$summary"
echo
echo "(saved as $summary; raw results under $out)"
