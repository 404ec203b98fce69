//! The server side on http-core's [`Stream`]: the opening handshake of RFC 6455 §4.2
//! (HTTP/1.1 `Upgrade`) and RFC 8441 §4–§5 (HTTP/2 extended CONNECT), answered on the
//! stream, then the connection taken over as a [`WebSocket`].
//!
//! Two forms, as in HTTP.jl's `WebSockets`:
//! - listen-style — [`upgrade`]`(&mut stream, &accept)` inside any stream handler
//!   (HTTP.jl's `WebSockets.upgrade(stream)`);
//! - a route — [`websocket`]`(|ws| async move { … })` is a stream handler by itself, for
//!   `Router::route_stream("GET /ws", …)` or `Server::listen`.
//!
//! Either way the socket closes with 1001 "going away" when the server shuts down
//! ([`WebSocket::close_on`] with [`Stream::shutdown_signal`]).

use std::fmt;
use std::future::Future;

use http_core::{Body, Request, Stream, StreamHandler, Upgraded, Version};

use crate::{Accept, Config, Rejection, RequestHead, Role, WebSocket};

/// Why [`upgrade`] did not produce a WebSocket.
///
/// ```
/// let e = http_ws::UpgradeError::Rejected(http_ws::Rejection::MissingKey);
/// assert_eq!(e.to_string(), "websocket handshake refused: missing Sec-WebSocket-Key");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum UpgradeError {
    /// The request is no acceptable handshake; the HTTP answer (status, headers, a short
    /// text body) was written.
    Rejected(Rejection),
    /// The stream could not be taken over (the head was already written, or the
    /// transport cannot hand over its connection).
    Stream(http_core::Error),
}

impl fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpgradeError::Rejected(r) => write!(f, "websocket handshake refused: {r}"),
            UpgradeError::Stream(e) => write!(f, "websocket upgrade failed: {e}"),
        }
    }
}

impl std::error::Error for UpgradeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UpgradeError::Rejected(r) => Some(r),
            UpgradeError::Stream(e) => Some(e),
        }
    }
}

/// The server handshake on a stream (HTTP.jl's `WebSockets.upgrade`): checks the request
/// with `accept` — an HTTP/1.1 `GET` with `Upgrade: websocket`, or an HTTP/2 extended
/// CONNECT with `:protocol websocket` — then answers 101 (HTTP/1.1) or 200 (HTTP/2) and
/// takes the connection over. A refused handshake is answered with the
/// [`Rejection`]'s status and headers and a one-line text body.
///
/// The socket closes with 1001 when the server shuts down (see [`WebSocket::close_on`]).
///
/// ```no_run
/// use http_core::Stream;
/// use http_ws::{Accept, Message};
///
/// async fn chat(s: &mut Stream) {
///     if s.startread().uri.path() != "/chat" {
///         let _ = s.write("not a chat").await;
///         return;
///     }
///     let Ok(mut ws) = http_ws::upgrade(s, &Accept::new().protocols(["chat.v1"])).await else {
///         return; // refused: the answer is out
///     };
///     while let Some(Ok(msg)) = ws.recv().await {
///         if msg.is_text() && ws.send(msg).await.is_err() {
///             break;
///         }
///     }
/// }
/// # let _ = http_server::Server::listen(http_server::ServerOptions::new(), chat);
/// ```
pub async fn upgrade(s: &mut Stream, accept: &Accept) -> Result<WebSocket<Upgraded>, UpgradeError> {
    let checked = {
        let head = s.startread();
        let mut rh = RequestHead::new(&head.method, head.version, &head.headers);
        if head.version == Version::HTTP_2
            && let Some(p) = s.upgrade_protocol()
        {
            rh = rh.with_protocol(p);
        }
        accept.accept(&rh)
    };
    let accepted = match checked {
        Ok(a) => a,
        Err(rejection) => {
            refuse(s, rejection).await;
            return Err(UpgradeError::Rejected(rejection));
        }
    };
    s.setstatus(accepted.status).map_err(UpgradeError::Stream)?;
    s.response_headers_mut().extend(accepted.headers);
    let io = s.upgrade().await.map_err(UpgradeError::Stream)?;
    Ok(WebSocket::from_upgraded(io, Role::Server, accepted.config).close_on(s.shutdown_signal()))
}

