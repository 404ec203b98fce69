//! Directory listings: an HTML page of a folder's entries, sorted by name, each name
//! HTML-escaped in the text and percent-encoded in the link. Opt-in
//! ([`FileServerOptions::listing`](super::FileServerOptions::listing)).

use std::fmt::Write as _;
use std::path::Path;

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
        // Follows symlinks for the kind; a dangling link is listed as a file.
        let is_dir = std::fs::metadata(e.path()).map(|m| m.is_dir()).unwrap_or(false);
        entries.push(Entry { name, is_dir });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// The listing page for the folder at request path `url_path` (decoded, ending in `/`).
pub(crate) fn render(url_path: &str, entries: &[Entry]) -> String {
    let title = html_escape(url_path);
    let mut html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Index of {title}</title></head>\n\
         <body><h1>Index of {title}</h1>\n<ul>\n"
    );
    if url_path != "/" {
        html.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for e in entries {
        let slash = if e.is_dir { "/" } else { "" };
        let _ = writeln!(
            html,
            "<li><a href=\"./{}{slash}\">{}{slash}</a></li>",
            html_escape(&encode_segment(&e.name)),
            html_escape(&e.name)
        );
    }
    html.push_str("</ul>\n</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_escapes_and_encodes() {
        let entries = vec![
            Entry { name: "<script>alert(1)</script>.txt".into(), is_dir: false },
            Entry { name: "a&b".into(), is_dir: true },
            Entry { name: "q\"uote'".into(), is_dir: false },
        ];
        let html = render("/x<y>/", &entries);
        assert!(html.contains("<title>Index of /x&lt;y&gt;/</title>"));
        assert!(html.contains(
            "<a href=\"./%3Cscript%3Ealert%281%29%3C%2Fscript%3E.txt\">&lt;script&gt;alert(1)&lt;/script&gt;.txt</a>"
        ));
        assert!(html.contains("<a href=\"./a%26b/\">a&amp;b/</a>"));
        assert!(html.contains("<a href=\"./q%22uote%27\">q&quot;uote&#39;</a>"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("href=\"../\""));
        assert!(!render("/", &[]).contains("../"));
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(html_escape("<a href='x'>&\""), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
    }
}
