#!/usr/bin/env bash
# Load comparison: our server vs peers, same run, rounds interleaved (A B A B ...).
#
# Each measurement: start the server pinned to one core (--workers 1), read its port from
# its first stdout line, warm up, run wrk pinned to another core, and take the server's
# CPU time (utime+stime, /proc/PID/stat fields 14+15) before and after the measured run;
# user and system time are also kept apart (results.tsv, and the medians table).
# Prints per-round results, then the medians and ratios against the baseline peer.
#
#   benches/load/compare.sh                              # plaintext, ours vs hyper
#   benches/load/compare.sh --path /json --rounds 5
#   benches/load/compare.sh --pipeline 16                # wrk Lua script, 16 deep
#   benches/load/compare.sh --servers ours,hyper,axum,actix,canned
#
# Servers: ours = examples `hello`; hyper = benches `hyper_hello` (hyper 1.x + hyper-util);
# axum, actix, canned = benches/peers (a crate outside the workspace, built into
# target/peers): axum 0.8, actix-web 4, and a canned-response server that does no HTTP
# parsing (the floor; GET /plaintext only; with --tls, the same over tokio-rustls).
#
# Options (defaults in brackets):
#   --servers LIST      comma-separated: ours, hyper, hyper_guarded, axum, actix, canned
#                       [ours,hyper]
#   --server NAME=PATH  add (or replace) a server, e.g. an older build for an A/B run
#   --baseline NAME     ratios are X/NAME [hyper]
#   --path P            request path [/plaintext]
#   --connections N     wrk -c [64]
#   --threads N         wrk -t [1]
#   --duration D        measured wrk run, wrk syntax [5s]
#   --warmup D          unmeasured wrk run before each measurement, 0 = none [1s]
#   --rounds N          rounds; each runs every server once [3]
#   --workers N         server runtime worker threads [1]
#   --server-cpus L     taskset list for the server [0]
#   --load-cpus L       taskset list for wrk [1]
#   --tls CERT,KEY      HTTPS: every server gets --tls-cert CERT --tls-key KEY and wrk
#                       asks https:// (OpenSSL, no ALPN, so HTTP/1.1) [off]
#   --pipeline N        send N requests per write (wrk -s pipeline.lua) [off]
#   --script F          other wrk Lua script (overrides --pipeline)
#   --headers-file F    send the request fields in F, one `name: value` per line, as
#                       well (wrk -H), e.g. benches/load/chrome-navigation.headers: the
#                       14 fields of a browser's page load [off]
#   --max-idle-wait S   before each measurement wait for an idle machine, at most S
#                       seconds in total over the whole run [120]
#   --no-build          skip cargo build
#   --no-alloc          skip the allocations-per-request count (alloc_count)
#   --out DIR           raw results and server logs [target/load/<timestamp>]
#
# Adding a peer: build it as a binary under benches/ that takes --host/--port/--workers
# and prints `listening on http://HOST:PORT` first; add a line to SERVERS in servers.sh.
set -euo pipefail

# ROOT, TARGET_DIR, BIN, HERE, SERVERS, cpu_split, column_median, build_peers_for
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

servers="ours,hyper"
baseline="hyper"
path="/plaintext"
connections=64
threads=1
duration="5s"
warmup="1s"
rounds=3
workers=1
server_cpus=0
load_cpus=1
pipeline=""
script=""
tls=""
headers_file=""
max_idle_wait=120
build=1
alloc=1
out=""

die() { echo "compare.sh: $*" >&2; exit 2; }
shared_options="--rounds --out --server-cpus --load-cpus --no-build"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) servers="$2"; shift 2 ;;
    --server) SERVERS[${2%%=*}]="${2#*=}"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --path) path="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --pipeline) pipeline="$2"; shift 2 ;;
    --script) script="$2"; shift 2 ;;
    --tls) tls="$2"; shift 2 ;;
    --headers-file) headers_file="$2"; shift 2 ;;
    --max-idle-wait) max_idle_wait="$2"; shift 2 ;;
    --no-alloc) alloc=0; shift ;;
    *) common_option "$@" || die "unknown option $1 (see --help)"; shift "$shifted" ;;
  esac
