//! Directory listings: an HTML table of a folder's entries (name, size, modification
//! time; sortable by each with `?sort=name|size|date&order=asc|desc`), each name
//! HTML-escaped in the text and percent-encoded in the link, or the same as JSON for
//! `Accept: application/json` (RFC 9110 §12.5.1). Opt-in
//! ([`FileServerOptions::listing`](super::FileServerOptions::listing)).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes one path segment for a link: everything but unreserved characters.
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) is_dir: bool,
    pub(crate) size: u64,
    pub(crate) modified: Option<SystemTime>,
}

/// Reads `dir`'s entries (blocking), leaving out dotfiles unless `dotfiles`, and names that
/// are not UTF-8. Sorted by name.
pub(crate) fn read_entries(dir: &Path, dotfiles: bool) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let Ok(name) = e.file_name().into_string() else { continue };
        if name.starts_with('.') && !dotfiles {
            continue;
        }
        // Follows symlinks for the kind; a dangling link is listed as an empty file.
        let meta = std::fs::metadata(e.path()).ok();
        let is_dir = meta.as_ref().is_some_and(|m| m.is_dir());
        let size = meta.as_ref().filter(|m| m.is_file()).map_or(0, |m| m.len());
        let modified = meta.and_then(|m| m.modified().ok());
        entries.push(Entry { name, is_dir, size, modified });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// The column a listing is sorted by, and the direction: `?sort=name|size|date` and
/// `&order=asc|desc` (default: by name, ascending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sort {
    key: Key,
    desc: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Name,
    Size,
    Date,
}

impl Sort {
    /// Reads `sort` and `order` from a query string; unknown values mean the default.
    pub(crate) fn from_query(query: Option<&str>) -> Sort {
        let mut sort = Sort { key: Key::Name, desc: false };
        for pair in query.unwrap_or("").split('&') {
            match pair.split_once('=').unwrap_or((pair, "")) {
                ("sort", "size") => sort.key = Key::Size,
                ("sort", "date") => sort.key = Key::Date,
                ("sort", "name") => sort.key = Key::Name,
                ("order", "desc") => sort.desc = true,
                ("order", "asc") => sort.desc = false,
                _ => {}
            }
        }
        sort
    }

    fn apply(self, entries: &mut [Entry]) {
        match self.key {
            Key::Name => entries.sort_by(|a, b| a.name.cmp(&b.name)),
            Key::Size => entries.sort_by(|a, b| a.size.cmp(&b.size).then_with(|| a.name.cmp(&b.name))),
            Key::Date => entries.sort_by(|a, b| a.modified.cmp(&b.modified).then_with(|| a.name.cmp(&b.name))),
        }
        if self.desc {
            entries.reverse();
        }
    }

    fn key_name(key: Key) -> &'static str {
        match key {
            Key::Name => "name",
            Key::Size => "size",
            Key::Date => "date",
        }
    }
}

