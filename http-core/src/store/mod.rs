//! [`Store`]: the [`SharedMap`] operations (`fetch`, `share`, atomic `update`, `incr`,
//! `remove`) behind one async interface, on an in-process map or — with the `redis`
//! feature — on a Redis server that several instances of a service share.
//!
//! Handler code is the same for both backends; which one a [`Store`] uses is configuration
//! ([`Store::open`] takes `memory` or a `redis://` URL). Values are UTF-8 strings, keys too.

#[cfg(feature = "redis")]
mod redis_backend;

use std::fmt;

use crate::state::SharedMap;

#[cfg(feature = "redis")]
pub use redis_backend::RedisStore;

/// A key-value store shared by all requests — of this process ([`Store::memory`]) or of
/// every process connected to the same Redis server ([`Store::redis`]). Cloning shares the
/// same store (and, for Redis, the same multiplexed connection).
///
/// Every operation is atomic on its own; [`update`](Self::update) makes read-modify-write
/// atomic, [`incr`](Self::incr) is the fast path for integer counters.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), http_core::StoreError> {
/// use http_core::Store;
/// let store = Store::open("memory").await?; // or Store::open("redis://127.0.0.1:6379/")
/// store.share("motd", "hello").await?;
/// assert_eq!(store.fetch("motd").await?.as_deref(), Some("hello"));
/// assert_eq!(store.incr("hits", 1).await?, 1);
/// let new = store.update("motd", |old| format!("{}!", old.unwrap_or_default())).await?;
/// assert_eq!(new, "hello!");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Memory(SharedMap<String>),
    #[cfg(feature = "redis")]
    Redis(RedisStore),
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.backend {
            Backend::Memory(map) => f.debug_struct("Store").field("memory", &map.len()).finish(),
            #[cfg(feature = "redis")]
            Backend::Redis(r) => f.debug_struct("Store").field("redis", r).finish(),
        }
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::memory()
    }
}

impl From<SharedMap<String>> for Store {
    fn from(map: SharedMap<String>) -> Self {
        Store { backend: Backend::Memory(map) }
    }
}

impl Store {
    /// An empty in-process store.
    ///
    /// ```
    /// let store = http_core::Store::memory();
    /// assert!(!store.is_redis());
    /// ```
    pub fn memory() -> Self {
        Store::from(SharedMap::new())
    }

    /// The store `spec` names: `memory` (or an empty string) for an in-process store,
    /// `redis://HOST:PORT/DB`, `rediss://…` or `redis+unix:///PATH` for a Redis server
    /// (needs the `redis` feature; connects once to check the server answers).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Store, StoreErrorKind};
    /// assert!(!Store::open("memory").await.unwrap().is_redis());
    /// let err = Store::open("mongodb://db").await.unwrap_err();
    /// assert_eq!(err.kind(), StoreErrorKind::Config);
    /// # }
    /// ```
    pub async fn open(spec: &str) -> Result<Store, StoreError> {
        let spec = spec.trim();
        if spec.is_empty() || spec == "memory" {
            return Ok(Store::memory());
        }
        if spec.starts_with("redis://") || spec.starts_with("rediss://") || spec.starts_with("redis+unix://") {
            #[cfg(feature = "redis")]
            return Store::redis(spec).await;
            #[cfg(not(feature = "redis"))]
            return Err(StoreError::new(StoreErrorKind::Config, "Redis needs http-core's `redis` feature"));
        }
        Err(StoreError::new(StoreErrorKind::Config, format!("{spec:?} is neither `memory` nor a redis:// URL")))
    }

    /// A store on the Redis server at `url` (`redis://127.0.0.1:6379/`), over one
    /// multiplexed connection that reconnects by itself. Fails when the server cannot be
    /// reached now.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), http_core::StoreError> {
    /// let store = http_core::Store::redis("redis://127.0.0.1:6379/").await?;
    /// assert_eq!(store.incr("visits", 1).await? >= 1, true);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis")]
    pub async fn redis(url: &str) -> Result<Store, StoreError> {
        Ok(Store { backend: Backend::Redis(RedisStore::connect(url).await?) })
    }

    /// True when the values live on a Redis server.
    ///
    /// ```
    /// assert!(!http_core::Store::default().is_redis());
    /// ```
    pub fn is_redis(&self) -> bool {
        !matches!(self.backend, Backend::Memory(_))
    }

