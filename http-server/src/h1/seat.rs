//! Where an HTTP/1.1 connection's transport is kept between exchanges: alone while the
//! connection waits for a request with no exchange state, or inside the `Stream` its
//! exchanges run on (RFC 9112 §9.3, persistent connections).
//!
//! A `Stream` is an exchange's state around the transport: the request head and context,
//! the response status and fields (about 600 bytes beside the transport's). The
//! [`dispatch`](super::dispatch) loop keeps one only while requests keep coming, and
//! gives it up at the moments it gives up its buffers: after a lone request, and when a
//! hot connection has been idle for [`RELEASE_IDLE_AFTER`](super::io::RELEASE_IDLE_AFTER).
//! An idle keep-alive connection then holds just the transport, in its own future; its
//! next request wraps the transport in a new `Stream` (one allocation, on a connection
//! that allocates its buffers again then anyway), while a busy connection runs every
//! request on the `Stream` it kept, without allocating.

use http_core::Stream;
use tokio::io::{AsyncRead, AsyncWrite};

use super::conn::H1Transport;
use super::sendfile::SendFile;

/// The transport, alone or in its exchanges' `Stream` (never both; neither while the
/// `Stream` is lent to an exchange).
pub(crate) struct Seat<IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static> {
    /// The `Stream` kept for the next exchange, with the transport in it.
    stream: Option<Box<Stream<H1Transport<IO>>>>,
    /// The transport while no `Stream` is kept: a new connection, or one that gave its
    /// `Stream` up.
    alone: Option<H1Transport<IO>>,
}

impl<IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static> Seat<IO> {
    pub(crate) fn new(transport: H1Transport<IO>) -> Self {
        Seat { stream: None, alone: Some(transport) }
    }

    /// True while a `Stream` is kept for the next exchange.
    #[cfg(test)]
    pub(crate) fn holds_stream(&self) -> bool {
        self.stream.is_some()
    }

    /// The transport, wherever it is.
    ///
    /// # Panics
    /// While the `Stream` is lent to an exchange.
    #[cfg(test)]
    pub(crate) fn transport(&self) -> &H1Transport<IO> {
        match (&self.stream, &self.alone) {
            (Some(s), _) => s.transport(),
            (None, Some(t)) => t,
            (None, None) => panic!("the stream is lent to an exchange"),
        }
    }

    /// The transport, mutably, wherever it is.
    ///
    /// # Panics
    /// While the `Stream` is lent to an exchange.
    pub(crate) fn transport_mut(&mut self) -> &mut H1Transport<IO> {
        match (&mut self.stream, &mut self.alone) {
            (Some(s), _) => s.transport_mut(),
            (None, Some(t)) => t,
            (None, None) => panic!("the stream is lent to an exchange"),
        }
    }

    /// Lends the `Stream` to an exchange: the kept one, or a new one around the transport
    /// (an allocation). [`put_stream`](Self::put_stream) gives it back.
    ///
    /// # Panics
    /// While the `Stream` is lent already.
    pub(crate) fn take_stream(&mut self) -> Box<Stream<H1Transport<IO>>> {
        if let Some(s) = self.stream.take() {
            #[cfg(test)]
            tests::held(-1);
            return s;
        }
        Box::new(Stream::new(self.alone.take().expect("the stream is lent to an exchange")))
    }

    /// Takes the lent `Stream` back and keeps it for the next exchange.
    pub(crate) fn put_stream(&mut self, stream: Box<Stream<H1Transport<IO>>>) -> &mut Stream<H1Transport<IO>> {
        #[cfg(test)]
        tests::held(1);
        self.stream.insert(stream)
    }

    /// Gives the kept `Stream` up, keeping the transport alone.
    pub(crate) fn release_stream(&mut self) {
        if let Some(s) = self.stream.take() {
            #[cfg(test)]
            tests::held(-1);
            self.alone = Some(s.into_transport());
        }
    }
}

