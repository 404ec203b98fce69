//! `fileserver`: serves a folder over HTTP — static sites and single-page apps.
//!
//! ```text
//! fileserver [ROOT] [--config FILE] [--host 127.0.0.1] [--port 8080] [--spa FILE]
//!            [--index index.html] [--cache-control VALUE] [--fingerprinted-cache-control VALUE]
//!            [--listing] [--precompressed] [--no-compress] [--cache-bytes N] [--metadata-ttl 1s]
//!            [--weak-etags] [--security-headers] [--dotfiles allow|deny|ignore] [--follow-symlinks]
//!            [--redirect 'FROM TO [CODE]']... [--rewrite 'FROM TO']... [--header 'PATH NAME: VALUE']...
//!            [--try-files '$uri $uri.html =404'] [--basic-auth USER:HASH]... [--basic-auth-path PREFIX]
//!            [--cors-allow-origins LIST] [--error-page STATUS=FILE]... [--vhost HOST=ROOT]...
//!            [--maintenance FILE] [--retry-after 5m] [--io-threads] [--workers N] [--quiet]
//!            [--tls-cert PEM --tls-key PEM]
//! ```
//!
//! Options come from the config file, then `FILESERVER_<KEY>` environment variables, then
//! the flags, each overriding the one before. Prints `listening on http://HOST:PORT` as its
//! first line on stdout and a one-line summary on stderr, logs one line per request on
//! stderr (`--quiet` turns it off), reads its configuration again on SIGHUP (with the TLS
//! certificate; an invalid one is logged and the running one kept) and shuts down gracefully
//! on Ctrl-C or SIGTERM.

mod app;
mod config;
mod live;
mod types;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use http_core::{Method, Request};
use http_server::Server;
use http_server::cli::{self, CommonArgs};
use http_server::files::{FileServer, FileServerOptions, fileserver};

use app::{App, Page};
use config::{BasicAuth, Config, Cors, ErrorStatus, HeaderRule, Redirect, Rewrite, Vhost};
use live::{Live, Source};
use types::{Dotfiles, Name, Pattern, RedirectStatus, Span, User, Value};