    /// The value under `key`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), http_core::StoreError> {
    /// let store = http_core::Store::memory();
    /// assert_eq!(store.fetch("k").await?, None);
    /// store.share("k", "v").await?;
    /// assert_eq!(store.fetch("k").await?.as_deref(), Some("v"));
    /// # Ok(()) }
    /// ```
    pub async fn fetch(&self, key: &str) -> Result<Option<String>, StoreError> {
        match &self.backend {
            Backend::Memory(map) => Ok(map.fetch(key)),
            #[cfg(feature = "redis")]
            Backend::Redis(r) => r.fetch(key).await,
        }
    }

    /// Stores `value` under `key`, returning the previous value.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), http_core::StoreError> {
    /// let store = http_core::Store::memory();
    /// assert_eq!(store.share("k", "a").await?, None);
    /// assert_eq!(store.share("k", "b").await?.as_deref(), Some("a"));
    /// # Ok(()) }
    /// ```
    pub async fn share(&self, key: &str, value: impl Into<String>) -> Result<Option<String>, StoreError> {
        match &self.backend {
            Backend::Memory(map) => Ok(map.share(key, value.into())),
            #[cfg(feature = "redis")]
            Backend::Redis(r) => r.share(key, &value.into()).await,
        }
    }

    /// Removes `key`, returning its value.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), http_core::StoreError> {
    /// let store = http_core::Store::memory();
    /// store.share("k", "v").await?;
    /// assert_eq!(store.remove("k").await?.as_deref(), Some("v"));
    /// assert_eq!(store.remove("k").await?, None);
    /// # Ok(()) }
    /// ```
    pub async fn remove(&self, key: &str) -> Result<Option<String>, StoreError> {
        match &self.backend {
            Backend::Memory(map) => Ok(map.remove(key)),
            #[cfg(feature = "redis")]
            Backend::Redis(r) => r.remove(key).await,
        }
    }

    /// Atomically replaces the value under `key` with `f(current)` and returns the new
    /// value. In process, `f` runs once under the map's lock. On Redis, `f` runs here and
    /// the result is written only if the value is still the one `f` saw (a compare-and-set
    /// script); otherwise `f` runs again on the newer value — so `f` must be a pure function
    /// of its input. After [`UPDATE_ATTEMPTS`] lost races the update fails with
    /// [`StoreErrorKind::Contention`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), http_core::StoreError> {
    /// let store = http_core::Store::memory();
    /// let append = |old: Option<&str>| format!("{}x", old.unwrap_or_default());
    /// store.update("k", append).await?;
    /// assert_eq!(store.update("k", append).await?, "xx");
    /// # Ok(()) }
    /// ```
    pub async fn update<F>(&self, key: &str, f: F) -> Result<String, StoreError>
    where
        F: FnMut(Option<&str>) -> String,
    {
        let mut f = f;
        match &self.backend {
            Backend::Memory(map) => Ok(map.update(key, |old| f(old.map(String::as_str)))),
            #[cfg(feature = "redis")]
            Backend::Redis(r) => r.update(key, f).await,
        }
    }

    /// Atomically adds `by` to the integer under `key` (missing counts as 0) and returns
    /// the new value; Redis's `INCRBY`. A value that is not an integer is left alone and
    /// the call fails with [`StoreErrorKind::NotANumber`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Store, StoreErrorKind};
    /// let store = Store::memory();
    /// assert_eq!(store.incr("n", 5).await.unwrap(), 5);
    /// assert_eq!(store.incr("n", -2).await.unwrap(), 3);
    /// store.share("word", "hi").await.unwrap();
    /// assert_eq!(store.incr("word", 1).await.unwrap_err().kind(), StoreErrorKind::NotANumber);
    /// assert_eq!(store.fetch("word").await.unwrap().as_deref(), Some("hi"));
    /// # }
    /// ```
    pub async fn incr(&self, key: &str, by: i64) -> Result<i64, StoreError> {
        match &self.backend {
            Backend::Memory(map) => {
                let mut result = Ok(0);
                map.update(key, |old| {
                    let current = old.map_or(Ok(0), |v| v.trim().parse::<i64>());
                    result = match current.map(|n| n.checked_add(by)) {
                        Ok(Some(n)) => Ok(n),
                        Ok(None) => Err(StoreError::new(StoreErrorKind::NotANumber, "increment would overflow")),
                        Err(_) => Err(StoreError::new(StoreErrorKind::NotANumber, "value is not an integer")),
                    };
                    match &result {
                        Ok(n) => n.to_string(),
                        Err(_) => old.cloned().unwrap_or_default(),
                    }
                });
                result
            }
            #[cfg(feature = "redis")]
            Backend::Redis(r) => r.incr(key, by).await,
        }
    }
}

