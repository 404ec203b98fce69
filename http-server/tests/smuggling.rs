//! Differential request-smuggling check: our HTTP/1 framing against Python's `h11`.
//!
//! At least 10,000 request heads (with bodies) are generated deterministically from a fixed
//! seed, mixing the ingredients of smuggling attacks: duplicate and conflicting
//! Content-Length / Transfer-Encoding, odd whitespace, obs-fold, bare CR and bare LF, mixed
//! case, chunk extensions and invalid chunk sizes, each followed by a second request so a
//! desync is visible. Each case is framed by our decoder (`http_server::__fuzz`) and by
//! `tests/smuggling/h11_verdict.py`.
//!
//! The rule: whenever we accept a request, h11 must accept it too, with the same framing
//! (Content-Length n / chunked), the same body and the same end (where the next request
//! starts). Rejecting what h11 accepts is allowed (we are stricter); those cases are counted
//! by category and printed. When `python3` or `h11` is missing the test
//! prints `SKIPPED: …` to stderr and passes, or fails under `HTTP_RS_REQUIRE_TOOLS=1`
//! (`.ci/run` installs h11 and sets it).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

#[path = "../../testing/tools.rs"]
mod tools;
use tools::tool_missing;

use http_server::__fuzz::{Framing, HeadVerdict, RequestVerdict, frame_request, parse_h1_head, rejection_reason};

const CASES: usize = 12_000;

/// xorshift64*: deterministic, no dependency.
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
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const CL_NAMES: &[&str] = &[
    "Content-Length",
    "content-length",
    "CONTENT-LENGTH",
    "Content-length",
    "Content-Length ",
    "Content-Length\t",
    " Content-Length",
    "Content_Length",
    "Content-Length\x0b",
];
const CL_VALUES: &[&str] = &[
    "5",
    " 5",
    "5 ",
    "\t5\t",
    "05",
    "+5",
    "-5",
    "0x5",
    "5, 5",
    "5,5",
    "5, 6",
    "5,",
    ",5",
    "",
    "5 5",
    "5\x0b",
    "5.0",
    "0",
    "1",
    "10",
    "99999999999999999999",
    "18446744073709551615",
    "4294967301",
    "５",
];
const TE_NAMES: &[&str] = &[
    "Transfer-Encoding",
    "transfer-encoding",
    "TRANSFER-ENCODING",
    "Transfer-Encoding ",
    " Transfer-Encoding",
    "Transfer_Encoding",
    "Transfer-Encoding\t",
];
const TE_VALUES: &[&str] = &[
    "chunked",
    "Chunked",
    "CHUNKED",
    " chunked",
    "chunked ",
    "\tchunked",
    "chunked, chunked",
    "gzip, chunked",
    "chunked, gzip",
    "identity",
    "identity, chunked",
    "chunked;q=1",
    "\"chunked\"",
    "xchunked",
    "chunke",
    "chunked\x0b",
    "",
    ",",
    "chunked,",
    ",chunked",
    "chunk\x00ed",
    "chunked\r\n x",
];
const CHUNKED_BODIES: &[&str] = &[
    "5\r\nhello\r\n0\r\n\r\n",
    "5;a=b\r\nhello\r\n0\r\n\r\n",
    "5 ;a=b\r\nhello\r\n0\r\n\r\n",
    "5\t;a\r\nhello\r\n0\r\n\r\n",
    "5;a=\"x y\"\r\nhello\r\n0\r\n\r\n",
    "5;a=\"x\r\ny\"\r\nhello\r\n0\r\n\r\n",
    "5;\rx\r\nhello\r\n0\r\n\r\n",
    "5;\x01\r\nhello\r\n0\r\n\r\n",
    "5 \r\nhello\r\n0\r\n\r\n",
    "0x5\r\nhello\r\n0\r\n\r\n",
    "+5\r\nhello\r\n0\r\n\r\n",
    "-5\r\nhello\r\n0\r\n\r\n",
    "00005\r\nhello\r\n0\r\n\r\n",
    "5\nhello\r\n0\r\n\r\n",
    "5\r\nhello\n0\r\n\r\n",
    "5\r\nhelloXX\r\n0\r\n\r\n",
    "5\r\nhell\r\n0\r\n\r\n",
    "fffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    "ffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    "5\r\nhello\r\n0\r\nX-Trailer: y\r\n\r\n",
    "5\r\nhello\r\n0\r\nX-Trailer : y\r\n\r\n",
    "5\r\nhello\r\n0\r\nContent-Length: 9\r\n\r\n",
    "5\r\nhello\r\n0\n\n",
    "5\r\nhello\r\n0\r\n",
    "5\r\nhello\r\n000\r\n\r\n",
    "A\r\n0123456789\r\n0\r\n\r\n",
    "a\r\n0123456789\r\n0\r\n\r\n",
    "g\r\nhello\r\n0\r\n\r\n",
    "\r\n5\r\nhello\r\n0\r\n\r\n",
    " 5\r\nhello\r\n0\r\n\r\n",
    "5\r\r\nhello\r\n0\r\n\r\n",
    "0\r\n\r\n",
];
const NEXT: &str = "GET /next HTTP/1.1\r\nHost: b\r\n\r\n";
const FILLER: &str = "hello world, this is a body that is long enough for any Content-Length used here";

