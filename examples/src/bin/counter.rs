//! `counter`: shared state — a visit counter and a global key-value store, exact under
//! concurrent requests (see `examples::features::counter`). With `--redis URL` the values
//! live on that Redis server, so several instances behind a load balancer count together.
//!
//! ```text
//! cargo run --release --bin counter -- --port 8080
//! curl localhost:8080/visit            # 1
//! curl localhost:8080/count            # {"visits":1}
//! curl -X PUT -d hi localhost:8080/kv/greeting && curl localhost:8080/kv/greeting
//! curl -X POST localhost:8080/kv/hits/incr
//!
//! # two instances, one count
//! cargo run --release --bin counter -- --port 8081 --redis redis://127.0.0.1:6379/ &
//! cargo run --release --bin counter -- --port 8082 --redis redis://127.0.0.1:6379/ &
//! ```

use clap::Parser;
use http_core::Store;
use http_server::{Server, cli};

/// Visit counter and key-value store shared by all requests (and, with --redis, by every
/// instance using the same Redis server).
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    common: cli::CommonArgs,
    /// Keep the values on this Redis server (redis://HOST:PORT/DB) instead of in this process.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    cli::init_logging(false);
    let spec = args.redis.clone().unwrap_or_else(|| "memory".to_owned());
    cli::run(&args.common, |opts| async move {
        let store = Store::open(&spec).await.map_err(|e| std::io::Error::other(format!("--redis: {e}")))?;
        Server::serve(opts, examples::features::counter::counter_app_on(store)).await
    })
}
