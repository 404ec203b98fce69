//! The connection pool: idle HTTP/1.1 connections per origin (newest first, at most
//! `max_idle_per_origin`, dropped after `idle_timeout`), and one shared HTTP/2 connection
//! per origin.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::h1::H1Conn;
use crate::h2::H2Handle;
use crate::url::Origin;

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolConfig {
    pub(crate) max_idle_per_origin: usize,
    pub(crate) idle_timeout: Duration,
}

#[derive(Debug, Default)]
struct Inner {
    idle: HashMap<Origin, Vec<H1Conn>>,
    h2: HashMap<Origin, H2Handle>,
    /// Origins that have answered on HTTP/2: connecting to them again waits at their gate.
    h2_origins: HashSet<Origin>,
    /// Per-origin gates: one HTTP/2 connection is set up at a time, and the requests that
    /// waited behind it share it instead of opening connections of their own.
    gates: HashMap<Origin, Arc<tokio::sync::Mutex<()>>>,
}

/// Shared by a client's clones.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    inner: Arc<Mutex<Inner>>,
    config: PoolConfig,
}

impl Pool {
    pub(crate) fn new(config: PoolConfig) -> Self {
        Pool { inner: Arc::default(), config }
    }

    /// An idle HTTP/1.1 connection to `origin` that still looks alive.
    pub(crate) fn take_h1(&self, origin: &Origin) -> Option<H1Conn> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let list = inner.idle.get_mut(origin)?;
        let now = Instant::now();
        while let Some(mut conn) = list.pop() {
            if now.duration_since(conn.idle_since) < self.config.idle_timeout && conn.looks_alive() {
                conn.reused = true;
                return Some(conn);
            }
        }
        None
    }

    /// Gives back a connection whose last response was read to its end.
    pub(crate) fn put_h1(&self, origin: Origin, mut conn: H1Conn) {
        if self.config.max_idle_per_origin == 0 {
            return;
        }
        conn.idle_since = Instant::now();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let list = inner.idle.entry(origin).or_default();
        let now = Instant::now();
        list.retain(|c| now.duration_since(c.idle_since) < self.config.idle_timeout);
        if list.len() >= self.config.max_idle_per_origin {
            list.remove(0);
        }
        list.push(conn);
    }

    /// The HTTP/2 connection to `origin`, when there is one.
    pub(crate) fn h2(&self, origin: &Origin) -> Option<H2Handle> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).h2.get(origin).cloned()
    }

    pub(crate) fn put_h2(&self, origin: Origin, handle: H2Handle) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.h2_origins.insert(origin.clone());
        inner.h2.insert(origin, handle);
    }

    /// The gate to hold while connecting to `origin`, when the new connection will (or may)
    /// be HTTP/2: `expect_h2` (prior knowledge), or the origin answered on HTTP/2 before.
    pub(crate) fn h2_gate(&self, origin: &Origin, expect_h2: bool) -> Option<Arc<tokio::sync::Mutex<()>>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if !expect_h2 && !inner.h2_origins.contains(origin) {
            return None;
        }
        Some(Arc::clone(inner.gates.entry(origin.clone()).or_default()))
    }

    /// Forgets a failed HTTP/2 connection.
    pub(crate) fn drop_h2(&self, origin: &Origin) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).h2.remove(origin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::Io;
    use crate::url::Scheme;

    /// A connected pair: the client's side as a pooled connection, and the server's end.
    async fn conn() -> (H1Conn, tokio::net::TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (H1Conn::new(Io::Tcp(client)), server)
    }

    fn origin() -> Origin {
        Origin { scheme: Scheme::Http, host: "a".into(), port: 80 }
    }

    #[tokio::test]
    async fn idle_limit_idle_timeout_and_closed_peers() {
        let pool = Pool::new(PoolConfig { max_idle_per_origin: 1, idle_timeout: Duration::from_millis(200) });
        let ((a, _sa), (b, _sb)) = (conn().await, conn().await);
        pool.put_h1(origin(), a);
        pool.put_h1(origin(), b);
        assert!(pool.take_h1(&origin()).is_some_and(|c| c.reused), "the newest is kept");
        assert!(pool.take_h1(&origin()).is_none(), "one idle connection per origin");
        // Idle past the timeout: dropped.
        let (c, _sc) = conn().await;
        pool.put_h1(origin(), c);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(pool.take_h1(&origin()).is_none());
        // Closed by the server while idle: dropped.
        let (d, sd) = conn().await;
        pool.put_h1(origin(), d);
        drop(sd);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(pool.take_h1(&origin()).is_none());
        // Pooling off.
        let off = Pool::new(PoolConfig { max_idle_per_origin: 0, idle_timeout: Duration::from_secs(60) });
        let (e, _se) = conn().await;
        off.put_h1(origin(), e);
        assert!(off.take_h1(&origin()).is_none());
    }
}
