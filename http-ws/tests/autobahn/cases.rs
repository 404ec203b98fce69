//! The Autobahn WebSocket test suite's case catalogue, sections 1 to 13, as data:
//! one [`Case`] per Autobahn case number with the frames the fuzzer sends, the
//! events it expects back, and the close behaviour it expects (RFC 6455 sections
//! 5, 7 and 8; RFC 7692 for sections 12 and 13). Where the suite generates cases
//! in a loop (payload lengths, UTF-8 vectors, sizes, compression variants) the
//! table is generated the same way. Section 9, 12 and 13 sizes and counts are
//! scaled by [`Scale`]; every scaled case says so in its `scaled` note.

use super::testdata::TestData;
use super::utf8::utf8_groups;

/// Close codes used by the table (RFC 6455 section 7.4.1).
pub(crate) const NORMAL: u16 = 1000;
pub(crate) const PROTOCOL_ERROR: u16 = 1002;
pub(crate) const INVALID_PAYLOAD: u16 = 1007;

/// A grade as the suite reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Grade {
    Ok,
    NonStrict,
    Informational,
    Unimplemented,
    Failed,
}

impl Grade {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Grade::Ok => "OK",
            Grade::NonStrict => "NON-STRICT",
            Grade::Informational => "INFORMATIONAL",
            Grade::Unimplemented => "UNIMPLEMENTED",
            Grade::Failed => "FAILED",
        }
    }
}

/// One frame the fuzzer sends, byte-exact as the case describes it.
#[derive(Clone, Debug)]
pub(crate) struct FrameSpec {
    pub(crate) opcode: u8,
    pub(crate) payload: Vec<u8>,
    pub(crate) fin: bool,
    pub(crate) rsv: u8,
    /// Write the frame in TCP writes of this many octets.
    pub(crate) chop: Option<usize>,
    /// Write the frame on its own (flushed before and after).
    pub(crate) sync: bool,
}

/// A step of a case's script.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    Frame(FrameSpec),
    /// Start one frame of `len` payload octets whose data follows in `Data`
    /// steps (Autobahn's `beginMessageFrame` / `sendMessageFrameData`).
    BeginFrame {
        opcode: u8,
        fin: bool,
        len: usize,
    },
    Data(Vec<u8>),
    /// A close frame with this payload through the close state machine
    /// (ignored once closing; the payload may be malformed on purpose).
    Close(Vec<u8>),
    /// Pause; go on only while the connection is open (`tag` given: record a
    /// `Timeout(tag)` event) or not yet closed (no tag).
    Wait {
        ms: u64,
        tag: Option<&'static str>,
    },
    /// Fail the connection (close 1001, then drop) after `ms` unless closed.
    KillAfter(u64),
    /// Start the closing handshake after `ms` unless closed.
    CloseAfter(u64),
}

/// An event the fuzzer records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    Message { payload: Vec<u8>, binary: bool },
    Pong(Vec<u8>),
    Timeout(&'static str),
}

/// The close behaviour a case expects.
#[derive(Clone, Debug)]
pub(crate) struct CloseExpect {
    pub(crate) closed_by_me: bool,
    pub(crate) codes: Vec<u16>,
    pub(crate) require_clean: bool,
    /// UTF-8 cases: the peer not failing the connection fails the case.
    pub(crate) wrong_endpoint_fatal: bool,
}

/// Grading adjustments some cases make after the standard comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Post {
    None,
    /// Section 7: a wrong close code fails the case.
    WrongCodeFails,
    /// Outcome is reported but undefined by the spec.
    Informational,
}

/// A script of frames with the expected events (sections 1 to 10).
#[derive(Clone, Debug)]
pub(crate) struct FrameScript {
    pub(crate) steps: Vec<Step>,
    /// Expected event lists, first match wins (OK before NON-STRICT).
    pub(crate) expected: Vec<(Grade, Vec<Event>)>,
    pub(crate) close: CloseExpect,
    /// Do not start the closing handshake when the events match.
    pub(crate) suppress_close: bool,
    /// Close after the first message whatever it holds (section 9).
    pub(crate) close_on_message: bool,
    pub(crate) post: Post,
}

/// permessage-deflate parameters of a section 12/13 case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Offer {
    /// `client_no_context_takeover` in the offer.
    pub(crate) accept_no_context_takeover: bool,
    /// `client_max_window_bits` (no value) in the offer.
    pub(crate) accept_max_window_bits: bool,
    /// `server_no_context_takeover` in the offer.
    pub(crate) request_no_context_takeover: bool,
    /// `server_max_window_bits=N` in the offer (0: absent).
    pub(crate) request_max_window_bits: u8,
}

impl Offer {
    pub(crate) const DEFAULT: Offer = Offer {
        accept_no_context_takeover: true,
        accept_max_window_bits: true,
        request_no_context_takeover: false,
        request_max_window_bits: 0,
    };
}

