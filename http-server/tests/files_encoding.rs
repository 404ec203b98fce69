//! The file server's content codings and caches over real sockets (hyper's client, which
//! does not decode): on-the-fly br/zstd/gzip/deflate decoded by independent decoders,
//! `Vary` and per-coding ETags, Range → identity, precompressed siblings first, weak
//! ETags, and the caches' invalidation when a file changes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use http_core::{Method, Request, testing};
use http_server::files::{FileServerOptions, fileserver, servefile_with};
use http_server::{Server, ServerOptions};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

struct Site {
    root: PathBuf,
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn write(path: &Path, data: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// Text that compresses well but not trivially.
fn text(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut i = 0u64;
    while out.len() < n {
        out.extend_from_slice(format!("function f{i}() {{ return {}; }}\n", i * 7919 % 1000).as_bytes());
        i += 1;
    }
    out.truncate(n);
    out
}

fn site() -> Site {
    static N: AtomicU32 = AtomicU32::new(0);
    let root =
        std::env::temp_dir().join(format!("files-enc-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&root);
    write(&root.join("app.js"), text(20_000));
    write(&root.join("huge.js"), text(3 * 1024 * 1024 + 7));
    write(&root.join("tiny.css"), "a{b:c}");
    write(&root.join("logo.png"), vec![7u8; 5000]);
    write(&root.join("pre/app.js"), text(4000));
    write(&root.join("pre/app.js.gz"), "GZIP-SIBLING");
    Site { root }
}

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap(),
        "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut out).unwrap(),
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out).unwrap(),
        "zstd" => zstd::stream::read::Decoder::new(body).unwrap().read_to_end(&mut out).unwrap(),
        other => panic!("unknown coding {other}"),
    };
    out
}

type Answer = (hyper::http::response::Parts, Bytes);

struct Peer {
    server: Server,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>,
}

impl Peer {
    async fn new(site: &Site, opts: FileServerOptions) -> Peer {
        let server = Server::serve(ServerOptions::new().port(0), fileserver(&site.root, opts).unwrap()).await.unwrap();
        Peer { server, client: Client::builder(TokioExecutor::new()).build_http() }
    }

    async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut b =
            hyper::Request::builder().method(method).uri(format!("http://127.0.0.1:{}{path}", self.server.port()));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let resp = self.client.request(b.body(Empty::new()).unwrap()).await.unwrap();
        let (parts, body) = resp.into_parts();
        (parts, body.collect().await.unwrap().to_bytes())
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send(Method::GET, path, headers).await
    }

    async fn close(self) {
        drop(self.client);
        self.server.close().await;
    }
}

