//! Shared application state: [`with_state`](crate::with_state), [`State`](crate::State),
//! [`SharedMap`](crate::SharedMap).

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, PoisonError, RwLock};

use crate::context::RequestContext;
use crate::handler::{Handler, StreamHandler};
use crate::request::Request;
use crate::response::Response;
use crate::stream::Stream;

/// A shared value of type `T`, as stored in a request's context by [`with_state`].
/// Dereferences to `T`; cloning clones the `Arc`.
///
/// ```
/// use http_core::State;
/// let s = State::new(5u32);
/// assert_eq!(*s + 1, 6);
/// ```
pub struct State<T>(pub Arc<T>);

impl<T> State<T> {
    /// Wraps `value`.
    ///
    /// ```
    /// let s = http_core::State::new(String::from("app"));
    /// assert_eq!(s.len(), 3);
    /// ```
    pub fn new(value: T) -> Self {
        State(Arc::new(value))
    }
}

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&self.0).finish()
    }
}

impl RequestContext {
    /// The shared state of type `T` placed by [`with_state`], if any.
    ///
    /// ```
    /// use http_core::{RequestContext, State};
    /// let mut ctx = RequestContext::default();
    /// ctx.extensions_mut().insert(State::new(7u8));
    /// assert_eq!(ctx.state::<u8>().map(|s| **s), Some(7));
    /// assert!(ctx.state::<u16>().is_none());
    /// ```
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&Arc<T>> {
        self.extensions().get::<State<T>>().map(|s| &s.0)
    }
}

impl Request {
    /// The shared state of type `T` placed by [`with_state`], if any. Clone the `Arc` to
    /// move it into a spawned task.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request, testing, with_state};
    /// let h = with_state(String::from("v1"), |req: Request| async move {
    ///     req.state::<String>().map(|s| s.to_string()).unwrap_or_default()
    /// });
    /// assert_eq!(testing::call(&h, Request::new(Method::GET, "/")).await.text(), "v1");
    /// # }
    /// ```
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&Arc<T>> {
        self.context().state::<T>()
    }
}

/// A handler whose requests carry a [`State<T>`]; made by [`with_state`]. A serve-style
/// [`Handler`] when `H` is one, a [`StreamHandler`] when `H` is one (a `Router` is both).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, Stream, testing, with_state};
/// async fn listen_style(s: &mut Stream) {
///     let name = s.context().state::<&'static str>().map_or("?", |n| **n);
///     let _ = s.write(name).await;
/// }
/// let app = with_state("demo", listen_style);
/// assert_eq!(testing::call_stream(&app, Request::new(Method::GET, "/")).await.text(), "demo");
/// # }
/// ```
#[derive(Debug)]
pub struct WithState<H, T> {
    inner: H,
    state: Arc<T>,
}

impl<H: Clone, T> Clone for WithState<H, T> {
    fn clone(&self) -> Self {
        WithState { inner: self.inner.clone(), state: self.state.clone() }
    }
}

/// Makes `state` reachable from `handler` and everything below it (a `Router`'s routes,
/// their middleware), as a [`State<T>`] in each request's context.
///
/// # Shared state, two ways
///
/// Both are sound with any number of worker threads:
///
/// 1. **Capture an `Arc`** in a closure handler: no lookup, nothing per request.
///
///    ```
///    use std::sync::{Arc, atomic::{AtomicU64, Ordering}};
///    use http_core::Request;
///    let visits = Arc::new(AtomicU64::new(0));
///    let handler = move |_req: Request| {
///        let visits = visits.clone();
///        async move { (visits.fetch_add(1, Ordering::Relaxed) + 1).to_string() }
///    };
///    # let _ = handler;
///    ```
///
/// 2. **`with_state`** (this function): wraps a handler (a whole `Router` included, serve- or listen-style)
///    so that every request carries a [`State<T>`] in its context; handlers anywhere below
///    read it with [`Request::state`] or [`RequestContext::state`] (for `&mut Stream`
///    handlers: `s.context().state::<T>()`). Costs one extension insert per request.
///
/// Mutable state needs interior mutability that is safe across threads: atomics, a
/// `Mutex`, or [`SharedMap`] — a global key-value store (`share` / `fetch`, as scripting
/// runtimes' HTTP servers offer one), with an atomic [`update`](SharedMap::update) so
/// read-modify-write sequences such as counters stay exact under concurrent requests.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use http_core::{Request, SharedMap, testing::TestClient, with_state};
///
/// #[derive(Default)]
/// struct App { visits: AtomicU64, store: SharedMap }
///
/// async fn visit(req: Request) -> String {
///     let app = req.state::<App>().expect("with_state(App)");
///     app.store.share("last", req.path());
///     (app.visits.fetch_add(1, Ordering::Relaxed) + 1).to_string()
/// }
///
/// let client = TestClient::new(with_state(App::default(), visit));
/// client.get("/a").await;
/// assert_eq!(client.get("/b").await.text(), "2");
/// # }
/// ```
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Request, testing::TestClient, with_state};
/// struct Config { greeting: &'static str }
/// let app = with_state(Config { greeting: "hi" }, |req: Request| async move {
///     req.state::<Config>().unwrap().greeting
/// });
/// assert_eq!(TestClient::new(app).get("/").await.text(), "hi");
/// # }
/// ```
pub fn with_state<T, H>(state: T, handler: H) -> WithState<H, T>
where
    T: Send + Sync + 'static,
{
    with_state_arc(Arc::new(state), handler)
}

