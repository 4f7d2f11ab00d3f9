//! Debounce and build queue, per rule, with no IO and no clock of its own.
//!
//! For each rule:
//! - the first event while nothing is pending opens a window of the rule's
//!   length; later events in the window join it (the window is not pushed
//!   back, so a steady stream of events cannot starve a rebuild);
//! - when the window has closed and the rule is not building, the build
//!   starts ([`Scheduler::due`]);
//! - events while the rule is building mark one pending rerun, however many
//!   arrive; it starts when the build finishes (at once if its window has
//!   already closed by then).

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
struct RuleState {
    /// When the window of the pending change opened.
    pending_since: Option<Instant>,
    building: bool,
}

#[derive(Debug, Clone)]
pub struct Scheduler {
    windows: Vec<Duration>,
    rules: Vec<RuleState>,
}

impl Scheduler {
    /// One rule per window length.
    pub fn new(windows: Vec<Duration>) -> Scheduler {
        let rules = vec![RuleState::default(); windows.len()];
        Scheduler { windows, rules }
    }

    /// A change for `rule` at `now`.
    pub fn event(&mut self, rule: usize, now: Instant) {
        if let Some(r) = self.rules.get_mut(rule) {
            if r.pending_since.is_none() {
                r.pending_since = Some(now);
            }
        }
    }

    /// The rules whose build starts now (each is then marked building).
    pub fn due(&mut self, now: Instant) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, r) in self.rules.iter_mut().enumerate() {
            if r.building {
                continue;
            }
            if let Some(since) = r.pending_since {
                if now >= since + self.windows[i] {
                    r.pending_since = None;
                    r.building = true;
                    out.push(i);
                }
            }
        }
        out
    }

    /// The build of `rule` finished.
    pub fn finished(&mut self, rule: usize) {
        if let Some(r) = self.rules.get_mut(rule) {
            r.building = false;
        }
    }

    /// When [`Scheduler::due`] next has something to start; `None` when
    /// nothing is pending (the caller sleeps until the next event).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.rules
            .iter()
            .zip(&self.windows)
            .filter(|(r, _)| !r.building)
            .filter_map(|(r, w)| r.pending_since.map(|s| s + *w))
            .min()
    }

    pub fn is_building(&self, rule: usize) -> bool {
        self.rules.get(rule).is_some_and(|r| r.building)
    }

    /// Whether a change is waiting (in its window or behind a build).
    pub fn is_pending(&self, rule: usize) -> bool {
        self.rules
            .get(rule)
            .is_some_and(|r| r.pending_since.is_some())
    }

    /// Drops every pending change (shutdown).
    pub fn clear_pending(&mut self) {
        for r in &mut self.rules {
            r.pending_since = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn window_opens_at_first_event_and_is_not_pushed_back() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(vec![ms(20)]);
        assert_eq!(s.next_deadline(), None);
        s.event(0, t0);
        assert_eq!(s.next_deadline(), Some(t0 + ms(20)));
        s.event(0, t0 + ms(15));
        assert_eq!(s.next_deadline(), Some(t0 + ms(20)), "later events join");
        assert!(s.due(t0 + ms(19)).is_empty());
        assert_eq!(s.due(t0 + ms(20)), vec![0]);
        assert!(s.is_building(0));
        assert_eq!(s.next_deadline(), None);
        assert!(s.due(t0 + ms(100)).is_empty(), "started once");
    }

    #[test]
    fn a_burst_gives_one_build() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(vec![ms(20)]);
        for i in 0..500 {
            s.event(0, t0 + Duration::from_micros(i * 30));
        }
        let mut builds = 0;
        let mut t = t0;
        while t < t0 + ms(200) {
            builds += s.due(t).len();
            t += ms(1);
        }
        assert_eq!(builds, 1);
    }

    #[test]
    fn changes_during_a_build_queue_exactly_one_rerun() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(vec![ms(10)]);
        s.event(0, t0);
        assert_eq!(s.due(t0 + ms(10)), vec![0]);
        for i in 0..50 {
            s.event(0, t0 + ms(11 + i));
        }
        assert!(s.is_pending(0));
        // still building: nothing starts, and no deadline wakes the caller
        assert!(s.due(t0 + ms(500)).is_empty());
        assert_eq!(s.next_deadline(), None);
        s.finished(0);
        // the queued window (opened at 11 ms) has long closed: starts now
        assert_eq!(s.next_deadline(), Some(t0 + ms(21)));
        assert_eq!(s.due(t0 + ms(501)), vec![0]);
        s.finished(0);
        assert!(s.due(t0 + ms(1000)).is_empty(), "exactly one rerun");
        assert!(!s.is_pending(0));
    }

    #[test]
    fn rerun_waits_for_its_window_when_the_build_was_short() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(vec![ms(30)]);
        s.event(0, t0);
        assert_eq!(s.due(t0 + ms(30)), vec![0]);
        s.event(0, t0 + ms(35));
        s.finished(0);
        assert!(s.due(t0 + ms(40)).is_empty());
        assert_eq!(s.due(t0 + ms(65)), vec![0]);
    }

    #[test]
    fn rules_are_independent() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(vec![ms(10), ms(50)]);
        s.event(0, t0);
        s.event(1, t0 + ms(5));
        assert_eq!(s.next_deadline(), Some(t0 + ms(10)));
        assert_eq!(s.due(t0 + ms(10)), vec![0]);
        assert_eq!(s.next_deadline(), Some(t0 + ms(55)));
        // rule 0 building does not hold rule 1 back
        assert_eq!(s.due(t0 + ms(55)), vec![1]);
        s.finished(1);
        s.event(1, t0 + ms(60));
        assert_eq!(s.due(t0 + ms(110)), vec![1]);
        assert!(s.is_building(0));
    }

    #[test]
    fn unknown_rule_is_ignored_and_clear_drops_pending() {
        let t0 = Instant::now();
        let mut s = Scheduler::new(vec![ms(10)]);
        s.event(7, t0);
        s.finished(7);
        assert_eq!(s.next_deadline(), None);
        s.event(0, t0);
        s.clear_pending();
        assert!(s.due(t0 + ms(100)).is_empty());
    }
}
