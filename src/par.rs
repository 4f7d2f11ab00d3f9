//! An ordered parallel map: `lint-dockerfile`'s files on every core, results
//! handed over in input order.
//!
//! The helper threads are started before the work is known ([`Crew::start`])
//! and spin briefly until it is published ([`Crew::run`]): setting up the work
//! (config, directory walk) takes about a millisecond, and waking an idle CPU
//! took up to 3.5 ms on the 2-vCPU VMs this was measured on — a spinning
//! helper is already running when the first file is handed out. After
//! [`SPIN`] without work (say, stdin is a slow pipe) a helper sleeps until
//! woken.
//!
//! Each helper is started off the calling thread's CPU ([`cpu::Mask`]). Linux
//! put a new thread on its parent's CPU, and on those VMs the load balancer
//! took 2–8 ms to move it: until then the helper and the calling thread
//! shared one CPU, and a spinning helper delayed the set-up it was waiting
//! for. Traced per item, the corpus lint's two threads started working 3–8 ms
//! apart and took 14–20 ms; started apart, both work from 0.3 ms on and the
//! whole run takes 10.8 ms. Once it has work, a helper takes back the
//! process's whole CPU set, so what it spawns (ShellCheck) may run anywhere.
//!
//! The calling thread works too and hands over results between its own
//! items, so finished results wait in a map rather than waking a writer per
//! item.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a helper spins waiting for work before it sleeps.
pub const SPIN: Duration = Duration::from_millis(10);

/// Worker threads for one ordered map over a job `J` with `len` items,
/// item `i` computed by `each(&job, i)`.
pub struct Crew<J: Send + Sync + 'static, R: Send + 'static> {
    shared: Arc<Shared<J, R>>,
    helpers: Vec<JoinHandle<()>>,
}

struct Shared<J, R> {
    each: fn(&J, usize) -> R,
    job: OnceLock<(J, usize)>,
    next: AtomicUsize,
    stop: AtomicBool,
    /// Opened (true) once the job is published or the crew stops.
    gate: Mutex<bool>,
    opened: Condvar,
    done: Mutex<BTreeMap<usize, R>>,
}

impl<J, R> Shared<J, R> {
    /// Computes the next unclaimed item; false when there is none (or on stop).
    fn work(&self) -> bool {
        let Some((job, len)) = self.job.get() else {
            return false;
        };
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if i >= *len {
            return false;
        }
        let r = (self.each)(job, i);
        lock(&self.done).insert(i, r);
        true
    }

    fn open_gate(&self) {
        *lock(&self.gate) = true;
        self.opened.notify_all();
    }
}

/// A poisoned lock only means another worker panicked; its item is missing
/// and [`Crew::run`] reports that.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn helper<J, R>(sh: Arc<Shared<J, R>>, cpus: Option<cpu::Mask>) {
    let spin_until = Instant::now() + SPIN;
    while sh.job.get().is_none() && !sh.stop.load(Ordering::Relaxed) {
        if Instant::now() < spin_until {
            std::hint::spin_loop();
            continue;
        }
        let mut open = lock(&sh.gate);
        while !*open {
            open = sh.opened.wait(open).unwrap_or_else(|e| e.into_inner());
        }
        break;
    }
    // Take back the whole CPU set only now: the job is published after
    // `start` moved every helper, so this cannot be undone by that move.
    if let Some(all) = cpus {
        all.apply_to_self();
    }
    while sh.work() {}
}

impl<J: Send + Sync + 'static, R: Send + 'static> Crew<J, R> {
    /// Starts `helpers` threads (0: the calling thread does everything).
    pub fn start(helpers: usize, each: fn(&J, usize) -> R) -> Crew<J, R> {
        let shared = Arc::new(Shared {
            each,
            job: OnceLock::new(),
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            gate: Mutex::new(false),
            opened: Condvar::new(),
            done: Mutex::new(BTreeMap::new()),
        });
        let cpus = if helpers > 0 {
            cpu::Mask::of_self()
        } else {
            None
        };
        let away = cpus.as_ref().and_then(cpu::Mask::without_current);
        let helpers = (0..helpers)
            .filter_map(|_| {
                let sh = Arc::clone(&shared);
                let all = cpus.clone();
                // A helper that cannot be started only means less parallelism.
                let h = std::thread::Builder::new()
                    .spawn(move || helper(sh, all))
                    .ok()?;
                if let Some(away) = &away {
                    away.apply_to(&h);
                }
                Some(h)
            })
            .collect();
        Crew { shared, helpers }
    }

