//! GET /trailers: body `abc` with trailer `x-checksum` (its MD5), declared up front with
//! `Trailer: x-checksum`. HTTP/1.1 sends it in the last chunk when the request carried
//! `TE: trailers`; HTTP/2 sends it as a trailing HEADERS frame.

use http_core::{StatusCode, Stream};

/// MD5 of `abc` (RFC 1321 test suite).
pub const ABC_MD5: &str = "900150983cd24fb0d6963f7d28e17f72";

/// The listen-style handler.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{testing, Method, Request};
/// let r = testing::call_stream(&examples::features::trailers::trailers, Request::new(Method::GET, "/trailers")).await;
/// assert_eq!(r.text(), "abc");
/// assert_eq!(r.trailers.unwrap()["x-checksum"], examples::features::trailers::ABC_MD5);
/// # }
/// ```
pub async fn trailers(s: &mut Stream) {
    let _ = s.setstatus(StatusCode::OK);
    let _ = s.setheader("content-type", "text/plain; charset=utf-8");
    let _ = s.setheader("trailer", "x-checksum");
    if s.write("abc").await.is_err() {
        return;
    }
    let _ = s.addtrailer("x-checksum", ABC_MD5);
    let _ = s.closewrite().await;
}
