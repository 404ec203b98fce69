//! GET /sse?n=K: a finite, resumable Server-Sent Events stream.
//!
//! Sends events 1..=K (ids start at **1**, so event `i` is the i-th event), one every 10 ms:
//!
//! ```text
//! id: i
//! event: tick
//! data: {"i": i}
//! ```
//!
//! except that event 2's data is two lines, `line1` and `line2`. Then the stream ends.
//!
//! Resuming: a request with `Last-Event-ID: j` continues after event `j` (with `j + 1`).
//! When `j >= K` the stream has already finished and the answer is 204 No Content, which
//! tells an `EventSource` to stop reconnecting. A `Last-Event-ID` that is not a number is
//! ignored (the stream starts over at 1).
//!
//! `n` defaults to 5 and may be at most 10,000; anything else is 400.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use http_core::{testing, Method, Request};
//! let r = testing::call(&examples::features::sse::sse, Request::new(Method::GET, "/sse?n=2")).await;
//! assert_eq!(r.header("content-type"), Some("text/event-stream"));
//! assert_eq!(
//!     r.text(),
//!     "event: tick\nid: 1\ndata: {\"i\": 1}\n\nevent: tick\nid: 2\ndata: line1\ndata: line2\n\n"
//! );
//! # }
//! ```

use std::time::Duration;

use http_core::{Request, Response, StatusCode};
use http_sse::{SseError, SseEvent, SseStream, last_event_id, sse_stream_with};

/// Default number of events.
const DEFAULT_N: u64 = 5;
/// Largest `n` accepted.
const MAX_N: u64 = 10_000;
/// Time between events.
const EVERY: Duration = Duration::from_millis(10);

/// The /sse handler.
pub async fn sse(req: Request) -> Response {
    let n = match query_param(req.query().unwrap_or(""), "n") {
        None => DEFAULT_N,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n <= MAX_N => n,
            _ => return bad_request("n must be a whole number from 0 to 10000"),
        },
    };
    let start = match last_event_id(&req).and_then(|id| id.trim().parse::<u64>().ok()) {
        Some(last) if last >= n => return Response::new(StatusCode::NO_CONTENT),
        Some(last) => last + 1,
        None => 1,
    };
    sse_stream_with(StatusCode::OK, move |stream| produce(stream, start, n))
}

/// Event `i` of the stream.
fn event(i: u64) -> SseEvent {
    let data = if i == 2 { "line1\nline2".to_owned() } else { format!("{{\"i\": {i}}}") };
    SseEvent::new(data).with_event("tick").with_id(i.to_string())
}

async fn produce(stream: SseStream, start: u64, n: u64) -> Result<(), SseError> {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for i in start..=n {
        ticks.tick().await;
        stream.send(&event(i)).await?;
    }
    Ok(())
}

fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

fn bad_request(why: &'static str) -> Response {
    Response::new(StatusCode::BAD_REQUEST).with_header("content-type", "text/plain; charset=utf-8").with_body(why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::{Method, testing};

    async fn get(uri: &str, last_id: Option<&str>) -> testing::TestResponse {
        let mut req = Request::new(Method::GET, uri);
        if let Some(id) = last_id {
            req = req.with_header("last-event-id", id);
        }
        testing::call(&sse, req).await
    }

    fn summary(body: &[u8]) -> Vec<(String, String, String)> {
        http_sse::parse_all(body, 1 << 20)
            .unwrap()
            .into_iter()
            .map(|e| (e.id.unwrap(), e.event.unwrap(), e.data))
            .collect()
    }

    #[tokio::test]
    async fn k_events_in_order_with_two_line_event_2() {
        let r = get("/sse?n=4", None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        let want: Vec<(String, String, String)> = vec![
            ("1".into(), "tick".into(), r#"{"i": 1}"#.into()),
            ("2".into(), "tick".into(), "line1\nline2".into()),
            ("3".into(), "tick".into(), r#"{"i": 3}"#.into()),
            ("4".into(), "tick".into(), r#"{"i": 4}"#.into()),
        ];
        assert_eq!(summary(&r.body), want);
    }

    #[tokio::test]
    async fn events_are_paced_10ms_apart() {
        let t0 = std::time::Instant::now();
        let r = get("/sse?n=11", None).await;
        assert_eq!(summary(&r.body).len(), 11);
        assert!(t0.elapsed() >= Duration::from_millis(100), "10 gaps of 10 ms: {:?}", t0.elapsed());
    }

    #[tokio::test]
    async fn resumes_after_last_event_id() {
        let r = get("/sse?n=5", Some("2")).await;
        let ids: Vec<String> = summary(&r.body).into_iter().map(|e| e.0).collect();
        assert_eq!(ids, ["3", "4", "5"]);
        let r = get("/sse?n=5", Some("0")).await;
        assert_eq!(summary(&r.body).len(), 5);
    }

    #[tokio::test]
    async fn finished_stream_answers_204() {
        for id in ["5", "6", "999999"] {
            let r = get("/sse?n=5", Some(id)).await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "Last-Event-ID {id}");
            assert!(r.body.is_empty());
        }
    }

    #[tokio::test]
    async fn query_handling() {
        assert_eq!(summary(&get("/sse", None).await.body).len(), DEFAULT_N as usize);
        assert_eq!(summary(&get("/sse?x=1&n=3", None).await.body).len(), 3);
        assert!(get("/sse?n=0", None).await.body.is_empty());
        for bad in ["/sse?n=abc", "/sse?n=-1", "/sse?n=10001", "/sse?n="] {
            assert_eq!(get(bad, None).await.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        let r = get("/sse?n=2", Some("not-a-number")).await;
        assert_eq!(summary(&r.body).len(), 2, "an unusable Last-Event-ID starts over");
    }
}
