//! Deferred replies: a handler parks its request under an id and waits; any other task
//! answers it later by that id — the callback style where each request carries an id and
//! a separate call sends its response. A parked request that gets no answer before its
//! deadline is answered 504 Gateway Timeout (RFC 9110 §15.6.5: the answer it waited
//! for did not arrive in time).
//!
//! [`Deferred`] is the registry (clone it into every place that parks or answers);
//! [`Parked`] is the waiting side, held by the handler; [`Responder`] is the answering
//! side, taken out of the registry by id. Parking is bounded ([`Deferred::max_pending`]),
//! and a request whose client goes away leaves the registry when its handler is dropped.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::context::Deadline;
use crate::response::{IntoResponse, Response};

/// How many requests a [`Deferred`] holds at once unless told otherwise.
pub const DEFAULT_MAX_PENDING: usize = 10_000;

/// The registry of parked requests. Cloning shares it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use http_core::{Deferred, Request, Response, testing::TestClient};
///
/// let deferred = Deferred::new(Duration::from_secs(30));
/// let parking = deferred.clone();
/// // GET /wait/{anything}: parks the request under that id until someone answers.
/// let app = move |req: Request| {
///     let parking = parking.clone();
///     async move {
///         match parking.park_as(req.path().trim_start_matches("/wait/"), None) {
///             Ok(parked) => parked.wait().await,
///             Err(e) => Response::error(e.status()),
///         }
///     }
/// };
/// let client = TestClient::new(app);
/// let waiting = tokio::spawn(async move { client.get("/wait/job-7").await });
/// while deferred.pending().is_empty() {
///     tokio::task::yield_now().await;
/// }
/// assert_eq!(deferred.pending(), ["job-7"]);
/// deferred.respond("job-7", "done").unwrap(); // from any task
/// assert_eq!(waiting.await.unwrap().text(), "done");
/// assert!(deferred.respond("job-7", "again").is_err(), "answered once only");
/// # }
/// ```
#[derive(Clone)]
pub struct Deferred {
    inner: Arc<Mutex<Registry>>,
    deadline: Duration,
    max_pending: usize,
}

struct Registry {
    waiting: HashMap<String, Slot>,
    next_id: u64,
    next_ticket: u64,
}

/// A parked request's entry: the sending half and the ticket of the [`Parked`] that owns
/// it (so a dropped `Parked` removes its own entry, never a later one with the same id).
struct Slot {
    ticket: u64,
    tx: oneshot::Sender<Response>,
    deadline: Deadline,
}

impl fmt::Debug for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deferred")
            .field("pending", &self.len())
            .field("deadline", &self.deadline)
            .field("max_pending", &self.max_pending)
            .finish()
    }
}

impl Deferred {
    /// A registry whose parked requests wait at most `deadline` each (unless parked with
    /// their own), holding at most [`DEFAULT_MAX_PENDING`] at once.
    ///
    /// ```
    /// let d = http_core::Deferred::new(std::time::Duration::from_secs(5));
    /// assert!(d.is_empty());
    /// ```
    pub fn new(deadline: Duration) -> Self {
        Deferred {
            inner: Arc::new(Mutex::new(Registry { waiting: HashMap::new(), next_id: 1, next_ticket: 1 })),
            deadline,
            max_pending: DEFAULT_MAX_PENDING,
        }
    }

    /// At most `n` requests parked at once; parking one more fails with
    /// [`ParkError::Full`] (503).
    ///
    /// ```
    /// use std::time::Duration;
    /// use http_core::{Deferred, ParkError};
    /// let d = Deferred::new(Duration::from_secs(5)).max_pending(1);
    /// let _first = d.park(None).unwrap();
    /// assert_eq!(d.park(None).unwrap_err(), ParkError::Full);
    /// ```
    pub fn max_pending(mut self, n: usize) -> Self {
        self.max_pending = n;
        self
    }

