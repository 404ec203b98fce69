//! Access logs: one line per request, in the combined log format of Apache and nginx or
//! as one JSON object per line, with the client's real address (the PROXY protocol or a
//! trusted proxy's `Forwarded`/`X-Forwarded-For`, see [`Cidr`](crate::Cidr)).
//!
//! The engines hand each finished request to a channel; a thread of the log's own formats
//! and writes the lines, flushing whenever the channel runs dry, so a slow disk or a full
//! pipe never stalls a request. Past [`QUEUE`] waiting lines, new ones are dropped (and
//! counted in a warning) rather than buffered without bound.
//!
//! ```text
//! combined: 203.0.113.9 - - [03/Dec/2026:10:15:02 +0000] "GET /a?b=1 HTTP/1.1" 200 5120 "https://ref.example/" "curl/8.5.0"
//! json:     {"time":"2026-12-03T10:15:02Z","client":"203.0.113.9","method":"GET","target":"/a?b=1","protocol":"HTTP/1.1","status":200,"bytes":5120,"duration_ms":0.412,"route":"/a","referer":"https://ref.example/","user_agent":"curl/8.5.0"}
//! ```

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, Method, Version, header};

/// Lines waiting for the writer thread beyond which new ones are dropped.
pub(crate) const QUEUE: usize = 16 * 1024;

/// The line format of an [`AccessLog`].
///
/// ```
/// use http_server::LogFormat;
/// assert_eq!("combined".parse::<LogFormat>(), Ok(LogFormat::Combined));
/// assert_eq!("json".parse::<LogFormat>(), Ok(LogFormat::Json));
/// assert!("xml".parse::<LogFormat>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// The combined log format (Apache, nginx): client, time, request line, status, bytes,
    /// referer, user agent.
    Combined,
    /// One JSON object per line, with the route and the duration too.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "combined" => Ok(LogFormat::Combined),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("unknown access log format {other:?} (combined or json)")),
        }
    }
}

/// What is logged of one request.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) time: SystemTime,
    pub(crate) client: Option<SocketAddr>,
    pub(crate) method: Method,
    /// The request target as received (a clone shares the request's bytes: no copy).
    pub(crate) target: http::Uri,
    pub(crate) version: Version,
    pub(crate) referer: Option<HeaderValue>,
    pub(crate) user_agent: Option<HeaderValue>,
    pub(crate) status: u16,
    pub(crate) bytes: Option<u64>,
    pub(crate) duration: Duration,
    pub(crate) route: Option<Arc<str>>,
}

impl Entry {
    /// What is known when the head arrives; status, bytes and duration come at the end.
    pub(crate) fn start(
        client: Option<SocketAddr>,
        method: &Method,
        uri: &http::Uri,
        version: Version,
        headers: &HeaderMap,
    ) -> Entry {
        Entry {
            time: SystemTime::now(),
            client,
            method: method.clone(),
            target: uri.clone(),
            version,
            referer: headers.get(header::REFERER).cloned(),
            user_agent: headers.get(header::USER_AGENT).cloned(),
            status: 0,
            bytes: None,
            duration: Duration::ZERO,
            route: None,
        }
    }
}

/// Where and how requests are logged; clones share the writer. The first line waits
/// for a binary's `listening on` line when the log goes to stdout through the shared
/// flags (`--access-log`).
///
/// ```
/// use http_server::{AccessLog, LogFormat, ServerOptions};
/// let log = AccessLog::stdout(LogFormat::Combined);
/// let opts = ServerOptions::new().access_log(log);
/// assert!(format!("{opts:?}").contains("Combined"));
/// ```
#[derive(Clone)]
pub struct AccessLog {
    tx: SyncSender<Entry>,
    format: LogFormat,
    #[cfg_attr(not(feature = "cli"), allow(dead_code))] // held and opened by `cli` only
    gate: Arc<Gate>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessLog").field("format", &self.format).finish_non_exhaustive()
    }
}

