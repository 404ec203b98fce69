//! The streaming request form (HTTP.jl's `HTTP.open`): the request goes out as its body is
//! written, piece by piece (chunked on HTTP/1.1, DATA frames on HTTP/2), optionally with
//! trailers; then [`RequestWriter::response`] closes the body and returns the response,
//! whose head, chunks and trailers are read as they come.

use bytes::Bytes;
use http::HeaderMap;
use http_core::{Body, BodySender};
use tokio::task::JoinHandle;

use crate::client::RequestBuilder;
use crate::error::{Error, ErrorKind, Result};
use crate::response::Response;

/// How many written pieces may wait for the connection.
const PENDING_PIECES: usize = 4;

/// A request whose body is being written.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |mut req: http_core::Request| async move { req.take_body().collect(1 << 20).await.unwrap() }).await.unwrap();
/// let client = http_client::Client::new();
/// let mut w = client.put(&server.url()).open();
/// w.write("first, ").await.unwrap();
/// w.write("second").await.unwrap();
/// let res = w.response().await.unwrap();
/// assert_eq!(res.text().await.unwrap(), "first, second");
/// # server.forceclose().await;
/// # }
/// ```
#[derive(Debug)]
pub struct RequestWriter {
    tx: Option<BodySender>,
    task: Option<JoinHandle<Result<Response>>>,
}

impl RequestWriter {
    pub(crate) fn start(builder: RequestBuilder) -> Self {
        let (tx, body) = Body::channel(PENDING_PIECES);
        let task = tokio::spawn(builder.body(body).send());
        RequestWriter { tx: Some(tx), task: Some(task) }
    }

    /// Writes one piece of the body, waiting while the connection is behind. When the
    /// request has failed, its error.
    pub async fn write(&mut self, data: impl Into<Bytes>) -> Result<()> {
        let sent = match &self.tx {
            Some(tx) => tx.send_data(data.into()).await.is_ok(),
            None => false,
        };
        if sent { Ok(()) } else { Err(self.failure().await) }
    }

    /// Ends the body with trailer fields (sent on chunked HTTP/1.1 and HTTP/2).
    pub async fn write_trailers(&mut self, trailers: HeaderMap) -> Result<()> {
        let sent = match self.tx.take() {
            Some(tx) => tx.send_trailers(trailers).await.is_ok(),
            None => false,
        };
        if sent { Ok(()) } else { Err(self.failure().await) }
    }

    /// Ends the body and waits for the response head (HTTP.jl's `startread`).
    pub async fn response(mut self) -> Result<Response> {
        self.tx = None;
        self.join().await
    }

    async fn join(&mut self) -> Result<Response> {
        match self.task.take() {
            Some(task) => task.await.map_err(|e| Error::new(ErrorKind::Io, format!("the request task failed: {e}")))?,
            None => Err(Error::new(ErrorKind::Io, "the request already ended")),
        }
    }

    /// Why the body can no longer be written: the request's own error, or its early end.
    async fn failure(&mut self) -> Error {
        self.tx = None;
        match self.join().await {
            Err(e) => e,
            Ok(_) => Error::new(ErrorKind::Io, "the response came before the body was written"),
        }
    }
}

impl Drop for RequestWriter {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
