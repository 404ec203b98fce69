//! JSON bodies (feature `json`): [`Request::json`] reads one as a typed value, [`Json`]
//! sends one.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use http_core::{Json, Rejection, Request, StatusCode, testing::TestClient};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct NewUser { name: String }
//! #[derive(Serialize)]
//! struct User { id: u32, name: String }
//!
//! async fn create(mut req: Request) -> Result<(StatusCode, Json<User>), Rejection> {
//!     let new: NewUser = req.json().await?;
//!     Ok((StatusCode::CREATED, Json(User { id: 1, name: new.name })))
//! }
//!
//! let client = TestClient::new(create);
//! let r = client.post("/users").header("content-type", "application/json").body(r#"{"name":"ada"}"#).await;
//! assert_eq!(r.status, 201);
//! assert_eq!(r.text(), r#"{"id":1,"name":"ada"}"#);
//!
//! let r = client.post("/users").header("content-type", "application/json").body("{oops").await;
//! assert_eq!(r.status, 400);
//! let r = client.post("/users").header("content-type", "text/plain").body("{}").await;
//! assert_eq!(r.status, 415);
//! # }
//! ```

use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::rejection::{DEFAULT_BODY_LIMIT, Rejection};
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::testing::{TestRequest, TestResponse};

/// A JSON response: serializes its value with `serde_json`, `Content-Type: application/json`.
/// A value that fails to serialize (a map with non-string keys, a failing `Serialize`
/// impl) is logged as an `ERROR` event and answered 500.
///
/// ```
/// use http_core::{IntoResponse, Json};
/// let r = Json(serde_json::json!({"ok": true})).into_response();
/// assert_eq!(r.header("content-type"), Some("application/json"));
/// assert_eq!(r.body().as_bytes().unwrap(), r#"{"ok":true}"#);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The wrapped value.
    ///
    /// ```
    /// assert_eq!(http_core::Json(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => Response::new(StatusCode::OK)
                .with_header_value(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .with_body(bytes),
            Err(e) => {
                tracing::error!(error = %e, "JSON response failed to serialize; answering 500");
                Response::error(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

/// `application/json`, or any `application/*+json` (RFC 6839), parameters ignored.
fn is_json(media: &str) -> bool {
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// Decodes JSON text into `T`; 400 with serde's explanation (line and column) otherwise.
///
/// ```
/// let n: Vec<u8> = http_core::from_json_slice(b"[1,2]").unwrap();
/// assert_eq!(n, [1, 2]);
/// let e = http_core::from_json_slice::<Vec<u8>>(b"[1,").unwrap_err();
/// assert!(e.is_malformed());
/// ```
pub fn from_json_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Rejection> {
    serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "JSON does not match the expected shape",
            _ => "malformed JSON",
        };
        Rejection::malformed(format!("{what}: {e}"))
    })
}

impl Request {
    /// Reads the body as JSON into `T`, up to [`DEFAULT_BODY_LIMIT`] (2 MiB).
    ///
    /// Fails with a [`Rejection`]: 415 unless `Content-Type` is `application/json` (or
    /// `application/*+json`), 413 past the limit, 400 for malformed JSON or JSON of the
    /// wrong shape. The body is taken from the request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request};
    /// let mut req = Request::new(Method::POST, "/")
    ///     .with_header("content-type", "application/json; charset=utf-8")
    ///     .with_body("[1, 2, 3]");
    /// let v: Vec<u32> = req.json().await.unwrap();
    /// assert_eq!(v, [1, 2, 3]);
    /// # }
    /// ```
    pub async fn json<T: DeserializeOwned>(&mut self) -> Result<T, Rejection> {
        self.json_limit(DEFAULT_BODY_LIMIT).await
    }

    /// [`json`](Request::json) with a body limit of `limit` bytes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request};
    /// let mut req = Request::new(Method::POST, "/")
    ///     .with_header("content-type", "application/json")
    ///     .with_body("[1, 2, 3]");
    /// let err = req.json_limit::<Vec<u32>>(4).await.unwrap_err();
    /// assert_eq!(err.status(), 413);
    /// # }
    /// ```
    pub async fn json_limit<T: DeserializeOwned>(&mut self, limit: usize) -> Result<T, Rejection> {
        Rejection::check_content_type(self.headers(), "application/json", is_json)?;
        let bytes = Rejection::read_body(self, limit).await?;
        from_json_slice(&bytes)
    }
}

impl TestResponse {
    /// The body decoded as JSON into `T`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Json, Request, testing::TestClient};
    /// let client = TestClient::new(|_r: Request| async { Json(vec![1, 2]) });
    /// let v: Vec<i32> = client.get("/").await.json().unwrap();
    /// assert_eq!(v, [1, 2]);
    /// # }
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

impl TestRequest<'_> {
    /// Sets the body to `value` as JSON, with `Content-Type: application/json`.
    ///
    /// # Panics
    /// When `value` cannot be serialized.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let client = TestClient::new(|mut r: Request| async move {
    ///     let v: Vec<u8> = r.json().await.unwrap();
    ///     v.len().to_string()
    /// });
    /// assert_eq!(client.post("/").json(&[1, 2, 3]).await.text(), "3");
    /// # }
    /// ```
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).expect("a serializable test body");
        self.header("content-type", "application/json").body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        name: String,
        qty: u32,
    }

    fn post(ct: Option<&str>, body: &'static str) -> Request {
        let req = Request::new(Method::POST, "/").with_body(body);
        match ct {
            Some(ct) => req.with_header("content-type", ct),
            None => req,
        }
    }

    #[tokio::test]
    async fn typed_json_errors_table() {
        let ok = r#"{"name":"a","qty":2}"#;
        let cases: &[(Option<&str>, &'static str, u16, &str)] = &[
            (Some("application/json"), ok, 200, ""),
            (Some("Application/JSON; charset=utf-8"), ok, 200, ""),
            (Some("application/vnd.api+json"), ok, 200, ""),
            (Some("text/plain"), ok, 415, "expected Content-Type application/json, got text/plain"),
            (None, ok, 415, "got none"),
            (Some("application/json"), r#"{"name":"a","qty":"#, 400, "malformed JSON"),
            (Some("application/json"), r#"{"name":"a"}"#, 400, "missing field `qty`"),
            (Some("application/json"), r#"{"name":"a","qty":-1}"#, 400, "expected shape"),
            (Some("application/json"), "", 400, "malformed JSON"),
        ];
        for (i, (ct, body, status, msg)) in cases.iter().enumerate() {
            let got = post(*ct, body).json::<Item>().await;
            match got {
                Ok(item) => {
                    assert_eq!(*status, 200, "case {i}");
                    assert_eq!(item, Item { name: "a".into(), qty: 2 }, "case {i}");
                }
                Err(e) => {
                    assert_eq!(e.status().as_u16(), *status, "case {i}: {e}");
                    assert!(e.message().contains(msg), "case {i}: {e}");
                }
            }
        }
    }

    #[tokio::test]
    async fn limit_checked_on_declared_and_actual_length() {
        let mut declared = post(Some("application/json"), "[]").with_header("content-length", "5000");
        assert!(declared.json_limit::<Vec<u8>>(100).await.unwrap_err().is_too_large());
        let frames = vec![Ok::<_, std::io::Error>(bytes::Bytes::from("[1,")), Ok(bytes::Bytes::from("2]"))];
        let mut streamed = Request::new(Method::POST, "/")
            .with_header("content-type", "application/json")
            .with_body(crate::Body::from_bytes_stream(tokio_stream::iter(frames)));
        assert!(streamed.json_limit::<Vec<u8>>(4).await.unwrap_err().is_too_large());
    }

    #[test]
    fn json_response_and_rejection_response() {
        let r = Json(vec!["a"]).into_response();
        assert_eq!((r.status().as_u16(), r.header("content-type")), (200, Some("application/json")));
        let bad: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
        assert_eq!(Json(bad).into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
        let r = Rejection::too_large(10).into_response();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    }
}
