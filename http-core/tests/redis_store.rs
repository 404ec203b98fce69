//! `Store` on a real `redis-server`, started by the test on a free loopback port and killed
//! (only that child) at the end. Without `redis-server` the tests print `SKIPPED: …` and
//! pass, or fail under `HTTP_RS_REQUIRE_TOOLS=1` (`.ci/run` installs it).

#[path = "../../testing/tools.rs"]
mod tools;

use std::time::Duration;

use http_core::{Store, StoreErrorKind};

/// The test's `redis-server` (killed when dropped) and its URL.
struct RedisServer {
    _child: tools::Killed,
    url: String,
}

fn redis_server() -> Option<RedisServer> {
    tools::redis_server().map(|(child, url)| RedisServer { _child: child, url })
}

async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f).await.unwrap_or_else(|_| panic!("{what} within 60 s"))
}

#[tokio::test]
async fn redis_store_fetch_share_remove_incr() {
    let Some(redis) = redis_server() else { return };
    bounded("the operations", async {
        let store = Store::open(&redis.url).await.expect("connects");
        assert!(store.is_redis());
        assert_eq!(store.fetch("k").await.unwrap(), None);
        assert_eq!(store.share("k", "a").await.unwrap(), None);
        assert_eq!(store.share("k", "b").await.unwrap().as_deref(), Some("a"));
        assert_eq!(store.fetch("k").await.unwrap().as_deref(), Some("b"));
        assert_eq!(store.update("k", |old| format!("{}!", old.unwrap_or_default())).await.unwrap(), "b!");
        assert_eq!(store.update("fresh", |old| format!("{old:?}")).await.unwrap(), "None");
        assert_eq!(store.remove("k").await.unwrap().as_deref(), Some("b!"));
        assert_eq!(store.remove("k").await.unwrap(), None);
        assert_eq!(store.incr("n", 5).await.unwrap(), 5);
        assert_eq!(store.incr("n", -7).await.unwrap(), -2);
        assert_eq!(store.update("n", |v| (v.unwrap().parse::<i64>().unwrap() * 10).to_string()).await.unwrap(), "-20");
        // The caller's mistake, not an outage: the value stays.
        let err = store.incr("fresh", 1).await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::NotANumber, "{err}");
        assert_eq!(store.fetch("fresh").await.unwrap().as_deref(), Some("None"));
        store.share("max", i64::MAX.to_string()).await.unwrap();
        assert_eq!(store.incr("max", 1).await.unwrap_err().kind(), StoreErrorKind::NotANumber);
        // Values are bytes-exact: empty, spaces, non-ASCII.
        for v in ["", " padded ", "grüße ✓"] {
            store.share("v", v).await.unwrap();
            assert_eq!(store.fetch("v").await.unwrap().as_deref(), Some(v));
        }
    })
    .await;
}

/// Three stores, three connections — as three instances of a service would have —
/// racing `update` and `incr` on the same keys: every step counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn updates_from_three_connections_are_exact() {
    let Some(redis) = redis_server() else { return };
    bounded("the racing updates", async {
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let store = Store::open(&redis.url).await.expect("connects");
            for _ in 0..4 {
                let store = store.clone();
                tasks.push(tokio::spawn(async move {
                    for _ in 0..100 {
                        store
                            .update("u", |v| (v.map_or(0, |v| v.parse::<u64>().unwrap()) + 1).to_string())
                            .await
                            .unwrap();
                        store.incr("i", 1).await.unwrap();
                    }
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let store = Store::open(&redis.url).await.unwrap();
        assert_eq!(store.fetch("u").await.unwrap().as_deref(), Some("1200"));
        assert_eq!(store.fetch("i").await.unwrap().as_deref(), Some("1200"));
    })
    .await;
}

/// The server goes away: operations fail as `Unavailable` within the command timeout,
/// never hang.
#[tokio::test]
async fn a_stopped_server_is_unavailable() {
    let Some(redis) = redis_server() else { return };
    let store = Store::open(&redis.url).await.expect("connects");
    store.share("k", "v").await.unwrap();
    drop(redis);
    bounded("the failing call", async {
        let err = store.fetch("k").await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
        assert_eq!(err.status(), http_core::StatusCode::SERVICE_UNAVAILABLE);
    })
    .await;
}
