//! Server-Sent Events (HTML, "Server-sent events", §9.2): an [`EventSource`] requests
//! `text/event-stream`, parses it with http-sse's WHATWG parser, reconnects after the
//! stream ends or breaks — waiting the `retry:` time (3 s by default) and sending
//! `Last-Event-ID` — and stops for good on a 204. Any status but 200, or another content
//! type, fails the source.

use std::time::Duration;

use http::StatusCode;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http_sse::{SseEvent, SseParser};

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::response::Response;

/// The reconnection time before the stream sets one.
pub const DEFAULT_RETRY: Duration = Duration::from_secs(3);

/// A reconnecting event-stream reader.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), http_client::Error> {
/// let mut events = http_client::EventSource::new(&http_client::Client::new(), "http://localhost:8080/events");
/// while let Some(ev) = events.next().await {
///     let ev = ev?;
///     println!("{} {:?}: {}", events.last_event_id(), ev.event, ev.data);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct EventSource {
    client: Client,
    url: String,
    headers: HeaderMap,
    parser: SseParser,
    response: Option<Response>,
    last_event_id: String,
    retry: Duration,
    /// Connected at least once: later failures reconnect instead of failing.
    connected: bool,
    done: bool,
}

impl EventSource {
    /// A source for `url`; nothing is sent until [`next`](Self::next).
    pub fn new(client: &Client, url: &str) -> Self {
        EventSource {
            client: client.clone(),
            url: url.to_owned(),
            headers: HeaderMap::new(),
            parser: SseParser::new(http_sse::DEFAULT_MAX_LEN),
            response: None,
            last_event_id: String::new(),
            retry: DEFAULT_RETRY,
            connected: false,
            done: false,
        }
    }

    /// Adds a header to every connection's request.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The last event ID seen ("" before any); sent as `Last-Event-ID` on reconnection.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The next event; `None` once the server answered 204 (or after a failure).
    pub async fn next(&mut self) -> Option<Result<SseEvent>> {
        loop {
            if self.done {
                return None;
            }
            if let Some(ev) = self.parser.next_event() {
                self.retry = self.parser.retry().map_or(self.retry, Duration::from_millis);
                return Some(match ev {
                    Ok(ev) => {
                        // The ID in force when this event was dispatched (the parser may
                        // have read further already).
                        self.last_event_id = ev.id.clone().unwrap_or_default();
                        Ok(ev)
                    }
                    Err(e) => Err(Error::new(ErrorKind::Decode, e).with_url(&self.url)),
                });
            }
            let Some(res) = &mut self.response else {
                if let Err(e) = self.connect().await {
                    self.done = true;
                    return Some(Err(e));
                }
                continue;
            };
            match res.chunk().await {
                Ok(Some(chunk)) => self.parser.feed(&chunk),
                // The stream ended or broke: reconnect after the retry time.
                Ok(None) | Err(_) => {
                    self.response = None;
                    // Every event was handed out: the parser's ID is the stream's last.
                    self.last_event_id = self.parser.last_event_id().to_owned();
                    self.retry = self.parser.retry().map_or(self.retry, Duration::from_millis);
                    tokio::time::sleep(self.retry).await;
                }
            }
        }
    }

    async fn connect(&mut self) -> Result<()> {
        loop {
            let mut req = self.client.get(&self.url).headers(self.headers.clone());
            req = req.header(ACCEPT.as_str(), "text/event-stream").header(CACHE_CONTROL.as_str(), "no-cache");
            if !self.last_event_id.is_empty() {
                req = req.header("last-event-id", &self.last_event_id);
            }
            let res = match req.send().await {
                Ok(res) => res,
                Err(e) if !self.connected => return Err(e),
                Err(e) => {
                    tracing::debug!("event stream reconnection failed: {e}");
                    tokio::time::sleep(self.retry).await;
                    continue;
                }
            };
            if res.status() == StatusCode::NO_CONTENT {
                self.done = true;
                return Ok(());
            }
            if res.status() != StatusCode::OK {
                return Err(Error::bare(ErrorKind::Status(res.status())).with_url(&self.url));
            }
            let content_type = res.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
            let essence = content_type.split(';').next().unwrap_or("").trim();
            if !essence.eq_ignore_ascii_case("text/event-stream") {
                return Err(Error::new(ErrorKind::Io, format!("not an event stream (content-type {content_type:?})"))
                    .with_url(&self.url));
            }
            // A new connection's parser starts from the last event ID in force.
            self.parser = SseParser::new(http_sse::DEFAULT_MAX_LEN);
            if !self.last_event_id.is_empty() {
                self.parser.feed(format!("id: {}\n", self.last_event_id).as_bytes());
            }
            self.connected = true;
            self.response = Some(res);
            return Ok(());
        }
    }
}
