//! The fileserver's configuration: a TOML file (`--config FILE`) with every command-line
//! option (same names as the flags) plus per-path rules; `FILESERVER_<KEY>` environment
//! variables override the file, and flags override both. Errors name the file, line,
//! column and key, or the variable.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::types::{Dotfiles, Name, Pattern, RedirectStatus, Span, User, Value};

/// Everything the fileserver can be told. Relative paths in a file are relative to the
/// file's folder.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Config {
    pub(crate) root: Option<PathBuf>,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) workers: Option<usize>,
    pub(crate) tls_cert: Option<PathBuf>,
    pub(crate) tls_key: Option<PathBuf>,
    pub(crate) spa: Option<String>,
    pub(crate) index: Option<String>,
    pub(crate) cache_control: Option<Value>,
    pub(crate) fingerprinted_cache_control: Option<Value>,
    pub(crate) listing: Option<bool>,
    pub(crate) precompressed: Option<bool>,
    pub(crate) compress: Option<bool>,
    pub(crate) compress_min_size: Option<u64>,
    pub(crate) cache_bytes: Option<usize>,
    pub(crate) metadata_ttl: Option<Span>,
    pub(crate) weak_etags: Option<bool>,
    pub(crate) io_threads: Option<bool>,
    pub(crate) quiet: Option<bool>,
    pub(crate) security_headers: Option<bool>,
    pub(crate) dotfiles: Option<Dotfiles>,
    pub(crate) follow_symlinks: Option<bool>,
    pub(crate) maintenance: Option<String>,
    pub(crate) retry_after: Option<Span>,
    #[serde(default)]
    pub(crate) error_pages: BTreeMap<ErrorStatus, String>,
    #[serde(default)]
    pub(crate) redirect: Vec<Redirect>,
    #[serde(default)]
    pub(crate) rewrite: Vec<Rewrite>,
    #[serde(default)]
    pub(crate) headers: Vec<HeaderRule>,
    pub(crate) try_files: Option<Vec<String>>,
    pub(crate) basic_auth: Option<BasicAuth>,
    pub(crate) cors: Option<Cors>,
    #[serde(default)]
    pub(crate) vhost: Vec<Vhost>,
}

/// An error status (400..=599) that can have a custom page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct ErrorStatus(pub(crate) u16);

impl TryFrom<String> for ErrorStatus {
    type Error = String;
    fn try_from(s: String) -> Result<ErrorStatus, String> {
        match s.parse::<u16>() {
            Ok(n @ 400..=599) => Ok(ErrorStatus(n)),
            _ => Err(format!("{s:?} is not an error status (400 to 599)")),
        }
    }
}

/// `[[redirect]]`: `from` (a pattern), `to` (with `$1`..), `status` (default 301).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Redirect {
    pub(crate) from: Pattern,
    pub(crate) to: String,
    pub(crate) status: Option<RedirectStatus>,
}

/// `[[rewrite]]`: serve `to` (with `$1`..) for paths matching `from`; the URL stays.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rewrite {
    pub(crate) from: Pattern,
    pub(crate) to: String,
}

/// `[[headers]]`: `path` (a pattern) and `set`, a table of headers added to its answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HeaderRule {
    pub(crate) path: Pattern,
    pub(crate) set: HashMap<Name, Value>,
}

/// `[basic-auth]`: a path prefix (default `/`), a realm, and users as `NAME:HASH`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BasicAuth {
    #[serde(default = "slash")]
    pub(crate) path: String,
    pub(crate) realm: Option<String>,
    pub(crate) users: Vec<User>,
}

fn slash() -> String {
    "/".to_owned()
}

/// `[cors]`: allowed origins (`*` for any), methods, request headers, preflight max age.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Cors {
    pub(crate) allow_origins: Vec<String>,
    pub(crate) allow_methods: Option<Vec<String>>,
    pub(crate) allow_headers: Option<Vec<String>>,
    pub(crate) max_age: Option<Span>,
}

