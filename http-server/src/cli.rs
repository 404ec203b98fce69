//! What every binary shares: `--host`, `--port`, `--workers`, TLS, trusted proxies and the
//! PROXY protocol, `--health` and `--drain`, `--metrics` and `--metrics-addr`,
//! `--access-log` and `--access-log-file`, the runtime, logging, and
//! the `listening on http://HOST:PORT` line that scripts wait for.

use std::io::Write;

use crate::{Server, ServerOptions};

/// The flags every binary takes.
///
/// ```
/// use clap::Parser;
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     common: http_server::cli::CommonArgs,
/// }
/// let cli = Cli::parse_from(["prog", "--port", "0"]);
/// assert_eq!(cli.common.options().get_port(), 0);
/// assert_eq!(cli.common.options().get_host(), "127.0.0.1");
/// ```
#[derive(Debug, Clone, clap::Args)]
// Keep this doc comment out of every binary's --help.
#[command(about = None, long_about = None)]
pub struct CommonArgs {
    /// Address, host name or network interface name (eth0) to bind (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind; 0 picks a free port.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Runtime worker threads, at least 1 (default: the number of cores).
    #[arg(long, value_parser = parse_workers)]
    pub workers: Option<usize>,
    /// TLS certificate chain (PEM); with --tls-key, serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// TLS private key (PEM: PKCS#8, RSA or EC). SIGHUP reloads the certificate and key.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Expect a PROXY protocol (v1 or v2) header on every connection, from --trusted-proxies only.
    #[arg(long, requires = "trusted_proxies")]
    pub proxy_protocol: bool,
    /// Listen on this Unix domain socket instead of --host/--port.
    #[arg(long, value_name = "PATH")]
    pub unix: Option<std::path::PathBuf>,
    /// Set SO_REUSEPORT, so several processes can share the port.
    #[arg(long)]
    pub reuseport: bool,
    /// Networks whose PROXY headers and Forwarded/X-Forwarded-* fields are believed
    /// (CIDRs, comma-separated; also `loopback` and `private`).
    #[arg(long, value_name = "CIDR[,CIDR...]", value_parser = parse_trusted)]
    pub trusted_proxies: Option<String>,
    /// Serve /healthz (alive: 200) and /readyz (200, or 503 while draining).
    #[arg(long)]
    pub health: bool,
    /// On SIGTERM, report not-ready (/readyz 503, Connection: close, HTTP/2 GOAWAY) and keep
    /// serving this long before the graceful close (seconds, or with ms/s/m: 500ms, 5s).
    #[arg(long, value_name = "SECS", default_value = "0", value_parser = parse_duration)]
    pub drain: std::time::Duration,
    /// Serve Prometheus metrics at /metrics on this listener.
    #[arg(long)]
    pub metrics: bool,
    /// Serve Prometheus metrics at /metrics on a listener of their own (HOST:PORT).
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port)]
    pub metrics_addr: Option<String>,
    /// Log every request to stdout (after the `listening on` line), or to --access-log-file.
    #[arg(long, value_name = "combined|json")]
    pub access_log: Option<crate::LogFormat>,
    /// Append the access log to this file instead (format: --access-log, default combined).
    #[arg(long, value_name = "PATH")]
    pub access_log_file: Option<std::path::PathBuf>,
}

impl CommonArgs {
    /// Server options with this host and port (TLS is applied by [`run`], which can fail).
    ///
    /// ```
    /// use clap::Parser;
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     common: http_server::cli::CommonArgs,
    /// }
    /// let cli = Cli::parse_from(["prog", "--host", "0.0.0.0", "--port", "9000"]);
    /// let opts = cli.common.options();
    /// assert_eq!((opts.get_host(), opts.get_port()), ("0.0.0.0", 9000));
    /// ```
    pub fn options(&self) -> ServerOptions {
        let trusted = self.trusted_proxies.as_deref().map(crate::Cidr::parse_list);
        let mut options = ServerOptions::new()
            .host(self.host.clone())
            .port(self.port)
            .reuseport(self.reuseport)
            .health_endpoints(self.health)
            .drain(self.drain)
            .metrics_endpoint(self.metrics)
            .proxy_protocol(self.proxy_protocol)
            // validated when parsed
            .trusted_proxies(trusted.and_then(Result::ok).unwrap_or_default());
        #[cfg(unix)]
        if let Some(path) = &self.unix {
            options = options.unix(path.clone());
        }
        if self.metrics || self.metrics_addr.is_some() {
            options = options.metrics(crate::Metrics::new());
        }
        options
    }

