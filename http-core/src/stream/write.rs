//! Writing the response of a [`Stream`]: committing the head, streaming body bytes,
//! trailers and the end of the response (RFC 9110 §6), and [`Stream::write_response`],
//! which sends a whole [`Response`] (zero-copy from a file where the transport can).

use std::future::poll_fn;
use std::task::{Poll, ready};

use bytes::Bytes;
use http::HeaderMap;

use super::{Stream, WriteState, declared_length};
use crate::body::{Body, Frame};
use crate::engine::OutgoingHead;
use crate::error::{Error, ErrorKind};
use crate::response::Response;

impl Stream {
    /// HTTP.jl's `startwrite`: commits the response head. A `Content-Length` header set
    /// before this fixes the body length; otherwise the body is streamed (chunked on HTTP/1.1).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.setheader("content-length", "5").unwrap();
    ///     s.startwrite().await.unwrap(); // the head is committed with Content-Length: 5
    ///     s.write("hello").await.unwrap();
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::GET, "/")).await;
    /// assert_eq!((r.header("content-length"), r.text().as_str()), (Some("5"), "hello"));
    /// # }
    /// ```
    pub async fn startwrite(&mut self) -> Result<(), Error> {
        if self.write != WriteState::NotStarted {
            return Ok(());
        }
        let length = declared_length(&self.headers);
        self.commit_head(None, length, false)
    }

    pub(crate) fn commit_head(
        &mut self,
        headers: Option<&mut HeaderMap>,
        length: Option<u64>,
        end_stream: bool,
    ) -> Result<(), Error> {
        let (headers, may_take) = match headers {
            Some(h) => (h, true),
            None => (&mut self.headers, false),
        };
        let head = OutgoingHead { status: self.status, headers, may_take, length, end_stream };
        match self.transport.send_head(head) {
            Ok(()) => {
                self.write = if end_stream { WriteState::Finished } else { WriteState::Streaming };
                self.response_length = length;
                Ok(())
            }
            Err(e) => {
                self.write = WriteState::Aborted;
                Err(e)
            }
        }
    }

    /// Writes body bytes, committing the head first if needed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     for part in ["one ", "two ", "three"] {
    ///         if s.write(part).await.is_err() {
    ///             return; // the client went away
    ///         }
    ///     }
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "one two three");
    /// # }
    /// ```
    pub async fn write(&mut self, data: impl Into<Bytes>) -> Result<(), Error> {
        let mut data = data.into();
        self.startwrite().await?;
        if self.write != WriteState::Streaming {
            return Err(Error::new(ErrorKind::State, "response already finished"));
        }
        if data.is_empty() {
            return Ok(());
        }
        let r = poll_fn(|cx| self.transport.poll_write(cx, &mut data)).await;
        self.abort_on_err(r)
    }

    /// Pushes buffered response bytes to the client now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn progress(s: &mut Stream) {
    ///     for pct in [50, 100] {
    ///         let _ = s.write(format!("{pct}%\n")).await;
    ///         let _ = s.flush().await; // reaches the client now, not when the handler returns
    ///     }
    /// }
    /// assert_eq!(testing::call_stream(&progress, Request::new(Method::GET, "/")).await.text(), "50%\n100%\n");
    /// # }
    /// ```
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.startwrite().await?;
        let r = poll_fn(|cx| self.transport.poll_flush(cx)).await;
        self.abort_on_err(r)
    }

    /// HTTP.jl's `closewrite`: ends the response, sending queued trailers.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.write("bye").await.unwrap();
    ///     s.closewrite().await.unwrap();
    ///     assert!(s.write("more").await.is_err(), "the response is over");
    /// }
    /// assert_eq!(testing::call_stream(&h, Request::new(Method::GET, "/")).await.text(), "bye");
    /// # }
    /// ```
    pub async fn closewrite(&mut self) -> Result<(), Error> {
        match self.write {
            WriteState::Finished => return Ok(()),
            WriteState::Aborted => return Err(Error::closed()),
            WriteState::NotStarted => {
                let length = declared_length(&self.headers).or(Some(0));
                let end = length == Some(0) && self.trailers.is_none();
                self.commit_head(None, length, end)?;
                if end {
                    // The engine flushes once the exchange is over (batching pipelined responses).
                    return Ok(());
                }
            }
            WriteState::Streaming => {}
        }
        let trailers = self.trailers.take();
        let r = poll_fn(|cx| self.transport.poll_finish(cx, trailers.as_deref())).await;
        self.settle_finish(r)
    }

    /// Records how ending the response went: finished, or aborted on an error.
    fn settle_finish(&mut self, r: Result<(), Error>) -> Result<(), Error> {
        if r.is_ok() {
            self.write = WriteState::Finished;
        }
        self.abort_on_err(r)
    }

    fn abort_on_err(&mut self, r: Result<(), Error>) -> Result<(), Error> {
        if r.is_err() {
            self.write = WriteState::Aborted;
        }
        r
    }

    /// Sends a whole [`Response`]: head, body (streamed frame by frame) and trailers.
    /// A body with a known length goes out with Content-Length.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// use http_core::{Response, StatusCode};
    /// async fn h(s: &mut Stream) {
    ///     let resp = Response::new(StatusCode::CREATED).with_header("location", "/items/1").with_body("made");
    ///     s.write_response(resp).await.unwrap();
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::POST, "/items")).await;
    /// assert_eq!((r.status.as_u16(), r.header("location"), r.text().as_str()), (201, Some("/items/1"), "made"));
    /// # }
    /// ```
    pub async fn write_response(&mut self, response: Response) -> Result<(), Error> {
        match self.commit_response(response)? {
            Some(body) => self.write_committed_body(body).await,
            None => Ok(()),
        }
    }

    /// The first, synchronous half of [`write_response`](Self::write_response): commits the
    /// response's head and gives back its body, `None` when the head ended the response.
    /// Callers that await the rest at once (the serve-style adapter) keep only the body in
    /// their future, not the whole `Response`.
    pub(crate) fn commit_response(&mut self, response: Response) -> Result<Option<Body>, Error> {
        self.check_not_started()?;
        let (status, mut headers, body) = response.into_parts();
        self.status = status;
        let length = body.exact_len().or_else(|| declared_length(&headers));
        let end = body.is_empty() && self.trailers.is_none();
        self.commit_head(Some(&mut headers), if end { Some(0) } else { length }, end)?;
        self.transport.recycle_headers(headers);
        Ok((!end).then_some(body))
    }

    /// The second half of [`write_response`](Self::write_response): sends the body of a
    /// committed head, then ends the response.
    pub(crate) async fn write_committed_body(&mut self, body: Body) -> Result<(), Error> {
        // Bytes in hand (the common case) need one write, no frame loop. The general body
        // writer runs boxed: this future is moved at every `.await` up the handler chain,
        // and keeping the rare path's state out of it keeps those moves small.
        match body.into_full() {
            Ok(mut data) if self.trailers.is_none() => {
                // Written and finished in one poll function: what `closewrite` does for a
                // streaming response without trailers, without its future nested in this one.
                let mut written = false;
                let r = poll_fn(|cx| {
                    if !written {
                        ready!(self.transport.poll_write(cx, &mut data))?;
                        written = true;
                    }
                    self.transport.poll_finish(cx, None)
                })
                .await;
                self.settle_finish(r)
            }
            Ok(data) => Box::pin(self.write_body(Body::from(data))).await,
            Err(body) => {
                // A file-backed body goes out zero-copy where the transport can (no boxed
                // writer either); otherwise its fallback frames are streamed.
                if let Some((file, mut offset, mut remaining)) = body.file_region()
                    && self.trailers.is_none()
                {
                    let r = poll_fn(|cx| self.transport.poll_send_file(cx, file, &mut offset, &mut remaining)).await;
                    match r {
                        Ok(true) => return self.closewrite().await,
                        Ok(false) => {}
                        Err(e) => {
                            self.write = WriteState::Aborted;
                            return Err(e);
                        }
                    }
                }
                Box::pin(self.write_body(body)).await
            }
        }
    }

    /// Writes a response body after its head, frame by frame; then the trailers.
    async fn write_body(&mut self, mut body: Body) -> Result<(), Error> {
        loop {
            // Flush whatever is buffered whenever the body has nothing ready, so streamed
            // responses (SSE, progress output) reach the client as they are produced.
            let frame = match poll_fn(|cx| Poll::Ready(body.poll_frame(cx))).await {
                Poll::Ready(f) => f,
                Poll::Pending => {
                    let r = poll_fn(|cx| self.transport.poll_flush(cx)).await;
                    self.abort_on_err(r)?;
                    body.next_frame().await
                }
            };
            let Some(frame) = frame else { break };
            match frame {
                Ok(Frame::Data(mut d)) => {
                    let r = poll_fn(|cx| self.transport.poll_write(cx, &mut d)).await;
                    self.abort_on_err(r)?;
                }
                Ok(Frame::Trailers(t)) => {
                    self.trailers.get_or_insert_with(Default::default).extend(t);
                    break;
                }
                Err(e) => {
                    self.write = WriteState::Aborted;
                    return Err(e);
                }
            }
        }
        self.closewrite().await
    }
}
