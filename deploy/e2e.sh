#!/usr/bin/env bash
# End-to-end behind real proxies (deploy/README.md, "deploy/e2e.sh"): not part of
# `cargo test`. Needs haproxy, nginx, redis-server (with redis-cli), wrk and curl:
#   apt-get install -y haproxy nginx redis-server wrk curl
#
#   bash deploy/e2e.sh            # builds the release binaries, runs every part (~2 min)
#
# 1. haproxy: three `fileserver` instances behind HAProxy (PROXY protocol v2, the file
#    deploy/haproxy.cfg); wrk runs for E2E_DURATION s (30) while instance 2 is sent SIGTERM
#    (t=8 s, --drain 3) and restarted (t=18 s). Passes when wrk counts zero failed
#    requests (non-2xx/3xx answers and socket errors), /readyz of the draining instance
#    answered 503, and the access logs show the clients' addresses (127.0.0.1 for wrk,
#    127.0.0.3 for a curl bound to it), never the proxy's own (127.0.0.2).
# 2. nginx: the same with nginx and X-Forwarded-For (deploy/nginx.conf); a client-sent
#    X-Forwarded-For is not believed.
# 3. counter: three `counter --redis` behind HAProxy on one redis-server; 10,000 visits
#    spread over the instances end at exactly 10,000.
#
# Everything listens on 127.0.0.1 only; the proxies connect to the instances from
# 127.0.0.2 so that the proxy's address and the client's differ. Every wait is bounded,
# and only the processes this script started are stopped (by PID).
#
# Environment: E2E_DURATION (30), E2E_BASE_PORT (18000; uses BASE..BASE+99),
# E2E_PROFILE (release, or debug), E2E_NO_BUILD=1 (use the binaries already built),
# E2E_PARTS ("haproxy nginx counter").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${E2E_DURATION:-30}
BASE=${E2E_BASE_PORT:-18000}
PROFILE=${E2E_PROFILE:-release}
PARTS=${E2E_PARTS:-haproxy nginx counter}
PROXY_SRC=127.0.0.2   # the proxies' side of their connections to the instances
CLIENT3=127.0.0.3     # a second client address
TMP=$(mktemp -d /tmp/http-rs-e2e.XXXXXX)
PIDS=()
FAILED=0

say() { printf '%s\n' "$*" >&2; }
pass() { say "PASS: $*"; }
fail() { say "FAIL: $*"; FAILED=$((FAILED + 1)); }

# Stops what is still running of what this shell started: its own unreaped background
# jobs, so a PID the system has since reused is never touched.
cleanup() {
  local pid
  for pid in $(jobs -pr); do kill "$pid" 2>/dev/null || true; done
  for pid in $(jobs -p); do wait "$pid" 2>/dev/null || true; done
  say "logs kept in $TMP"
}
trap cleanup EXIT

for tool in haproxy nginx redis-server redis-cli wrk curl; do
  command -v "$tool" >/dev/null 2>&1 || [[ -x /usr/sbin/$tool ]] || {
    say "missing: $tool (apt-get install -y haproxy nginx redis-server wrk curl)"
    exit 2
  }
done
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

if [[ "${E2E_NO_BUILD:-0}" != 1 ]]; then
  say "building fileserver and counter ($PROFILE)"
  flag=--release
  [[ $PROFILE == debug ]] && flag=
  (cd "$ROOT" && cargo build $flag --bin fileserver --bin counter)
fi
BIN=$ROOT/target/$PROFILE
SITE=$ROOT/examples/site

