//! The connection pool: idle HTTP/1.1 connections per origin (newest first, at most
//! `max_idle_per_origin`, dropped after `idle_timeout`), and one shared HTTP/2 connection
//! per origin.

use std::collections::HashMap;
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
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).h2.insert(origin, handle);
    }

    /// Forgets a failed HTTP/2 connection.
    pub(crate) fn drop_h2(&self, origin: &Origin) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).h2.remove(origin);
    }
}