    /// The access log from `--access-log`/`--access-log-file`, if asked for: to the file
    /// when one is given (which can fail), else to stdout, held until [`announce`] has
    /// printed the `listening on` line.
    ///
    /// ```
    /// use clap::Parser;
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     common: http_server::cli::CommonArgs,
    /// }
    /// assert!(Cli::parse_from(["prog"]).common.access_log()?.is_none());
    /// let json = Cli::parse_from(["prog", "--access-log", "json"]).common.access_log()?;
    /// assert_eq!(json.map(|l| l.format()), Some(http_server::LogFormat::Json));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn access_log(&self) -> std::io::Result<Option<crate::AccessLog>> {
        let format = self.access_log.unwrap_or(crate::LogFormat::Combined);
        match (&self.access_log_file, self.access_log) {
            (Some(path), _) => crate::AccessLog::file(path, format).map(Some),
            (None, Some(_)) => Ok(Some(crate::AccessLog::stdout(format).held())),
            (None, None) => Ok(None),
        }
    }

    /// The TLS configuration from `--tls-cert`/`--tls-key`, if given.
    ///
    /// ```
    /// use clap::Parser;
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     common: http_server::cli::CommonArgs,
    /// }
    /// let plain = Cli::parse_from(["prog"]);
    /// assert!(plain.common.tls()?.is_none());
    /// let tls = Cli::parse_from(["prog", "--tls-cert", "/missing/cert.pem", "--tls-key", "/missing/key.pem"]);
    /// assert!(tls.common.tls().is_err(), "the files cannot be read");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tls(&self) -> std::io::Result<Option<crate::TlsConfig>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => crate::TlsConfig::from_pem_files(cert, key).map(Some),
            _ => Ok(None),
        }
    }

    /// A multi-threaded tokio runtime with `--workers` threads.
    ///
    /// ```
    /// use clap::Parser;
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     common: http_server::cli::CommonArgs,
    /// }
    /// let cli = Cli::parse_from(["prog", "--workers", "2"]);
    /// let rt = cli.common.runtime()?;
    /// assert_eq!(rt.metrics().num_workers(), 2);
    /// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn runtime(&self) -> std::io::Result<tokio::runtime::Runtime> {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        if let Some(n) = self.workers {
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, WORKERS_ZERO));
            }
            b.worker_threads(n);
        }
        b.enable_all().build()
    }
}

const WORKERS_ZERO: &str = "--workers must be at least 1 (a runtime needs a worker thread)";

/// `--trusted-proxies`: checked here, parsed again by [`CommonArgs::options`].
fn parse_trusted(s: &str) -> Result<String, String> {
    crate::Cidr::parse_list(s).map(|_| s.to_owned())
}

/// `--metrics-addr`: `HOST:PORT` (an IPv6 host in brackets).
fn parse_host_port(s: &str) -> Result<String, String> {
    let (host, port) = split_host_port(s).ok_or_else(|| format!("{s:?} is not HOST:PORT"))?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!("{s:?} is not HOST:PORT"));
    }
    Ok(s.to_owned())
}

fn split_host_port(s: &str) -> Option<(&str, &str)> {
    let (host, port) = s.rsplit_once(':')?;
    Some((host.trim_start_matches('[').trim_end_matches(']'), port))
}

/// Serves `/metrics` (and nothing else) on `addr`, for `--metrics-addr`; its own
/// requests are not recorded.
async fn metrics_server(addr: &str, metrics: crate::Metrics) -> std::io::Result<Server> {
    let (host, port) = split_host_port(addr).unwrap_or(("127.0.0.1", "0"));
    let options = ServerOptions::new().host(host).port(port.parse().unwrap_or(0));
    let handler = move |req: http_core::Request| {
        let text = (req.path() == "/metrics").then(|| metrics.render());
        async move {
            let response = match text {
                Some(text) => http_core::Response::new(http::StatusCode::OK)
                    .with_header("content-type", http_core::metrics::CONTENT_TYPE)
                    .with_body(text),
                None => http_core::Response::new(http::StatusCode::NOT_FOUND),
            };
            response.with_header("cache-control", "no-store")
        }
    };
    let server = Server::serve(options, handler).await?;
    tracing::info!(url = %server.url(), "metrics at /metrics");
    Ok(server)
}