/// Writes a refused handshake's answer.
async fn refuse(s: &mut Stream, rejection: Rejection) {
    if s.setstatus(rejection.status()).is_err() {
        return; // the head is out already: nothing more to say
    }
    s.response_headers_mut().extend(rejection.headers());
    let body = format!("{rejection}\n");
    let _ = s.setheader("content-type", "text/plain; charset=utf-8");
    let _ = s.setheader("content-length", &body.len().to_string());
    s.closeread();
    let _ = s.write(body).await;
    let _ = s.closewrite().await;
}

/// A stream handler that accepts WebSockets and runs a callback on each; made by
/// [`websocket`] or [`websocket_with_request`]. Builders set the handshake policy.
///
/// ```
/// use http_ws::{Message, websocket};
/// let h = websocket(|mut ws| async move {
///     while let Some(Ok(msg)) = ws.recv().await {
///         if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
///             break;
///         }
///     }
/// })
/// .protocols(["echo"])
/// .check_origin(|origin| origin.is_none_or(|o| o == "https://example.com"));
/// let router = http_router::Router::new().route_stream("GET /ws", h);
/// # let _ = router;
/// ```
pub struct WebSocketHandler<F> {
    accept: Accept,
    callback: F,
}

impl<F> fmt::Debug for WebSocketHandler<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketHandler").field("accept", &self.accept).finish_non_exhaustive()
    }
}

/// The route form: a stream handler that runs the handshake ([`upgrade`]) and then
/// `callback` with the socket. Register it for `GET`: over HTTP/2 the router sends the
/// extended CONNECT (RFC 8441) of a `GET` route to it too. Refused handshakes are answered
/// (426, 400, 403, 405; see [`Rejection`]) and the callback does not run.
///
/// The callback runs on a task of its own (`tokio::spawn`, so outside the connection's
/// tracing span), which the connection waits for: the connection counts as open until
/// the callback returns, the socket gets close 1001 when the server closes, a panic in
/// the callback is reported as a handler's panic and ends only its connection, and a
/// forced close aborts the callback's task.
///
/// Middleware runs before the handshake, so it can refuse (e.g. authenticate) with an
/// ordinary answer; it must wrap stream handlers natively (`Layer::wrap_stream`), as a
/// serve-style wrapper buffers the exchange and cannot hand the connection over.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{BoxStreamHandler, Method, Request, StatusCode, Stream, StreamHandler, testing};
/// use http_router::{Layer, Router};
///
/// /// Refuses requests without `authorization` before the handshake.
/// struct RequireAuth;
/// struct Checked(BoxStreamHandler);
/// impl StreamHandler for Checked {
///     async fn call(&self, s: &mut Stream) {
///         if s.startread().headers.contains_key("authorization") {
///             self.0.call(s).await;
///         } else {
///             let _ = s.setstatus(StatusCode::UNAUTHORIZED);
///         }
///     }
/// }
/// impl Layer for RequireAuth {
///     fn wrap_serve(&self, next: http_core::BoxHandler) -> http_core::BoxHandler { next }
///     fn wrap_stream(&self, next: BoxStreamHandler) -> BoxStreamHandler {
///         BoxStreamHandler::new(Checked(next))
///     }
/// }
/// let echo = http_ws::websocket(|mut ws| async move {
///     while let Some(Ok(m)) = ws.recv().await {
///         if ws.send(m).await.is_err() { break }
///     }
/// });
/// let app = Router::new().use_middleware(RequireAuth).route_stream("GET /ws", echo);
/// let r = testing::call_stream(&app, Request::new(Method::GET, "/ws")).await;
/// assert_eq!(r.status, StatusCode::UNAUTHORIZED);
/// let r = testing::call_stream(&app, Request::new(Method::GET, "/ws").with_header("authorization", "t")).await;
/// assert_eq!(r.status, StatusCode::UPGRADE_REQUIRED, "authenticated, but no handshake");
/// # }
/// ```
pub fn websocket<F, Fut>(
    callback: F,
) -> WebSocketHandler<impl Fn(WebSocket<Upgraded>, Request) -> Fut + Send + Sync + 'static>
where
    F: Fn(WebSocket<Upgraded>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    websocket_with_request(move |ws, _req| callback(ws))
}

