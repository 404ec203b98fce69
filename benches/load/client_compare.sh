#!/usr/bin/env bash
# Client comparison: ours (http_client::Client) vs reqwest vs hyper-util's legacy Client,
# all against the same server, in the same run, rounds interleaved (A B C, B C A, ...).
#
# One release program, benches/examples/client_load.rs, is the server (hyper, started once,
# pinned to --server-cpus) and, one process per measurement, each client (pinned to
# --client-cpus). A load measurement keeps --concurrency requests in flight for --warmup
# then --duration seconds and reports the client process's own CPU time per request
# (utime + stime from /proc/self/stat over the measured window) and requests/s; a download
# measurement streams --size bytes to a sink and reports MiB/s and the process's peak RSS
# (VmHWM). curl (and our `fetch` binary, when target/release/fetch exists) join the
# download rows as reference points.
#
#   benches/load/client_compare.sh                       # every row, 3 rounds
#   benches/load/client_compare.sh --rows h1,h2c --rounds 5 --no-download
#
# Rows (--rows):
#   h1      HTTP/1.1 keep-alive, 64 requests in flight (64 connections)
#   h2c     HTTP/2 prior knowledge, 100 concurrent streams on one connection
#   tls-h1  HTTPS (ALPN http/1.1), 64 in flight
#   tls-h2  HTTPS (ALPN h2), 100 concurrent streams on one connection
#
# Options (defaults in brackets):
#   --rows LIST          [h1,h2c,tls-h1,tls-h2]
#   --clients LIST       [ours,reqwest,hyper]
#   --rounds N           load rounds; each runs every client once [3]
#   --duration S         measured seconds per load run [5]
#   --warmup S           unmeasured seconds before it [1]
#   --download-rounds N  [3]     --size BYTES  download size [1073741824]
#   --no-download        skip the download rows
#   --no-load            skip the load rows (downloads only)
#   --server-cpus L      taskset list for the server [0]
#   --client-cpus L      taskset list for the clients [1]
#   --no-build           skip cargo build
#   --program PATH       a client_load binary to use instead of building one (implies
#                        --no-build; e.g. a copy, while a rebuild runs)
#   --out DIR            raw results and logs [target/load/client-<timestamp>]
set -euo pipefail

# ROOT, TARGET_DIR, BIN, median
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

rows="h1,h2c,tls-h1,tls-h2"
clients="ours,reqwest,hyper"
rounds=3
duration=5
warmup=1
download_rounds=3
size=1073741824
download=1
load=1
server_cpus=0
client_cpus=1
build=1
out=""
EX=""

die() { echo "client_compare.sh: $*" >&2; exit 2; }
shared_options="--rounds --out --server-cpus --no-build"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --download-rounds) download_rounds="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --no-download) download=0; shift ;;
    --no-load) load=0; shift ;;
    --client-cpus) client_cpus="$2"; shift 2 ;;
    --program) EX="$2"; build=0; shift 2 ;;
    *) common_option "$@" || die "unknown option $1 (see --help)"; shift "$shifted" ;;
  esac
done
IFS=',' read -r -a row_list <<<"$rows"
IFS=',' read -r -a client_list <<<"$clients"
for r in "${row_list[@]}"; do [[ "$r" =~ ^(h1|h2c|tls-h1|tls-h2)$ ]] || die "unknown row '$r'"; done
for c in "${client_list[@]}"; do [[ "$c" =~ ^(ours|reqwest|hyper)$ ]] || die "unknown client '$c'"; done
[[ "$rounds" -ge 1 ]] || die "--rounds must be >= 1"
command -v taskset >/dev/null || die "taskset (util-linux) is required"
command -v openssl >/dev/null || die "openssl is required (it makes the test certificate)"

EX="${EX:-$BIN/examples/client_load}"
if [[ $build -eq 1 ]]; then
  echo "building client_load (release, lto = fat: this takes a while)..." >&2
  cargo build --release -p benches --example client_load >&2
fi
[[ -x "$EX" ]] || die "$EX is missing (build it, or drop --no-build)"

