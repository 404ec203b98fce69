#!/usr/bin/env bash
# WebSocket load comparison: our echo (showcase `GET /ws`) vs tokio-tungstenite and
# fastwebsockets echo servers, same run, rounds interleaved (A B C A B C ...).
#
# Each measurement: start the server pinned to one core (--workers 1), read its port from
# its first stdout line, run `ws_load` pinned to another core (warm-up, then a measured
# interval during which it reads the server's CPU time, user and system apart, from
# /proc/PID/stat itself). Then,
# unless skipped, memory per idle WebSocket (`idle_conns --websocket`) and the peak extra
# memory of one 16 MiB echo (`ws_peak`, plain and with permessage-deflate).
#
#   benches/load/ws_compare.sh                       # everything, 3 rounds
#   benches/load/ws_compare.sh --rounds 5 --skip idle,peak
#   benches/load/ws_compare.sh --sizes 1024 --modes echo --connections 16 --window 16
#
# Servers: ours = examples `showcase` (router, http-server's upgrade, http-ws), path /ws;
# tungstenite = benches `ws_tungstenite` (tokio-tungstenite 0.30, accept_async + next/send);
# fastwebsockets = benches `ws_fastwebsockets` (fastwebsockets 0.10, FragmentCollector +
# read_frame/write_frame). All answer on any path; every one gets --workers 1.
#
# Modes (ws_load): echo = each connection writes --window messages, waits for their
# echoes, repeats (round trips); stream = each connection writes --stream-window messages
# per write without waiting while a reader counts echoes (one-way throughput, the link
# kept full). Messages are binary, pre-built and masked; the client does no per-message work.
#
# Options (defaults in brackets):
#   --servers LIST        comma-separated: ours, tungstenite, fastwebsockets [all three]
#   --server NAME=PATH    add (or replace) a server, e.g. an older build of showcase
#   --rounds N            rounds; each runs every server once per case [3]
#   --sizes LIST          message sizes in bytes [16,1024,65536]
#   --modes LIST          echo, stream [echo,stream]
#   --connections N       echo-mode connections [64]
#   --window N            echo-mode messages in flight per connection [1]
#   --stream-connections N  stream-mode connections [8]
#   --stream-window N     stream-mode messages per write [16]
#   --duration S          measured seconds [5]
#   --warmup S            unmeasured seconds before [1]
#   --idle N              idle WebSockets for the memory test [10000]
#   --skip LIST           load, idle, peak
#   --server-cpus L       taskset list for the server [0]
#   --load-cpus L         taskset list for the load generator [1]
#   --no-build            skip cargo build
#   --out DIR             raw results and logs [target/load/ws-<timestamp>]
set -euo pipefail

# ROOT, TARGET_DIR, BIN, HERE, cpu_ticks, median, column_median
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

declare -A WS_SERVERS=(
  [ours]="$BIN/showcase"
  [tungstenite]="$BIN/ws_tungstenite"
  [fastwebsockets]="$BIN/ws_fastwebsockets"
)
servers="ours,tungstenite,fastwebsockets"
rounds=3
sizes="16,1024,65536"
modes="echo,stream"
connections=64
window=1
stream_connections=8
stream_window=16
duration=5
warmup=1
idle=10000
skip=""
server_cpus=0
load_cpus=1
build=1
out=""

die() { echo "ws_compare.sh: $*" >&2; exit 2; }
shared_options="--rounds --out --server-cpus --load-cpus --no-build"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) servers="$2"; shift 2 ;;
    --server) WS_SERVERS[${2%%=*}]="${2#*=}"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --window) window="$2"; shift 2 ;;
    --stream-connections) stream_connections="$2"; shift 2 ;;
    --stream-window) stream_window="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --idle) idle="$2"; shift 2 ;;
    --skip) skip="$2"; shift 2 ;;
    *) common_option "$@" || die "unknown option $1 (see --help)"; shift "$shifted" ;;
  esac