/// One generated case and the features it was built from (for the stricter-than-h11 tally).
struct Case {
    bytes: Vec<u8>,
    features: Vec<&'static str>,
}

fn generate(rng: &mut Rng) -> Case {
    let mut f: Vec<&'static str> = Vec::new();
    let eol = if rng.chance(8) {
        f.push("bare-LF line endings");
        "\n"
    } else {
        "\r\n"
    };
    let mut head = String::new();
    let method = rng.pick(&["POST", "PUT", "GET", "post"]);
    if method == "post" {
        f.push("lower-case method");
    }
    let version = if rng.chance(8) {
        f.push("HTTP/1.0");
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    };
    head += &format!("{method} /x {version}{eol}");
    match rng.below(20) {
        0 => f.push("no Host"),
        1 => {
            f.push("duplicate Host");
            head += &format!("Host: a{eol}Host: a{eol}");
        }
        _ => head += &format!("Host: a{eol}"),
    }
    // Half the cases use only well-formed spellings, so plenty are accepted and compared.
    let plain = rng.chance(50);
    let framing_fields = if plain { rng.below(3) } else { 1 + rng.below(3) };
    for _ in 0..framing_fields {
        let (names, values, cl) =
            if rng.chance(50) { (CL_NAMES, CL_VALUES, true) } else { (TE_NAMES, TE_VALUES, false) };
        let (names, values) = if plain { (&names[..4], &values[..3]) } else { (names, values) };
        let (name, value) = (rng.pick(names), rng.pick(values));
        f.push(if cl { "Content-Length" } else { "Transfer-Encoding" });
        if name.starts_with(' ') {
            f.push("leading whitespace / obs-fold name");
        } else if name.ends_with([' ', '\t', '\x0b']) {
            f.push("whitespace before colon");
        } else if name.contains('_') {
            f.push("underscore name");
        }
        let sep = match rng.below(12) {
            0 => {
                f.push("no space after colon");
                ":".to_owned()
            }
            1 => {
                f.push("tab after colon");
                ":\t".to_owned()
            }
            2 => {
                f.push("obs-fold");
                format!(":{eol} ")
            }
            _ => ": ".to_owned(),
        };
        head += &format!("{name}{sep}{value}{eol}");
    }
    if !plain && rng.chance(10) {
        f.push("bare CR in a field");
        head += "X-A: b\rc\r\n";
    }
    if !plain && rng.chance(5) {
        f.push("obs-fold continuation");
        head += &format!("X-B: b{eol} c{eol}");
    }
    if rng.chance(5) {
        f.push("Expect");
        head += &format!("Expect: 100-continue{eol}");
    }
    head += eol;
    let body =
        if rng.chance(50) { rng.pick(CHUNKED_BODIES).to_owned() } else { FILLER[..rng.below(FILLER.len())].to_owned() };
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes.extend_from_slice(NEXT.as_bytes());
    f.sort_unstable();
    f.dedup();
    Case { bytes, features: f }
}

/// A chunk-size line with whitespace between the size and `;` (`5 ;a`, `5\t;a`).
fn bws_before_chunk_ext(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| matches!(w, [b' ' | b'\t', b';']))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Why the h11 side cannot run (`python3` or its `h11` module missing), if it cannot.
fn h11_missing() -> Option<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smuggling/h11_verdict.py");
    assert!(std::path::Path::new(script).exists(), "{script} is part of the repository");
    match Command::new("python3").args(["-c", "import h11"]).output() {
        Ok(o) if o.status.success() => None,
        Ok(_) => Some("smuggling differential check: python3 has no h11 module (pip install h11)".into()),
        Err(e) => Some(format!("smuggling differential check: python3 not runnable ({e})")),
    }
}

