//! The server's shutdown signals (graceful close, draining) as the connections read them:
//! a `CancellationToken` to wait on, paired with a flag set just before the token is
//! cancelled, so the checks made on every HTTP/1.1 request read one atomic instead of
//! taking the token's lock (three times per request otherwise). A connection that waits
//! for its next request many times leaves its task with the token once ([`SignalWait`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// A cancellation that can be waited on and read without a lock.
#[derive(Clone, Debug, Default)]
pub(crate) struct Signal {
    token: CancellationToken,
    fired: Arc<AtomicBool>,
    /// The parent's flag: a child counts as cancelled once its parent is.
    parent: Option<Arc<AtomicBool>>,
}

impl Signal {
    pub(crate) fn new() -> Self {
        Signal::default()
    }

    /// A signal cancelled by its own [`cancel`](Self::cancel) or by this one's.
    pub(crate) fn child(&self) -> Self {
        Signal { token: self.token.child_token(), fired: Arc::default(), parent: Some(self.fired.clone()) }
    }

    /// Sets the flag, then cancels the token: a task woken by the token sees the flag set.
    pub(crate) fn cancel(&self) {
        self.fired.store(true, Ordering::Release);
        self.token.cancel();
    }

    /// True once this signal or its parent was cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.fired.load(Ordering::Acquire) || self.parent.as_ref().is_some_and(|p| p.load(Ordering::Acquire))
    }

    /// The token, to wait on.
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.token
    }
}

/// A wait on a [`Signal`]'s token that one task keeps across many waits.
///
/// Polling the token's future registers the task in the token's waiter list, and polling
/// it again takes the list's lock to compare wakers — once per wait for a connection that
/// waits for every request. The waiter stays registered until the token wakes it, so the
/// same task waiting again (the waker [`will_wake`](Waker::will_wake) the registered one)
/// skips the poll; the signal's flag, set before the token wakes anyone, tells a woken
/// waiter that it fired. One pointer in the connection: the future and the waker share
/// one allocation (each connection's task is sized for its largest state, in steps of 128
/// bytes).
pub(crate) struct SignalWait(Pin<Box<Registration>>);

pin_project_lite::pin_project! {
    struct Registration {
        #[pin]
        wait: WaitForCancellationFutureOwned,
        // The waker the wait was last polled with while pending.
        registered: Option<Waker>,
    }
}

impl SignalWait {
    pub(crate) fn new(signal: &Signal) -> Self {
        SignalWait(Box::pin(Registration { wait: signal.token.clone().cancelled_owned(), registered: None }))
    }

    /// Ready once `signal` (the one this wait was made from) fired; until then leaves
    /// `cx`'s task to be woken when it does. The flag is read first: a wait registered
    /// earlier does not report the cancel that woke it.
    pub(crate) fn poll_fired(&mut self, signal: &Signal, cx: &mut Context<'_>) -> Poll<()> {
        if signal.is_cancelled() {
            return Poll::Ready(());
        }
        let this = self.0.as_mut().project();
        if this.registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            return Poll::Pending;
        }
        let polled = this.wait.poll(cx);
        if polled.is_pending() {
            *this.registered = Some(cx.waker().clone());
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;

    #[test]
    fn a_child_follows_its_parent_and_not_the_other_way() {
        let parent = Signal::new();
        let child = parent.child();
        assert!(!parent.is_cancelled() && !child.is_cancelled());
        child.cancel();
        assert!(child.is_cancelled() && child.token().is_cancelled());
        assert!(!parent.is_cancelled() && !parent.token().is_cancelled());
        let other = parent.child();
        parent.cancel();
        assert!(parent.is_cancelled() && other.is_cancelled() && other.token().is_cancelled());
    }

    async fn wait_for(signal: &Signal, wait: &mut SignalWait) {
        poll_fn(|cx| wait.poll_fired(signal, cx)).await
    }

    /// Runs the future `waiter` makes of a clone of `s` in a task of its own, cancels `s`
    /// once the task waits, and returns what the task returned; fails if the cancel did
    /// not wake it.
    async fn cancel_while_waiting<F>(s: &Signal, waiter: impl FnOnce(Signal) -> F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let waiter = tokio::spawn(waiter(s.clone()));
        tokio::task::yield_now().await;
        s.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("the cancel woke the waiter")
            .unwrap()
    }

    #[tokio::test]
    async fn a_task_waiting_again_and_again_is_woken_by_the_cancel() {
        let waiter = |s: Signal| async move {
            let mut wait = SignalWait::new(&s);
            // waits that end for another reason (a request came), as on a connection
            for _ in 0..3 {
                let mut polled = false;
                poll_fn(|cx| {
                    if std::mem::replace(&mut polled, true) {
                        return Poll::Ready(());
                    }
                    assert!(wait.poll_fired(&s, cx).is_pending());
                    cx.waker().wake_by_ref();
                    Poll::Pending
                })
                .await;
            }
            wait_for(&s, &mut wait).await;
        };
        cancel_while_waiting(&Signal::new(), waiter).await;
    }

    #[tokio::test]
    async fn a_wait_polled_by_another_task_leaves_that_task_with_the_token() {
        let s = Signal::new();
        let mut wait = SignalWait::new(&s);
        // registered first with a waker that wakes nobody
        assert!(wait.poll_fired(&s, &mut Context::from_waker(Waker::noop())).is_pending());
        cancel_while_waiting(&s, |s| async move { wait_for(&s, &mut wait).await }).await;
    }

    #[tokio::test]
    async fn a_waiter_woken_by_the_token_sees_the_flag() {
        let woken = cancel_while_waiting(&Signal::new(), |s| async move {
            s.token().cancelled().await;
            s.is_cancelled()
        })
        .await;
        assert!(woken);
    }
}