done
IFS=',' read -r -a names <<<"$servers"
IFS=',' read -r -a size_list <<<"$sizes"
IFS=',' read -r -a mode_list <<<"$modes"
for n in "${names[@]}"; do [[ -n "${WS_SERVERS[$n]:-}" ]] || die "unknown server '$n' (known: ${!WS_SERVERS[*]})"; done
for n in "${!WS_SERVERS[@]}"; do SERVERS[$n]="${WS_SERVERS[$n]}"; done # what start_peer starts
[[ "$rounds" -ge 1 ]] || die "--rounds must be >= 1"
skipped() { [[ ",$skip," == *",$1,"* ]]; }
command -v taskset >/dev/null || die "taskset (util-linux) is required"

if [[ $build -eq 1 ]]; then
  echo "building release binaries (lto = fat: this takes a while)..." >&2
  cargo build --release -p examples --bin showcase >&2
  cargo build --release -p benches --bin ws_load --bin ws_peak --bin idle_conns --bin ws_tungstenite --bin ws_fastwebsockets >&2
fi
needed=()
for n in "${names[@]}"; do needed+=("${WS_SERVERS[$n]}"); done
skipped load || needed+=("$BIN/ws_load")
skipped idle || needed+=("$BIN/idle_conns")
skipped peak || needed+=("$BIN/ws_peak")
for b in "${needed[@]}"; do
  [[ -x "$b" ]] || die "$b is missing (build it, or drop --no-build)"
done

out="${out:-$TARGET_DIR/load/ws-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
raw="$out/results.tsv"
printf 'round\tserver\tmode\tsize\tmsgs_per_s\tmb_per_s\tcpu_us_per_msg\tmessages\tserver_ticks\tuser_us_per_msg\tsys_us_per_msg\n' >"$raw"

server_pid=""
cleanup() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null; true; }
trap cleanup EXIT INT TERM

# Starts server $1 pinned to $server_cpus (servers.sh's start_peer; logs $2.out/$2.err);
# sets server_pid and port.
start_server() {
  start_peer "$1" "$2" || die "$1 did not start"
  port="${server_url##*:}"
}
stop_server() { stop_peer; }

# The value of key $2 in a `key=value key=value` line $1.
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# One load measurement: server $1, round $2, mode $3, size $4.
measure() {
  local name="$1" round="$2" mode="$3" size="$4" log="$out/$1.$3.$4.$2" line conns win
  if [[ "$mode" == echo ]]; then conns=$connections; win=$window; else conns=$stream_connections; win=$stream_window; fi
  start_server "$name" "$log"
  line=$(taskset -c "$load_cpus" "$BIN/ws_load" --port "$port" --path /ws --mode "$mode" --size "$size" \
    --connections "$conns" --window "$win" --duration "$duration" --warmup "$warmup" \
    --server-pid "$server_pid" 2>"$log.load.stderr") || { stop_server; die "ws_load failed against $name ($mode $size); see $log.load.stderr"; }
  stop_server
  echo "$line" >"$log.load"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$mode" "$size" "$(field "$line" msgs_per_s)" \
    "$(field "$line" mb_per_s)" "$(field "$line" cpu_us_per_msg)" "$(field "$line" messages)" \
    "$(field "$line" server_ticks)" "$(field "$line" user_us_per_msg)" "$(field "$line" sys_us_per_msg)" >>"$raw"
  printf '  round %d  %-14s %-6s %6s B  %10s msgs/s  %9s MB/s  %7s us CPU/msg\n' "$round" "$name" "$mode" "$size" \
    "$(field "$line" msgs_per_s)" "$(field "$line" mb_per_s)" "$(field "$line" cpu_us_per_msg)"
}

echo "ws_compare: ${names[*]}; $rounds rounds; sizes ${size_list[*]}; modes ${mode_list[*]}"
echo "  echo: $connections connections x window $window; stream: $stream_connections connections x $stream_window per write; ${duration}s measured after ${warmup}s"
echo "  servers on CPU $server_cpus with --workers 1, ws_load on CPU $load_cpus; $(nproc) CPUs; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  raw results: $raw"