    /// Publishes the job (`len` items) and hands each result to `emit` in
    /// item order, as soon as it and all before it are done. Stops at
    /// `emit`'s first error (the helpers finish the item in hand and stop).
    pub fn run(
        mut self,
        job: J,
        len: usize,
        emit: &mut dyn FnMut(R) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let sh = Arc::clone(&self.shared);
        // The crew is published once: `run` takes `self`.
        let _ = sh.job.set((job, len));
        sh.open_gate();
        let mut want = 0usize;
        let mut drain = |want: &mut usize| -> anyhow::Result<()> {
            loop {
                let r = lock(&sh.done).remove(want);
                let Some(r) = r else { return Ok(()) };
                *want += 1;
                emit(r)?;
            }
        };
        let mut result = Ok(());
        while sh.work() {
            result = drain(&mut want);
            if result.is_err() {
                break;
            }
        }
        if result.is_err() {
            sh.stop.store(true, Ordering::Relaxed);
        }
        for h in self.helpers.drain(..) {
            // A helper that panicked: its item is missing; see below.
            let _ = h.join();
        }
        result?;
        drain(&mut want)?;
        if want < len {
            anyhow::bail!("internal error: a worker thread stopped at item {want} of {len}");
        }
        Ok(())
    }
}

impl<J: Send + Sync + 'static, R: Send + 'static> Drop for Crew<J, R> {
    /// A crew dropped without [`Crew::run`] (the set-up failed) stops its
    /// helpers, sleeping or spinning.
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.open_gate();
        for h in self.helpers.drain(..) {
            let _ = h.join();
        }
    }
}

/// CPU affinity, where the OS has it: where helpers start (see the module
/// docs). Every call is advisory: a failure leaves the placement to the OS.
mod cpu {
    use std::thread::JoinHandle;

    #[cfg(target_os = "linux")]
    #[derive(Clone)]
    pub struct Mask(libc::cpu_set_t);

    #[cfg(target_os = "linux")]
    impl Mask {
        const SIZE: usize = std::mem::size_of::<libc::cpu_set_t>();

        /// The calling thread's CPU set.
        pub fn of_self() -> Option<Mask> {
            // SAFETY: cpu_set_t is plain data (all-zero is the empty set);
            // sched_getaffinity writes at most SIZE bytes into it.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                (libc::sched_getaffinity(0, Self::SIZE, &mut set) == 0).then_some(Mask(set))
            }
        }

        /// This set without the CPU the calling thread runs on now; None when
        /// nothing would be left.
        pub fn without_current(&self) -> Option<Mask> {
            // SAFETY: sched_getcpu has no preconditions; CPU_CLR and
            // CPU_COUNT only touch the set, and the index is checked
            // against its size.
            unsafe {
                let here = usize::try_from(libc::sched_getcpu()).ok()?;
                if here >= Self::SIZE * 8 {
                    return None;
                }
                let mut set = self.0;
                libc::CPU_CLR(here, &mut set);
                (libc::CPU_COUNT(&set) > 0).then_some(Mask(set))
            }
        }

        /// Moves the thread behind `h` onto this set.
        pub fn apply_to(&self, h: &JoinHandle<()>) {
            use std::os::unix::thread::JoinHandleExt;
            // SAFETY: the handle's thread has not been joined, so its
            // pthread_t is valid; the set is SIZE bytes.
            unsafe {
                libc::pthread_setaffinity_np(h.as_pthread_t(), Self::SIZE, &self.0);
            }
        }

        /// Puts the calling thread onto this set.
        pub fn apply_to_self(&self) {
            // SAFETY: the set is SIZE bytes; 0 is the calling thread.
            unsafe {
                libc::sched_setaffinity(0, Self::SIZE, &self.0);
            }
        }

