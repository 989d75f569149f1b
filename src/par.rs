//! Work shared among threads, without a thread pool crate.

use std::sync::Mutex;

/// Runs every job, on up to `threads` threads (this one among them). A
/// thread the system refuses is no error: the threads there are take on
/// its jobs, down to this one alone.
pub(crate) fn run_jobs<F: FnOnce() + Send>(jobs: Vec<F>, threads: usize) {
    let queue = Mutex::new(jobs);
    let work = || loop {
        // A job never panics (the crate denies it); were one to, the scope
        // below would pass the panic on, so a poisoned queue is still read.
        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match job {
            Some(job) => job(),
            None => return,
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            if std::thread::Builder::new()
                .name("yibao-work".into())
                .spawn_scoped(scope, work)
                .is_err()
            {
                break;
            }
        }
        work();
    });
}

/// Sorts `v` on up to `threads` threads: runs sorted side by side, then
/// merged. The same order as `v.sort_unstable()` for keys that are all
/// distinct (as the callers' are: each ends in its row's index).
pub(crate) fn sort_distinct<T: Ord + Copy + Send>(v: &mut Vec<T>, threads: usize) {
    const ALONE: usize = 1 << 16;
    if threads <= 1 || v.len() < ALONE {
        v.sort_unstable();
        return;
    }
    let run = v.len().div_ceil(threads);
    run_jobs(
        v.chunks_mut(run)
            .map(|c| move || c.sort_unstable())
            .collect(),
        threads,
    );
    let runs: Vec<&[T]> = v.chunks(run).collect();
    let mut heads = vec![0usize; runs.len()];
    let mut out = Vec::with_capacity(v.len());
    loop {
        let mut best: Option<(usize, T)> = None;
        for (r, run) in runs.iter().enumerate() {
            if let Some(&x) = run.get(heads[r]) {
                if best.is_none_or(|(_, b)| x < b) {
                    best = Some((r, x));
                }
            }
        }
        let Some((r, x)) = best else { break };
        out.push(x);
        heads[r] += 1;
    }
    *v = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parallel_sort_sorts_as_one_thread_does() {
        // A scrambled permutation of 0..n (7919 is prime to n).
        let n: u64 = 200_003;
        let mut v: Vec<u64> = (0..n).map(|i| (i * 7919) % n).collect();
        let mut expected = v.clone();
        expected.sort_unstable();
        for threads in [1, 2, 3, 7] {
            let mut w = v.clone();
            sort_distinct(&mut w, threads);
            assert_eq!(w, expected, "{threads} threads");
        }
        v.clear();
        sort_distinct(&mut v, 4);
        assert!(v.is_empty());
    }

    #[test]
    fn every_job_runs_once() {
        let counts: Vec<Mutex<u32>> = (0..100).map(|_| Mutex::new(0)).collect();
        let jobs = counts
            .iter()
            .map(|c| move || *c.lock().unwrap_or_else(|e| e.into_inner()) += 1)
            .collect();
        run_jobs(jobs, 3);
        assert!(counts
            .iter()
            .all(|c| *c.lock().unwrap_or_else(|e| e.into_inner()) == 1));
    }
}
