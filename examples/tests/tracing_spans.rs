//! The engines' tracing: a `connection` span per connection and a `request` span per
//! exchange (method, path, route, status, duration_ms), panics as ERROR events inside the
//! request span — checked with a capturing subscriber, over real sockets, on HTTP/1.1 and
//! HTTP/2 (h2c).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use http_core::Request;
use http_router::Router;
use http_server::{Server, ServerOptions};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[derive(Debug, Clone, Default)]
struct SpanRec {
    name: &'static str,
    parent: Option<&'static str>,
    fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct EventRec {
    level: tracing::Level,
    span: Option<&'static str>,
    fields: BTreeMap<String, String>,
}

#[derive(Default)]
struct Captured {
    spans: Vec<SpanRec>,
    open: HashMap<u64, usize>,
    events: Vec<EventRec>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut rec = SpanRec { name: attrs.metadata().name(), ..Default::default() };
        rec.parent = ctx.span(id).and_then(|s| s.parent()).map(|p| p.name());
        attrs.record(&mut Fields(&mut rec.fields));
        let mut c = self.0.lock().unwrap();
        let i = c.spans.len();
        c.spans.push(rec);
        c.open.insert(id.into_u64(), i);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut c = self.0.lock().unwrap();
        if let Some(&i) = c.open.get(&id.into_u64()) {
            values.record(&mut Fields(&mut c.spans[i].fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let span = ctx.event_span(event).map(|s| s.name());
        let rec = EventRec { level: *event.metadata().level(), span, fields };
        self.0.lock().unwrap().events.push(rec);
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        self.0.lock().unwrap().open.remove(&id.into_u64());
    }
}

async fn user(req: Request) -> String {
    format!("user {}", req.param("id").unwrap_or_default())
}

async fn boom(_req: Request) -> &'static str {
    panic!("kaboom")
}

async fn get(addr: std::net::SocketAddr, path: &str, h2: bool) -> u16 {
    let tcp = TcpStream::connect(addr).await.unwrap();
    // HTTP/2 carries the authority in the URI; HTTP/1.1 in Host, with an origin-form target.
    let uri = if h2 { format!("http://{addr}{path}") } else { path.to_owned() };
    let req = http_core::http::Request::get(uri).header("host", addr.to_string()).body(Empty::<Bytes>::new()).unwrap();
    let resp = if h2 {
        let (mut tx, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await.unwrap();
        tokio::spawn(conn);
        tx.send_request(req).await.unwrap()
    } else {
        let (mut tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.unwrap();
        tokio::spawn(conn);
        tx.send_request(req).await.unwrap()
    };
    let status = resp.status().as_u16();
    let _ = resp.into_body().collect().await;
    status
}

fn request_span<'a>(c: &'a Captured, path: &str) -> &'a SpanRec {
    c.spans
        .iter()
        .find(|s| s.name == "request" && s.fields.get("path").map(String::as_str) == Some(path))
        .unwrap_or_else(|| panic!("no request span for {path}: {:#?}", c.spans))
}

// Current-thread runtime: the subscriber set with `set_default` is thread-local, and the
// server's tasks run on this thread.
#[tokio::test(flavor = "current_thread")]
async fn connection_and_request_spans_carry_the_fields() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let router = Router::new().route("GET /users/{id}", user).route("GET /boom", boom);
    let opts = ServerOptions::new().host("127.0.0.1").port(0).shutdown_timeout(Duration::from_secs(2));
    let server = Server::serve(opts, router).await.unwrap();
    let addr = server.local_addr();
    tokio::time::timeout(Duration::from_secs(20), async {
        assert_eq!(get(addr, "/users/7", false).await, 200);
        assert_eq!(get(addr, "/boom", false).await, 500);
        assert_eq!(get(addr, "/nowhere", false).await, 404);
        assert_eq!(get(addr, "/users/9", true).await, 200);
    })
    .await
    .expect("requests within 20 s");
    server.close().await;

    let c = capture.0.lock().unwrap();
    let conns: Vec<_> = c.spans.iter().filter(|s| s.name == "connection").collect();
    assert_eq!(conns.len(), 4, "one span per connection: {conns:#?}");
    assert_eq!(conns.iter().filter(|s| s.fields.get("proto").map(String::as_str) == Some("h1")).count(), 3);
    assert_eq!(conns.iter().filter(|s| s.fields.get("proto").map(String::as_str) == Some("h2")).count(), 1);
    assert!(conns.iter().all(|s| s.fields.get("peer").is_some_and(|p| p.contains("127.0.0.1"))), "{conns:#?}");

    let table = [
        ("/users/7", "GET", Some("/users/{id}"), "200"),
        ("/boom", "GET", Some("/boom"), "500"),
        ("/nowhere", "GET", None, "404"),
        ("/users/9", "GET", Some("/users/{id}"), "200"),
    ];
    for (path, method, route, status) in table {
        let s = request_span(&c, path);
        assert_eq!(s.parent, Some("connection"), "{path}: a request span is inside its connection span");
        assert_eq!(s.fields.get("method").map(String::as_str), Some(method), "{path}");
        assert_eq!(s.fields.get("route").map(String::as_str), route, "{path}");
        assert_eq!(s.fields.get("status").map(String::as_str), Some(status), "{path}");
        let ms: f64 = s.fields.get("duration_ms").unwrap_or_else(|| panic!("{path}: duration_ms")).parse().unwrap();
        assert!((0.0..20_000.0).contains(&ms), "{path}: duration_ms {ms}");
    }

    let panic_event = c
        .events
        .iter()
        .find(|e| e.fields.get("panic").is_some_and(|p| p == "kaboom"))
        .unwrap_or_else(|| panic!("a panic event: {:#?}", c.events));
    assert_eq!(panic_event.level, tracing::Level::ERROR);
    assert_eq!(panic_event.span, Some("request"), "{panic_event:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn disabled_request_spans_record_nothing() {
    // A subscriber that only wants INFO: the DEBUG spans are never created, and the
    // server still answers.
    let capture = Capture::default();
    let subscriber =
        tracing_subscriber::registry().with(capture.clone().with_filter(tracing_subscriber::filter::LevelFilter::INFO));
    let _guard = tracing::subscriber::set_default(subscriber);
    let router = Router::new().route("GET /users/{id}", user);
    let server = Server::serve(ServerOptions::new().host("127.0.0.1").port(0), router).await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), get(server.local_addr(), "/users/1", false))
        .await
        .expect("answer within 10 s");
    assert_eq!(status, 200);
    server.forceclose().await;
    let c = capture.0.lock().unwrap();
    assert!(c.spans.iter().all(|s| s.name != "request" && s.name != "connection"), "{:#?}", c.spans);
}
