//! `showcase`: one server with every feature mounted.
//!
//! | route | feature |
//! |---|---|
//! | GET /plaintext | `Hello, World!` |
//! | POST /echo | streams the request body back (listen-style, any size) |
//! | GET /sse?n=K | K Server-Sent Events, one every 10 ms; `Last-Event-ID` resumes |
//! | GET /trailers | body `abc` with trailer `x-checksum` (HTTP/1.1 chunked with `TE: trailers`, HTTP/2 HEADERS) |

use clap::Parser;
use http_core::{Method, StatusCode, Stream, streamhandler};
use http_server::{Server, cli};

#[derive(Parser)]
#[command(about = "Every feature of the framework on one server")]
struct Cli {
    #[command(flatten)]
    common: cli::CommonArgs,
}

async fn showcase(s: &mut Stream) {
    let path = s.request().uri.path().to_owned();
    let method = s.request().method.clone();
    match (method, path.as_str()) {
        (Method::POST, "/echo") => examples::features::echo::echo(s).await,
        (Method::GET | Method::HEAD, "/trailers") => examples::features::trailers::trailers(s).await,
        (Method::GET, "/sse") => {
            use http_core::StreamHandler;
            streamhandler(examples::features::sse::sse).call(s).await
        }
        (Method::GET | Method::HEAD, "/plaintext") => {
            let _ = s.set_header("content-type", "text/plain; charset=utf-8");
            let _ = s.set_header("content-length", "13");
            let _ = s.write("Hello, World!").await;
        }
        _ => {
            use http_core::StreamHandler;
            streamhandler(|_r: http_core::Request| async { http_core::Response::error(StatusCode::NOT_FOUND) })
                .call(s)
                .await
        }
    }
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    cli::init_logging(false);
    cli::run(&cli.common, |opts| Server::listen(opts, showcase))
}