    /// Parks a request under a fresh id (`"1"`, `"2"`, … — read it with [`Parked::id`]
    /// and hand it to whoever will answer). `deadline` overrides the registry's.
    ///
    /// ```
    /// let d = http_core::Deferred::new(std::time::Duration::from_secs(5));
    /// let (a, b) = (d.park(None).unwrap(), d.park(None).unwrap());
    /// assert_ne!(a.id(), b.id());
    /// assert_eq!(d.len(), 2);
    /// ```
    pub fn park(&self, deadline: Option<Duration>) -> Result<Parked, ParkError> {
        let mut reg = self.lock();
        let id = loop {
            let id = reg.next_id.to_string();
            reg.next_id += 1;
            if !reg.waiting.contains_key(&id) {
                break id;
            }
        };
        self.insert(&mut reg, id, deadline)
    }

    /// Parks a request under `id`, chosen by the caller (a job number, a client's token).
    /// Fails with [`ParkError::IdInUse`] (409) while another request waits under it.
    ///
    /// ```
    /// use http_core::{Deferred, ParkError};
    /// let d = Deferred::new(std::time::Duration::from_secs(5));
    /// let parked = d.park_as("job-1", None).unwrap();
    /// assert_eq!(parked.id(), "job-1");
    /// assert_eq!(d.park_as("job-1", None).unwrap_err(), ParkError::IdInUse);
    /// drop(parked); // its handler went away: the id is free again
    /// assert!(d.park_as("job-1", None).is_ok());
    /// ```
    pub fn park_as(&self, id: impl Into<String>, deadline: Option<Duration>) -> Result<Parked, ParkError> {
        let id = id.into();
        let mut reg = self.lock();
        if reg.waiting.contains_key(&id) {
            return Err(ParkError::IdInUse);
        }
        self.insert(&mut reg, id, deadline)
    }

    fn insert(&self, reg: &mut Registry, id: String, deadline: Option<Duration>) -> Result<Parked, ParkError> {
        if reg.waiting.len() >= self.max_pending {
            return Err(ParkError::Full);
        }
        let ticket = reg.next_ticket;
        reg.next_ticket += 1;
        let deadline = Deadline::after(deadline.unwrap_or(self.deadline));
        let (tx, rx) = oneshot::channel();
        reg.waiting.insert(id.clone(), Slot { ticket, tx, deadline });
        Ok(Parked { id, ticket, deadline, rx, owner: self.clone() })
    }

    /// Takes the answering handle of the request parked under `id`, if one waits. The id
    /// leaves the registry: nobody else can answer it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let d = http_core::Deferred::new(std::time::Duration::from_secs(5));
    /// let parked = d.park_as("a", None).unwrap();
    /// let responder = d.responder("a").unwrap();
    /// assert!(d.responder("a").is_none());
    /// tokio::spawn(async move { responder.send("later").unwrap() });
    /// assert_eq!(parked.wait().await.into_body().collect(100).await.unwrap(), "later");
    /// # }
    /// ```
    pub fn responder(&self, id: &str) -> Option<Responder> {
        let slot = self.lock().waiting.remove(id)?;
        Some(Responder { id: id.to_owned(), tx: slot.tx, deadline: slot.deadline })
    }

    /// Answers the request parked under `id` with `response`. Gives the response back
    /// when no request waits under `id` (never parked, already answered, timed out, or its
    /// client left).
    ///
    /// ```
    /// let d = http_core::Deferred::new(std::time::Duration::from_secs(5));
    /// assert!(d.respond("nobody", "hello").is_err());
    /// ```
    pub fn respond(&self, id: &str, response: impl IntoResponse) -> Result<(), Box<Response>> {
        match self.responder(id) {
            Some(r) => r.send(response),
            None => Err(Box::new(response.into_response())),
        }
    }

    /// The ids of the requests waiting now, sorted.
    ///
    /// ```
    /// let d = http_core::Deferred::new(std::time::Duration::from_secs(5));
    /// let (_b, _a) = (d.park_as("b", None).unwrap(), d.park_as("a", None).unwrap());
    /// assert_eq!(d.pending(), ["a", "b"]);
    /// ```
    pub fn pending(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().waiting.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// How many requests wait now.
    ///
    /// ```
    /// let d = http_core::Deferred::new(std::time::Duration::from_secs(5));
    /// let _p = d.park(None).unwrap();
    /// assert_eq!(d.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.lock().waiting.len()
    }

