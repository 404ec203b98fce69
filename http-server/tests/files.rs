//! Static files: conditionals, ranges, HEAD parity, path safety, symlinks, SPA fallback,
//! redirects, precompressed siblings and listings — in-process through `http_core::testing`,
//! and over real sockets (hyper's client, and raw TCP for paths a client would normalise).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use http_core::testing::{self, TestResponse};
use http_core::{Method, Request, StatusCode};
use http_server::__fuzz::MAX_RANGES;
use http_server::files::{Content, FileServer, FileServerOptions, fileserver, servecontent, servefile};
use http_server::{Server, ServerOptions};

const ALPHA: &str = "abcdefghijklmnopqrstuvwxyz";
const SECRET: &str = "TOP-SECRET-OUTSIDE-ROOT";

/// A fresh folder tree for one test; removed on drop.
struct Site {
    base: PathBuf,
    root: PathBuf,
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn write(path: &Path, data: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// A 300 KiB file of a known pattern (larger than the small-file limit: it streams).
fn big_data() -> Vec<u8> {
    (0..300 * 1024u32).map(|i| (i % 251) as u8).collect()
}

fn site() -> Site {
    static N: AtomicU32 = AtomicU32::new(0);
    let base =
        std::env::temp_dir().join(format!("files-it-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&base);
    let root = base.join("root");
    let r = |p: &str| root.join(p);
    write(&r("alpha.txt"), ALPHA);
    write(&r("index.html"), "<!doctype html><title>shell</title>");
    write(&r("empty.txt"), "");
    write(&r("big.bin"), big_data());
    write(&r("docs/index.html"), "docs index");
    write(&r("docs/guide.md"), "# guide");
    write(&r("noindex/b.txt"), "b");
    write(&r("noindex/<img src=x onerror=alert(1)>&.txt"), "x");
    write(&r("noindex/a file.txt"), "a");
    write(&r("noindex/.hidden"), "h");
    std::fs::create_dir_all(r("noindex/sub")).unwrap();
    write(&r(".env"), "PASSWORD=1");
    write(&r(".git/config"), "[core]");
    write(&r(".well-known/security.txt"), "Contact: x");
    write(&r("app.3f2a9c1b.js"), "console.log('fingerprinted')");
    write(&r("plain.js"), "console.log('plain')");
    write(&r("pre/app.js"), "IDENTITY");
    write(&r("pre/app.js.br"), "BROTLI");
    write(&r("pre/app.js.gz"), "GZIP");
    write(&r("pre/only.css"), "IDENTITY-CSS");
    write(&r("pre/only.css.gz"), "GZIP-CSS");
    write(&r("pre/none.txt"), "NONE");
    write(&base.join("outside/secret.txt"), SECRET);
    write(&base.join("secret.txt"), SECRET);
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(base.join("outside/secret.txt"), r("escape.txt")).unwrap();
        symlink(base.join("outside"), r("escape-dir")).unwrap();
        symlink(r("alpha.txt"), r("inside-link.txt")).unwrap();
        symlink("../docs", r("noindex/docs-link")).unwrap();
    }
    Site { base, root }
}

fn fs_with(site: &Site, opts: FileServerOptions) -> FileServer {
    fileserver(&site.root, opts).unwrap()
}

fn req(method: Method, path: &str, headers: &[(&str, &str)]) -> Request {
    headers.iter().fold(Request::new(method, path), |r, (k, v)| r.with_header(k, v))
}

/// Calls through `serve_as_stream` over the in-memory transport, which frames the response as
/// the engines do (Content-Length from the body, HEAD bodies left out).
async fn call(h: &FileServer, method: Method, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    testing::call_stream(&http_core::serve_as_stream(h.clone()), req(method, path, headers)).await
}

async fn get(h: &FileServer, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    call(h, Method::GET, path, headers).await
}

// ---------------------------------------------------------------- conditionals

#[tokio::test]
async fn conditional_table() {
    let site = site();
    let fs = fs_with(&site, FileServerOptions::new());
    let first = get(&fs, "/alpha.txt", &[]).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.text(), ALPHA);
    let etag = first.header("etag").unwrap().to_owned();
    let lm = first.header("last-modified").unwrap().to_owned();
    let weak = format!("W/{etag}");
    let lm_time = httpdate::parse_http_date(&lm).unwrap();
    let later = httpdate::fmt_http_date(lm_time + std::time::Duration::from_secs(3600));
    let earlier = httpdate::fmt_http_date(lm_time - std::time::Duration::from_secs(3600));
    let other = "\"not-the-tag\"".to_owned();
    let list = format!("\"x\", {etag}");

    struct Row<'a> {
        name: &'a str,
        method: Method,
        headers: Vec<(&'a str, &'a str)>,
        status: u16,
        body: Option<&'a str>,
    }
    let row = |name, method, headers, status, body| Row { name, method, headers, status, body };
    let full = Some(ALPHA);
    let rows = vec![
        row("no conditions", Method::GET, vec![], 200, full),
        row("if-match strong hit", Method::GET, vec![("if-match", etag.as_str())], 200, full),
        row("if-match list hit", Method::GET, vec![("if-match", list.as_str())], 200, full),
        row("if-match star", Method::GET, vec![("if-match", "*")], 200, full),
        row("if-match miss", Method::GET, vec![("if-match", other.as_str())], 412, None),
        row("if-match weak never matches", Method::GET, vec![("if-match", weak.as_str())], 412, None),
        row("ius earlier", Method::GET, vec![("if-unmodified-since", earlier.as_str())], 412, None),
        row("ius equal", Method::GET, vec![("if-unmodified-since", lm.as_str())], 200, full),
        row("ius later", Method::GET, vec![("if-unmodified-since", later.as_str())], 200, full),
        row(
            "ius ignored with if-match",
            Method::GET,
            vec![("if-match", etag.as_str()), ("if-unmodified-since", earlier.as_str())],
            200,
            full,
        ),
        row("ius bad date ignored", Method::GET, vec![("if-unmodified-since", "soon")], 200, full),
        row("inm hit", Method::GET, vec![("if-none-match", etag.as_str())], 304, Some("")),
        row("inm weak hit", Method::GET, vec![("if-none-match", weak.as_str())], 304, Some("")),
        row("inm list hit", Method::GET, vec![("if-none-match", list.as_str())], 304, Some("")),
        row("inm star", Method::GET, vec![("if-none-match", "*")], 304, Some("")),
        row("inm miss", Method::GET, vec![("if-none-match", other.as_str())], 200, full),
        row("inm hit HEAD", Method::HEAD, vec![("if-none-match", etag.as_str())], 304, Some("")),
        row("ims equal", Method::GET, vec![("if-modified-since", lm.as_str())], 304, Some("")),
        row("ims later", Method::GET, vec![("if-modified-since", later.as_str())], 304, Some("")),
        row("ims earlier", Method::GET, vec![("if-modified-since", earlier.as_str())], 200, full),
        row(
            "ims ignored with inm miss",
            Method::GET,
            vec![("if-none-match", other.as_str()), ("if-modified-since", lm.as_str())],
            200,
            full,
        ),
        row("ims bad date", Method::GET, vec![("if-modified-since", "never")], 200, full),
        row(
            "412 before 304",
            Method::GET,
            vec![("if-match", other.as_str()), ("if-none-match", etag.as_str())],
            412,
            None,
        ),
        row(
            "if-range etag hit",
            Method::GET,
            vec![("range", "bytes=0-2"), ("if-range", etag.as_str())],
            206,
            Some("abc"),
        ),
        row("if-range etag miss", Method::GET, vec![("range", "bytes=0-2"), ("if-range", other.as_str())], 200, full),
        row("if-range weak", Method::GET, vec![("range", "bytes=0-2"), ("if-range", weak.as_str())], 200, full),
        row(
            "if-range date hit",
            Method::GET,
            vec![("range", "bytes=0-2"), ("if-range", lm.as_str())],
            206,
            Some("abc"),
        ),
        row("if-range date miss", Method::GET, vec![("range", "bytes=0-2"), ("if-range", earlier.as_str())], 200, full),
        row("if-range without range", Method::GET, vec![("if-range", etag.as_str())], 200, full),
    ];
    for r in &rows {
        let resp = call(&fs, r.method.clone(), "/alpha.txt", &r.headers).await;
        assert_eq!(resp.status.as_u16(), r.status, "{}", r.name);
        if let Some(body) = r.body {
            assert_eq!(resp.text(), body, "{}", r.name);
        }
        match r.status {
            304 => {
                assert_eq!(resp.header("etag"), Some(etag.as_str()), "{}: 304 keeps ETag", r.name);
                assert_eq!(resp.header("last-modified"), Some(lm.as_str()), "{}", r.name);
                assert_eq!(resp.header("content-type"), None, "{}: 304 has no Content-Type", r.name);
                // (The in-memory transport frames a 304 as `content-length: 0`; the real
                // engine sends none — checked over a socket below.)
            }
            412 => assert_eq!(resp.header("etag"), None, "{}", r.name),
            200 => {
                assert_eq!(resp.header("etag"), Some(etag.as_str()), "{}", r.name);
                assert_eq!(resp.header("accept-ranges"), Some("bytes"), "{}", r.name);
                assert_eq!(resp.header("content-length"), Some("26"), "{}", r.name);
                assert_eq!(resp.header("content-type"), Some("text/plain; charset=utf-8"), "{}", r.name);
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn if_none_match_on_other_methods_is_412_in_servecontent() {
    let content = || Content::bytes("data").name("d.txt");
    let etag = content().etag_value().unwrap().to_string();
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let r = req(method.clone(), "/", &[("if-none-match", etag.as_str())]);
        let resp = servecontent(&r, content());
        assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED, "{method}");
    }
    // If-Modified-Since is for GET/HEAD only.
    let r = req(Method::POST, "/", &[("if-modified-since", "Sun, 06 Nov 2094 08:49:37 GMT")]);
    let c = content().last_modified(std::time::UNIX_EPOCH);
    assert_eq!(servecontent(&r, c).status(), StatusCode::OK);
}

// ---------------------------------------------------------------- ranges

#[tokio::test]
async fn range_table() {
    let site = site();
    let fs = fs_with(&site, FileServerOptions::new());
    let too_many: String =
        format!("bytes={}", (0..=MAX_RANGES).map(|i| format!("{}-{}", i, i)).collect::<Vec<_>>().join(","));
    let rows: Vec<(&str, &str, u16, Option<&str>, &str)> = vec![
        // (path, range, status, content-range, body)
        ("/alpha.txt", "bytes=0-4", 206, Some("bytes 0-4/26"), "abcde"),
        ("/alpha.txt", "bytes=0-0", 206, Some("bytes 0-0/26"), "a"),
        ("/alpha.txt", "bytes=20-", 206, Some("bytes 20-25/26"), "uvwxyz"),
        ("/alpha.txt", "bytes=-3", 206, Some("bytes 23-25/26"), "xyz"),
        ("/alpha.txt", "bytes=-100", 206, Some("bytes 0-25/26"), ALPHA),
        ("/alpha.txt", "bytes=24-1000", 206, Some("bytes 24-25/26"), "yz"),
        ("/alpha.txt", "bytes=25-25", 206, Some("bytes 25-25/26"), "z"),
        ("/alpha.txt", "BYTES=1-2", 206, Some("bytes 1-2/26"), "bc"),
        ("/alpha.txt", "bytes=0-5, 3-9", 206, Some("bytes 0-9/26"), "abcdefghij"),
        ("/alpha.txt", "bytes=0-1,2-3", 206, Some("bytes 0-3/26"), "abcd"),
        ("/alpha.txt", "bytes=26-", 416, Some("bytes */26"), "Range Not Satisfiable"),
        ("/alpha.txt", "bytes=100-200", 416, Some("bytes */26"), "Range Not Satisfiable"),
        ("/alpha.txt", "bytes=-0", 416, Some("bytes */26"), "Range Not Satisfiable"),
        ("/alpha.txt", "bytes=abc", 200, None, ALPHA),
        ("/alpha.txt", "bytes=5-3", 200, None, ALPHA),
        ("/alpha.txt", "bytes=", 200, None, ALPHA),
        ("/alpha.txt", "lines=0-3", 200, None, ALPHA),
        ("/alpha.txt", "0-3", 200, None, ALPHA),
        ("/alpha.txt", too_many.as_str(), 200, None, ALPHA),
        ("/empty.txt", "bytes=0-4", 200, None, ""),
    ];
    for (path, range, status, content_range, body) in rows {
        let r = get(&fs, path, &[("range", range)]).await;
        assert_eq!(r.status.as_u16(), status, "{path} {range}");
        assert_eq!(r.header("content-range"), content_range, "{path} {range}");
        assert_eq!(r.text(), body, "{path} {range}");
        assert_eq!(r.header("content-length"), Some(body.len().to_string().as_str()), "{path} {range}");
        if status == 206 {
            assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
            assert!(r.header("etag").is_some());
        }
    }
}

/// The parts of a multipart/byteranges body: (Content-Range, bytes).
type Parts = Vec<(String, Vec<u8>)>;

/// Splits a multipart/byteranges body into its parts.
fn parse_multipart(content_type: &str, body: &[u8]) -> Parts {
    let boundary = content_type.strip_prefix("multipart/byteranges; boundary=").expect("multipart type");
    let delim = format!("--{boundary}");
    let text = body;
    let mut parts = Vec::new();
    let mut pos = 0;
    let find = |hay: &[u8], needle: &[u8], from: usize| -> Option<usize> {
        hay[from..].windows(needle.len()).position(|w| w == needle).map(|i| i + from)
    };
    assert!(text.starts_with(delim.as_bytes()), "body starts with the boundary");
    loop {
        pos += delim.len();
        if text[pos..].starts_with(b"--") {
            assert_eq!(&text[pos..], b"--\r\n", "closing delimiter ends the body");
            break;
        }
        assert_eq!(&text[pos..pos + 2], b"\r\n");
        let head_end = find(text, b"\r\n\r\n", pos).unwrap();
        let head = std::str::from_utf8(&text[pos + 2..head_end]).unwrap();
        let range = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Range: "))
            .expect("each part has a Content-Range")
            .to_owned();
        let next = find(text, format!("\r\n{delim}").as_bytes(), head_end).unwrap();
        parts.push((range, text[head_end + 4..next].to_vec()));
        pos = next + 2;
    }
    parts
}

#[tokio::test]
async fn multipart_ranges_from_bytes_file_and_reader() {
    let site = site();
    let big = big_data();
    // A small chunk size so file ranges cross several reads.
    let fs = fs_with(&site, FileServerOptions::new().chunk_size(1000));
    let cases: Vec<(&str, &str, Parts)> = vec![
        (
            "/alpha.txt",
            "bytes=0-1, 4-5",
            vec![("bytes 0-1/26".into(), b"ab".to_vec()), ("bytes 4-5/26".into(), b"ef".to_vec())],
        ),
        (
            "/alpha.txt",
            "bytes=-2, 0-0, 1-1",
            vec![("bytes 0-1/26".into(), b"ab".to_vec()), ("bytes 24-25/26".into(), b"yz".to_vec())],
        ),
        (
            "/big.bin",
            "bytes=10-2999,200000-205000,-10",
            vec![
                ("bytes 10-2999/307200".into(), big[10..3000].to_vec()),
                ("bytes 200000-205000/307200".into(), big[200000..205001].to_vec()),
                ("bytes 307190-307199/307200".into(), big[307190..].to_vec()),
            ],
        ),
    ];
    for (path, range, want) in cases {
        let r = get(&fs, path, &[("range", range)]).await;
        assert_eq!(r.status, 206, "{path} {range}");
        assert_eq!(r.header("content-range"), None);
        assert_eq!(r.header("content-length").unwrap(), r.body.len().to_string());
        let parts = parse_multipart(r.header("content-type").unwrap(), &r.body);
        assert_eq!(parts, want, "{path} {range}");
    }
    // The same through a generic seekable reader and in-memory bytes.
    for content in [
        Content::reader(std::io::Cursor::new(big.clone()), big.len() as u64).chunk_size(777),
        Content::bytes(big.clone()),
    ] {
        let r2 = req(Method::GET, "/", &[("range", "bytes=0-9,100000-100099")]);
        let out = collect(servecontent(&r2, content)).await;
        assert_eq!(out.0, 206);
        let parts = parse_multipart(&out.1, &out.2);
        assert_eq!(parts[0], ("bytes 0-9/307200".to_owned(), big[..10].to_vec()));
        assert_eq!(parts[1], ("bytes 100000-100099/307200".to_owned(), big[100000..100100].to_vec()));
    }
}

async fn collect(resp: http_core::Response) -> (u16, String, Vec<u8>) {
    let ct = resp.header("content-type").unwrap_or("").to_owned();
    let status = resp.status().as_u16();
    let body = resp.into_body();
    let declared = body.exact_len();
    let bytes = body.collect(usize::MAX).await.unwrap();
    assert_eq!(declared, Some(bytes.len() as u64), "declared length matches the bytes sent");
    (status, ct, bytes.to_vec())
}

#[tokio::test]
async fn large_file_streams_in_chunks_with_exact_length() {
    let site = site();
    let big = big_data();
    let fs = fs_with(&site, FileServerOptions::new().chunk_size(64 * 1024));
    let resp = fs.serve(&Request::new(Method::GET, "/big.bin")).await;
    assert!(resp.body().is_stream(), "a file over the small-file limit is streamed");
    assert_eq!(resp.body().exact_len(), Some(big.len() as u64));
    let mut body = resp.into_body();
    let mut got = Vec::new();
    let mut frames = 0;
    while let Some(frame) = body.next_frame().await {
        let http_core::Frame::Data(d) = frame.unwrap() else { panic!("no trailers") };
        assert!(d.len() <= 64 * 1024, "bounded chunk");
        got.extend_from_slice(&d);
        frames += 1;
    }
    assert_eq!(got, big);
    assert_eq!(frames, 5, "300 KiB in 64 KiB reads");
    // A reader source whose data ends early fails the body rather than sending short.
    let short = Content::reader(std::io::Cursor::new(vec![1u8; 10]), 20);
    let body = servecontent(&Request::new(Method::GET, "/"), short).into_body();
    assert!(body.collect(1000).await.is_err());
}

// ---------------------------------------------------------------- HEAD parity

#[tokio::test]
async fn head_matches_get() {
    let site = site();
    let fs = fs_with(&site, FileServerOptions::new().spa_fallback("index.html").precompressed(true).listing(true));
    let rows: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/alpha.txt", vec![]),
        ("/big.bin", vec![]),
        ("/alpha.txt", vec![("range", "bytes=0-4")]),
        ("/alpha.txt", vec![("range", "bytes=0-1,5-6")]),
        ("/alpha.txt", vec![("range", "bytes=99-")]),
        ("/alpha.txt", vec![("if-match", "\"nope\"")]),
        ("/docs", vec![]),
        ("/docs/", vec![]),
        ("/client/route", vec![]),
        ("/missing.js", vec![]),
        ("/pre/app.js", vec![("accept-encoding", "br")]),
        ("/noindex/", vec![]),
        ("/%2e%2e/x", vec![]),
    ];
    for (path, headers) in rows {
        let g = get(&fs, path, &headers).await;
        let h = call(&fs, Method::HEAD, path, &headers).await;
        assert_eq!(h.status, g.status, "{path} {headers:?}");
        let strip = |r: &TestResponse| {
            let mut m = r.headers.clone();
            m.remove("content-type").filter(|v| !v.to_str().unwrap().starts_with("multipart/"));
            m
        };
        if g.header("content-type").is_some_and(|t| t.starts_with("multipart/")) {
            // The boundary differs per response; everything else must not.
            assert!(h.header("content-type").unwrap().starts_with("multipart/byteranges; boundary="));
            let (mut gm, mut hm) = (strip(&g), strip(&h));
            gm.remove("content-length");
            hm.remove("content-length");
            assert_eq!(gm, hm, "{path}");
        } else {
            assert_eq!(h.headers, g.headers, "{path} {headers:?}");
        }
        assert!(h.body.is_empty(), "{path}: HEAD has no body");
    }
}

// ---------------------------------------------------------------- path safety

#[tokio::test]
async fn traversal_encodings_never_reach_the_file() {
    let site = site();
    let fs = fs_with(&site, FileServerOptions::new().listing(true));
    let rows = [
        "/../secret.txt",
        "/../../etc/passwd",
        "/docs/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/%2e./secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/docs%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/%5c..%5csecret.txt",
        "/..%255c..%255csecret.txt",
        "/%252e%252e/secret.txt",
        "/%c0%ae%c0%ae/secret.txt",
        "/%c0%af../secret.txt",
        "/secret.txt%00.html",
        "/%00/../secret.txt",
        "/./../secret.txt",
        "//..//secret.txt",
        "/escape.txt",
        "/escape-dir/secret.txt",
        "/escape-dir/",
        "/.env",
        "/.git/config",
        "/noindex/.hidden",
        "/%2eenv",
        "/docs/%2e%2e/%2e%2e/secret.txt",
        "/..;/secret.txt",
    ];
    assert!(rows.len() >= 15);
    for path in rows {
        for method in [Method::GET, Method::HEAD] {
            let r = call(&fs, method.clone(), path, &[]).await;
            assert!(matches!(r.status.as_u16(), 400 | 404), "{method} {path}: {}", r.status);
            assert!(!r.text().contains(SECRET) && !r.text().contains("PASSWORD"), "{path} leaked");
        }
    }
    // The same guard on servefile: the request target is checked, whatever the path served.
    let file = site.root.join("alpha.txt");
    for path in ["/%2e%2e/x", "/a%2fb", "/a%00", "/%5c"] {
        let r = testing::call(
            &{
                let file = file.clone();
                move |req: Request| {
                    let file = file.clone();
                    async move { servefile(&req, &file).await }
                }
            },
            Request::new(Method::GET, path),
        )
        .await;
        assert_eq!(r.status, 400, "servefile {path}");
    }
}

#[tokio::test]
async fn dotfiles_well_known_and_symlinks() {
    let site = site();
    let strict = fs_with(&site, FileServerOptions::new());
    let open = fs_with(&site, FileServerOptions::new().dotfiles(true).follow_symlinks(true));
    let rows: [(&str, u16, u16, Option<&str>); 7] = [
        // (path, strict status, open status, open body)
        ("/.env", 404, 200, Some("PASSWORD=1")),
        ("/.git/config", 404, 200, Some("[core]")),
        ("/.well-known/security.txt", 200, 200, Some("Contact: x")),
        ("/inside-link.txt", 200, 200, Some(ALPHA)),
        ("/escape.txt", 404, 200, Some(SECRET)),
        ("/escape-dir/secret.txt", 404, 200, Some(SECRET)),
        ("/noindex/docs-link/guide.md", 200, 200, Some("# guide")),
    ];
    for (path, s1, s2, body) in rows {
        let a = get(&strict, path, &[]).await;
        assert_eq!(a.status.as_u16(), s1, "strict {path}");
        if s1 != 200 {
            assert!(!a.text().contains(SECRET));
        }
        let b = get(&open, path, &[]).await;
        assert_eq!(b.status.as_u16(), s2, "open {path}");
        if let Some(body) = body {
            assert_eq!(b.text(), body, "open {path}");
        }
    }
    // A FIFO is not a file: 404, without opening it (which would block).
    #[cfg(unix)]
    if std::process::Command::new("mkfifo").arg(site.root.join("pipe")).status().is_ok_and(|s| s.success()) {
        for fs in [&strict, &fs_with(&site, FileServerOptions::new().inline_io(true))] {
            let r = tokio::time::timeout(std::time::Duration::from_secs(5), get(fs, "/pipe", &[])).await;
            assert_eq!(r.expect("a FIFO does not block the lookup").status, 404);
        }
    }
}

// ---------------------------------------------------------------- methods, folders, SPA

#[tokio::test]
async fn methods_folders_and_redirects() {
    let site = site();
    let fs = fs_with(&site, FileServerOptions::new());
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH, Method::OPTIONS] {
        let r = call(&fs, method.clone(), "/alpha.txt", &[]).await;
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
    let rows: [(&str, u16, Option<&str>, Option<&str>); 10] = [
        // (path, status, location, body)
        ("/", 200, None, Some("<!doctype html><title>shell</title>")),
        ("/docs", 301, Some("/docs/"), None),
        ("/docs?page=2&x=%20y", 301, Some("/docs/?page=2&x=%20y"), None),
        ("//docs", 301, Some("/docs/"), None),
        ("/docs/", 200, None, Some("docs index")),
        ("/docs/guide.md", 200, None, Some("# guide")),
        ("/docs/guide.md/", 404, None, None),
        ("/noindex/", 404, None, None),
        ("/nothing-here.txt", 404, None, None),
        ("/alpha.txt?v=1", 200, None, Some(ALPHA)),
    ];
    for (path, status, location, body) in rows {
        let r = get(&fs, path, &[]).await;
        assert_eq!(r.status.as_u16(), status, "{path}");
        assert_eq!(r.header("location"), location, "{path}");
        if let Some(body) = body {
            assert_eq!(r.text(), body, "{path}");
        }
    }
    // No index file configured: a folder is 404.
    let noidx = fs_with(&site, FileServerOptions::new().index(None));
    assert_eq!(get(&noidx, "/docs/", &[]).await.status, 404);
    // Mounted under a prefix.
    let mounted = fs_with(&site, FileServerOptions::new().strip_prefix("/static/"));
    assert_eq!(get(&mounted, "/static/alpha.txt", &[]).await.text(), ALPHA);
    assert_eq!(get(&mounted, "/static", &[]).await.status, 200);
    assert_eq!(get(&mounted, "/staticx/alpha.txt", &[]).await.status, 404);
    assert_eq!(get(&mounted, "/alpha.txt", &[]).await.status, 404);
    assert_eq!(get(&mounted, "/static/docs?a=1", &[]).await.header("location"), Some("/static/docs/?a=1"));
}

#[tokio::test]
async fn spa_fallback_vs_missing_assets() {
    let site = site();
    let fs = fs_with(&site, FileServerOptions::new().spa_fallback("index.html").cache_control("public, max-age=60"));
    let shell = "<!doctype html><title>shell</title>";
    let rows: [(&str, u16, Option<&str>, Option<&str>); 11] = [
        // (path, status, body, cache-control)
        ("/", 200, Some(shell), Some("no-cache")),
        ("/index.html", 200, Some(shell), Some("no-cache")),
        ("/users/42", 200, Some(shell), Some("no-cache")),
        ("/settings/profile/", 200, Some(shell), Some("no-cache")),
        ("/deep/a/b/c", 200, Some(shell), Some("no-cache")),
        ("/app.missing.js", 404, None, None),
        ("/assets/logo.png", 404, None, None),
        ("/gallery.v2", 404, None, None),
        ("/alpha.txt", 200, Some(ALPHA), Some("public, max-age=60")),
        ("/.env", 404, None, None),
        ("/%2e%2e/secret", 400, None, None),
    ];
    for (path, status, body, cc) in rows {
        let r = get(&fs, path, &[]).await;
        assert_eq!(r.status.as_u16(), status, "{path}");
        if let Some(body) = body {
            assert_eq!(r.text(), body, "{path}");
        }
        assert_eq!(r.header("cache-control"), cc, "{path}");
    }
    // The shell still answers conditionals.
    let etag = get(&fs, "/users/1", &[]).await.header("etag").unwrap().to_owned();
    assert_eq!(get(&fs, "/users/2", &[("if-none-match", &etag)]).await.status, 304);
    // Construction checks: the fallback must be a file inside the root.
    assert!(fileserver(&site.root, FileServerOptions::new().spa_fallback("nope.html")).is_err());
    assert!(fileserver(&site.root, FileServerOptions::new().spa_fallback("docs")).is_err());
    assert!(fileserver(&site.root, FileServerOptions::new().spa_fallback("../secret.txt")).is_err());
    assert!(fileserver(site.root.join("alpha.txt"), FileServerOptions::new()).is_err());
}

#[tokio::test]
async fn cache_control_rules() {
    let site = site();
    let fs = fs_with(
        &site,
        FileServerOptions::new()
            .cache_control("public, max-age=60")
            .fingerprinted_cache_control("public, max-age=31536000, immutable"),
    );
    let rows = [
        ("/app.3f2a9c1b.js", "public, max-age=31536000, immutable"),
        ("/plain.js", "public, max-age=60"),
        ("/alpha.txt", "public, max-age=60"),
    ];
    for (path, cc) in rows {
        let r = get(&fs, path, &[]).await;
        assert_eq!(r.header("cache-control"), Some(cc), "{path}");
        let etag = r.header("etag").unwrap().to_owned();
        let r304 = get(&fs, path, &[("if-none-match", &etag)]).await;
        assert_eq!((r304.status.as_u16(), r304.header("cache-control")), (304, Some(cc)), "304 keeps Cache-Control");
    }
}

// ---------------------------------------------------------------- precompressed

#[tokio::test]
async fn precompressed_selection() {
    let site = site();
    let fs = fs_with(&site, FileServerOptions::new().precompressed(true));
    type Row<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);
    let rows: [Row; 11] = [
        // (path, accept-encoding, body, content-encoding, vary)
        ("/pre/app.js", "", "IDENTITY", None, Some("accept-encoding")),
        ("/pre/app.js", "gzip", "GZIP", Some("gzip"), Some("accept-encoding")),
        ("/pre/app.js", "br", "BROTLI", Some("br"), Some("accept-encoding")),
        ("/pre/app.js", "gzip, deflate, br", "BROTLI", Some("br"), Some("accept-encoding")),
        ("/pre/app.js", "br;q=0, gzip", "GZIP", Some("gzip"), Some("accept-encoding")),
        ("/pre/app.js", "*", "BROTLI", Some("br"), Some("accept-encoding")),
        ("/pre/app.js", "identity", "IDENTITY", None, Some("accept-encoding")),
        ("/pre/only.css", "br", "IDENTITY-CSS", None, Some("accept-encoding")),
        ("/pre/only.css", "br, gzip", "GZIP-CSS", Some("gzip"), Some("accept-encoding")),
        ("/pre/none.txt", "br, gzip", "NONE", None, None),
        ("/pre/app.js.br", "", "BROTLI", None, None),
    ];
    let mut tags = std::collections::HashSet::new();
    for (path, ae, body, ce, vary) in rows {
        let r = get(&fs, path, &[("accept-encoding", ae)]).await;
        assert_eq!(r.status, 200, "{path} {ae}");
        assert_eq!(r.text(), body, "{path} {ae}");
        assert_eq!(r.header("content-encoding"), ce, "{path} {ae}");
        assert_eq!(r.header("vary"), vary, "{path} {ae}");
        if path == "/pre/app.js" {
            assert_eq!(r.header("content-type"), Some("text/javascript; charset=utf-8"), "type of the original");
            tags.insert(r.header("etag").unwrap().to_owned());
        }
    }
    assert_eq!(tags.len(), 3, "each coding has its own ETag");
    // Off by default.
    let plain = fs_with(&site, FileServerOptions::new());
    let r = get(&plain, "/pre/app.js", &[("accept-encoding", "br")]).await;
    assert_eq!((r.text().as_str(), r.header("vary")), ("IDENTITY", None));
}

// ---------------------------------------------------------------- listings

#[tokio::test]
async fn listing_is_sorted_and_escaped() {
    let site = site();
    let fs = fs_with(&site, FileServerOptions::new().listing(true));
    let r = get(&fs, "/noindex/", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let html = r.text();
    assert!(!html.contains("<img"), "names are escaped: {html}");
    assert!(html.contains(">&lt;img src=x onerror=alert(1)&gt;&amp;.txt</a>"), "{html}");
    assert!(html.contains("href=\"./%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%26.txt\""), "{html}");
    assert!(html.contains("href=\"./a%20file.txt\">a file.txt</a>"));
    assert!(html.contains("href=\"./sub/\">sub/</a>"));
    assert!(!html.contains(".hidden"), "dotfiles are not listed");
    let order: Vec<usize> = ["&lt;img", "a file.txt", "b.txt", "docs-link/", "sub/"]
        .iter()
        .map(|n| html.find(n).unwrap_or_else(|| panic!("{n} listed")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "sorted: {order:?}");
    // Folders with an index file still serve it; listing is off by default.
    assert_eq!(get(&fs, "/docs/", &[]).await.text(), "docs index");
    assert_eq!(get(&fs_with(&site, FileServerOptions::new()), "/noindex/", &[]).await.status, 404);
}

// ---------------------------------------------------------------- real sockets

async fn start(site: &Site, opts: FileServerOptions) -> Server {
    Server::serve(ServerOptions::new().port(0), fs_with(site, opts)).await.unwrap()
}

/// Sends raw bytes and reads the whole answer (the request asks the server to close).
fn raw(port: u16, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_tcp_traversal() {
    let site = site();
    let server = start(&site, FileServerOptions::new()).await;
    let port = server.port();
    let targets = [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/docs/../../secret.txt",
        "/..\\secret.txt",
        "/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%5csecret.txt",
        "/escape.txt",
        "/./../secret.txt",
        "/.env",
    ];
    for t in targets {
        let out = tokio::task::spawn_blocking(move || {
            raw(port, &format!("GET {t} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        })
        .await
        .unwrap();
        let status = out.split(' ').nth(1).unwrap_or("");
        assert!(status == "400" || status == "404", "{t}: {out}");
        assert!(!out.contains(SECRET) && !out.contains("PASSWORD"), "{t} leaked");
    }
    // And a normal request on the same server works.
    let ok = tokio::task::spawn_blocking(move || {
        raw(port, "GET /alpha.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=-3\r\nConnection: close\r\n\r\n")
    })
    .await
    .unwrap();
    assert!(ok.starts_with("HTTP/1.1 206"), "{ok}");
    assert!(ok.to_ascii_lowercase().contains("content-range: bytes 23-25/26"));
    assert!(ok.ends_with("\r\n\r\nxyz"), "{ok}");
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_client_conditionals_ranges_and_large_body() {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let site = site();
    let server = start(&site, FileServerOptions::new().chunk_size(16 * 1024)).await;
    let base = format!("http://127.0.0.1:{}", server.port());
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let send = |method: Method, path: &str, headers: Vec<(&'static str, String)>| {
        let mut b = hyper::Request::builder().method(method).uri(format!("{base}{path}"));
        for (k, v) in headers {
            b = b.header(k, v);
        }
        let req = b.body(Empty::new()).unwrap();
        let client = client.clone();
        async move {
            let resp = client.request(req).await.unwrap();
            let (parts, body) = resp.into_parts();
            let bytes = body.collect().await.unwrap().to_bytes();
            (parts, bytes)
        }
    };
    let (p, body) = send(Method::GET, "/big.bin", vec![]).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.headers["content-length"], "307200");
    assert_eq!(body.as_ref(), big_data().as_slice());
    let etag = p.headers["etag"].to_str().unwrap().to_owned();

    let (p, body) = send(Method::GET, "/big.bin", vec![("if-none-match", etag.clone())]).await;
    assert_eq!((p.status.as_u16(), body.len()), (304, 0));
    assert_eq!(p.headers.get("etag").unwrap(), etag.as_str());
    assert!(p.headers.get("content-length").is_none() && p.headers.get("content-type").is_none());
    let (p, body) = send(Method::GET, "/big.bin", vec![("range", "bytes=100000-100009".into())]).await;
    assert_eq!(p.status, 206);
    assert_eq!(p.headers["content-range"], "bytes 100000-100009/307200");
    assert_eq!(body.as_ref(), &big_data()[100000..100010]);
    let (p, _) = send(Method::GET, "/big.bin", vec![("range", "bytes=400000-".into())]).await;
    assert_eq!((p.status.as_u16(), p.headers["content-range"].to_str().unwrap()), (416, "bytes */307200"));
    let (p, _) = send(Method::GET, "/big.bin", vec![("if-match", "\"other\"".into())]).await;
    assert_eq!(p.status, 412);
    let (p, body) = send(Method::HEAD, "/big.bin", vec![]).await;
    assert_eq!((p.status.as_u16(), p.headers["content-length"].to_str().unwrap(), body.len()), (200, "307200", 0));
    let (p, _) = send(Method::GET, "/docs?x=1", vec![]).await;
    assert_eq!((p.status.as_u16(), p.headers["location"].to_str().unwrap()), (301, "/docs/?x=1"));
    drop(client); // closes the pooled keep-alive connections, so the graceful close is quick
    server.close().await;
}

#[tokio::test]
async fn inline_io_answers_exactly_like_the_blocking_pool() {
    let site = site();
    let pool = fs_with(&site, FileServerOptions::new().chunk_size(4096).listing(true).precompressed(true));
    let inline =
        fs_with(&site, FileServerOptions::new().chunk_size(4096).listing(true).precompressed(true).inline_io(true));
    let rows: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/alpha.txt", vec![]),
        ("/big.bin", vec![]),
        ("/big.bin", vec![("range", "bytes=5000-70000")]),
        ("/big.bin", vec![("range", "bytes=0-9,100000-200000,-5")]),
        ("/big.bin", vec![("range", "bytes=999999-")]),
        ("/alpha.txt", vec![("if-none-match", "*")]),
        ("/docs", vec![]),
        ("/noindex/", vec![]),
        ("/pre/app.js", vec![("accept-encoding", "gzip")]),
        ("/escape.txt", vec![]),
        ("/missing", vec![]),
    ];
    for (path, headers) in rows {
        let a = get(&pool, path, &headers).await;
        let b = get(&inline, path, &headers).await;
        assert_eq!(a.status, b.status, "{path} {headers:?}");
        if a.header("content-type").is_some_and(|t| t.starts_with("multipart/")) {
            let pa = parse_multipart(a.header("content-type").unwrap(), &a.body);
            assert_eq!(pa, parse_multipart(b.header("content-type").unwrap(), &b.body), "{path}");
            assert_eq!(pa.len(), 3);
        } else {
            assert_eq!(a.headers, b.headers, "{path} {headers:?}");
            assert_eq!(a.body, b.body, "{path} {headers:?}");
        }
    }
    // A streamed body read inline still comes in bounded chunks.
    let resp = inline.serve(&Request::new(Method::GET, "/big.bin")).await;
    let mut body = resp.into_body();
    let mut total = 0;
    while let Some(frame) = body.next_frame().await {
        let http_core::Frame::Data(d) = frame.unwrap() else { panic!("no trailers") };
        assert!(d.len() <= 4096);
        total += d.len();
    }
    assert_eq!(total, 300 * 1024);
}
