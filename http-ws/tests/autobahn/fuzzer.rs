//! The fuzzing engine: runs one case's script over an open connection, records
//! what the peer sends, follows the RFC 6455 section 7 closing handshake with
//! the suite's time-outs, and grades the case the way the suite does.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::time::sleep_until;

use super::cases::{Case, CloseExpect, DeflateScript, Event, FrameScript, FrameSpec, Grade, Post, Script, Step};
use super::deflate::Codec;
use super::wire::{self, Header, Incoming, RawFrame};

/// Which end of the connection the fuzzer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Fuzzing client testing a server: masks its frames.
    Client,
    /// Fuzzing server testing a client: sends unmasked frames.
    Server,
}

/// The suite's close-behaviour grades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloseGrade {
    Ok,
    WrongCode,
    Unclean,
    FailedByClient,
    Failed,
    Informational,
}

/// A graded case.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    pub(crate) id: String,
    /// Grade from the events received.
    pub(crate) behavior: Grade,
    pub(crate) close: CloseGrade,
    /// Overall grade: `behavior`, made FAILED by a failed or unclean close and
    /// NON-STRICT by a wrong close code or a client-side TCP drop.
    pub(crate) grade: Grade,
    pub(crate) remote_code: Option<u16>,
    pub(crate) note: String,
    pub(crate) millis: u128,
}

/// The suite's close handshake and server TCP drop time-outs.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    Closing,
    Closed,
}

/// Message being reassembled: binary?, payload, compressed?
type Partial = (bool, Vec<u8>, bool);

pub(crate) struct Conn {
    role: Role,
    wr: Option<OwnedWriteHalf>,
    rx: mpsc::UnboundedReceiver<Incoming>,
    wbuf: Vec<u8>,
    state: State,
    closed_by_me: bool,
    dropped_by_me: bool,
    was_clean: bool,
    remote_code: Option<u16>,
    received: Vec<Event>,
    partial: Option<Partial>,
    codec: Option<Codec>,
    close_deadline: Option<Instant>,
    drop_deadline: Option<(Instant, bool)>,
    /// Mask and offset of a frame sent in `Data` pieces.
    open_frame: Option<(Option<[u8; 4]>, usize)>,
    rng: u64,
    /// Octets of an incomplete incoming frame (diagnostics).
    pending: Arc<AtomicUsize>,
    notes: Vec<String>,
}

impl Conn {
    /// Wraps an upgraded stream; `early` holds bytes read past the handshake.
    pub(crate) fn new(stream: TcpStream, early: Vec<u8>, role: Role, codec: Option<Codec>, seed: u64) -> Conn {
        let _ = stream.set_nodelay(true);
        let (rd, wr) = stream.into_split();
        let (tx, rx) = mpsc::unbounded_channel();
        let pending = Arc::new(AtomicUsize::new(0));
        tokio::spawn(wire::read_frames(rd, early, tx, pending.clone()));
        Conn {
            role,
            wr: Some(wr),
            rx,
            wbuf: Vec::new(),
            state: State::Open,
            closed_by_me: false,
            dropped_by_me: false,
            was_clean: false,
            remote_code: None,
            received: Vec::new(),
            partial: None,
            codec,
            close_deadline: None,
            drop_deadline: None,
            open_frame: None,
            rng: seed | 1,
            pending,
            notes: Vec::new(),
        }
    }

    fn mask(&mut self) -> Option<[u8; 4]> {
        (self.role == Role::Client).then(|| {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            (self.rng as u32).to_be_bytes()
        })
    }

    fn encode(&mut self, opcode: u8, fin: bool, rsv: u8, payload: &[u8], out: &mut Vec<u8>) {
        let mask = self.mask();
        wire::encode_header(&Header { fin, rsv, opcode, mask, len: payload.len() as u64 }, out);
        let start = out.len();
        out.extend_from_slice(payload);
        if let Some(k) = mask {
            wire::apply_mask(&mut out[start..], k, 0);
        }
    }

    async fn write_now(&mut self, bytes: &[u8]) {
        if let Some(wr) = self.wr.as_mut()
            && wr.write_all(bytes).await.is_err()
        {
            // the peer is gone; the reader reports the loss
            self.wr = None;
        }
    }