/// Runs h11 over all cases; one JSON value per case, in order.
fn h11_verdicts(cases: &[Case]) -> Vec<serde_json::Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smuggling/h11_verdict.py");
    let mut input = String::new();
    for (i, c) in cases.iter().enumerate() {
        input += &format!("{{\"id\":{i},\"hex\":\"{}\"}}\n", hex(&c.bytes));
    }
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn python3");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("h11 script");
    writer.join().unwrap().expect("write cases");
    assert!(out.status.success(), "h11 script failed: {:?}", out.status);
    let verdicts: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(verdicts.len(), cases.len());
    verdicts
}

#[test]
fn framing_never_disagrees_with_h11() {
    if let Some(reason) = h11_missing() {
        return tool_missing(&reason);
    }
    // SMUGGLING_CASES / SMUGGLING_SEED widen a one-off run; CI uses the fixed defaults.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let n = env("SMUGGLING_CASES").map_or(CASES, |n| n as usize);
    let mut rng = Rng(env("SMUGGLING_SEED").unwrap_or(0x5eed_0f5a_0991_e5a1) | 1);
    let cases: Vec<Case> = (0..n).map(|_| generate(&mut rng)).collect();
    let theirs = h11_verdicts(&cases);

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut stricter: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, (case, h11)) in cases.iter().zip(&theirs).enumerate() {
        assert_eq!(h11["id"].as_u64(), Some(i as u64));
        let their_verdict = h11["verdict"].as_str().unwrap();
        let their_framing = match (h11["framing"].as_str(), h11["length"].as_u64()) {
            (Some("length"), Some(0)) => Some(Framing::Empty),
            (Some("length"), Some(n)) => Some(Framing::Length(n)),
            (Some("chunked"), _) => Some(Framing::Chunked),
            _ => None,
        };
        // Head-level framing: whenever our head parser accepts, h11 must have framed the
        // head the same way (it may still reject the body later, and so may we).
        let head = parse_h1_head(&case.bytes);
        if let HeadVerdict::Accepted { framing, .. } = head
            && their_framing != Some(framing)
        {
            failures.push(format!(
                "case {i} [{}]: we frame the head as {framing:?}, h11 as {their_framing:?} ({}): {:?}",
                case.features.join(", "),
                h11["error"],
                String::from_utf8_lossy(&case.bytes)
            ));
        }
        match frame_request(&case.bytes) {
            RequestVerdict::Accepted { framing, body, consumed } => {
                let same = their_verdict == "accepted"
                    && their_framing == Some(framing)
                    && unhex(h11["body"].as_str().unwrap()) == body
                    && h11["consumed"].as_u64() == Some(consumed as u64);
                if same {
                    *counts.entry("both accept, same framing, body and end").or_default() += 1;
                } else if their_verdict == "rejected" && bws_before_chunk_ext(&case.bytes) {
                    // RFC 9112 §7.1.1 allows BWS before `;` in a chunk extension; h11 does
                    // not. The framing (the chunk size) is the same either way.
                    *counts
                        .entry("we accept, h11 rejects: BWS before a chunk extension (RFC 9112 allows it)")
                        .or_default() += 1;
                } else {
                    failures.push(format!(
                        "case {i}: we accept ({framing:?}, {} body bytes, end {consumed}); h11: {h11}: {:?}",
                        body.len(),
                        String::from_utf8_lossy(&case.bytes)
                    ));
                }
            }
            RequestVerdict::Rejected(status) => {
                if their_verdict == "rejected" {
                    *counts.entry("both reject").or_default() += 1;
                } else {
                    *counts.entry("we reject, h11 accepts (stricter)").or_default() += 1;
                    let why = rejection_reason(&case.bytes).unwrap_or_default();
                    let key = format!("{status} {why}");
                    *stricter.entry(key).or_default() += 1;
                }
            }
            RequestVerdict::Incomplete => {
                // Waiting for more body bytes: h11 must not have completed the request
                // (if it had, it framed a shorter body than we would).
                if their_verdict == "accepted" {
                    failures.push(format!(
                        "case {i}: we wait for more bytes, h11 completed the request: {h11}: {:?}",
                        String::from_utf8_lossy(&case.bytes)
                    ));
                } else {
                    *counts.entry("both incomplete or we wait and h11 rejects").or_default() += 1;
                }
            }
        }
    }
    eprintln!("smuggling differential check: {n} cases against h11");
    for (k, v) in &counts {
        eprintln!("  {v:6}  {k}");
    }
    eprintln!("  stricter than h11, by our status and reason:");
    let mut top: Vec<_> = stricter.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    for (k, v) in &top {
        eprintln!("  {v:6}  {k}");
    }
    assert!(counts.get("both accept, same framing, body and end").copied().unwrap_or(0) > 500, "too few accepted");
    assert!(counts.get("both reject").copied().unwrap_or(0) > 500, "too few rejected");
    assert!(
        failures.is_empty(),
        "{} disagreements, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}
