//! `counter`: shared state — a visit counter and a global key-value store, exact under
//! concurrent requests (see `examples::features::counter`).
//!
//! ```text
//! cargo run --release --bin counter -- --port 8080
//! curl localhost:8080/visit            # 1
//! curl localhost:8080/count            # {"visits":1}
//! curl -X PUT -d hi localhost:8080/kv/greeting && curl localhost:8080/kv/greeting
//! curl -X POST localhost:8080/kv/hits/incr
//! ```

use clap::Parser;
use http_server::{Server, cli};

#[derive(Parser)]
#[command(about = "Visit counter and key-value store shared by all requests")]
struct Cli {
    #[command(flatten)]
    common: cli::CommonArgs,
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    cli::init_logging(false);
    cli::run(&cli.common, |opts| Server::serve(opts, examples::features::counter::counter_app()))
}
