//! The suite's UTF-8 decoder vectors (cases 6.5 to 6.23), after Markus Kuhn's
//! UTF-8 decoder stress test: groups of (valid?, octets), in the suite's order.
//! RFC 6455 section 8.1 requires an endpoint to fail the connection (1007) on
//! text that is not valid UTF-8 (RFC 3629).

type Group = (&'static str, Vec<(bool, Vec<u8>)>);

fn all(valid: bool, seqs: &[&[u8]]) -> Vec<(bool, Vec<u8>)> {
    seqs.iter().map(|s| (valid, s.to_vec())).collect()
}

/// Groups 6.5 .. 6.23.
pub(crate) fn utf8_groups() -> Vec<Group> {
    let kosme: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
    let mut g: Vec<Group> = Vec::new();
    g.push((
        "Some valid UTF-8 sequences",
        all(
            true,
            &[
                b"hello\x24world",
                b"hello\xc2\xa2world",
                b"hello\xe2\x82\xacworld",
                b"hello\xf0\xa4\xad\xa2world",
                kosme,
            ],
        ),
    ));
    // a prefix is valid exactly when it ends on a code point boundary
    let prefixes = (1..=kosme.len()).map(|i| (std::str::from_utf8(&kosme[..i]).is_ok(), kosme[..i].to_vec())).collect();
    g.push(("All prefixes of a valid UTF-8 string that contains multi-byte code points", prefixes));
    g.push((
        "First possible sequence of a certain length",
        all(true, &[b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"]),
    ));
    g.push((
        "First possible sequence length 5/6 (invalid codepoints)",
        all(false, &[b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80"]),
    ));
    g.push((
        "Last possible sequence of a certain length",
        all(true, &[b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"]),
    ));
    g.push((
        "Last possible sequence length 4/5/6 (invalid codepoints)",
        all(false, &[b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf"]),
    ));
    let mut other = all(true, &[b"\xed\x9f\xbf", b"\xee\x80\x80", b"\xef\xbf\xbd", b"\xf4\x8f\xbf\xbf"]);
    other.push((false, b"\xf4\x90\x80\x80".to_vec()));
    g.push(("Other boundary conditions", other));
    let mut cont = all(
        false,
        &[
            b"\x80",
            b"\xbf",
            b"\x80\xbf",
            b"\x80\xbf\x80",
            b"\x80\xbf\x80\xbf",
            b"\x80\xbf\x80\xbf\x80",
            b"\x80\xbf\x80\xbf\x80\xbf",
        ],
    );
    cont.push((false, (0x80u8..0xbf).collect()));
    g.push(("Unexpected continuation bytes", cont));
    let lonely = [(0xc0u8, 0xdfu8), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb), (0xfc, 0xfd)]
        .into_iter()
        .map(|(a, b)| (false, (a..b).flat_map(|c| [c, 0x20]).collect()))
        .collect();
    g.push(("Lonely start characters", lonely));
    let missing: [&[u8]; 10] = [
        b"\xc0",
        b"\xe0\x80",
        b"\xf0\x80\x80",
        b"\xf8\x80\x80\x80",
        b"\xfc\x80\x80\x80\x80",
        b"\xdf",
        b"\xef\xbf",
        b"\xf7\xbf\xbf",
        b"\xfb\xbf\xbf\xbf",
        b"\xfd\xbf\xbf\xbf\xbf",
    ];
    g.push(("Sequences with last continuation byte missing", all(false, &missing)));
    g.push(("Concatenation of incomplete sequences", vec![(false, missing.concat())]));
    g.push(("Impossible bytes", all(false, &[b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"])));
    g.push((
        "Examples of an overlong ASCII character",
        all(
            false,
            &[b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf", b"\xfc\x80\x80\x80\x80\xaf"],
        ),
    ));
    g.push((
        "Maximum overlong sequences",
        all(
            false,
            &[b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf", b"\xfc\x83\xbf\xbf\xbf\xbf"],
        ),
    ));
    g.push((
        "Overlong representation of the NUL character",
        all(
            false,
            &[b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80", b"\xfc\x80\x80\x80\x80\x80"],
        ),
    ));
    g.push((
        "Single UTF-16 surrogates",
        all(
            false,
            &[
                b"\xed\xa0\x80",
                b"\xed\xad\xbf",
                b"\xed\xae\x80",
                b"\xed\xaf\xbf",
                b"\xed\xb0\x80",
                b"\xed\xbe\x80",
                b"\xed\xbf\xbf",
            ],
        ),
    ));
    let highs: [&[u8]; 4] = [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf"];
    let lows: [&[u8]; 2] = [b"\xed\xb0\x80", b"\xed\xbf\xbf"];
    let paired = highs.iter().flat_map(|h| lows.iter().map(move |l| (false, [*h, *l].concat()))).collect();
    g.push(("Paired UTF-16 surrogates", paired));
    // non-characters are valid UTF-8 (RFC 3629)
    let mut nonchars = all(true, &[b"\xef\xbf\xbe", b"\xef\xbf\xbf"]);
    for z1 in [0xf0u8, 0xf1, 0xf2, 0xf3, 0xf4] {
        for z2 in [0x8fu8, 0x9f, 0xaf, 0xbf] {
            if z1 == 0xf4 && z2 != 0x8f {
                continue; // beyond U+10FFFF
            }
            for z3 in [0xbeu8, 0xbf] {
                let zz = vec![z1, z2, 0xbf, z3];
                if !(z1 == 0xf0 && z2 == 0x8f) {
                    nonchars.push((true, zz)); // f0 8f .. is overlong
                }
            }
        }
    }
    g.push(("Non-character code points (valid UTF-8)", nonchars));
    g.push((
        "Unicode specials (i.e. replacement char)",
        all(
            true,
            &[
                b"\xef\xbf\xb9",
                b"\xef\xbf\xba",
                b"\xef\xbf\xbb",
                b"\xef\xbf\xbc",
                b"\xef\xbf\xbd",
                b"\xef\xbf\xbe",
                b"\xef\xbf\xbf",
            ],
        ),
    ));
    g
}

#[test]
fn vectors_agree_with_std() {
    // the suite's verdicts are RFC 3629's: std's decoder must agree on every vector
    for (name, vs) in utf8_groups() {
        for (valid, p) in vs {
            assert_eq!(std::str::from_utf8(&p).is_ok(), valid, "{name}: {p:x?}");
        }
    }
}
