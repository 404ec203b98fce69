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

fn main() -> std::io::Result<()> {
    http_server::cli::serve_main(
        "Visit counter and key-value store shared by all requests",
        examples::features::counter::counter_app(),
    )
}
