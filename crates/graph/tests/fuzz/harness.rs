//! The fuzz loop: a deterministic random generator per input, the input budget from the environment, panics caught
//! per input, and a summary line per target.
//!
//! - `MGPRESENCE_FUZZ_CASES`: the total number of inputs of the whole fuzz test, split evenly across the
//!   [`TARGETS`] targets (default [`DEFAULT_CASES`]).
//! - `MGPRESENCE_FUZZ_SEED`: the base seed (default fixed, so runs repeat). Each input's seed derives from it, the
//!   target name and the input's index; a failure prints that seed.
//! - `MGPRESENCE_FUZZ_REPLAY`: one input seed; each target then runs only that input (replays a failure).

use rand::rngs::StdRng;
use rand::{Rng as _, RngCore, SeedableRng};
use std::cell::RefCell;
use std::fmt::Debug;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::time::Instant;

/// How many fuzz targets share the budget.
pub const TARGETS: usize = 10;
/// The default total budget: the whole fuzz test stays well under a minute in a debug build on two cores.
pub const DEFAULT_CASES: usize = 40_000;
const DEFAULT_SEED: u64 = 0x4d67_5072_6573_656e;

/// The input generator: `rand`'s seeded standard generator, with the few draws the targets use.
#[derive(Debug, Clone)]
pub struct Rng(StdRng);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(StdRng::seed_from_u64(seed))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0.gen_range(0..n)
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn bool(&mut self) -> bool {
        self.0.r#gen()
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The inputs each target runs.
pub fn cases_per_target() -> usize {
    let total = env_number("MGPRESENCE_FUZZ_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    total.div_ceil(TARGETS).max(1)
}

fn case_seed(base: u64, target: &str, index: usize) -> u64 {
    let mut hash = base ^ 0xcbf2_9ce4_8422_2325;
    for b in target.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    Rng::new(hash ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)).next_u64()
}

thread_local! {
    /// Set while an input runs on this thread: its panic is recorded here instead of printed.
    static CAUGHT: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

fn install_quiet_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_case = CAUGHT.with(|c| {
                let mut slot = c.borrow_mut();
                match slot.as_mut() {
                    Some(first) => {
                        first.get_or_insert_with(|| info.to_string());
                        true
                    }
                    None => false,
                }
            });
            if !in_case {
                default(info);
            }
        }));
    });
}

struct Failure {
    index: usize,
    seed: u64,
    input: String,
    what: String,
}

/// Runs `check` on `cases_per_target()` inputs made by `generate`, and fails the test if any input panicked or
/// broke a property (`check` returned `Err`).
pub fn fuzz<I: Debug>(target: &str, generate: impl Fn(&mut Rng) -> I, check: impl Fn(&I) -> Result<(), String>) {
    install_quiet_panic_hook();
    let base = env_number("MGPRESENCE_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let replay = env_number("MGPRESENCE_FUZZ_REPLAY");
    let seeds: Vec<(usize, u64)> = match replay {
        Some(seed) => vec![(0, seed)],
        None => (0..cases_per_target()).map(|i| (i, case_seed(base, target, i))).collect(),
    };
    let started = Instant::now();
    let (mut crashes, mut broken) = (0usize, 0usize);
    let mut failures: Vec<Failure> = Vec::new();
    for &(index, seed) in &seeds {
        let input = generate(&mut Rng::new(seed));
        CAUGHT.with(|c| *c.borrow_mut() = Some(None));
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&input)));
        let panic_message = CAUGHT.with(|c| c.borrow_mut().take()).flatten();
        let what = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(property)) => {
                broken += 1;
                format!("property broken: {property}")
            }
            Err(_) => {
                crashes += 1;
                format!("panic: {}", panic_message.unwrap_or_default())
            }
        };
        if failures.len() < 5 {
            let mut shown = format!("{input:?}");
            if shown.len() > 1500 {
                let cut = (0..=1500).rev().find(|i| shown.is_char_boundary(*i)).unwrap_or(0);
                shown.truncate(cut);
                shown.push_str(" …");
            }
            failures.push(Failure { index, seed, input: shown, what });
        }
    }
    let summary = format!(
        "fuzz {target:<30} inputs {:>8}   crashes {crashes}   property failures {broken}   {:>7.2} s   (base seed {base:#x})\n",
        seeds.len(),
        started.elapsed().as_secs_f64()
    );
    // Written past the test harness's capture, so the summary shows on success too.
    let _ = std::io::stderr().write_all(summary.as_bytes());
    if !failures.is_empty() {
        let details: Vec<String> = failures
            .iter()
            .map(|f| format!("  input #{} (replay: MGPRESENCE_FUZZ_REPLAY={:#x}): {}\n    input: {}", f.index, f.seed, f.what, f.input))
            .collect();
        panic!("fuzz {target}: {crashes} crashes, {broken} property failures; first ones:\n{}", details.join("\n"));
    }
}