    pub(crate) async fn flush(&mut self) {
        if !self.wbuf.is_empty() {
            let buf = std::mem::take(&mut self.wbuf);
            self.write_now(&buf).await;
        }
    }

    /// Sends a frame as the case describes it (any opcode, RSV, FIN).
    async fn send_frame(&mut self, f: &FrameSpec) {
        if f.chop.is_none() && !f.sync {
            let mut buf = std::mem::take(&mut self.wbuf);
            self.encode(f.opcode, f.fin, f.rsv, &f.payload, &mut buf);
            self.wbuf = buf;
            return;
        }
        self.flush().await;
        let mut bytes = Vec::new();
        self.encode(f.opcode, f.fin, f.rsv, &f.payload, &mut bytes);
        let chop = f.chop.unwrap_or(bytes.len()).max(1);
        for piece in bytes.chunks(chop) {
            self.write_now(piece).await;
            tokio::task::yield_now().await;
        }
    }

    fn begin_frame(&mut self, opcode: u8, fin: bool, len: usize) {
        let mask = self.mask();
        let mut buf = std::mem::take(&mut self.wbuf);
        wire::encode_header(&Header { fin, rsv: 0, opcode, mask, len: len as u64 }, &mut buf);
        self.wbuf = buf;
        self.open_frame = Some((mask, 0));
    }

    fn frame_data(&mut self, data: &[u8]) {
        let (mask, off) = self.open_frame.unwrap_or((None, 0));
        let start = self.wbuf.len();
        self.wbuf.extend_from_slice(data);
        if let Some(k) = mask {
            wire::apply_mask(&mut self.wbuf[start..], k, off);
        }
        self.open_frame = Some((mask, off + data.len()));
    }

    /// A whole message, compressed when permessage-deflate is on, split into
    /// frames of `frag` octets when `frag` > 0.
    async fn send_message(&mut self, payload: &[u8], binary: bool, frag: usize) {
        let opcode = if binary { 2 } else { 1 };
        let (data, rsv) = match self.codec.as_mut() {
            Some(c) => (c.compress(payload), 4),
            None => (payload.to_vec(), 0),
        };
        let pieces = super::cases::fragment_ranges(data.len(), frag);
        let last = pieces.len() - 1;
        let mut buf = std::mem::take(&mut self.wbuf);
        for (i, &(a, b)) in pieces.iter().enumerate() {
            let (op, r) = if i == 0 { (opcode, rsv) } else { (0, 0) };
            self.encode(op, i == last, r, &data[a..b], &mut buf);
        }
        self.wbuf = buf;
        self.flush().await;
    }

    /// The suite's `sendCloseFrame`: only from the open state.
    async fn send_close(&mut self, payload: &[u8], reply: bool) {
        if self.state != State::Open {
            return;
        }
        let mut buf = std::mem::take(&mut self.wbuf);
        self.encode(8, true, 0, payload, &mut buf);
        self.wbuf = buf;
        self.flush().await;
        self.state = State::Closing;
        self.closed_by_me = !reply;
        if !reply {
            self.close_deadline = Some(Instant::now() + CLOSE_TIMEOUT);
        }
    }

    async fn send_close_code(&mut self, code: u16, reason: &str) {
        let p = [&code.to_be_bytes()[..], reason.as_bytes()].concat();
        self.send_close(&p, false).await;
    }

    /// Closes the TCP connection from this side.
    async fn drop_tcp(&mut self) {
        if self.state == State::Closed {
            return;
        }
        self.flush().await;
        self.dropped_by_me = true;
        self.state = State::Closed;
        if let Some(mut wr) = self.wr.take() {
            let _ = wr.shutdown().await;
        }
    }

    /// The suite's `failConnection` (it fails by closing handshake, not by drop).
    async fn fail(&mut self, code: u16, why: &str) {
        match self.state {
            State::Open => self.send_close_code(code, why).await,
            State::Closing => self.drop_tcp().await,
            State::Closed => {}
        }
    }

    async fn violation(&mut self, code: u16, why: String) {
        self.notes.push(format!("peer: {why}"));
        self.fail(code, "fuzzer saw a protocol violation").await;
    }

