//! JSON string literals (RFC 8259 §7) for the server's own small JSON outputs: access-log
//! lines and directory listings.

use std::fmt::Write as _;

/// Appends `s` as a JSON string literal: quotes, backslashes and control characters escaped
/// (`\n`, `\r`, `\t` short, the rest as `\u00XX`).
pub(crate) fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        let rows = [
            ("plain", r#""plain""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("l1\nl2\r\t", r#""l1\nl2\r\t""#),
            ("\u{1}\u{1f}", r#""\u0001\u001f""#),
            ("é €", "\"é €\""),
        ];
        for (input, want) in rows {
            let mut out = String::new();
            super::push_string(&mut out, input);
            assert_eq!(out, want, "{input:?}");
        }
    }
}
