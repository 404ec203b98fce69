//! `fetch`: a command-line HTTP client with curl's options and exit codes, on
//! `http_client`. Several URLs are fetched in order over pooled connections.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use http_client::redirect::Policy;
use http_client::{Body, Client, ErrorKind, HeaderName, HeaderValue, HttpVersion, Method, Response, Version};

/// Transfers data from or to HTTP servers, as curl does.
#[derive(Debug, Parser)]
#[command(name = "fetch", version)]
struct Args {
    /// The URLs, fetched in order.
    #[arg(required = true)]
    urls: Vec<String>,
    /// The request method.
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,
    /// A request header, 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// Request body (POST unless -X says otherwise); @FILE reads a file. Repeats join with '&'.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    data: Vec<String>,
    /// Request body sent as is; @FILE reads a file, @- streams stdin.
    #[arg(long = "data-binary", value_name = "DATA")]
    data_binary: Option<String>,
    /// Write the body to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print the status line and headers before the body.
    #[arg(short = 'i', long = "include")]
    include: bool,
    /// Follow redirects.
    #[arg(short = 'L', long = "location")]
    location: bool,
    /// The most redirects followed with -L.
    #[arg(long = "max-redirs", value_name = "N", default_value_t = 50)]
    max_redirs: usize,
    /// HTTP/1.1 only.
    #[arg(long = "http1.1", conflicts_with_all = ["http2", "http2_prior_knowledge"])]
    http1_1: bool,
    /// HTTP/2 over TLS by ALPN, falling back to HTTP/1.1 (the default).
    #[arg(long = "http2")]
    http2: bool,
    /// HTTP/2 without negotiation (h2c in cleartext).
    #[arg(long = "http2-prior-knowledge")]
    http2_prior_knowledge: bool,
    /// Trust exactly the CA certificates in FILE (PEM).
    #[arg(long = "cacert", value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// The limit on connecting, in seconds.
    #[arg(long = "connect-timeout", value_name = "SECS")]
    connect_timeout: Option<f64>,
    /// The limit on each whole transfer, in seconds.
    #[arg(short = 'm', long = "max-time", value_name = "SECS")]
    max_time: Option<f64>,
    /// Read Server-Sent Events: one JSON line {"id","event","data"} per event, reconnecting
    /// after `retry:` with Last-Event-ID, until a 204.
    #[arg(long = "sse")]
    sse: bool,
    /// Ask for a compressed response and decode it.
    #[arg(long = "compressed")]
    compressed: bool,
    /// Fail (exit 22, no body) on a status of 400 or more.
    #[arg(short = 'f', long = "fail")]
    fail: bool,
    /// Nothing on stderr.
    #[arg(short = 's', long = "silent")]
    silent: bool,
    /// Notes on stderr: the protocol, connection reuse, the heads.
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,
}

/// A failure: curl's exit code and one line for stderr.
struct Failure(u8, String);

impl From<http_client::Error> for Failure {
    fn from(e: http_client::Error) -> Self {
        Failure(e.kind().exit_code() as u8, e.to_string())
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.001))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let client = match build_client(&args) {
        Ok(c) => c,
        Err(Failure(code, msg)) => return fail(&args, code, &msg),
    };
    let mut last = 0u8;
    for url in &args.urls {
        if let Err(Failure(code, msg)) = transfer(&client, &args, url).await {
            if !args.silent {
                eprintln!("fetch: ({code}) {msg}");
            }
            last = code;
        }
    }
    ExitCode::from(last)
}

fn fail(args: &Args, code: u8, msg: &str) -> ExitCode {
    if !args.silent {
        eprintln!("fetch: ({code}) {msg}");
    }
    ExitCode::from(code)
}

