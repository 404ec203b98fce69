//! POST /echo: streams the request body back as it arrives, any size (listen-style).

use http_core::{StatusCode, Stream};

/// Copies the request body to the response chunk by chunk; memory stays bounded by one
/// chunk whatever the body's size. Works the same over HTTP/1.1 and HTTP/2.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{testing, Method, Request};
/// let r = testing::call_stream(&examples::features::echo::echo, Request::new(Method::POST, "/echo").with_body("ping")).await;
/// assert_eq!(r.text(), "ping");
/// # }
/// ```
pub async fn echo(s: &mut Stream) {
    let content_type = s.startread().header("content-type").unwrap_or("application/octet-stream").to_owned();
    let _ = s.setstatus(StatusCode::OK);
    let _ = s.setheader("content-type", &content_type);
    if let Some(len) = s.startread().header("content-length").map(str::to_owned) {
        let _ = s.setheader("content-length", &len);
    }
    loop {
        match s.read_chunk().await {
            Ok(Some(chunk)) => {
                if s.write(chunk).await.is_err() {
                    return;
                }
            }
            Ok(None) => break,
            Err(e) => {
                if !s.is_head_sent() {
                    let _ = s.setstatus(e.status());
                }
                return;
            }
        }
    }
    let _ = s.closewrite().await;
}
