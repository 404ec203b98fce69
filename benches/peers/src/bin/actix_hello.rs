//! `actix_hello`: the actix-web 4 peer of `examples/hello` for load comparisons.
//!
//! GET|HEAD /plaintext → `Hello, World!` (`text/plain; charset=utf-8`), GET|HEAD /json →
//! `{"message":"Hello, World!"}` (`application/json`); actix adds `content-length` and
//! `date`. Other methods on those paths get actix's 405 (with `allow`), other paths its
//! empty 404. Bound with
//! `bind_auto_h2c`, so HTTP/1.1 (keep-alive, pipelining) and h2c prior knowledge share the
//! port (actix peeks at the first 12 bytes for the HTTP/2 preface); `TCP_NODELAY` on.
//! `--workers N` is actix's `.workers(N)`: N single-threaded worker runtimes, plus actix's
//! own accept thread (default: actix's, the number of cores).
//!
//! ```text
//! cargo build --release --manifest-path benches/peers/Cargo.toml --target-dir target/peers
//! target/peers/release/actix_hello --port 0 --workers 1
//! ```

use actix_web::http::header::ContentType;
use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;

#[derive(Parser)]
#[command(about = "actix-web 4 hello-world peer: /plaintext and /json, HTTP/1.1 and h2c")]
struct Cli {
    #[command(flatten)]
    peer: peers::PeerArgs,
}

async fn plaintext() -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::plaintext()).body(peers::PLAINTEXT)
}

async fn json() -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::json()).body(peers::JSON)
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let addr = cli.peer.addr()?;
    actix_web::rt::System::new().block_on(async {
        let mut server = HttpServer::new(|| {
            App::new()
                .service(web::resource("/plaintext").route(web::get().to(plaintext)).route(web::head().to(plaintext)))
                .service(web::resource("/json").route(web::get().to(json)).route(web::head().to(json)))
        })
        .tcp_nodelay(true)
        // a SIGTERM stops it within a second, as the other peers stop at once
        .shutdown_timeout(1);
        if let Some(n) = cli.peer.workers {
            server = server.workers(n.max(1));
        }
        let server = server.bind_auto_h2c(addr)?;
        peers::print_listening(server.addrs()[0])?;
        server.run().await
    })
}
