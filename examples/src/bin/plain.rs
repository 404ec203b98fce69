//! `plain`: a plain-string handler, `(method, path, query, body) -> String`, where
//! `"404 Not Found"` sets the status and `{...}` is sent as JSON
//! (see `examples::features::plain`).
//!
//! ```text
//! cargo run --release --bin plain -- --port 8080
//! curl -i localhost:8080/greet?name=Ada
//! curl -i -d '"x"' localhost:8080/items
//! ```

use http_core::plain;

fn main() -> std::io::Result<()> {
    http_server::cli::serve_main(
        "Plain-string handler: (method, path, query, body) -> String",
        plain(examples::features::plain::handle),
    )
}
