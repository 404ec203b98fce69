//! Cookie parsing and Set-Cookie building, as tables.

use std::time::{Duration, SystemTime};

use http_core::{Method, Request};
use http_router::{SameSite, SetCookie, cookies_from, parse_cookies};

#[test]
fn parse_table() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("a=1", &[("a", "1")]),
        ("a=1; b=2", &[("a", "1"), ("b", "2")]),
        ("a=1;b=2", &[("a", "1"), ("b", "2")]),
        ("  a = 1 ;\tb=2\t", &[("a", "1"), ("b", "2")]),
        ("a=\"quoted\"", &[("a", "quoted")]),
        ("a=\"\"", &[("a", "")]),
        ("a=", &[("a", "")]),
        ("flag", &[("flag", "")]),
        ("a=1;;; ;b=2;", &[("a", "1"), ("b", "2")]),
        ("", &[]),
        (";", &[]),
        ("=novalue; a=1", &[("a", "1")]),
        ("bad name=1; ok=2", &[("ok", "2")]),
        ("a=x\"y; b=2", &[("b", "2")]),
        ("a=x\\y; b=2", &[("b", "2")]),
        ("a=\"x; b=2", &[("b", "2")]),
        ("a=hello world, again", &[("a", "hello world, again")]),
        ("a=1=2", &[("a", "1=2")]),
        ("a=1; a=2", &[("a", "1"), ("a", "2")]),
        ("__Host-id=abc; __Secure-x=y", &[("__Host-id", "abc"), ("__Secure-x", "y")]),
        ("a=caf\u{e9}; b=2", &[("b", "2")]),
        ("a=b=c=d", &[("a", "b=c=d")]),
        ("token+ok=1; (bad)=2", &[("token+ok", "1")]),
        ("sid=%7B%22x%22%7D", &[("sid", "%7B%22x%22%7D")]),
    ];
    for (header, want) in cases {
        let got: Vec<(String, String)> = parse_cookies(header).into_iter().map(|c| (c.name, c.value)).collect();
        let want: Vec<(String, String)> = want.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        assert_eq!(got, want, "header {header:?}");
    }
}

#[test]
fn every_cookie_header_is_read() {
    let req = Request::new(Method::GET, "/")
        .with_header("cookie", "a=1")
        .with_header("cookie", "b=2; c=3")
        .with_header("x-other", "d=4");
    let names: Vec<String> = cookies_from(req.headers()).into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn non_utf8_header_bytes_are_skipped_not_fatal() {
    let mut req = Request::new(Method::GET, "/");
    req.headers_mut().insert("cookie", http_core::HeaderValue::from_bytes(b"a=\xff\xfe; b=2").unwrap());
    let got: Vec<(String, String)> = cookies_from(req.headers()).into_iter().map(|c| (c.name, c.value)).collect();
    assert_eq!(got, [("b".to_string(), "2".to_string())]);
}

#[test]
fn set_cookie_table() {
    let epoch_plus = |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
    let cases: Vec<(SetCookie, Result<&str, &str>)> = vec![
        (SetCookie::new("a", "b"), Ok("a=b")),
        (SetCookie::new("a", ""), Ok("a=")),
        (SetCookie::new("a", "b c"), Ok("a=\"b c\"")),
        (SetCookie::new("a", "x,y"), Ok("a=\"x,y\"")),
        (SetCookie::new("a", "b").path("/app"), Ok("a=b; Path=/app")),
        (SetCookie::new("a", "b").domain("example.com"), Ok("a=b; Domain=example.com")),
        (SetCookie::new("a", "b").max_age(Duration::from_millis(90_500)), Ok("a=b; Max-Age=90")),
        (SetCookie::new("a", "b").expires(epoch_plus(1_445_412_480)), Ok("a=b; Expires=Wed, 21 Oct 2015 07:28:00 GMT")),
        (SetCookie::new("a", "b").secure().http_only(), Ok("a=b; Secure; HttpOnly")),
        (SetCookie::new("a", "b").same_site(SameSite::Strict), Ok("a=b; SameSite=Strict")),
        (SetCookie::new("a", "b").secure().same_site(SameSite::None), Ok("a=b; Secure; SameSite=None")),
        (SetCookie::new("a", "b").same_site(SameSite::None), Err("SameSite=None requires Secure")),
        (SetCookie::new("", "b"), Err("invalid cookie name")),
        (SetCookie::new("a;b", "c"), Err("invalid cookie name")),
        (SetCookie::new("a", "b;c"), Err("invalid cookie value")),
        (SetCookie::new("a", "\"q\""), Err("invalid cookie value")),
        (SetCookie::new("a", "caf\u{e9}"), Err("invalid cookie value")),
        (SetCookie::new("a", "b").path("/x; Secure"), Err("invalid Path")),
        (SetCookie::new("a", "b").domain("ex\nample"), Err("invalid Domain")),
        (SetCookie::removal("a"), Ok("a=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")),
    ];
    for (i, (cookie, want)) in cases.into_iter().enumerate() {
        let got = cookie.header_value().map(|v| v.to_str().unwrap().to_owned()).map_err(|e| e.to_string());
        match (got, want) {
            (Ok(v), Ok(w)) => assert_eq!(v, w, "case {i}"),
            (Err(e), Err(w)) => assert!(e.contains(w), "case {i}: {e}"),
            (got, want) => panic!("case {i}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn set_cookie_round_trips_through_the_parser() {
    let v = SetCookie::new("sid", "a b").path("/").header_value().unwrap();
    let pair = v.to_str().unwrap().split(';').next().unwrap().to_owned();
    let parsed = parse_cookies(&pair);
    assert_eq!((parsed[0].name.as_str(), parsed[0].value.as_str()), ("sid", "a b"));
}