/// How many times [`Store::update`] on Redis retries after another writer changed the
/// value between its read and its write.
pub const UPDATE_ATTEMPTS: usize = 64;

/// What went wrong in a [`Store`] operation.
///
/// ```
/// use http_core::{StoreError, StoreErrorKind};
/// let e = StoreError::new(StoreErrorKind::Unavailable, "connection refused");
/// assert_eq!(e.kind(), StoreErrorKind::Unavailable);
/// assert_eq!(e.to_string(), "store unavailable: connection refused");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
}

/// The kind of a [`StoreError`].
///
/// ```
/// assert_ne!(http_core::StoreErrorKind::NotANumber, http_core::StoreErrorKind::Contention);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store specification or URL is not usable.
    Config,
    /// The backend could not be reached or failed (Redis down, timed out).
    Unavailable,
    /// [`Store::incr`] on a value that is not an integer, or that would overflow.
    NotANumber,
    /// [`Store::update`] lost the race to other writers [`UPDATE_ATTEMPTS`] times.
    Contention,
}

impl StoreError {
    /// An error of `kind` with a message.
    ///
    /// ```
    /// let e = http_core::StoreError::new(http_core::StoreErrorKind::Config, "bad URL");
    /// assert!(e.to_string().contains("bad URL"));
    /// ```
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        StoreError { kind, message: message.into() }
    }

    /// The kind.
    ///
    /// ```
    /// use http_core::{StoreError, StoreErrorKind};
    /// assert_eq!(StoreError::new(StoreErrorKind::Contention, "").kind(), StoreErrorKind::Contention);
    /// ```
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The HTTP status a handler would answer for this error: 409 for a value that is not
    /// a number, 503 for an unreachable store or lost races, 500 for bad configuration.
    ///
    /// ```
    /// use http_core::{StatusCode, StoreError, StoreErrorKind};
    /// assert_eq!(StoreError::new(StoreErrorKind::NotANumber, "").status(), StatusCode::CONFLICT);
    /// assert_eq!(StoreError::new(StoreErrorKind::Unavailable, "").status(), StatusCode::SERVICE_UNAVAILABLE);
    /// ```
    pub fn status(&self) -> http::StatusCode {
        match self.kind {
            StoreErrorKind::NotANumber => http::StatusCode::CONFLICT,
            StoreErrorKind::Unavailable | StoreErrorKind::Contention => http::StatusCode::SERVICE_UNAVAILABLE,
            StoreErrorKind::Config => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            StoreErrorKind::Config => "store configuration",
            StoreErrorKind::Unavailable => "store unavailable",
            StoreErrorKind::NotANumber => "not a number",
            StoreErrorKind::Contention => "store contention",
        };
        write!(f, "{what}: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory_increments_from_many_tasks_are_exact() {
        let store = Store::memory();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    for _ in 0..500 {
                        store.incr("n", 1).await.unwrap();
                        store
                            .update("u", |v| (v.map_or(0, |v| v.parse::<u64>().unwrap()) + 1).to_string())
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(store.fetch("n").await.unwrap().as_deref(), Some("4000"));
        assert_eq!(store.fetch("u").await.unwrap().as_deref(), Some("4000"));
    }

    #[tokio::test]
    async fn open_table() {
        let rows: [(&str, Result<bool, StoreErrorKind>); 5] = [
            ("memory", Ok(false)),
            ("", Ok(false)),
            ("  memory ", Ok(false)),
            ("postgres://db", Err(StoreErrorKind::Config)),
            ("redis", Err(StoreErrorKind::Config)),
        ];
        for (spec, want) in rows {
            let got = Store::open(spec).await.map(|s| s.is_redis()).map_err(|e| e.kind());
            assert_eq!(got, want, "{spec:?}");
        }
    }

    #[tokio::test]
    async fn incr_rejects_overflow_and_leaves_the_value() {
        let store = Store::memory();
        store.share("max", i64::MAX.to_string()).await.unwrap();
        assert_eq!(store.incr("max", 1).await.unwrap_err().kind(), StoreErrorKind::NotANumber);
        assert_eq!(store.fetch("max").await.unwrap(), Some(i64::MAX.to_string()));
        assert_eq!(store.incr(" spaced ", 2).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn memory_store_from_a_shared_map_sees_its_values() {
        let map: SharedMap = SharedMap::new();
        map.share("k", "from the map");
        let store = Store::from(map.clone());
        assert_eq!(store.fetch("k").await.unwrap().as_deref(), Some("from the map"));
        store.share("k2", "from the store").await.unwrap();
        assert_eq!(map.fetch("k2").as_deref(), Some("from the store"));
    }
}
