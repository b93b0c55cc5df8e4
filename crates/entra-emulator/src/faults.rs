//! Injected faults: throttling, 5xx, dropped connections, latency. Decisions come from
//! one seeded RNG, so a run with the same `--rng-seed` and request order sees the same
//! faults.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The faults to inject. Rates are fractions (0.0 to 1.0) of Graph requests; the default
/// injects nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Answered 429 with `Retry-After`.
    pub throttle_rate: f64,
    /// Answered 503.
    pub error_rate: f64,
    /// Closed without an answer (a write may be applied first).
    pub drop_rate: f64,
    /// How long a new credential stays invisible to Graph reads (directory replication).
    pub replication_lag: Duration,
    /// Added to every answer except the `/_emulator` endpoints'.
    pub latency: Duration,
    /// Added before Graph writes (POST, PATCH, DELETE) only, on top of `latency`: a write
    /// stays in flight this long, then is applied whether or not its client still waits.
    pub write_latency: Duration,
    /// Seeds the fault decisions, making a run repeatable; `None` draws from the OS.
    pub rng_seed: Option<u64>,
}

/// The fault drawn for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer normally.
    None,
    /// 429 with `Retry-After`.
    Throttle,
    /// 503.
    Error,
    /// Close the connection without an answer, before handling the request.
    DropBefore,
    /// Handle the request (a write is applied), then close without an answer.
    DropAfter,
}

impl Fault {
    /// The name counted in `/_emulator/requests` and logged.
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::Throttle => "throttle",
            Fault::Error => "error",
            Fault::DropBefore => "drop",
            Fault::DropAfter => "drop-after-apply",
        }
    }
}

/// The seeded random source of fault decisions.
pub struct Dice {
    rng: StdRng,
}

impl Dice {
    /// Seeded with `seed`, or from the OS when `None`.
    pub fn new(seed: Option<u64>) -> Dice {
        Dice {
            rng: match seed {
                Some(s) => StdRng::seed_from_u64(s),
                None => StdRng::from_os_rng(),
            },
        }
    }

    /// One decision per faultable request; writes may be dropped after being applied.
    pub fn roll(&mut self, f: &Faults, is_write: bool) -> Fault {
        let x: f64 = self.rng.random();
        let after: bool = self.rng.random();
        if x < f.throttle_rate {
            Fault::Throttle
        } else if x < f.throttle_rate + f.error_rate {
            Fault::Error
        } else if x < f.throttle_rate + f.error_rate + f.drop_rate {
            if is_write && after {
                Fault::DropAfter
            } else {
                Fault::DropBefore
            }
        } else {
            Fault::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_faults() {
        let f = Faults {
            throttle_rate: 0.3,
            error_rate: 0.1,
            drop_rate: 0.05,
            ..Faults::default()
        };
        // The dice are seeded here; `Faults::rng_seed` is what the server seeds them with.
        let run = || {
            let mut d = Dice::new(Some(7));
            (0..200).map(|i| d.roll(&f, i % 3 == 0)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
        let all = run();
        let throttled = all.iter().filter(|x| **x == Fault::Throttle).count();
        assert!((30..90).contains(&throttled), "{throttled}");
    }
}
