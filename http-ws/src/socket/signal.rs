//! The server-shutdown signal a socket watches ([`WebSocket::close_on`], RFC 6455 §7.4.1
//! code 1001 "going away"), checked on every receive for the price of an atomic load.
//!
//! Polling the cancellation future itself on every receive re-registers the task with the
//! token's waiter list (a lock and a waker comparison each time: about a quarter of the
//! CPU of a small echo). Instead the future is polled with a waker of its own that only
//! raises a flag and wakes the task the socket last waited in; the future is polled again
//! only after that flag was raised. Checking ([`ShutdownWatch::fired`]) and registering
//! the task to wake ([`ShutdownWatch::register`]) are separate: a socket registers only
//! when it is about to wait, not on every check.
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

    /// True once the token is cancelled: one atomic load while nothing happened. Registers
    /// no task; a caller about to wait calls [`register`](Self::register).
    #[inline]
    pub(super) fn fired(&mut self) -> bool {
        self.flag.woken.load(Ordering::Acquire) && self.poll_cancelled()
    }

    /// After a wake-up: polls the cancellation future again.
    #[cold]
    fn poll_cancelled(&mut self) -> bool {
        // the wake emptied `flag.task`: the next wait registers again
        self.registered = None;
        self.flag.woken.store(false, Ordering::Relaxed);
        let waker = Waker::from(Arc::clone(&self.flag));
        self.cancelled.as_mut().poll(&mut Context::from_waker(&waker)).is_ready()
    }

    /// Makes `cx`'s task the one woken when the token is cancelled. True if it may have
    /// been cancelled since the last [`fired`](Self::fired): check again before waiting.
    pub(super) fn register(&mut self, cx: &mut Context<'_>) -> bool {
        // the same task waiting again (the usual case) skips the atomic exchange
        if !self.registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            self.flag.task.register(cx.waker());
            self.registered = Some(cx.waker().clone());
        }
        self.flag.woken.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::future::poll_fn;
    use std::task::Poll;

    /// Waits the way a socket does: check, and only when not fired register, then check
    /// once more before waiting.
    fn poll_wait(watch: &mut ShutdownWatch, cx: &mut Context<'_>) -> Poll<()> {
        if watch.fired() || (watch.register(cx) && watch.fired()) { Poll::Ready(()) } else { Poll::Pending }
    }

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
            assert_eq!(watch.fired(), first, "early {early}");
            if !first {
                // a second check without a wake-up costs no poll and says no
                assert!(!watch.fired());
                // waits until the cancel wakes the waiting task, then fires
                let wait = async move { poll_fn(|cx| poll_wait(&mut watch, cx)).await };
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

    #[tokio::test]
    async fn a_cancel_between_check_and_register_is_not_lost() {
        let token = CancellationToken::new();
        let mut watch = ShutdownWatch::new(token.clone());
        assert!(!watch.fired());
        token.cancel(); // after the check, before the task registered: nobody to wake
        let raised = poll_fn(|cx| Poll::Ready(watch.register(cx))).await;
        assert!(raised, "register reports the raised flag");
        assert!(watch.fired());
    }

    #[tokio::test]
    async fn checks_alone_register_no_task() {
        let token = CancellationToken::new();
        let mut watch = ShutdownWatch::new(token.clone());
        assert!(!watch.fired());
        assert!(!watch.fired());
        assert!(watch.registered.is_none(), "no task registered by checks");
        // a later wait still gets woken
        let waiter = tokio::spawn(async move { poll_fn(|cx| poll_wait(&mut watch, cx)).await });
        tokio::task::yield_now().await;
        token.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await.unwrap().unwrap();
    }
}
