#!/usr/bin/env bash
# HTTP/2 and TLS interop: showcase against independent clients.
#
#   curl --http2-prior-knowledge   h2c on the cleartext port (/plaintext, /echo, HEAD)
#   nghttp -v                      h2c frames, trailers in a trailing HEADERS frame
#   curl --http2 (TLS)             h2 negotiated by ALPN, verified with --cacert
#   curl --http1.1 (TLS)           ALPN http/1.1
#   nghttp -v (TLS)                trailers over h2 on TLS
#   openssl s_client -alpn h2      ALPN protocol: h2; -tls1_1 is refused
#
# Builds and starts `showcase` itself (port 0, read from its first stdout line), on
# cleartext and then with a self-signed certificate made by openssl in a temp dir, and
# stops it by PID. A missing tool skips its checks with a message; exits non-zero if a
# check that ran failed.
#
#   bash benches/interop.sh            # builds showcase (release) first
#   bash benches/interop.sh --no-build # uses target/release/showcase as it is
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SHOWCASE="$TARGET_DIR/release/showcase"
MD5_ABC="900150983cd24fb0d6963f7d28e17f72"

build=1
[[ "${1:-}" == "--no-build" ]] && build=0

passed=0
failed=0
skipped=0
pass() { echo "PASS  $1"; passed=$((passed + 1)); }
fail() { echo "FAIL  $1${2:+: $2}"; failed=$((failed + 1)); }
skip() { echo "SKIP  $1 ($2)"; skipped=$((skipped + 1)); }
have() { command -v "$1" >/dev/null 2>&1; }

TMP="$(mktemp -d)"
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && kill -9 "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  server_pid=""
}
cleanup() { stop_server; rm -rf "$TMP"; }
trap cleanup EXIT

# Starts showcase with the given flags; sets server_pid and ADDR (HOST:PORT).
start_server() {
  local out="$TMP/server.out"
  : >"$out"
  "$SHOWCASE" --port 0 --workers 2 "$@" >"$out" 2>"$TMP/server.err" &
  server_pid=$!
  local line=""
  for _ in $(seq 100); do
    line="$(head -n1 "$out" 2>/dev/null)"
    [[ "$line" == "listening on "* ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ "$line" != "listening on "* ]]; then
    echo "showcase did not start: $(cat "$TMP/server.err")" >&2
    return 1
  fi
  ADDR="${line#listening on *://}"
  PORT="${ADDR##*:}"
  echo "started showcase pid $server_pid: $line"
}

if [[ $build -eq 1 ]]; then
  if ! have cargo; then echo "interop.sh: cargo is missing; nothing to test" >&2; exit 0; fi
  echo "building showcase (release; lto = fat takes a while)..." >&2
  cargo build --release -p examples --bin showcase >&2 || { echo "interop.sh: build failed" >&2; exit 1; }
fi
[[ -x "$SHOWCASE" ]] || { echo "interop.sh: $SHOWCASE is missing (build it or drop --no-build)" >&2; exit 1; }

head -c 1048576 /dev/urandom >"$TMP/upload.bin"
upload_sum="$(sha256sum <"$TMP/upload.bin" | cut -d' ' -f1)"

# ---- cleartext: h2c prior knowledge --------------------------------------------------
start_server || exit 1
URL="http://$ADDR"

if have curl && curl --version | grep -q HTTP2; then
  out="$(curl -sS --max-time 10 --http2-prior-knowledge -w '\n%{http_version} %{response_code}' "$URL/plaintext" 2>&1)"
  [[ "$out" == $'Hello, World!\n2 200' ]] && pass "curl --http2-prior-knowledge GET /plaintext" \
    || fail "curl --http2-prior-knowledge GET /plaintext" "$out"

  got="$(curl -sS --max-time 20 --http2-prior-knowledge --data-binary @"$TMP/upload.bin" \
    -H 'content-type: application/octet-stream' "$URL/echo" | sha256sum | cut -d' ' -f1)"
  [[ "$got" == "$upload_sum" ]] && pass "curl --http2-prior-knowledge POST /echo 1 MiB byte-exact" \
    || fail "curl --http2-prior-knowledge POST /echo 1 MiB" "sha256 $got != $upload_sum"

  out="$(curl -sS --max-time 10 --http2-prior-knowledge -I -w '%{http_version} %{size_download}' "$URL/plaintext" 2>&1)"
  if grep -qi '^content-length: 13' <<<"$out" && [[ "$out" == *"2 0" ]]; then
    pass "curl --http2-prior-knowledge HEAD /plaintext"
  else
    fail "curl --http2-prior-knowledge HEAD /plaintext" "$out"
  fi

  out="$(curl -sS --max-time 10 -w '\n%{http_version}' "$URL/plaintext" 2>&1)"
  [[ "$out" == $'Hello, World!\n1.1' ]] && pass "curl HTTP/1.1 on the same port" || fail "curl HTTP/1.1 on the same port" "$out"
else
  skip "curl h2c checks" "curl with HTTP2 support is missing"
fi

