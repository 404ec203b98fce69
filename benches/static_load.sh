#!/usr/bin/env bash
# Static-file throughput: wrk against `fileserver`, nginx and static-web-server (sws) for
# 1 KiB, 100 KiB and 10 MiB files (random bytes) and a 100 KiB compressible HTML file fetched
# with `Accept-Encoding: br, gzip`, in the same run, rounds interleaved (fileserver, nginx,
# sws, fileserver, nginx, sws, ...). Each server runs on one core (taskset -c SERVER_CPU;
# fileserver with --workers 1, nginx with worker_processes 1, sws with one worker thread),
# wrk on another (CLIENT_CPU). Reports per size the median req/s of each server, the median
# of the per-round ratios, and each server's CPU time per request (utime + stime from
# /proc/PID/stat over the run, divided by the requests wrk completed).
#
#   benches/static_load.sh [ROUNDS=3] [SECONDS=5] [CONNECTIONS=32]
#   SERVER_CPU=0 CLIENT_CPU=1 FILESERVER=target/release/fileserver benches/static_load.sh
#   SWS_BUILD=0 benches/static_load.sh   # no sws column unless it is already built
#   STATIC_FILES=100k.html benches/static_load.sh 9 3   # only some of the files, more rounds
#   LOADGEN=discard benches/static_load.sh   # the load from `discard_load` instead of wrk
#
# Load generators (LOADGEN): `wrk` (default) copies every body into its own memory, which
# on this one machine costs its core about what sending costs the server, so the 100 KiB
# and 10 MiB rows end up measuring wrk's core; `discard` (benches `discard_load`, built
# when missing) receives bodies with recv(MSG_TRUNC), which discards them in the kernel,
# so the server's core is the one that runs out, as with clients on other machines.
#
# Configurations (each server's caching and compression on, as deployed):
# - fileserver: --cache-bytes 64 MiB (files up to 128 KiB in memory) and on-the-fly
#   compression with its compressed-body cache (default), warmed before the rounds;
# - nginx: sendfile, tcp_nopush, open_file_cache, `gzip on` and `gzip_static on` with a
#   precompressed 100k.html.gz sibling (Debian's nginx has no brotli);
# - sws: static-web-server from crates.io, built when missing with
#   `cargo install --locked --root TARGET/peers/sws` (never committed, never built by CI),
#   `--compression true --compression-static true` (it serves the same .gz sibling).
#
# Needs wrk and nginx (Debian packages `wrk`, `nginx`); skips (exit 0) without them.
# Everything listens on 127.0.0.1 and is stopped by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
DUR=${2:-5}
CONNS=${3:-32}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
if [[ -z "$NGINX" ]] || ! command -v wrk >/dev/null; then
    echo "SKIP: wrk or nginx is not installed (apt-get install -y wrk nginx)"
    exit 0
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
FILESERVER=${FILESERVER:-$TARGET_DIR/release/fileserver}
[[ -x "$FILESERVER" ]] || cargo build --release -q -p http-server --features cli --bin fileserver
SWS_VERSION=${SWS_VERSION:-2.44.1}
SWS=${SWS:-$TARGET_DIR/peers/sws/bin/static-web-server}
if [[ ! -x "$SWS" && "${SWS_BUILD:-1}" != 0 ]]; then
    echo "building static-web-server $SWS_VERSION into $TARGET_DIR/peers/sws (once)" >&2
    cargo install static-web-server --version "$SWS_VERSION" --locked --root "$TARGET_DIR/peers/sws" \
        --target-dir "$TARGET_DIR/peers/sws-build" >&2 || echo "static-web-server did not build: no sws column" >&2
fi
LOADGEN=${LOADGEN:-wrk}
case "$LOADGEN" in
    wrk) ;;
    discard)
        DISCARD=${DISCARD:-$TARGET_DIR/release/discard_load}
        [[ -x "$DISCARD" ]] || cargo build --release -q -p benches --bin discard_load ;;
    *) echo "LOADGEN=$LOADGEN: one of wrk, discard"; exit 1 ;;
esac
SERVERS=(fs ng)
[[ -x "$SWS" ]] && SERVERS+=(sws)

