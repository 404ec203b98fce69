//! Registration: conflicts and invalid patterns (table), and every registration form.

use std::collections::HashMap;

use http_core::{BoxHandler, Method, Request, testing};
use http_router::{RouteError, Router, routes};

async fn ok(req: Request) -> String {
    let params = req.params().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    format!("{}|{params}", req.route().unwrap_or("-"))
}

enum Want {
    Ok,
    /// A conflict naming this earlier route.
    Conflict(&'static str),
    /// An invalid pattern, with this text in the reason.
    Invalid(&'static str),
}

use Want::*;

const CASES: &[(&[&str], &str, Want)] = &[
    (&["GET /a"], "GET /a", Conflict("GET /a")),
    (&["GET /a"], "POST /a", Ok),
    (&["GET /a"], "/a", Ok),
    (&["/a"], "* /a", Conflict("* /a")),
    (&["GET /u/{id}"], "GET /u/{name}", Conflict("GET /u/{id}")),
    (&["GET /u/{id}"], "GET /u/*", Conflict("GET /u/{id}")),
    (&["GET /u/*/x"], "GET /u/{a}/x", Conflict("GET /u/*/x")),
    (&["GET /u/{id}"], r"GET /u/{id:\d+}", Ok),
    (&[r"GET /u/{id:\d+}"], r"GET /u/{n:\d+}", Conflict(r"GET /u/{id:\d+}")),
    (&[r"GET /u/{id:\d+}"], r"GET /u/{n:\d*}", Ok),
    (&["GET /f/**"], "GET /f/**", Conflict("GET /f/**")),
    (&["GET /f/**"], "GET /f/*", Ok),
    (&["GET /a/"], "GET /a", Conflict("GET /a/")),
    (&["GET //a//b"], "GET /a/b/", Conflict("GET //a//b")),
    (&["GET /caf%C3%A9"], "GET /café", Conflict("GET /caf%C3%A9")),
    (&["GET /a%2Fb"], "GET /a/b", Ok),
    (&["GET /x", "POST /x", "PUT /x"], "POST /x", Conflict("POST /x")),
    (&[], "GET /a/**/b", Invalid("`**` must be the last segment")),
    (&[], "get /a", Invalid("case-sensitive")),
    (&[], "GET a", Invalid("must start with `/`")),
    (&[], "GET /a/{id}/{id}", Invalid("appears twice")),
    (&[], "GET /x{id}", Invalid("whole segment")),
    (&[], "GET /x/{id:[}", Invalid("bad regex")),
    (&[], "GET /x/{a b}", Invalid("not a parameter name")),
    (&[], "GET /x/{id", Invalid("unbalanced")),
];

#[test]
fn conflict_and_validity_table() {
    for (existing, new, want) in CASES {
        let router = existing.iter().fold(Router::new(), |r, p| r.route(p, ok));
        let got = router.try_route(new, ok);
        match (got, want) {
            (Result::Ok(_), Ok) => {}
            (Err(RouteError::Conflict { route, existing }), Conflict(first)) => {
                assert_eq!(existing, *first, "adding {new}");
                let (m, p) = new.split_once(' ').unwrap_or(("*", new));
                assert_eq!(route, format!("{m} {p}"), "adding {new}");
            }
            (Err(RouteError::InvalidPattern { reason, .. }), Invalid(why)) => {
                assert!(reason.contains(why), "adding {new}: {reason}");
            }
            (got, _) => panic!("adding {new} after {existing:?}: unexpected {:?}", got.err()),
        }
    }
}

#[test]
#[should_panic(expected = "route `GET /u/{name}` conflicts with `GET /u/{id}`")]
fn route_panics_naming_both() {
    let _ = Router::new().route("GET /u/{id}", ok).route("GET /u/{name}", ok);
}

#[test]
fn register_reports_conflicts_and_bad_methods() {
    let mut r = Router::new();
    r.register("GET", "/a", ok).unwrap().register("*", "/a", ok).unwrap();
    let err = r.register("GET", "/a/", ok).unwrap_err();
    assert_eq!(err, RouteError::Conflict { route: "GET /a/".into(), existing: "GET /a".into() });
    assert!(r.register("G ET", "/b", ok).is_err());
    assert_eq!(r.routes().collect::<Vec<_>>(), [("GET", "/a"), ("*", "/a")]);
}

async fn get(router: &Router, path: &str) -> (u16, String) {
    let r = testing::call(router, Request::new(Method::GET, path)).await;
    (r.status.as_u16(), r.text())
}

#[tokio::test]
async fn route_map_from_list_hashmap_and_macro() {
    let list = Router::from_routes([("GET /a", BoxHandler::new(ok)), ("GET /b/{x}", BoxHandler::new(ok))]).unwrap();
    let map: HashMap<&str, BoxHandler> =
        [("GET /a", BoxHandler::new(ok)), ("GET /b/{x}", BoxHandler::new(ok))].into_iter().collect();
    let from_map = Router::from_routes(map).unwrap();
    let mac = routes! {
        "GET /a" => ok,
        "GET /b/{x}" => |req: Request| async move { ok(req).await },
    };
    for r in [&list, &from_map, &mac] {
        assert_eq!(get(r, "/a").await, (200, "/a|".into()));
        assert_eq!(get(r, "/b/7").await, (200, "/b/{x}|x=7".into()));
    }
    let dup = Router::from_routes([("GET /a", BoxHandler::new(ok)), ("GET /a/", BoxHandler::new(ok))]);
    assert!(matches!(dup, Err(RouteError::Conflict { .. })));
}

#[tokio::test]
async fn mount_table() {
    let api = Router::new().route("GET /", ok).route("GET /users/{id}", ok).route("POST /users", ok);
    let repos = Router::new().route("GET /repos/{repo}", ok);
    let app = Router::new()
        .route("GET /", ok)
        .mount("/api/", api.clone())
        .mount("/orgs/{org}", repos)
        .mount("/", Router::new().route("GET /top", ok));
    let cases: &[(&str, u16, &str)] = &[
        ("/", 200, "/|"),
        ("/api", 200, "/api|"),
        ("/api/users/7", 200, "/api/users/{id}|id=7"),
        ("/orgs/acme/repos/web", 200, "/orgs/{org}/repos/{repo}|org=acme,repo=web"),
        ("/top", 200, "/top|"),
        ("/users/7", 404, "Not Found"),
    ];
    for (path, status, body) in cases {
        assert_eq!(get(&app, path).await, (*status, body.to_string()), "{path}");
    }
    let r = testing::call(&app, Request::new(Method::DELETE, "/api/users")).await;
    assert_eq!((r.status.as_u16(), r.header("allow")), (405, Some("POST, OPTIONS")));

    let err = Router::new().route("GET /api/users/{x}", ok).try_mount("/api", api).unwrap_err();
    assert_eq!(
        err.to_string().split(',').next().unwrap(),
        "route `GET /api/users/{id}` conflicts with `GET /api/users/{x}`"
    );
    let err = Router::new().try_mount("/x/{id}", Router::new().route("GET /{id}", ok)).unwrap_err();
    assert!(err.to_string().contains("appears twice"), "{err}");
}
