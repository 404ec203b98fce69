//! `fileserver`: serves a folder over HTTP — static sites and single-page apps.
//!
//! ```text
//! fileserver [ROOT] [--host 127.0.0.1] [--port 8080] [--spa FILE] [--index index.html]
//!            [--cache-control VALUE] [--fingerprinted-cache-control VALUE] [--listing]
//!            [--precompressed] [--io-threads] [--workers N] [--quiet] [--tls-cert PEM --tls-key PEM]
//! ```
//!
//! `--tls-cert`/`--tls-key` (shared with every binary, see `http_server::cli`) serve HTTPS
//! with HTTP/2 and HTTP/1.1. Prints `listening on http://HOST:PORT` as its first line on stdout, logs one line per
//! request on stderr (method, path, status, bytes, time to the response head; `--quiet`
//! turns it off) and shuts down gracefully on Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use http_core::{Handler, Method, Request};
use http_server::Server;
use http_server::cli::{self, CommonArgs};
use http_server::files::{FileServerOptions, fileserver};

/// Serve a folder over HTTP: static sites and single-page apps.
#[derive(Debug, Parser)]
#[command(name = "fileserver", version)]
struct Cli {
    /// The folder to serve.
    #[arg(default_value = ".")]
    root: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
    /// Single-page-app shell (a file inside ROOT, e.g. index.html), served for missing paths
    /// that do not look like files (no `.` in the last segment), with `Cache-Control: no-cache`.
    #[arg(long, value_name = "FILE")]
    spa: Option<String>,
    /// The file served for a folder URL.
    #[arg(long, value_name = "NAME", default_value = "index.html")]
    index: String,
    /// Cache-Control sent with every file (e.g. "public, max-age=300").
    #[arg(long, value_name = "VALUE")]
    cache_control: Option<String>,
    /// Cache-Control for files with a content hash in their name (app.3f2a9c1b.js), e.g.
    /// "public, max-age=31536000, immutable".
    #[arg(long, value_name = "VALUE")]
    fingerprinted_cache_control: Option<String>,
    /// List folders that have no index file.
    #[arg(long)]
    listing: bool,
    /// Serve FILE.br / FILE.gz siblings to clients that accept them.
    #[arg(long)]
    precompressed: bool,
    /// Make file-system calls on tokio's blocking pool (safer for slow or network disks)
    /// instead of on the worker threads, as nginx does, which is the default.
    #[arg(long)]
    io_threads: bool,
    /// No per-request log lines.
    #[arg(long, short)]
    quiet: bool,
}

fn header_ok(flag: &str, value: &Option<String>) -> Result<(), String> {
    match value {
        Some(v) if http_core::HeaderValue::from_str(v).is_err() => Err(format!("{flag}: not a valid header value")),
        _ => Ok(()),
    }
}

fn options(cli: &Cli) -> Result<FileServerOptions, String> {
    header_ok("--cache-control", &cli.cache_control)?;
    header_ok("--fingerprinted-cache-control", &cli.fingerprinted_cache_control)?;
    let mut o = FileServerOptions::new()
        .index((!cli.index.is_empty()).then_some(cli.index.as_str()))
        .listing(cli.listing)
        .precompressed(cli.precompressed)
        .inline_io(!cli.io_threads);
    if let Some(spa) = &cli.spa {
        o = o.spa_fallback(spa);
    }
    if let Some(v) = &cli.cache_control {
        o = o.cache_control(v);
    }
    if let Some(v) = &cli.fingerprinted_cache_control {
        o = o.fingerprinted_cache_control(v);
    }
    Ok(o)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_logging(cli.quiet);
    let opts = match options(&cli) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fileserver: {e}");
            return ExitCode::from(2);
        }
    };
    let files = match fileserver(&cli.root, opts) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fileserver: cannot serve {}: {e}", cli.root.display());
            return ExitCode::from(2);
        }
    };
    tracing::info!(root = %files.root().display(), "serving");
    let log = !cli.quiet;
    let handler = move |req: Request| {
        let files = files.clone();
        async move {
            if !log {
                return files.call(req).await;
            }
            let start = Instant::now();
            let method = req.method().clone();
            let target = req.uri().path_and_query().map_or_else(|| req.path().to_owned(), |p| p.to_string());
            let resp = files.call(req).await;
            let bytes = if method == Method::HEAD { 0 } else { resp.body().exact_len().unwrap_or(0) };
            tracing::info!("{method} {target} {} {bytes} {:.3}ms", resp.status().as_u16(), ms(start));
            resp
        }
    };
    match cli::run(&cli.common, |o| Server::serve(o, handler)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fileserver: {e}");
            ExitCode::FAILURE
        }
    }
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}
