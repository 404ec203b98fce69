//! The running server's lifecycle: open connections, waiting, a graceful close within the
//! shutdown deadline, an immediate close, draining (not-ready first, still serving: the
//! readiness endpoint answers 503, HTTP/1 answers carry `Connection: close`, HTTP/2 sends
//! GOAWAY) and the signal-driven shutdown of the binaries.

use super::*;

impl Server {
    /// Open connections right now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// assert_eq!(server.connections(), 0);
    /// # server.close().await;
    /// # Ok(()) }
    /// ```
    pub fn connections(&self) -> usize {
        self.shared.conns.load(Ordering::Acquire)
    }

    /// True until `close` or `forceclose` is called.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// assert!(server.is_open());
    /// server.close().await;
    /// assert!(!server.is_open());
    /// # Ok(()) }
    /// ```
    pub fn is_open(&self) -> bool {
        !self.shared.graceful.is_cancelled()
    }

    /// Waits until the server has been closed and its connections have ended.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// let handle = server.clone();
    /// tokio::spawn(async move { handle.close().await });
    /// server.wait().await; // returns once the server is closed
    /// assert!(!server.is_open());
    /// # Ok(()) }
    /// ```
    pub async fn wait(&self) {
        self.shared.closed.cancelled().await
    }

    /// Graceful shutdown: stop accepting (new connections are refused), close idle
    /// keep-alive connections, let in-flight requests finish within `shutdown_timeout`,
    /// then cut what remains.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// let addr = server.local_addr();
    /// server.close().await;
    /// assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no longer accepting");
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) {
        let s = &self.shared;
        s.health.set_ready(false);
        s.graceful.cancel();
        s.accept_done.cancelled().await;
        if !s.wait_for_no_connections(s.shutdown_timeout).await {
            tracing::warn!(open = self.connections(), "shutdown_timeout passed; closing the remaining connections");
            s.abort_all();
            s.wait_for_no_connections(Duration::from_secs(5)).await;
        }
        s.closed.cancel();
    }

    /// Immediate shutdown: stop accepting and close every connection now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// server.forceclose().await;
    /// assert!(!server.is_open());
    /// assert_eq!(server.connections(), 0);
    /// # Ok(()) }
    /// ```
    pub async fn forceclose(&self) {
        let s = &self.shared;
        s.health.set_ready(false);
        s.graceful.cancel();
        s.accept_done.cancelled().await;
        s.abort_all();
        s.wait_for_no_connections(Duration::from_secs(5)).await;
        s.closed.cancel();
    }

    /// Drains, then closes gracefully: the server reports not-ready (its [`Health`] turns
    /// not-ready, so `/readyz` answers 503), HTTP/1.1 answers carry `Connection: close`,
    /// HTTP/2 connections get GOAWAY, and requests (on new connections too) are still
    /// served for `period`, so a load balancer probing `/readyz` takes the instance out of
    /// rotation before it stops accepting; then [`close`](Self::close), whose
    /// `shutdown_timeout` bounds what follows. Returns early if the server is closed
    /// elsewhere meanwhile.
    ///
    /// [`Health`]: http_core::Health
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use std::time::Duration;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// let draining = tokio::spawn({
    ///     let server = server.clone();
    ///     async move { server.drain(Duration::from_millis(200)).await }
    /// });
    /// tokio::time::sleep(Duration::from_millis(50)).await;
    /// assert!(!server.health().is_ready() && server.is_open(), "draining: not ready, still serving");
    /// draining.await.unwrap();
    /// assert!(!server.is_open());
    /// # Ok(()) }
    /// ```
    pub async fn drain(&self, period: Duration) {
        let s = &self.shared;
        s.health.set_ready(false);
        s.draining.cancel();
        tracing::info!(drain_ms = period.as_millis() as u64, "draining: reporting not-ready");
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            () = s.graceful.token().cancelled() => {}
        }
        self.close().await;
    }

    /// True once [`drain`](Self::drain) (or a close) began.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// assert!(!server.is_draining());
    /// server.close().await;
    /// assert!(server.is_draining());
    /// # Ok(()) }
    /// ```
    pub fn is_draining(&self) -> bool {
        self.shared.draining.is_cancelled()
    }

    /// Lets a held access log write (`cli::announce` calls it after the first line).
    #[cfg_attr(not(feature = "cli"), allow(dead_code))] // held and opened by `cli` only
    pub(crate) fn open_access_log(&self) {
        if let Some(log) = &self.access_log {
            log.open();
        }
    }

    /// The server's readiness handle ([`ServerOptions::health`], or its own): not-ready
    /// from the start of a drain or close on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// let health = server.health();
    /// assert!(health.is_ready());
    /// server.close().await;
    /// assert!(!health.is_ready());
    /// # Ok(()) }
    /// ```
    pub fn health(&self) -> http_core::Health {
        self.shared.health.clone()
    }

    /// Waits for Ctrl-C or SIGTERM (or for the server to be closed elsewhere), then
    /// drains for [`ServerOptions::drain`] (see [`drain`](Self::drain)) and closes
    /// gracefully.
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> std::io::Result<()> {
    /// use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new(), |_r: Request| async { "hi" }).await?;
    /// server.shutdown_on_signal().await; // returns after Ctrl-C / SIGTERM and a graceful close
    /// assert!(!server.is_open());
    /// # Ok(()) }
    /// ```
    pub async fn shutdown_on_signal(&self) {
        tokio::select! {
            () = shutdown_signal() => {
                tracing::info!("signal received; shutting down");
                self.drain(self.shared.drain).await;
            }
            () = self.wait() => {}
        }
    }
}