#[cfg(test)]
impl<IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static> Drop for Seat<IO> {
    fn drop(&mut self) {
        if self.stream.is_some() {
            tests::held(-1);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::h1::conn::{ConnConfig, NextHead};
    use crate::h1::io::RELEASE_IDLE_AFTER;
    use crate::signal::Signal;

    thread_local! {
        /// Seats on this thread (a test's current-thread runtime) that keep a `Stream`
        /// between exchanges.
        static HELD: Cell<isize> = const { Cell::new(0) };
    }

    pub(super) fn held(change: isize) {
        HELD.set(HELD.get() + change);
    }

    fn config() -> Arc<ConnConfig> {
        Arc::new(ConnConfig {
            limits: crate::h1::role::HeadLimits { max_header_bytes: 8192, max_uri_bytes: 8192, max_headers: 100 },
            read_timeout: Duration::from_secs(5),
            read_header_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(30),
            max_body_bytes: 1 << 20,
            trusted: Arc::new([]),
            draining: Signal::new(),
            observe: Default::default(),
        })
    }

    async fn tcp_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        (listener.accept().await.unwrap().0, client)
    }

    #[derive(Debug, Clone, Copy)]
    enum Step {
        Take,
        Put,
        Release,
    }

    #[tokio::test]
    async fn a_seat_lends_keeps_and_gives_up_its_stream() {
        use Step::*;
        let (server, _client) = tcp_pair().await;
        let mut seat = Seat::new(H1Transport::new(server, None, config(), Signal::new()));
        seat.transport_mut().io.rbuf.extend_from_slice(b"GET");
        // (step, a stream kept after it; for a take: the stream kept before, not a new one)
        let steps: &[(Step, bool, bool)] = &[
            (Release, false, false),
            (Take, false, false),
            (Put, true, false),
            (Take, false, true),
            (Put, true, false),
            (Release, false, false),
            (Take, false, false),
            (Put, true, false),
        ];
        let mut lent = None;
        for (i, &(step, kept, reused)) in steps.iter().enumerate() {
            match step {
                Take => {
                    let mut s = seat.take_stream();
                    // the transport, with what it buffered, travels in the stream
                    assert_eq!(&s.transport().io.rbuf[..], b"GET", "step {i}");
                    // a new stream says 200; one lent before was marked 201
                    let user: &mut Stream = &mut *s;
                    assert_eq!(user.status() == http::StatusCode::CREATED, reused, "step {i}");
                    user.setstatus(http::StatusCode::CREATED).unwrap();
                    lent = Some(s);
                }
                Put => {
                    seat.put_stream(lent.take().expect("lent"));
                }
                Release => seat.release_stream(),
            }
            assert_eq!(seat.holds_stream(), kept, "step {i}: {step:?}");
            if lent.is_none() {
                assert_eq!(&seat.transport().io.rbuf[..], b"GET", "step {i}");
            }
        }
    }

    /// Each exchange takes the head the parser decoded: the request sees its own target and
    /// fields, and the parser's slot is left empty (no head or field map kept there).
    #[tokio::test]
    async fn each_exchange_takes_its_decoded_head() {
        let (server, _client) = tcp_pair().await;
        let cfg = config();
        let mut seat = Seat::new(H1Transport::new(server, None, cfg.clone(), Signal::new()));
        seat.transport_mut().io.rbuf.extend_from_slice(
            b"GET /a HTTP/1.1\r\nHost: a\r\nX-One: 1\r\n\r\nGET /b?q HTTP/1.1\r\nHost: a\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\nX-One: 1\r\nX-Two: 2\r\n\r\n",
        );
        // (target, field count)
        let cases = [("/a", 2), ("/b?q", 1), ("/c", 3)];
        for (i, (target, fields)) in cases.into_iter().enumerate() {
            let Ok(NextHead::Request(terms)) = seat.transport_mut().read_head(i == 0).await else {
                panic!("request {i}: no head decoded");
            };
            let mut s = seat.take_stream();
            crate::h1::dispatch::begin_exchange(&mut s, terms, &cfg, None);
            let slot = s.transport_mut().decoded_head();
            assert_eq!((slot.uri.path(), slot.headers.len(), slot.headers.capacity()), ("/", 0, 0), "request {i}");
            let user: &mut Stream = &mut *s;
            let head = user.startread();
            assert_eq!((head.uri.to_string().as_str(), head.headers.len()), (target, fields), "request {i}");
            seat.put_stream(s);
        }
    }

    async fn hello(s: &mut Stream) {
        let _ = s.write("hi").await;
    }

    /// Sends one request on `client` and reads its whole response.
    async fn request(client: &mut TcpStream) {
        const RESPONSE_END: &[u8] = b"hi\r\n0\r\n\r\n";
        client.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").await.unwrap();
        let mut got = Vec::new();
        while !got.ends_with(RESPONSE_END) {
            let mut buf = [0u8; 256];
            let n = client.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
    }

    /// An idle connection keeps a `Stream` only while it is hot: not after a lone request,
    /// and not once it has been idle for the release period.
    #[tokio::test]
    async fn an_idle_connection_keeps_a_stream_only_while_hot() {
        // (requests, idle time after them, a stream kept then)
        let cases: &[(usize, Duration, bool)] = &[
            (1, Duration::from_millis(50), false),
            (2, Duration::from_millis(50), true),
            (3, Duration::from_millis(50), true),
            (2, RELEASE_IDLE_AFTER + Duration::from_millis(300), false),
        ];
        for &(requests, idle, kept) in cases {
            let (server, mut client) = tcp_pair().await;
            let transport = H1Transport::new(server, None, config(), Signal::new());
            let before = HELD.get();
            let conn = tokio::spawn(async move { crate::h1::dispatch::serve_connection(transport, &hello).await });
            for _ in 0..requests {
                request(&mut client).await;
            }
            tokio::time::sleep(idle).await;
            assert_eq!(HELD.get() - before, isize::from(kept), "{requests} requests, idle {idle:?}");
            drop(client);
            conn.await.unwrap();
            assert_eq!(HELD.get(), before, "{requests} requests: the closed connection's seat is gone");
        }
    }
}