/// Serve a folder over HTTP: static sites and single-page apps.
#[derive(Debug, Parser)]
#[command(name = "fileserver", version)]
struct Cli {
    /// The folder to serve (default: the config file's `root`, else `.`).
    root: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
    /// A TOML file with any of these options (same names, e.g. `port = 8080`,
    /// `cache-control = "..."`) and per-path rules; see the README. Read again on SIGHUP
    /// (an invalid file is logged and the running configuration kept).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Single-page-app shell (a file inside ROOT, e.g. index.html), served for missing paths
    /// that do not look like files (no `.` in the last segment), with `Cache-Control: no-cache`.
    #[arg(long, value_name = "FILE")]
    spa: Option<String>,
    /// The file served for a folder URL [default: index.html].
    #[arg(long, value_name = "NAME")]
    index: Option<String>,
    /// Cache-Control sent with every file (e.g. "public, max-age=300").
    #[arg(long, value_name = "VALUE", value_parser = |s: &str| Value::try_from(s.to_owned()))]
    cache_control: Option<Value>,
    /// Cache-Control for files with a content hash in their name (app.3f2a9c1b.js), e.g.
    /// "public, max-age=31536000, immutable".
    #[arg(long, value_name = "VALUE", value_parser = |s: &str| Value::try_from(s.to_owned()))]
    fingerprinted_cache_control: Option<Value>,
    /// List folders that have no index file (HTML, or JSON for `Accept: application/json`).
    #[arg(long)]
    listing: bool,
    /// Serve FILE.br / FILE.zst / FILE.gz siblings to clients that accept them.
    #[arg(long)]
    precompressed: bool,
    /// Compress text-like files on the fly (br, zstd, gzip, deflate by Accept-Encoding) [default].
    #[arg(long, overrides_with = "no_compress")]
    compress: bool,
    /// Do not compress on the fly.
    #[arg(long)]
    no_compress: bool,
    /// The smallest file compressed on the fly, in bytes [default: 1024].
    #[arg(long, value_name = "BYTES")]
    compress_min_size: Option<u64>,
    /// Keep small files (up to 128 KiB) in memory, at most N bytes in all; 0 = off [default: 0].
    #[arg(long, value_name = "N")]
    cache_bytes: Option<usize>,
    /// How long a file found for a path is trusted before the path is looked up and
    /// checked again (as nginx's open_file_cache_valid): edits show within this time;
    /// 0 = check on every request [default: 1s].
    #[arg(long, value_name = "DURATION")]
    metadata_ttl: Option<Span>,
    /// Send weak ETags (W/"...") instead of strong ones.
    #[arg(long)]
    weak_etags: bool,
    /// Add X-Content-Type-Options, X-Frame-Options, CSP frame-ancestors, Referrer-Policy
    /// (and HSTS over TLS) to every answer that does not set them.
    #[arg(long)]
    security_headers: bool,
    /// Dotfiles (`.env`, `.git/`; never `.well-known`): allow, deny (403) or ignore (404) [default: ignore].
    #[arg(long, value_enum, value_name = "POLICY")]
    dotfiles: Option<Dotfiles>,
    /// Follow symlinks that lead out of ROOT (refused by default: 404).
    #[arg(long)]
    follow_symlinks: bool,
    /// Redirect: 'FROM TO [CODE]', FROM a path with `*` wildcards, TO with $1.. (CODE 301 by default).
    #[arg(long, value_name = "'FROM TO [CODE]'", value_parser = parse_redirect)]
    redirect: Vec<Redirect>,
    /// Rewrite: 'FROM TO' serves TO for paths matching FROM (the URL stays).
    #[arg(long, value_name = "'FROM TO'", value_parser = parse_rewrite)]
    rewrite: Vec<Rewrite>,
    /// A header for matching paths: 'PATH NAME: VALUE' (e.g. '/assets/* Cache-Control: max-age=600').
    #[arg(long, value_name = "'PATH NAME: VALUE'", value_parser = parse_header)]
    header: Vec<HeaderRule>,
    /// nginx-style fallbacks, space-separated: '$uri $uri.html $uri/ =404'.
    #[arg(long, value_name = "LIST")]
    try_files: Option<String>,
    /// A user for basic auth: NAME:HASH with a bcrypt or argon2 PHC hash (repeatable).
    #[arg(long, value_name = "USER:HASH", value_parser = |s: &str| User::try_from(s.to_owned()))]
    basic_auth: Vec<User>,
    /// The path prefix basic auth protects [default: /].
    #[arg(long, value_name = "PREFIX")]
    basic_auth_path: Option<String>,
    /// CORS: allowed origins, comma-separated (`*` for any); preflights are answered.
    #[arg(long, value_name = "LIST")]
    cors_allow_origins: Option<String>,
    /// A custom error page: STATUS=FILE, FILE inside ROOT (repeatable).
    #[arg(long, value_name = "STATUS=FILE", value_parser = parse_error_page)]
    error_page: Vec<(ErrorStatus, String)>,
    /// A virtual host: HOST=ROOT serves ROOT for that Host (repeatable).
    #[arg(long, value_name = "HOST=ROOT", value_parser = parse_vhost)]
    vhost: Vec<Vhost>,
    /// Maintenance mode: answer everything with 503 and this page (a file inside ROOT).
    #[arg(long, value_name = "FILE")]
    maintenance: Option<String>,
    /// Retry-After of the maintenance answer (e.g. 30s, 5m) [default: 5m].
    #[arg(long, value_name = "DURATION")]
    retry_after: Option<Span>,
    /// Make file-system calls on tokio's blocking pool (safer for slow or network disks)
    /// instead of on the worker threads, as nginx does, which is the default.
    #[arg(long)]
    io_threads: bool,
    /// No per-request log lines.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_redirect(s: &str) -> Result<Redirect, String> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let (from, to, code) = match parts.as_slice() {
        [f, t] => (f, t, None),
        [f, t, c] => (f, t, Some(c.parse::<u16>().map_err(|_| format!("{c:?} is not a status code"))?)),
        _ => return Err("expected 'FROM TO [CODE]'".to_owned()),
    };
    let status = code.map(RedirectStatus::try_from).transpose()?;
    Ok(Redirect { from: Pattern::try_from((*from).to_owned())?, to: (*to).to_owned(), status })
}

fn parse_rewrite(s: &str) -> Result<Rewrite, String> {
    match s.split_whitespace().collect::<Vec<_>>().as_slice() {
        [f, t] => Ok(Rewrite { from: Pattern::try_from((*f).to_owned())?, to: (*t).to_owned() }),
        _ => Err("expected 'FROM TO'".to_owned()),
    }
}

fn parse_header(s: &str) -> Result<HeaderRule, String> {
    let bad = || "expected 'PATH NAME: VALUE'".to_owned();
    let (path, rest) = s.trim().split_once(' ').ok_or_else(bad)?;
    let (name, value) = rest.split_once(':').ok_or_else(bad)?;
    let set = HashMap::from([(Name::try_from(name.trim().to_owned())?, Value::try_from(value.trim().to_owned())?)]);
    Ok(HeaderRule { path: Pattern::try_from(path.to_owned())?, set })
}

