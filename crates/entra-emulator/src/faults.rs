//! Injected faults: throttling, 5xx, dropped connections, latency. Decisions come from
//! one seeded RNG, so a run with the same `--rng-seed` and request order sees the same
//! faults.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub throttle_rate: f64,
    pub error_rate: f64,
    pub drop_rate: f64,
    pub replication_lag: Duration,
    pub latency: Duration,
    pub rng_seed: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Throttle,
    Error,
    /// Close the connection without an answer, before handling the request.
    DropBefore,
    /// Handle the request (a write is applied), then close without an answer.
    DropAfter,
}

impl Fault {
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

pub struct Dice {
    rng: StdRng,
}

impl Dice {
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
            rng_seed: Some(7),
            ..Faults::default()
        };
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
