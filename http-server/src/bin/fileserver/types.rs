//! The value types of the fileserver's flags and config file, each parsed from a string
//! with the same rules in both places (so a config file error and a flag error read alike).

use std::time::Duration;

use http_core::{HeaderName, HeaderValue};
use serde::Deserialize;

/// A duration: a whole number with a unit, `500ms`, `30s`, `5m`, `2h`, `1d` (a bare number
/// is seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "DurationInput")]
pub(crate) struct Span(pub(crate) Duration);

#[derive(Deserialize)]
#[serde(untagged)]
enum DurationInput {
    Secs(u64),
    Text(String),
}

impl TryFrom<DurationInput> for Span {
    type Error = String;
    fn try_from(v: DurationInput) -> Result<Span, String> {
        match v {
            DurationInput::Secs(s) => Ok(Span(Duration::from_secs(s))),
            DurationInput::Text(t) => t.parse(),
        }
    }
}

impl std::str::FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Span, String> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (n, unit) = s.split_at(split);
        let bad = || format!("{s:?} is not a duration (use e.g. 500ms, 30s, 5m, 2h, 1d)");
        let n: u64 = n.parse().map_err(|_| bad())?;
        let d = match unit.trim() {
            "ms" => Duration::from_millis(n),
            "" | "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86400)),
            _ => return Err(bad()),
        };
        Ok(Span(d))
    }
}

/// A URL path pattern: literal text with `*` wildcards (each matches any run of characters,
/// `/` included); the replacement names the captures `$1`..`$9`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct Pattern {
    parts: Vec<String>,
}

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(s: String) -> Result<Pattern, String> {
        if !s.starts_with('/') {
            return Err(format!("{s:?}: a path pattern starts with /"));
        }
        Ok(Pattern { parts: s.split('*').map(str::to_owned).collect() })
    }
}

impl Pattern {
    /// The captures of the `*`s when `path` matches (the last `*` takes the rest).
    pub(crate) fn captures<'a>(&self, path: &'a str) -> Option<Vec<&'a str>> {
        let (first, rest) = self.parts.split_first()?;
        let mut s = path.strip_prefix(first.as_str())?;
        let mut caps = Vec::new();
        let Some((last, middle)) = rest.split_last() else {
            return s.is_empty().then_some(caps);
        };
        for part in middle {
            let at = s.find(part.as_str())?;
            caps.push(&s[..at]);
            s = &s[at + part.len()..];
        }
        let cap = s.strip_suffix(last.as_str())?;
        caps.push(cap);
        Some(caps)
    }

    /// True when `path` matches.
    pub(crate) fn matches(&self, path: &str) -> bool {
        self.captures(path).is_some()
    }
}

/// Replaces `$1`..`$9` in `to` with the captures.
pub(crate) fn substitute(to: &str, caps: &[&str]) -> String {
    let mut out = String::with_capacity(to.len());
    let mut chars = to.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$'
            && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
            && d >= 1
        {
            chars.next();
            out.push_str(caps.get(d as usize - 1).copied().unwrap_or(""));
        } else {
            out.push(c);
        }
    }
    out
}

/// A redirect status: 301, 302, 303, 307 or 308.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u16")]
pub(crate) struct RedirectStatus(pub(crate) u16);

impl TryFrom<u16> for RedirectStatus {
    type Error = String;
    fn try_from(n: u16) -> Result<RedirectStatus, String> {
        match n {
            301 | 302 | 303 | 307 | 308 => Ok(RedirectStatus(n)),
            _ => Err(format!("{n} is not a redirect status (301, 302, 303, 307 or 308)")),
        }
    }
}

/// A header name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct Name(pub(crate) HeaderName);

impl TryFrom<String> for Name {
    type Error = String;
    fn try_from(s: String) -> Result<Name, String> {
        HeaderName::from_bytes(s.as_bytes()).map(Name).map_err(|_| format!("{s:?} is not a valid header name"))
    }
}

/// A header value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct Value(pub(crate) HeaderValue);

impl TryFrom<String> for Value {
    type Error = String;
    fn try_from(s: String) -> Result<Value, String> {
        HeaderValue::from_str(&s).map(Value).map_err(|_| format!("{s:?} is not a valid header value"))
    }
}

