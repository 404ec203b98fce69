//! Incremental UTF-8 validation across fragments (RFC 6455 §8.1).
//!
//! A text message may be split anywhere, even inside a character. The validator keeps the
//! up-to-3 bytes of an incomplete trailing character and completes it with the next
//! fragment. An invalid sequence is reported as soon as it is seen (fail fast, close code
//! 1007), not at the end of the message.

/// Streaming UTF-8 validator.
#[derive(Debug, Default, Clone)]
pub(crate) struct Utf8Validator {
    pending: [u8; 4],
    pending_len: usize,
}

/// The input is not UTF-8 (or cannot become UTF-8 with more bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidUtf8;

fn char_width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

impl Utf8Validator {
    /// Validates the next piece of the message.
    pub(crate) fn feed(&mut self, mut data: &[u8]) -> Result<(), InvalidUtf8> {
        if self.pending_len > 0 {
            let width = char_width(self.pending[0]);
            let take = (width - self.pending_len).min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            match std::str::from_utf8(&self.pending[..self.pending_len]) {
                Ok(_) => self.pending_len = 0,
                Err(e) if e.error_len().is_none() => return Ok(()), // still a valid prefix
                Err(_) => return Err(InvalidUtf8),
            }
        }
        match std::str::from_utf8(data) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let rest = &data[e.valid_up_to()..];
                self.pending[..rest.len()].copy_from_slice(rest);
                self.pending_len = rest.len();
                Ok(())
            }
            Err(_) => Err(InvalidUtf8),
        }
    }

    /// Ends the message: an incomplete trailing character is an error. Resets the validator.
    pub(crate) fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.pending_len == 0;
        self.pending_len = 0;
        if complete { Ok(()) } else { Err(InvalidUtf8) }
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // case tables
mod tests {
    use super::*;

    fn run(pieces: &[&[u8]]) -> Result<(), (usize, InvalidUtf8)> {
        let mut v = Utf8Validator::default();
        for (i, p) in pieces.iter().enumerate() {
            v.feed(p).map_err(|e| (i, e))?;
        }
        v.finish().map_err(|e| (pieces.len(), e))
    }

    #[test]
    fn vectors() {
        let euro = "€".as_bytes(); // e2 82 ac
        let emoji = "😀".as_bytes(); // f0 9f 98 80
        // (pieces, Ok or index of the piece at which the error must appear)
        let cases: &[(&[&[u8]], Result<(), usize>)] = &[
            (&[b"hello", b" world"], Ok(())),
            (&[b""], Ok(())),
            (&[&euro[..1], &euro[1..]], Ok(())),
            (&[&euro[..2], &euro[2..]], Ok(())),
            (&[&euro[..1], &euro[1..2], &euro[2..]], Ok(())),
            (&[&emoji[..1], &emoji[1..2], &emoji[2..3], &emoji[3..]], Ok(())),
            (&[b"a", &emoji[..3], b"", &emoji[3..], b"z"], Ok(())),
            // invalid bytes fail in the piece where they appear
            (&[b"ok", b"\xff", b"never"], Err(1)),
            (&[b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80", b"edited"], Err(0)),
            // a surrogate split across pieces fails as soon as the 2nd byte arrives
            (&[b"\xed", b"\xa0", b"\x80"], Err(1)),
            // an over-long lead fails at once, even alone
            (&[b"\xc0"], Err(0)),
            (&[b"\xf5"], Err(0)),
            // a code point above U+10FFFF fails when its 2nd byte arrives
            (&[b"\xf4", b"\x90\x80\x80"], Err(1)),
            // a split character whose continuation is wrong
            (&[&euro[..2], b"a"], Err(1)),
            // a message ending inside a character fails at the end
            (&[b"abc", &euro[..2]], Err(2)),
        ];
        for (pieces, want) in cases {
            let got = run(pieces).map_err(|(i, _)| i);
            assert_eq!(got, *want, "{pieces:?}");
        }
    }
}