    /// True when no request waits.
    ///
    /// ```
    /// assert!(http_core::Deferred::new(std::time::Duration::from_secs(1)).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes `id`'s entry if it still belongs to `ticket`.
    fn release(&self, id: &str, ticket: u64) {
        let mut reg = self.lock();
        if reg.waiting.get(id).is_some_and(|s| s.ticket == ticket) {
            reg.waiting.remove(id);
        }
    }

    // No code runs user callbacks under the lock; a poisoned lock still guards a whole map.
    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A parked request's waiting side, held by its handler: [`wait`](Self::wait) for the
/// answer. Dropping it (the client went away and the server dropped the handler) removes
/// the id from the registry.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use http_core::{Deferred, StatusCode};
/// let d = Deferred::new(Duration::from_millis(20));
/// let parked = d.park(None).unwrap();
/// assert_eq!(parked.wait().await.status(), StatusCode::GATEWAY_TIMEOUT); // nobody answered
/// assert!(d.is_empty());
/// # }
/// ```
pub struct Parked {
    id: String,
    ticket: u64,
    deadline: Deadline,
    rx: oneshot::Receiver<Response>,
    owner: Deferred,
}

impl fmt::Debug for Parked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parked").field("id", &self.id).field("deadline", &self.deadline).finish()
    }
}

impl Parked {
    /// The id to answer this request by.
    ///
    /// ```
    /// let d = http_core::Deferred::new(std::time::Duration::from_secs(1));
    /// assert_eq!(d.park_as("x", None).unwrap().id(), "x");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When the request stops waiting.
    ///
    /// ```
    /// use std::time::Duration;
    /// let d = http_core::Deferred::new(Duration::from_secs(60));
    /// let p = d.park(Some(Duration::from_secs(1))).unwrap();
    /// assert!(p.deadline().remaining() <= Duration::from_secs(1));
    /// ```
    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// The answer sent by id; or 504 Gateway Timeout when none came before the deadline;
    /// or 500 when the [`Responder`] was dropped without answering.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Deferred, StatusCode};
    /// let d = Deferred::new(std::time::Duration::from_secs(5));
    /// let parked = d.park_as("j", None).unwrap();
    /// drop(d.responder("j")); // taken, never answered
    /// assert_eq!(parked.wait().await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    /// # }
    /// ```
    pub async fn wait(mut self) -> Response {
        let answer = tokio::time::timeout_at(self.deadline.instant().into(), &mut self.rx).await;
        match answer {
            Ok(Ok(response)) => response,
            Ok(Err(_)) => {
                tracing::warn!(id = %self.id, "a deferred reply's responder was dropped without answering");
                Response::error(http::StatusCode::INTERNAL_SERVER_ERROR)
            }
            // `Drop` removes the id, so a late answer finds nobody waiting.
            Err(_) => Response::error(http::StatusCode::GATEWAY_TIMEOUT),
        }
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        self.owner.release(&self.id, self.ticket);
    }
}

/// The answering side of one parked request, taken from the registry by
/// [`Deferred::responder`]; move it to whatever task produces the answer.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let d = http_core::Deferred::new(std::time::Duration::from_secs(5));
/// let parked = d.park(None).unwrap();
/// let responder = d.responder(parked.id()).unwrap();
/// assert!(!responder.is_closed());
/// drop(parked); // the client left
/// assert!(responder.is_closed());
/// assert!(responder.send("too late").is_err());
/// # }
/// ```
pub struct Responder {
    id: String,
    tx: oneshot::Sender<Response>,
    deadline: Deadline,
}

impl fmt::Debug for Responder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Responder").field("id", &self.id).field("deadline", &self.deadline).finish()
    }
}