fn build_client(args: &Args) -> Result<Client, Failure> {
    let version = if args.http1_1 {
        HttpVersion::Http1Only
    } else if args.http2_prior_knowledge {
        HttpVersion::Http2PriorKnowledge
    } else {
        HttpVersion::Auto
    };
    let mut b = Client::builder()
        .http_version(version)
        .decompress(args.compressed)
        .redirect(if args.location { Policy::limited(args.max_redirs) } else { Policy::none() })
        // curl waits as long as data keeps coming; -m bounds the whole transfer.
        .read_timeout(None)
        .total_timeout(args.max_time.map(secs));
    if let Some(s) = args.connect_timeout {
        b = b.connect_timeout(secs(s));
    }
    if let Some(path) = &args.cacert {
        let pem =
            std::fs::read(path).map_err(|e| Failure(77, format!("cannot read CA file {}: {e}", path.display())))?;
        b = b.ca_certificates_pem(pem);
    }
    b.build().map_err(Failure::from)
}

/// The request body the options ask for, and whether one was given.
fn request_body(args: &Args) -> Result<Option<Body>, Failure> {
    let read = |path: &str| std::fs::read(path).map_err(|e| Failure(26, format!("cannot read {path}: {e}")));
    if let Some(d) = &args.data_binary {
        return Ok(Some(match d.strip_prefix('@') {
            Some("-") => http_client::body_from_reader(tokio::io::stdin()),
            Some(path) => read(path)?.into(),
            None => d.clone().into(),
        }));
    }
    if args.data.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for d in &args.data {
        parts.push(match d.strip_prefix('@') {
            // curl -d @file drops carriage returns and newlines.
            Some(path) => read(path)?.into_iter().filter(|b| *b != b'\r' && *b != b'\n').collect(),
            None => d.as_bytes().to_vec(),
        });
    }
    Ok(Some(parts.join(&b'&').into()))
}

