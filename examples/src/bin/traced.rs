//! `traced`: the engines' tracing spans — `connection` (proto, peer) and `request`
//! (method, path, route, status, duration_ms) — printed by a `tracing-subscriber` fmt
//! layer when each span closes. The framework only emits through `tracing`; which
//! subscriber (if any) prints them is the application's choice, made here.
//!
//! ```text
//! cargo run --bin traced -- --port 8080
//! curl localhost:8080/users/7; curl localhost:8080/panic
//! # stderr: ... request{method=GET path="/users/7" route="/users/{id}" status=200 duration_ms=0.196963}: close ...
//! ```

use clap::Parser;
use http_core::Request;
use http_router::Router;
use http_server::{Server, cli};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Parser)]
#[command(about = "Per-connection and per-request tracing spans, printed to stderr")]
struct Cli {
    #[command(flatten)]
    common: cli::CommonArgs,
}

async fn user(req: Request) -> String {
    format!("user {}", req.param("id").unwrap_or_default())
}

async fn panics(_req: Request) -> &'static str {
    panic!("this handler panics: the engine answers 500 and logs an ERROR event in the request span")
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    // The request spans are DEBUG: enable them for the server crate only.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,http_server=debug"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        // colours only on a terminal: redirected to a file or a pipe, stderr stays plain text
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let router = Router::new().route("GET /users/{id}", user).route("GET /panic", panics);
    cli::run(&cli.common, |opts| Server::serve(opts, router))
}
