//! A real browser's `WebSocket` against the showcase's /ws: headless Chromium loads a page
//! from an in-process server over `http://` (then `ws://`) and over `https://` with a
//! self-signed certificate (then `wss://`, `--ignore-certificate-errors`); the page echoes
//! text and binary, closes with 4001, gets a server-initiated close 4002 with a reason,
//! and the test reads the DOM Chromium dumps.
//!
//! Installs nothing; without Chromium the test prints `SKIPPED: …` and passes, or fails
//! under `HTTP_RS_REQUIRE_TOOLS=1` (see `browser/mod.rs`).

mod browser;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use browser::{dump_dom, find_chromium, list_items, tool_missing};
use http_core::{IntoResponse, Request, StatusCode};
use http_router::Router;
use http_server::{Server, ServerOptions, TlsConfig};
use http_ws::{CloseCode, websocket};

const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>ws</title></head>
<body>
<ol id="log"></ol>
<p id="status">running</p>
<script>
  const log = document.getElementById('log');
  const status = document.getElementById('status');
  const base = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
  function record(s) {
    const li = document.createElement('li');
    li.textContent = s;
    log.appendChild(li);
  }
  const ws = new WebSocket(base + '/ws');
  ws.binaryType = 'arraybuffer';
  let got = 0;
  ws.onopen = () => {
    ws.send('hello, server');
    ws.send(new Uint8Array([1, 2, 3, 255]));
  };
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') record('text|' + e.data);
    else record('binary|' + Array.from(new Uint8Array(e.data)).join(','));
    if (++got === 2) ws.close(4001, 'client says bye');
  };
  ws.onclose = (e) => {
    record('close|' + e.code + '|' + e.wasClean);
    const bye = new WebSocket(base + '/ws/bye');
    bye.onclose = (e) => {
      record('server-close|' + e.code + '|' + e.reason + '|' + e.wasClean);
      status.textContent = 'done';
    };
  };
  ws.onerror = () => record('error');
</script>
<!-- Chromium's --dump-dom waits for the page's load, not for WebSockets: this image is
     answered (and the page loaded) once the server finished the last socket. -->
<img src="/hold" alt="">
</body></html>
"#;

async fn page(_req: Request) -> http_core::Response {
    (StatusCode::OK, [("content-type", "text/html; charset=utf-8")], PAGE).into_response()
}

fn router() -> Router {
    let done = Arc::new(Notify::new());
    let finished = done.clone();
    let bye = websocket(move |mut ws| {
        let finished = finished.clone();
        async move {
            let _ = ws.close(CloseCode(4002), "server reason").await;
            finished.notify_one();
        }
    });
    let hold = move |_req: Request| {
        let done = done.clone();
        async move {
            let _ = tokio::time::timeout(Duration::from_secs(30), done.notified()).await;
            // the browser has the close; give its event a moment before the page goes idle
            tokio::time::sleep(Duration::from_millis(300)).await;
            "ok"
        }
    };
    examples::features::ws::routes(Router::new().route("GET /", page).route("GET /hold", hold))
        .route_stream("GET /ws/bye", bye)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_websocket_echoes_and_sees_close_codes() {
    let Some(chromium) = find_chromium() else {
        return tool_missing(
            "ws_browser: no Chromium ($CHROME, `chromium` or `chromium-browser` on PATH; the Debian package `chromium`)",
        );
    };
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let tls = TlsConfig::from_pem(ck.cert.pem().as_bytes(), ck.signing_key.serialize_pem().as_bytes()).unwrap();
    let opts = || ServerOptions::new().host("127.0.0.1").port(0);
    let plain = Server::listen(opts(), router()).await.unwrap();
    let secure = Server::listen(opts().tls(tls), router()).await.unwrap();
    for (url, args) in [
        (format!("http://127.0.0.1:{}/", plain.port()), &[][..]),
        (format!("https://localhost:{}/", secure.port()), &["--ignore-certificate-errors"][..]),
    ] {
        let chromium = chromium.clone();
        let (u, a): (String, Vec<&'static str>) = (url.clone(), args.to_vec());
        let dom =
            tokio::task::spawn_blocking(move || dump_dom(&chromium, &u, &a, Duration::from_secs(60))).await.unwrap();
        let items = list_items(&dom);
        let want =
            ["text|hello, server", "binary|1,2,3,255", "close|4001|true", "server-close|4002|server reason|true"];
        assert_eq!(items, want, "{url}: DOM was:\n{dom}");
        assert!(dom.contains(r#"<p id="status">done</p>"#), "{url}: DOM:\n{dom}");
    }
    plain.close().await;
    secure.close().await;
}
