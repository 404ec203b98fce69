//! The `fileserver` binary over real sockets: the start-up lines, config-file and
//! environment errors (file, line, key / variable), and every per-path rule of the config
//! (redirects, rewrites, headers, try_files, basic auth, CORS, error pages, dotfiles,
//! security headers, virtual hosts, maintenance), checked with raw HTTP/1.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fileserver");

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(path: &Path, data: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

fn site() -> Dir {
    static N: AtomicU32 = AtomicU32::new(0);
    let base = std::env::temp_dir().join(format!("fsbin-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&base);
    let r = base.join("root");
    write(&r.join("index.html"), "<!doctype html>home");
    write(&r.join("about.html"), "about page");
    write(&r.join("404.html"), "custom not found");
    write(&r.join("down.html"), "back soon");
    write(&r.join("app.js"), "console.log(1);\n".repeat(200));
    write(&r.join("admin/secret.txt"), "for admins");
    write(&r.join(".env"), "KEY=1");
    write(&r.join(".well-known/security.txt"), "Contact: x");
    write(&base.join("docs/index.html"), "docs site");
    write(&base.join("outside.html"), "outside");
    Dir(base)
}

/// A running binary, killed on drop.
struct Running {
    child: Child,
    port: u16,
    stderr_first: String,
    /// stderr after the summary line, as it arrives.
    stderr_rest: Arc<Mutex<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("RUST_LOG").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn start(args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut child = command(args, env).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    // The summary follows the log's own lines; the rest of stderr is drained in the background.
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut stderr_first = String::new();
    for _ in 0..10 {
        stderr_first.clear();
        if err.read_line(&mut stderr_first).unwrap() == 0 || stderr_first.starts_with("fileserver: ") {
            break;
        }
    }
    let stderr_rest = Arc::new(Mutex::new(String::new()));
    let rest = Arc::clone(&stderr_rest);
    std::thread::spawn(move || {
        let mut line = String::new();
        while err.read_line(&mut line).unwrap_or(0) > 0 {
            rest.lock().unwrap().push_str(&line);
            line.clear();
        }
        drop(out);
    });
    let port = first
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .or_else(|| first.trim().strip_prefix("listening on https://127.0.0.1:"))
        .unwrap_or_else(|| panic!("first stdout line: {first:?}, stderr: {stderr_first}"))
        .parse()
        .unwrap();
    Running { child, port, stderr_first, stderr_rest }
}

impl Running {
    /// Sends SIGHUP and waits (at most 10 s) for a stderr line containing `want` that was
    /// not there before; returns that line.
    fn hangup_until(&self, want: &str) -> String {
        let seen = self.stderr_rest.lock().unwrap().matches(want).count();
        let status = Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -HUP");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.stderr_rest.lock().unwrap().clone();
            if text.matches(want).count() > seen {
                return text.lines().rfind(|l| l.contains(want)).unwrap().to_owned();
            }
            assert!(Instant::now() < deadline, "no {want:?} on stderr after SIGHUP:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// (status, lower-cased head, body) of one request with `Connection: close`.
fn fetch(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    exchange(s, method, path, headers)
}

fn exchange(mut s: impl Read + Write, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str("Host: localhost\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn has(head: &str, line: &str) -> bool {
    head.lines().any(|l| l == line.to_ascii_lowercase())
}

#[test]
fn first_stdout_line_and_one_line_summary() {
    let d = site();
    let root = d.0.join("root");
    let r = start(&[root.to_str().unwrap(), "--port", "0", "--spa", "index.html", "--cache-bytes", "1000000"], &[]);
    let s = &r.stderr_first;
    assert!(s.starts_with("fileserver: serving ") && s.contains(&format!("http://127.0.0.1:{}", r.port)), "{s}");
    for part in ["TLS off", "SPA index.html", "compression br/zstd/gzip/deflate from 1024 B", "cache 1000000 B"] {
        assert!(s.contains(part), "{part} in {s}");
    }
    // Compression is on by default in the binary.
    let (status, head, _) = fetch(r.port, "GET", "/app.js", &[("accept-encoding", "gzip")]);
    assert_eq!(status, 200);
    assert!(has(&head, "content-encoding: gzip") && has(&head, "vary: accept-encoding"), "{head}");
    let r2 = start(&[root.to_str().unwrap(), "--port", "0", "--no-compress"], &[]);
    let (_, head, _) = fetch(r2.port, "GET", "/app.js", &[("accept-encoding", "gzip")]);
    assert!(!head.contains("content-encoding"), "{head}");
}

#[test]
fn start_up_errors_name_the_file_line_key_or_variable() {
    let d = site();
    let root = d.0.join("root");
    let cfg = d.0.join("bad.toml");
    type Row<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>, String);
    let rows: Vec<Row> = vec![
        ("port = \"x\"\n", vec![], vec![], format!("{}:1:8: key `port`: invalid type", cfg.display())),
        ("listing = true\nspa = [1]\n", vec![], vec![], format!("{}:2:7: key `spa`", cfg.display())),
        (
            "[cors]\norigins = [\"*\"]\n",
            vec![],
            vec![],
            format!("{}:2:1: key `cors.origins`: unknown field `origins`", cfg.display()),
        ),
        (
            "",
            vec![],
            vec![("FILESERVER_PORT", "http")],
            "environment variable FILESERVER_PORT: invalid type".to_owned(),
        ),
        (
            "",
            vec![],
            vec![("FILESERVER_RETRY_AFTER", "soon")],
            "environment variable FILESERVER_RETRY_AFTER: \"soon\" is not a duration".to_owned(),
        ),
        (
            "",
            vec!["--error-page", "404=../outside.html"],
            vec![],
            "error page 404 ../outside.html must be a file inside".to_owned(),
        ),
        ("", vec!["--maintenance", "missing.html"], vec![], "maintenance page missing.html: ".to_owned()),
        ("", vec!["--basic-auth", "alice:hunter2"], vec![], "not plain text".to_owned()),
        ("", vec!["--redirect", "/a /b 200"], vec![], "200 is not a redirect status".to_owned()),
        ("", vec!["--retry-after", "5 minutes"], vec![], "is not a duration".to_owned()),
    ];
    for (text, args, env, want) in rows {
        write(&cfg, text);
        let mut all = vec![root.to_str().unwrap(), "--port", "0", "--config", cfg.to_str().unwrap()];
        all.extend(args.iter().copied());
        let out = command(&all, &env).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text:?} {args:?}: {err}");
        assert!(err.contains(&want), "{text:?} {args:?} {env:?}\n got: {err}\nwant: {want}");
        assert!(out.stdout.is_empty(), "nothing listens");
    }
}

#[test]
fn precedence_flags_over_environment_over_file() {
    let d = site();
    let cfg = d.0.join("c.toml");
    write(&cfg, "root = \"root\"\nhost = \"256.0.0.1\"\nport = 1\nmaintenance = \"down.html\"\nretry-after = \"2m\"\n");
    // The file's host is unusable: the environment's wins; the flag's port wins over both.
    let r = start(
        &["--config", cfg.to_str().unwrap(), "--port", "0"],
        &[("FILESERVER_HOST", "127.0.0.1"), ("FILESERVER_PORT", "1")],
    );
    let (status, head, body) = fetch(r.port, "GET", "/about.html", &[]);
    assert_eq!((status, body.as_str()), (503, "back soon"));
    assert!(has(&head, "retry-after: 120"), "{head}");
    assert!(r.stderr_first.contains("MAINTENANCE"), "{}", r.stderr_first);
}

#[test]
fn per_path_rules_from_the_config_file() {
    let d = site();
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    let cfg = d.0.join("site.toml");
    let text = format!(
        r#"root = "root"
security-headers = true
dotfiles = "deny"
try-files = ["$uri", "$uri.html", "=404"]

[error-pages]
404 = "404.html"

[[redirect]]
from = "/old/*"
to = "/new/$1"
status = 308

[[redirect]]
from = "/home"
to = "/"

[[rewrite]]
from = "/pages/*"
to = "/$1.html"

[[headers]]
path = "/*.js"
set = {{ "cache-control" = "max-age=600", "x-custom" = "yes" }}

[basic-auth]
path = "/admin"
realm = "Staff"
users = ["alice:{hash}"]

[cors]
allow-origins = ["https://app.example"]
allow-headers = ["x-token"]
max-age = "10m"

[[vhost]]
host = "docs.example"
root = "docs"
"#
    );
    write(&cfg, text);
    let r = start(&["--config", cfg.to_str().unwrap(), "--port", "0"], &[]);
    let p = r.port;
    type Row<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, u16, Vec<&'a str>, Option<&'a str>);
    let alice = "Basic YWxpY2U6czNjcmV0"; // alice:s3cret
    let wrong = "Basic YWxpY2U6bm9wZQ=="; // alice:nope
    let rows: Vec<Row> = vec![
        // (method, path, headers, status, head lines, body)
        ("GET", "/old/a/b?x=1", vec![], 308, vec!["location: /new/a/b?x=1"], None),
        ("GET", "/home", vec![], 301, vec!["location: /"], None),
        ("GET", "/pages/about", vec![], 200, vec![], Some("about page")),
        ("GET", "/about", vec![], 200, vec!["x-content-type-options: nosniff"], Some("about page")),
        ("GET", "/nope", vec![], 404, vec!["content-type: text/html; charset=utf-8"], Some("custom not found")),
        ("GET", "/app.js", vec![], 200, vec!["cache-control: max-age=600", "x-custom: yes"], None),
        (
            "GET",
            "/index.html",
            vec![],
            200,
            vec![
                "x-frame-options: deny",
                "content-security-policy: frame-ancestors 'none'",
                "referrer-policy: strict-origin-when-cross-origin",
            ],
            None,
        ),
        ("GET", "/.env", vec![], 403, vec![], None),
        ("GET", "/%2eenv", vec![], 403, vec![], None),
        ("GET", "/.well-known/security.txt", vec![], 200, vec![], Some("Contact: x")),
        (
            "GET",
            "/admin/secret.txt",
            vec![],
            401,
            vec!["www-authenticate: basic realm=\"staff\", charset=\"utf-8\""],
            None,
        ),
        ("GET", "/admin/secret.txt", vec![("authorization", wrong)], 401, vec![], None),
        ("GET", "/admin/secret.txt", vec![("authorization", alice)], 200, vec![], Some("for admins")),
        ("GET", "/administrator", vec![], 404, vec![], None),
        (
            "OPTIONS",
            "/app.js",
            vec![("origin", "https://app.example"), ("access-control-request-method", "GET")],
            204,
            vec![
                "access-control-allow-origin: https://app.example",
                "access-control-allow-headers: x-token",
                "access-control-max-age: 600",
                "access-control-allow-methods: get, head, options",
            ],
            None,
        ),
        (
            "OPTIONS",
            "/app.js",
            vec![("origin", "https://evil.example"), ("access-control-request-method", "GET")],
            204,
            vec![],
            None,
        ),
        (
            "GET",
            "/about.html",
            vec![("origin", "https://app.example")],
            200,
            vec!["access-control-allow-origin: https://app.example", "vary: origin"],
            None,
        ),
        ("GET", "/", vec![("host", "docs.example")], 200, vec![], Some("docs site")),
        ("GET", "/", vec![("host", "DOCS.example:8080")], 200, vec![], Some("docs site")),
        ("GET", "/", vec![("host", "other.example")], 200, vec![], Some("<!doctype html>home")),
    ];
    for (method, path, headers, status, lines, body) in rows {
        let (got, head, got_body) = fetch(p, method, path, &headers);
        assert_eq!(got, status, "{method} {path} {headers:?}: {head}");
        for l in lines {
            assert!(has(&head, l), "{method} {path}: {l:?} in\n{head}");
        }
        if let Some(b) = body {
            assert_eq!(got_body, b, "{method} {path}");
        }
        if path.contains("evil") || headers.iter().any(|(_, v)| v.contains("evil")) {
            assert!(!head.contains("access-control-allow-origin"), "{head}");
        }
        assert!(!head.contains("strict-transport-security"), "no HSTS without TLS");
    }
}

#[test]
fn flags_alone_give_the_same_rules() {
    let d = site();
    let root = d.0.join("root");
    let hash = bcrypt::hash("pw", 4).unwrap();
    let user = format!("bob:{hash}");
    let r = start(
        &[
            root.to_str().unwrap(),
            "--port",
            "0",
            "--redirect",
            "/old/* /new/$1 302",
            "--rewrite",
            "/p/* /$1.html",
            "--header",
            "/*.js X-Test: 1",
            "--error-page",
            "404=404.html",
            "--basic-auth",
            &user,
            "--basic-auth-path",
            "/admin/",
            "--cors-allow-origins",
            "*",
            "--dotfiles",
            "ignore",
            "--vhost",
            &format!("docs.test={}", d.0.join("docs").display()),
            "--try-files",
            "$uri $uri.html",
        ],
        &[],
    );
    let p = r.port;
    assert_eq!(fetch(p, "GET", "/old/x", &[]).0, 302);
    assert_eq!(fetch(p, "GET", "/p/about", &[]).2, "about page");
    assert_eq!(fetch(p, "GET", "/about", &[]).2, "about page", "try-files");
    assert!(has(&fetch(p, "GET", "/app.js", &[]).1, "x-test: 1"));
    assert_eq!(fetch(p, "GET", "/missing", &[]).2, "custom not found");
    assert_eq!(fetch(p, "GET", "/.env", &[]).0, 404, "ignore → 404");
    assert_eq!(fetch(p, "GET", "/admin/secret.txt", &[]).0, 401);
    assert_eq!(fetch(p, "GET", "/admin/secret.txt", &[("authorization", "Basic Ym9iOnB3")]).0, 200);
    assert!(has(
        &fetch(p, "GET", "/about.html", &[("origin", "https://x.example")]).1,
        "access-control-allow-origin: *"
    ));
    assert_eq!(fetch(p, "GET", "/", &[("host", "docs.test")]).2, "docs site");
}

#[test]
fn listing_sorts_and_speaks_json() {
    let d = site();
    let root = d.0.join("root");
    write(&root.join("files/big.bin"), vec![0u8; 5000]);
    write(&root.join("files/small.txt"), "x");
    std::fs::create_dir_all(root.join("files/sub")).unwrap();
    write(&root.join("files/.hidden"), "h");
    let r = start(&[root.to_str().unwrap(), "--port", "0", "--listing"], &[]);
    let (status, head, html) = fetch(r.port, "GET", "/files/?sort=size&order=desc", &[]);
    assert_eq!(status, 200);
    assert!(has(&head, "content-type: text/html; charset=utf-8") && has(&head, "vary: accept"), "{head}");
    assert!(html.contains("<caption>3 entries, sorted by size (descending)</caption>"), "{html}");
    assert!(html.contains("<th scope=\"col\" aria-sort=\"descending\">"));
    let order: Vec<usize> = ["big.bin", "small.txt", "sub/"].iter().map(|n| html.find(n).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "largest first: {order:?}");
    assert!(!html.contains(".hidden"));
    let (status, head, json) = fetch(r.port, "GET", "/files/?sort=name", &[("accept", "application/json")]);
    assert_eq!(status, 200);
    assert!(has(&head, "content-type: application/json"), "{head}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["big.bin", "small.txt", "sub"]);
    assert_eq!((v[0]["size"].as_u64(), v[2]["type"].as_str()), (Some(5000), Some("dir")));
    assert!(v[0]["modified"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn dotfiles_allow_and_symlink_policy() {
    let d = site();
    let root = d.0.join("root");
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.0.join("outside.html"), root.join("link.html")).unwrap();
    let r = start(&[root.to_str().unwrap(), "--port", "0", "--dotfiles", "allow"], &[]);
    assert_eq!(fetch(r.port, "GET", "/.env", &[]).2, "KEY=1");
    #[cfg(unix)]
    {
        assert_eq!(fetch(r.port, "GET", "/link.html", &[]).0, 404, "out of the root: refused");
        let r = start(&[root.to_str().unwrap(), "--port", "0", "--follow-symlinks"], &[]);
        assert_eq!(fetch(r.port, "GET", "/link.html", &[]).2, "outside");
    }
}

/// GET over TLS, trusting only `cert` (for `localhost`).
fn tls_fetch(port: u16, cert: &rcgen::Certificate, path: &str) -> (u16, String, String) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    exchange(rustls::StreamOwned::new(conn, tcp), "GET", path, &[])
}

#[test]
fn hsts_only_over_tls() {
    let d = site();
    let root = d.0.join("root");
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (d.0.join("cert.pem"), d.0.join("key.pem"));
    write(&cert, ck.cert.pem());
    write(&key, ck.signing_key.serialize_pem());
    let r = start(
        &[
            root.to_str().unwrap(),
            "--port",
            "0",
            "--security-headers",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[],
    );
    assert!(r.stderr_first.contains("TLS on"), "{}", r.stderr_first);
    let (status, head, body) = tls_fetch(r.port, &ck.cert, "/about.html");
    assert_eq!((status, body.as_str()), (200, "about page"));
    assert!(has(&head, "strict-transport-security: max-age=31536000; includesubdomains"), "{head}");
    assert!(has(&head, "x-content-type-options: nosniff"), "{head}");
}

#[test]
fn sighup_reloads_the_config_and_keeps_it_when_the_new_one_is_invalid() {
    let d = site();
    let conf = d.0.join("site.toml");
    let v1 = "root = \"root\"\n[[redirect]]\nfrom = \"/old\"\nto = \"/one\"\n\
              [[headers]]\npath = \"/*\"\nset = { \"X-Version\" = \"1\" }\n";
    write(&conf, v1);
    let r = start(&["--config", conf.to_str().unwrap(), "--port", "0"], &[]);
    let (status, head, _) = fetch(r.port, "GET", "/old", &[]);
    assert_eq!(status, 301);
    assert!(has(&head, "location: /one") && has(&head, "x-version: 1"), "{head}");

    // A keep-alive connection opened before the reload: its next request sees the new rules.
    let mut kept = std::net::TcpStream::connect(("127.0.0.1", r.port)).unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    kept.write_all(b"GET /about.html HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut first = Vec::new();
    while !first.ends_with(b"about page") {
        let mut buf = [0u8; 4096];
        let n = kept.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&first));
        first.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&first).to_ascii_lowercase().contains("x-version: 1"));

    let v2 = format!("workers = 1\n{}", v1.replace("/one", "/two").replace("\"1\"", "\"2\""));
    write(&conf, v2);
    let line = r.hangup_until("configuration reloaded from");
    assert!(line.contains(conf.to_str().unwrap()), "{line}");
    let (status, head, _) = fetch(r.port, "GET", "/old", &[]);
    assert_eq!(status, 301);
    assert!(has(&head, "location: /two") && has(&head, "x-version: 2"), "{head}");
    let (_, head, body) = exchange(&mut kept, "GET", "/about.html", &[]);
    assert!(has(&head, "x-version: 2") && body == "about page", "{head}");
    let text = r.stderr_rest.lock().unwrap().clone();
    assert!(text.contains("workers changed: takes effect on restart only"), "{text}");

    // Invalid files: a TOML error (file, line, column, key) and one found while building.
    let rows = [
        (v1.replace("to = \"/one\"", "to = 3"), ":4:6: key `redirect.to`: invalid type: integer `3`"),
        ("root = \"root\"\nerror-pages = { 404 = \"nope.html\" }\n".to_owned(), ": error page 404 nope.html: "),
    ];
    for (text, want) in rows {
        write(&conf, &text);
        let line = r.hangup_until("configuration reload failed, keeping the running one");
        assert!(line.contains(&format!("{}{want}", conf.display())), "{line}\nwant {want}");
        let (status, head, _) = fetch(r.port, "GET", "/old", &[]);
        assert_eq!(status, 301);
        assert!(has(&head, "location: /two") && has(&head, "x-version: 2"), "the old rules stay: {head}");
    }
}

#[test]
fn sighup_reloads_the_certificate_and_the_config_together() {
    let d = site();
    let (cert, key, conf) = (d.0.join("cert.pem"), d.0.join("key.pem"), d.0.join("site.toml"));
    let first = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    write(&cert, first.cert.pem());
    write(&key, first.signing_key.serialize_pem());
    let rules = |v: &str| format!("root = \"root\"\n[[headers]]\npath = \"/*\"\nset = {{ \"X-Version\" = \"{v}\" }}\n");
    write(&conf, rules("1"));
    let (c, k) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let r = start(&["--config", conf.to_str().unwrap(), "--port", "0", "--tls-cert", c, "--tls-key", k], &[]);
    let (status, head, _) = tls_fetch(r.port, &first.cert, "/about.html");
    assert_eq!(status, 200);
    assert!(has(&head, "x-version: 1"), "{head}");

    let second = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    write(&cert, second.cert.pem());
    write(&key, second.signing_key.serialize_pem());
    write(&conf, rules("2"));
    r.hangup_until("configuration reloaded from");
    let text = r.stderr_rest.lock().unwrap().clone();
    assert!(text.contains("TLS certificate reloaded"), "{text}");
    let (status, head, _) = tls_fetch(r.port, &second.cert, "/about.html");
    assert_eq!(status, 200);
    assert!(has(&head, "x-version: 2"), "the new certificate and the new rules: {head}");
}
