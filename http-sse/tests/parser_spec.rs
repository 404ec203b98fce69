//! The WHATWG event-stream interpretation rules (HTML §9.2.6) as a case table. Every case is
//! parsed whole, one byte at a time, and split at every position, and must give the same
//! events each way.

use http_sse::{SseEvent, SseParser};

/// (event type, data, last event id, retry)
type Want = (Option<&'static str>, &'static str, Option<&'static str>, Option<u64>);
/// The same, owned.
type Got = (Option<String>, String, Option<String>, Option<u64>);

struct Case {
    name: &'static str,
    input: &'static [u8],
    want: &'static [Want],
}

const fn case(name: &'static str, input: &'static [u8], want: &'static [Want]) -> Case {
    Case { name, input, want }
}

const CASES: &[Case] = &[
    // dispatch and data
    case("simple event", b"data: hello\n\n", &[(None, "hello", None, None)]),
    case("no space after colon", b"data:hello\n\n", &[(None, "hello", None, None)]),
    case("only one leading space is removed", b"data:  two\n\n", &[(None, " two", None, None)]),
    case("a tab is not stripped", b"data:\tx\n\n", &[(None, "\tx", None, None)]),
    case("trailing space kept", b"data: x \n\n", &[(None, "x ", None, None)]),
    case("multi-line data joined with LF", b"data: a\ndata: b\n\n", &[(None, "a\nb", None, None)]),
    case("value split on the first colon only", b"data: a:b: c\n\n", &[(None, "a:b: c", None, None)]),
    case("empty data value dispatches empty data", b"data:\n\n", &[(None, "", None, None)]),
    case("field without colon: data", b"data\n\n", &[(None, "", None, None)]),
    case("two empty data lines give one LF", b"data\ndata\n\n", &[(None, "\n", None, None)]),
    case("only the final LF is removed", b"data: a\ndata:\n\n", &[(None, "a\n", None, None)]),
    case("no data: not dispatched", b"event: x\n\n", &[]),
    case(
        "several events",
        b"data: 1\n\ndata: 2\n\ndata: 3\n\n",
        &[(None, "1", None, None), (None, "2", None, None), (None, "3", None, None)],
    ),
    case(
        "extra blank lines dispatch nothing",
        b"\n\ndata: x\n\n\n\ndata: y\n\n",
        &[(None, "x", None, None), (None, "y", None, None)],
    ),
    // line ends
    case("CRLF line ends", b"data: a\r\ndata: b\r\n\r\n", &[(None, "a\nb", None, None)]),
    case("bare CR line ends", b"data: a\rdata: b\r\r", &[(None, "a\nb", None, None)]),
    case("mixed line ends", b"data: a\r\ndata: b\rdata: c\n\n", &[(None, "a\nb\nc", None, None)]),
    case("LF then CRLF blank line", b"data: x\n\r\n", &[(None, "x", None, None)]),
    case("CR then CRLF blank line", b"data: x\r\r\n", &[(None, "x", None, None)]),
    case("LF CR is two line ends", b"data: x\n\rdata: y\n\n", &[(None, "x", None, None), (None, "y", None, None)]),
    case("CR LF inside data value ends the line", b"data: a\r\nb\n\n", &[(None, "a", None, None)]),
    case(
        "CRLF event with event type",
        b"event: tick\r\ndata: line1\r\ndata: line2\r\n\r\n",
        &[(Some("tick"), "line1\nline2", None, None)],
    ),
    // end of stream
    case("unterminated event discarded", b"data: x\n", &[]),
    case("unterminated line discarded", b"data: x", &[]),
    case("only the finished event survives", b"data: x\n\ndata: y", &[(None, "x", None, None)]),
    case("CR at the very end still ends the event", b"data: x\r\r", &[(None, "x", None, None)]),
    // BOM
    case("leading BOM skipped", b"\xEF\xBB\xBFdata: bom\n\n", &[(None, "bom", None, None)]),
    case("second BOM is part of the field name", b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n", &[]),
    case("BOM later in the stream is not skipped", b"data: x\n\n\xEF\xBB\xBFdata: y\n\n", &[(None, "x", None, None)]),
    case("BOM then comment", b"\xEF\xBB\xBF: hi\ndata: x\n\n", &[(None, "x", None, None)]),
    case("BOM alone", b"\xEF\xBB\xBF", &[]),
    case("BOM in data is kept", b"data: \xEF\xBB\xBFx\n\n", &[(None, "\u{FEFF}x", None, None)]),
    // comments
    case("comment line ignored", b": comment\ndata: x\n\n", &[(None, "x", None, None)]),
    case("bare colon is a comment", b":\n\n", &[]),
    case("comment inside an event", b"data: a\n: note\ndata: b\n\n", &[(None, "a\nb", None, None)]),
    case("comment does not dispatch", b"data: a\n:\n", &[]),
    // field names
    case("field names are case-sensitive", b"Data: x\n\n", &[]),
    case("unknown field ignored", b"foo: bar\ndata: x\n\n", &[(None, "x", None, None)]),
    case("space before colon is part of the name", b"data : x\n\n", &[]),
    case("leading space is part of the name", b" data: x\n\n", &[]),
    // event type
    case("event type", b"event: tick\ndata: x\n\n", &[(Some("tick"), "x", None, None)]),
    case("event type after data still applies", b"data: x\nevent: late\n\n", &[(Some("late"), "x", None, None)]),
    case("last event type wins", b"event: a\nevent: b\ndata: x\n\n", &[(Some("b"), "x", None, None)]),
    case("empty event type is message", b"event\ndata: x\n\n", &[(None, "x", None, None)]),
    case(
        "event type resets after dispatch",
        b"event: a\ndata: 1\n\ndata: 2\n\n",
        &[(Some("a"), "1", None, None), (None, "2", None, None)],
    ),
    case("event type resets on an undispatched block", b"event: tick\n\ndata: x\n\n", &[(None, "x", None, None)]),
    // id
    case("id", b"id: 7\ndata: x\n\n", &[(None, "x", Some("7"), None)]),
    case(
        "id carried to later events",
        b"id: 1\ndata: x\n\ndata: y\n\n",
        &[(None, "x", Some("1"), None), (None, "y", Some("1"), None)],
    ),
    case(
        "empty id resets",
        b"id: 1\ndata: x\n\nid\ndata: y\n\n",
        &[(None, "x", Some("1"), None), (None, "y", None, None)],
    ),
    case(
        "id with colon form resets",
        b"id: 5\ndata: a\n\nid:\ndata: b\n\n",
        &[(None, "a", Some("5"), None), (None, "b", None, None)],
    ),
    case(
        "id with NUL ignored",
        b"id: 1\ndata: x\n\nid: a\0b\ndata: y\n\n",
        &[(None, "x", Some("1"), None), (None, "y", Some("1"), None)],
    ),
    case("id set by a block without data", b"id: 2\n\ndata: y\n\n", &[(None, "y", Some("2"), None)]),
    case("last id in a block wins", b"id: 1\nid: 2\ndata: x\n\n", &[(None, "x", Some("2"), None)]),
    case("id keeps inner spaces", b"id:  a b \ndata: x\n\n", &[(None, "x", Some(" a b "), None)]),
    // retry
    case("retry", b"retry: 1000\ndata: x\n\n", &[(None, "x", None, Some(1000))]),
    case("retry zero", b"retry: 0\ndata: x\n\n", &[(None, "x", None, Some(0))]),
    case("retry not all digits", b"retry: 10a\ndata: x\n\n", &[(None, "x", None, None)]),
    case("retry negative", b"retry: -1\ndata: x\n\n", &[(None, "x", None, None)]),
    case("retry with extra leading space", b"retry:  100\ndata: x\n\n", &[(None, "x", None, None)]),
    case("retry empty", b"retry\ndata: x\n\n", &[(None, "x", None, None)]),
    case("retry overflowing u64 ignored", b"retry: 99999999999999999999999\ndata: x\n\n", &[(None, "x", None, None)]),
    case("retry carried", b"retry: 5\n\ndata: x\n\n", &[(None, "x", None, Some(5))]),
    case(
        "invalid retry keeps earlier one",
        b"retry: 5\ndata: a\n\nretry: x\ndata: b\n\n",
        &[(None, "a", None, Some(5)), (None, "b", None, Some(5))],
    ),
    // encoding
    case("UTF-8 data", "data: é ünï 日本 🎉\n\n".as_bytes(), &[(None, "é ünï 日本 🎉", None, None)]),
    case("invalid UTF-8 becomes U+FFFD", b"data: \xFF\xFEx\n\n", &[(None, "\u{FFFD}\u{FFFD}x", None, None)]),
    case("NUL in data kept", b"data: a\0b\n\n", &[(None, "a\0b", None, None)]),
];

fn parse_chunks(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut p = SseParser::new(1 << 20);
    let mut out = Vec::new();
    for c in chunks {
        p.feed(c);
        while let Some(ev) = p.next_event() {
            out.push(ev.unwrap());
        }
    }
    p.finish();
    assert!(p.next_event().is_none());
    out
}

fn summary(evs: &[SseEvent]) -> Vec<Got> {
    evs.iter().map(|e| (e.event.clone(), e.data.clone(), e.id.clone(), e.retry)).collect()
}

#[test]
fn spec_case_table() {
    assert!(CASES.len() >= 40, "{} cases", CASES.len());
    for c in CASES {
        let want: Vec<Got> = c
            .want
            .iter()
            .map(|(ev, data, id, retry)| (ev.map(String::from), data.to_string(), id.map(String::from), *retry))
            .collect();
        let whole = summary(&parse_chunks(&[c.input]));
        assert_eq!(whole, want, "case {:?} (whole)", c.name);
        let bytes: Vec<&[u8]> = c.input.chunks(1).collect();
        assert_eq!(summary(&parse_chunks(&bytes)), want, "case {:?} (byte by byte)", c.name);
        for at in 0..=c.input.len() {
            let (a, b) = c.input.split_at(at);
            assert_eq!(summary(&parse_chunks(&[a, b])), want, "case {:?} (split at {at})", c.name);
        }
    }
}

#[test]
fn observed_fields_are_recorded_in_order() {
    let evs = parse_chunks(&[b"foo: 1\nid: a\0b\ndata: x\nfoo: 2\nretry\n\n"]);
    let fields: Vec<(&str, &str)> = evs[0].fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(fields, [("foo", "1"), ("id", "a\0b"), ("data", "x"), ("foo", "2"), ("retry", "")]);
    assert_eq!(evs[0].field("foo"), Some("2"));
    assert_eq!(evs[0].id, None, "the id with NUL was observed but ignored");
}

#[test]
fn fields_reset_between_events() {
    let evs = parse_chunks(&[b"a: 1\ndata: x\n\nb: 2\ndata: y\n\n"]);
    assert_eq!(evs[1].fields, [("b".to_string(), "2".to_string()), ("data".to_string(), "y".to_string())]);
}

#[test]
fn parser_state_after_stream() {
    let mut p = SseParser::default();
    p.feed(b"retry: 3000\nid: 42\ndata: x\n\nid: 43\n");
    assert_eq!(p.last_event_id(), "43", "the id buffer changes before dispatch");
    assert_eq!(p.retry(), Some(3000));
}

#[test]
fn max_len_on_one_event() {
    // "data: 0123456789\n" is 17 bytes.
    let at_limit = http_sse::parse_all(b"data: 0123456789\n\n", 17).unwrap();
    assert_eq!(at_limit[0].data, "0123456789");
    let err = http_sse::parse_all(b"data: 0123456789\n\n", 16).unwrap_err();
    assert!(err.is_too_large(), "{err}");
    // The limit is per event, not per stream.
    let many = http_sse::parse_all(&b"data: 0123456789\n\n".repeat(100), 17).unwrap();
    assert_eq!(many.len(), 100);
}

#[test]
fn oversized_event_is_reported_once_and_skipped() {
    let mut p = SseParser::new(20);
    p.feed(b"id: 1\ndata: ok\n\nid: 2\ndata: ");
    p.feed(&[b'x'; 100]);
    p.feed(b"\ndata: more\n\ndata: after\n\n");
    let got: Vec<_> = std::iter::from_fn(|| p.next_event()).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap().data, "ok");
    assert!(got[1].as_ref().unwrap_err().is_too_large());
    let after = got[2].as_ref().unwrap();
    assert_eq!(after.data, "after");
    assert_eq!(after.id.as_deref(), Some("2"), "the id line before the limit was hit still counted");
}

#[test]
fn comments_do_not_count_against_max_len() {
    let mut input = b": ".to_vec();
    input.extend(std::iter::repeat_n(b'c', 100_000));
    input.extend_from_slice(b"\ndata: x\n\n");
    let evs = http_sse::parse_all(&input, 32).unwrap();
    assert_eq!(evs[0].data, "x");
}
