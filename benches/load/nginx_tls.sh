#!/usr/bin/env bash
# nginx (Debian package, OpenSSL) as a load-comparison peer over TLS, started like the other
# peers: takes --host/--port/--workers/--tls-cert/--tls-key, prints
# `listening on https://HOST:PORT` as its first line once nginx accepts, and becomes the
# nginx process itself (exec), so the caller's PID is the one that serves and can be
# measured (/proc/PID/stat) and stopped.
#
# GET /plaintext → `Hello, World!` (text/plain; charset=utf-8), GET /json →
# `{"message":"Hello, World!"}` (application/json), both with `return 200`; HTTP/1.1 and
# HTTP/2 by ALPN on one port (`listen ... ssl http2`); TLS 1.2 and 1.3 (OpenSSL's
# defaults otherwise: session tickets on, TLS 1.3 sends two per handshake).
# `master_process off` with --workers 1 (one process does all the work; --workers N > 1
# runs N worker processes under a master, and then only the master's PID is returned).
# The generated config goes to $NGINX_RUN_DIR/nginx-PID/ (the run's out dir), else a
# temporary directory.
set -euo pipefail

host=127.0.0.1 port=0 workers=1 cert="" key=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --host) host="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --tls-cert) cert="$2"; shift 2 ;;
    --tls-key) key="$2"; shift 2 ;;
    *) echo "nginx_tls.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
[[ -n "$NGINX" ]] || { echo "nginx_tls.sh: nginx is not installed (apt-get install -y nginx)" >&2; exit 2; }
[[ -n "$cert" && -n "$key" ]] || { echo "nginx_tls.sh: --tls-cert and --tls-key are required" >&2; exit 2; }
if [[ "$port" == 0 ]]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
dir="${NGINX_RUN_DIR:-$(mktemp -d)}/nginx-$$"
mkdir -p "$dir"
chmod 755 "$dir"
dir="$(cd "$dir" && pwd)"
if [[ "$workers" -le 1 ]]; then process="master_process off; worker_processes 1;"; else process="worker_processes $workers;"; fi
cat >"$dir/nginx.conf" <<CONF
$process
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 20000; }
worker_rlimit_nofile 40000;
http {
    access_log off;
    keepalive_requests 1000000;
    http2_max_concurrent_streams 256;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir;
    uwsgi_temp_path $dir; scgi_temp_path $dir;
    server {
        listen $host:$port ssl http2 backlog=4096;
        ssl_certificate $cert;
        ssl_certificate_key $key;
        location = /plaintext { default_type "text/plain; charset=utf-8"; return 200 "Hello, World!"; }
        location = /json { default_type application/json; return 200 '{"message":"Hello, World!"}'; }
    }
}
CONF
# The line once the port accepts, from a child that outlives the exec below.
(
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      echo "listening on https://$host:$port"
      exit 0
    fi
    sleep 0.05
  done
  echo "nginx_tls.sh: nginx did not accept on $host:$port within 5 s (see $dir/error.log)" >&2
) &
exec "$NGINX" -c "$dir/nginx.conf" -p "$dir"
