//! Autobahn WebSocket test suite conformance runner (RFC 6455, RFC 7692).
//!
//! [`cases`] holds the suite's case catalogue for sections 1 to 13 as a table;
//! [`fuzzer`] is a raw-frame fuzzing peer with its own frame writer and reader
//! ([`wire`]) and permessage-deflate ([`deflate`]). [`run_against_server`] plays
//! the suite's fuzzing client against an echo server, [`run_against_client`]
//! plays the suite's fuzzing server against a client that echoes; both grade
//! every case like the suite and [`Report`] prints the per-section summary.
//!
//! Environment: `AUTOBAHN_CASES` (comma-separated id prefixes, e.g. `6.4,7.`)
//! runs a subset; `AUTOBAHN_FULL=1` runs sections 9, 12 and 13 at the suite's
//! full sizes and counts.

#![allow(dead_code)]

pub(crate) mod cases;
pub(crate) mod deflate;
pub(crate) mod fuzzer;
pub(crate) mod testdata;
pub(crate) mod utf8;
pub(crate) mod wire;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};

use cases::{Case, Grade, Scale, Script};
use fuzzer::{Conn, Outcome, Role};

/// Cases run at once (most of a case's time is spent waiting on timers).
const PARALLEL: usize = 6;

/// The scale the environment asks for.
pub(crate) fn scale_from_env() -> Scale {
    if std::env::var("AUTOBAHN_FULL").is_ok_and(|v| v == "1") { Scale::FULL } else { Scale::QUICK }
}

/// The catalogue, filtered by `AUTOBAHN_CASES`; also returns the number of
/// cases the filter left out.
pub(crate) fn selected_cases(scale: Scale) -> (Vec<Case>, Vec<Case>) {
    let all = cases::all_cases(scale);
    let Ok(filter) = std::env::var("AUTOBAHN_CASES") else { return (all, Vec::new()) };
    let prefixes: Vec<String> = filter.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    all.into_iter().partition(|c| {
        prefixes.iter().any(|p| c.id == *p || c.id.starts_with(&format!("{}.", p.trim_end_matches('.'))))
    })
}

fn offer_header(case: &Case) -> Option<String> {
    match &case.script {
        Script::Deflate(d) => Some(d.offers.iter().map(deflate::offer_string).collect::<Vec<_>>().join(", ")),
        _ => None,
    }
}

fn seed(case: &Case) -> u64 {
    case.id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// The fuzzer's own runtime: the implementation under test runs on the test's
/// runtime, and CPU-bound work there (compression in a debug build) must not
/// starve the fuzzer's timers and reads, nor the other way round.
fn fuzzer_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("autobahn-fuzzer")
        .enable_all()
        .build()
        .expect("fuzzer runtime")
}

/// Permits a case takes: the performance and compression cases (9, 12, 13)
/// run alone, as the suite runs every case; the others run side by side.
fn permits(case: &Case) -> u32 {
    if matches!(case.section(), 9 | 12 | 13) { PARALLEL as u32 } else { 1 }
}

