//! Stopping a call from outside it (Ctrl+C in PowerShell, the CLI's Ctrl+C): a [`Cancellation`] that one thread
//! sets and the call's future races against. A single cmdlet call drops its request at once — in flight or waiting out
//! a Retry-After — and sends nothing more; a bulk run sends no further batch and stops waiting (see `bulk`).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// A cancellation flag that can also be awaited. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Cancellation(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl Cancellation {
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels: every future racing [`Cancellation::cancelled`] ends now, and later ones at once. Idempotent.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Completes when cancelled (at once when already cancelled).
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            // Registered before the flag is read, so a cancel between the two is not missed.
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }

    /// Runs `future` unless cancelled first; `None` when cancelled (the future is dropped, so whatever it had in
    /// flight is abandoned).
    pub async fn run<F: Future>(&self, future: F) -> Option<F::Output> {
        if self.is_cancelled() {
            return None;
        }
        tokio::select! {
            biased;
            () = self.cancelled() => None,
            output = future => Some(output),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_cancel_from_another_thread_ends_a_long_wait_at_once() {
        let cancel = Cancellation::new();
        let other = cancel.clone();
        let started = std::time::Instant::now();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            other.cancel();
        });
        assert_eq!(cancel.run(tokio::time::sleep(Duration::from_secs(60))).await, None);
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        // Once cancelled, later runs do not start.
        assert_eq!(cancel.run(async { 1 }).await, None);
    }

    #[tokio::test]
    async fn an_uncancelled_run_gives_the_output() {
        assert_eq!(Cancellation::new().run(async { 7 }).await, Some(7));
    }
}