done
IFS=',' read -r -a names <<<"$servers"
for n in "${names[@]}"; do [[ -n "${SERVERS[$n]:-}" ]] || die "unknown server '$n' (known: ${!SERVERS[*]})"; done
[[ "$rounds" -ge 1 ]] || die "--rounds must be >= 1"

# ---- tools and binaries -------------------------------------------------------------
need_tool wrk wrk
command -v taskset >/dev/null || die "taskset (util-linux) is required"
if [[ $build -eq 1 ]]; then
  echo "building release binaries (lto = fat: this takes a while)..." >&2
  cargo build --release -p examples -p benches >&2
  build_peers_for "$servers"
fi
for n in "${names[@]}"; do [[ -x "${SERVERS[$n]}" ]] || die "${SERVERS[$n]} is missing (build it, or drop --no-build)"; done

wrk_args=(-t"$threads" -c"$connections" --latency)
if [[ -n "$script" ]]; then
  wrk_extra=(-s "$script")
elif [[ -n "$pipeline" ]]; then
  wrk_extra=(-s "$HERE/pipeline.lua")
else
  wrk_extra=()
fi
script_args=()
[[ -n "$pipeline" && -z "$script" ]] && script_args=(-- "$pipeline")
if [[ -n "$headers_file" ]]; then
  [[ -r "$headers_file" ]] || die "--headers-file $headers_file cannot be read"
  while IFS= read -r field; do
    [[ -n "$field" ]] && wrk_extra+=(-H "$field")
  done <"$headers_file"
fi
scheme=http
tls_args=()
if [[ -n "$tls" ]]; then
  scheme=https
  tls_args=(--tls-cert "${tls%%,*}" --tls-key "${tls#*,}")
fi

HZ=$(getconf CLK_TCK)
out="${out:-$TARGET_DIR/load/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
raw="$out/results.tsv"
printf 'round\tserver\treq_s\trequests\tcpu_ticks\tcpu_us_per_req\tp50_us\tp99_us\terrors\tforeign_cpu_pct\tuser_us_per_req\tsys_us_per_req\n' >"$raw"

# ---- helpers --------------------------------------------------------------------------

# Busy and total jiffies summed over the CPUs in a taskset list like "0" or "0,2-3".
cpu_list_expand() {
  local part a b
  IFS=',' read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ "$part" == *-* ]]; then a=${part%-*}; b=${part#*-}; seq "$a" "$b"; else echo "$part"; fi
  done
}
core_jiffies() { # prints "busy total" for the given cpu numbers
  local want; want=$(printf 'cpu%s ' "$@")
  awk -v want="$want" 'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) ok[w[i]] = 1 }
    ($1 in ok) { t = 0; for (i = 2; i <= NF; i++) t += $i; idle = $5 + $6; busy += t - idle; total += t }
    END { print busy + 0, total + 0 }' /proc/stat
}
read -r -a server_cores <<<"$(cpu_list_expand "$server_cpus" | tr '\n' ' ')"
mapfile -t all_cores < <(awk '/^cpu[0-9]/ { sub("cpu", "", $1); print $1 }' /proc/stat)

