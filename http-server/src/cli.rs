//! What every binary shares: `--host`, `--port`, `--workers`, the runtime, logging, and
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
    /// Address to bind (loopback by default).
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
        ServerOptions::new().host(self.host.clone()).port(self.port)
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

/// `--workers`: a whole number of threads, at least 1.
fn parse_workers(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err(WORKERS_ZERO.trim_start_matches("--workers ").to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{s:?} is not a number of threads: {e}")),
    }
}

/// Prints `listening on http://HOST:PORT` (the real bound port) to stdout and flushes it.
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
/// the flags (TLS included), prints the `listening on` line, reloads the certificate and
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
    rt.block_on(async {
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
        let args = CommonArgs { host: "127.0.0.1".into(), port: 0, workers: Some(0), tls_cert: None, tls_key: None };
        let err = args.runtime().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("--workers must be at least 1"), "{err}");
    }
}
