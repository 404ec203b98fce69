# Sourced by the load scripts (compare.sh, h2_compare.sh, suite.sh): where the repository
# and the release binaries are, the servers they compare by name, and the helpers they
# share (server CPU time, medians).
#
# ours   = examples `hello`               hyper  = benches `hyper_hello` (`hyper_h2c` for h2c)
# hyper_guarded = benches `hyper_guarded`: hyper_hello with a 10 s header-read timeout and
# graceful-shutdown watching, the guards ours always runs with
# axum, actix, canned = benches/peers, a crate outside the workspace built into target/peers;
# canned_h2 (benches/peers too) is canned's h2c counterpart, for h2_compare.sh;
# bare_h2 = benches `bare_h2`, the `h2` crate driven directly (the floor under ours on that codec)
# Over TLS (with --tls-cert/--tls-key, see tls_cert_files): ours = `hello` again,
# hyper_tls = benches `hyper_tls` (hyper + tokio-rustls), nginx = benches/load/nginx_tls.sh,
# canned, canned_h2, bare_h2 = the same floors over TLS (tokio-rustls set up as hyper_tls).
# SSE fan-out: ours_sse = benches `sse_broadcast`, axum_sse = benches/peers `axum_sse`.
#
# Adding a peer: a binary that takes --host/--port/--workers and prints
# `listening on http://HOST:PORT` first; one line in SERVERS.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The calling script by absolute path (its --help reads it after the cd below).
SCRIPT="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release"
PEER_BIN="$TARGET_DIR/peers/release"
HERE="$ROOT/benches/load"

declare -A SERVERS=(
  [ours]="$BIN/hello"
  [hyper]="$BIN/hyper_hello"
  [hyper_guarded]="$BIN/hyper_guarded"
  [axum]="$PEER_BIN/axum_hello"
  [actix]="$PEER_BIN/actix_hello"
  [canned]="$PEER_BIN/canned"
  [canned_h2]="$PEER_BIN/canned_h2"
  [bare_h2]="$BIN/bare_h2"
  [hyper_tls]="$BIN/hyper_tls"
  [nginx]="$HERE/nginx_tls.sh"
  [ours_sse]="$BIN/sse_broadcast"
  [axum_sse]="$PEER_BIN/axum_sse"
)

# utime and stime of process $1 apart, in clock ticks: "USER SYSTEM" (fields 14 and 15 of
# /proc/PID/stat; the command name in field 2 may hold spaces, so count from after its
# closing paren).
cpu_split() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'; }
# utime+stime of process $1 in clock ticks.
cpu_ticks() { cpu_split "$1" | awk '{ print $1 + $2 }'; }

# The median of the numbers on stdin, one per line; `nan` for none.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The median of column $3 over the rows of server $2 in results file $1 (tab-separated,
# a header line, the server's name in column 2).
column_median() {
  awk -F'\t' -v s="$2" -v c="$3" 'NR > 1 && $2 == s { print $c }' "$1" | median
}

# A self-signed ECDSA P-256 certificate for `localhost` and 127.0.0.1 (openssl), made at
# run time under $TARGET_DIR/load/tls/ (never committed) unless there already; prints
# "CERT KEY".
tls_cert_files() {
  local dir="$TARGET_DIR/load/tls"
  if [[ ! -s "$dir/cert.pem" || ! -s "$dir/key.pem" ]]; then
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=localhost \
      -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
    chmod 644 "$dir/key.pem"
  fi
  echo "$dir/cert.pem $dir/key.pem"
}

# Builds the peers crate (axum, actix-web, canned, canned_h2, axum_sse) when any of the
# comma-separated names in $1 is one of them.
build_peers_for() {
  local name
  for name in axum actix canned canned_h2 axum_sse; do
    [[ ",$1," == *",$name,"* ]] || continue
    cargo build --release --manifest-path "$ROOT/benches/peers/Cargo.toml" --target-dir "$TARGET_DIR/peers" >&2
    return
  done
}

# start_peer NAME LOG [ARGS...]: starts server NAME pinned to CPU ${server_cpus:-0} with
# --host 127.0.0.1 --port 0 --workers 1 and ARGS, stdout/stderr to LOG.out/LOG.err, waits
# (10 s at most) for its `listening on URL` line; sets server_pid and server_url (no path).
server_pid=""
server_url=""
start_peer() {
  local name="$1" log="$2" line=""
  shift 2
  taskset -c "${server_cpus:-0}" "${SERVERS[$name]}" --host 127.0.0.1 --port 0 --workers 1 "$@" >"$log.out" 2>"$log.err" &
  server_pid=$!
  for _ in $(seq 100); do
    line="$(head -n1 "$log.out" 2>/dev/null || true)"
    [[ "$line" == "listening on "* ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ "$line" == "listening on "* ]] || { echo "$name did not start: $(cat "$log.err")" >&2; return 1; }
  server_url="${line#listening on }"
}

# stop_peer: SIGTERM the server started by start_peer (SIGKILL after 5 s) and reap it.
stop_peer() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

# common_option OPTION [VALUE]: an option the load scripts share, for the fallback of each
# script's `case`:   *) common_option "$@" || die "unknown option $1 (see --help)"; shift "$shifted" ;;
# Takes -h/--help (prints the script's header comment and exits) and those of --rounds N,
# --out DIR, --server-cpus L, --load-cpus L and --no-build that the calling script lists in
# $shared_options; returns 1 for any other option. Sets `shifted` to the words it used.
shifted=0
common_option() {
  shifted=2
  case "$1" in
    -h|--help) sed -n '2,/^set -euo/p' "$SCRIPT" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  esac
  [[ " ${shared_options:-} " == *" $1 "* ]] || return 1
  case "$1" in
    --rounds) rounds="$2" ;;
    --out) out="$2" ;;
    --server-cpus) server_cpus="$2" ;;
    --load-cpus) load_cpus="$2" ;;
    --no-build) build=0; shifted=1 ;;
  esac
}

# need_tool COMMAND PACKAGE: installs the Debian PACKAGE (with sudo unless root) when
# COMMAND is missing; fails when it still is.
need_tool() {
  command -v "$1" >/dev/null && return
  echo "installing $1 (Debian package $2)..." >&2
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get install -y "$2" >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y "$2" >/dev/null; } || true
  command -v "$1" >/dev/null || { echo "$1 is missing and $2 could not be installed" >&2; exit 2; }
}

# kv KEY LINE: the value of KEY in a line of `key=value` words.
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