fn parse_error_page(s: &str) -> Result<(ErrorStatus, String), String> {
    let (code, file) = s.split_once('=').ok_or("expected STATUS=FILE")?;
    Ok((ErrorStatus::try_from(code.to_owned())?, file.to_owned()))
}

fn parse_vhost(s: &str) -> Result<Vhost, String> {
    let (host, root) = s.split_once('=').ok_or("expected HOST=ROOT")?;
    Ok(Vhost { host: host.to_owned(), root: root.into(), spa: None })
}

/// The flags given on the command line, as a config layer.
fn flags_layer(cli: &Cli, m: &clap::ArgMatches) -> Config {
    let given = |id: &str| m.value_source(id) == Some(ValueSource::CommandLine);
    let flag = |on: bool| on.then_some(true);
    let c = &cli.common;
    Config {
        root: cli.root.clone(),
        host: given("host").then(|| c.host.clone()),
        port: given("port").then_some(c.port),
        workers: c.workers,
        tls_cert: c.tls_cert.clone(),
        tls_key: c.tls_key.clone(),
        spa: cli.spa.clone(),
        index: cli.index.clone(),
        cache_control: cli.cache_control.clone(),
        fingerprinted_cache_control: cli.fingerprinted_cache_control.clone(),
        listing: flag(cli.listing),
        precompressed: flag(cli.precompressed),
        compress: if cli.no_compress { Some(false) } else { flag(cli.compress) },
        compress_min_size: cli.compress_min_size,
        cache_bytes: cli.cache_bytes,
        metadata_ttl: cli.metadata_ttl,
        weak_etags: flag(cli.weak_etags),
        io_threads: flag(cli.io_threads),
        quiet: flag(cli.quiet),
        security_headers: flag(cli.security_headers),
        dotfiles: cli.dotfiles,
        follow_symlinks: flag(cli.follow_symlinks),
        maintenance: cli.maintenance.clone(),
        retry_after: cli.retry_after,
        error_pages: cli.error_page.iter().cloned().collect(),
        redirect: cli.redirect.clone(),
        rewrite: cli.rewrite.clone(),
        headers: cli.header.clone(),
        try_files: cli.try_files.as_ref().map(|s| s.split_whitespace().map(str::to_owned).collect()),
        basic_auth: (!cli.basic_auth.is_empty()).then(|| BasicAuth {
            path: cli.basic_auth_path.clone().unwrap_or_else(|| "/".to_owned()),
            realm: None,
            users: cli.basic_auth.clone(),
        }),
        cors: cli.cors_allow_origins.as_ref().map(|o| Cors {
            allow_origins: o.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
            ..Cors::default()
        }),
        vhost: cli.vhost.clone(),
    }
}

fn file_options(c: &Config) -> FileServerOptions {
    let index = c.index.clone().unwrap_or_else(|| "index.html".to_owned());
    let mut o = FileServerOptions::new()
        .index((!index.is_empty()).then_some(index.as_str()))
        .listing(c.listing.unwrap_or(false))
        .precompressed(c.precompressed.unwrap_or(false))
        .compress(c.compress.unwrap_or(true))
        .cache_bytes(c.cache_bytes.unwrap_or(0))
        .metadata_ttl(c.metadata_ttl.map_or(std::time::Duration::from_secs(1), |d| d.0))
        .weak_etags(c.weak_etags.unwrap_or(false))
        .dotfiles(c.dotfiles == Some(Dotfiles::Allow))
        .follow_symlinks(c.follow_symlinks.unwrap_or(false))
        .inline_io(!c.io_threads.unwrap_or(false));
    if let Some(n) = c.compress_min_size {
        o = o.compress_min_size(n);
    }
    if let Some(v) = &c.cache_control {
        o = o.cache_control(v.0.to_str().unwrap_or_default());
    }
    if let Some(v) = &c.fingerprinted_cache_control {
        o = o.fingerprinted_cache_control(v.0.to_str().unwrap_or_default());
    }
    o
}

