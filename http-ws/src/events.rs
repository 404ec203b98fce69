//! An event-callback form of the route handler: one function receives the socket's
//! open, message and close events (the shape of a browser's `onopen`/`onmessage`/
//! `onclose`), and answers through an [`Outbox`].
//!
//! The callback is awaited for each event in order; messages it puts in the outbox go out
//! as soon as the socket loop sees them (also while no message arrives).

use std::future::Future;

use http_core::{Request, Upgraded};
use tokio::sync::mpsc;

use crate::server::{WebSocketHandler, websocket_with_request};
use crate::{CloseCode, CloseFrame, Error, Message, WebSocket};

/// What happened on a socket.
///
/// ```
/// let e = http_ws::Event::Message(http_ws::Message::text("hi"));
/// assert!(matches!(e, http_ws::Event::Message(m) if m.is_text()));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// The handshake is done; the request it came with.
    Open(Box<Request>),
    /// A text or binary message (pings and pongs are the socket's own business).
    Message(Message),
    /// The connection ended: the peer's close frame (`None` for a close without one, or an
    /// end without any close).
    Close(Option<CloseFrame>),
    /// The connection failed (a protocol violation, already answered with its close code,
    /// or an I/O error); a `Close` event follows.
    Error(Error),
}

/// Sends messages on the socket an [`Event`] came from; cheap to clone, usable from any
/// task while the socket is open.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let h = http_ws::on_events(|event, outbox: http_ws::Outbox| async move {
///     if let http_ws::Event::Message(m) = event {
///         let _ = outbox.send(m).await; // echo
///     }
/// });
/// # let _ = h;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Outgoing>,
}

#[derive(Debug)]
enum Outgoing {
    Message(Message),
    Close(CloseCode, String),
}

impl Outbox {
    /// Queues a message; fails once the socket is closed.
    ///
    /// ```
    /// # async fn f(outbox: http_ws::Outbox) {
    /// let _ = outbox.send(http_ws::Message::text("hello")).await;
    /// # }
    /// ```
    pub async fn send(&self, msg: Message) -> Result<(), Error> {
        self.tx.send(Outgoing::Message(msg)).await.map_err(|_| Error::ConnectionClosed)
    }

    /// Starts the close handshake with `code` and `reason`.
    ///
    /// ```
    /// # async fn f(outbox: http_ws::Outbox) {
    /// let _ = outbox.close(http_ws::CloseCode::NORMAL, "bye").await;
    /// # }
    /// ```
    pub async fn close(&self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.tx.send(Outgoing::Close(code, reason.to_owned())).await.map_err(|_| Error::ConnectionClosed)
    }
}

/// The future of one socket's event loop.
type BoxedRun = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// The route handler in event form: `callback(event, outbox)` for [`Event::Open`], each
/// [`Event::Message`], and the final [`Event::Close`]. The handshake policy builders of
/// [`WebSocketHandler`] apply.
///
/// ```
/// use http_ws::{Event, Message, Outbox, on_events};
/// let chat = on_events(|event, outbox: Outbox| async move {
///     match event {
///         Event::Open(req) => { let _ = outbox.send(Message::text(format!("welcome to {}", req.path()))).await; }
///         Event::Message(m) => { let _ = outbox.send(m).await; }
///         Event::Close(frame) => println!("closed: {frame:?}"),
///         _ => {}
///     }
/// })
/// .protocols(["chat"]);
/// # let _ = http_router::Router::new().route_stream("GET /chat", chat);
/// ```
pub fn on_events<F, Fut>(
    callback: F,
) -> WebSocketHandler<impl Fn(WebSocket<Upgraded>, Request) -> BoxedRun + Send + Sync + 'static>
where
    F: Fn(Event, Outbox) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    websocket_with_request(move |ws, req| {
        let callback = callback.clone();
        Box::pin(run(ws, req, callback)) as BoxedRun
    })
}

async fn run<F, Fut>(mut ws: WebSocket<Upgraded>, req: Request, callback: F)
where
    F: Fn(Event, Outbox) -> Fut,
    Fut: Future<Output = ()>,
{
    let (tx, mut rx) = mpsc::channel(64);
    let outbox = Outbox { tx };
    callback(Event::Open(Box::new(req)), outbox.clone()).await;
    let mut closed_by_us = false;
    let close = loop {
        tokio::select! {
            biased;
            out = rx.recv(), if !closed_by_us => match out {
                Some(Outgoing::Message(m)) => {
                    let _ = ws.send(m).await; // a failure shows on the receive side
                }
                Some(Outgoing::Close(code, reason)) => {
                    closed_by_us = true;
                    let _ = ws.send(Message::Close(Some(CloseFrame::new(code, reason)))).await;
                }
                None => closed_by_us = true, // not reached: the loop holds a sender
            },
            msg = ws.recv() => match msg {
                Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) => callback(Event::Message(m), outbox.clone()).await,
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    callback(Event::Error(e), outbox.clone()).await;
                    break None;
                }
                None => break None,
            },
        }
    };
    drop(outbox);
    rx.close();
    callback(Event::Close(close), Outbox { tx: mpsc::channel(1).0 }).await;
    while ws.recv().await.is_some() {} // finish the close handshake
}