/// Plays the suite's fuzzing client against the echo server at `addr`.
pub(crate) async fn run_against_server(addr: SocketAddr, cases: Vec<Case>) -> Vec<Outcome> {
    let rt = fuzzer_runtime();
    let sem = Arc::new(Semaphore::new(PARALLEL));
    let mut tasks = Vec::new();
    for case in cases {
        let permit = sem.clone().acquire_many_owned(permits(&case)).await.expect("semaphore");
        tasks.push(rt.spawn(async move {
            let _permit = permit;
            one_against_server(addr, &case).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("case task"));
    }
    rt.shutdown_background();
    out
}

async fn one_against_server(addr: SocketAddr, case: &Case) -> Outcome {
    let mut stream = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => return fuzzer::not_opened(case, e.to_string()),
    };
    let offer = offer_header(case);
    let path = format!("/runCase?case={}&agent=fuzzer", case.id);
    let hs = wire::client_handshake(&mut stream, &addr.to_string(), &path, offer.as_deref(), seed(case)).await;
    let (ext, early) = match hs {
        Ok(x) => x,
        Err(e) => return fuzzer::not_opened(case, e),
    };
    let codec = match deflate::client_codec(ext.as_deref()) {
        Ok(c) => c,
        Err(e) => return fuzzer::not_opened(case, format!("bad extension answer: {e}")),
    };
    let mut conn = Conn::new(stream, early, Role::Client, codec, seed(case));
    fuzzer::run(&mut conn, case).await
}

/// A client under test: connects to the URL it is given, echoes every text and
/// binary message, and returns when the connection is closed.
pub(crate) type EchoClient = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

type Waiting = Arc<Mutex<HashMap<usize, (Case, oneshot::Sender<Outcome>)>>>;

/// Plays the suite's fuzzing server: for every case, starts `client` on
/// `ws://ADDR/runCase?case=N&agent=client` and runs the case on the connection
/// it opens.
pub(crate) async fn run_against_client(client: EchoClient, cases: Vec<Case>) -> Vec<Outcome> {
    let rt = fuzzer_runtime();
    let listener = rt.spawn(TcpListener::bind("127.0.0.1:0")).await.expect("bind task").expect("bind fuzzing server");
    let addr = listener.local_addr().expect("local addr");
    let waiting: Waiting = Arc::new(Mutex::new(HashMap::new()));
    let accept = rt.spawn(accept_loop(listener, waiting.clone()));
    let sem = Arc::new(Semaphore::new(PARALLEL));
    let mut tasks = Vec::new();
    for (n, case) in cases.into_iter().enumerate() {
        let permit = sem.clone().acquire_many_owned(permits(&case)).await.expect("semaphore");
        let (tx, rx) = oneshot::channel();
        let limit = Duration::from_secs(30) + case_wait(&case);
        let fallback = case.clone();
        waiting.lock().expect("lock").insert(n + 1, (case, tx));
        let run_client = client(format!("ws://{addr}/runCase?case={}&agent=client", n + 1));
        let waiting = waiting.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let client_task = tokio::spawn(run_client);
            let out = match tokio::time::timeout(limit, rx).await {
                Ok(Ok(o)) => o,
                _ => {
                    waiting.lock().expect("lock").remove(&(n + 1));
                    fuzzer::not_opened(&fallback, "the client never connected".into())
                }
            };
            if tokio::time::timeout(Duration::from_secs(5), client_task).await.is_err() {
                // a client that hangs after the case ended is not graded by the suite
            }
            out
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("case task"));
    }
    accept.abort();
    rt.shutdown_background();
    out
}

fn case_wait(case: &Case) -> Duration {
    Duration::from_millis(match &case.script {
        Script::Deflate(d) => d.wait_ms,
        Script::RoundTrip { wait_ms, .. } => *wait_ms,
        Script::Frames(_) => 5000,
    })
}

async fn accept_loop(listener: TcpListener, waiting: Waiting) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let waiting = waiting.clone();
        tokio::spawn(async move { serve_case(stream, waiting).await });
    }
}

async fn serve_case(mut stream: TcpStream, waiting: Waiting) {
    let Ok((req, early)) = wire::read_upgrade(&mut stream).await else { return };
    let n: Option<usize> =
        req.path.split(['?', '&']).find_map(|kv| kv.strip_prefix("case=")).and_then(|v| v.parse().ok());
    let Some((case, tx)) = n.and_then(|n| waiting.lock().expect("lock").remove(&n)) else { return };
    let accepted = match &case.script {
        Script::Deflate(d) => deflate::server_accept(req.extensions.as_deref(), &d.accept),
        _ => Ok(None),
    };
    let (ext, codec) = match accepted {
        Ok(Some((h, c))) => (Some(h), Some(c)),
        Ok(None) => (None, None),
        Err(e) => {
            let _ = tx.send(fuzzer::not_opened(&case, format!("bad extension offer: {e}")));
            return;
        }
    };
    if let Err(e) = wire::accept_upgrade(&mut stream, &req, ext.as_deref()).await {
        let _ = tx.send(fuzzer::not_opened(&case, e));
        return;
    }
    let mut conn = Conn::new(stream, early, Role::Server, codec, seed(&case));
    let out = fuzzer::run(&mut conn, &case).await;
    let _ = tx.send(out);
}