/// `--drain`: seconds (`5`, `0.5`), or a number with `ms`, `s` or `m`.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        other => return Err(format!("unknown unit {other:?} (use ms, s or m)")),
    };
    let n: f64 = number.parse().map_err(|_| format!("{s:?} is not a duration (seconds, or 500ms, 5s, 1m)"))?;
    std::time::Duration::try_from_secs_f64(n * scale).map_err(|e| format!("{s:?}: {e}"))
}

/// `--workers`: a whole number of threads, at least 1.
fn parse_workers(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err(WORKERS_ZERO.trim_start_matches("--workers ").to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{s:?} is not a number of threads: {e}")),
    }
}

/// Prints `listening on http://HOST:PORT` (the real bound port) to stdout and flushes it;
/// then an access log to stdout may write.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use http_core::Request;
/// use http_server::{Server, ServerOptions, cli};
/// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
/// cli::announce(&server); // prints `listening on http://127.0.0.1:PORT`
/// # server.close().await;
/// # Ok(()) }
/// ```
pub fn announce(server: &Server) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", server.url());
    let _ = out.flush();
    drop(out);
    server.open_access_log();
}

/// Logs to stderr through `tracing` (`RUST_LOG` overrides; `quiet` shows warnings only).
///
/// ```
/// http_server::cli::init_logging(false); // INFO and up to stderr, unless RUST_LOG says otherwise
/// http_server::cli::init_logging(true); // a second call is harmless: the first subscriber stays
/// tracing::info!("logging is set up");
/// ```
pub fn init_logging(quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if quiet { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// Runs a binary's server: builds the runtime, starts the server with the options from
/// the flags (TLS included) on the sockets systemd passed (`LISTEN_FDS`) if any, else on
/// `--unix` or `--host`/`--port`, prints the `listening on` line, reloads the certificate and
/// runs the [`on_reload`] hooks on SIGHUP (a server with neither logs and ignores SIGHUP),
/// and shuts down gracefully on Ctrl-C/SIGTERM.
///
/// ```no_run
/// use clap::Parser;
/// use http_core::Request;
/// use http_server::{Server, cli};
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     common: cli::CommonArgs,
/// }
/// fn main() -> std::io::Result<()> {
///     let cli = Cli::parse();
///     cli::run(&cli.common, |opts| Server::serve(opts, |_r: Request| async { "hi" }))
/// }
/// ```
pub fn run<F, Fut>(args: &CommonArgs, start: F) -> std::io::Result<()>
where
    F: FnOnce(ServerOptions) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<Server>>,
{
    let rt = args.runtime()?;
    let mut options = args.options();
    if let Some(tls) = args.tls()? {
        options = options.tls(tls);
    }
    if let Some(log) = args.access_log()? {
        options = options.access_log(log);
    }
    #[cfg(unix)]
    {
        let _runtime = rt.enter();
        for listener in crate::Listener::from_systemd()? {
            options = options.listener(listener);
        }
    }
    let metrics = options.metrics.clone();
    rt.block_on(async {
        // A server of its own for the metrics: one that does not count its own scrapes.
        let metrics_server = match (&args.metrics_addr, metrics) {
            (Some(addr), Some(m)) => Some(metrics_server(addr, m).await?),
            _ => None,
        };
        let server = start(options).await?;
        // SIGHUP's default action ends the process: take it over, with or without TLS, before
        // the `listening on` line tells scripts that they may send it.
        #[cfg(unix)]
        if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            let server = server.clone();
            let files = args.tls_cert.clone().zip(args.tls_key.clone());
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    match &files {
                        None if reload_hooks() == 0 => tracing::info!("SIGHUP ignored: nothing to reload"),
                        None => {}
                        Some((cert, key)) => match server.reload_tls(cert, key) {
                            Ok(()) => tracing::info!("TLS certificate reloaded"),
                            Err(e) => tracing::error!(error = %e, "TLS reload failed; keeping the old certificate"),
                        },
                    }
                    run_reload_hooks();
                }
            });
        }
        announce(&server);
        server.shutdown_on_signal().await;
        if let Some(m) = metrics_server {
            m.close().await;
        }
        Ok(())
    })
}

