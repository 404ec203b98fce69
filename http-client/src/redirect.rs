//! Which redirects a client follows (RFC 9110 §15.4): how many, and how each one changes
//! the request — 303, and 301/302 after a POST, become a GET without a body; 307 and 308
//! keep the method and body; Authorization and Cookie are dropped when the redirect
//! leaves the origin.

/// The redirect policy.
///
/// ```
/// use http_client::redirect::Policy;
/// let client = http_client::Client::builder().redirect(Policy::limited(3)).build().unwrap();
/// # drop(client);
/// assert_eq!(Policy::none().max(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    follow: bool,
    max: usize,
}

impl Policy {
    /// Follow up to `max` redirects; one more is an error (so `limited(0)` refuses every
    /// redirect, as curl's `-L --max-redirs 0` does).
    pub fn limited(max: usize) -> Self {
        Policy { follow: true, max }
    }

    /// Follow none: a 3xx comes back as the response.
    pub fn none() -> Self {
        Policy { follow: false, max: 0 }
    }

    /// The most redirects followed.
    pub fn max(&self) -> usize {
        self.max
    }

    pub(crate) fn follows(&self) -> bool {
        self.follow
    }
}

impl Default for Policy {
    /// Up to 10.
    fn default() -> Self {
        Policy::limited(10)
    }
}
