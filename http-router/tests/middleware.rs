//! Middleware through the router: order (table), timeouts with drop guards, panics,
//! body limits — for serve-style and stream routes, through both calling forms.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_core::{
    BoxHandler, BoxStreamHandler, Handler, Method, Request, Stream, StreamHandler, serve_as_stream, testing,
};
use http_router::{Layer, Middleware, Router, body_limit, catch_panics, handlertimeout};

type Log = Arc<Mutex<Vec<String>>>;

/// A serve-only layer (a plain closure): stream routes reach it through the adapter.
fn closure_layer(log: &Log, name: &'static str) -> Middleware {
    Middleware::new(closure_fn(log, name))
}

fn closure_fn(log: &Log, name: &'static str) -> impl Fn(BoxHandler) -> BoxHandler + Send + Sync + 'static {
    let log = log.clone();
    move |next: BoxHandler| {
        let log = log.clone();
        BoxHandler::new(move |req: Request| {
            let (next, log) = (next.clone(), log.clone());
            async move {
                log.lock().unwrap().push(name.to_owned());
                let r = next.call(req).await;
                log.lock().unwrap().push(format!("/{name}"));
                r
            }
        })
    }
}

/// A layer with a native stream form.
struct Native {
    log: Log,
    name: &'static str,
}

struct NativeStream {
    log: Log,
    name: &'static str,
    next: BoxStreamHandler,
}

impl StreamHandler for NativeStream {
    async fn call(&self, s: &mut Stream) {
        self.log.lock().unwrap().push(self.name.to_owned());
        self.next.call(s).await;
        self.log.lock().unwrap().push(format!("/{}", self.name));
    }
}

impl Layer for Native {
    fn wrap_serve(&self, next: BoxHandler) -> BoxHandler {
        closure_fn(&self.log, self.name)(next)
    }
    fn wrap_stream(&self, next: BoxStreamHandler) -> BoxStreamHandler {
        BoxStreamHandler::new(NativeStream { log: self.log.clone(), name: self.name, next })
    }
}

fn order_router(log: &Log) -> Router {
    let l1 = log.clone();
    let l2 = log.clone();
    let serve = move |_r: Request| {
        let log = l1.clone();
        async move {
            log.lock().unwrap().push("h".into());
            "serve"
        }
    };
    let stream = serve_as_stream(move |_r: Request| {
        let log = l2.clone();
        async move {
            log.lock().unwrap().push("h".into());
            "stream"
        }
    });
    // Routes before router-wide middleware on purpose: it still applies to them.
    Router::new()
        .route_with(
            "GET /serve",
            serve,
            [closure_layer(log, "C"), Middleware::new(Native { log: log.clone(), name: "D" })],
        )
        .route_stream_with(
            "GET /stream",
            stream,
            [closure_layer(log, "C"), Middleware::new(Native { log: log.clone(), name: "D" })],
        )
        .route("POST /only-post", |_r: Request| async { "" })
        .use_middleware(closure_layer(log, "A"))
        .use_middleware(Native { log: log.clone(), name: "B" })
}

#[tokio::test]
async fn order_table() {
    let full = "A B C D h /D /C /B /A";
    let fallback = "A B /B /A";
    let cases: &[(Method, &str, u16, &str)] = &[
        (Method::GET, "/serve", 200, full),
        (Method::GET, "/stream", 200, full),
        (Method::HEAD, "/serve", 200, full),
        (Method::GET, "/missing", 404, fallback),
        (Method::GET, "/only-post", 405, fallback),
        (Method::OPTIONS, "/only-post", 204, fallback),
        (Method::GET, "/bad%zz", 400, fallback),
    ];
    for (method, path, status, trace) in cases {
        for via_stream in [false, true] {
            let log: Log = Arc::default();
            let router = order_router(&log);
            let req = Request::new(method.clone(), path);
            let r =
                if via_stream { testing::call_stream(&router, req).await } else { testing::call(&router, req).await };
            assert_eq!(r.status.as_u16(), *status, "{method} {path} stream={via_stream}");
            assert_eq!(log.lock().unwrap().join(" "), *trace, "{method} {path} stream={via_stream}");
        }
    }
}

struct CountOnDrop(Arc<AtomicUsize>);
impl Drop for CountOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn timed_out_handlers_are_dropped_with_their_guards() {
    let drops = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let (d1, f1, d2, f2) = (drops.clone(), finished.clone(), drops.clone(), finished.clone());
    let slow_serve = move |_r: Request| {
        let guard = CountOnDrop(d1.clone());
        let finished = f1.clone();
        async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(2)).await;
            finished.fetch_add(1, Ordering::SeqCst);
            "late"
        }
    };
    let slow_stream = move |_r: Request| {
        let guard = CountOnDrop(d2.clone());
        let finished = f2.clone();
        async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(2)).await;
            finished.fetch_add(1, Ordering::SeqCst);
            "late"
        }
    };
    let t = || handlertimeout(Duration::from_millis(30));
    let router = Router::new()
        .route_with("GET /serve", slow_serve, [t()])
        .route_stream_with("GET /stream", serve_as_stream(slow_stream), [t()])
        .route_with("GET /fast", |_r: Request| async { "fast" }, [t()]);
    let cases: &[(&str, bool, u16, &str, usize)] = &[
        ("/serve", false, 503, "handler timed out", 1),
        ("/serve", true, 503, "handler timed out", 2),
        ("/stream", false, 503, "handler timed out", 3),
        ("/stream", true, 503, "handler timed out", 4),
        ("/fast", false, 200, "fast", 4),
        ("/fast", true, 200, "fast", 4),
    ];
    for (path, via_stream, status, body, drops_after) in cases {
        let started = Instant::now();
        let req = Request::new(Method::GET, path);
        let r = if *via_stream { testing::call_stream(&router, req).await } else { testing::call(&router, req).await };
        assert!(started.elapsed() < Duration::from_secs(1), "{path}: answered at the deadline");
        assert_eq!((r.status.as_u16(), r.text().as_str()), (*status, *body), "{path} stream={via_stream}");
        if *status == 503 {
            assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        }
        assert_eq!(drops.load(Ordering::SeqCst), *drops_after, "{path}: guard dropped when answered");
    }
    assert_eq!(finished.load(Ordering::SeqCst), 0, "no timed-out handler ran to completion");
}