WORK=$(mktemp -d /tmp/static-load.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

ROOT=$WORK/www
mkdir -p "$ROOT" "$WORK/logs"
chmod 755 "$WORK" # nginx workers run as www-data when started as root
head -c 1024 /dev/urandom > "$ROOT/1k.bin"
head -c 102400 /dev/urandom > "$ROOT/100k.bin"
head -c 10485760 /dev/urandom > "$ROOT/10m.bin"
# 100 KiB of HTML-like text from a small vocabulary: compresses about 4:1, like real pages.
python3 - "$ROOT/100k.html" <<'PY'
import random, sys
rng = random.Random(7)
words = [w for w in "the of and to in is for on with as by at from that this be are was it an or not have \
static file server request response header body cache compress content encoding range etag modified \
page site index style script image link table list item section article title main nav footer".split()]
out = ["<!doctype html><html><head><title>bench</title></head><body>\n"]
size = len(out[0])
while size < 102400 - 200:
    line = '<p class="c%d">%s</p>\n' % (rng.randrange(40), " ".join(rng.choice(words) for _ in range(rng.randrange(8, 24))))
    out.append(line)
    size += len(line)
text = "".join(out) + "</body></html>\n"
open(sys.argv[1], "w").write(text + " " * (102400 - len(text)))
PY
gzip -9 -k "$ROOT/100k.html"
touch -r "$ROOT/100k.html" "$ROOT/100k.html.gz"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NPORT=$(free_port)
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    open_file_cache max=1000 inactive=60s;
    gzip on;
    gzip_static on;
    gzip_vary on;
    client_body_temp_path $WORK/logs; proxy_temp_path $WORK/logs; fastcgi_temp_path $WORK/logs;
    uwsgi_temp_path $WORK/logs; scgi_temp_path $WORK/logs;
    server { listen 127.0.0.1:$NPORT; root $ROOT; }
}
CONF
taskset -c "$SERVER_CPU" "$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_MASTER=$!
PIDS+=("$NGINX_MASTER")
taskset -c "$SERVER_CPU" "$FILESERVER" "$ROOT" --port 0 --quiet --workers 1 --cache-bytes 67108864 \
    > "$WORK/fs.out" 2> "$WORK/fs.err" &
FS_PID=$!
PIDS+=("$FS_PID")
SPORT=$(free_port)
if [[ " ${SERVERS[*]} " == *" sws "* ]]; then
    # Worker threads = the CPUs it may run on (1 under taskset) x the multiplier.
    taskset -c "$SERVER_CPU" "$SWS" --host 127.0.0.1 --port "$SPORT" --root "$ROOT" --threads-multiplier 1 \
        --log-level error --compression true --compression-static true > "$WORK/sws.out" 2>&1 &
    SWS_PID=$!
    PIDS+=("$SWS_PID")
fi
for _ in $(seq 100); do
    ok=1
    [[ -s "$WORK/fs.out" ]] || ok=0
    curl -s -o /dev/null "http://127.0.0.1:$NPORT/1k.bin" || ok=0
    [[ -z "${SWS_PID:-}" ]] || curl -s -o /dev/null "http://127.0.0.1:$SPORT/1k.bin" || ok=0
    [[ $ok == 1 ]] && break
    sleep 0.1