        /// The CPUs in the set.
        #[cfg(test)]
        pub fn cpus(&self) -> Vec<usize> {
            // SAFETY: CPU_ISSET reads the set at an index below its size.
            (0..Self::SIZE * 8)
                .filter(|&c| unsafe { libc::CPU_ISSET(c, &self.0) })
                .collect()
        }
    }

    #[cfg(all(test, target_os = "linux"))]
    mod tests {
        use super::*;

        #[test]
        fn without_current_drops_one_cpu() {
            let all = Mask::of_self().expect("sched_getaffinity");
            let n = all.cpus().len();
            assert!(n >= 1);
            match all.without_current() {
                None => assert_eq!(n, 1, "a CPU would be left: {:?}", all.cpus()),
                Some(away) => {
                    let left = away.cpus();
                    assert_eq!(left.len(), n - 1);
                    assert!(left.iter().all(|c| all.cpus().contains(c)));
                }
            }
        }

        /// A thread moved onto a set runs there until it takes back the
        /// whole set itself, as a helper does.
        #[test]
        fn a_thread_is_moved_and_takes_its_set_back() {
            let all = Mask::of_self().expect("sched_getaffinity");
            let Some(away) = all.without_current() else {
                return; // one CPU: nowhere to move to
            };
            let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
            let (seen_tx, seen_rx) = std::sync::mpsc::channel();
            let restore = all.clone();
            let h = std::thread::spawn(move || {
                let _ = go_rx.recv();
                let moved = Mask::of_self().map(|m| m.cpus());
                restore.apply_to_self();
                let back = Mask::of_self().map(|m| m.cpus());
                let _ = seen_tx.send((moved, back));
            });
            away.apply_to(&h);
            go_tx.send(()).unwrap();
            let (moved, back) = seen_rx.recv().unwrap();
            h.join().unwrap();
            assert_eq!(moved, Some(away.cpus()));
            assert_eq!(back, Some(all.cpus()));
        }
    }

    #[cfg(not(target_os = "linux"))]
    #[derive(Clone)]
    pub struct Mask;

    #[cfg(not(target_os = "linux"))]
    impl Mask {
        pub fn of_self() -> Option<Mask> {
            None
        }
        pub fn without_current(&self) -> Option<Mask> {
            None
        }
        pub fn apply_to(&self, _: &JoinHandle<()>) {}
        pub fn apply_to_self(&self) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` items; item `i` sleeps longer the earlier it is (later items
    /// finish first) and fails when it is `fail`.
    struct Fake {
        n: usize,
        fail: Option<usize>,
        computed: AtomicUsize,
    }

    fn item(f: &Fake, i: usize) -> anyhow::Result<usize> {
        f.computed.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_micros(((f.n - i) * 40) as u64));
        if Some(i) == f.fail {
            anyhow::bail!("cannot read f{i}");
        }
        Ok(i)
    }

    fn run_all(n: usize, helpers: usize, fail: Option<usize>) -> (Vec<usize>, anyhow::Result<()>) {
        let crew = Crew::start(helpers, item);
        let mut seen = Vec::new();
        let job = Fake {
            n,
            fail,
            computed: AtomicUsize::new(0),
        };
        let r = crew.run(job, n, &mut |r| {
            seen.push(r?);
            Ok(())
        });
        (seen, r)
    }

    #[test]
    fn results_come_in_input_order() {
        for helpers in [0, 1, 3, 7] {
            let (seen, r) = run_all(40, helpers, None);
            assert!(r.is_ok(), "helpers={helpers}");
            assert_eq!(seen, (0..40).collect::<Vec<_>>(), "helpers={helpers}");
        }
        let (seen, r) = run_all(0, 2, None);
        assert!(r.is_ok() && seen.is_empty());
    }

    #[test]
    fn it_stops_at_the_first_error_in_order() {
        for helpers in [0, 2] {
            let (seen, r) = run_all(30, helpers, Some(12));
            assert_eq!(seen, (0..12).collect::<Vec<_>>(), "helpers={helpers}");
            assert_eq!(r.unwrap_err().to_string(), "cannot read f12");
        }
    }

    #[test]
    fn an_error_from_the_consumer_stops_the_helpers() {
        let crew = Crew::start(3, item);
        let job = Fake {
            n: 400,
            fail: None,
            computed: AtomicUsize::new(0),
        };
        let shared = Arc::clone(&crew.shared);
        let mut k = 0;
        let r = crew.run(job, 400, &mut |_| {
            k += 1;
            if k == 3 {
                anyhow::bail!("Broken pipe");
            }
            Ok(())
        });
        assert_eq!(r.unwrap_err().to_string(), "Broken pipe");
        let computed = shared.job.get().unwrap().0.computed.load(Ordering::Relaxed);
        assert!(
            computed < 100,
            "helpers went on: {computed} of 400 computed"
        );
    }

    #[test]
    fn helpers_wait_past_their_spin_and_a_dropped_crew_stops_them() {
        // Work published after the helpers went to sleep is still done.
        let crew = Crew::start(2, item);
        std::thread::sleep(SPIN * 3);
        let (mut seen, job) = (
            Vec::new(),
            Fake {
                n: 20,
                fail: None,
                computed: AtomicUsize::new(0),
            },
        );
        crew.run(job, 20, &mut |r| {
            seen.push(r?);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
        // Never run: dropping joins the helpers (the test would hang
        // otherwise), spinning or asleep.
        drop(Crew::<Fake, anyhow::Result<usize>>::start(2, item));
        let crew = Crew::<Fake, anyhow::Result<usize>>::start(2, item);
        std::thread::sleep(SPIN * 2);
        drop(crew);
    }
}