/// The fuzzing server's answer to a client's offers (suite's `accept1`..`accept7`):
/// the list of (request `client_no_context_takeover`, request
/// `client_max_window_bits`) choices tried in order.
#[derive(Clone, Debug)]
pub(crate) struct ServerAccept(pub(crate) Vec<(bool, u8)>);

/// A section 12/13 case: `count` messages of `len` units of `data`.
#[derive(Clone, Debug)]
pub(crate) struct DeflateScript {
    pub(crate) data: TestData,
    pub(crate) len: usize,
    pub(crate) count: usize,
    pub(crate) auto_frag: usize,
    pub(crate) wait_ms: u64,
    pub(crate) offers: Vec<Offer>,
    pub(crate) accept: ServerAccept,
}

/// What a case does.
#[derive(Clone, Debug)]
pub(crate) enum Script {
    Frames(FrameScript),
    /// 9.7/9.8: `count` messages of `len` octets, one at a time.
    RoundTrip {
        len: usize,
        count: usize,
        binary: bool,
        wait_ms: u64,
    },
    Deflate(DeflateScript),
}

/// One Autobahn case.
#[derive(Clone, Debug)]
pub(crate) struct Case {
    pub(crate) id: String,
    pub(crate) desc: String,
    pub(crate) script: Script,
    /// What was scaled down from the suite, if anything.
    pub(crate) scaled: Option<String>,
}

impl Case {
    pub(crate) fn section(&self) -> u32 {
        self.id.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0)
    }
}

/// How much the size and count cases are scaled down from the suite.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scale {
    /// Section 9.1 to 9.6 message sizes and 9.3/9.4 fragment sizes are divided by this.
    pub(crate) size_div: usize,
    /// Section 9.7/9.8 message counts are divided by this.
    pub(crate) count_div: usize,
    /// Section 12/13 messages per case (the suite sends 1000).
    pub(crate) deflate_count: usize,
    /// Upper bound on the suite's per-case waits in sections 9, 12 and 13 (ms).
    pub(crate) max_wait_ms: u64,
}

impl Scale {
    /// The suite as published.
    pub(crate) const FULL: Scale = Scale { size_div: 1, count_div: 1, deflate_count: 1000, max_wait_ms: u64::MAX };
    /// Sized so a whole run takes well under a minute in a debug build: section 9
    /// at full size, sections 12/13 with 3 messages per case, waits capped at 15 s.
    pub(crate) const QUICK: Scale = Scale { size_div: 1, count_div: 1, deflate_count: 3, max_wait_ms: 15_000 };
}

// ---- builders ------------------------------------------------------------

fn frame(opcode: u8, payload: impl Into<Vec<u8>>) -> FrameSpec {
    FrameSpec { opcode, payload: payload.into(), fin: true, rsv: 0, chop: None, sync: false }
}

impl FrameSpec {
    fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }
    fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }
    fn chop(mut self, chop: usize) -> Self {
        self.chop = Some(chop);
        self
    }
    fn sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }
    fn step(self) -> Step {
        Step::Frame(self)
    }
}

/// `payload` repeated to `len` octets (the suite's `payload_len`).
fn repeat_to(payload: &[u8], len: usize) -> Vec<u8> {
    payload.iter().copied().cycle().take(len).collect()
}

/// A message split into frames of `size` (the suite's `fragmentSize`).
fn fragmented(opcode: u8, payload: &[u8], size: usize) -> Vec<Step> {
    let pieces = fragment_ranges(payload.len(), size);
    let last = pieces.len() - 1;
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, (a, b))| frame(if i == 0 { opcode } else { 0 }, &payload[a..b]).fin(i == last).step())
        .collect()
}

/// Frame boundaries of a `len`-octet message sent in fragments of `size`, the
/// way the suite's fuzzer cuts them: one frame when it fits, and a final empty
/// frame when `len` is an exact multiple of `size` (0: no fragmenting).
pub(crate) fn fragment_ranges(len: usize, size: usize) -> Vec<(usize, usize)> {
    if size == 0 || len <= size {
        return vec![(0, len)];
    }
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let j = i + size;
        if j > len {
            out.push((i, len));
            return out;
        }
        out.push((i, j));
        i = j;
    }
}

#[test]
fn fragments_like_the_suite() {
    assert_eq!(fragment_ranges(3, 1), vec![(0, 1), (1, 2), (2, 3), (3, 3)]);
    assert_eq!(fragment_ranges(5, 2), vec![(0, 2), (2, 4), (4, 5)]);
    assert_eq!(fragment_ranges(2, 2), vec![(0, 2)]);
    assert_eq!(fragment_ranges(0, 0), vec![(0, 0)]);
}

/// A close frame payload: optional code, then reason octets.
fn close_frame(code: Option<u16>, reason: &[u8]) -> Step {
    let mut p = code.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default();
    p.extend_from_slice(reason);
    Step::Close(p)
}

fn msg(payload: impl Into<Vec<u8>>, binary: bool) -> Event {
    Event::Message { payload: payload.into(), binary }
}

