//! The server's shutdown signals (graceful close, draining) as the connections read them:
//! a `CancellationToken` to wait on, paired with a flag set just before the token is
//! cancelled, so the checks made on every HTTP/1.1 request read one atomic instead of
//! taking the token's lock (three times per request otherwise).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio_util::sync::CancellationToken;

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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[tokio::test]
    async fn a_waiter_woken_by_the_token_sees_the_flag() {
        let s = Signal::new();
        let waiter = tokio::spawn({
            let s = s.clone();
            async move {
                s.token().cancelled().await;
                s.is_cancelled()
            }
        });
        tokio::task::yield_now().await;
        s.cancel();
        assert!(waiter.await.unwrap());
    }
}
