//! `hello`: GET /plaintext → `Hello, World!`, GET /json → `{"message":"Hello, World!"}`.
//!
//! ```text
//! cargo run --release --bin hello -- --port 8080
//! ```

use clap::Parser;
use http_core::{IntoResponse, Method, Request, Response, StatusCode, header};
use http_server::{Server, cli};

#[derive(Parser)]
#[command(about = "Hello-world server: /plaintext and /json")]
struct Cli {
    #[command(flatten)]
    common: cli::CommonArgs,
}

async fn hello(req: Request) -> Response {
    match (req.method(), req.path()) {
        (&Method::GET | &Method::HEAD, "/plaintext") => "Hello, World!".into_response(),
        (&Method::GET | &Method::HEAD, "/json") => {
            (StatusCode::OK, [("content-type", "application/json")], r#"{"message":"Hello, World!"}"#).into_response()
        }
        (_, "/plaintext" | "/json") => Response::error(StatusCode::METHOD_NOT_ALLOWED)
            .with_header_value(header::ALLOW, "GET, HEAD".parse().unwrap()),
        _ => Response::error(StatusCode::NOT_FOUND),
    }
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    cli::init_logging(true);
    cli::run(&cli.common, |opts| Server::serve(opts, hello))
}