/// [`with_state`] with a state you keep an `Arc` of (to read or change it from outside
/// the server, e.g. a background task).
///
/// ```
/// use std::sync::Arc;
/// use http_core::{Request, SharedMap, with_state_arc};
/// let store: Arc<SharedMap> = Arc::default();
/// let app = with_state_arc(store.clone(), |req: Request| async move {
///     req.state::<SharedMap>().unwrap().fetch("motd").unwrap_or_default()
/// });
/// store.share("motd", "hello");
/// # let _ = app;
/// ```
pub fn with_state_arc<T, H>(state: Arc<T>, handler: H) -> WithState<H, T>
where
    T: Send + Sync + 'static,
{
    WithState { inner: handler, state }
}

impl<H, T> WithState<H, T> {
    /// The shared state.
    ///
    /// ```
    /// use http_core::{Request, with_state};
    /// let app = with_state(3u8, |_r: Request| async { "" });
    /// assert_eq!(**app.state(), 3);
    /// ```
    pub fn state(&self) -> &Arc<T> {
        &self.state
    }
}

impl<H: Handler, T: Send + Sync + 'static> Handler for WithState<H, T> {
    fn call(&self, mut req: Request) -> impl Future<Output = Response> + Send {
        req.context_mut().extensions_mut().insert(State(self.state.clone()));
        self.inner.call(req)
    }
}

impl<H: StreamHandler, T: Send + Sync + 'static> StreamHandler for WithState<H, T> {
    fn call<'a>(&'a self, stream: &'a mut Stream) -> impl Future<Output = ()> + Send + 'a {
        stream.context_mut().extensions_mut().insert(State(self.state.clone()));
        self.inner.call(stream)
    }
}

/// A concurrent key-value store shared by all requests, the global store scripting
/// runtimes' HTTP servers offer (`share(key, value)` / `fetch(key)`). Cloning shares the
/// same map.
///
/// Every method takes the lock for its own duration only (never across an `.await`), so
/// each is atomic; [`update`](Self::update) makes read-modify-write atomic too — the
/// sequence `fetch` then `share` is not, and loses counts under concurrency.
///
/// ```
/// use http_core::SharedMap;
/// let store: SharedMap = SharedMap::new();
/// store.share("visits", "0");
/// let n = store.update("visits", |old| {
///     (old.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + 1).to_string()
/// });
/// assert_eq!(n, "1");
/// assert_eq!(store.fetch("visits").as_deref(), Some("1"));
///
/// let counters: SharedMap<u64> = SharedMap::new();
/// assert_eq!(counters.update("hits", |n| n.copied().unwrap_or(0) + 1), 1);
/// ```
pub struct SharedMap<V = String> {
    inner: Arc<RwLock<HashMap<String, V>>>,
}

impl<V> Clone for SharedMap<V> {
    fn clone(&self) -> Self {
        SharedMap { inner: self.inner.clone() }
    }
}

impl<V> Default for SharedMap<V> {
    fn default() -> Self {
        SharedMap { inner: Arc::new(RwLock::new(HashMap::new())) }
    }
}

impl<V: fmt::Debug> fmt::Debug for SharedMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let map = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_map().entries(map.iter()).finish()
    }
}

impl<V: Clone> SharedMap<V> {
    /// An empty store.
    ///
    /// ```
    /// let s: http_core::SharedMap = http_core::SharedMap::new();
    /// assert!(s.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value` under `key`, returning the previous value.
    ///
    /// ```
    /// let s: http_core::SharedMap = http_core::SharedMap::new();
    /// assert_eq!(s.share("k", "a"), None);
    /// assert_eq!(s.share("k", "b").as_deref(), Some("a"));
    /// ```
    pub fn share(&self, key: impl Into<String>, value: impl Into<V>) -> Option<V> {
        self.write().insert(key.into(), value.into())
    }