/// [`websocket`] whose callback also gets the request: head, route parameters, query,
/// and the context's extensions (e.g. what an authenticating middleware stored).
///
/// ```
/// use http_ws::{Message, websocket_with_request};
/// let h = websocket_with_request(|mut ws, req| async move {
///     let who = req.header("x-user").unwrap_or("anonymous").to_owned();
///     let _ = ws.send(Message::text(format!("hello {who}"))).await;
/// });
/// # let _ = http_router::Router::new().route_stream("GET /ws", h);
/// ```
pub fn websocket_with_request<F, Fut>(callback: F) -> WebSocketHandler<F>
where
    F: Fn(WebSocket<Upgraded>, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    WebSocketHandler { accept: Accept::new(), callback }
}

impl<F> WebSocketHandler<F> {
    /// The subprotocols this endpoint speaks ([`Accept::protocols`]).
    ///
    /// ```
    /// let h = http_ws::websocket(|_ws| async {}).protocols(["chat.v2", "chat.v1"]);
    /// # let _ = h;
    /// ```
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.accept = self.accept.protocols(protocols);
        self
    }

    /// An origin check ([`Accept::check_origin`]); refused origins get 403.
    ///
    /// ```
    /// let h = http_ws::websocket(|_ws| async {}).check_origin(|o| o.is_some_and(|o| o == "https://example.com"));
    /// # let _ = h;
    /// ```
    pub fn check_origin(mut self, f: impl Fn(Option<&http_core::HeaderValue>) -> bool + Send + Sync + 'static) -> Self {
        self.accept = self.accept.check_origin(f);
        self
    }

    /// Connection settings: limits, timeouts ([`Accept::config`]).
    ///
    /// ```
    /// let mut c = http_ws::Config::default();
    /// c.max_message_size = 1 << 20;
    /// let h = http_ws::websocket(|_ws| async {}).config(c);
    /// # let _ = h;
    /// ```
    pub fn config(mut self, config: Config) -> Self {
        self.accept = self.accept.config(config);
        self
    }

    /// The whole handshake policy at once (replaces what the other builders set).
    ///
    /// ```
    /// let h = http_ws::websocket(|_ws| async {}).accept(http_ws::Accept::new().deflate(None));
    /// # let _ = h;
    /// ```
    pub fn accept(mut self, accept: Accept) -> Self {
        self.accept = accept;
        self
    }
}

impl<F, Fut> StreamHandler for WebSocketHandler<F>
where
    F: Fn(WebSocket<Upgraded>, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    async fn call(&self, s: &mut Stream) {
        let Ok(ws) = upgrade(s, &self.accept).await else { return };
        let req = s.take_request(Body::empty());
        // The callback runs on a task of its own: each of its polls is then the socket's
        // alone, not one through the connection's layers (serving loop, panic guard,
        // router). This task waits for it, so the connection still counts until the
        // socket is done, and a forced close, dropping this task, aborts that one.
        let task = CallbackTask(tokio::spawn((self.callback)(ws, req)));
        if let Err(e) = task.await
            && e.is_panic()
        {
            // the connection's own panic guard reports it, as if it had panicked here
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// The task running one socket's callback; aborted when dropped unfinished.
struct CallbackTask(tokio::task::JoinHandle<()>);

impl Future for CallbackTask {
    type Output = Result<(), tokio::task::JoinError>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl Drop for CallbackTask {
    fn drop(&mut self) {
        self.0.abort(); // a no-op once it finished
    }
}
