#!/usr/bin/env bash
# Instructions per request over TLS (or cleartext) under callgrind, HTTP/1.1 keep-alive
# or HTTP/2, with the connections' handshakes and the server's start-up cancelled out.
#
# Each server runs under `valgrind --tool=callgrind` with --workers 1, pinned to CPU 0;
# h2load (CPU 1) sends a fixed number of requests — `--h1 -c64 -m1` (ALPN http/1.1, 64
# keep-alive connections), or with H2=1 `-c32 -m32` — twice: SMALL and LARGE requests.
# Both runs pay the same start-up and handshakes, so (Ir(LARGE) - Ir(SMALL)) / (LARGE -
# SMALL) is the cost of a request alone. The .cg files stay in OUT for `callgrind_annotate`
# (per function: subtract the SMALL run's counts from the LARGE run's the same way).
# Targets only 127.0.0.1; every process started is stopped by PID.
#
#   benches/load/tls_instructions.sh NAME=SERVER_BIN [NAME=SERVER_BIN ...]
#   benches/load/tls_instructions.sh ours=target/release/hello hyper_tls=target/release/hyper_tls
#   PLAIN=1     cleartext (http://) instead of TLS
#   H2=1        HTTP/2 instead: h2load -c32 -m32 (ALPN h2; with PLAIN=1, h2c prior knowledge)
#   SMALL=3200 LARGE=19200   request counts [3200, 19200]
#   WRK=1       HTTP/1.1 load from wrk -t1 -c64 instead (the suite's TLS row: OpenSSL, no
#               ALPN, only Host sent) for SMALL_SECS and LARGE_SECS seconds [2, 8]; the
#               requests wrk completed in each run are what the difference divides by
#   CACHE_SIM=1 also simulate the caches and branch predictors (callgrind --cache-sim=yes
#               --branch-sim=yes) and give, per request, L1 data misses (reads + writes), L1
#               instruction misses and mispredicted branches (conditional + indirect)
#   OUT=DIR     where the callgrind files and logs go [a new temporary directory]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
small="${SMALL:-3200}"
large="${LARGE:-19200}"
scheme=https
tls_args=()
load=(--h1 -c64 -m1)
[[ -n "${H2:-}" ]] && load=(-c32 -m32)
if [[ -z "${PLAIN:-}" ]]; then
  read -r cert key < <(tls_cert_files)
  tls_args=(--tls-cert "$cert" --tls-key "$key")
else
  scheme=http
fi

sim=()
[[ -n "${CACHE_SIM:-}" ]] && sim=(--cache-sim=yes --branch-sim=yes)
small_secs="${SMALL_SECS:-2}"
large_secs="${LARGE_SECS:-8}"
if [[ -n "${WRK:-}" ]]; then small="${small_secs}s"; large="${large_secs}s"; fi

run() { # name bin requests (or wrk seconds) -> prints "Ir D1miss I1miss mispredicts requests_succeeded"
  local name="$1" bin="$2" n="$3" log="$out/$1-$3"
  taskset -c 0 valgrind --tool=callgrind "${sim[@]}" --callgrind-out-file="$log.cg" "$bin" --port 0 --workers 1 "${tls_args[@]}" \
    >"$log.out" 2>"$log.err" &
  local pid=$!
  for _ in $(seq 1 300); do grep -q "listening on" "$log.out" 2>/dev/null && break; sleep 0.1; done
  local port; port=$(head -1 "$log.out" | sed -E 's#.*:([0-9]+)/?$#\1#')
  local done_requests
  if [[ -n "${WRK:-}" ]]; then
    taskset -c 1 wrk -t1 -c64 -d"$n" "$scheme://127.0.0.1:$port/plaintext" >"$log.wrk" 2>&1 || true
    done_requests=$(awk '/requests in/{print $1}' "$log.wrk")
  else
    taskset -c 1 h2load "${load[@]}" -n "$n" "$scheme://127.0.0.1:$port/plaintext" >"$log.h2load" 2>&1 || true
    done_requests=$(awk '/^requests:/{print $8}' "$log.h2load")
  fi
  kill -INT "$pid"
  # callgrind writes its totals as the process exits
  for _ in $(seq 1 300); do grep -qE "^summary:" "$log.cg" 2>/dev/null && break; sleep 0.1; done
  wait "$pid" 2>/dev/null || true
  echo "$(awk -f "$HERE/callgrind_counts.awk" "$log.cg") $done_requests"
}

loader="h2load ${load[*]}, $large − $small requests"
[[ -n "${WRK:-}" ]] && loader="wrk -t1 -c64, $large − $small"
if [[ -n "${CACHE_SIM:-}" ]]; then
  echo "| server | per request ($scheme, $loader): Ir | L1d misses | L1i misses | mispredicts |"
  echo "|---|---:|---:|---:|---:|"
else
  echo "| server | Ir/request ($scheme, $loader) |"
  echo "|---|---:|"
fi
for a in "$@"; do
  name="${a%%=*}" bin="${a#*=}"
  read -r ir1 d1 i1 b1 ok1 < <(run "$name" "$bin" "$small")
  read -r ir2 d2 i2 b2 ok2 < <(run "$name" "$bin" "$large")
  if [[ -z "${WRK:-}" ]]; then
    [[ "$ok1" == "$small" && "$ok2" == "$large" ]] || echo "warning: $name: $ok1 of $small, $ok2 of $large requests succeeded" >&2
  fi
  if [[ -n "${CACHE_SIM:-}" ]]; then
    awk -v n="$name" -v a="$ir1 $d1 $i1 $b1 $ok1" -v b="$ir2 $d2 $i2 $b2 $ok2" 'BEGIN { split(a, x, " "); split(b, y, " "); r = y[5] - x[5]
      printf "| %s | %d | %.1f | %.1f | %.1f |\n", n, (y[1] - x[1]) / r, (y[2] - x[2]) / r, (y[3] - x[3]) / r, (y[4] - x[4]) / r }'
  else
    echo "| $name | $(( (ir2 - ir1) / (ok2 - ok1) )) |"
  fi
done
echo "callgrind files: $out" >&2
