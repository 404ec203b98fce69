//! `application/x-www-form-urlencoded` bodies and query strings decoded into typed values
//! (feature `json`, with `serde_urlencoded`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use http_core::{Rejection, Request, testing::TestClient};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Search { q: String, page: Option<u32> }
//!
//! async fn search(req: Request) -> Result<String, Rejection> {
//!     let s: Search = req.query_as()?;
//!     Ok(format!("{} (page {})", s.q, s.page.unwrap_or(1)))
//! }
//!
//! let client = TestClient::new(search);
//! assert_eq!(client.get("/search?q=rust+http&page=2").await.text(), "rust http (page 2)");
//! assert_eq!(client.get("/search?page=x").await.status, 400);
//! # }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::rejection::{DEFAULT_BODY_LIMIT, Rejection};
use crate::request::Request;
use crate::testing::TestRequest;

const FORM: &str = "application/x-www-form-urlencoded";

/// Decodes `a=1&b=x+y` (percent-decoding, `+` as space) into `T`; 400 otherwise.
///
/// ```
/// use std::collections::HashMap;
/// let m: HashMap<String, String> = http_core::from_urlencoded(b"a=1&b=x+y%21").unwrap();
/// assert_eq!(m["b"], "x y!");
/// assert!(http_core::from_urlencoded::<(u8,)>(b"a=1&b=2").is_err());
/// ```
pub fn from_urlencoded<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Rejection> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| Rejection::malformed(format!("invalid form data: {e}")))
}

impl Request {
    /// Decodes the query string into `T` (an absent query decodes like an empty one, so
    /// `Option` fields and `#[serde(default)]` work); 400 when it does not fit.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// #[derive(Debug, serde::Deserialize)]
    /// struct Page { n: u32, tag: Option<String> }
    /// let p: Page = Request::new(Method::GET, "/?n=3").query_as().unwrap();
    /// assert_eq!((p.n, p.tag), (3, None));
    /// let e = Request::new(Method::GET, "/?n=three").query_as::<Page>().unwrap_err();
    /// assert_eq!(e.status(), 400);
    /// ```
    pub fn query_as<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        serde_urlencoded::from_str(self.query().unwrap_or(""))
            .map_err(|e| Rejection::malformed(format!("invalid query string: {e}")))
    }

    /// Reads an `application/x-www-form-urlencoded` body into `T`, up to
    /// [`DEFAULT_BODY_LIMIT`] (2 MiB): 415 for another `Content-Type`, 413 past the limit,
    /// 400 when it does not decode. The body is taken from the request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request};
    /// #[derive(serde::Deserialize)]
    /// struct Login { user: String, remember: bool }
    /// let mut req = Request::new(Method::POST, "/login")
    ///     .with_header("content-type", "application/x-www-form-urlencoded")
    ///     .with_body("user=ada%40example.org&remember=true");
    /// let l: Login = req.form().await.unwrap();
    /// assert_eq!((l.user.as_str(), l.remember), ("ada@example.org", true));
    /// # }
    /// ```
    pub async fn form<T: DeserializeOwned>(&mut self) -> Result<T, Rejection> {
        self.form_limit(DEFAULT_BODY_LIMIT).await
    }

    /// [`form`](Request::form) with a body limit of `limit` bytes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request};
    /// let mut req = Request::new(Method::POST, "/")
    ///     .with_header("content-type", "application/x-www-form-urlencoded")
    ///     .with_body("a=123456");
    /// assert_eq!(req.form_limit::<Vec<(String, String)>>(4).await.unwrap_err().status(), 413);
    /// # }
    /// ```
    pub async fn form_limit<T: DeserializeOwned>(&mut self, limit: usize) -> Result<T, Rejection> {
        Rejection::check_content_type(self.headers(), FORM, |m| m == FORM)?;
        let bytes = Rejection::read_body(self, limit).await?;
        from_urlencoded(&bytes)
    }
}

impl TestRequest<'_> {
    /// Sets the body to `value` form-encoded, with
    /// `Content-Type: application/x-www-form-urlencoded`.
    ///
    /// # Panics
    /// When `value` cannot be form-encoded (nested structures).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let client = TestClient::new(|mut r: Request| async move {
    ///     let pairs: Vec<(String, String)> = r.form().await.unwrap();
    ///     format!("{pairs:?}")
    /// });
    /// let r = client.post("/").form(&[("a", "1 2")]).await;
    /// assert_eq!(r.text(), r#"[("a", "1 2")]"#);
    /// # }
    /// ```
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_urlencoded::to_string(value).expect("a form-encodable test body");
        self.header("content-type", FORM).body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Signup {
        email: String,
        age: u8,
        #[serde(default)]
        news: bool,
    }

    #[tokio::test]
    async fn form_table() {
        let cases: &[(Option<&str>, &'static str, u16)] = &[
            (Some(FORM), "email=a%40b.c&age=30", 200),
            (Some("application/x-www-form-urlencoded; charset=UTF-8"), "email=a%40b.c&age=30", 200),
            (Some("multipart/form-data"), "email=a%40b.c&age=30", 415),
            (None, "email=a%40b.c&age=30", 415),
            (Some(FORM), "email=a%40b.c", 400),
            (Some(FORM), "email=a%40b.c&age=300", 400),
            (Some(FORM), "email=a%40b.c&age=30&news=maybe", 400),
        ];
        for (i, (ct, body, status)) in cases.iter().enumerate() {
            let mut req = Request::new(Method::POST, "/").with_body(*body);
            if let Some(ct) = ct {
                req = req.with_header("content-type", ct);
            }
            match req.form::<Signup>().await {
                Ok(s) => {
                    assert_eq!(*status, 200, "case {i}");
                    assert_eq!(s, Signup { email: "a@b.c".into(), age: 30, news: false });
                }
                Err(e) => assert_eq!(e.status().as_u16(), *status, "case {i}: {e}"),
            }
        }
    }

    #[test]
    fn query_without_query_string_decodes_as_empty() {
        #[derive(Deserialize)]
        struct Q {
            page: Option<u32>,
        }
        let q: Q = Request::new(Method::GET, "/").query_as().unwrap();
        assert_eq!(q.page, None);
        let e = Request::new(Method::GET, "/").query_as::<Signup>().unwrap_err();
        assert!(e.is_malformed(), "{e}");
        assert!(e.message().contains("missing field"), "{e}");
    }
}
