//! Sections 12 and 13 (RFC 7692 permessage-deflate): the case generator and the
//! payloads. The suite ships five files (a JSON document, a 512x512 bitmap,
//! Goethe's Faust, an HTML page, a PDF); this table generates deterministic
//! stand-ins of the same kind and size class instead of shipping them, so the
//! compression ratios differ from the suite's but the message sizes, counts,
//! fragmenting and offers do not.

use std::sync::{Arc, OnceLock};

use super::cases::{Case, DeflateScript, Offer, Scale, Script, ServerAccept};

/// One of the suite's five payload sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TestData {
    Json,
    Bitmap,
    Faust,
    Html,
    Pdf,
}

impl TestData {
    /// Sent as binary messages (the suite sends the text of Faust as binary).
    pub(crate) fn binary(self) -> bool {
        !matches!(self, TestData::Json | TestData::Html)
    }

    pub(crate) fn desc(self) -> &'static str {
        match self {
            TestData::Json => "Large JSON data file (generated stand-in, utf8)",
            TestData::Bitmap => "Bitmap 512x512 (generated stand-in, binary)",
            TestData::Faust => "Human readable German text (generated stand-in, binary)",
            TestData::Html => "Large HTML file (generated stand-in, utf8)",
            TestData::Pdf => "A larger PDF-like file (generated stand-in, binary)",
        }
    }

    /// The payload source: octets, or for text sources the characters (the
    /// suite slices text messages by characters, not octets).
    pub(crate) fn source(self) -> Arc<Source> {
        static CACHE: OnceLock<[Arc<Source>; 5]> = OnceLock::new();
        let all = CACHE.get_or_init(|| [json(), bitmap(), faust(), html(), pdf()].map(Arc::new));
        all[self as usize].clone()
    }
}

/// A payload source.
#[derive(Debug)]
pub(crate) enum Source {
    Octets(Vec<u8>),
    Chars(Vec<char>),
}

