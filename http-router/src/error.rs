//! Registration errors.

use std::fmt;

/// Why a route could not be registered. Reported when the route is added, never at request
/// time.
///
/// ```
/// use http_router::{Router, RouteError};
/// let r = Router::new().route("GET /users/{id}", |_r: http_core::Request| async { "a" });
/// let err = r.try_route("GET /users/{name}", |_r: http_core::Request| async { "b" }).unwrap_err();
/// assert!(matches!(err, RouteError::Conflict { .. }));
/// assert_eq!(
///     err.to_string(),
///     "route `GET /users/{name}` conflicts with `GET /users/{id}`, registered before: both match the same requests"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteError {
    /// The pattern (or its method) cannot be parsed.
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another route with the same method already matches exactly the same requests.
    Conflict {
        /// The route being added (`METHOD /path`).
        route: String,
        /// The route registered earlier (`METHOD /path`).
        existing: String,
    },
}

impl RouteError {
    pub(crate) fn invalid(pattern: &str, reason: impl Into<String>) -> Self {
        RouteError::InvalidPattern { pattern: pattern.to_owned(), reason: reason.into() }
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::InvalidPattern { pattern, reason } => write!(f, "invalid route `{pattern}`: {reason}"),
            RouteError::Conflict { route, existing } => write!(
                f,
                "route `{route}` conflicts with `{existing}`, registered before: both match the same requests"
            ),
        }
    }
}

impl std::error::Error for RouteError {}
