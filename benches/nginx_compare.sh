#!/usr/bin/env bash
# Compares `fileserver`'s answers to conditional and range requests with a real nginx's
# (Debian package `nginx`, `if_modified_since before;` for RFC 9110 semantics, `charset utf-8`).
#
#   benches/nginx_compare.sh            # builds target/release/fileserver if needed
#   FILESERVER=path/to/fileserver benches/nginx_compare.sh
#
# Skips (exit 0) when nginx or curl is not installed. Both servers listen on 127.0.0.1 high
# ports with a temporary root and config, and are stopped by PID at the end.
# Prints one line per case and a closing "N passed, N failed" line; exits 1 on a mismatch.
set -euo pipefail

cd "$(dirname "$0")/.."
NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
if [[ -z "$NGINX" ]] || ! command -v curl >/dev/null; then
    echo "SKIP: nginx or curl is not installed (apt-get install -y nginx curl)"
    exit 0
fi
FILESERVER=${FILESERVER:-target/release/fileserver}
if [[ ! -x "$FILESERVER" ]]; then
    cargo build --release -q -p http-server --features cli --bin fileserver
fi

WORK=$(mktemp -d /tmp/nginx-compare.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

ROOT=$WORK/www
mkdir -p "$ROOT/dir" "$WORK/logs"
chmod 755 "$WORK" # nginx workers run as www-data when started as root
printf 'abcdefghijklmnopqrstuvwxyz' > "$ROOT/a.txt"
: > "$ROOT/empty.txt"
head -c 100000 /dev/urandom > "$ROOT/big.bin"
printf 'dir index' > "$ROOT/dir/index.html"
# Whole-second modification times, so both servers make the same ETag ("mtime-size" in hex).
touch -d '2024-01-02 03:04:05 UTC' "$ROOT/a.txt" "$ROOT/empty.txt" "$ROOT/big.bin" "$ROOT/dir/index.html"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
NPORT=$(free_port)
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    charset utf-8;
    if_modified_since before;
    client_body_temp_path $WORK/logs; proxy_temp_path $WORK/logs; fastcgi_temp_path $WORK/logs;
    uwsgi_temp_path $WORK/logs; scgi_temp_path $WORK/logs;
    server { listen 127.0.0.1:$NPORT; root $ROOT; }
}
CONF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
PIDS+=($!)
"$FILESERVER" "$ROOT" --port 0 --quiet > "$WORK/fs.out" 2> "$WORK/fs.err" &
PIDS+=($!)
for _ in $(seq 50); do
    [[ -s "$WORK/fs.out" ]] && curl -s -o /dev/null "http://127.0.0.1:$NPORT/a.txt" && break
    sleep 0.1
done
FPORT=$(head -1 "$WORK/fs.out" | sed 's/.*://')
[[ -n "$FPORT" ]] || { echo "fileserver did not start"; cat "$WORK/fs.err"; exit 1; }

# Validators, as nginx sends them.
ETAG=$(curl -sI "http://127.0.0.1:$NPORT/a.txt" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
LM=$(curl -sI "http://127.0.0.1:$NPORT/a.txt" | tr -d '\r' | awk -F': ' 'tolower($1)=="last-modified"{print $2}')
EARLIER='Mon, 01 Jan 2024 00:00:00 GMT'
LATER='Wed, 01 Jan 2031 00:00:00 GMT'

# probe PORT METHOD PATH [HEADER...] → a normalised summary of the answer.
probe() {
    local port=$1 method=$2 path=$3
    shift 3
    local args=(-s -o "$WORK/body" -D "$WORK/head" -X "$method")
    [[ $method == HEAD ]] && args=(-s -I -o "$WORK/head")
    for h in "$@"; do args+=(-H "$h"); done
    : > "$WORK/body"
    curl "${args[@]}" "http://127.0.0.1:$port$path"
    tr -d '\r' < "$WORK/head" > "$WORK/head2"
    local status ctype
    status=$(head -1 "$WORK/head2" | cut -d' ' -f2)
    hdr() { awk -F': ' -v n="$1" 'tolower($1)==n{print $2}' "$WORK/head2"; }
    ctype=$(hdr content-type)
    local out="status=$status"
    case $status in
        200 | 206)
            out+=" etag=$(hdr etag) lm=[$(hdr last-modified)] range=[$(hdr content-range)]"
            if [[ $ctype == multipart/byteranges* ]]; then
                # Boundaries differ; compare the parts' ranges and data.
                out+=" type=multipart parts=[$(tr -d '\r' < "$WORK/body" | grep -a '^Content-Range' | tr '\n' ';')]"
            else
                out+=" type=[$ctype] length=$(hdr content-length)"
                [[ $method == HEAD ]] || out+=" md5=$(md5sum < "$WORK/body" | cut -c1-12)"
            fi
            ;;
        304) out+=" etag=$(hdr etag) lm=[$(hdr last-modified)] length=[$(hdr content-length)] type=[$ctype]" ;;
        416) out+=" range=[$(hdr content-range)]" ;;
        301 | 302) out+=" location=$(hdr location | sed -E 's#^https?://[^/]+##')" ;;
    esac
    echo "$out"
}