impl Responder {
    /// The id the request was parked under.
    ///
    /// ```
    /// let d = http_core::Deferred::new(std::time::Duration::from_secs(1));
    /// let _p = d.park_as("q", None).unwrap();
    /// assert_eq!(d.responder("q").unwrap().id(), "q");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When the request stops waiting (after it, [`send`](Self::send) fails).
    ///
    /// ```
    /// use std::time::Duration;
    /// let d = http_core::Deferred::new(Duration::from_secs(9));
    /// let _p = d.park_as("q", None).unwrap();
    /// assert!(d.responder("q").unwrap().deadline().remaining() > Duration::from_secs(8));
    /// ```
    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// True once nobody waits any more (timed out, or the client left).
    ///
    /// ```
    /// let d = http_core::Deferred::new(std::time::Duration::from_secs(1));
    /// let p = d.park_as("q", None).unwrap();
    /// let r = d.responder("q").unwrap();
    /// assert!(!r.is_closed());
    /// drop(p);
    /// assert!(r.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Sends the answer; gives it back when the request no longer waits.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Deferred, StatusCode};
    /// let d = Deferred::new(std::time::Duration::from_secs(1));
    /// let p = d.park_as("q", None).unwrap();
    /// d.responder("q").unwrap().send((StatusCode::CREATED, "made")).unwrap();
    /// assert_eq!(p.wait().await.status(), StatusCode::CREATED);
    /// # }
    /// ```
    pub fn send(self, response: impl IntoResponse) -> Result<(), Box<Response>> {
        self.tx.send(response.into_response()).map_err(Box::new)
    }
}

/// Why a request could not be parked.
///
/// ```
/// use http_core::{ParkError, StatusCode};
/// assert_eq!(ParkError::IdInUse.status(), StatusCode::CONFLICT);
/// assert_eq!(ParkError::Full.status(), StatusCode::SERVICE_UNAVAILABLE);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParkError {
    /// Another request already waits under this id.
    IdInUse,
    /// [`Deferred::max_pending`] requests already wait.
    Full,
}

impl ParkError {
    /// The status to answer the request that could not be parked: 409 or 503.
    ///
    /// ```
    /// assert_eq!(http_core::ParkError::Full.status().as_u16(), 503);
    /// ```
    pub fn status(self) -> http::StatusCode {
        match self {
            ParkError::IdInUse => http::StatusCode::CONFLICT,
            ParkError::Full => http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl fmt::Display for ParkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParkError::IdInUse => "a request is already parked under this id",
            ParkError::Full => "too many parked requests",
        })
    }
}

impl std::error::Error for ParkError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_reach_the_right_request() {
        let d = Deferred::new(Duration::from_secs(5));
        let parked: Vec<Parked> = (0..3).map(|_| d.park(None).unwrap()).collect();
        let ids: Vec<String> = parked.iter().map(|p| p.id().to_owned()).collect();
        let waits: Vec<_> = parked.into_iter().map(|p| tokio::spawn(p.wait())).collect();
        for id in ids.iter().rev() {
            d.respond(id, format!("for {id}")).unwrap();
        }
        for (w, id) in waits.into_iter().zip(&ids) {
            let body = w.await.unwrap().into_body().collect(100).await.unwrap();
            assert_eq!(body, format!("for {id}").as_bytes());
        }
        assert!(d.is_empty());
    }

    #[tokio::test]
    async fn timeout_frees_the_id_and_a_late_answer_comes_back() {
        let d = Deferred::new(Duration::from_millis(10));
        let p = d.park_as("x", None).unwrap();
        assert_eq!(p.wait().await.status(), http::StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(d.respond("x", "late").unwrap_err().into_body().collect(10).await.unwrap(), "late");
        assert!(d.park_as("x", None).is_ok(), "the id is free again");
    }

    #[test]
    fn an_old_parked_request_never_removes_a_newer_one() {
        let d = Deferred::new(Duration::from_secs(5));
        let old = d.park_as("x", None).unwrap();
        let r = d.responder("x").unwrap(); // the id leaves the registry
        let newer = d.park_as("x", None).unwrap();
        drop(old);
        assert_eq!(d.pending(), ["x"], "the newer request still waits");
        drop((r, newer));
        assert!(d.is_empty());
    }

    #[test]
    fn fresh_ids_skip_ids_taken_by_hand() {
        let d = Deferred::new(Duration::from_secs(5));
        let _one = d.park_as("1", None).unwrap();
        let auto = d.park(None).unwrap();
        assert_eq!(auto.id(), "2");
    }

    #[test]
    fn park_error_table() {
        let rows = [(ParkError::IdInUse, 409, "already parked"), (ParkError::Full, 503, "too many")];
        for (e, status, text) in rows {
            assert_eq!(e.status().as_u16(), status);
            assert!(e.to_string().contains(text), "{e}");
        }
    }
}