done
FPORT=$(head -1 "$WORK/fs.out" | sed 's/.*://')
NGINX_WORKER=$(pgrep -P "$NGINX_MASTER" | head -1)
[[ -n "$FPORT" && -n "$NGINX_WORKER" ]] || { echo "a server did not start"; cat "$WORK"/*.err "$WORK"/*.out; exit 1; }
declare -A PORT=([fs]=$FPORT [ng]=$NPORT [sws]=$SPORT)
declare -A PID=([fs]=$FS_PID [ng]=$NGINX_WORKER [sws]=${SWS_PID:-0})
declare -A NAME=([fs]=fileserver [ng]=nginx [sws]=sws)

TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
AE="Accept-Encoding: br, gzip"
# The headers a case sends: the compressible file asks for br or gzip.
wrk_args() { [[ $1 == *.html ]] && printf '%s\n' -H "$AE"; true; }

# run SERVER FILE → "req/s cpu_us_per_req MB/s"
run() {
    local port=${PORT[$1]} pid=${PID[$1]} file=$2 t0 t1 out reqs rps mbs
    local -a extra
    mapfile -t extra < <(wrk_args "$file")
    if [[ $LOADGEN == discard ]]; then
        [[ ${#extra[@]} -gt 0 ]] && extra=(--header "${extra[1]}")
        out=$(taskset -c "$CLIENT_CPU" "$DISCARD" --url "http://127.0.0.1:$port/$file" --connections "$CONNS" \
            --warmup 0.2 --seconds "$DUR" --server-pid "$pid" "${extra[@]}")
        if ! echo "$out" | grep -q ' errors=0 '; then
            echo "warning: ${NAME[$1]} $file: $out" >&2
        fi
        echo "$out" | tr ' ' '\n' | awk -F= '{v[$1]=$2} END {printf "%.0f %.1f %.0f\n", v["req_per_s"], v["cpu_us_per_req"], v["mib_per_s"] * 1.048576}'
        return
    fi
    t0=$(cpu_ticks "$pid")
    out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DUR}s" "${extra[@]}" "http://127.0.0.1:$port/$file")
    t1=$(cpu_ticks "$pid")
    reqs=$(echo "$out" | awk '/requests in/{print $1}')
    rps=$(echo "$out" | awk '/^Requests\/sec/{print $2}')
    mbs=$(echo "$out" | awk '/^Transfer\/sec/{v=$2; if (v ~ /GB/) {sub("GB","",v); v*=1024} else if (v ~ /MB/) {sub("MB","",v)} else if (v ~ /KB/) {sub("KB","",v); v/=1024}; print v}')
    if echo "$out" | grep -q "Non-2xx\|Socket errors"; then
        echo "warning: ${NAME[$1]} $file: $(echo "$out" | grep 'Non-2xx\|Socket errors')" >&2
    fi
    awk -v r="$rps" -v d="$((t1 - t0))" -v n="$reqs" -v hz="$TICKS" -v m="$mbs" \
        'BEGIN { printf "%.0f %.1f %.0f\n", r, (n > 0 ? d * 1e6 / hz / n : 0), m }'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $LOADGEN == discard ]]; then
    echo "# LOADGEN=discard $0 $ROUNDS $DUR $CONNS (discard_load --connections $CONNS --seconds $DUR; servers on CPU $SERVER_CPU, the client on CPU $CLIENT_CPU)"
else
    echo "# $0 $ROUNDS $DUR $CONNS (wrk -t1 -c$CONNS -d${DUR}s; servers on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU)"
fi
echo "# $FILESERVER --workers 1 --cache-bytes 67108864 vs $("$NGINX" -v 2>&1) (worker_processes 1)$([[ -n "${SWS_PID:-}" ]] && echo " vs static-web-server $("$SWS" --version 2>&1 | head -1 | awk '{print $NF}') (1 worker thread)")"
# What each server answers to the compressed case (coding and bytes on the wire).
for s in "${SERVERS[@]}"; do
    h=$(curl -s -D - -o "$WORK/body" -H "$AE" "http://127.0.0.1:${PORT[$s]}/100k.html" | tr -d '\r')
    echo "# 100k.html with '$AE' from ${NAME[$s]}: $(echo "$h" | head -1), content-encoding $(echo "$h" | awk -F': ' 'tolower($1)=="content-encoding"{print $2}'), $(stat -c %s "$WORK/body") bytes"
done
ALL_FILES="1k.bin 100k.bin 10m.bin 100k.html"
read -r -a FILES <<< "${STATIC_FILES:-$ALL_FILES}"
for f in "${FILES[@]}"; do [[ -f "$ROOT/$f" ]] || { echo "unknown file $f (one of $ALL_FILES)"; exit 1; }; done
declare -A RESULTS
for file in "${FILES[@]}"; do
    for s in "${SERVERS[@]}"; do
        # Warm-up (page cache, file and compressed caches, connections), not counted.
        mapfile -t extra < <(wrk_args "$file")
        taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d1s "${extra[@]}" "http://127.0.0.1:${PORT[$s]}/$file" > /dev/null
    done
    for r in $(seq "$ROUNDS"); do
        line="round $r $file:"
        for s in "${SERVERS[@]}"; do
            x=$(run "$s" "$file")
            RESULTS[$file,$s]+="$x"$'\n'
            RESULTS[$file,$s,$r]=${x%% *}
            line+=" ${NAME[$s]} $x |"
        done
        echo "$line (req/s, CPU µs/req, MB/s)"
        RESULTS[$file,rng]+="$(awk -v a="${RESULTS[$file,fs,$r]}" -v b="${RESULTS[$file,ng,$r]}" 'BEGIN{printf "%.3f", (b > 0 ? a / b : 0)}')"$'\n'
        if [[ -n "${SWS_PID:-}" ]]; then
            RESULTS[$file,rsws]+="$(awk -v a="${RESULTS[$file,fs,$r]}" -v b="${RESULTS[$file,sws,$r]}" 'BEGIN{printf "%.3f", (b > 0 ? a / b : 0)}')"$'\n'
        fi
    done
done
col() { printf '%s' "${RESULTS[$1]:-}" | awk -v c="$2" 'NF{print $c}' | median; }
echo
echo "| file | fileserver req/s | nginx req/s | sws req/s | fileserver/nginx | fileserver/sws | fileserver CPU µs/req | nginx CPU µs/req | sws CPU µs/req |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for file in "${FILES[@]}"; do
    label=$file
    [[ $file == 100k.html ]] && label="100k.html, $AE"
    sws_r=-; sws_c=-; ratio_s=-
    if [[ -n "${SWS_PID:-}" ]]; then
        sws_r=$(col "$file,sws" 1); sws_c=$(col "$file,sws" 2); ratio_s=$(col "$file,rsws" 1)
    fi
    printf '| %s | %.0f | %.0f | %s | %.2f | %s | %.1f | %.1f | %s |\n' "$label" \
        "$(col "$file,fs" 1)" "$(col "$file,ng" 1)" "$sws_r" "$(col "$file,rng" 1)" "$ratio_s" \
        "$(col "$file,fs" 2)" "$(col "$file,ng" 2)" "$sws_c"
done
echo
echo "Ratios are medians of the per-round ratios (each round's servers ran back to back)."