impl Source {
    /// Message `n` of `len` units, taken from the ring buffer as the suite does.
    pub(crate) fn message(&self, n: usize, len: usize) -> Vec<u8> {
        match self {
            Source::Octets(o) => (0..len).map(|i| o[(n * len + i) % o.len()]).collect(),
            Source::Chars(c) => (0..len).map(|i| c[(n * len + i) % c.len()]).collect::<String>().into_bytes(),
        }
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const WORDS: &[&str] = &[
    "Habe",
    "nun",
    "ach",
    "Philosophie",
    "Juristerei",
    "und",
    "Medizin",
    "leider",
    "auch",
    "Theologie",
    "durchaus",
    "studiert",
    "mit",
    "heißem",
    "Bemühn",
    "da",
    "steh",
    "ich",
    "nun",
    "ich",
    "armer",
    "Tor",
    "bin",
    "so",
    "klug",
    "als",
    "wie",
    "zuvor",
    "Geist",
    "Welt",
    "Natur",
    "Käfer",
    "Grübeln",
    "Fäuste",
    "Mephistopheles",
    "Gretchen",
];

fn faust() -> Source {
    let mut r = Rng(0x5eed_fa57);
    let mut s = String::new();
    while s.len() < 222_000 {
        let n = 4 + r.below(9);
        let line: Vec<&str> = (0..n).map(|_| r.pick(WORDS)).collect();
        s.push_str(&line.join(" "));
        s.push_str(if r.below(5) == 0 { ".\r\n\r\n" } else { ",\r\n" });
    }
    Source::Octets(s.into_bytes())
}

fn json() -> Source {
    let mut r = Rng(0x7501_d0c5);
    let mut s = String::from("[\n");
    let mut i = 0;
    while s.len() < 194_000 {
        let name = format!("{} {}", r.pick(WORDS), r.pick(WORDS));
        s.push_str(&format!(
            "  {{\"id\": {i}, \"guid\": \"{:016x}\", \"isActive\": {}, \"balance\": \"{}.{:02} €\", \"name\": \"{name}\", \"tags\": [\"{}\", \"{}\"], \"latitude\": {}.{:06}}},\n",
            r.next(),
            r.below(2) == 0,
            r.below(10_000),
            r.below(100),
            r.pick(WORDS),
            r.pick(WORDS),
            r.below(90),
            r.below(1_000_000),
        ));
        i += 1;
    }
    s.push_str("  {}\n]\n");
    Source::Chars(s.chars().collect())
}

fn html() -> Source {
    let mut r = Rng(0x4_7e1);
    let mut s =
        String::from("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Daten</title></head><body>\n");
    while s.len() < 263_000 {
        let words: Vec<&str> = (0..8 + r.below(20)).map(|_| r.pick(WORDS)).collect();
        s.push_str(&format!(
            "<div class=\"row r{}\"><a href=\"/item/{}\">{}</a><p>{}</p></div>\n",
            r.below(7),
            r.next() % 100_000,
            r.pick(WORDS),
            words.join(" ")
        ));
    }
    s.push_str("</body></html>\n");
    Source::Chars(s.chars().collect())
}

fn bitmap() -> Source {
    // BMP header, 256-entry grey palette, 512x512 smooth image with noise
    let mut r = Rng(0xb17_3a9);
    let mut o = b"BM".to_vec();
    o.resize(1078, 0);
    for y in 0..512usize {
        for x in 0..512usize {
            let v = ((x * 3 + y * 5) / 8 + (x * y / 1024) % 32) as i64 + (r.below(9) as i64 - 4);
            o.push(v.clamp(0, 255) as u8);
        }
    }
    Source::Octets(o)
}

fn pdf() -> Source {
    // text objects between incompressible streams
    let mut r = Rng(0x9df_0a3);
    let mut o = b"%PDF-1.4\n".to_vec();
    let mut n = 1;
    while o.len() < 1_000_000 {
        o.extend_from_slice(format!("{n} 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n", 2048).as_bytes());
        for _ in 0..256 {
            o.extend_from_slice(&r.next().to_le_bytes());
        }
        o.extend_from_slice(b"\nendstream\nendobj\n");
        let words: Vec<&str> = (0..40).map(|_| r.pick(WORDS)).collect();
        o.extend_from_slice(
            format!("{} 0 obj\n<< /Type /Annot /Contents ({}) >>\nendobj\n", n + 1, words.join(" ")).as_bytes(),
        );
        n += 2;
    }
    Source::Octets(o)
}

/// (message size, suite's wait in s, auto-fragment size), 1000 messages each in the suite.
const MSG_SIZES: [(usize, u64, usize); 18] = [
    (16, 60, 0),
    (64, 60, 0),
    (256, 120, 0),
    (1024, 240, 0),
    (4096, 480, 0),
    (8192, 480, 0),
    (16384, 480, 0),
    (32768, 480, 0),
    (65536, 480, 0),
    (131072, 480, 0),
    (8192, 480, 256),
    (16384, 480, 256),
    (32768, 480, 256),
    (65536, 480, 256),
    (131072, 480, 256),
    (131072, 480, 1024),
    (131072, 480, 4096),
    (131072, 480, 32768),
];

/// Sections 12.1 to 12.5 (default offer, five payload kinds) and 13.1 to 13.7
/// (JSON, seven offer / accept combinations).
pub(crate) fn deflate_cases(out: &mut Vec<Case>, scale: Scale) {
    let d = Offer::DEFAULT;
    let o = |nct: bool, bits: u8| Offer { request_no_context_takeover: nct, request_max_window_bits: bits, ..d };
    // the fuzzing server's accept choices (request client_no_context_takeover, client_max_window_bits)
    type Param = (Vec<Offer>, Vec<(bool, u8)>);
    let params: [Param; 7] = [
        (vec![d], vec![(false, 0)]),
        (vec![o(true, 0)], vec![(true, 0)]),
        (vec![o(false, 9)], vec![(false, 9)]),
        (vec![o(false, 15)], vec![(false, 15)]),
        (vec![o(true, 9)], vec![(true, 9)]),
        (vec![o(true, 15)], vec![(true, 15)]),
        (vec![o(true, 9), o(true, 0), d], vec![(true, 9), (true, 0), (false, 0)]),
    ];
    let kinds = [TestData::Json, TestData::Bitmap, TestData::Faust, TestData::Html, TestData::Pdf];
    let mut push = |id: String, data: TestData, offers: Vec<Offer>, accept: Vec<(bool, u8)>, i: usize| {
        let (len, wait, frag) = MSG_SIZES[i];
        let count = scale.deflate_count.min(1000);
        out.push(Case {
            desc: format!(
                "{}: {count} compressed messages of {len} {} each, auto-fragmented to {frag}; offers {}",
                data.desc(),
                if data.binary() { "octets" } else { "characters" },
                offers.iter().map(super::deflate::offer_string).collect::<Vec<_>>().join(", "),
            ),
            id,
            script: Script::Deflate(DeflateScript {
                data,
                len,
                count,
                auto_frag: frag,
                wait_ms: (wait * 1000).min(scale.max_wait_ms),
                offers,
                accept: ServerAccept(accept),
            }),
            scaled: (count != 1000).then(|| "1000 messages in the suite; generated payloads".to_owned()),
        });
    };
    for (j, data) in kinds.into_iter().enumerate() {
        for i in 0..MSG_SIZES.len() {
            push(format!("12.{}.{}", j + 1, i + 1), data, vec![d], vec![(false, 0)], i);
        }
    }
    for (j, (offers, accept)) in params.into_iter().enumerate() {
        for i in 0..MSG_SIZES.len() {
            push(format!("13.{}.{}", j + 1, i + 1), TestData::Json, offers.clone(), accept.clone(), i);
        }
    }
}