/// A basic-auth user: `NAME:HASH`, the hash a bcrypt (`$2b$...`) or argon2 PHC string
/// (`$argon2id$...`); never a plain password.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct User {
    pub(crate) name: String,
    pub(crate) hash: String,
}

impl TryFrom<String> for User {
    type Error = String;
    fn try_from(s: String) -> Result<User, String> {
        let Some((name, hash)) = s.split_once(':') else {
            return Err("a user is NAME:HASH (a bcrypt or argon2 hash)".to_owned());
        };
        if name.is_empty() {
            return Err("a user needs a name before the ':'".to_owned());
        }
        let ok = if hash.starts_with("$2") {
            hash.parse::<bcrypt::HashParts>().is_ok()
        } else if hash.starts_with("$argon2") {
            argon2::PasswordHash::new(hash).is_ok()
        } else {
            false
        };
        if !ok {
            return Err(format!(
                "user {name:?}: the password must be a bcrypt ($2b$...) or argon2 PHC ($argon2id$...) hash, not plain text"
            ));
        }
        Ok(User { name: name.to_owned(), hash: hash.to_owned() })
    }
}

impl User {
    /// Checks a password against the hash (slow by design: run off the runtime threads).
    pub(crate) fn verify(&self, password: &str) -> bool {
        if self.hash.starts_with("$2") {
            bcrypt::verify(password, &self.hash).unwrap_or(false)
        } else {
            use argon2::PasswordVerifier;
            argon2::Argon2::default().verify_password(password.as_bytes(), self.hash.as_str()).is_ok()
        }
    }
}

/// What happens to dotfiles (`.env`, `.git/`; `.well-known` is always served).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Dotfiles {
    /// Served like any file.
    Allow,
    /// 403 Forbidden.
    Deny,
    /// 404 Not Found, as if absent (the default).
    #[default]
    Ignore,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let rows = [
            ("30s", Some(30_000)),
            ("5m", Some(300_000)),
            ("2h", Some(7_200_000)),
            ("1d", Some(86_400_000)),
            ("250ms", Some(250)),
            ("7", Some(7000)),
            ("5x", None),
            ("m", None),
            ("-1s", None),
        ];
        for (s, want) in rows {
            assert_eq!(s.parse::<Span>().ok().map(|d| d.0.as_millis() as u64), want, "{s}");
        }
    }

    #[test]
    fn patterns_and_captures() {
        let rows: [(&str, &str, Option<Vec<&str>>); 8] = [
            ("/old", "/old", Some(vec![])),
            ("/old", "/old/x", None),
            ("/old/*", "/old/a/b.html", Some(vec!["a/b.html"])),
            ("/old/*", "/other", None),
            ("/blog/*/*.html", "/blog/2024/post.html", Some(vec!["2024", "post"])),
            ("/*.php", "/x/index.php", Some(vec!["x/index"])),
            ("/*.php", "/x/index.html", None),
            ("/a*", "/a", Some(vec![""])),
        ];
        for (p, path, want) in rows {
            let pat = Pattern::try_from(p.to_owned()).unwrap();
            assert_eq!(pat.captures(path), want, "{p} {path}");
        }
        assert_eq!(substitute("/new/$1/$2?x=$3", &["a", "b"]), "/new/a/b?x=");
        assert_eq!(substitute("/cost$/$0", &["a"]), "/cost$/$0");
        assert!(Pattern::try_from("old".to_owned()).is_err());
    }

    #[test]
    fn users_need_hashes() {
        let bc = bcrypt::hash("pw", 4).unwrap();
        let u = User::try_from(format!("alice:{bc}")).unwrap();
        assert!(u.verify("pw") && !u.verify("nope"));
        assert!(User::try_from("alice:secret".to_owned()).unwrap_err().contains("not plain text"));
        assert!(User::try_from("alice".to_owned()).is_err());
        assert!(User::try_from(":$2b$04$x".to_owned()).is_err());
        assert!(User::try_from("bob:$argon2id$broken".to_owned()).is_err());
    }
}
