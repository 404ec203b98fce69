//! The Redis backend of [`Store`](super::Store): one multiplexed connection (redis-rs's
//! `ConnectionManager`, which reconnects after a failure) shared by every clone.
//!
//! `fetch` is `GET`, `share` is `SET … GET`, `remove` is `GETDEL`, `incr` is `INCRBY`
//! (all single commands, so atomic on the server; `SET … GET` and `GETDEL` need
//! Redis 6.2). `update` reads with `GET`, computes the new value here, and writes it with
//! a compare-and-set Lua script that sets the key only if it still holds what was read —
//! optimistic concurrency that works on a shared multiplexed connection, where
//! `WATCH`/`MULTI` (per-connection state) would not.

use std::fmt;
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{StoreError, StoreErrorKind, UPDATE_ATTEMPTS};

/// How long connecting, and each command, may take before the store reports
/// [`StoreErrorKind::Unavailable`].
const TIMEOUT: Duration = Duration::from_secs(5);

/// Sets KEYS[1] to ARGV[3] if it still holds ARGV[2] (ARGV[1] = "1") or is still missing
/// (ARGV[1] = "0"); answers 1 when it wrote, 0 when another writer came first.
const COMPARE_AND_SET: &str = r"
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
";

/// A connection to one Redis server, the backend behind [`Store::redis`](super::Store::redis).
/// Cloning shares the connection.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), http_core::StoreError> {
/// let redis = http_core::RedisStore::connect("redis://127.0.0.1:6379/").await?;
/// let store = http_core::Store::from(redis);
/// store.incr("hits", 1).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    cas: redis::Script,
    url: String,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore").field("url", &self.url).finish_non_exhaustive()
    }
}

impl From<RedisStore> for super::Store {
    fn from(r: RedisStore) -> Self {
        super::Store { backend: super::Backend::Redis(r) }
    }
}

impl RedisStore {
    /// Connects to the server at `url` and checks it answers `PING`.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let err = http_core::RedisStore::connect("redis://127.0.0.1:1/").await.unwrap_err();
    /// assert_eq!(err.kind(), http_core::StoreErrorKind::Unavailable);
    /// # }
    /// ```
    pub async fn connect(url: &str) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(url).map_err(|e| StoreError::new(StoreErrorKind::Config, e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(2);
        let mut conn = client.get_connection_manager_with_config(config).await.map_err(unavailable)?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await.map_err(unavailable)?;
        Ok(RedisStore { conn, cas: redis::Script::new(COMPARE_AND_SET), url: redacted(url) })
    }

    pub(super) async fn fetch(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn.clone().get(key).await.map_err(classify)
    }

    pub(super) async fn share(&self, key: &str, value: &str) -> Result<Option<String>, StoreError> {
        redis::cmd("SET").arg(key).arg(value).arg("GET").query_async(&mut self.conn.clone()).await.map_err(classify)
    }

    pub(super) async fn remove(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn.clone().get_del(key).await.map_err(classify)
    }

    pub(super) async fn incr(&self, key: &str, by: i64) -> Result<i64, StoreError> {
        self.conn.clone().incr(key, by).await.map_err(classify)
    }

    pub(super) async fn update<F>(&self, key: &str, mut f: F) -> Result<String, StoreError>
    where
        F: FnMut(Option<&str>) -> String,
    {
        let mut conn = self.conn.clone();
        for _ in 0..UPDATE_ATTEMPTS {
            let old: Option<String> = conn.get(key).await.map_err(classify)?;
            let new = f(old.as_deref());
            let present = if old.is_some() { "1" } else { "0" };
            let written: i64 = self
                .cas
                .key(key)
                .arg(present)
                .arg(old.as_deref().unwrap_or(""))
                .arg(&new)
                .invoke_async(&mut conn)
                .await
                .map_err(classify)?;
            if written == 1 {
                return Ok(new);
            }
        }
        Err(StoreError::new(StoreErrorKind::Contention, format!("{UPDATE_ATTEMPTS} attempts lost to other writers")))
    }
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::new(StoreErrorKind::Unavailable, e.to_string())
}

/// `INCRBY` on a non-integer or overflowing value is the caller's mistake; anything
/// else (I/O, timeouts, other server errors) means the store is not usable now.
fn classify(e: redis::RedisError) -> StoreError {
    let detail = e.detail().unwrap_or_default();
    if e.code().is_some() && (detail.contains("not an integer") || detail.contains("overflow")) {
        return StoreError::new(StoreErrorKind::NotANumber, detail.to_owned());
    }
    unavailable(e)
}

/// The URL without its password, for `Debug`.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_table() {
        let rows = [
            ("redis://127.0.0.1:6379/", "redis://127.0.0.1:6379/"),
            ("redis://:secret@db:6379/0", "redis://…@db:6379/0"),
            ("rediss://user:pw@db/", "rediss://…@db/"),
            ("redis+unix:///run/redis.sock", "redis+unix:///run/redis.sock"),
        ];
        for (url, want) in rows {
            assert_eq!(redacted(url), want, "{url}");
        }
    }

    #[tokio::test]
    async fn unreachable_server_is_unavailable_and_bad_url_is_config() {
        // A port nothing listens on: bind one, then drop it.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = RedisStore::connect(&format!("redis://127.0.0.1:{port}/")).await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
        let err = RedisStore::connect("redis://host:notaport/").await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Config, "{err}");
    }
}
