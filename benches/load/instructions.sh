#!/usr/bin/env bash
# Instructions per request under callgrind: a noise-free A/B of two server builds.
#
# Wall-clock load numbers on a busy 2-core machine drift by 10-30 %; an instruction count
# does not (the same binary and input give the same total whatever else runs). Each server
# runs under `valgrind --tool=callgrind` with --workers 1; a fixed number of requests is
# sent (h2load for h2c, a small wrk run for HTTP/1.1), the server is stopped with SIGINT
# so callgrind writes its totals, and (total Ir - Ir of an idle start/stop) / requests is
# reported. Targets only 127.0.0.1; every process started is stopped by PID.
#
#   benches/load/instructions.sh NAME=SERVER_BIN [NAME=SERVER_BIN ...]
#   benches/load/instructions.sh off=target/release/hello 'on=target/release/hello --metrics'
#                                (flags after the binary are passed to it)
#   STATIC_OLD=... STATIC_NEW=...   two fileserver builds: the static-file rows (optional;
#                   not FILESERVER_*, which the fileserver reads as its own configuration)
#   REQUESTS_H1=N   HTTP/1.1 rows with a fixed request count (h2load --h1, -m1 and -m16)
#                   instead of a timed wrk run: the same count for every binary, so the
#                   connections' fixed cost is spread alike (wrk under valgrind on a busy
#                   machine may manage only a few thousand requests)
#   ROWS="..."      the rows to run, of: plaintext pipelined h2c json (default: the first three)
#   HEADERS_FILE=F  the HTTP/1.1 rows also send the fields in F, one `name: value` per line
#                   (e.g. benches/load/chrome-navigation.headers: a browser's page load)
#   CACHE_SIM=1     also simulate the caches and branch predictors (callgrind
#                   --cache-sim=yes --branch-sim=yes) and give, per request, L1 data misses
#                   (reads + writes), L1 instruction misses and mispredicted branches
#                   (conditional + indirect) beside the instructions. The simulated caches
#                   see only the server's own accesses, not the kernel's between requests:
#                   read the counts as a comparison between servers, not as a prediction
#
# Rows: plaintext (wrk -c16), pipelined 16 deep (wrk + pipeline.lua), h2c (h2load -c4 -m16),
# json (the plaintext row's load on /json).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
requests_h2="${REQUESTS_H2:-20000}"
duration="${DURATION:-4s}"
extra_headers=()
if [[ -n "${HEADERS_FILE:-}" ]]; then
  while IFS= read -r field; do
    [[ -n "$field" ]] && extra_headers+=(-H "$field")
  done <"$HEADERS_FILE"
fi

start_server() { # bin, logfile, extra args... ; sets PID PORT
  local bin="$1" log="$2"; shift 2
  local -a sim=()
  [[ -n "${CACHE_SIM:-}" ]] && sim=(--cache-sim=yes --branch-sim=yes)
  valgrind --tool=callgrind "${sim[@]}" --callgrind-out-file="$log.cg" "$bin" --port 0 --workers 1 "$@" >"$log.out" 2>"$log.err" &
  PID=$!
  for _ in $(seq 1 200); do
    if grep -q "listening on" "$log.out" 2>/dev/null; then break; fi
    sleep 0.1
  done
  PORT=$(head -1 "$log.out" | sed -E 's#.*:([0-9]+)/?$#\1#')
}
stop_server() { # logfile -> prints total Ir, L1 data misses, L1 instruction misses, mispredicts
  kill -INT "$PID"
  # callgrind writes its totals as the process exits
  for _ in $(seq 1 300); do
    if grep -qE "^summary:" "$1.cg" 2>/dev/null; then break; fi
    sleep 0.1
  done
  wait "$PID" 2>/dev/null || true
  awk -f "$HERE/callgrind_counts.awk" "$1.cg"
}
ir_of() { # name bin kind extra...
  local name="$1" bin="$2" kind="$3"; shift 3
  local log="$out/$name-$kind"
  start_server "$bin" "$log" "$@"
  local reqs=0
  case "$kind" in
    idle) sleep 1 ;;
    plaintext|pipelined|json) if [[ -n "${REQUESTS_H1:-}" ]]; then
           local depth=1 path=plaintext
           [[ "$kind" == pipelined ]] && depth=16
           [[ "$kind" == json ]] && path=json
           h2load --h1 -n "$REQUESTS_H1" -c16 -m"$depth" "${extra_headers[@]}" "http://127.0.0.1:$PORT/$path" >"$log.h2load" 2>&1
           reqs=$(awk '/^requests:/{print $8}' "$log.h2load")
         elif [[ "$kind" != pipelined ]]; then
           reqs=$(wrk -t1 -c16 -d"$duration" "${extra_headers[@]}" "http://127.0.0.1:$PORT/$kind" | awk '/requests in/{print $1}')
         else
           reqs=$(wrk -t1 -c16 -d"$duration" "${extra_headers[@]}" -s "$HERE/pipeline.lua" "http://127.0.0.1:$PORT/plaintext" -- 16 | awk '/requests in/{print $1}')
         fi ;;
    h2c) h2load -n "$requests_h2" -c4 -m16 "http://127.0.0.1:$PORT/plaintext" >"$log.h2load" 2>&1
         reqs=$(awk '/^requests:/{print $8}' "$log.h2load") ;;
    static-idle|static)
            # One request first, in both runs (so its cost cancels out): it fills the
            # caches (the compressed body takes seconds under callgrind).
            local -a ae=()
            [[ "$STATIC_FILE" == *.html ]] && ae=(-H "Accept-Encoding: br, gzip")
            curl -s -o /dev/null -m 300 "${ae[@]}" "http://127.0.0.1:$PORT/$STATIC_FILE"
            [[ "$kind" == static ]] && reqs=$(wrk -t1 -c16 -d"$duration" "${ae[@]}" "http://127.0.0.1:$PORT/$STATIC_FILE" | awk '/requests in/{print $1}') ;;
  esac
  local counts; counts=$(stop_server "$log")
  echo "$counts $reqs"
}