    /// A copy of the value under `key`.
    ///
    /// ```
    /// let s: http_core::SharedMap = http_core::SharedMap::new();
    /// s.share("k", "v");
    /// assert_eq!(s.fetch("k").as_deref(), Some("v"));
    /// assert_eq!(s.fetch("nope"), None);
    /// ```
    pub fn fetch(&self, key: &str) -> Option<V> {
        self.read().get(key).cloned()
    }

    /// Atomically replaces the value under `key` with `f(current)`, returning the new
    /// value. No other access to the store runs while `f` does: keep it short.
    ///
    /// ```
    /// let s: http_core::SharedMap<i64> = http_core::SharedMap::new();
    /// s.update("n", |v| v.copied().unwrap_or(10) - 1);
    /// assert_eq!(s.update("n", |v| v.copied().unwrap_or(10) - 1), 8);
    /// ```
    pub fn update(&self, key: &str, f: impl FnOnce(Option<&V>) -> V) -> V {
        let mut map = self.write();
        let new = f(map.get(key));
        match map.get_mut(key) {
            Some(slot) => *slot = new.clone(),
            None => {
                map.insert(key.to_owned(), new.clone());
            }
        }
        new
    }

    /// Removes `key`, returning its value.
    ///
    /// ```
    /// let s: http_core::SharedMap = http_core::SharedMap::new();
    /// s.share("k", "v");
    /// assert_eq!(s.remove("k").as_deref(), Some("v"));
    /// assert!(!s.contains_key("k"));
    /// ```
    pub fn remove(&self, key: &str) -> Option<V> {
        self.write().remove(key)
    }

    /// True when `key` has a value.
    ///
    /// ```
    /// let s: http_core::SharedMap = http_core::SharedMap::new();
    /// s.share("k", "v");
    /// assert!(s.contains_key("k"));
    /// ```
    pub fn contains_key(&self, key: &str) -> bool {
        self.read().contains_key(key)
    }

    /// The number of keys.
    ///
    /// ```
    /// let s: http_core::SharedMap = http_core::SharedMap::new();
    /// s.share("a", "1");
    /// s.share("b", "2");
    /// assert_eq!(s.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// True when the store is empty.
    ///
    /// ```
    /// assert!(http_core::SharedMap::<u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// A copy of every entry, sorted by key.
    ///
    /// ```
    /// let s: http_core::SharedMap = http_core::SharedMap::new();
    /// s.share("b", "2");
    /// s.share("a", "1");
    /// assert_eq!(s.snapshot(), [("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())]);
    /// ```
    pub fn snapshot(&self) -> Vec<(String, V)> {
        let mut all: Vec<_> = self.read().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    // A panic inside `update`'s closure poisons the lock; the map itself is still whole
    // (the write happens after the closure returns), so the poison is ignored.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, V>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, V>> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Method, testing};

    #[test]
    fn concurrent_updates_are_exact() {
        let store: SharedMap<u64> = SharedMap::new();
        std::thread::scope(|s| {
            for _ in 0..8 {
                let store = store.clone();
                s.spawn(move || {
                    for _ in 0..1000 {
                        store.update("n", |v| v.copied().unwrap_or(0) + 1);
                    }
                });
            }
        });
        assert_eq!(store.fetch("n"), Some(8000));
    }

    #[test]
    fn panic_in_update_leaves_the_store_usable() {
        let store: SharedMap<u64> = SharedMap::new();
        store.share("n", 1u64);
        let s2 = store.clone();
        let r = std::thread::spawn(move || s2.update("n", |_| panic!("boom"))).join();
        assert!(r.is_err());
        assert_eq!(store.fetch("n"), Some(1));
        assert_eq!(store.update("n", |v| v.copied().unwrap_or(0) + 1), 2);
    }

    #[tokio::test]
    async fn state_reaches_stream_handlers() {
        async fn h(s: &mut Stream) {
            let n = s.context().state::<u32>().map_or(0, |n| **n);
            let _ = s.write(n.to_string()).await;
        }
        let app = with_state(41u32, h);
        let r = testing::call_stream(&app, Request::new(Method::GET, "/")).await;
        assert_eq!(r.text(), "41");
    }

    #[tokio::test]
    async fn missing_state_is_none() {
        let h = |req: Request| async move { req.state::<u32>().is_none().to_string() };
        assert_eq!(testing::call(&h, Request::new(Method::GET, "/")).await.text(), "true");
    }
}
