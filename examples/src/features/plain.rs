//! Plain-string handlers (issue 9): the Langoost `http.serve` quick start, in Rust.
//!
//! | request | answer |
//! |---|---|
//! | GET /health | `{"status": "ok"}` as `application/json` |
//! | POST /echo | the body, back |
//! | GET /greet?name=Ada | `{"message": "Hello, Ada!"}` |
//! | POST /items | `201 {"created": BODY}` → status 201, JSON |
//! | anything else | `404 Not Found` → status 404, text |

/// The handler: `(method, path, query, body) -> String`. A leading `"NNN "` sets the
/// status; a body starting with `{` or `[` is sent as JSON.
pub fn handle(method: &str, path: &str, query: &str, body: &str) -> String {
    match (method, path) {
        (_, "/health") => r#"{"status": "ok"}"#.to_owned(),
        ("POST", "/echo") => body.to_owned(),
        (_, "/greet") => {
            let name = query.split('&').find_map(|kv| kv.strip_prefix("name=")).unwrap_or("World");
            serde_json::json!({ "message": format!("Hello, {name}!") }).to_string()
        }
        ("POST", "/items") => format!("201 {}", serde_json::json!({ "created": body })),
        _ => "404 Not Found".to_owned(),
    }
}