type ReloadHook = Box<dyn Fn() + Send>;

/// The [`on_reload`] hooks, in the order they were added.
static RELOAD_HOOKS: std::sync::Mutex<Vec<ReloadHook>> = std::sync::Mutex::new(Vec::new());

/// Runs `hook` on every SIGHUP that [`run`] receives (after the TLS certificate is
/// reloaded), e.g. to read a configuration file again. SIGHUP is process-wide, so the
/// hooks are too; they run one after another on a runtime thread and should be quick.
///
/// ```
/// http_server::cli::on_reload(|| tracing::info!("reading the settings again"));
/// ```
pub fn on_reload(hook: impl Fn() + Send + 'static) {
    RELOAD_HOOKS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(Box::new(hook));
}

fn reload_hooks() -> usize {
    RELOAD_HOOKS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
}

fn run_reload_hooks() {
    for hook in RELOAD_HOOKS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
        hook();
    }
}

fn common_args(about: &'static str) -> std::io::Result<CommonArgs> {
    use clap::{Args, FromArgMatches};
    let name = std::env::args()
        .next()
        .and_then(|a| std::path::Path::new(&a).file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "server".to_owned());
    let matches = CommonArgs::augment_args(clap::Command::new("server")).bin_name(name).about(about).get_matches();
    CommonArgs::from_arg_matches(&matches).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
}

/// A whole `main` for a serve-style server: parses `--host/--port/--workers/--tls-*`,
/// logs to stderr, prints the `listening on` line, runs until Ctrl-C/SIGTERM.
///
/// ```no_run
/// use http_core::Request;
/// fn main() -> std::io::Result<()> {
///     http_server::cli::serve_main("Says hello", |_req: Request| async { "Hello, World!" })
/// }
/// ```
pub fn serve_main<H: http_core::Handler>(about: &'static str, handler: H) -> std::io::Result<()> {
    let args = common_args(about)?;
    init_logging(false);
    run(&args, |opts| Server::serve(opts, handler))
}

