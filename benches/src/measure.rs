//! Interleaved A/B measurement: for every pair of cases to compare, each round runs one batch of
//! each side back to back, alternating which side goes first, so that machine-wide slowdowns hit
//! both sides of a pair alike. Batches are timed in thread CPU time, so that time spent waiting
//! for a core on a busy machine is not counted. The ratio of each pair is taken within each round and the median
//! over rounds is reported; such ratios reproduce far better than medians of separate runs on a
//! shared machine.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use crate::cases::Case;

/// Per-iteration times of every case, and per-round ratios of the compared pairs.
#[derive(Debug, Clone)]
pub struct Interleaved {
    /// Case names, in the order given.
    pub names: Vec<String>,
    /// `times[case]`: seconds (thread CPU time) per iteration of each batch of the case.
    pub times: Vec<Vec<f64>>,
    /// `time(a) / time(b)` of each round, for each measured pair `(a, b)`; empty when the
    /// numbers are not timings (callgrind counts), and ratios come from `times` directly.
    pub pairs: HashMap<(usize, usize), Vec<f64>>,
}

/// Median of `values` (which must not be empty).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

impl Interleaved {
    /// Median per-iteration time of case `i`, in seconds.
    pub fn median(&self, i: usize) -> f64 {
        median(&self.times[i])
    }

    /// `time(i) / time(j)`: the median of the per-round ratios of the pair. Panics if the pair
    /// was not measured.
    pub fn ratio(&self, i: usize, j: usize) -> f64 {
        if i == j {
            return 1.0;
        }
        if self.pairs.is_empty() {
            return self.median(i) / self.median(j);
        }
        if let Some(ratios) = self.pairs.get(&(i, j)) {
            median(ratios)
        } else if let Some(ratios) = self.pairs.get(&(j, i)) {
            1.0 / median(ratios)
        } else {
            panic!(
                "the pair {:?} / {:?} was not measured",
                self.names[i], self.names[j]
            )
        }
    }

    /// Index of the case named `name`.
    pub fn index(&self, name: &str) -> usize {
        self.names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no case named {name:?}"))
    }
}

/// How many iterations of `run` take about `target` of thread CPU time.
fn calibrate(run: &mut dyn FnMut(), target: Duration) -> u64 {
    let target = target.as_secs_f64();
    let mut iterations = 1u64;
    loop {
        let start = thread_cpu_time();
        for _ in 0..iterations {
            run();
        }
        let elapsed = thread_cpu_time() - start;
        if elapsed >= target / 4.0 || iterations >= 1 << 30 {
            let per = elapsed / iterations as f64;
            return ((target / per).ceil() as u64).max(1);
        }
        iterations *= 2;
    }
}

/// CPU time of the calling thread, in seconds: unlike wall time, it does not count the time the
/// thread waits while other processes of a busy machine run.
#[allow(unsafe_code)]
pub fn thread_cpu_time() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the OS defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Thread CPU time per iteration of one batch.
fn batch(case: &mut Case, iterations: u64) -> f64 {
    let start = thread_cpu_time();
    for _ in 0..iterations {
        (case.run)();
    }
    (thread_cpu_time() - start) / iterations as f64
}

/// Every pair `(reference, case)` for each reference in `references` and every other case.
pub fn pairs_against(references: &[usize], count: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for &r in references {
        for i in 0..count {
            if i != r && !pairs.contains(&(i, r)) {
                pairs.push((r, i));
            }
        }
    }
    pairs
}

/// Runs `rounds` rounds; in each, every pair of `pairs` runs one batch (about `batch_time` of
/// wall time) of each side, back to back, the first side alternating from round to round.
pub fn interleave(
    cases: &mut [Case],
    pairs: &[(usize, usize)],
    rounds: usize,
    batch_time: Duration,
) -> Interleaved {
    let iterations: Vec<u64> = cases
        .iter_mut()
        .map(|case| calibrate(&mut case.run, batch_time))
        .collect();
    let mut times = vec![Vec::new(); cases.len()];
    let mut ratios: HashMap<(usize, usize), Vec<f64>> = HashMap::new();
    for round in 0..rounds {
        for &(a, b) in pairs {
            let (ta, tb) = if round % 2 == 0 {
                let ta = batch(&mut cases[a], iterations[a]);
                (ta, batch(&mut cases[b], iterations[b]))
            } else {
                let tb = batch(&mut cases[b], iterations[b]);
                (batch(&mut cases[a], iterations[a]), tb)
            };
            times[a].push(ta);
            times[b].push(tb);
            ratios.entry((a, b)).or_default().push(ta / tb);
        }
    }
    Interleaved {
        names: cases.iter().map(|c| c.name.clone()).collect(),
        times,
        pairs: ratios,
    }
}

/// Runs `case` `iterations` times. Callgrind counts instructions inside this function only
/// (`--toggle-collect`), and dumps a profile after each call (`--dump-after`).
#[inline(never)]
pub fn callgrind_measured(run: &mut dyn FnMut(), iterations: u64) {
    for _ in 0..black_box(iterations) {
        run();
    }
}

/// Formats seconds with a unit that suits them.
pub fn human(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.2} s")
    } else if seconds >= 1e-3 {
        format!("{:.2} ms", seconds * 1e3)
    } else if seconds >= 1e-6 {
        format!("{:.2} µs", seconds * 1e6)
    } else {
        format!("{:.0} ns", seconds * 1e9)
    }
}