if ! skipped load; then
  for ((r = 1; r <= rounds; r++)); do
    for mode in "${mode_list[@]}"; do
      for size in "${size_list[@]}"; do
        for n in "${names[@]}"; do measure "$n" "$r" "$mode" "$size"; done
      done
    done
  done

  echo
  echo "Medians of $rounds rounds (loadavg now $(cut -d' ' -f1-3 /proc/loadavg)):"
  echo
  echo "| mode | size | server | msgs/s | MB/s | server CPU us/msg | of it user / system |"
  echo "|---|---:|---|---:|---:|---:|---:|"
  med() { awk -F'\t' -v s="$2" -v m="$3" -v z="$4" -v c="$5" 'NR > 1 && $2 == s && $3 == m && $4 == z { print $c }' "$1" | median; }
  for mode in "${mode_list[@]}"; do
    for size in "${size_list[@]}"; do
      for n in "${names[@]}"; do
        printf '| %s | %s | %s | %.0f | %.2f | %.3f | %.3f / %.3f |\n' "$mode" "$size" "$n" "$(med "$raw" "$n" "$mode" "$size" 5)" \
          "$(med "$raw" "$n" "$mode" "$size" 6)" "$(med "$raw" "$n" "$mode" "$size" 7)" \
          "$(med "$raw" "$n" "$mode" "$size" 10)" "$(med "$raw" "$n" "$mode" "$size" 11)"
      done
    done
  done
  if [[ " ${names[*]} " == *" ours "* ]]; then
    echo
    echo "Ours against each peer: msgs/s ratio ours/peer (higher is better) and CPU/msg ratio"
    echo "peer/ours (higher is better: how many times the peer's CPU per message ours needs),"
    echo "each the median of the per-round paired ratios (same round, same case):"
    echo
    echo "| mode | size | peer | msgs/s ours/peer | CPU/msg peer/ours | by round (msgs/s; CPU) |"
    echo "|---|---:|---|---:|---:|---|"
    for mode in "${mode_list[@]}"; do
      for size in "${size_list[@]}"; do
        for peer in "${names[@]}"; do
          [[ "$peer" == ours ]] && continue
          awk -F'\t' -v p="$peer" -v m="$mode" -v z="$size" '
            NR > 1 && $3 == m && $4 == z && $2 == "ours" { or[$1] = $5; oc[$1] = $7 }
            NR > 1 && $3 == m && $4 == z && $2 == p { pr[$1] = $5; pc[$1] = $7 }
            function med(v, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
              return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2 }
            END { k = 0; list_r = ""; list_c = ""
              for (r = 1; r <= 1000; r++) if ((r in or) && (r in pr) && pr[r] > 0 && oc[r] > 0) {
                k++; q[k] = or[r] / pr[r]; c[k] = pc[r] / oc[r]; list_r = list_r sprintf(" %.2f", q[k]); list_c = list_c sprintf(" %.2f", c[k]) }
              if (k) printf "| %s | %s | %s | %.2fx | %.2fx |%s;%s |\n", m, z, p, med(q, k), med(c, k), list_r, list_c }' "$raw"
        done
      done
    done
  fi
fi

if ! skipped idle; then
  echo
  echo "Memory per idle WebSocket, $idle connections (idle_conns --websocket):"
  ulimit -n "$(( idle * 2 + 1024 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  for n in "${names[@]}"; do
    "$BIN/idle_conns" --server "${WS_SERVERS[$n]}" --websocket --path /ws --connections "$idle" --name "$n" \
      2>"$out/$n.idle.stderr" | tee -a "$out/idle.txt" || echo "  $n: idle_conns failed; see $out/$n.idle.stderr"
  done
fi

if ! skipped peak; then
  echo
  echo "Peak extra memory around one 16 MiB echo (ws_peak; server VmHWM after - VmRSS before):"
  for n in "${names[@]}"; do
    for deflate in "" --deflate; do
      for content in random text; do
        [[ -z "$deflate" && "$content" == text ]] && continue
        log="$out/$n.peak$deflate.$content"
        start_server "$n" "$log"
        line=$("$BIN/ws_peak" --port "$port" --path /ws --server-pid "$server_pid" --content "$content" $deflate \
          2>"$log.peak.stderr") || line="failed (see $log.peak.stderr)"
        stop_server
        echo "  $n: $line" | tee -a "$out/peak.txt"
      done
    done
  done
fi