/// Section titles as the suite names them.
fn section_title(s: u32) -> &'static str {
    match s {
        1 => "Framing",
        2 => "Pings/Pongs",
        3 => "Reserved Bits",
        4 => "Opcodes",
        5 => "Fragmentation",
        6 => "UTF-8 Handling",
        7 => "Close Handling",
        9 => "Limits/Performance",
        10 => "Misc (auto-fragmentation)",
        12 => "Compression (different payloads)",
        13 => "Compression (different parameters)",
        _ => "Misc",
    }
}

/// Outcomes of one run with the summary by section.
pub(crate) struct Report {
    pub(crate) title: String,
    pub(crate) outcomes: Vec<Outcome>,
    pub(crate) left_out: Vec<Case>,
    pub(crate) scaled: usize,
}

impl Report {
    pub(crate) fn new(title: &str, outcomes: Vec<Outcome>, left_out: Vec<Case>, ran: &[Case]) -> Report {
        let scaled = ran.iter().filter(|c| c.scaled.is_some()).count();
        Report { title: title.to_owned(), outcomes, left_out, scaled }
    }

    pub(crate) fn failed(&self) -> Vec<&Outcome> {
        self.outcomes.iter().filter(|o| o.grade == Grade::Failed).collect()
    }

    /// Markdown: the per-section summary, then the non-OK rows.
    pub(crate) fn markdown(&self) -> String {
        #[derive(Default)]
        struct Row {
            cases: usize,
            n: BTreeMap<Grade, usize>,
            left_out: usize,
        }
        let mut rows: BTreeMap<u32, Row> = BTreeMap::new();
        for o in &self.outcomes {
            let r = rows.entry(section_of(&o.id)).or_default();
            r.cases += 1;
            *r.n.entry(o.grade).or_default() += 1;
        }
        for c in &self.left_out {
            rows.entry(c.section()).or_default().left_out += 1;
        }
        let mut md = format!("### {}\n\n", self.title);
        md.push_str("| section | cases | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED | left out |\n");
        md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        let mut total = Row::default();
        for (s, r) in &rows {
            let g = |x: Grade| r.n.get(&x).copied().unwrap_or(0);
            md.push_str(&format!(
                "| {s} {} | {} | {} | {} | {} | {} | {} | {} |\n",
                section_title(*s),
                r.cases,
                g(Grade::Ok),
                g(Grade::NonStrict),
                g(Grade::Informational),
                g(Grade::Unimplemented),
                g(Grade::Failed),
                r.left_out
            ));
            total.cases += r.cases;
            total.left_out += r.left_out;
            for (k, v) in &r.n {
                *total.n.entry(*k).or_default() += v;
            }
        }
        let g = |x: Grade| total.n.get(&x).copied().unwrap_or(0);
        md.push_str(&format!(
            "| **all** | {} | {} | {} | {} | {} | {} | {} |\n",
            total.cases,
            g(Grade::Ok),
            g(Grade::NonStrict),
            g(Grade::Informational),
            g(Grade::Unimplemented),
            g(Grade::Failed),
            total.left_out
        ));
        let odd: Vec<&Outcome> =
            self.outcomes.iter().filter(|o| !matches!(o.grade, Grade::Ok | Grade::Unimplemented)).collect();
        if !odd.is_empty() {
            md.push_str("\n| case | grade | close | code | ms | note |\n|---|---|---|---|---:|---|\n");
            for o in odd {
                md.push_str(&format!(
                    "| {} | {} | {:?} | {} | {} | {} |\n",
                    o.id,
                    o.grade.label(),
                    o.close,
                    o.remote_code.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                    o.millis,
                    o.note.replace('|', "/")
                ));
            }
        }
        md
    }

    /// Prints the report and writes it next to the test binaries.
    pub(crate) fn publish(&self, file: &str) {
        let md = self.markdown();
        println!("{md}");
        println!("({} cases ran at reduced size or count; see `Case::scaled`)", self.scaled);
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(file);
        if std::fs::write(&path, &md).is_ok() {
            println!("report written to {}", path.display());
        }
    }