fn clean_close() -> CloseExpect {
    CloseExpect { closed_by_me: true, codes: vec![NORMAL], require_clean: true, wrong_endpoint_fatal: false }
}

fn peer_fails(code: u16) -> CloseExpect {
    CloseExpect { closed_by_me: false, codes: vec![code], require_clean: false, wrong_endpoint_fatal: false }
}

fn utf8_fail() -> CloseExpect {
    CloseExpect { wrong_endpoint_fatal: true, ..peer_fails(INVALID_PAYLOAD) }
}

fn script(steps: Vec<Step>, ok: Vec<Event>, close: CloseExpect) -> FrameScript {
    FrameScript {
        steps,
        expected: vec![(Grade::Ok, ok)],
        close,
        suppress_close: false,
        close_on_message: false,
        post: Post::None,
    }
}

impl FrameScript {
    fn or_non_strict(mut self, events: Vec<Event>) -> Self {
        self.expected.push((Grade::NonStrict, events));
        self
    }
    fn suppressed(mut self) -> Self {
        self.suppress_close = true;
        self
    }
    fn post(mut self, post: Post) -> Self {
        self.post = post;
        self
    }
}

struct Table(Vec<Case>);

impl Table {
    fn add(&mut self, id: impl Into<String>, desc: impl Into<String>, s: FrameScript) {
        self.0.push(Case { id: id.into(), desc: desc.into(), script: Script::Frames(s), scaled: None });
    }
}

/// The whole catalogue, sections 1 to 13, in the suite's order.
pub(crate) fn all_cases(scale: Scale) -> Vec<Case> {
    let mut t = Table(Vec::new());
    section1(&mut t);
    section2(&mut t);
    section3(&mut t);
    section4(&mut t);
    section5(&mut t);
    section6(&mut t);
    section7(&mut t);
    section9(&mut t, scale);
    section10(&mut t);
    super::testdata::deflate_cases(&mut t.0, scale);
    t.0.sort_by_cached_key(|c| id_key(&c.id));
    t.0
}

fn section1(t: &mut Table) {
    // 1.1.x text, 1.2.x binary: lengths 0, 125, 126, 127, 128, 65535, 65536, 65536 in 997-octet chops
    let lens = [0usize, 125, 126, 127, 128, 65535, 65536, 65536];
    for (sub, (opcode, fill, binary)) in [(1u8, b'*', false), (2, 0xfe, true)].into_iter().enumerate() {
        for (i, &len) in lens.iter().enumerate() {
            let payload = vec![fill; len];
            let mut f = frame(opcode, payload.clone());
            let mut desc =
                format!("Send {} message with payload of length {len}", if binary { "binary" } else { "text" });
            if i == 7 {
                f = f.chop(997);
                desc.push_str(", in chops of 997 octets");
            }
            let kill = if len > 128 { 10_000 } else { 1000 };
            t.add(
                format!("1.{}.{}", sub + 1, i + 1),
                desc,
                script(vec![f.step(), Step::KillAfter(kill)], vec![msg(payload, binary)], clean_close()),
            );
        }
    }
}

fn section2(t: &mut Table) {
    let ping = |p: &[u8]| frame(9, p.to_vec());
    let pong = |p: &[u8]| Event::Pong(p.to_vec());
    let fe125 = vec![0xfe; 125];
    let bin: &[u8] = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff";
    let simple: [(&str, &[u8]); 4] = [
        ("Send ping without payload", b""),
        ("Send ping with small text payload", b"Hello, world!"),
        ("Send ping with small binary (non UTF-8) payload", bin),
        ("Send ping with binary payload of 125 octets", &fe125),
    ];
    for (i, (desc, p)) in simple.into_iter().enumerate() {
        t.add(
            format!("2.{}", i + 1),
            desc,
            script(vec![ping(p).step(), Step::CloseAfter(1000)], vec![pong(p)], clean_close()),
        );
    }
    t.add(
        "2.5",
        "Send ping with binary payload of 126 octets: the connection is failed (1002)",
        script(vec![ping(&[0xfe; 126]).step(), Step::KillAfter(1000)], vec![], peer_fails(PROTOCOL_ERROR)),
    );
    t.add(
        "2.6",
        "Send ping with binary payload of 125 octets, in octet-wise chops",
        script(vec![ping(&fe125).chop(1).step(), Step::CloseAfter(2000)], vec![pong(&fe125)], clean_close()),
    );
    for (id, p) in [("2.7", &b""[..]), ("2.8", b"unsolicited pong payload")] {
        t.add(
            id,
            "Send unsolicited pong, then close: nothing is received",
            script(
                vec![frame(10, p).step(), close_frame(Some(NORMAL), b""), Step::CloseAfter(1000)],
                vec![],
                clean_close(),
            ),
        );
    }
    t.add(
        "2.9",
        "Send unsolicited pong with payload, then ping with payload: only the ping is answered",
        script(
            vec![
                frame(10, &b"unsolicited pong payload"[..]).step(),
                ping(b"ping payload").step(),
                Step::CloseAfter(1000),
            ],
            vec![pong(b"ping payload")],
            clean_close(),
        ),
    );
    for (id, chop) in [("2.10", None), ("2.11", Some(1))] {
        let mut steps = Vec::new();
        let mut ok = Vec::new();
        for i in 0..10 {
            let p = format!("payload-{i}").into_bytes();
            let mut f = ping(&p);
            f.chop = chop;
            steps.push(f.step());
            ok.push(pong(&p));
        }
        steps.push(Step::CloseAfter(3000));
        let desc = if chop.is_some() {
            "Send 10 pings with payload, in octet-wise chops"
        } else {
            "Send 10 pings with payload"
        };
        t.add(id, desc, script(steps, ok, clean_close()));
    }
}

