//! Plain-string handlers: `(method, path, query, body) -> String`, the smallest way to
//! write a server.
//!
//! | request | answer |
//! |---|---|
//! | GET /health | `{"status": "ok"}` as `application/json` |
//! | POST /echo | the body, back |
//! | GET /greet?name=Ada%20L. | `{"message": "Hello, Ada L.!"}` (the value percent-decoded) |
//! | POST /items | `201 {"created": BODY}` → status 201, JSON |
//! | anything else | `404 Not Found` → status 404, text |

/// The handler: `(method, path, query, body) -> String`. A leading `"NNN "` sets the
/// status; a body starting with `{` or `[` is sent as JSON.
pub fn handle(method: &str, path: &str, query: &str, body: &str) -> String {
    match (method, path) {
        (_, "/health") => r#"{"status": "ok"}"#.to_owned(),
        ("POST", "/echo") => body.to_owned(),
        (_, "/greet") => {
            let name = http_core::percent::query_param(query, "name").unwrap_or("World".into());
            serde_json::json!({ "message": format!("Hello, {name}!") }).to_string()
        }
        ("POST", "/items") => format!("201 {}", serde_json::json!({ "created": body })),
        _ => "404 Not Found".to_owned(),
    }
}