/// [`serve_main`] for a listen-style (stream) handler or a router.
///
/// ```no_run
/// use http_core::Stream;
/// async fn hello(s: &mut Stream) {
///     let _ = s.write("Hello, World!").await;
/// }
/// fn main() -> std::io::Result<()> {
///     http_server::cli::listen_main("Says hello", hello)
/// }
/// ```
pub fn listen_main<H: http_core::StreamHandler>(about: &'static str, handler: H) -> std::io::Result<()> {
    let args = common_args(about)?;
    init_logging(false);
    run(&args, |opts| Server::listen(opts, handler))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        common: CommonArgs,
    }

    #[test]
    fn workers_flag_table() {
        let rows: [(&str, Result<Option<usize>, &str>); 4] = [
            ("", Ok(None)),
            ("3", Ok(Some(3))),
            ("0", Err("must be at least 1")),
            ("many", Err("is not a number of threads")),
        ];
        for (value, want) in rows {
            let argv: Vec<&str> = if value.is_empty() { vec!["prog"] } else { vec!["prog", "--workers", value] };
            match (Cli::try_parse_from(argv), want) {
                (Ok(cli), Ok(w)) => assert_eq!(cli.common.workers, w, "{value}"),
                (Err(e), Err(text)) => assert!(e.to_string().contains(text), "{value}: {e}"),
                (got, want) => panic!("{value}: got {:?}, want {want:?}", got.map(|c| c.common.workers)),
            }
        }
    }

    #[test]
    fn proxy_flags_table() {
        type Row<'a> = (&'a [&'a str], Result<(bool, usize), &'a str>);
        let rows: [Row; 5] = [
            (&[], Ok((false, 0))),
            (&["--trusted-proxies", "10.0.0.0/8,loopback"], Ok((false, 3))),
            (&["--proxy-protocol", "--trusted-proxies", "private"], Ok((true, 4))),
            (&["--proxy-protocol"], Err("--trusted-proxies")),
            (&["--trusted-proxies", "10.0.0.0/40"], Err("is not an IP network")),
        ];
        for (flags, want) in rows {
            let argv = std::iter::once("prog").chain(flags.iter().copied());
            match (Cli::try_parse_from(argv), want) {
                (Ok(cli), Ok((pp, n))) => {
                    let o = cli.common.options();
                    assert_eq!((o.proxy_protocol, o.trusted_proxies.len()), (pp, n), "{flags:?}");
                }
                (Err(e), Err(text)) => assert!(e.to_string().contains(text), "{flags:?}: {e}"),
                (got, want) => panic!("{flags:?}: got {:?}, want {want:?}", got.is_ok()),
            }
        }
    }

    #[test]
    fn drain_flag_table() {
        use std::time::Duration;
        let rows: [(&[&str], Result<Duration, &str>); 7] = [
            (&[], Ok(Duration::ZERO)),
            (&["--drain", "5"], Ok(Duration::from_secs(5))),
            (&["--drain", "2.5"], Ok(Duration::from_millis(2500))),
            (&["--drain", "5s"], Ok(Duration::from_secs(5))),
            (&["--drain", "250ms"], Ok(Duration::from_millis(250))),
            (&["--drain", "1m"], Ok(Duration::from_secs(60))),
            (&["--drain", "5h"], Err("unknown unit")),
        ];
        for (flags, want) in rows {
            let argv = std::iter::once("prog").chain(flags.iter().copied());
            match (Cli::try_parse_from(argv), want) {
                (Ok(cli), Ok(d)) => assert_eq!(cli.common.options().drain, d, "{flags:?}"),
                (Err(e), Err(text)) => assert!(e.to_string().contains(text), "{flags:?}: {e}"),
                (got, want) => panic!("{flags:?}: got {:?}, want {want:?}", got.map(|c| c.common.drain)),
            }
        }
        assert!(Cli::try_parse_from(["prog", "--drain", "soon"]).is_err());
        assert!(Cli::try_parse_from(["prog", "--drain", "-1"]).is_err());
        let health = Cli::parse_from(["prog", "--health"]).common.options();
        assert!(health.health_endpoints);
    }

    #[test]
    fn observability_flags_table() {
        // (flags, metrics recorded, /metrics on the listener, access log format)
        type Row<'a> = (&'a [&'a str], Result<(bool, bool, Option<crate::LogFormat>), &'a str>);
        let rows: [Row; 7] = [
            (&[], Ok((false, false, None))),
            (&["--metrics"], Ok((true, true, None))),
            (&["--metrics-addr", "127.0.0.1:9100"], Ok((true, false, None))),
            (&["--metrics-addr", "[::1]:9100"], Ok((true, false, None))),
            (&["--metrics-addr", "9100"], Err("is not HOST:PORT")),
            (&["--access-log", "json"], Ok((false, false, Some(crate::LogFormat::Json)))),
            (&["--access-log", "xml"], Err("unknown access log format")),
        ];
        for (flags, want) in rows {
            let argv = std::iter::once("prog").chain(flags.iter().copied());
            match (Cli::try_parse_from(argv), want) {
                (Ok(cli), Ok((recorded, endpoint, log))) => {
                    let o = cli.common.options();
                    assert_eq!(
                        (o.metrics.is_some(), o.metrics_endpoint, cli.common.access_log),
                        (recorded, endpoint, log)
                    );
                }
                (Err(e), Err(text)) => assert!(e.to_string().contains(text), "{flags:?}: {e}"),
                (got, want) => panic!("{flags:?}: got {:?}, want {want:?}", got.is_ok()),
            }
        }
    }

    #[test]
    fn reload_hooks_run_in_order_on_each_call() {
        use std::sync::{Arc, Mutex};
        let seen = Arc::new(Mutex::new(Vec::new()));
        for n in [1, 2] {
            let seen = Arc::clone(&seen);
            on_reload(move || seen.lock().unwrap().push(n));
        }
        assert!(reload_hooks() >= 2);
        run_reload_hooks();
        run_reload_hooks();
        assert_eq!(*seen.lock().unwrap(), [1, 2, 1, 2]);
    }

    #[test]
    fn zero_workers_built_in_code_is_an_error_too() {
        let args = Cli::parse_from(["prog", "--port", "0"]).common;
        let args = CommonArgs { workers: Some(0), ..args };
        let err = args.runtime().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("--workers must be at least 1"), "{err}");
    }
}