    /// Processes one incoming frame; returns the event it completes, if any.
    async fn on_frame(&mut self, f: RawFrame) -> Option<Event> {
        if self.state == State::Closed {
            return None;
        }
        let must_mask = self.role == Role::Server;
        if f.masked != must_mask {
            let what = if must_mask { "unmasked frame from a client" } else { "masked frame from a server" };
            self.violation(1002, what.into()).await;
            return None;
        }
        let compressed_start = f.rsv == 4 && self.codec.is_some() && (f.opcode == 1 || f.opcode == 2);
        if f.rsv != 0 && !compressed_start {
            self.violation(1002, format!("RSV bits {} on opcode {}", f.rsv, f.opcode)).await;
            return None;
        }
        match f.opcode {
            0..=2 => {
                let complete = match (f.opcode, self.partial.take()) {
                    (0, Some((b, mut p, c))) => {
                        p.extend_from_slice(&f.payload);
                        (b, p, c)
                    }
                    (0, None) => {
                        self.violation(1002, "continuation with nothing to continue".into()).await;
                        return None;
                    }
                    (_, Some(_)) => {
                        self.violation(1002, "new data frame inside a fragmented message".into()).await;
                        return None;
                    }
                    (op, None) => (op == 2, f.payload, compressed_start),
                };
                if !f.fin {
                    self.partial = Some(complete);
                    return None;
                }
                let (binary, mut payload, compressed) = complete;
                if compressed {
                    match self.codec.as_mut().map(|c| c.decompress(&payload)) {
                        Some(Ok(p)) => payload = p,
                        Some(Err(e)) => {
                            self.violation(1002, format!("bad compressed message: {e}")).await;
                            return None;
                        }
                        None => return None,
                    }
                }
                if !binary && std::str::from_utf8(&payload).is_err() {
                    self.violation(1007, "invalid UTF-8 in a text message".into()).await;
                    return None;
                }
                Some(Event::Message { payload, binary })
            }
            8..=10 if f.payload.len() > 125 || !f.fin => {
                self.violation(1002, "control frame too long or fragmented".into()).await;
                None
            }
            8 => {
                self.on_close(&f.payload).await;
                None
            }
            9 => {
                if self.state == State::Open {
                    let mut buf = std::mem::take(&mut self.wbuf);
                    self.encode(10, true, 0, &f.payload, &mut buf);
                    self.wbuf = buf;
                    self.flush().await;
                }
                None
            }
            10 => Some(Event::Pong(f.payload)),
            op => {
                self.violation(1002, format!("reserved opcode {op}")).await;
                None
            }
        }
    }

    /// The suite's `onCloseFrame`.
    async fn on_close(&mut self, p: &[u8]) {
        let code = match p.len() {
            0 => None,
            1 => {
                self.violation(1002, "close payload of 1 octet".into()).await;
                return;
            }
            _ => Some(u16::from_be_bytes([p[0], p[1]])),
        };
        self.remote_code = code;
        if let Some(c) = code {
            let valid = matches!(c, 1000..=1003 | 1007..=1011 | 3000..=4999);
            if !valid {
                self.violation(1002, format!("close code {c}")).await;
            }
        }
        if p.len() > 2 && std::str::from_utf8(&p[2..]).is_err() {
            self.violation(1007, "close reason not UTF-8".into()).await;
            return;
        }
        match self.state {
            State::Closing => {
                self.close_deadline = None;
                self.was_clean = true;
                match self.role {
                    Role::Server => self.drop_tcp().await,
                    // the server should drop the TCP connection now
                    Role::Client => self.drop_deadline = Some((Instant::now() + CLOSE_TIMEOUT, true)),
                }
            }
            State::Open => {
                self.was_clean = true;
                self.send_close(&1000u16.to_be_bytes(), true).await;
                match self.role {
                    Role::Server => self.drop_tcp().await,
                    Role::Client => self.drop_deadline = Some((Instant::now() + CLOSE_TIMEOUT, false)),
                }
            }
            State::Closed => self.was_clean = false,
        }
    }
}

