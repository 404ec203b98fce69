//! The server-shutdown signal a socket watches ([`WebSocket::close_on`], RFC 6455 §7.4.1
//! code 1001 "going away"), checked on every receive for the price of an atomic load.
//!
//! Polling the cancellation future itself on every receive re-registers the task with the
//! token's waiter list (a lock and a waker comparison each time: about a quarter of the
//! CPU of a small echo). Instead the future is polled with a waker of its own that only
//! raises a flag and wakes the task the socket last ran in; the future is polled again
//! only after that flag was raised.
//!
//! [`WebSocket::close_on`]: super::WebSocket::close_on

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Wake, Waker};

use futures_util::task::AtomicWaker;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// Watches one cancellation token for one socket.
pub(super) struct ShutdownWatch {
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    flag: Arc<Flag>,
    /// The waker last registered in `flag.task`: the same task polling again (the usual
    /// case, several times per message) skips the registration's atomic exchange.
    registered: Option<Waker>,
}

/// The waker the cancellation future holds: raises `woken`, then wakes the socket's task.
struct Flag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl ShutdownWatch {
    pub(super) fn new(token: CancellationToken) -> Self {
        // `woken` starts raised: the first check polls the future, which registers it
        let flag = Arc::new(Flag { woken: AtomicBool::new(true), task: AtomicWaker::new() });
        ShutdownWatch { cancelled: Box::pin(token.cancelled_owned()), flag, registered: None }
    }

    /// True once the token is cancelled; until then `cx`'s task is woken when it is.
    pub(super) fn poll_fired(&mut self, cx: &mut Context<'_>) -> bool {
        let woken = self.flag.woken.load(Ordering::Acquire);
        // a raised flag means `task` was woken and emptied: register again
        if woken || !self.registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            self.flag.task.register(cx.waker());
            self.registered = Some(cx.waker().clone());
        }
        if !woken {
            return false;
        }
        self.flag.woken.store(false, Ordering::Relaxed);
        let waker = Waker::from(Arc::clone(&self.flag));
        self.cancelled.as_mut().poll(&mut Context::from_waker(&waker)).is_ready()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::future::poll_fn;
    use std::task::Poll;

    #[tokio::test]
    async fn fires_once_cancelled_and_wakes_the_waiting_task() {
        // (cancel before the first check, expected first answer, wait in another task
        // than the one that checked first)
        for (early, first, elsewhere) in [(false, false, false), (true, true, false), (false, false, true)] {
            let token = CancellationToken::new();
            let mut watch = ShutdownWatch::new(token.clone());
            if early {
                token.cancel();
            }
            assert_eq!(poll_fn(|cx| Poll::Ready(watch.poll_fired(cx))).await, first, "early {early}");
            if !first {
                // a second check without a wake-up costs no poll and says no
                assert!(!poll_fn(|cx| Poll::Ready(watch.poll_fired(cx))).await);
                // waits until the cancel wakes the waiting task, then fires
                let wait = async move {
                    poll_fn(|cx| if watch.poll_fired(cx) { Poll::Ready(()) } else { Poll::Pending }).await
                };
                let t = token.clone();
                if elsewhere {
                    let waiter = tokio::spawn(wait);
                    tokio::task::yield_now().await; // the waiter registers its own waker
                    t.cancel();
                    tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await.unwrap().unwrap();
                } else {
                    tokio::spawn(async move { t.cancel() });
                    wait.await;
                }
            }
        }
    }
}