out="${out:-$TARGET_DIR/load/client-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- certificate and server ----------------------------------------------------------
# A CA and a leaf it signs (webpki refuses a CA certificate as the server's own).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench-ca \
  -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
  -keyout "$tmp/key.pem" -out "$tmp/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' \
  >"$tmp/leaf.ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 \
  -extfile "$tmp/leaf.ext" -out "$tmp/cert.pem" 2>/dev/null
taskset -c "$server_cpus" "$EX" serve --port 0 --tls-port 0 --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
  >"$out/server.out" 2>"$out/server.err" &
server_pid=$!
for _ in $(seq 100); do
  [[ $(grep -c '^listening on' "$out/server.out" 2>/dev/null) -ge 2 ]] && break
  sleep 0.05
done
http_addr=$(sed -n 's|^listening on http://||p' "$out/server.out")
https_addr=$(sed -n 's|^listening on https://||p' "$out/server.out")
[[ -n "$http_addr" && -n "$https_addr" ]] || die "server did not start: $(cat "$out/server.err")"
echo "server pid $server_pid on CPU $server_cpus: http://$http_addr https://$https_addr" >&2

url_for() { # row -> URL
  case "$1" in
    h1|h2c) echo "http://$http_addr/plaintext" ;;
    *) echo "https://$https_addr/plaintext" ;;
  esac
}
concurrency_for() { case "$1" in h2c|tls-h2) echo 100 ;; *) echo 64 ;; esac; }
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2"; } # field NAME LINE

# ---- load rows ------------------------------------------------------------------------
raw="$out/load.tsv"
printf 'row\tround\tclient\treq_s\tcpu_us_per_req\terrors\tconns\n' >"$raw"
n=${#client_list[@]}
[[ $load -eq 1 ]] || row_list=()
for row in "${row_list[@]}"; do
  for round in $(seq "$rounds"); do
    for i in $(seq 0 $((n - 1))); do
      c=${client_list[$(((i + round - 1) % n))]}
      line=$(taskset -c "$client_cpus" "$EX" load --client "$c" --mode "$row" --url "$(url_for "$row")" \
        --cacert "$tmp/ca.pem" --concurrency "$(concurrency_for "$row")" --warmup "$warmup" \
        --duration "$duration" --stats "$http_addr" 2>>"$out/clients.err") \
        || die "$c $row failed: $(tail -3 "$out/clients.err")"
      echo "$line" >>"$out/load.log"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$row" "$round" "$c" "$(field rps "$line")" \
        "$(field cpu_us_per_req "$line")" "$(field errors "$line")" "$(field conns "$line")" >>"$raw"
      printf '  %-7s round %s %-8s %9s req/s %8s us/req conns %s errors %s\n' "$row" "$round" "$c" \
        "$(field rps "$line")" "$(field cpu_us_per_req "$line")" "$(field conns "$line")" "$(field errors "$line")" >&2
    done
  done
done

# ---- downloads ------------------------------------------------------------------------
draw="$out/download.tsv"
printf 'round\tclient\tmib_s\tcpu_s\tpeak_rss_kib\tbytes\n' >"$draw"
dl_clients=("${client_list[@]}")
command -v curl >/dev/null && dl_clients+=(curl)
[[ -x "$BIN/fetch" ]] && dl_clients+=(fetch)
durl="http://$http_addr/zeros/$size"
if [[ $download -eq 1 ]]; then
  m=${#dl_clients[@]}
  for round in $(seq "$download_rounds"); do
    for i in $(seq 0 $((m - 1))); do
      c=${dl_clients[$(((i + round - 1) % m))]}
      case "$c" in
        curl|fetch)
          if [[ $c == curl ]]; then cmd=(curl -sS -o /dev/null "$durl"); else cmd=("$BIN/fetch" -s -o /dev/null "$durl"); fi
          t0=$(date +%s%N)
          taskset -c "$client_cpus" /usr/bin/time -f '%U %S %M' -o "$tmp/time" "${cmd[@]}"
          t1=$(date +%s%N)
          read -r u s rss <"$tmp/time"
          secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
          line="client=$c bytes=$size seconds=$secs mib_s=$(awk -v b="$size" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1048576 }') cpu_s=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') peak_rss_kib=$rss"
          ;;
        *)
          line=$(taskset -c "$client_cpus" "$EX" download --client "$c" --url "$durl" 2>>"$out/clients.err") \
            || die "$c download failed: $(tail -3 "$out/clients.err")"
          ;;
      esac
      echo "$line" >>"$out/download.log"
      [[ $(field bytes "$line") == "$size" ]] || die "$c downloaded $(field bytes "$line") bytes, not $size"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$c" "$(field mib_s "$line")" "$(field cpu_s "$line")" \
        "$(field peak_rss_kib "$line")" "$(field bytes "$line")" >>"$draw"
      printf '  download round %s %-8s %8s MiB/s cpu %5s s peak RSS %6s KiB\n' "$round" "$c" "$(field mib_s "$line")" \
        "$(field cpu_s "$line")" "$(field peak_rss_kib "$line")" >&2
    done
  done