#[tokio::test]
async fn panics_become_500_for_both_route_kinds() {
    async fn boom_stream(s: &mut Stream) {
        let _ = s.setheader("x-half", "1");
        panic!("stream boom");
    }
    let router = Router::new()
        .use_middleware(catch_panics())
        .route("GET /serve", |_r: Request| async {
            panic!("serve boom");
            #[allow(unreachable_code)]
            ""
        })
        .route_stream("GET /stream", boom_stream);
    for path in ["/serve", "/stream"] {
        for via_stream in [false, true] {
            let req = Request::new(Method::GET, path);
            let r =
                if via_stream { testing::call_stream(&router, req).await } else { testing::call(&router, req).await };
            assert_eq!((r.status.as_u16(), r.text().as_str()), (500, "Internal Server Error"), "{path} {via_stream}");
            assert_eq!(r.header("x-half"), None);
        }
    }
}

#[tokio::test]
async fn body_limit_for_both_route_kinds() {
    async fn echo_stream(s: &mut Stream) {
        match s.read_to_end(s.max_body_bytes()).await {
            Ok(b) => {
                let _ = s.write(b).await;
            }
            Err(e) => {
                let _ = s.write_response(http_core::Response::error(e.status())).await;
            }
        }
    }
    let router = Router::new()
        .use_middleware(body_limit(8))
        .route("POST /serve", |mut r: Request| async move { r.take_body().collect(1024).await.unwrap() })
        .route_stream("POST /stream", echo_stream);
    let cases: &[(&str, &'static str, u16)] = &[
        ("/serve", "12345678", 200),
        ("/serve", "123456789", 413),
        ("/stream", "12345678", 200),
        ("/stream", "123456789", 413),
    ];
    for (path, body, status) in cases {
        for via_stream in [false, true] {
            let req = Request::new(Method::POST, path).with_body(*body);
            let r =
                if via_stream { testing::call_stream(&router, req).await } else { testing::call(&router, req).await };
            assert_eq!(r.status.as_u16(), *status, "{path} {body} {via_stream}");
            if *status == 200 {
                assert_eq!(r.text(), *body);
            }
        }
    }
}

#[tokio::test]
async fn custom_404_and_405_handlers() {
    let router = Router::new()
        .route("GET /x", |_r: Request| async { "x" })
        .not_found(|r: Request| async move { (http_core::StatusCode::NOT_FOUND, format!("nothing at {}", r.path())) })
        .method_not_allowed(|_r: Request| async { (http_core::StatusCode::METHOD_NOT_ALLOWED, "nope") });
    for via_stream in [false, true] {
        let call = |m: Method, p: &'static str| {
            let router = &router;
            async move {
                let req = Request::new(m, p);
                if via_stream { testing::call_stream(router, req).await } else { testing::call(router, req).await }
            }
        };
        let r = call(Method::GET, "/y").await;
        assert_eq!((r.status.as_u16(), r.text().as_str()), (404, "nothing at /y"));
        let r = call(Method::PUT, "/x").await;
        assert_eq!(
            (r.status.as_u16(), r.text().as_str(), r.header("allow")),
            (405, "nope", Some("GET, HEAD, OPTIONS"))
        );
    }
}
