//! `plain`: a plain-string handler, `(method, path, query, body) -> String`, where
//! `"404 Not Found"` sets the status and `{...}` is sent as JSON
//! (see `examples::features::plain`).
//!
//! ```text
//! cargo run --release --bin plain -- --port 8080
//! curl -i localhost:8080/greet?name=Ada
//! curl -i -d '"x"' localhost:8080/items
//! ```

use clap::Parser;
use http_core::plain;
use http_server::{Server, cli};

#[derive(Parser)]
#[command(about = "Langoost-style plain-string handler")]
struct Cli {
    #[command(flatten)]
    common: cli::CommonArgs,
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    cli::init_logging(false);
    cli::run(&cli.common, |opts| Server::serve(opts, plain(examples::features::plain::handle)))
}
