//! A route regex as the matcher runs it. Most route regexes are one character class
//! repeated (`\d+`, `[0-9a-f]+`, `[a-z]{2,8}`, `\w+`): for those the whole-segment match
//! `^(?:class{min,max})$` is "every character in the class, and the count in range", which
//! is checked directly — an ASCII bitmap, then the class's ranges — without the regex
//! engine's per-call setup. Everything else runs through the compiled [`Regex`].

use regex::Regex;
use regex_syntax::hir::{Class, Hir, HirKind};

/// A compiled route regex (anchored to the whole segment).
#[derive(Debug, Clone)]
pub(crate) enum SegmentRegex {
    /// One character class, repeated `min..=max` times.
    Run(CharRun),
    /// Any other regex.
    Full(Regex),
}

/// A character class repeated between `min` and `max` times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CharRun {
    /// Bit `c` set: ASCII character `c` is in the class.
    ascii: u128,
    /// The class's ranges above ASCII, sorted.
    wide: Box<[(char, char)]>,
    min: u32,
    max: u32,
}

impl CharRun {
    /// The run `source` is, when it is one (parsed as [`Regex::new`] parses it).
    pub(crate) fn parse(source: &str) -> Option<CharRun> {
        let parsed = regex_syntax::Parser::new().parse(source).ok()?;
        let hir = strip_captures(&parsed);
        let (sub, min, max) = match hir.kind() {
            HirKind::Repetition(r) => (strip_captures(&r.sub), r.min, r.max.unwrap_or(u32::MAX)),
            _ => (hir, 1, 1),
        };
        let ranges: Vec<(char, char)> = match sub.kind() {
            HirKind::Class(Class::Unicode(c)) => c.ranges().iter().map(|r| (r.start(), r.end())).collect(),
            // A byte class in a `str` regex is ASCII-only; anything else is left to the engine.
            HirKind::Class(Class::Bytes(c)) if c.ranges().iter().all(|r| r.end() < 0x80) => {
                c.ranges().iter().map(|r| (char::from(r.start()), char::from(r.end()))).collect()
            }
            HirKind::Literal(lit) => {
                let text = std::str::from_utf8(&lit.0).ok()?;
                let mut chars = text.chars();
                let c = chars.next()?;
                chars.next().is_none().then_some(())?;
                vec![(c, c)]
            }
            _ => return None,
        };
        let mut ascii = 0u128;
        let mut wide = Vec::new();
        for (lo, hi) in ranges {
            for c in lo..=hi.min('\x7f') {
                ascii |= 1 << (c as u32);
            }
            if hi > '\x7f' {
                wide.push((lo.max('\u{80}'), hi));
            }
        }
        Some(CharRun { ascii, wide: wide.into(), min, max })
    }

    /// Whether the whole of `text` is `min..=max` characters of the class.
    #[inline]
    pub(crate) fn is_match(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        if bytes.is_ascii() {
            let n = bytes.len();
            return n >= self.min as usize
                && n <= self.max as usize
                && bytes.iter().all(|&b| self.ascii & (1 << b) != 0);
        }
        let mut n = 0usize;
        for c in text.chars() {
            let inside = if c.is_ascii() {
                self.ascii & (1 << (c as u32)) != 0
            } else {
                let i = self.wide.partition_point(|&(_, hi)| hi < c);
                self.wide.get(i).is_some_and(|&(lo, _)| lo <= c)
            };
            if !inside {
                return false;
            }
            n += 1;
        }
        n >= self.min as usize && n <= self.max as usize
    }
}

fn strip_captures(hir: &Hir) -> &Hir {
    match hir.kind() {
        HirKind::Capture(c) => strip_captures(&c.sub),
        _ => hir,
    }
}

impl SegmentRegex {
    /// The matcher for `regex`, compiled from `source` as `^(?:source)$`.
    pub(crate) fn new(source: &str, regex: &Regex) -> SegmentRegex {
        match CharRun::parse(source) {
            Some(run) => SegmentRegex::Run(run),
            None => SegmentRegex::Full(regex.clone()),
        }
    }

    /// Whether the whole segment `text` matches.
    #[inline]
    pub(crate) fn is_match(&self, text: &str) -> bool {
        match self {
            SegmentRegex::Run(run) => run.is_match(text),
            SegmentRegex::Full(regex) => regex.is_match(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_sources_are_runs() {
        let cases: &[(&str, bool)] = &[
            (r"\d+", true),
            ("[0-9a-f]+", true),
            ("[a-z]{2,8}", true),
            (r"\w*", true),
            ("(?i)[a-z]+", true),
            ("([a-z]+)", true),
            ("[^/]+", true),
            ("x+", true),
            ("é{2}", true),
            ("[a-z]", true),
            ("(?-u:[a-z])+", true),
            (r"\d{4}-\d{2}", false),
            ("abc", false),
            ("a|bc", false),
            (r"[a-z]+\.txt", false),
            ("(?:ab)+", false),
            (r"\b\w+", false),
        ];
        for (src, want) in cases {
            assert_eq!(CharRun::parse(src).is_some(), *want, "{src}");
        }
    }

    /// Every run agrees with the regex engine on every test string.
    #[test]
    fn runs_agree_with_the_regex_engine() {
        let sources = [
            r"\d+",
            "[0-9a-f]+",
            "[a-z]{2,3}",
            r"\w*",
            "(?i)[a-z]+",
            "[^/]+",
            "x+",
            "é{2}",
            "[a-z]",
            r"\p{Greek}+",
            r"[\d&&[^5]]{1,2}",
            "(?-u:[a-z])+",
        ];
        let texts = [
            "", "0", "12345", "٣٤", "abc", "ABC", "aB", "ab", "abcd", "x", "xx", "xy", "éé", "é", "ééé", "a b", "a/b",
            "αβγ", "5", "55", "15", "_x9", "Straße", "\u{212A}", "ſ", "12a",
        ];
        for src in sources {
            let run = CharRun::parse(src).unwrap_or_else(|| panic!("{src} is a run"));
            let regex = Regex::new(&format!("^(?:{src})$")).unwrap();
            for text in texts {
                assert_eq!(run.is_match(text), regex.is_match(text), "{src} on {text:?}");
            }
        }
    }

    #[test]
    fn other_regexes_use_the_engine() {
        let regex = Regex::new(r"^(?:\d{4}-\d{2})$").unwrap();
        let m = SegmentRegex::new(r"\d{4}-\d{2}", &regex);
        assert!(matches!(m, SegmentRegex::Full(_)));
        assert!(m.is_match("2024-01") && !m.is_match("2024-1"));
        let run = SegmentRegex::new(r"\d+", &Regex::new(r"^(?:\d+)$").unwrap());
        assert!(matches!(run, SegmentRegex::Run(_)));
        assert!(run.is_match("42") && !run.is_match("4a"));
    }
}
