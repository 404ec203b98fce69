//! An HTTP/2 GOAWAY whose last-stream-id is below a stream already in flight (RFC 9113
//! §6.8): the streams at or below it finish on the old connection, the ones above it were
//! not processed and an idempotent request goes again on a new connection.
//!
//! The `h2` crate's server cannot send a GOAWAY below a stream it has accepted, so this
//! server writes its frames by hand.

mod support;

use std::time::Duration;

use http_client::{Client, HttpVersion, Version};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(20);
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Frame types and flags (RFC 9113 §6).
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut out = vec![len[1], len[2], len[3], kind, flags];
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// `200 OK` (HPACK static index 8) with `body`, ending the stream.
fn answer(stream: u32, body: &[u8]) -> Vec<u8> {
    let mut out = frame(HEADERS, END_HEADERS, stream, &[0x88]);
    out.extend(frame(DATA, END_STREAM, stream, body));
    out
}

/// The next frame's type, flags and stream id (its payload is skipped); `None` at EOF.
async fn read_frame(s: &mut TcpStream) -> Option<(u8, u8, u32)> {
    let mut head = [0u8; 9];
    s.read_exact(&mut head).await.ok()?;
    let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload).await.ok()?;
    let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
    Some((head[3], head[4], stream))
}

/// Connection 0 answers its first stream, then waits for two more, sends GOAWAY with
/// the lower of them as last-stream-id, answers that one `kept` and leaves the other
/// unanswered. Every later connection answers each stream `retried`.
async fn goaway_below_in_flight(mut s: TcpStream, conn: usize) {
    let mut preface = [0u8; 24];
    if s.read_exact(&mut preface).await.is_err() || preface != PREFACE {
        return;
    }
    if s.write_all(&frame(SETTINGS, 0, 0, &[])).await.is_err() {
        return;
    }
    let mut streams = Vec::new();
    while let Some((kind, flags, stream)) = read_frame(&mut s).await {
        let reply = match kind {
            SETTINGS if flags & ACK == 0 => frame(SETTINGS, ACK, 0, &[]),
            HEADERS if conn > 0 => answer(stream, b"retried"),
            HEADERS => {
                streams.push(stream);
                match streams.len() {
                    1 => answer(stream, b"warm"),
                    3 => {
                        let last = streams[1].min(streams[2]);
                        let mut goaway = [0u8; 8];
                        goaway[..4].copy_from_slice(&last.to_be_bytes());
                        let mut out = frame(GOAWAY, 0, 0, &goaway);
                        out.extend(answer(last, b"kept"));
                        out
                    }
                    _ => continue,
                }
            }
            _ => continue,
        };
        if s.write_all(&reply).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn goaway_below_an_in_flight_stream_retries_the_unprocessed_get() {
    let server = scripted_server(goaway_below_in_flight).await;
    let client = Client::builder().http_version(HttpVersion::Http2PriorKnowledge).build().unwrap();
    let get = |path: &'static str| {
        let (client, url) = (client.clone(), server.url(path));
        async move {
            let res = client.get(&url).send().await.unwrap();
            let (reused, version) = (res.connection_reused(), res.version());
            (res.text().await.unwrap(), reused, version)
        }
    };
    // One stream first, so the two that follow share the pooled connection.
    let warm = bounded(WAIT, "first GET", get("/warm")).await;
    assert_eq!(warm, ("warm".to_owned(), false, Version::HTTP_2));
    let (a, b) = bounded(WAIT, "two GETs across the GOAWAY", async { tokio::join!(get("/a"), get("/b")) }).await;
    let mut bodies = [a.0.as_str(), b.0.as_str()];
    bodies.sort_unstable();
    assert_eq!(bodies, ["kept", "retried"], "{a:?} {b:?}");
    let retried = if a.0 == "retried" { &a } else { &b };
    let kept = if a.0 == "kept" { &a } else { &b };
    assert!(kept.1, "the stream below the GOAWAY finished on the pooled connection");
    assert!(!retried.1, "the stream above it went on a new connection");
    assert_eq!(server.connections(), 2);
}
