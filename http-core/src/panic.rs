//! Catching panics in handler futures, so a panic costs one request and not the process.

use std::any::Any;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;

/// Runs `fut`, turning a panic while polling it into `Err(message)`.
///
/// A large future is best pinned where it is built and passed as `Pin<&mut F>` (itself a
/// future), so it is not copied into this one: `catch_panic(std::pin::pin!(fut))`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let r = http_core::catch_panic(async { panic!("boom") }).await;
/// assert_eq!(r.unwrap_err(), "boom");
/// # let ok: Result<u8, _> = http_core::catch_panic(async { 1u8 }).await;
/// # assert_eq!(ok.unwrap(), 1);
/// # }
/// ```
pub async fn catch_panic<F: Future>(fut: F) -> Result<F::Output, String> {
    let mut fut = pin!(fut);
    poll_fn(|cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
        Ok(p) => p.map(Ok),
        Err(payload) => std::task::Poll::Ready(Err(panic_message(&*payload))),
    })
    .await
}

/// The text of a panic payload.
///
/// ```
/// use http_core::panic_message;
/// let payload = std::panic::catch_unwind(|| panic!("disk {} full", 3)).unwrap_err();
/// assert_eq!(panic_message(&*payload), "disk 3 full");
/// let payload = std::panic::catch_unwind(|| std::panic::panic_any(7u8)).unwrap_err();
/// assert_eq!(panic_message(&*payload), "panic with a non-string payload");
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}
