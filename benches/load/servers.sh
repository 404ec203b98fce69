# Sourced by the load scripts (compare.sh, h2_compare.sh, suite.sh): where the repository
# and the release binaries are, and the servers they compare, by name.
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

# Builds the peers crate (axum, actix-web, canned) when any of the comma-separated names
# in $1 is one of them.
build_peers_for() {
  if [[ ",$1," == *,axum,* || ",$1," == *,actix,* || ",$1," == *,canned,* ]]; then
    cargo build --release --manifest-path "$ROOT/benches/peers/Cargo.toml" --target-dir "$TARGET_DIR/peers" >&2
  fi
}
