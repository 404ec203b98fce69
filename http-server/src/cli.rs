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
pub struct CommonArgs {
    /// Address to bind (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind; 0 picks a free port.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Runtime worker threads (default: the number of cores).
    #[arg(long)]
    pub workers: Option<usize>,
}

impl CommonArgs {
    /// Server options with this host and port.
    pub fn options(&self) -> ServerOptions {
        ServerOptions::new().host(self.host.clone()).port(self.port)
    }

    /// A multi-threaded tokio runtime with `--workers` threads.
    pub fn runtime(&self) -> std::io::Result<tokio::runtime::Runtime> {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        if let Some(n) = self.workers {
            b.worker_threads(n.max(1));
        }
        b.enable_all().build()
    }
}

/// Prints `listening on http://HOST:PORT` (the real bound port) to stdout and flushes it.
pub fn announce(server: &Server) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", server.url());
    let _ = out.flush();
}

/// Logs to stderr through `tracing` (`RUST_LOG` overrides; `quiet` shows warnings only).
pub fn init_logging(quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if quiet { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// Runs a binary's server: builds the runtime, starts the server with the options from
/// the flags, prints the `listening on` line, and shuts down gracefully on Ctrl-C/SIGTERM.
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
    rt.block_on(async {
        let server = start(args.options()).await?;
        announce(&server);
        server.shutdown_on_signal().await;
        Ok(())
    })
}
