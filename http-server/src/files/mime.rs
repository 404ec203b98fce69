//! Content-Type from a file name: `mime_guess`'s table, with `charset=utf-8` added to text types.

use http_core::HeaderValue;

const OCTETS: &str = "application/octet-stream";

/// The Content-Type for a file name or path, from its extension.
///
/// Text types (`text/*`, JavaScript, JSON, XML, SVG and a few other textual `application/*`
/// types) get `; charset=utf-8`; unknown extensions get `application/octet-stream`.
///
/// ```
/// use http_server::files::content_type_for;
/// assert_eq!(content_type_for("site/app.css"), "text/css; charset=utf-8");
/// assert_eq!(content_type_for("logo.png"), "image/png");
/// assert_eq!(content_type_for("LICENSE"), "application/octet-stream");
/// ```
pub fn content_type_for(name: &str) -> HeaderValue {
    let ext = match name.rsplit_once('.') {
        Some((stem, ext)) if !ext.contains('/') && !stem.ends_with('/') && !stem.is_empty() => ext,
        _ => return HeaderValue::from_static(OCTETS),
    };
    // The common web types, and the few modern ones mime_guess does not know or spells
    // differently, without allocating (this runs once per file response).
    if let Some(&(_, t)) = COMMON.iter().find(|(e, _)| e.eq_ignore_ascii_case(ext)) {
        return HeaderValue::from_static(t);
    }
    from_mime_guess(ext)
}

/// Extension → Content-Type for the types a site serves most, checked before mime_guess.
/// The first six rows override mime_guess; the rest agree with it (a unit test checks).
const COMMON: &[(&str, &str)] = &[
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("cjs", "text/javascript; charset=utf-8"),
    ("wasm", "application/wasm"),
    ("webmanifest", "application/manifest+json; charset=utf-8"),
    ("map", "application/json; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("markdown", "text/markdown; charset=utf-8"),
    ("avif", "image/avif"),
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("json", "application/json; charset=utf-8"),
    ("txt", "text/plain; charset=utf-8"),
    ("svg", "image/svg+xml; charset=utf-8"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("ico", "image/x-icon"),
    ("woff", "application/font-woff"),
    ("woff2", "font/woff2"),
    ("bin", OCTETS),
];

/// The number of leading [`COMMON`] rows that deliberately differ from mime_guess.
#[cfg(test)]
const OVERRIDES: usize = 9;

fn from_mime_guess(ext: &str) -> HeaderValue {
    match mime_guess::from_ext(ext).first() {
        Some(m) => {
            let essence = m.essence_str();
            if is_text(essence) {
                HeaderValue::from_str(&format!("{essence}; charset=utf-8"))
            } else {
                HeaderValue::from_str(essence)
            }
            .unwrap_or_else(|_| HeaderValue::from_static(OCTETS))
        }
        None => HeaderValue::from_static(OCTETS),
    }
}

/// True for media types whose content is text, so a charset parameter applies.
pub(crate) fn is_text(essence: &str) -> bool {
    essence.starts_with("text/")
        || essence.ends_with("+xml")
        || essence.ends_with("+json")
        || matches!(
            essence,
            "application/javascript" | "application/json" | "application/xml" | "application/x-javascript"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let rows = [
            ("index.html", "text/html; charset=utf-8"),
            ("a/b/INDEX.HTM", "text/html; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("mod.mjs", "text/javascript; charset=utf-8"),
            ("data.json", "application/json; charset=utf-8"),
            ("feed.xml", "text/xml; charset=utf-8"),
            ("logo.svg", "image/svg+xml; charset=utf-8"),
            ("notes.txt", "text/plain; charset=utf-8"),
            ("table.csv", "text/csv; charset=utf-8"),
            ("photo.jpg", "image/jpeg"),
            ("font.woff2", "font/woff2"),
            ("doc.pdf", "application/pdf"),
            ("mod.wasm", "application/wasm"),
            ("Makefile", OCTETS),
            (".bashrc", OCTETS),
            ("dir.d/file", OCTETS),
            ("weird.zzzunknown", OCTETS),
        ];
        for (name, want) in rows {
            assert_eq!(content_type_for(name), want, "{name}");
        }
    }

    #[test]
    fn the_fast_table_agrees_with_mime_guess_beyond_its_overrides() {
        for &(ext, t) in &COMMON[OVERRIDES..] {
            assert_eq!(from_mime_guess(ext), t, ".{ext}");
            assert_eq!(content_type_for(&format!("a.{}", ext.to_uppercase())), t, ".{ext} in capitals");
        }
    }
}
