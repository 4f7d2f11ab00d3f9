//! The run-dev watcher.
//!
//! - [`sched`]: the pure debounce/queue state machine (per rule: a window
//!   that opens at the first event; a change during a build queues exactly
//!   one rerun), driven by a caller-supplied clock.
//! - [`filter`]: which rules a changed path triggers (pure): ignored
//!   directories, editor temp/swap files, the rules' roots and patterns.
//! - [`notifier`]: the thin adapter over `notify` (one watch per directory
//!   under each root, new directories followed, inotify limits turned into
//!   advice).
//! - [`roots`]: the rules' roots as a pure state machine (removed, back,
//!   replaced, created) and what run-dev says about each change.

pub mod filter;
pub mod notifier;
pub mod roots;
pub mod sched;
