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
    // A few modern types mime_guess may not know or spells differently.
    let fixed = match ext.to_ascii_lowercase().as_str() {
        "js" | "mjs" | "cjs" => Some("text/javascript; charset=utf-8"),
        "wasm" => Some("application/wasm"),
        "webmanifest" => Some("application/manifest+json; charset=utf-8"),
        "map" => Some("application/json; charset=utf-8"),
        "md" | "markdown" => Some("text/markdown; charset=utf-8"),
        "avif" => Some("image/avif"),
        _ => None,
    };
    if let Some(t) = fixed {
        return HeaderValue::from_static(t);
    }
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
}