async fn transfer(client: &Client, args: &Args, url: &str) -> Result<(), Failure> {
    if args.sse {
        // -m bounds the whole event stream, reconnections included.
        return match args.max_time {
            None => events(client, args, url).await,
            Some(m) => tokio::time::timeout(secs(m), events(client, args, url))
                .await
                .unwrap_or_else(|_| Err(Failure(28, format!("timed out ({url}): max time {m} s")))),
        };
    }
    let body = request_body(args)?;
    let method = match &args.method {
        Some(m) => Method::from_bytes(m.as_bytes()).map_err(|_| Failure(2, format!("invalid method {m:?}")))?,
        None if body.is_some() => Method::POST,
        None => Method::GET,
    };
    let mut req = client.request(method, url);
    let headers: http_client::HeaderMap = parse_headers(&args.headers)?.into_iter().collect();
    let has_content_type = headers.contains_key(http_client::header::CONTENT_TYPE);
    req = req.headers(headers);
    if let Some(body) = body {
        if !has_content_type {
            req = req.header("content-type", "application/x-www-form-urlencoded");
        }
        req = req.body(body);
    }
    let mut res = req.send().await?;
    if args.verbose && !args.silent {
        if res.connection_reused() {
            eprintln!("* re-using existing connection");
        }
        eprintln!("* protocol: {}", protocol(res.version()));
        for hop in res.history() {
            eprintln!("< {}", status_line(hop.version, hop.status, &hop.reason));
        }
        eprintln!("< {}", status_line(res.version(), res.status(), res.reason()));
    }
    if args.fail && res.status().as_u16() >= 400 {
        return Err(Failure(
            22,
            format!("the requested URL returned error: {} ({})", res.status().as_u16(), res.url()),
        ));
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| Failure(23, format!("cannot write {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let write_err = |e: std::io::Error| Failure(23, format!("write error: {e}"));
    if args.include {
        let mut head = String::new();
        for hop in res.history() {
            head_block(&mut head, hop.version, hop.status, &hop.reason, &hop.headers);
        }
        head_block(&mut head, res.version(), res.status(), res.reason(), res.headers());
        out.write_all(head.as_bytes()).map_err(write_err)?;
    }
    let progress = args.output.is_some() && !args.silent && std::io::stderr().is_terminal();
    copy_body(&mut res, &mut out, progress).await?;
    out.flush().map_err(write_err)
}

/// `--sse`: each event as one JSON line, flushed as it arrives.
async fn events(client: &Client, args: &Args, url: &str) -> Result<(), Failure> {
    let mut source = http_client::EventSource::new(client, url);
    for (name, value) in parse_headers(&args.headers)? {
        source = source.header(name, value);
    }
    let mut out = std::io::stdout().lock();
    while let Some(ev) = source.next().await {
        let ev = ev.map_err(|e| {
            let code = match e.kind() {
                ErrorKind::Status(s) if s.as_u16() < 400 => 1,
                k => k.exit_code() as u8,
            };
            Failure(code, e.to_string())
        })?;
        let event = ev.event.as_deref().filter(|e| !e.is_empty()).unwrap_or("message");
        let json = |s: &str| serde_json::Value::from(s).to_string();
        let line = format!(
            "{{\"id\":{},\"event\":{},\"data\":{}}}",
            json(source.last_event_id()),
            json(event),
            json(&ev.data)
        );
        writeln!(out, "{line}").and_then(|()| out.flush()).map_err(|e| Failure(23, format!("write error: {e}")))?;
    }
    Ok(())
}

/// `-H 'Name: value'` options as header fields.
fn parse_headers(raw: &[String]) -> Result<Vec<(HeaderName, HeaderValue)>, Failure> {
    raw.iter()
        .map(|h| {
            let bad = || Failure(2, format!("invalid header {h:?}: expected 'Name: value'"));
            let (name, value) = h.split_once(':').ok_or_else(bad)?;
            Ok((
                HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?,
                HeaderValue::from_str(value.trim()).map_err(|_| bad())?,
            ))
        })
        .collect()
}

async fn copy_body(res: &mut Response, out: &mut Box<dyn Write>, progress: bool) -> Result<(), Failure> {
    let total = res.content_length();
    let (mut got, mut shown) = (0u64, Instant::now());
    while let Some(chunk) = res.chunk().await? {
        out.write_all(&chunk).map_err(|e| Failure(23, format!("write error: {e}")))?;
        got += chunk.len() as u64;
        if progress && shown.elapsed() > Duration::from_millis(200) {
            shown = Instant::now();
            match total {
                Some(t) if t > 0 => eprint!("\r{:>3}% {got} / {t} bytes", got * 100 / t),
                _ => eprint!("\r{got} bytes"),
            }
        }
    }
    if progress {
        eprintln!("\r{got} bytes done");
    }
    Ok(())
}

fn protocol(v: Version) -> &'static str {
    match v {
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    }
}

fn status_line(v: Version, status: http_client::StatusCode, reason: &str) -> String {
    if v == Version::HTTP_2 {
        format!("HTTP/2 {}", status.as_u16())
    } else {
        format!("{} {} {reason}", protocol(v), status.as_u16())
    }
}

fn head_block(
    out: &mut String,
    v: Version,
    status: http_client::StatusCode,
    reason: &str,
    headers: &http_client::HeaderMap,
) {
    out.push_str(&status_line(v, status, reason));
    out.push_str("\r\n");
    for (name, value) in headers {
        out.push_str(name.as_str());
        out.push_str(": ");
        out.push_str(&String::from_utf8_lossy(value.as_bytes()));
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_as_curl_prints_them() {
        assert_eq!(status_line(Version::HTTP_11, http_client::StatusCode::OK, "OK"), "HTTP/1.1 200 OK");
        assert_eq!(status_line(Version::HTTP_2, http_client::StatusCode::OK, ""), "HTTP/2 200");
    }

    #[test]
    fn kinds_map_to_curl_exit_codes() {
        let cases =
            [(ErrorKind::Resolve, 6), (ErrorKind::Connect, 7), (ErrorKind::Malformed, 8), (ErrorKind::Certificate, 60)];
        for (kind, code) in cases {
            assert_eq!(kind.exit_code(), code);
        }
    }
}
