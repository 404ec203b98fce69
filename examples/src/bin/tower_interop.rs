//! `tower_interop`: tower-http layers (compression, CORS, trace) as middleware on our
//! router, and an axum app mounted inside it (see `examples::features::interop`).
//!
//! ```text
//! cargo run --release --bin tower_interop -- --port 8080
//! curl -s --compressed -i localhost:8080/hello     # content-encoding: gzip
//! curl -s localhost:8080/axum/hello                # served by axum
//! RUST_LOG=tower_http=debug cargo run --bin tower_interop   # TraceLayer's spans and events
//! ```

fn main() -> std::io::Result<()> {
    http_server::cli::serve_main(
        "tower-http middleware and an axum app on our server",
        examples::features::interop::interop_app(),
    )
}