/// Holds the writer back until opened (see [`AccessLog::held`]).
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
    #[cfg_attr(not(feature = "cli"), allow(dead_code))] // held and opened by `cli` only
    held: AtomicBool,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = self.opened.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl AccessLog {
    /// Logs to standard output.
    ///
    /// ```
    /// let log = http_server::AccessLog::stdout(http_server::LogFormat::Json);
    /// assert_eq!(log.format(), http_server::LogFormat::Json);
    /// ```
    pub fn stdout(format: LogFormat) -> AccessLog {
        AccessLog::to_writer(std::io::stdout(), format)
    }

    /// Appends to the file at `path` (created if missing).
    ///
    /// ```
    /// let path = std::env::temp_dir().join("http-rs-doc-access.log");
    /// let log = http_server::AccessLog::file(&path, http_server::LogFormat::Combined)?;
    /// # drop(log); let _ = std::fs::remove_file(&path);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn file(path: impl AsRef<std::path::Path>, format: LogFormat) -> std::io::Result<AccessLog> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(AccessLog::to_writer(file, format))
    }

    /// Logs to any writer (a pipe, a buffer shared with a test).
    ///
    /// ```
    /// let log = http_server::AccessLog::to_writer(std::io::sink(), http_server::LogFormat::Combined);
    /// assert_eq!(log.format(), http_server::LogFormat::Combined);
    /// ```
    pub fn to_writer(out: impl Write + Send + 'static, format: LogFormat) -> AccessLog {
        let (tx, rx) = sync_channel(QUEUE);
        let gate = Arc::new(Gate { open: Mutex::new(true), ..Default::default() });
        let log = AccessLog { tx, format, gate: gate.clone(), dropped: Arc::new(AtomicU64::new(0)) };
        let spawned =
            std::thread::Builder::new().name("access-log".into()).spawn(move || write_lines(rx, out, format, &gate));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the access log thread; requests are not logged");
        }
        log
    }

    /// The line format.
    ///
    /// ```
    /// let log = http_server::AccessLog::stdout(http_server::LogFormat::Combined);
    /// assert_eq!(log.format(), http_server::LogFormat::Combined);
    /// ```
    pub fn format(&self) -> LogFormat {
        self.format
    }

    /// Writes nothing until [`open`](Self::open) (lines wait in the queue): so that a
    /// binary's first stdout line stays its `listening on` line.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))] // held and opened by `cli` only
    pub(crate) fn held(self) -> AccessLog {
        *self.gate.open.lock().unwrap_or_else(|e| e.into_inner()) = false;
        self.gate.held.store(true, Ordering::Release);
        self
    }

    /// Lets a [`held`](Self::held) log write.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))] // held and opened by `cli` only
    pub(crate) fn open(&self) {
        if self.gate.held.swap(false, Ordering::AcqRel) {
            *self.gate.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
            self.gate.opened.notify_all();
        }
    }

    /// Queues a finished request's line.
    pub(crate) fn log(&self, entry: Entry) {
        match self.tx.try_send(entry) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let n = self.dropped.fetch_add(1, Ordering::Relaxed);
                if n.is_power_of_two() {
                    tracing::warn!(dropped = n + 1, "access log queue full; dropping lines");
                }
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

fn write_lines(rx: Receiver<Entry>, out: impl Write, format: LogFormat, gate: &Gate) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    let mut line = String::with_capacity(512);
    while let Ok(first) = rx.recv() {
        gate.wait();
        let mut next = Some(first);
        while let Some(entry) = next {
            line.clear();
            match format {
                LogFormat::Combined => combined(&mut line, &entry),
                LogFormat::Json => json(&mut line, &entry),
            }
            line.push('\n');
            if out.write_all(line.as_bytes()).is_err() {
                return;
            }
            next = rx.try_recv().ok();
        }
        if out.flush().is_err() {
            return;
        }
    }
}

/// `Thu, 03 Dec 2026 10:15:02 GMT` → (day, month name, year, time).
fn date_parts(t: SystemTime) -> (String, String, String, String) {
    let s = httpdate::fmt_http_date(t);
    let mut p = s.split_whitespace().skip(1).map(str::to_owned);
    let mut next = || p.next().unwrap_or_default();
    (next(), next(), next(), next())
}

fn month_number(name: &str) -> usize {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    MONTHS.iter().position(|m| *m == name).map_or(0, |i| i + 1)
}

fn version_text(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// The request target as it appeared on the request line: origin-form (path and query)
/// when there is one, the whole URI otherwise (authority-form of CONNECT).
fn target_text(uri: &http::Uri) -> std::borrow::Cow<'_, str> {
    uri.path_and_query()
        .map_or_else(|| std::borrow::Cow::Owned(uri.to_string()), |p| std::borrow::Cow::Borrowed(p.as_str()))
}

/// Appends `bytes` for a quoted field of the combined format: `"` and `\` escaped with a
/// backslash, bytes outside printable ASCII as `\xHH` (as nginx writes them).
fn push_escaped(line: &mut String, bytes: &[u8]) {
    use std::fmt::Write as _;
    for &b in bytes {
        match b {
            b'"' => line.push_str("\\\""),
            b'\\' => line.push_str("\\\\"),
            0x20..=0x7e => line.push(b as char),
            _ => {
                let _ = write!(line, "\\x{b:02X}");
            }
        }
    }
}

/// A quoted header field of the combined format, `-` when absent.
fn push_field(line: &mut String, v: Option<&HeaderValue>) {
    match v {
        None => line.push('-'),
        Some(v) => push_escaped(line, v.as_bytes()),
    }
}

fn combined(line: &mut String, e: &Entry) {
    use std::fmt::Write as _;
    let (day, month, year, time) = date_parts(e.time);
    match e.client {
        Some(a) => {
            let _ = write!(line, "{}", a.ip());
        }
        None => line.push('-'),
    }
    let _ = write!(line, " - - [{day}/{month}/{year}:{time} +0000] \"{} ", e.method);
    push_escaped(line, target_text(&e.target).as_bytes());
    let _ = write!(line, " {}\" {} ", version_text(e.version), e.status);
    match e.bytes {
        Some(b) => {
            let _ = write!(line, "{b}");
        }
        None => line.push('-'),
    }
    line.push_str(" \"");
    push_field(line, e.referer.as_ref());
    line.push_str("\" \"");
    push_field(line, e.user_agent.as_ref());
    line.push('"');
}

