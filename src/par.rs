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

#[cfg(test)]
mod tests {
    use super::*;

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
