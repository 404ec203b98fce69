//! Catching panics in handler futures, so a panic costs one request and not the process.

use std::any::Any;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;

/// Runs `fut`, turning a panic while polling it into `Err(message)`.
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
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}
