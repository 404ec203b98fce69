//! Encode then parse, with arbitrary generated events: whatever a server writes, a client
//! reads back, for any way the bytes are split into chunks.

use http_core::{Method, Request, StatusCode, testing};
use http_sse::{SseEvent, SseParser, SseStream, body_events, sse_stream_with};
use tokio_stream::StreamExt;

/// xorshift64*: small, deterministic, good enough to generate test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Pieces that stress the format: every kind of line break, colons, spaces, NUL, a BOM,
/// multi-byte characters.
const PIECES: &[&str] = &[
    "a", "Z", "0", " ", "  ", ":", ": ", "\n", "\r", "\r\n", "\n\n", "\r\r", "\0", "\u{FEFF}", "é", "日本", "🎉",
    "data:", "id:", "event", "retry: 5", "\t", "\\", "\"",
];

fn text(rng: &mut Rng, max_pieces: usize, allow_breaks: bool) -> String {
    let n = rng.below(max_pieces + 1);
    let mut s = String::new();
    while s.chars().count() < n {
        let p = PIECES[rng.below(PIECES.len())];
        if allow_breaks || !p.contains(['\r', '\n', '\0']) {
            s.push_str(p);
        }
    }
    s
}

fn event(rng: &mut Rng) -> SseEvent {
    let mut ev = SseEvent::new(text(rng, 40, true));
    if rng.chance(50) {
        ev.event = Some(text(rng, 8, false));
    }
    if rng.chance(50) {
        ev.id = Some(text(rng, 8, false));
    }
    if rng.chance(20) {
        ev.retry = Some(rng.next() >> rng.below(64));
    }
    ev
}

/// What a client must see for `sent`, following the stream's carried state.
fn expected(sent: &[SseEvent]) -> Vec<SseEvent> {
    let (mut last_id, mut retry) = (String::new(), None);
    sent.iter()
        .map(|ev| {
            if let Some(id) = &ev.id {
                last_id.clone_from(id);
            }
            retry = ev.retry.or(retry);
            SseEvent {
                data: ev.data.replace("\r\n", "\n").replace('\r', "\n"),
                event: ev.event.clone().filter(|e| !e.is_empty()),
                id: (!last_id.is_empty()).then(|| last_id.clone()),
                retry,
                fields: Vec::new(),
            }
        })
        .collect()
}

fn without_fields(mut evs: Vec<SseEvent>) -> Vec<SseEvent> {
    evs.iter_mut().for_each(|e| e.fields.clear());
    evs
}

#[test]
fn random_events_round_trip_with_random_chunking() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..300 {
        let sent: Vec<SseEvent> = (0..1 + rng.below(12)).map(|_| event(&mut rng)).collect();
        let mut wire = Vec::new();
        for ev in &sent {
            wire.extend_from_slice(&ev.encode().unwrap());
        }
        let mut p = SseParser::new(1 << 20);
        let mut got = Vec::new();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let (chunk, r) = rest.split_at(1 + rng.below(rest.len().min(17)));
            rest = r;
            p.feed(chunk);
            while let Some(ev) = p.next_event() {
                got.push(ev.unwrap());
            }
        }
        assert!(!p.finish(), "round {round}: nothing left over");
        assert_eq!(without_fields(got), expected(&sent), "round {round}: wire {:?}", String::from_utf8_lossy(&wire));
    }
}

#[test]
fn encode_fails_exactly_when_id_or_event_would_corrupt_the_stream() {
    let mut rng = Rng(42);
    let (mut ok, mut bad) = (0, 0);
    for _ in 0..2000 {
        let mut ev = SseEvent::new(text(&mut rng, 5, true));
        ev.event = rng.chance(50).then(|| text(&mut rng, 4, true));
        ev.id = rng.chance(50).then(|| text(&mut rng, 4, true));
        let corrupting = [&ev.event, &ev.id].into_iter().flatten().any(|s| s.contains(['\r', '\n', '\0']));
        match ev.encode() {
            Ok(wire) => {
                ok += 1;
                assert!(!corrupting, "{ev:?}");
                let back = without_fields(http_sse::parse_all(&wire, 1 << 20).unwrap());
                assert_eq!(back, expected(std::slice::from_ref(&ev)));
            }
            Err(e) => {
                bad += 1;
                assert!(corrupting && e.is_invalid(), "{ev:?}: {e}");
            }
        }
    }
    assert!(ok > 100 && bad > 100, "both kinds generated: {ok} ok, {bad} rejected");
}

#[test]
fn encoded_len_is_exact_for_random_events() {
    let mut rng = Rng(7);
    for _ in 0..500 {
        let ev = event(&mut rng);
        assert_eq!(ev.encode().unwrap().len(), ev.encoded_len(), "{ev:?}");
    }
}

#[tokio::test]
async fn random_events_through_a_response_body() {
    let mut rng = Rng(2024);
    let sent: Vec<SseEvent> = (0..200).map(|_| event(&mut rng)).collect();
    let to_send = sent.clone();
    // A small buffer so the producer is throttled by the reader all the way.
    let h = move |_req: Request| {
        let evs = to_send.clone();
        async move {
            http_sse::SseResponse::new().max_len(512).spawn(move |s: SseStream| async move {
                for ev in &evs {
                    s.send(ev).await?;
                }
                Ok::<_, http_sse::SseError>(())
            })
        }
    };
    let resp = h(Request::new(Method::GET, "/")).await;
    let got: Vec<SseEvent> = body_events(resp.into_body(), 1 << 20).map(|e| e.unwrap()).collect().await;
    assert_eq!(without_fields(got), expected(&sent));
    // and the in-process test client agrees
    let h2 = |_req: Request| async {
        sse_stream_with(StatusCode::OK, |s: SseStream| async move {
            s.send(&SseEvent::new("x\r\ny").with_event("e")).await.unwrap();
        })
    };
    let r = testing::call(&h2, Request::new(Method::GET, "/")).await;
    assert_eq!(r.text(), "event: e\ndata: x\ndata: y\n\n");
}