/// `[[vhost]]`: a root (and optionally an SPA shell and index name) for one Host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Vhost {
    pub(crate) host: String,
    pub(crate) root: PathBuf,
    pub(crate) spa: Option<String>,
}

/// Reads and checks a config file; relative paths become relative to its folder.
pub(crate) fn load(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut c: Config = toml::from_str(&text).map_err(|e| describe(path, &text, &e))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let fix = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = dir.join(&*p);
        }
    };
    c.root.as_mut().map(fix);
    c.tls_cert.as_mut().map(fix);
    c.tls_key.as_mut().map(fix);
    c.vhost.iter_mut().for_each(|v| fix(&mut v.root));
    Ok(c)
}

/// `FILE:LINE:COL: key `K`: MESSAGE` for a TOML error.
fn describe(path: &Path, text: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else { return format!("{}: {}", path.display(), e.message()) };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let mut key = line_text.split_once('=').map(|(k, _)| k.trim().trim_matches('"').to_owned());
    let section = text[..before.rfind('\n').map_or(0, |i| i + 1)]
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix('[').map(|s| s.trim_matches(|c| c == '[' || c == ']').trim().to_owned()));
    if let (Some(k), Some(sec)) = (&key, section) {
        key = Some(format!("{sec}.{k}"));
    }
    let key = key.map(|k| format!("key `{k}`: ")).unwrap_or_default();
    format!("{}:{line}:{col}: {key}{}", path.display(), e.message().trim())
}

/// Applies `FILESERVER_<KEY>` variables (KEY is the option's name in upper case with `_`
/// for `-`): the value is read as TOML (`8080`, `true`, `["a", "b"]`) or else as a string.
pub(crate) fn apply_env(config: &mut Config, vars: impl IntoIterator<Item = (String, String)>) -> Result<(), String> {
    for (var, raw) in vars {
        let Some(key) = var.strip_prefix("FILESERVER_") else { continue };
        let key = key.to_ascii_lowercase().replace('_', "-");
        let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(raw.clone()));
        let mut table = toml::Table::new();
        table.insert(key.clone(), value);
        let one: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| format!("environment variable {var}: {}", e.message().trim()))?;
        merge(config, one);
    }
    Ok(())
}