    /// Fails the test when any case FAILED.
    pub(crate) fn assert_no_failures(&self) {
        let failed = self.failed();
        assert!(
            failed.is_empty(),
            "{} case(s) FAILED: {}",
            failed.len(),
            failed.iter().map(|o| format!("{} ({})", o.id, o.note)).collect::<Vec<_>>().join("; ")
        );
    }
}

fn section_of(id: &str) -> u32 {
    id.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn catalogue_has_every_suite_case() {
    // the suite's case counts per section (9.9.1 is commented out of its list)
    let all = cases::all_cases(Scale::QUICK);
    let mut per: BTreeMap<u32, usize> = BTreeMap::new();
    for c in &all {
        *per.entry(c.section()).or_default() += 1;
    }
    let want = [(1, 16), (2, 11), (3, 7), (4, 10), (5, 20), (6, 145), (7, 37), (9, 54), (10, 1), (12, 90), (13, 126)];
    assert_eq!(per.into_iter().collect::<Vec<_>>(), want.to_vec());
    let mut ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "case ids are unique");
    assert_eq!(all.iter().filter(|c| c.id.starts_with("6.22.")).count(), 34);
}

#[test]
fn catalogue_spot_checks() {
    use cases::{Event, Step};
    let all = cases::all_cases(Scale::QUICK);
    let get = |id: &str| -> cases::FrameScript {
        match &all.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("{id} missing")).script {
            Script::Frames(s) => s.clone(),
            other => panic!("{id}: {other:?}"),
        }
    };
    // 1.1.8: 65536 '*' in one text frame written in 997-octet chops, echo expected
    let s = get("1.1.8");
    let Step::Frame(f) = &s.steps[0] else { panic!("1.1.8 step") };
    assert_eq!((f.opcode, f.payload.len(), f.chop, f.fin), (1, 65536, Some(997), true));
    assert!(s.close.closed_by_me && s.close.require_clean);
    // 2.5: 126-octet ping, the peer must fail with 1002
    let s = get("2.5");
    assert_eq!((s.close.closed_by_me, s.close.codes.clone()), (false, vec![1002]));
    // 3.2: echo then failure is OK, failure without the echo is NON-STRICT
    let s = get("3.2");
    assert_eq!(s.expected.iter().map(|(g, _)| *g).collect::<Vec<_>>(), vec![Grade::Ok, Grade::NonStrict]);
    // 6.4.4: one frame sent in 3 chops: 12 octets, the offending octet 0x90, the other 8
    let s = get("6.4.4");
    let data: Vec<&Vec<u8>> =
        s.steps.iter().filter_map(|st| if let Step::Data(d) = st { Some(d) } else { None }).collect();
    assert_eq!(data.iter().map(|d| d.len()).collect::<Vec<_>>(), vec![12, 1, 8]);
    assert_eq!(data[1][0], 0x90);
    assert_eq!(s.expected[0].1, vec![Event::Timeout("A")]);
    assert!(s.close.wrong_endpoint_fatal);
    // 6.2.3: 1-octet fragments plus the suite's final empty frame
    let s = get("6.2.3");
    let frames = s.steps.iter().filter(|st| matches!(st, Step::Frame(_))).count();
    assert_eq!(frames, "Hello-µ@ßöäüàá-UTF-8!!".len() + 1);
    // 7.9.x: invalid close codes, a protocol error (or a drop) expected
    let codes: Vec<u16> = (1..=9)
        .map(|i| match &get(&format!("7.9.{i}")).steps[0] {
            Step::Close(p) => u16::from_be_bytes([p[0], p[1]]),
            _ => panic!("7.9.{i}"),
        })
        .collect();
    assert_eq!(codes, vec![0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]);
    // 13.7: three offers, server accept choices tried in the suite's order
    let Some(Script::Deflate(d)) = all.iter().find(|c| c.id == "13.7.18").map(|c| &c.script) else { panic!("13.7.18") };
    assert_eq!(d.offers.len(), 3);
    assert_eq!(d.accept.0, vec![(true, 9), (true, 0), (false, 0)]);
    assert_eq!((d.len, d.auto_frag), (131072, 32768));
}