per_request() { # counts of a run, counts of the idle run, requests -> one table cell
  local -a run=($1) idle=($2)
  local reqs="$3"
  if [[ -n "${CACHE_SIM:-}" ]]; then
    awk -v r="${run[*]}" -v i="${idle[*]}" -v n="$reqs" 'BEGIN { split(r, a, " "); split(i, b, " ")
      printf "%d / %.1f / %.1f / %.1f (%d req)", (a[1]-b[1])/n, (a[2]-b[2])/n, (a[3]-b[3])/n, (a[4]-b[4])/n, n }'
  else
    echo "$(( (run[0] - idle[0]) / reqs )) ($reqs req)"
  fi
}

unit="Ir/req"
[[ -n "${CACHE_SIM:-}" ]] && unit="Ir / L1d miss / L1i miss / mispredict per req"
if [[ $# -gt 0 ]]; then
  printf '| row |%s\n' "$(for a in "$@"; do printf ' %s %s |' "${a%%=*}" "$unit"; done)"
fi
for kind in $(if [[ $# -gt 0 ]]; then echo "${ROWS:-plaintext pipelined h2c}"; fi); do
  row="| $kind |"
  for a in "$@"; do
    name="${a%%=*}"
    read -r -a cmd <<<"${a#*=}"
    read -r -a idle < <(ir_of "$name" "${cmd[0]}" idle "${cmd[@]:1}")
    read -r -a run < <(ir_of "$name" "${cmd[0]}" "$kind" "${cmd[@]:1}")
    row="$row $(per_request "${run[*]:0:4}" "${idle[*]:0:4}" "${run[4]}") |"
  done
  echo "$row"
done
if [[ -n "${STATIC_OLD:-}" && -n "${STATIC_NEW:-}" ]]; then
  # 1 KiB and 100 KiB of random bytes, and 100 KiB of compressible HTML fetched with
  # `Accept-Encoding: br, gzip` (the files of benches/static_load.sh); STATIC_ARGS are
  # passed to both builds (e.g. STATIC_ARGS='--cache-bytes 67108864', as that script runs).
  root=$(mktemp -d)
  head -c 1024 /dev/urandom >"$root/1k.bin"
  head -c 102400 /dev/urandom >"$root/100k.bin"
  python3 - "$root/100k.html" <<'PY'
import random, sys
rng = random.Random(7)
words = "the of and to in is for on with static file server request response header body cache page".split()
text = "".join("<p>%s</p>\n" % " ".join(rng.choice(words) for _ in range(16)) for _ in range(1100))
open(sys.argv[1], "w").write(text[:102400])
PY
  read -r -a static_args <<<"${STATIC_ARGS:-}"
  printf '| static file | old %s | new %s |\n' "$unit" "$unit"
  for STATIC_FILE in 1k.bin 100k.bin 100k.html; do
    row="| $STATIC_FILE |"
    for fs in "$STATIC_OLD" "$STATIC_NEW"; do
      read -r -a idle < <(ir_of fs "$fs" static-idle "$root" --quiet "${static_args[@]}")
      read -r -a run < <(ir_of fs "$fs" static "$root" --quiet "${static_args[@]}")
      row="$row $(per_request "${run[*]:0:4}" "${idle[*]:0:4}" "${run[4]}") |"
    done
    echo "$row"
  done
  rm -rf "$root"
fi
