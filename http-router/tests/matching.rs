//! The matching table: every row is run against routers built in three registration
//! orders, with serve-style and stream routes, through both calling forms (`Handler` and
//! `StreamHandler`). All twelve combinations must give the row's answer.

use http_core::{Method, Request, Response, Stream, testing};
use http_router::Router;

const ROUTES: &[&str] = &[
    "GET /",
    "GET /users",
    "POST /users",
    "GET /users/me",
    "GET /users/{id}",
    r"GET /users/{id:\d+}",
    "PUT /users/{id}",
    r"DELETE /users/{id:\d+}",
    "GET /users/{id}/posts/{post}",
    "GET /users/*/settings",
    "GET /files/readme",
    "GET /files/**",
    "GET /static/*/app.js",
    "GET /a/b/c",
    "GET /a/{x}/d",
    "GET /a/*/e",
    "GET /a/**",
    "GET /hex/{h:[0-9a-f]+}",
    "GET /hex/{w:[a-z]+}",
    r"GET /date/{d:\d{4}-\d{2}-\d{2}}",
    "GET /caf%C3%A9",
    "GET /sl%2Fash",
    "GET /enc/{p}",
    "GET /any/{x}",
    "* /any/{anything}",
    "GET /opt",
    "OPTIONS /opt",
    "GET /only-get",
    "POST /only-post/{id}",
    "GET /q/b",
    "GET /*/c",
];

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// 200 with `pattern|k=v,...`.
    Route(&'static str),
    /// 200, empty body, `x-route` header (HEAD).
    Head(&'static str),
    /// A status with the router's default text body.
    Status(u16),
    /// 405 with this Allow header.
    NotAllowed(&'static str),
    /// 204 with this Allow header (OPTIONS answered by the router).
    Options(&'static str),
}

use Expect::*;

const ROWS: &[(&str, &str, Expect)] = &[
    // exact routes, the root, trailing slashes and empty segments
    ("GET", "/", Route("/|")),
    ("GET", "/users", Route("/users|")),
    ("GET", "/users/", Route("/users|")),
    ("GET", "//users//", Route("/users|")),
    ("GET", "/a//b//c", Route("/a/b/c|")),
    ("GET", "/a/b/c/", Route("/a/b/c|")),
    ("GET", "/users/me?x=1", Route("/users/me|")),
    ("GET", "http://example.com/users/me", Route("/users/me|")),
    ("POST", "/users", Route("/users|")),
    // precedence: exact > regex > plain > * > **
    ("GET", "/users/me", Route("/users/me|")),
    ("GET", "/users/42", Route(r"/users/{id:\d+}|id=42")),
    ("GET", "/users/42/", Route(r"/users/{id:\d+}|id=42")),
    ("GET", "/users/bob", Route("/users/{id}|id=bob")),
    ("GET", "/files/readme", Route("/files/readme|")),
    ("GET", "/files/docs/a.txt", Route("/files/**|**=docs/a.txt")),
    ("GET", "/a/b/d", Route("/a/{x}/d|x=b")),
    ("GET", "/a/b/e", Route("/a/*/e|")),
    ("GET", "/a/b/f", Route("/a/**|**=b/f")),
    // backtracking out of dead ends
    ("GET", "/users/42/posts/7", Route("/users/{id}/posts/{post}|id=42,post=7")),
    ("GET", "/users/bob/posts/7", Route("/users/{id}/posts/{post}|id=bob,post=7")),
    ("GET", "/users/bob/settings", Route("/users/*/settings|")),
    ("GET", "/users/me/settings", Route("/users/*/settings|")),
    ("GET", "/files/readme/extra", Route("/files/**|**=readme/extra")),
    ("GET", "/a/b", Route("/a/**|**=b")),
    ("GET", "/q/c", Route("/*/c|")),
    ("GET", "/users/c", Route("/users/{id}|id=c")),
    // method-aware backtracking
    ("PUT", "/users/42", Route("/users/{id}|id=42")),
    ("DELETE", "/users/42", Route(r"/users/{id:\d+}|id=42")),
    // regex constraints: whole segment, sorted by regex text
    ("GET", "/hex/ff", Route("/hex/{h:[0-9a-f]+}|h=ff")),
    ("GET", "/hex/abc", Route("/hex/{h:[0-9a-f]+}|h=abc")),
    ("GET", "/hex/zz", Route("/hex/{w:[a-z]+}|w=zz")),
    ("GET", "/hex/FF", Status(404)),
    ("GET", "/hex/ff0x", Status(404)),
    ("GET", "/date/2024-01-31", Route(r"/date/{d:\d{4}-\d{2}-\d{2}}|d=2024-01-31")),
    ("GET", "/date/2024-1-31", Status(404)),
    // * is one segment, ** is one or more
    ("GET", "/static/v1/app.js", Route("/static/*/app.js|")),
    ("GET", "/static/v1/v2/app.js", Status(404)),
    ("GET", "/static/app.js", Status(404)),
    ("GET", "/files", Status(404)),
    ("GET", "/files/", Status(404)),
    ("GET", "/a", Status(404)),
    // percent-encoding: decoded once per segment, %2F stays inside
    ("GET", "/caf%C3%A9", Route("/caf%C3%A9|")),
    ("GET", "/caf%c3%a9", Route("/caf%C3%A9|")),
    ("GET", "/users/%6De", Route("/users/me|")),
    ("GET", "/enc/a%2Fb", Route("/enc/{p}|p=a/b")),
    ("GET", "/enc/%41%42", Route("/enc/{p}|p=AB")),
    ("GET", "/enc/a+b", Route("/enc/{p}|p=a+b")),
    ("GET", "/enc/100%25", Route("/enc/{p}|p=100%")),
    ("GET", "/enc/a%20b", Route("/enc/{p}|p=a b")),
    ("GET", "/files/a%2Fb/c", Route("/files/**|**=a/b/c")),
    ("GET", "/enc/a/b", Status(404)),
    ("GET", "/sl%2Fash", Route("/sl%2Fash|")),
    ("GET", "/sl/ash", Status(404)),
    ("GET", "/enc/%zz", Status(400)),
    ("GET", "/enc/%4", Status(400)),
    ("GET", "/enc/%C3", Status(400)),
    ("GET", "/nowhere/%zz", Status(400)),
    // any-method routes
    ("GET", "/any/1", Route("/any/{x}|x=1")),
    ("POST", "/any/1", Route("/any/{anything}|anything=1")),
    ("OPTIONS", "/any/1", Route("/any/{anything}|anything=1")),
    // 404 and 405 with Allow (the union over every matching branch)
    ("GET", "/nope", Status(404)),
    ("POST", "/only-get", NotAllowed("GET, HEAD, OPTIONS")),
    ("DELETE", "/users/bob", NotAllowed("GET, HEAD, PUT, OPTIONS")),
    ("PATCH", "/users/42", NotAllowed("GET, HEAD, PUT, DELETE, OPTIONS")),
    ("POST", "/q/b", NotAllowed("GET, HEAD, OPTIONS")),
    ("GET", "/only-post/1", NotAllowed("POST, OPTIONS")),
    // HEAD is served by GET
    ("HEAD", "/users/me", Head("/users/me")),
    ("HEAD", "/files/x", Head("/files/**")),
    ("HEAD", "/only-post/1", NotAllowed("POST, OPTIONS")),
    // OPTIONS
    ("OPTIONS", "/users/42", Options("GET, HEAD, PUT, DELETE, OPTIONS")),
    ("OPTIONS", "/only-get", Options("GET, HEAD, OPTIONS")),
    ("OPTIONS", "/opt", Route("/opt|")),
    ("OPTIONS", "/nothing", Status(404)),
    ("OPTIONS", "*", Options("GET, HEAD, POST, PUT, DELETE, OPTIONS")),
];

fn describe(req: &Request) -> (String, String) {
    let route = req.route().unwrap_or("-").to_owned();
    let params = req.params().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    (route.clone(), format!("{route}|{params}"))
}

async fn serve_echo(req: Request) -> Response {
    let (route, body) = describe(&req);
    Response::text(body).with_header("x-route", &route)
}

async fn stream_echo(s: &mut Stream) {
    let route = s.context().route().unwrap_or("-").to_owned();
    let params = s.context().params().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    let _ = s.setheader("x-route", &route);
    let _ = s.write(format!("{route}|{params}")).await;
}

fn orders() -> Vec<Vec<&'static str>> {
    let forward = ROUTES.to_vec();
    let reverse: Vec<_> = ROUTES.iter().rev().copied().collect();
    // a fixed interleaving: odd positions first, then even ones, reversed
    let mut mixed: Vec<_> = ROUTES.iter().skip(1).step_by(2).copied().collect();
    mixed.extend(ROUTES.iter().step_by(2).rev().copied());
    vec![forward, reverse, mixed]
}

fn build(order: &[&str], stream_routes: bool) -> Router {
    order
        .iter()
        .fold(Router::new(), |r, p| if stream_routes { r.route_stream(p, stream_echo) } else { r.route(p, serve_echo) })
}

fn check(resp: &testing::TestResponse, expect: Expect) -> Result<(), String> {
    let got = (resp.status.as_u16(), resp.text(), resp.header("allow").map(str::to_owned));
    let ok = match expect {
        Route(body) => got == (200, body.to_owned(), None),
        Head(route) => got == (200, String::new(), None) && resp.header("x-route") == Some(route),
        Status(s) => {
            let reason = http_core::StatusCode::from_u16(s).unwrap().canonical_reason().unwrap();
            got == (s, reason.to_owned(), None)
        }
        NotAllowed(allow) if got.0 == 405 && got.2.as_deref() == Some(allow) => true,
        Options(allow) => got == (204, String::new(), Some(allow.to_owned())),
        NotAllowed(_) => false,
    };
    if ok { Ok(()) } else { Err(format!("got {got:?}")) }
}

#[tokio::test]
async fn matching_table() {
    assert!(ROWS.len() >= 60, "the table keeps at least 60 rows");
    let mut failures = Vec::new();
    for (oi, order) in orders().iter().enumerate() {
        for stream_routes in [false, true] {
            let router = build(order, stream_routes);
            for (method, path, expect) in ROWS {
                let method = Method::from_bytes(method.as_bytes()).unwrap();
                let served = testing::call(&router, Request::new(method.clone(), path)).await;
                let streamed = testing::call_stream(&router, Request::new(method.clone(), path)).await;
                for (via, resp) in [("Handler", served), ("StreamHandler", streamed)] {
                    if let Err(e) = check(&resp, *expect) {
                        failures.push(format!(
                            "order {oi}, stream routes {stream_routes}, via {via}: {method} {path} expected {expect:?}, {e}"
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn at_agrees_with_dispatch_on_patterns() {
    let router = build(ROUTES, false);
    for (method, path, expect) in ROWS {
        let (Route(body) | Head(body)) = expect else { continue };
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let uri: http_core::Uri = path.parse().unwrap();
        let m = router.at(&method, uri.path()).unwrap_or_else(|e| panic!("{method} {path}: {e:?}"));
        let pattern = body.split('|').next().unwrap();
        assert_eq!(m.pattern(), pattern, "{method} {path}");
        if let Route(body) = expect {
            let params = m.params().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
            assert_eq!(format!("{}|{params}", m.pattern()), *body, "{method} {path}");
        }
    }
}