fn section3(t: &mut Table) {
    let hello = || frame(1, &b"Hello, world!"[..]);
    let echo = || vec![msg(&b"Hello, world!"[..], false)];
    t.add(
        "3.1",
        "Send small text message with RSV = 1: the connection is failed",
        script(vec![hello().rsv(1).step(), Step::KillAfter(1000)], vec![], peer_fails(PROTOCOL_ERROR)),
    );
    // 3.2 plain, 3.3 frame-wise (sync) writes, 3.4 octet-wise chops
    for (id, rsv, mode) in [("3.2", 2u8, 0), ("3.3", 3, 1), ("3.4", 4, 2)] {
        let style = |f: FrameSpec| match mode {
            1 => f.sync(true),
            2 => f.chop(1),
            _ => f,
        };
        t.add(
            id,
            format!("Send small text message, then again with RSV = {rsv}, then ping: the echo arrives, then the connection is failed"),
            script(
                vec![style(hello()).step(), style(hello().rsv(rsv)).step(), style(frame(9, vec![])).step(), Step::KillAfter(1000)],
                echo(),
                peer_fails(PROTOCOL_ERROR),
            )
            .or_non_strict(vec![]),
        );
    }
    t.add(
        "3.5",
        "Send small binary message with RSV = 5: the connection is failed",
        script(
            vec![frame(2, &b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"[..]).rsv(5).step(), Step::KillAfter(1000)],
            vec![],
            peer_fails(PROTOCOL_ERROR),
        ),
    );
    t.add(
        "3.6",
        "Send ping with RSV = 6: the connection is failed",
        // the suite sends opcode 2 here despite the description; kept as sent
        script(
            vec![frame(2, &b"Hello, world!"[..]).rsv(6).step(), Step::KillAfter(1000)],
            vec![],
            peer_fails(PROTOCOL_ERROR),
        ),
    );
    t.add(
        "3.7",
        "Send close with RSV = 7: the connection is failed",
        script(vec![frame(8, vec![]).rsv(7).step(), Step::KillAfter(1000)], vec![], peer_fails(PROTOCOL_ERROR)),
    );
}

fn section4(t: &mut Table) {
    // 4.1.x reserved non-control opcodes 3..7, 4.2.x reserved control opcodes 11..15
    for (sub, base) in [(1, 3u8), (2, 11)] {
        let kind = if sub == 1 { "non-control" } else { "control" };
        t.add(
            format!("4.{sub}.1"),
            format!("Send frame with reserved {kind} opcode {base}: the connection is failed"),
            script(vec![frame(base, vec![]).step(), Step::KillAfter(1000)], vec![], peer_fails(PROTOCOL_ERROR)),
        );
        t.add(
            format!("4.{sub}.2"),
            format!("Send frame with reserved {kind} opcode {} and payload: the connection is failed", base + 1),
            script(
                vec![frame(base + 1, &b"reserved opcode payload"[..]).step(), Step::KillAfter(1000)],
                vec![],
                peer_fails(PROTOCOL_ERROR),
            ),
        );
        for (i, op) in [(3, base + 2), (4, base + 3), (5, base + 4)] {
            let chop = i == 5;
            let style = |f: FrameSpec| if chop { f.chop(1) } else { f };
            let reserved = if i == 3 { frame(op, vec![]) } else { frame(op, &b"Hello, world!"[..]) };
            t.add(
                format!("4.{sub}.{i}"),
                format!("Send text message, then frame with reserved {kind} opcode {op}, then ping: echo, then the connection is failed"),
                script(
                    vec![
                        style(frame(1, &b"Hello, world!"[..])).step(),
                        style(reserved).step(),
                        style(frame(9, vec![])).step(),
                        Step::KillAfter(1000),
                    ],
                    vec![msg(&b"Hello, world!"[..], false)],
                    peer_fails(PROTOCOL_ERROR),
                )
                .or_non_strict(vec![]),
            );
        }
    }
}

fn section5(t: &mut Table) {
    let fail = || peer_fails(PROTOCOL_ERROR);
    let kill = Step::KillAfter(1000);
    for (id, op) in [("5.1", 9u8), ("5.2", 10)] {
        t.add(
            id,
            format!(
                "Send {} fragmented into 2 fragments: the connection is failed",
                if op == 9 { "ping" } else { "pong" }
            ),
            script(
                vec![frame(op, &b"fragment1"[..]).fin(false).step(), frame(0, &b"fragment2"[..]).step(), kill.clone()],
                vec![],
                fail(),
            ),
        );
    }
    // 5.3..5.5: text in 2 fragments; plain, frame-wise, octet-wise
    // 5.6..5.8: same with a ping in between
    for (n, with_ping) in [(3, false), (6, true)] {
        for (k, mode) in ["", ", frame-wise writes", ", octet-wise chops"].into_iter().enumerate() {
            let style = |f: FrameSpec| match k {
                1 => f.sync(true),
                2 => f.chop(1),
                _ => f,
            };
            let mut steps = vec![style(frame(1, &b"fragment1"[..]).fin(false)).step()];
            let mut ok = vec![];
            if with_ping {
                steps.push(style(frame(9, &b"ping payload"[..])).step());
                ok.push(Event::Pong(b"ping payload".to_vec()));
            }
            steps.push(style(frame(0, &b"fragment2"[..])).step());
            steps.push(Step::CloseAfter(1000));
            ok.push(msg(&b"fragment1fragment2"[..], false));
            let ping_note = if with_ping { " with a ping in between" } else { "" };
            t.add(
                format!("5.{}", n + k),
                format!("Send text message in 2 fragments{ping_note}{mode}"),
                script(steps, ok, clean_close()),
            );
        }
    }
    // 5.9..5.14: continuation with nothing to continue (FIN true / false), one chop, frame-wise, octet-wise
    for (n, fin) in [(9, true), (12, false)] {
        for (k, mode) in ["one chop", "frame-wise writes", "octet-wise chops"].into_iter().enumerate() {
            let style = |f: FrameSpec| match k {
                1 => f.sync(true),
                2 => f.chop(1),
                _ => f,
            };
            t.add(
                format!("5.{}", n + k),
                format!("Send continuation (FIN = {fin}) with nothing to continue, then text message, {mode}: the connection is failed"),
                script(
                    vec![
                        style(frame(0, &b"non-continuation payload"[..]).fin(fin)).step(),
                        style(frame(1, &b"Hello, world!"[..])).step(),
                        kill.clone(),
                    ],
                    vec![],
                    fail(),
                ),
            );
        }
    }
    t.add(
        "5.15",
        "Send text in 2 fragments, then continuation (FIN = false) with nothing to continue, then text: echo, then the connection is failed",
        script(
            vec![
                frame(1, &b"fragment1"[..]).fin(false).step(),
                frame(0, &b"fragment2"[..]).step(),
                frame(0, &b"fragment3"[..]).fin(false).step(),
                frame(1, &b"fragment4"[..]).step(),
                kill.clone(),
            ],
            vec![msg(&b"fragment1fragment2"[..], false)],
            fail(),
        )
        .or_non_strict(vec![]),
    );
    for (id, fin) in [("5.16", false), ("5.17", true)] {
        let mut steps = Vec::new();
        for _ in 0..2 {
            steps.push(frame(0, &b"fragment1"[..]).fin(fin).step());
            steps.push(frame(1, &b"fragment2"[..]).fin(false).step());
            steps.push(frame(0, &b"fragment3"[..]).step());
        }
        steps.push(kill.clone());
        t.add(
            id,
            format!("Repeated 2x: continuation (FIN = {fin}) with nothing to continue, then text in 2 fragments: the connection is failed"),
            script(steps, vec![], fail()),
        );
    }
    t.add(
        "5.18",
        "Send text in 2 fragments, both with opcode text: the connection is failed",
        script(
            vec![frame(1, &b"fragment1"[..]).fin(false).step(), frame(1, &b"fragment2"[..]).step(), kill],
            vec![],
            fail(),
        ),
    );
    for (id, sync) in [("5.19", false), ("5.20", true)] {
        let f = |op: u8, p: &[u8], fin: bool| frame(op, p.to_vec()).fin(fin).sync(sync).step();
        let steps = vec![
            f(1, b"fragment1", false),
            f(0, b"fragment2", false),
            f(9, b"pongme 1!", true),
            Step::Wait { ms: 1000, tag: None },
            f(0, b"fragment3", false),
            f(0, b"fragment4", false),
            f(9, b"pongme 2!", true),
            f(0, b"fragment5", true),
            Step::CloseAfter(1000),
        ];
        let ok = vec![
            Event::Pong(b"pongme 1!".to_vec()),
            Event::Pong(b"pongme 2!".to_vec()),
            msg(&b"fragment1fragment2fragment3fragment4fragment5"[..], false),
        ];
        let desc = format!(
            "Text in 5 fragments with 2 pings in between and a 1 s pause{}: pongs arrive before the message completes",
            if sync { ", frame-wise writes" } else { "" }
        );
        t.add(id, desc, script(steps, ok, clean_close()));
    }
}

const KOSME: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";

fn section6(t: &mut Table) {
    let text_close = |steps: Vec<Step>, p: &[u8]| script(steps, vec![msg(p, false)], clean_close());
    t.add(
        "6.1.1",
        "Send text message of length 0",
        text_close(vec![frame(1, vec![]).step(), Step::CloseAfter(1000)], b""),
    );
    t.add(
        "6.1.2",
        "Send text message in 3 fragments, each of length 0",
        text_close(
            vec![
                frame(1, vec![]).fin(false).step(),
                frame(0, vec![]).fin(false).step(),
                frame(0, vec![]).step(),
                Step::CloseAfter(1000),
            ],
            b"",
        ),
    );
    t.add(
        "6.1.3",
        "Send text message in 3 fragments, first and last of length 0",
        text_close(
            vec![
                frame(1, vec![]).fin(false).step(),
                frame(0, &b"middle frame payload"[..]).fin(false).step(),
                frame(0, vec![]).step(),
                Step::CloseAfter(1000),
            ],
            b"middle frame payload",
        ),
    );
    let hello = "Hello-µ@ßöäüàá-UTF-8!!".as_bytes();
    let (h1, h2) = hello.split_at("Hello-µ@ßöä".len());
    t.add(
        "6.2.1",
        "Send valid UTF-8 text message in one fragment",
        text_close(vec![frame(1, hello).step(), Step::CloseAfter(1000)], hello),
    );
    t.add(
        "6.2.2",
        "Send valid UTF-8 text message in two fragments, split on a code point boundary",
        text_close(vec![frame(1, h1).fin(false).step(), frame(0, h2).step(), Step::CloseAfter(1000)], hello),
    );
    for (id, p) in [("6.2.3", hello), ("6.2.4", KOSME)] {
        let mut steps = fragmented(1, p, 1);
        steps.push(Step::CloseAfter(1000));
        t.add(id, "Send valid UTF-8 text message in fragments of 1 octet", text_close(steps, p));
    }
    let bad: Vec<u8> = [KOSME, b"\xed\xa0\x80", b"edited"].concat();
    t.add(
        "6.3.1",
        "Send invalid UTF-8 text message unfragmented: the connection is failed (1007)",
        script(vec![frame(1, bad.clone()).step(), Step::KillAfter(1000)], vec![], utf8_fail()),
    );
    let mut steps = fragmented(1, &bad, 1);
    steps.push(Step::KillAfter(1000));
    t.add(
        "6.3.2",
        "Send invalid UTF-8 text message in fragments of 1 octet: the connection is failed (1007)",
        script(steps, vec![], utf8_fail()),
    );
    // 6.4.x fail fast: part 1 valid, wait, part 2 makes it invalid, wait, part 3
    let p4: Vec<u8> = [KOSME, b"\xf4\x90\x80\x80", b"edited"].concat();
    let splits: [(&[u8], &[u8], &[u8]); 2] =
        [(KOSME, b"\xf4\x90\x80\x80", b"edited"), (&p4[..12], &p4[12..13], &p4[13..])];
    let ok = vec![Event::Timeout("A")];
    let non_strict = vec![Event::Timeout("A"), Event::Timeout("B")];
    for (i, (a, b, c)) in splits.iter().enumerate() {
        let wait = |tag| Step::Wait { ms: 1000, tag: Some(tag) };
        let frames = vec![
            frame(1, *a).fin(false).step(),
            wait("A"),
            frame(0, *b).fin(false).step(),
            wait("B"),
            frame(0, *c).step(),
            Step::KillAfter(1000),
        ];
        let chops = vec![
            Step::BeginFrame { opcode: 1, fin: true, len: p4.len() },
            Step::Data(a.to_vec()),
            wait("A"),
            Step::Data(b.to_vec()),
            wait("B"),
            Step::Data(c.to_vec()),
            Step::KillAfter(1000),
        ];
        let what = if i == 0 { "a code point out of range" } else { "the octet that makes it invalid" };
        for (j, (steps, how)) in [(frames, "3 frames"), (chops, "3 chops of one frame")].into_iter().enumerate() {
            t.add(
                format!("6.4.{}", 1 + i + 2 * j),
                format!("Invalid UTF-8 text in {how}, part 2 holding {what}: fail fast on the invalid part"),
                script(steps, ok.clone(), utf8_fail()).or_non_strict(non_strict.clone()),
            );
        }
    }
    for (g, (name, vectors)) in utf8_groups().into_iter().enumerate() {
        for (k, (valid, p)) in vectors.into_iter().enumerate() {
            let s = if valid {
                script(
                    vec![frame(1, p.clone()).step(), Step::KillAfter(500)],
                    vec![msg(p.clone(), false)],
                    clean_close(),
                )
            } else {
                script(vec![frame(1, p.clone()).step(), Step::KillAfter(500)], vec![], utf8_fail())
            };
            let v = if valid { "valid" } else { "invalid" };
            t.add(format!("6.{}.{}", g + 5, k + 1), format!("{name}: {v} UTF-8 text 0x{}", hex(&p)), s);
        }
    }
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Sort key of a case id ("6.10.2" after "6.9.1").
pub(crate) fn id_key(id: &str) -> Vec<u32> {
    id.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

fn section7(t: &mut Table) {
    let wc = Post::WrongCodeFails;
    let close = |code: u16| close_frame(Some(code), b"");
    let kill = Step::KillAfter(1000);
    let hw = &b"Hello World!"[..];
    t.add(
        "7.1.1",
        "Send a message followed by a close frame",
        script(vec![frame(1, hw).step(), kill.clone()], vec![msg(hw, false)], clean_close()).post(wc),
    );
    t.add(
        "7.1.2",
        "Send two close frames: the second is ignored",
        script(vec![close(NORMAL), frame(8, vec![]).step(), kill.clone()], vec![], clean_close()).suppressed().post(wc),
    );
    t.add(
        "7.1.3",
        "Send a ping after the close frame: no pong",
        script(vec![close(NORMAL), frame(9, vec![]).step(), kill.clone()], vec![], clean_close()).suppressed().post(wc),
    );
    t.add(
        "7.1.4",
        "Send text message after the close frame: ignored",
        script(vec![close(NORMAL), frame(1, hw).step(), kill.clone()], vec![], clean_close()).suppressed().post(wc),
    );
    t.add(
        "7.1.5",
        "Send fragment 1, then close, then fragment 2",
        script(
            vec![
                frame(1, &b"fragment1"[..]).fin(false).step(),
                close(NORMAL),
                frame(0, &b"fragment2"[..]).step(),
                kill.clone(),
            ],
            vec![],
            clean_close(),
        )
        .suppressed()
        .post(wc),
    );
    t.add(
        "7.1.6",
        "Send 256 KiB message, a short message, close, then ping (outcome depends on close processing order)",
        script(
            vec![
                frame(1, repeat_to(b"BAsd7&jh23", 256 << 10)).step(),
                frame(1, hw).step(),
                close(NORMAL),
                frame(9, vec![]).step(),
                kill.clone(),
            ],
            vec![msg(hw, false)],
            clean_close(),
        )
        .or_non_strict(vec![])
        .suppressed()
        .post(Post::Informational),
    );
    let pe = CloseExpect { require_clean: false, ..peer_fails(PROTOCOL_ERROR) };
    let pe_by_me = CloseExpect { closed_by_me: true, ..pe.clone() };
    let cases: [(&str, &str, Step, CloseExpect); 6] = [
        ("7.3.1", "Send close with payload length 0", close_frame(None, b""), clean_close()),
        (
            "7.3.2",
            "Send close with payload length 1: protocol error or drop",
            Step::Close(b"a".to_vec()),
            pe_by_me.clone(),
        ),
        ("7.3.3", "Send close with payload length 2 (close code only)", close(NORMAL), clean_close()),
        ("7.3.4", "Send close with close code and reason", close_frame(Some(NORMAL), hw), clean_close()),
        (
            "7.3.5",
            "Send close with close code and reason of maximum length (123)",
            close_frame(Some(NORMAL), &[b'*'; 123]),
            clean_close(),
        ),
        (
            "7.3.6",
            "Send close with close code and 124-octet reason (126-octet payload): protocol error or drop",
            close_frame(Some(NORMAL), &[b'*'; 124]),
            pe_by_me.clone(),
        ),
    ];
    for (id, desc, step, ce) in cases {
        t.add(id, desc, script(vec![step, kill.clone()], vec![], ce).suppressed().post(wc));
    }
    let bad_reason = [KOSME, b"\xed\xa0\x80edited"].concat();
    t.add(
        "7.5.1",
        "Send close with invalid UTF-8 reason: protocol error, invalid payload or drop",
        script(
            vec![close_frame(Some(NORMAL), &bad_reason), kill.clone()],
            vec![],
            CloseExpect { codes: vec![PROTOCOL_ERROR, INVALID_PAYLOAD], ..pe_by_me.clone() },
        )
        .suppressed()
        .post(wc),
    );
    for (i, code) in
        [1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999].into_iter().enumerate()
    {
        t.add(
            format!("7.7.{}", i + 1),
            format!("Send close with valid close code {code}: clean close with normal or echoed code"),
            script(vec![close(code), kill.clone()], vec![], CloseExpect { codes: vec![NORMAL, code], ..clean_close() })
                .post(wc),
        );
    }
    for (i, code) in [0u16, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999].into_iter().enumerate() {
        t.add(
            format!("7.9.{}", i + 1),
            format!("Send close with invalid close code {code}: protocol error or drop"),
            script(vec![close(code), kill.clone()], vec![], pe_by_me.clone()).post(wc),
        );
    }
    for (i, code) in [5000u16, 65535].into_iter().enumerate() {
        t.add(
            format!("7.13.{}", i + 1),
            format!("Send close with close code {code} (behaviour undefined by the spec)"),
            script(
                vec![close(code), kill.clone()],
                vec![],
                CloseExpect {
                    closed_by_me: true,
                    codes: vec![NORMAL, code, PROTOCOL_ERROR],
                    require_clean: false,
                    wrong_endpoint_fatal: false,
                },
            )
            .suppressed()
            .post(Post::Informational),
        );
    }
}

fn section9(t: &mut Table, scale: Scale) {
    let wait = |s: u64| (s * 1000).min(scale.max_wait_ms);
    let div = scale.size_div.max(1);
    let note = |what: String| (div > 1).then_some(what);
    let text_pat: &[u8] = b"BAsd7&jh23";
    let bin_pat: &[u8] = b"\x00\xfe\x23\xfa\xf0";
    // 9.1 text / 9.2 binary of increasing size
    let sizes = [64usize << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20];
    let waits = [[10u64, 10, 100, 100, 100, 100], [10, 10, 10, 10, 100, 100]];
    for (sub, (op, pat, binary)) in [(1u8, text_pat, false), (2, bin_pat, true)].into_iter().enumerate() {
        for (i, &size) in sizes.iter().enumerate() {
            let len = size / div;
            let p = repeat_to(pat, len);
            let mut s = script(
                vec![frame(op, p.clone()).step(), Step::CloseAfter(wait(waits[sub][i]))],
                vec![msg(p, binary)],
                clean_close(),
            );
            s.close_on_message = true;
            t.0.push(Case {
                id: format!("9.{}.{}", sub + 1, i + 1),
                desc: format!("Send {} message of {} octets", if binary { "binary" } else { "text" }, len),
                script: Script::Frames(s),
                scaled: note(format!("{size} octets in the suite")),
            });
        }
    }
    // 9.3 text / 9.4 binary: 4 MiB in fragments of increasing size
    let frags = [64usize, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20];
    for (sub, (op, fill, binary)) in [(1u8, b'*', false), (2, 0xfe, true)].into_iter().enumerate() {
        for (i, &frag) in frags.iter().enumerate() {
            let (len, fsize) = ((4usize << 20) / div, (frag / div).max(1));
            let p = vec![fill; len];
            let mut steps = fragmented(op, &p, fsize);
            steps.push(Step::CloseAfter(wait(100)));
            let mut s = script(steps, vec![msg(p, binary)], clean_close());
            s.close_on_message = true;
            t.0.push(Case {
                id: format!("9.{}.{}", sub + 3, i + 1),
                desc: format!(
                    "Send fragmented {} message of {len} octets in fragments of {fsize}",
                    if binary { "binary" } else { "text" }
                ),
                script: Script::Frames(s),
                scaled: note(format!("4194304 octets in fragments of {frag} in the suite")),
            });
        }
    }
    // 9.5 text / 9.6 binary: 1 MiB in TCP chops of increasing size
    for (sub, (op, pat, binary)) in [(1u8, text_pat, false), (2, bin_pat, true)].into_iter().enumerate() {
        for (i, chop) in [64usize, 128, 256, 512, 1024, 2048].into_iter().enumerate() {
            let len = (1usize << 20) / div;
            let p = repeat_to(pat, len);
            let mut s = script(
                vec![frame(op, p.clone()).chop(chop).step(), Step::CloseAfter(wait(1000))],
                vec![msg(p, binary)],
                clean_close(),
            );
            s.close_on_message = true;
            t.0.push(Case {
                id: format!("9.{}.{}", sub + 5, i + 1),
                desc: format!(
                    "Send {} message of {len} octets in chops of {chop}",
                    if binary { "binary" } else { "text" }
                ),
                script: Script::Frames(s),
                scaled: note("1048576 octets in the suite".to_owned()),
            });
        }
    }
    // 9.7 text / 9.8 binary: round trips
    let rtt = [(0usize, 60u64), (16, 60), (64, 60), (256, 120), (1024, 240), (4096, 480)];
    for (sub, binary) in [(7, false), (8, true)] {
        for (i, (len, w)) in rtt.into_iter().enumerate() {
            let count = 1000 / scale.count_div.max(1);
            t.0.push(Case {
                id: format!("9.{sub}.{}", i + 1),
                desc: format!(
                    "Send {count} {} messages of {len} octets, one after the other",
                    if binary { "binary" } else { "text" }
                ),
                script: Script::RoundTrip { len, count, binary, wait_ms: wait(w) },
                scaled: (count != 1000).then(|| "1000 messages in the suite".to_owned()),
            });
        }
    }
}

fn section10(t: &mut Table) {
    // the suite's fuzzer auto-fragments its own message into 1300-octet frames
    let p = vec![b'*'; 65536];
    let mut steps = fragmented(1, &p, 1300);
    steps.push(Step::KillAfter(10_000));
    t.add(
        "10.1.1",
        "Send text message of 65536 octets auto-fragmented into 1300-octet frames",
        script(steps, vec![msg(p, false)], clean_close()),
    );
}
