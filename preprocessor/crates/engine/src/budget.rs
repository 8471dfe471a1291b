use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// SQLite calls the progress handler every this many virtual-machine steps.
pub(crate) const STEPS_PER_CALL: u64 = 1_000;

/// A step budget for one statement. Counting VM steps instead of wall time makes
/// the cut-off the same on every machine, so a build never fails by chance.
#[derive(Clone)]
pub(crate) struct Budget {
    calls: Arc<AtomicU64>,
    max_calls: u64,
}

impl Budget {
    pub(crate) fn new(max_steps: u64) -> Self {
        Budget {
            calls: Arc::new(AtomicU64::new(0)),
            max_calls: max_steps.div_ceil(STEPS_PER_CALL).max(1),
        }
    }

    pub(crate) fn reset(&self) {
        self.calls.store(0, Ordering::Relaxed);
    }

    /// The progress handler: true asks SQLite to interrupt the statement.
    pub(crate) fn handler(&self) -> impl FnMut() -> bool + Send + 'static {
        let calls = Arc::clone(&self.calls);
        let max_calls = self.max_calls;
        move || calls.fetch_add(1, Ordering::Relaxed) + 1 > max_calls
    }

    pub(crate) fn exhausted(&self) -> bool {
        self.calls.load(Ordering::Relaxed) > self.max_calls
    }

    pub(crate) fn max_steps(&self) -> u64 {
        self.max_calls * STEPS_PER_CALL
    }
}