# Fails early when a port of ours is taken.
for ((p = BASE; p < BASE + 100; p += 1)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    say "port $p is in use; set E2E_BASE_PORT to a free range"
    exit 2
  fi
done

# wait_for CMD... : retries CMD every 0.1 s for at most 10 s.
wait_for() {
  local i
  for ((i = 0; i < 100; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# start NAME CMD... : runs CMD in the background (stdout/stderr to TMP/NAME.out/.err),
# records its PID in PIDS and in TMP/NAME.pid; for our servers, waits for the
# `listening on` line.
start() {
  local name=$1
  shift
  "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  local pid=$!
  PIDS+=("$pid")
  echo "$pid" >"$TMP/$name.pid"
}

start_server() {
  local name=$1
  start "$@"
  wait_for grep -q '^listening on' "$TMP/$name.out" || {
    say "$name did not start:"
    cat "$TMP/$name.err" >&2
    exit 1
  }
}

# fileserver NAME PORT MODE: one instance; MODE haproxy expects PROXY v2 headers.
fileserver() {
  local name=$1 port=$2 mode=$3 extra=()
  [[ $mode == haproxy ]] && extra=(--proxy-protocol)
  start_server "$name" "$BIN/fileserver" "$SITE" --spa index.html --port "$port" --workers 1 --quiet \
    --health --drain 3 --trusted-proxies "$PROXY_SRC/32" "${extra[@]}" \
    --access-log combined --access-log-file "$TMP/$name.access.log"
}

# readyz PORT MODE: the status of an instance's /readyz, asked as the proxy would.
readyz() {
  local port=$1 mode=$2 pp=()
  [[ $mode == haproxy ]] && pp=(--haproxy-protocol)
  curl -s -o /dev/null -w '%{http_code}' --max-time 1 --interface "$PROXY_SRC" "${pp[@]}" \
    "http://127.0.0.1:$port/readyz" || true
}

# haproxy_conf FRONT PORT1 PORT2 PORT3 > FILE: deploy/haproxy.cfg on our ports, connecting
# from PROXY_SRC.
haproxy_conf() {
  sed -e "s/127\.0\.0\.1:8000/127.0.0.1:$1/" -e "s/127\.0\.0\.1:8081/127.0.0.1:$2/" \
    -e "s/127\.0\.0\.1:8082/127.0.0.1:$3/" -e "s/127\.0\.0\.1:8083/127.0.0.1:$4/" \
    -e "s/^\(    default-server .*\)$/\1 source $PROXY_SRC/" "$ROOT/deploy/haproxy.cfg"
}

nginx_conf() {
  sed -e "s/127\.0\.0\.1:8001/127.0.0.1:$1/" -e "s/127\.0\.0\.1:8081/127.0.0.1:$2/" \
    -e "s/127\.0\.0\.1:8082/127.0.0.1:$3/" -e "s/127\.0\.0\.1:8083/127.0.0.1:$4/" \
    -e "s|^\(            proxy_pass .*\)$|\1\n            proxy_bind $PROXY_SRC;|" \
    -e "s|^http {|http {\n    client_body_temp_path $TMP/nginx-body;\n    proxy_temp_path $TMP/nginx-proxy;\n    fastcgi_temp_path $TMP/nginx-fastcgi;\n    uwsgi_temp_path $TMP/nginx-uwsgi;\n    scgi_temp_path $TMP/nginx-scgi;|" \
    "$ROOT/deploy/nginx.conf"
}

# wrk_failures FILE: non-2xx/3xx answers plus socket errors in wrk's report.
wrk_failures() {
  local non2xx errors
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' "$1")
  errors=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1+\2+\3+\4/p' "$1")
  echo $((${non2xx:-0} + ${errors:-0}))
}

# balancing PART MODE FRONT P1 P2 P3
balancing() {
  local part=$1 mode=$2 front=$3 ports=("$4" "$5" "$6") i
  say "== $part: three fileservers behind $mode, wrk for ${DURATION}s, instance 2 drained and restarted"
  for i in 0 1 2; do fileserver "$part-fs$((i + 1))" "${ports[$i]}" "$mode"; done
  if [[ $mode == haproxy ]]; then
    haproxy_conf "$front" "${ports[@]}" >"$TMP/$part.cfg"
    "$HAPROXY" -c -q -f "$TMP/$part.cfg"
    start "$part-proxy" "$HAPROXY" -db -f "$TMP/$part.cfg"
  else
    mkdir -p "$TMP/nginx-"{body,proxy,fastcgi,uwsgi,scgi}
    nginx_conf "$front" "${ports[@]}" >"$TMP/$part.conf"
    local g="daemon off; master_process off; pid $TMP/$part-nginx.pid; error_log $TMP/$part-nginx.error.log warn;"
    "$NGINX" -q -t -p "$TMP" -c "$TMP/$part.conf" -g "$g"
    start "$part-proxy" "$NGINX" -p "$TMP" -c "$TMP/$part.conf" -g "$g"
  fi
  local url="http://127.0.0.1:$front"
  wait_for curl -sf --max-time 1 "$url/index.html" || { fail "$part: $mode did not come up"; return; }
  # HAProxy marks the servers up after `rise` checks: let every one be in rotation.
  sleep 2

  local before
  before=$(readyz "${ports[1]}" "$mode")
  start "$part-wrk" wrk -t2 -c16 -d"${DURATION}s" --timeout 5s "$url/index.html"
  local wrk_pid=${PIDS[-1]} t0=$SECONDS
  sleep 8
  local victim
  victim=$(cat "$TMP/$part-fs2.pid")
  say "t=$((SECONDS - t0))s: SIGTERM to instance 2 (pid $victim)"
  kill -TERM "$victim"
  # /readyz of the draining instance, every 0.1 s until it has closed (bounded: the
  # drain, 3 s, plus the shutdown timeout, 10 s, plus slack)
  : >"$TMP/$part-readyz.log"
  local deadline=$((SECONDS + 20))
  while kill -0 "$victim" 2>/dev/null && ((SECONDS < deadline)); do
    echo "$((SECONDS - t0)) $(readyz "${ports[1]}" "$mode")" >>"$TMP/$part-readyz.log"
    sleep 0.1
  done
  kill -0 "$victim" 2>/dev/null && fail "$part: instance 2 still running 20 s after SIGTERM"
  wait "$victim" 2>/dev/null || true
  say "t=$((SECONDS - t0))s: instance 2 exited"
  while ((SECONDS - t0 < 18)); do sleep 0.2; done
  mv "$TMP/$part-fs2.access.log" "$TMP/$part-fs2-first.access.log"
  fileserver "$part-fs2" "${ports[1]}" "$mode"
  say "t=$((SECONDS - t0))s: instance 2 restarted"
  wait "$wrk_pid" || true
  cat "$TMP/$part-wrk.out" >&2

  # a second client address, and (through nginx) a forged X-Forwarded-For
  curl -s -o /dev/null --interface "$CLIENT3" -H 'X-Forwarded-For: 203.0.113.66' "$url/robots.txt"
  sleep 0.5 # the access logs are written by a thread of their own

  local total failures
  total=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$TMP/$part-wrk.out")
  failures=$(wrk_failures "$TMP/$part-wrk.out")
  if [[ -n $total && $total -gt 0 && $failures -eq 0 ]]; then
    pass "$part: $total requests in ${DURATION}s, 0 failed (drain and restart of one of three)"
  else
    fail "$part: ${total:-?} requests, $failures failed"
  fi
  echo "$part total=$total failed=$failures" >>"$TMP/results.txt"

  local during
  during=$(awk '{print $2}' "$TMP/$part-readyz.log" | sort | uniq -c | tr '\n' ' ')
  if [[ $before == 200 ]] && grep -q ' 503$' "$TMP/$part-readyz.log"; then
    pass "$part: /readyz 200 before SIGTERM, during the drain: $during(count status; 000 = closed)"
  else
    fail "$part: /readyz before=$before, during the drain: $during"
  fi
  echo "$part readyz before=$before during: $during" >>"$TMP/results.txt"

  # Access logs: the page requests came from wrk (127.0.0.1) and the curl (127.0.0.3),
  # never from the proxy's address; the forged field is not believed.
  local logs=("$TMP/$part-fs1.access.log" "$TMP/$part-fs2-first.access.log" "$TMP/$part-fs2.access.log" "$TMP/$part-fs3.access.log")
  local per_instance="" f
  for f in "${logs[@]}"; do per_instance+="$(grep -c '"GET /index.html' "$f" || true) "; done
  local from_client from_proxy from_c3 forged
  from_client=$(cat "${logs[@]}" | grep '"GET /index.html' | grep -c '^127\.0\.0\.1 ' || true)
  from_proxy=$(cat "${logs[@]}" | grep -E '"GET /(index\.html|robots\.txt)' | grep -vc '^127\.0\.0\.[13] ' || true)
  from_c3=$(cat "${logs[@]}" | grep '"GET /robots.txt' | grep -c "^$CLIENT3 " || true)
  forged=$(cat "${logs[@]}" | grep -c '^203\.0\.113\.66 ' || true)
  if [[ $from_client -gt 0 && $from_proxy -eq 0 && $from_c3 -eq 1 && $forged -eq 0 ]]; then
    pass "$part: access logs: $from_client page requests from 127.0.0.1 (per instance fs1 fs2 fs2' fs3: $per_instance), the curl from $CLIENT3, none from $PROXY_SRC, the forged X-Forwarded-For ignored"
  else
    fail "$part: access logs: from 127.0.0.1=$from_client, from other=$from_proxy, from $CLIENT3=$from_c3, forged=$forged"
  fi
  echo "$part access: 127.0.0.1=$from_client per-instance=[$per_instance] $CLIENT3=$from_c3 proxy=$from_proxy forged=$forged" >>"$TMP/results.txt"
  grep -h "robots.txt" "${logs[@]}" | head -1 >&2

  local pid
  for name in proxy fs1 fs2 fs3; do
    pid=$(cat "$TMP/$part-$name.pid")
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

counter_part() {
  local front=$((BASE + 20)) p1=$((BASE + 21)) p2=$((BASE + 22)) p3=$((BASE + 23)) rport=$((BASE + 29))
  say "== counter: three counter --redis behind haproxy, 10,000 visits"
  start redis redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no
  wait_for redis-cli -p "$rport" ping || { fail "counter: redis-server did not start"; return; }
  local i port
  i=1
  for port in "$p1" "$p2" "$p3"; do
    start_server "counter$i" "$BIN/counter" --port "$port" --workers 1 --redis "redis://127.0.0.1:$rport/" \
      --proxy-protocol --trusted-proxies "$PROXY_SRC/32" --health \
      --access-log combined --access-log-file "$TMP/counter$i.access.log"
    i=$((i + 1))
  done
  haproxy_conf "$front" "$p1" "$p2" "$p3" >"$TMP/counter.cfg"
  start counter-proxy "$HAPROXY" -db -f "$TMP/counter.cfg"
  local url="http://127.0.0.1:$front"
  wait_for curl -sf --max-time 1 "$url/count" || { fail "counter: haproxy did not come up"; return; }
  sleep 2
  # 100 curl processes, 8 at a time, 100 visits each on a keep-alive connection: HAProxy
  # balances each request on its own.
  local t0=$SECONDS
  export E2E_URL="$url/visit"
  seq 100 | xargs -P 8 -I{} bash -c \
    'args=(); for ((i = 0; i < 100; i++)); do args+=(-o /dev/null "$E2E_URL"); done; curl -s --max-time 60 -w "%{http_code}\n" "${args[@]}"' \
    >"$TMP/counter-codes.txt" || true
  local took=$((SECONDS - t0)) ok count stored
  ok=$(grep -c '^200$' "$TMP/counter-codes.txt" || true)
  count=$(curl -s "$url/count")
  stored=$(redis-cli -p "$rport" get visits)
  sleep 0.5
  local spread=""
  for i in 1 2 3; do spread+="$(grep -c '"GET /visit' "$TMP/counter$i.access.log" || true) "; done
  if [[ $ok -eq 10000 && $count == '{"visits":10000}' && $stored == 10000 ]]; then
    pass "counter: 10000 visits answered 200 in ${took}s, spread over the instances as [$spread], /count $count, Redis holds $stored"
  else
    fail "counter: $ok answered 200, /count $count, Redis holds $stored, spread [$spread]"
  fi
  echo "counter ok=$ok count=$count redis=$stored spread=[$spread] seconds=$took" >>"$TMP/results.txt"
}

: >"$TMP/results.txt"
for part in $PARTS; do
  case $part in
    haproxy) balancing haproxy haproxy "$BASE" $((BASE + 1)) $((BASE + 2)) $((BASE + 3)) ;;
    nginx) balancing nginx nginx $((BASE + 10)) $((BASE + 11)) $((BASE + 12)) $((BASE + 13)) ;;
    counter) counter_part ;;
    *) say "unknown part $part" && exit 2 ;;
  esac
done

say "== results"
cat "$TMP/results.txt" >&2
if ((FAILED > 0)); then
  say "$FAILED check(s) failed"
  exit 1
fi
say "all checks passed"
