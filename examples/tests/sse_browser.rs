//! A real browser's `EventSource` against /sse: headless Chromium loads a page from an
//! in-process server, the page records every event, and the test reads the DOM Chromium
//! dumps.
//!
//! Installs nothing. The browser is `$CHROME`, else `chromium` or `chromium-browser` on
//! PATH; when there is none the test prints `SKIPPED: …` to stderr and passes, or fails
//! under `HTTP_RS_REQUIRE_TOOLS=1` (`.ci/run` installs the Debian package `chromium` and
//! sets it).

mod browser;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use browser::{dump_dom, find_chromium, list_items, tool_missing};

use http_core::{IntoResponse, Request, Response, StatusCode};
use http_server::{Server, ServerOptions};

const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>sse</title></head>
<body>
<ol id="log"></ol>
<p id="status">running</p>
<script>
  const log = document.getElementById('log');
  const status = document.getElementById('status');
  const es = new EventSource('/sse?n=5');
  function record(e) {
    const li = document.createElement('li');
    li.textContent = e.type + '|' + e.lastEventId + '|' + JSON.stringify(e.data);
    log.appendChild(li);
  }
  es.addEventListener('tick', record);
  es.onmessage = record;
  es.onerror = () => {
    // The stream ended: the browser reconnects with Last-Event-ID: 5, gets 204 and closes.
    if (es.readyState === EventSource.CLOSED) status.textContent = 'closed';
  };
</script>
</body></html>
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_event_source_receives_sse_events() {
    let Some(chromium) = find_chromium() else {
        return tool_missing(
            "sse_browser: no Chromium ($CHROME, `chromium` or `chromium-browser` on PATH; the Debian package `chromium`)",
        );
    };
    // Every /sse request's Last-Event-ID, to check the browser's reconnect.
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let log = seen.clone();
    let handler = move |req: Request| {
        let log = log.clone();
        async move {
            match req.path() {
                "/" => (StatusCode::OK, [("content-type", "text/html; charset=utf-8")], PAGE).into_response(),
                "/sse" => {
                    log.lock().unwrap().push(http_sse::last_event_id(&req).map(str::to_owned));
                    examples::features::sse::sse(req).await
                }
                _ => Response::error(StatusCode::NOT_FOUND),
            }
        }
    };
    let server = Server::serve(ServerOptions::new().port(0), handler).await.unwrap();
    let url = format!("http://127.0.0.1:{}/", server.port());

    let dom =
        tokio::task::spawn_blocking(move || dump_dom(&chromium, &url, &[], Duration::from_secs(60))).await.unwrap();
    server.close().await;

    let items = list_items(&dom);
    let want = [
        r#"tick|1|"{\"i\": 1}""#,
        r#"tick|2|"line1\nline2""#, // JSON of the data: one real newline joins the two lines
        r#"tick|3|"{\"i\": 3}""#,
        r#"tick|4|"{\"i\": 4}""#,
        r#"tick|5|"{\"i\": 5}""#,
    ];
    assert_eq!(items, want, "DOM was:\n{dom}");
    assert!(dom.contains(r#"<p id="status">closed</p>"#), "EventSource closed after the 204; DOM:\n{dom}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, [None, Some("5".to_owned())], "first request, then the reconnect that got 204");
}