fi

# ---- summary ----------------------------------------------------------------------------
col() { # file row client column -> values, one per line
  awk -F'\t' -v r="$2" -v c="$3" -v k="$4" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $1 == r && $3 == c { print $h[k] }' "$1"
}
paired() { # row a b column -> per-round a/b ratios, space-separated
  awk -F'\t' -v r="$1" -v a="$2" -v b="$3" -v k="$4" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $1 == r && $3 == a { x[$2] = $h[k] } $1 == r && $3 == b { y[$2] = $h[k] }
    END { for (i = 1; i in x; i++) if (y[i] > 0) printf "%.3f ", x[i] / y[i] }' "$raw"
}
summary="$out/summary.md"
{
  echo "Command: \`benches/load/client_compare.sh --rows $rows --clients $clients --rounds $rounds --duration $duration\`."
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs; loadavg at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Server (client_load serve, hyper) on CPU $server_cpus, each client process on CPU $client_cpus; medians of $rounds interleaved rounds; CPU = the client process's utime+stime per request."
  for row in "${row_list[@]}"; do
    echo
    echo "### $row, $(concurrency_for "$row") in flight"
    echo
    echo "| client | req/s | client CPU µs/req | connections | errors |"
    echo "|---|---:|---:|---:|---:|"
    for c in "${client_list[@]}"; do
      printf '| %s | %.0f | %.3f | %s | %s |\n' "$c" "$(col "$raw" "$row" "$c" req_s | median)" \
        "$(col "$raw" "$row" "$c" cpu_us_per_req | median)" "$(col "$raw" "$row" "$c" conns | median)" \
        "$(col "$raw" "$row" "$c" errors | awk '{ s += $1 } END { print s + 0 }')"
    done
    echo
    echo "| ratio (per round, paired) | CPU/req median | CPU/req by round | req/s median |"
    echo "|---|---:|---|---:|"
    for pair in ours:reqwest ours:hyper reqwest:hyper; do
      a=${pair%:*}; b=${pair#*:}
      [[ ",$clients," == *",$a,"* && ",$clients," == *",$b,"* ]] || continue
      cpu_r=$(paired "$row" "$a" "$b" cpu_us_per_req)
      rps_r=$(paired "$row" "$a" "$b" req_s)
      printf '| %s/%s | %sx | %s | %sx |\n' "$a" "$b" "$(tr ' ' '\n' <<<"$cpu_r" | sed '/^$/d' | median)" "$cpu_r" \
        "$(tr ' ' '\n' <<<"$rps_r" | sed '/^$/d' | median)"
    done
  done
  if [[ $download -eq 1 ]]; then
    echo
    echo "### Download of $size bytes (GET /zeros/$size over HTTP/1.1, body streamed to a sink)"
    echo
    echo "| client | MiB/s | vs curl | client CPU s | peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|"
    dcol() { awk -F'\t' -v c="$1" -v k="$2" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next } $2 == c { print $h[k] }' "$draw"; }
    curl_mib=$(dcol curl mib_s | median)
    for c in "${dl_clients[@]}"; do
      mib=$(dcol "$c" mib_s | median)
      printf '| %s | %.0f | %s | %.2f | %.1f |\n' "$c" "$mib" \
        "$(awk -v a="$mib" -v b="$curl_mib" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')" \
        "$(dcol "$c" cpu_s | median)" "$(dcol "$c" peak_rss_kib | median | awk '{ print $1 / 1024 }')"
    done
  fi
} >"$summary"
cat "$summary"
echo >&2
echo "raw results: $out" >&2
