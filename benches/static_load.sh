#!/usr/bin/env bash
# Static-file throughput: wrk against `fileserver` and nginx (sendfile on) for 1 KiB,
# 100 KiB and 10 MiB files, in the same run, rounds interleaved (fileserver, nginx,
# fileserver, nginx, ...). Each server runs on one core (taskset -c SERVER_CPU; fileserver
# with --workers 1, nginx with worker_processes 1), wrk on another (CLIENT_CPU). Reports the
# median req/s per size and server, and the server's CPU time per request (utime + stime
# from /proc/PID/stat over the run, divided by the requests wrk completed).
#
#   benches/static_load.sh [ROUNDS=3] [SECONDS=5] [CONNECTIONS=32]
#   SERVER_CPU=0 CLIENT_CPU=1 FILESERVER=target/release/fileserver benches/static_load.sh
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
FILESERVER=${FILESERVER:-target/release/fileserver}
[[ -x "$FILESERVER" ]] || cargo build --release -q -p http-server --features cli --bin fileserver

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
    client_body_temp_path $WORK/logs; proxy_temp_path $WORK/logs; fastcgi_temp_path $WORK/logs;
    uwsgi_temp_path $WORK/logs; scgi_temp_path $WORK/logs;
    server { listen 127.0.0.1:$NPORT; root $ROOT; }
}
CONF
taskset -c "$SERVER_CPU" "$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_MASTER=$!
PIDS+=("$NGINX_MASTER")
taskset -c "$SERVER_CPU" "$FILESERVER" "$ROOT" --port 0 --quiet --workers 1 > "$WORK/fs.out" 2> "$WORK/fs.err" &
FS_PID=$!
PIDS+=("$FS_PID")
for _ in $(seq 50); do
    [[ -s "$WORK/fs.out" ]] && curl -s -o /dev/null "http://127.0.0.1:$NPORT/1k.bin" && break
    sleep 0.1
done
FPORT=$(head -1 "$WORK/fs.out" | sed 's/.*://')
NGINX_WORKER=$(pgrep -P "$NGINX_MASTER" | head -1)
[[ -n "$FPORT" && -n "$NGINX_WORKER" ]] || { echo "a server did not start"; exit 1; }

TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run NAME PORT PID FILE → "req/s cpu_us_per_req MB/s"
run() {
    local port=$2 pid=$3 file=$4 t0 t1 out reqs rps mbs
    t0=$(cpu_ticks "$pid")
    out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DUR}s" "http://127.0.0.1:$port/$file")
    t1=$(cpu_ticks "$pid")
    reqs=$(echo "$out" | awk '/requests in/{print $1}')
    rps=$(echo "$out" | awk '/^Requests\/sec/{print $2}')
    mbs=$(echo "$out" | awk '/^Transfer\/sec/{v=$2; if (v ~ /GB/) {sub("GB","",v); v*=1024} else if (v ~ /MB/) {sub("MB","",v)} else if (v ~ /KB/) {sub("KB","",v); v/=1024}; print v}')
    if echo "$out" | grep -q "Non-2xx\|Socket errors"; then
        echo "warning: $1 $file: $(echo "$out" | grep 'Non-2xx\|Socket errors')" >&2
    fi
    awk -v r="$rps" -v d="$((t1 - t0))" -v n="$reqs" -v hz="$TICKS" -v m="$mbs" \
        'BEGIN { printf "%.0f %.1f %.0f\n", r, (n > 0 ? d * 1e6 / hz / n : 0), m }'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r)"
echo "# $0 $ROUNDS $DUR $CONNS (wrk -t1 -c$CONNS -d${DUR}s; servers on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU)"
echo "# $("$NGINX" -v 2>&1) (worker_processes 1, sendfile on) vs $FILESERVER --workers 1"
declare -A RESULTS
for file in 1k.bin 100k.bin 10m.bin; do
    # Warm-up (page cache, connections), not counted.
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d1s "http://127.0.0.1:$FPORT/$file" > /dev/null
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d1s "http://127.0.0.1:$NPORT/$file" > /dev/null
    for r in $(seq "$ROUNDS"); do
        a=$(run fileserver "$FPORT" "$FS_PID" "$file")
        b=$(run nginx "$NPORT" "$NGINX_WORKER" "$file")
        echo "round $r $file: fileserver $a | nginx $b (req/s, CPU µs/req, MB/s)"
        RESULTS[$file,fs]+="$a"$'\n'
        RESULTS[$file,ng]+="$b"$'\n'
    done
done
echo
echo "| file | fileserver req/s | nginx req/s | ratio | fileserver CPU µs/req | nginx CPU µs/req |"
echo "|---|---:|---:|---:|---:|---:|"
for file in 1k.bin 100k.bin 10m.bin; do
    fr=$(printf '%s' "${RESULTS[$file,fs]}" | awk 'NF{print $1}' | median)
    nr=$(printf '%s' "${RESULTS[$file,ng]}" | awk 'NF{print $1}' | median)
    fc=$(printf '%s' "${RESULTS[$file,fs]}" | awk 'NF{print $2}' | median)
    nc=$(printf '%s' "${RESULTS[$file,ng]}" | awk 'NF{print $2}' | median)
    awk -v f="$file" -v fr="$fr" -v nr="$nr" -v fc="$fc" -v nc="$nc" \
        'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.1f | %.1f |\n", f, fr, nr, (nr > 0 ? fr / nr : 0), fc, nc }'
done