if have nghttp; then
  out="$(timeout 10 nghttp -v "$URL/trailers" 2>&1)"
  if grep -q "recv HEADERS frame" <<<"$out" && grep -q "x-checksum: $MD5_ABC" <<<"$out" \
    && grep -q "^abc" <<<"$out"; then
    pass "nghttp -v h2c GET /trailers (trailing HEADERS with x-checksum)"
  else
    fail "nghttp -v h2c GET /trailers" "$(tail -n 20 <<<"$out")"
  fi
  out="$(timeout 10 nghttp -v "$URL/plaintext" 2>&1)"
  if grep -q "recv SETTINGS frame" <<<"$out" && grep -q "Hello, World!" <<<"$out"; then
    pass "nghttp -v h2c GET /plaintext"
  else
    fail "nghttp -v h2c GET /plaintext" "$(tail -n 20 <<<"$out")"
  fi
else
  skip "nghttp checks" "nghttp is missing (Debian package nghttp2-client)"
fi
stop_server

# ---- TLS: ALPN h2 and http/1.1 -------------------------------------------------------
if ! have openssl; then
  skip "TLS checks" "openssl is missing (needed to make the certificate)"
else
  if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1; then
    fail "openssl makes a self-signed certificate"
  else
    start_server --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" || exit 1
    URL="https://localhost:$PORT"
    RESOLVE=(--resolve "localhost:$PORT:127.0.0.1")

    if have curl && curl --version | grep -q HTTP2; then
      out="$(curl -sS --max-time 10 --http2 --cacert "$TMP/cert.pem" "${RESOLVE[@]}" \
        -w '\n%{http_version} %{response_code}' "$URL/plaintext" 2>&1)"
      [[ "$out" == $'Hello, World!\n2 200' ]] && pass "curl --http2 over TLS (ALPN h2, --cacert)" \
        || fail "curl --http2 over TLS" "$out"

      got="$(curl -sS --max-time 20 --http2 --cacert "$TMP/cert.pem" "${RESOLVE[@]}" \
        --data-binary @"$TMP/upload.bin" "$URL/echo" | sha256sum | cut -d' ' -f1)"
      [[ "$got" == "$upload_sum" ]] && pass "curl --http2 over TLS POST /echo 1 MiB byte-exact" \
        || fail "curl --http2 over TLS POST /echo" "sha256 $got != $upload_sum"

      out="$(curl -sS --max-time 10 --http1.1 --cacert "$TMP/cert.pem" "${RESOLVE[@]}" \
        -w '\n%{http_version}' "$URL/plaintext" 2>&1)"
      [[ "$out" == $'Hello, World!\n1.1' ]] && pass "curl --http1.1 over TLS (ALPN http/1.1)" \
        || fail "curl --http1.1 over TLS" "$out"

      out="$(curl -sS --max-time 10 --http1.1 --raw -H 'TE: trailers' --cacert "$TMP/cert.pem" "${RESOLVE[@]}" \
        "$URL/trailers" 2>&1)"
      grep -q "x-checksum: $MD5_ABC" <<<"$out" && pass "curl HTTP/1.1 over TLS: chunked trailer with TE: trailers" \
        || fail "curl HTTP/1.1 trailers over TLS" "$out"

      out="$(curl -sS --max-time 10 -w '%{response_code}' "http://127.0.0.1:$PORT/plaintext" 2>&1)"
      [[ "$out" == *"400" ]] && pass "plain HTTP to the TLS port answered 400" || fail "plain HTTP to the TLS port" "$out"
    else
      skip "curl TLS checks" "curl with HTTP2 support is missing"
    fi

    if have nghttp; then
      out="$(timeout 10 nghttp -v "https://127.0.0.1:$PORT/trailers" 2>&1)"
      if grep -q "negotiated protocol: h2" <<<"$out" && grep -q "x-checksum: $MD5_ABC" <<<"$out"; then
        pass "nghttp -v over TLS: h2 negotiated, trailing HEADERS with x-checksum"
      else
        fail "nghttp -v over TLS /trailers" "$(tail -n 20 <<<"$out")"
      fi
    else
      skip "nghttp TLS check" "nghttp is missing (Debian package nghttp2-client)"
    fi

    out="$(timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -alpn h2 \
      -CAfile "$TMP/cert.pem" </dev/null 2>&1 | tr -d '\0')"
    if grep -q "ALPN protocol: h2" <<<"$out" && grep -q "Verify return code: 0" <<<"$out"; then
      pass "openssl s_client -alpn h2: ALPN protocol h2, certificate verified"
    else
      fail "openssl s_client -alpn h2" "$(grep -E 'ALPN|Verify|Protocol' <<<"$out")"
    fi

    out="$(timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -alpn http/1.1 \
      -CAfile "$TMP/cert.pem" </dev/null 2>&1 | tr -d '\0')"
    grep -q "ALPN protocol: http/1.1" <<<"$out" && pass "openssl s_client -alpn http/1.1" \
      || fail "openssl s_client -alpn http/1.1" "$(grep -E 'ALPN|Protocol' <<<"$out")"

    # TLS 1.1: allowed on the client side with SECLEVEL=0, refused by the server.
    out="$(timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
      </dev/null 2>&1 | tr -d '\0')"
    # (s_client prints the version it tried in its session block even when refused; a
    # refusal has no cipher and no server certificate.)
    if grep -q "Cipher is (NONE)" <<<"$out" && ! grep -q "BEGIN CERTIFICATE" <<<"$out"; then
      pass "openssl s_client -tls1_1 refused"
    else
      fail "openssl s_client -tls1_1 refused" "$(grep -E 'Cipher|alert|CERTIFICATE' <<<"$out")"
    fi
    stop_server
  fi
fi

echo "interop: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
