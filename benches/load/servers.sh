# Sourced by the load scripts (compare.sh, h2_compare.sh, suite.sh): where the repository
# and the release binaries are, the servers they compare by name, and the helpers they
# share (server CPU time, medians).
#
# ours   = examples `hello`               hyper  = benches `hyper_hello` (`hyper_h2c` for h2c)
# axum, actix, canned = benches/peers, a crate outside the workspace built into target/peers
#
# Adding a peer: a binary that takes --host/--port/--workers and prints
# `listening on http://HOST:PORT` first; one line in SERVERS.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release"
PEER_BIN="$TARGET_DIR/peers/release"
HERE="$ROOT/benches/load"

declare -A SERVERS=(
  [ours]="$BIN/hello"
  [hyper]="$BIN/hyper_hello"
  [axum]="$PEER_BIN/axum_hello"
  [actix]="$PEER_BIN/actix_hello"
  [canned]="$PEER_BIN/canned"
)

# utime+stime of process $1 in clock ticks (fields 14 and 15 of /proc/PID/stat; the
# command name in field 2 may hold spaces, so count from after its closing paren).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# The median of the numbers on stdin, one per line; `nan` for none.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The median of column $3 over the rows of server $2 in results file $1 (tab-separated,
# a header line, the server's name in column 2).
column_median() {
  awk -F'\t' -v s="$2" -v c="$3" 'NR > 1 && $2 == s { print $c }' "$1" | median
}

# Builds the peers crate (axum, actix-web, canned) when any of the comma-separated names
# in $1 is one of them.
build_peers_for() {
  if [[ ",$1," == *,axum,* || ",$1," == *,actix,* || ",$1," == *,canned,* ]]; then
    cargo build --release --manifest-path "$ROOT/benches/peers/Cargo.toml" --target-dir "$TARGET_DIR/peers" >&2
  fi
}