/// What drives a case beyond its scripted steps.
enum Driver<'a> {
    Frames(&'a FrameScript),
    RoundTrip { len: usize, count: usize, binary: bool, sent: usize, behavior: Grade, note: String },
    Deflate { s: &'a DeflateScript, sent: usize, expect: Vec<u8>, behavior: Grade, note: String },
}

impl Driver<'_> {
    fn new(case: &Case) -> Driver<'_> {
        match &case.script {
            Script::Frames(s) => Driver::Frames(s),
            &Script::RoundTrip { len, count, binary, .. } => Driver::RoundTrip {
                len,
                count,
                binary,
                sent: 0,
                behavior: Grade::Failed,
                note: "did not finish in time".into(),
            },
            Script::Deflate(s) => Driver::Deflate {
                s,
                sent: 0,
                expect: Vec::new(),
                behavior: Grade::Failed,
                note: "did not finish in time".into(),
            },
        }
    }

    /// Starts the case; returns the scripted steps to run.
    async fn start(&mut self, conn: &mut Conn, case: &Case) -> Vec<Step> {
        match &case.script {
            Script::Frames(s) => s.steps.clone(),
            Script::RoundTrip { wait_ms, .. } => {
                self.next(conn).await;
                vec![Step::CloseAfter(*wait_ms)]
            }
            Script::Deflate(s) => {
                if conn.codec.is_none() {
                    self.finish(Grade::Unimplemented, "peer declined permessage-deflate".into());
                    conn.send_close_code(1000, "").await;
                    return vec![];
                }
                self.next(conn).await;
                vec![Step::CloseAfter(s.wait_ms)]
            }
        }
    }

    fn finish(&mut self, grade: Grade, why: String) {
        if let Driver::RoundTrip { behavior, note, .. } | Driver::Deflate { behavior, note, .. } = self {
            *behavior = grade;
            *note = why;
        }
    }

    async fn next(&mut self, conn: &mut Conn) {
        match self {
            Driver::RoundTrip { len, binary, sent, .. } => {
                let p = vec![if *binary { 0xfe } else { b'*' }; *len];
                *sent += 1;
                conn.send_message(&p, *binary, 0).await;
            }
            Driver::Deflate { s, sent, expect, .. } => {
                *expect = s.data.source().message(*sent, s.len);
                *sent += 1;
                let e = expect.clone();
                conn.send_message(&e, s.data.binary(), s.auto_frag).await;
            }
            Driver::Frames(_) => {}
        }
    }

    async fn on_event(&mut self, conn: &mut Conn, ev: Event) {
        match self {
            Driver::Frames(s) => {
                let is_msg = matches!(ev, Event::Message { .. });
                conn.received.push(ev);
                let all_match = s.expected.iter().all(|(_, e)| *e == conn.received);
                if (s.close_on_message && is_msg) || (all_match && s.close.closed_by_me && !s.suppress_close) {
                    conn.send_close_code(1000, "").await;
                }
            }
            Driver::RoundTrip { len, count, binary, sent, .. } => {
                let Event::Message { payload, binary: b } = ev else { return };
                let (len, count, binary, sent) = (*len, *count, *binary, *sent);
                if b != binary || payload.len() != len {
                    self.finish(Grade::Failed, format!("echo {sent} differs (binary {b}, length {})", payload.len()));
                    conn.send_close_code(1000, "").await;
                } else if sent < count {
                    self.next(conn).await;
                } else {
                    self.finish(Grade::Ok, format!("{count} round trips"));
                    conn.send_close_code(1000, "").await;
                }
            }
            Driver::Deflate { s, sent, expect, .. } => {
                let Event::Message { payload, binary } = ev else { return };
                let (want_binary, count, sent) = (s.data.binary(), s.count, *sent);
                if binary != want_binary || payload != *expect {
                    self.finish(
                        Grade::Failed,
                        format!("echo {sent} differs (binary {binary}, {} octets)", payload.len()),
                    );
                    conn.send_close_code(1000, "").await;
                } else if sent < count {
                    self.next(conn).await;
                } else {
                    self.finish(Grade::Ok, format!("{count} compressed round trips"));
                    conn.send_close_code(1000, "").await;
                }
            }
        }
    }
}