# Waits (within the run's remaining idle-wait budget) until the machine is quiet:
# under 10% of one core busy over a 1 s sample.
waited=0
wait_idle() {
  local b0 t0 b1 t1 pct
  while :; do
    read -r b0 t0 < <(core_jiffies "${all_cores[@]}")
    sleep 1
    read -r b1 t1 < <(core_jiffies "${all_cores[@]}")
    pct=$(( (b1 - b0) * 100 * ${#all_cores[@]} / (t1 - t0 > 0 ? t1 - t0 : 1) ))
    if (( pct < 10 )); then return 0; fi
    if (( waited >= max_idle_wait )); then
      echo "  warning: machine busy (${pct}% of a core in use by others); measuring anyway" >&2
      return 0
    fi
    (( waited == 0 )) && echo "  machine busy (${pct}% of a core); waiting up to ${max_idle_wait}s in total..." >&2
    waited=$((waited + 1))
  done
}

# wrk latency "1.23ms" / "850.00us" / "1.02s" -> microseconds.
to_us() { awk -v v="$1" 'BEGIN { u = v; sub(/[0-9.]+/, "", u); n = v + 0;
  if (u == "us") f = 1; else if (u == "ms") f = 1000; else if (u == "s") f = 1000000; else if (u == "m") f = 60000000; else f = 0;
  printf "%.1f", n * f }'; }

server_pid=""
cleanup() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null; true; }
trap cleanup EXIT INT TERM

# Runs one measurement of server $1 in round $2; appends a line to $raw.
measure() {
  local name="$1" round="$2" log="$out/$1.$2" port="" i
  taskset -c "$server_cpus" "${SERVERS[$name]}" --host 127.0.0.1 --port 0 --workers "$workers" "${tls_args[@]}" \
    >"$log.stdout" 2>"$log.stderr" &
  server_pid=$!
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n '1s#^listening on https\{0,1\}://[^ ]*:\([0-9][0-9]*\)$#\1#p' "$log.stdout" 2>/dev/null || true)
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || die "$name exited early; see $log.stderr"
    sleep 0.1
  done
  [[ -n "$port" ]] || die "$name printed no 'listening on' line within 10 s"
  local url="$scheme://127.0.0.1:$port$path"
  if [[ "$warmup" != "0" ]]; then
    taskset -c "$load_cpus" wrk "${wrk_args[@]}" -d"$warmup" "${wrk_extra[@]}" "$url" "${script_args[@]}" >/dev/null
  fi
  wait_idle
  local u0 s0 u1 s1 busy0 tot0 busy1 tot1
  read -r busy0 tot0 < <(core_jiffies "${server_cores[@]}")
  read -r u0 s0 < <(cpu_split "$server_pid")
  taskset -c "$load_cpus" wrk "${wrk_args[@]}" -d"$duration" "${wrk_extra[@]}" "$url" "${script_args[@]}" >"$log.wrk"
  read -r u1 s1 < <(cpu_split "$server_pid")
  read -r busy1 tot1 < <(core_jiffies "${server_cores[@]}")
  kill -TERM "$server_pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""

  local rps requests p50 p99 errors ticks cpu_us user_us sys_us foreign
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$log.wrk")
  requests=$(awk '/requests in/ { print $1 }' "$log.wrk")
  p50=$(to_us "$(awk '$1 == "50%" { print $2 }' "$log.wrk")")
  p99=$(to_us "$(awk '$1 == "99%" { print $2 }' "$log.wrk")")
  # wrk sometimes prints a 99th percentile of 0 under deep pipelining (its histogram
  # overflows); record that as unknown rather than as a perfect latency.
  [[ "$p99" == "0.0" ]] && p99=nan
  errors=$(awk '/Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 } /Non-2xx/ { e += $NF } END { print e + 0 }' "$log.wrk")
  [[ -n "$rps" && -n "$requests" && "$requests" -gt 0 ]] || die "could not parse $log.wrk"
  ticks=$((u1 + s1 - u0 - s0))
  per_req() { awk -v t="$1" -v hz="$HZ" -v n="$requests" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }'; }
  cpu_us=$(per_req "$ticks") user_us=$(per_req $((u1 - u0))) sys_us=$(per_req $((s1 - s0)))
  # Share of the server cores' time used by anything other than the server (noise).
  foreign=$(awk -v b="$((busy1 - busy0))" -v t="$((tot1 - tot0))" -v s="$ticks" \
    'BEGIN { f = t > 0 ? (b - s) * 100 / t : 0; if (f < 0) f = 0; printf "%.1f", f }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$rps" "$requests" "$ticks" "$cpu_us" \
    "$p50" "$p99" "$errors" "$foreign" "$user_us" "$sys_us" >>"$raw"
  printf '  round %d  %-8s %10.0f req/s  %7.3f us CPU/req (user %s)  p50 %8.1f us  p99 %8.1f us  errors %s  foreign CPU %s%%\n' \
    "$round" "$name" "$rps" "$cpu_us" "$user_us" "$p50" "$p99" "$errors" "$foreign"
}

# ---- run ------------------------------------------------------------------------------
mode="GET $path"
[[ -n "$tls" ]] && mode="$mode over TLS"
[[ -n "$pipeline" && -z "$script" ]] && mode="$mode, pipelined $pipeline deep"
[[ -n "$script" ]] && mode="$mode, script $script"
echo "compare: $mode; wrk -t$threads -c$connections -d$duration (warm-up $warmup); $rounds rounds of ${names[*]}"
echo "  servers on CPU $server_cpus with --workers $workers, wrk on CPU $load_cpus; $(nproc) CPUs; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  raw results: $raw"
for ((r = 1; r <= rounds; r++)); do
  for n in "${names[@]}"; do measure "$n" "$r"; done
done

# ---- medians and ratios ---------------------------------------------------------------
echo
echo "Medians of $rounds rounds ($mode, -c$connections, $duration):"
printf '| %-8s | %12s | %14s | %15s | %10s | %10s | %10s |\n' server "req/s" "CPU us/req" "user / sys us" "p50 us" "p99 us" "foreign %"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "----------" "-------------:" "---------------:" "----------------:" "-----------:" "-----------:" "-----------:"
declare -A med_rps med_cpu med_p50 med_p99
for n in "${names[@]}"; do
  med_rps[$n]=$(column_median "$raw" "$n" 3); med_cpu[$n]=$(column_median "$raw" "$n" 6)
  med_p50[$n]=$(column_median "$raw" "$n" 7); med_p99[$n]=$(column_median "$raw" "$n" 8)
  printf '| %-8s | %12.0f | %14.3f | %7.3f / %5.3f | %10.1f | %10.1f | %10.1f |\n' "$n" "${med_rps[$n]}" "${med_cpu[$n]}" \
    "$(column_median "$raw" "$n" 11)" "$(column_median "$raw" "$n" 12)" "${med_p50[$n]}" "${med_p99[$n]}" \
    "$(column_median "$raw" "$n" 10)"
done
if [[ -n "${med_rps[$baseline]:-}" ]]; then
  echo
  echo "Ratios to $baseline (req/s: higher is better; CPU/req and latency: lower is better):"
  printf '| %-14s | %8s | %10s | %8s | %8s |\n' ratio "req/s" "CPU/req" "p50" "p99"
  printf '|%s|%s|%s|%s|%s|\n' "----------------" "---------:" "-----------:" "---------:" "---------:"
  for n in "${names[@]}"; do
    [[ "$n" == "$baseline" ]] && continue
    awk -v n="$n/$baseline" -v a="${med_rps[$n]}" -v b="${med_rps[$baseline]}" -v c="${med_cpu[$n]}" \
      -v d="${med_cpu[$baseline]}" -v e="${med_p50[$n]}" -v f="${med_p50[$baseline]}" -v g="${med_p99[$n]}" \
      -v h="${med_p99[$baseline]}" 'function r(x, y) { return y > 0 ? x / y : 0 }
      BEGIN { printf "| %-14s | %7.3fx | %9.3fx | %7.3fx | %7.3fx |\n", n, r(a, b), r(c, d), r(e, f), r(g, h) }'
  done
  # Paired per-round ratios (each against the baseline's run in the same round) cancel
  # slow drifts in machine load; their median is the steadier figure on a noisy machine.
  for n in "${names[@]}"; do
    [[ "$n" == "$baseline" ]] && continue
    awk -F'\t' -v s="$n" -v b="$baseline" 'NR > 1 && $2 == s { rps[$1] = $3; cpu[$1] = $6 }
      NR > 1 && $2 == b { brps[$1] = $3; bcpu[$1] = $6 }
      END { for (r in rps) if ((r in brps) && brps[r] > 0 && bcpu[r] > 0) print r, rps[r] / brps[r], cpu[r] / bcpu[r] }' "$raw" |
      sort -n | awk -v n="$n/$baseline" '
        function med(v, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
          return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2 }
        { q[NR] = $2; c[NR] = $3; list = list sprintf(" %.3f", $3) }
        END { if (NR) printf "  per-round paired ratios %s: median req/s %.3fx, median CPU/req %.3fx (CPU/req by round:%s)\n", n, med(q, NR), med(c, NR), list }'
  done
fi
total_errors=$(awk -F'\t' 'NR > 1 { e += $9 } END { print e + 0 }' "$raw")
(( total_errors > 0 )) && echo "warning: $total_errors socket errors / non-2xx responses in total; see $out/*.wrk"

if [[ $alloc -eq 1 && -x "$BIN/alloc_count" ]]; then
  echo
  echo "Heap allocations per request (counting allocator, one keep-alive connection):"
  alloc_depth=1
  [[ -n "$pipeline" && -z "$script" ]] && alloc_depth="$pipeline"
  "$BIN/alloc_count" --path "$path" --depth "$alloc_depth" | tee "$out/alloc.txt"
fi