fn h<'a>(p: &'a hyper::http::response::Parts, name: &str) -> Option<&'a str> {
    p.headers.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_coding_round_trips_small_and_streamed() {
    let site = site();
    let peer = Peer::new(&site, FileServerOptions::new().compress(true)).await;
    let (plain, _) = peer.get("/app.js", &[]).await;
    let identity_tag = h(&plain, "etag").unwrap().trim_end_matches('"').to_owned();
    for (path, want) in [("/app.js", text(20_000)), ("/huge.js", text(3 * 1024 * 1024 + 7))] {
        let mut tags = std::collections::HashSet::new();
        for (coding, suffix) in [("br", "-br"), ("zstd", "-zst"), ("gzip", "-gz"), ("deflate", "-zz")] {
            let (p, body) = peer.get(path, &[("accept-encoding", coding)]).await;
            assert_eq!(p.status, 200, "{path} {coding}");
            assert_eq!(h(&p, "content-encoding"), Some(coding), "{path}");
            assert_eq!(h(&p, "vary"), Some("accept-encoding"), "{path} {coding}");
            assert_eq!(h(&p, "accept-ranges"), None, "no ranges on a coding");
            assert_eq!(h(&p, "content-type"), Some("text/javascript; charset=utf-8"));
            let tag = h(&p, "etag").unwrap();
            assert!(tag.ends_with(&format!("{suffix}\"")), "{tag}");
            tags.insert(tag.to_owned());
            assert!(body.len() < want.len() / 2, "{path} {coding}: {} bytes", body.len());
            assert_eq!(decode(coding, &body), want, "{path} {coding}");
            if path == "/app.js" {
                assert_eq!(h(&p, "content-length"), Some(body.len().to_string().as_str()), "cached: known length");
                assert!(tag.starts_with(&identity_tag), "{tag} extends {identity_tag}");
            } else {
                assert_eq!(h(&p, "transfer-encoding"), Some("chunked"), "streamed");
            }
        }
        assert_eq!(tags.len(), 4, "{path}: one tag per coding");
    }
    peer.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiation_vary_validators_and_ranges() {
    let site = site();
    let peer = Peer::new(&site, FileServerOptions::new().compress(true).precompressed(true)).await;
    type Row<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>);
    let rows: [Row; 10] = [
        // (path, accept-encoding, content-encoding, vary)
        ("/app.js", "", None, Some("accept-encoding")),
        ("/app.js", "identity", None, Some("accept-encoding")),
        ("/app.js", "gzip;q=0.5, br;q=0.8", Some("br"), Some("accept-encoding")),
        ("/app.js", "gzip, br;q=0", Some("gzip"), Some("accept-encoding")),
        ("/app.js", "*;q=0", None, Some("accept-encoding")),
        ("/app.js", "*", Some("br"), Some("accept-encoding")),
        ("/tiny.css", "gzip", None, None),
        ("/logo.png", "gzip, br", None, None),
        ("/pre/app.js", "gzip, br", Some("gzip"), Some("accept-encoding")),
        ("/pre/app.js", "zstd", Some("zstd"), Some("accept-encoding")),
    ];
    for (path, ae, ce, vary) in rows {
        let (p, body) = peer.get(path, &[("accept-encoding", ae)]).await;
        assert_eq!((p.status.as_u16(), h(&p, "content-encoding"), h(&p, "vary")), (200, ce, vary), "{path} {ae}");
        if path == "/pre/app.js" && ce == Some("gzip") {
            assert_eq!(body.as_ref(), b"GZIP-SIBLING", "the precompressed sibling wins");
        }
    }
    // A Range request gets the identity coding, with the range (and still Vary).
    let (p, body) = peer.get("/app.js", &[("accept-encoding", "gzip, br"), ("range", "bytes=0-8")]).await;
    assert_eq!((p.status.as_u16(), h(&p, "content-encoding")), (206, None));
    assert_eq!((body.as_ref(), h(&p, "vary")), (&text(9)[..], Some("accept-encoding")));
    let (p, _) = peer.get("/pre/app.js", &[("accept-encoding", "gzip"), ("range", "bytes=0-3")]).await;
    assert_eq!((p.status.as_u16(), h(&p, "content-encoding")), (206, None), "siblings too");
    // If-None-Match compares with the tag of the coding being sent.
    let (gz, _) = peer.get("/app.js", &[("accept-encoding", "gzip")]).await;
    let gz_tag = h(&gz, "etag").unwrap().to_owned();
    let (p, body) = peer.get("/app.js", &[("accept-encoding", "gzip"), ("if-none-match", &gz_tag)]).await;
    assert_eq!((p.status.as_u16(), body.len(), h(&p, "etag")), (304, 0, Some(gz_tag.as_str())));
    assert_eq!(h(&p, "vary"), Some("accept-encoding"));
    let (p, _) = peer.get("/app.js", &[("accept-encoding", "br"), ("if-none-match", &gz_tag)]).await;
    assert_eq!(p.status, 200, "the gzip tag does not validate the br body");
    let (p, _) = peer.get("/app.js", &[("if-none-match", &gz_tag)]).await;
    assert_eq!(p.status, 200, "nor the identity body");
    // HEAD answers like GET, without a body.
    let (p, body) = peer.send(Method::HEAD, "/app.js", &[("accept-encoding", "gzip")]).await;
    assert_eq!((p.status.as_u16(), h(&p, "content-encoding"), body.len()), (200, Some("gzip"), 0));
    peer.close().await;
    // Off by default in the library.
    let off = Peer::new(&site, FileServerOptions::new()).await;
    let (p, _) = off.get("/app.js", &[("accept-encoding", "gzip")]).await;
    assert_eq!((h(&p, "content-encoding"), h(&p, "vary")), (None, None));
    off.close().await;
}