fn build(c: &Config) -> Result<App, String> {
    let root = c.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let opts = file_options(c);
    let serve = |root: &PathBuf, spa: Option<&String>| -> Result<FileServer, String> {
        let o = match spa {
            Some(s) => opts.clone().spa_fallback(s),
            None => opts.clone(),
        };
        fileserver(root, o).map_err(|e| format!("cannot serve {}: {e}", root.display()))
    };
    let default = serve(&root, c.spa.as_ref())?;
    let vhosts = c
        .vhost
        .iter()
        .map(|v| Ok((v.host.trim_end_matches('.').to_ascii_lowercase(), serve(&v.root, v.spa.as_ref())?)))
        .collect::<Result<Vec<_>, String>>()?;
    let root = default.root().to_path_buf();
    let error_pages = c
        .error_pages
        .iter()
        .map(|(s, f)| Ok((s.0, Page::read(&root, f, &format!("error page {}", s.0))?)))
        .collect::<Result<HashMap<_, _>, String>>()?;
    let maintenance = match &c.maintenance {
        Some(f) => Some((Page::read(&root, f, "maintenance page")?, c.retry_after.map_or(300, |d| d.0.as_secs()))),
        None => None,
    };
    Ok(App {
        default,
        vhosts,
        tls: c.tls_cert.is_some(),
        security_headers: c.security_headers.unwrap_or(false),
        dotfiles: c.dotfiles.unwrap_or_default(),
        maintenance,
        redirects: c.redirect.clone(),
        rewrites: c.rewrite.clone(),
        headers: c.headers.clone(),
        try_files: c.try_files.clone(),
        auth: c.basic_auth.clone(),
        cors: c.cors.clone(),
        error_pages,
    })
}

/// The one-line start-up summary (stderr).
fn summary(app: &App, c: &Config, url: &str) -> String {
    let on = |b: bool| if b { "on" } else { "off" };
    let compress = if c.compress.unwrap_or(true) {
        format!("br/zstd/gzip/deflate from {} B", c.compress_min_size.unwrap_or(1024))
    } else {
        "off".to_owned()
    };
    let cache = match c.cache_bytes.unwrap_or(0) {
        0 => "off".to_owned(),
        n => format!("{n} B"),
    };
    format!(
        "fileserver: serving {} at {url} (TLS {}, SPA {}, compression {compress}, precompressed {}, cache {cache}, listing {}, vhosts {}{})",
        app.default.root().display(),
        on(app.tls),
        c.spa.as_deref().unwrap_or("off"),
        on(c.precompressed.unwrap_or(false)),
        on(c.listing.unwrap_or(false)),
        app.vhosts.len(),
        if app.maintenance.is_some() { ", MAINTENANCE" } else { "" },
    )
}

fn configure() -> Result<(Cli, Config, Source), String> {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.to_string())?;
    let source = Source { file: cli.config.clone(), flags: flags_layer(&cli, &matches) };
    let c = source.read(std::env::vars())?;
    let common = &mut cli.common;
    common.host = c.host.clone().unwrap_or_else(|| common.host.clone());
    common.port = c.port.unwrap_or(common.port);
    common.workers = c.workers;
    common.tls_cert = c.tls_cert.clone();
    common.tls_key = c.tls_key.clone();
    if common.tls_cert.is_some() != common.tls_key.is_some() {
        return Err("tls-cert and tls-key go together".to_owned());
    }
    Ok((cli, c, source))
}

fn main() -> ExitCode {
    let (cli, config, source) = match configure() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("fileserver: {e}");
            return ExitCode::from(2);
        }
    };
    let quiet = config.quiet.unwrap_or(false);
    cli::init_logging(quiet);
    let live = match build(&config) {
        Ok(a) => Arc::new(Live::new(a, source, config.clone())),
        Err(e) => {
            eprintln!("fileserver: {e}");
            return ExitCode::from(2);
        }
    };
    let hup = Arc::clone(&live);
    cli::on_reload(move || hup.reload_and_log());
    let log = !quiet;
    let handler_live = Arc::clone(&live);
    let handler = move |req: Request| {
        let app = handler_live.current();
        async move {
            if !log {
                return app.handle(req).await;
            }
            let start = Instant::now();
            let method = req.method().clone();
            let target = req.uri().path_and_query().map_or_else(|| req.path().to_owned(), |p| p.to_string());
            let resp = app.handle(req).await;
            let bytes = if method == Method::HEAD { 0 } else { resp.body().exact_len().unwrap_or(0) };
            tracing::info!("{method} {target} {} {bytes} {:.3}ms", resp.status().as_u16(), ms(start));
            resp
        }
    };
    let result = cli::run(&cli.common, |o| async {
        let server = Server::serve(o, handler).await?;
        eprintln!("{}", summary(&live.current(), &config, &server.url()));
        Ok(server)
    });
    match result {
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