/// Sets in `base` every option `over` sets (lists and tables are added to, `over`'s first).
pub(crate) fn merge(base: &mut Config, over: Config) {
    macro_rules! take {
        ($($f:ident),*) => { $( if over.$f.is_some() { base.$f = over.$f; } )* };
    }
    take!(
        root,
        host,
        port,
        workers,
        tls_cert,
        tls_key,
        spa,
        index,
        cache_control,
        fingerprinted_cache_control,
        listing,
        precompressed,
        compress,
        compress_min_size,
        cache_bytes,
        metadata_ttl,
        weak_etags,
        io_threads,
        quiet,
        security_headers,
        dotfiles,
        follow_symlinks,
        maintenance,
        retry_after,
        try_files,
        basic_auth,
        cors
    );
    base.error_pages.extend(over.error_pages);
    base.redirect.splice(0..0, over.redirect);
    base.rewrite.splice(0..0, over.rewrite);
    base.headers.splice(0..0, over.headers);
    base.vhost.splice(0..0, over.vhost);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config, String> {
        let dir = std::env::temp_dir().join(format!("fileserver-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("c{:x}.toml", text.len() * 31 + text.bytes().map(usize::from).sum::<usize>()));
        std::fs::write(&path, text).unwrap();
        let r = load(&path).map_err(|e| e.replace(&path.display().to_string(), "FILE"));
        let _ = std::fs::remove_file(&path);
        r
    }

    #[test]
    fn error_table() {
        let rows = [
            ("port = \"x\"", "FILE:1:8: key `port`: invalid type: string \"x\", expected u16"),
            ("prot = 1", "FILE:1:1: key `prot`: unknown field `prot`"),
            ("port = 1\nspa = 3", "FILE:2:7: key `spa`: invalid type: integer `3`, expected a string"),
            ("retry-after = \"5x\"", "FILE:1:15: key `retry-after`: \"5x\" is not a duration"),
            ("dotfiles = \"hide\"", "FILE:1:12: key `dotfiles`: unknown variant `hide`"),
            (
                "[[redirect]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 200",
                "FILE:4:10: key `redirect.status`: 200 is not a redirect status",
            ),
            (
                "[[redirect]]\nfrom = \"a\"\nto = \"/b\"",
                "FILE:2:8: key `redirect.from`: \"a\": a path pattern starts with /",
            ),
            (
                "[basic-auth]\nusers = [\"al:plain\"]",
                "FILE:2:9: key `basic-auth.users`: user \"al\": the password must be a bcrypt",
            ),
            ("[error-pages]\n200 = \"x.html\"", "FILE:2:1: key `error-pages.200`: \"200\" is not an error status"),
            (
                "[[headers]]\npath = \"/a/*\"\nset = { \"bad header\" = \"x\" }",
                "FILE:3:9: key `headers.set`: \"bad header\" is not a valid header name",
            ),
            ("cache-control = \"a\\nb\"", "FILE:1:17: key `cache-control`: \"a\\nb\" is not a valid header value"),
            ("port = ", "FILE:1:8: key `port`: string values must be quoted"),
        ];
        for (text, want) in rows {
            let got = load_text(text).unwrap_err();
            assert!(got.starts_with(want), "{text:?}\n got: {got}\nwant: {want}");
        }
    }

    #[test]
    fn a_full_file_loads_with_paths_relative_to_it() {
        let c = load_text(
            "root = \"site\"\nport = 9000\nretry-after = \"5m\"\ndotfiles = \"deny\"\n\
             [error-pages]\n404 = \"404.html\"\n[[redirect]]\nfrom = \"/old/*\"\nto = \"/new/$1\"\nstatus = 308\n\
             [cors]\nallow-origins = [\"https://a.example\"]\nmax-age = \"10m\"\n",
        )
        .unwrap();
        assert!(c.root.unwrap().ends_with(format!("fileserver-config-{}/site", std::process::id())));
        assert_eq!((c.port, c.dotfiles), (Some(9000), Some(Dotfiles::Deny)));
        assert_eq!(c.retry_after.unwrap().0.as_secs(), 300);
        assert_eq!(c.error_pages[&ErrorStatus(404)], "404.html");
        assert_eq!(c.redirect[0].status, Some(RedirectStatus(308)));
        assert_eq!(c.cors.unwrap().max_age.unwrap().0.as_secs(), 600);
    }

    #[test]
    fn environment_overrides_and_names_the_variable() {
        let mut c = Config { port: Some(1), spa: Some("a.html".into()), ..Config::default() };
        let vars = [
            ("FILESERVER_PORT", "9001"),
            ("FILESERVER_COMPRESS", "false"),
            ("FILESERVER_SPA", "app.html"),
            ("HOME", "/x"),
        ];
        apply_env(&mut c, vars.map(|(k, v)| (k.to_owned(), v.to_owned()))).unwrap();
        assert_eq!((c.port, c.compress, c.spa.as_deref()), (Some(9001), Some(false), Some("app.html")));
        let err = apply_env(&mut c, [("FILESERVER_PORT".to_owned(), "http".to_owned())]).unwrap_err();
        assert!(err.starts_with("environment variable FILESERVER_PORT: invalid type"), "{err}");
        let err = apply_env(&mut c, [("FILESERVER_NOPE".to_owned(), "1".to_owned())]).unwrap_err();
        assert!(err.contains("unknown field `nope`"), "{err}");
        let err = apply_env(&mut c, [("FILESERVER_RETRY_AFTER".to_owned(), "soon".to_owned())]).unwrap_err();
        assert!(err.contains("\"soon\" is not a duration"), "{err}");
    }
}
