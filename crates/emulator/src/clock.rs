//! The emulator's clock: real time plus an offset that tests advance, so fades and expiry are tested without
//! sleeping.

use jiff::{SignedDuration, Timestamp};
use std::sync::Mutex;

/// Real time shifted by an adjustable offset.
#[derive(Debug, Default)]
pub struct EmulatorClock {
    offset: Mutex<SignedDuration>,
}

impl EmulatorClock {
    /// The emulator's current time.
    pub fn now(&self) -> Timestamp {
        let offset = *self.offset.lock().expect("clock lock");
        Timestamp::now().saturating_add(offset).expect("an offset clock stays in range")
    }

    /// Moves the clock forward (a negative duration moves it back).
    pub fn advance(&self, by: SignedDuration) {
        let mut offset = self.offset.lock().expect("clock lock");
        *offset = offset.saturating_add(by);
    }

    /// Moves the clock forward to `at`; an instant already past leaves it as it is (the clock never goes back).
    pub fn advance_to(&self, at: Timestamp) {
        let wait = at.duration_since(self.now());
        if wait.is_positive() {
            self.advance(wait);
        }
    }

    /// How far the clock has been moved from real time.
    pub fn offset(&self) -> SignedDuration {
        *self.offset.lock().expect("clock lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward() {
        let clock = EmulatorClock::default();
        let before = clock.now();
        clock.advance(SignedDuration::from_mins(10));
        let gap = clock.now().duration_since(before);
        assert!(gap >= SignedDuration::from_mins(10) && gap < SignedDuration::from_mins(11), "{gap:?}");
    }
}