/// A JSON string literal (RFC 8259 §7); bytes that are not UTF-8 become U+FFFD.
fn json_string(out: &mut String, s: &[u8]) {
    crate::json::push_string(out, &String::from_utf8_lossy(s));
}

fn json(line: &mut String, e: &Entry) {
    use std::fmt::Write as _;
    let (day, month, year, time) = date_parts(e.time);
    let _ = write!(line, "{{\"time\":\"{year}-{:02}-{day}T{time}Z\",\"client\":", month_number(&month));
    match e.client {
        Some(a) => json_string(line, a.ip().to_string().as_bytes()),
        None => line.push_str("null"),
    }
    line.push_str(",\"method\":");
    json_string(line, e.method.as_str().as_bytes());
    line.push_str(",\"target\":");
    json_string(line, target_text(&e.target).as_bytes());
    let _ = write!(line, ",\"protocol\":\"{}\",\"status\":{},\"bytes\":", version_text(e.version), e.status);
    match e.bytes {
        Some(b) => {
            let _ = write!(line, "{b}");
        }
        None => line.push_str("null"),
    }
    let _ = write!(line, ",\"duration_ms\":{:.3},\"route\":", e.duration.as_secs_f64() * 1000.0);
    match &e.route {
        Some(r) => json_string(line, r.as_bytes()),
        None => line.push_str("null"),
    }
    for (name, v) in [("referer", &e.referer), ("user_agent", &e.user_agent)] {
        let _ = write!(line, ",\"{name}\":");
        match v {
            Some(v) => json_string(line, v.as_bytes()),
            None => line.push_str("null"),
        }
    }
    line.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        let mut headers = HeaderMap::new();
        headers.insert(header::USER_AGENT, HeaderValue::from_static("curl/8.5.0"));
        headers.insert(header::REFERER, HeaderValue::from_static("https://ref.example/\"x\""));
        let uri: http::Uri = "/a?b=1".parse().unwrap();
        let mut e =
            Entry::start(Some("203.0.113.9:5000".parse().unwrap()), &Method::GET, &uri, Version::HTTP_11, &headers);
        // 2026-12-03 10:15:02 UTC
        e.time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_292_902);
        e.status = 200;
        e.bytes = Some(5120);
        e.duration = Duration::from_micros(412);
        e.route = Some(Arc::from("/a"));
        e
    }

    #[test]
    fn combined_line() {
        let mut line = String::new();
        combined(&mut line, &entry());
        assert_eq!(
            line,
            r#"203.0.113.9 - - [03/Dec/2026:10:15:02 +0000] "GET /a?b=1 HTTP/1.1" 200 5120 "https://ref.example/\"x\"" "curl/8.5.0""#
        );
    }

    #[test]
    fn json_line() {
        let mut line = String::new();
        json(&mut line, &entry());
        assert_eq!(
            line,
            r#"{"time":"2026-12-03T10:15:02Z","client":"203.0.113.9","method":"GET","target":"/a?b=1","protocol":"HTTP/1.1","status":200,"bytes":5120,"duration_ms":0.412,"route":"/a","referer":"https://ref.example/\"x\"","user_agent":"curl/8.5.0"}"#
        );
    }

    #[test]
    fn absent_fields_table() {
        let mut e = entry();
        e.client = None;
        e.bytes = None;
        e.referer = None;
        e.user_agent = None;
        e.route = None;
        e.target = "/\"%7F\u{e9}".parse().unwrap();
        let (mut c, mut j) = (String::new(), String::new());
        combined(&mut c, &e);
        json(&mut j, &e);
        assert!(c.starts_with("- - - ["), "{c}");
        assert!(c.ends_with(r#""GET /\"%7F\xC3\xA9 HTTP/1.1" 200 - "-" "-""#), "{c}");
        assert!(
            j.contains(r#""client":null"#) && j.contains(r#""bytes":null"#) && j.contains(r#""route":null"#),
            "{j}"
        );
        assert!(j.contains("\"target\":\"/\\\"%7F\u{e9}\""), "{j}");
    }

    #[test]
    fn held_log_writes_after_open() {
        #[derive(Clone, Default)]
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let out = Shared::default();
        let log = AccessLog::to_writer(out.clone(), LogFormat::Combined).held();
        log.log(entry());
        std::thread::sleep(Duration::from_millis(100));
        assert!(out.0.lock().unwrap().is_empty(), "held: nothing written yet");
        log.open();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while out.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "line written after open");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(String::from_utf8_lossy(&out.0.lock().unwrap()).starts_with("203.0.113.9 - - ["));
    }
}