fn touch(path: &Path, data: &[u8], secs: u64) {
    std::fs::write(path, data).unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caches_follow_file_changes() {
    let site = site();
    let file = site.root.join("page.html");
    let old = text(3000);
    touch(&file, &old, 1_700_000_000);
    let peer = Peer::new(&site, FileServerOptions::new().compress(true).cache_bytes(1 << 20)).await;
    for _ in 0..2 {
        assert_eq!(peer.get("/page.html", &[]).await.1.as_ref(), old.as_slice());
        assert_eq!(decode("gzip", &peer.get("/page.html", &[("accept-encoding", "gzip")]).await.1), old);
    }
    // Same size, another modification time: both caches miss and read the new bytes.
    let mut new = old.clone();
    new[0] = b'X';
    touch(&file, &new, 1_700_000_100);
    assert_eq!(peer.get("/page.html", &[]).await.1.as_ref(), new.as_slice());
    assert_eq!(decode("gzip", &peer.get("/page.html", &[("accept-encoding", "gzip")]).await.1), new);
    // A range of a cached body.
    let (p, body) = peer.get("/page.html", &[("range", "bytes=0-0")]).await;
    assert_eq!((p.status.as_u16(), body.as_ref()), (206, &b"X"[..]));
    peer.close().await;
}

/// With remembered lookups, the siblings found are remembered with the file: a fresh entry
/// serves the sibling it opened (even once removed), and changes to the siblings (added,
/// rewritten, removed) show once the entry is looked up again, like changes to the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remembered_siblings_follow_changes() {
    let site = site();
    let dir = site.root.join("pre");
    let (file, gz) = (dir.join("page.js"), dir.join("page.js.gz"));
    write(&file, text(30_000));
    touch(&gz, &vec![b'g'; 20_000], 1_700_000_000);
    let opts = |ttl| FileServerOptions::new().inline_io(true).precompressed(true).metadata_ttl(ttl);
    let gzip = [("accept-encoding", "gzip")];
    // Remembered for a long time: the sibling opened first is served after its removal.
    let long = Peer::new(&site, opts(Duration::from_secs(3600))).await;
    let (p, body) = long.get("/pre/page.js", &gzip).await;
    assert_eq!((h(&p, "content-encoding"), h(&p, "vary"), body.len()), (Some("gzip"), Some("accept-encoding"), 20_000));
    let first_tag = h(&p, "etag").unwrap().to_owned();
    assert!(first_tag.ends_with("-gz\""), "{first_tag}");
    assert_eq!(h(&p, "last-modified"), Some("Tue, 14 Nov 2023 22:13:20 GMT"), "the sibling's own");
    std::fs::remove_file(&gz).unwrap();
    let (p, body) = long.get("/pre/page.js", &gzip).await;
    assert_eq!(
        (h(&p, "content-encoding"), h(&p, "etag"), body.len()),
        (Some("gzip"), Some(first_tag.as_str()), 20_000)
    );
    long.close().await;
    // Looked up again after the ttl: each change to the sibling shows.
    let ttl = Duration::from_millis(50);
    let short = Peer::new(&site, opts(ttl)).await;
    let (p, body) = short.get("/pre/page.js", &gzip).await;
    assert_eq!((h(&p, "content-encoding"), body.as_ref()), (None, &text(30_000)[..]), "no sibling");
    assert_eq!(h(&p, "vary"), None);
    let mut tags = std::collections::HashSet::new();
    for (data, secs) in
        [(vec![b'1'; 20_000], 1_700_000_000), (vec![b'2'; 20_000], 1_700_000_100), (vec![b'3'; 100], 1_700_000_200)]
    {
        touch(&gz, &data, secs);
        tokio::time::sleep(ttl + Duration::from_millis(20)).await;
        for _ in 0..2 {
            let (p, body) = short.get("/pre/page.js", &gzip).await;
            assert_eq!((h(&p, "content-encoding"), body.as_ref()), (Some("gzip"), &data[..]), "sibling at {secs}");
            tags.insert(h(&p, "etag").unwrap().to_owned());
        }
        let (p, body) = short.get("/pre/page.js", &[("accept-encoding", "br")]).await;
        assert_eq!((h(&p, "content-encoding"), h(&p, "vary"), body.len()), (None, Some("accept-encoding"), 30_000));
    }
    assert_eq!(tags.len(), 3, "one tag per sibling version: {tags:?}");
    std::fs::remove_file(&gz).unwrap();
    tokio::time::sleep(ttl + Duration::from_millis(20)).await;
    let (p, body) = short.get("/pre/page.js", &gzip).await;
    assert_eq!((h(&p, "content-encoding"), body.len()), (None, 30_000), "removed");
    short.close().await;
}

#[tokio::test]
async fn weak_etags_for_fileserver_and_servefile() {
    let site = site();
    let fs = fileserver(&site.root, FileServerOptions::new().weak_etags(true).compress(true)).unwrap();
    let r = testing::call(&fs, Request::new(Method::GET, "/app.js")).await;
    let tag = r.header("etag").unwrap().to_owned();
    assert!(tag.starts_with("W/\""), "{tag}");
    let r = testing::call(&fs, Request::new(Method::GET, "/app.js").with_header("if-none-match", &tag)).await;
    assert_eq!(r.status, 304, "weak comparison for If-None-Match");
    let req = Request::new(Method::GET, "/app.js").with_header("range", "bytes=0-0").with_header("if-range", &tag);
    assert_eq!(testing::call(&fs, req).await.status, 200, "If-Range needs a strong tag");
    let r = testing::call(&fs, Request::new(Method::GET, "/app.js").with_header("accept-encoding", "gzip")).await;
    assert!(r.header("etag").unwrap().starts_with("W/\"") && r.header("etag").unwrap().ends_with("-gz\""));
    let path = site.root.join("tiny.css");
    let h = move |req: Request| {
        let path = path.clone();
        async move { servefile_with(&req, &path, &FileServerOptions::new().weak_etags(true)).await }
    };
    let r = testing::call(&h, Request::new(Method::GET, "/x")).await;
    assert!(r.header("etag").unwrap().starts_with("W/\""));
    let strong = testing::call(&fs_strong(&site), Request::new(Method::GET, "/tiny.css")).await;
    assert!(strong.header("etag").unwrap().starts_with('"'));
}

fn fs_strong(site: &Site) -> http_server::files::FileServer {
    fileserver(&site.root, FileServerOptions::new()).unwrap()
}
