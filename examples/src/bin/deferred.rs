//! `deferred`: deferred replies — `GET /wait/{id}` parks a request, `POST /release/{id}`
//! answers it by id from another request; no answer before `--deadline` → 504
//! (see `examples::features::deferred`).
//!
//! ```text
//! cargo run --release --bin deferred -- --port 8080 --deadline 30
//! curl localhost:8080/wait/job-1 &                 # waits...
//! curl localhost:8080/pending                      # ["job-1"]
//! curl -d 'here you go' localhost:8080/release/job-1   # the first curl prints "here you go"
//! ```

use std::time::Duration;

use clap::Parser;
use http_core::Deferred;
use http_server::{Server, cli};

/// Parks requests under an id until another request releases them by id.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    common: cli::CommonArgs,
    /// Seconds a parked request waits for its answer before it gets 504.
    #[arg(long, value_name = "SECS", default_value_t = examples::features::deferred::DEFAULT_DEADLINE.as_secs_f64())]
    deadline: f64,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let deadline = Duration::try_from_secs_f64(args.deadline)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("--deadline: {e}")))?;
    cli::init_logging(false);
    let app = examples::features::deferred::deferred_app(Deferred::new(deadline));
    cli::run(&args.common, |opts| Server::serve(opts, app))
}