PASS=0
FAIL=0
case_() {
    local name=$1
    shift
    local a b
    a=$(probe "$NPORT" "$@")
    b=$(probe "$FPORT" "$@")
    if [[ "$a" == "$b" ]]; then
        PASS=$((PASS + 1))
        printf 'ok    %-34s %s\n' "$name" "$a"
    else
        FAIL=$((FAIL + 1))
        printf 'FAIL  %-34s\n      nginx:      %s\n      fileserver: %s\n' "$name" "$a" "$b"
    fi
}
# Where this project follows RFC 9110 (or the issue) rather than nginx: shown, not counted.
differ() {
    local name=$1 why=$2
    shift 2
    printf 'diff  %-34s (%s)\n      nginx:      %s\n      fileserver: %s\n' "$name" "$why" \
        "$(probe "$NPORT" "$@")" "$(probe "$FPORT" "$@")"
}

case_ "GET"                         GET /a.txt
case_ "HEAD"                        HEAD /a.txt
case_ "GET big"                     GET /big.bin
case_ "If-None-Match hit"           GET /a.txt "If-None-Match: $ETAG"
case_ "If-None-Match weak hit"      GET /a.txt "If-None-Match: W/$ETAG"
case_ "If-None-Match list hit"      GET /a.txt "If-None-Match: \"x\", $ETAG"
case_ "If-None-Match miss"          GET /a.txt 'If-None-Match: "x"'
case_ "If-None-Match *"             GET /a.txt 'If-None-Match: *'
case_ "If-None-Match hit HEAD"      HEAD /a.txt "If-None-Match: $ETAG"
case_ "If-Modified-Since equal"     GET /a.txt "If-Modified-Since: $LM"
case_ "If-Modified-Since later"     GET /a.txt "If-Modified-Since: $LATER"
case_ "If-Modified-Since earlier"   GET /a.txt "If-Modified-Since: $EARLIER"
case_ "If-Match hit"                GET /a.txt "If-Match: $ETAG"
case_ "If-Match miss"               GET /a.txt 'If-Match: "x"'
case_ "If-Match weak"               GET /a.txt "If-Match: W/$ETAG"
case_ "If-Match *"                  GET /a.txt 'If-Match: *'
case_ "If-Unmodified-Since earlier" GET /a.txt "If-Unmodified-Since: $EARLIER"
case_ "If-Unmodified-Since equal"   GET /a.txt "If-Unmodified-Since: $LM"
case_ "Range first-last"            GET /a.txt 'Range: bytes=0-4'
case_ "Range first-"                GET /a.txt 'Range: bytes=20-'
case_ "Range -suffix"               GET /a.txt 'Range: bytes=-3'
case_ "Range suffix > size"         GET /a.txt 'Range: bytes=-100'
case_ "Range last > size"           GET /a.txt 'Range: bytes=24-1000'
case_ "Range HEAD"                  HEAD /a.txt 'Range: bytes=0-4'
case_ "Range big"                   GET /big.bin 'Range: bytes=1000-64999'
case_ "Range start = size (416)"    GET /a.txt 'Range: bytes=26-'
case_ "Range -0 (416)"              GET /a.txt 'Range: bytes=-0'
case_ "Range far (416)"             GET /big.bin 'Range: bytes=200000-300000'
case_ "Range on empty file"         GET /empty.txt 'Range: bytes=0-4'
case_ "Range other unit"            GET /a.txt 'Range: lines=0-4'
case_ "Two ranges (multipart)"      GET /a.txt 'Range: bytes=0-1,4-5'
case_ "Three ranges big"            GET /big.bin 'Range: bytes=0-9,500-599,-10'
case_ "If-Range etag hit"           GET /a.txt 'Range: bytes=0-4' "If-Range: $ETAG"
case_ "If-Range etag miss"          GET /a.txt 'Range: bytes=0-4' 'If-Range: "x"'
case_ "If-Range date hit"           GET /a.txt 'Range: bytes=0-4' "If-Range: $LM"
case_ "If-Range date miss"          GET /a.txt 'Range: bytes=0-4' "If-Range: $EARLIER"
case_ "Folder without slash"        GET '/dir?q=1'
case_ "Folder index"                GET /dir/
differ "Range last < first" "malformed Range is ignored, RFC 9110 §14.2" GET /a.txt 'Range: bytes=5-3'
differ "Range not a number" "malformed Range is ignored, RFC 9110 §14.2" GET /a.txt 'Range: bytes=abc'
differ "Overlapping ranges" "coalesced into one range, RFC 9110 §14.2" GET /a.txt 'Range: bytes=0-5,3-8'
differ "POST a file" "405 with Allow: GET, HEAD (nginx has no Allow)" POST /a.txt

echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*\///') vs $FILESERVER"
echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