/// Runs `case` over an open connection and grades it.
pub(crate) async fn run(conn: &mut Conn, case: &Case) -> Outcome {
    let started = Instant::now();
    let mut driver = Driver::new(case);
    let steps = driver.start(conn, case).await;
    let mut steps = steps.into_iter();
    let mut steps_done = false;
    let mut pause: Option<(Instant, Option<&'static str>)> = None;
    let (mut kill_at, mut close_at): (Option<Instant>, Option<Instant>) = (None, None);
    let hard = started + hard_limit(case);
    let mut timed_out = false;
    loop {
        if pause.is_none() && !steps_done {
            loop {
                let Some(step) = steps.next() else {
                    steps_done = true;
                    break;
                };
                let now = Instant::now();
                match step {
                    Step::Wait { ms, tag } => {
                        pause = Some((now + Duration::from_millis(ms), tag));
                        break;
                    }
                    Step::KillAfter(ms) => kill_at = Some(now + Duration::from_millis(ms)),
                    Step::CloseAfter(ms) => close_at = Some(now + Duration::from_millis(ms)),
                    Step::Frame(f) => conn.send_frame(&f).await,
                    Step::BeginFrame { opcode, fin, len } => conn.begin_frame(opcode, fin, len),
                    Step::Data(d) => conn.frame_data(&d),
                    Step::Close(p) => conn.send_close(&p, false).await,
                }
            }
            conn.flush().await;
        }
        if conn.state == State::Closed {
            break;
        }
        let timers =
            [pause.map(|p| p.0), kill_at, close_at, conn.close_deadline, conn.drop_deadline.map(|d| d.0), Some(hard)];
        let next = timers.into_iter().flatten().min().unwrap_or(hard);
        tokio::select! {
            inc = conn.rx.recv() => match inc {
                Some(Incoming::Frame(f)) => {
                    if let Some(ev) = conn.on_frame(f).await {
                        driver.on_event(conn, ev).await;
                    }
                }
                Some(Incoming::Lost) | None => {
                    conn.state = State::Closed;
                }
            },
            _ = sleep_until(next.into()) => {
                let now = Instant::now();
                if now >= hard {
                    timed_out = true;
                    conn.drop_tcp().await;
                    break;
                }
                if let Some((at, tag)) = pause
                    && now >= at
                {
                    pause = None;
                    let go_on = match tag {
                        Some(_) => conn.state == State::Open,
                        None => conn.state != State::Closed,
                    };
                    match (go_on, tag) {
                        (true, Some(t)) => conn.received.push(Event::Timeout(t)),
                        (true, None) => {}
                        (false, _) => steps_done = true,
                    }
                }
                if kill_at.is_some_and(|t| now >= t) {
                    kill_at = None;
                    conn.fail(1001, "Going Away").await;
                }
                if close_at.is_some_and(|t| now >= t) {
                    close_at = None;
                    conn.send_close(&[], false).await;
                }
                if conn.close_deadline.is_some_and(|t| now >= t) {
                    conn.close_deadline = None;
                    conn.was_clean = false;
                    conn.notes.push("peer did not answer the close in time".into());
                    conn.drop_tcp().await;
                }
                if let Some((t, unclean)) = conn.drop_deadline
                    && now >= t
                {
                    conn.drop_deadline = None;
                    if unclean {
                        conn.was_clean = false;
                    }
                    conn.notes.push("server did not drop the TCP connection in time".into());
                    conn.drop_tcp().await;
                }
            }
        }
    }
    let mut out = grade(conn, case, driver, true);
    let pending = conn.pending.load(Ordering::Relaxed);
    if out.grade == Grade::Failed && pending > 0 {
        out.note.push_str(&format!("; {pending} octets of an incomplete frame were left unread"));
    }
    if timed_out {
        out.note.push_str("; case hit its hard time limit");
    }
    out.millis = started.elapsed().as_millis();
    out
}

/// Longest a case may run: its own timers plus slack.
fn hard_limit(case: &Case) -> Duration {
    let ms = match &case.script {
        Script::Frames(s) => s
            .steps
            .iter()
            .map(|st| match st {
                Step::Wait { ms, .. } | Step::KillAfter(ms) | Step::CloseAfter(ms) => *ms,
                _ => 0,
            })
            .sum(),
        Script::RoundTrip { wait_ms, .. } => *wait_ms,
        Script::Deflate(s) => s.wait_ms,
    };
    Duration::from_millis(ms + 5000)
}

fn close_grade(conn: &Conn, exp: &CloseExpect, opened: bool) -> (CloseGrade, &'static str) {
    if !opened {
        (CloseGrade::Failed, "the opening handshake never completed")
    } else if exp.closed_by_me != conn.closed_by_me {
        (CloseGrade::Failed, "the connection was closed by the wrong endpoint")
    } else if exp.require_clean && !conn.was_clean {
        (CloseGrade::Unclean, "the spec requires a clean close here")
    } else if conn.remote_code.is_some_and(|c| !exp.codes.contains(&c)) {
        (CloseGrade::WrongCode, "wrong close code")
    } else if conn.role == Role::Client && conn.dropped_by_me {
        (CloseGrade::FailedByClient, "the fuzzing client had to drop the TCP connection")
    } else {
        (CloseGrade::Ok, "")
    }
}

fn grade(conn: &Conn, case: &Case, driver: Driver<'_>, opened: bool) -> Outcome {
    let clean = CloseExpect { closed_by_me: true, codes: vec![1000], require_clean: true, wrong_endpoint_fatal: false };
    let (mut behavior, mut note, exp, post) = match driver {
        Driver::Frames(s) => {
            let b = s.expected.iter().find(|(_, e)| *e == conn.received).map(|(g, _)| *g);
            let note = match b {
                Some(_) => String::new(),
                None => format!("events differ from every expected list: got {}", describe(&conn.received)),
            };
            (b.unwrap_or(Grade::Failed), note, s.close.clone(), s.post)
        }
        Driver::RoundTrip { behavior, note, sent, count, .. } => {
            let note = if behavior == Grade::Failed { format!("{note} ({sent} of {count} sent)") } else { note };
            (behavior, note, clean, Post::None)
        }
        Driver::Deflate { behavior, note, sent, s, .. } => {
            let note = if behavior == Grade::Failed { format!("{note} ({sent} of {} sent)", s.count) } else { note };
            (behavior, note, clean, Post::None)
        }
    };
    let (mut close, why) = close_grade(conn, &exp, opened);
    if exp.wrong_endpoint_fatal && exp.closed_by_me != conn.closed_by_me {
        behavior = Grade::Failed;
    }
    if post == Post::WrongCodeFails && close == CloseGrade::WrongCode {
        behavior = Grade::Failed;
    }
    if post == Post::Informational {
        behavior = Grade::Informational;
        close = CloseGrade::Informational;
    }
    let mut grade = behavior;
    if matches!(close, CloseGrade::Failed | CloseGrade::Unclean) && behavior != Grade::Unimplemented {
        grade = Grade::Failed;
    } else if matches!(close, CloseGrade::WrongCode | CloseGrade::FailedByClient) && grade == Grade::Ok {
        grade = Grade::NonStrict;
    }
    for n in [why.to_owned()].into_iter().chain(conn.notes.iter().cloned()).filter(|n| !n.is_empty()) {
        if !note.is_empty() {
            note.push_str("; ");
        }
        note.push_str(&n);
    }
    Outcome { id: case.id.clone(), behavior, close, grade, remote_code: conn.remote_code, note, millis: 0 }
}

/// Outcome of a case whose connection never opened.
pub(crate) fn not_opened(case: &Case, why: String) -> Outcome {
    Outcome {
        id: case.id.clone(),
        behavior: Grade::Failed,
        close: CloseGrade::Failed,
        grade: Grade::Failed,
        remote_code: None,
        note: format!("connection not opened: {why}"),
        millis: 0,
    }
}

fn describe(evs: &[Event]) -> String {
    let parts: Vec<String> = evs
        .iter()
        .map(|e| match e {
            Event::Message { payload, binary } => {
                format!("{} message of {} octets", if *binary { "binary" } else { "text" }, payload.len())
            }
            Event::Pong(p) => format!("pong of {} octets", p.len()),
            Event::Timeout(t) => format!("timeout {t}"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}