/// A size for people: bytes below 1 KiB, else KiB, MiB, GiB with one decimal.
fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// RFC 3339 UTC time, to the second (`2024-05-01T12:30:00Z`).
fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86400, secs % 86400);
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The listing page for the folder at request path `url_path` (decoded, ending in `/`): an
/// accessible table (a caption, column headers with `scope` and `aria-sort`) whose headers
/// link to the other sort orders.
pub(crate) fn render(url_path: &str, entries: &[Entry], sort: Sort) -> String {
    let mut entries = entries.to_vec();
    sort.apply(&mut entries);
    let title = html_escape(url_path);
    let dir = if sort.desc { "descending" } else { "ascending" };
    let mut html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Index of {title}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse}}\
         th,td{{padding:.2rem .8rem;text-align:left}}td.n{{text-align:right}}</style></head>\n\
         <body><main><h1>Index of {title}</h1>\n<table>\n<caption>{} entries, sorted by {} ({dir})</caption>\n<thead><tr>",
        entries.len(),
        Sort::key_name(sort.key),
    );
    for (key, label) in [(Key::Name, "Name"), (Key::Size, "Size"), (Key::Date, "Modified")] {
        let current = sort.key == key;
        let next = if current && !sort.desc { "desc" } else { "asc" };
        let aria = if current { format!(" aria-sort=\"{dir}\"") } else { String::new() };
        let _ = write!(
            html,
            "<th scope=\"col\"{aria}><a href=\"?sort={}&amp;order={next}\">{label}</a></th>",
            Sort::key_name(key)
        );
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    if url_path != "/" {
        html.push_str("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
    }
    for e in &entries {
        let slash = if e.is_dir { "/" } else { "" };
        let size = if e.is_dir {
            "<td class=\"n\">—</td>".to_owned()
        } else {
            format!("<td class=\"n\"><data value=\"{}\">{}</data></td>", e.size, human_size(e.size))
        };
        let date = e.modified.map(rfc3339).unwrap_or_default();
        let _ = writeln!(
            html,
            "<tr><td><a href=\"./{}{slash}\">{}{slash}</a></td>{size}<td><time datetime=\"{date}\">{}</time></td></tr>",
            html_escape(&encode_segment(&e.name)),
            html_escape(&e.name),
            date.replace('T', " ").trim_end_matches('Z'),
        );
    }
    html.push_str("</tbody>\n</table>\n</main></body></html>\n");
    html
}

/// The listing as JSON (for `Accept: application/json`): an array of
/// `{"name", "type": "file"|"dir", "size", "modified"}`, in the same order as the page.
pub(crate) fn render_json(entries: &[Entry], sort: Sort) -> String {
    let mut entries = entries.to_vec();
    sort.apply(&mut entries);
    let mut out = String::from("[");
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        crate::json::push_string(&mut out, &e.name);
        let kind = if e.is_dir { "dir" } else { "file" };
        let _ = write!(out, ",\"type\":\"{kind}\",\"size\":{}", e.size);
        match e.modified {
            Some(t) => {
                let _ = write!(out, ",\"modified\":\"{}\"}}", rfc3339(t));
            }
            None => out.push_str(",\"modified\":null}"),
        }
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_escapes_and_encodes() {
        let e = |name: &str, is_dir| Entry { name: name.into(), is_dir, size: 0, modified: None };
        let entries = vec![e("<script>alert(1)</script>.txt", false), e("a&b", true), e("q\"uote'", false)];
        let html = render("/x<y>/", &entries, Sort::from_query(None));
        assert!(html.contains("<title>Index of /x&lt;y&gt;/</title>"));
        assert!(html.contains(
            "<a href=\"./%3Cscript%3Ealert%281%29%3C%2Fscript%3E.txt\">&lt;script&gt;alert(1)&lt;/script&gt;.txt</a>"
        ));
        assert!(html.contains("<a href=\"./a%26b/\">a&amp;b/</a>"));
        assert!(html.contains("<a href=\"./q%22uote%27\">q&quot;uote&#39;</a>"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("href=\"../\""));
        assert!(!render("/", &[], Sort::from_query(None)).contains("../"));
    }

    fn sample() -> Vec<Entry> {
        let t = |s| Some(UNIX_EPOCH + std::time::Duration::from_secs(s));
        vec![
            Entry { name: "b.txt".into(), is_dir: false, size: 5000, modified: t(1_700_000_000) },
            Entry { name: "a\"q.txt".into(), is_dir: false, size: 10, modified: t(1_600_000_000) },
            Entry { name: "c".into(), is_dir: true, size: 0, modified: t(1_650_000_000) },
        ]
    }

    #[test]
    fn sort_table() {
        let rows = [
            (None, ["a\"q.txt", "b.txt", "c"]),
            (Some("sort=name&order=desc"), ["c", "b.txt", "a\"q.txt"]),
            (Some("sort=size"), ["c", "a\"q.txt", "b.txt"]),
            (Some("sort=size&order=desc"), ["b.txt", "a\"q.txt", "c"]),
            (Some("sort=date"), ["a\"q.txt", "c", "b.txt"]),
            (Some("sort=bogus&order=sideways"), ["a\"q.txt", "b.txt", "c"]),
        ];
        for (q, want) in rows {
            let mut e = sample();
            Sort::from_query(q).apply(&mut e);
            let got: Vec<_> = e.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(got, want, "{q:?}");
        }
    }

    #[test]
    fn table_markup_and_json() {
        let html = render("/d/", &sample(), Sort::from_query(Some("sort=size&order=desc")));
        assert!(html.contains("<caption>3 entries, sorted by size (descending)</caption>"), "{html}");
        assert!(
            html.contains(
                "<th scope=\"col\" aria-sort=\"descending\"><a href=\"?sort=size&amp;order=asc\">Size</a></th>"
            )
        );
        assert!(html.contains("<th scope=\"col\"><a href=\"?sort=name&amp;order=asc\">Name</a></th>"));
        assert!(html.contains("<data value=\"5000\">4.9 KiB</data>"));
        assert!(html.contains("<time datetime=\"2023-11-14T22:13:20Z\">2023-11-14 22:13:20</time>"));
        let json = render_json(&sample(), Sort::from_query(None));
        assert_eq!(
            json,
            "[{\"name\":\"a\\\"q.txt\",\"type\":\"file\",\"size\":10,\"modified\":\"2020-09-13T12:26:40Z\"},\
             {\"name\":\"b.txt\",\"type\":\"file\",\"size\":5000,\"modified\":\"2023-11-14T22:13:20Z\"},\
             {\"name\":\"c\",\"type\":\"dir\",\"size\":0,\"modified\":\"2022-04-15T05:20:00Z\"}]"
        );
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(html_escape("<a href='x'>&\""), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
    }
}
