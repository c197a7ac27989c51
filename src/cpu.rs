//! CPU time of the calling thread and of the whole process, for the monitor's cost
//! measurement. Besides [`ffi`](crate) and [`hint`](crate), the only module with `unsafe`
//! code: one `clock_gettime` call, which writes only the `timespec` it is given.
//!
//! Wall time would be wrong for a reader thread that blocks on the network; the thread's CPU
//! clock counts only what it ran (about 50 ns a call on Linux). Elsewhere the functions return
//! `None` and the monitor has no measured costs (admission then relies on the host's
//! [`expected_cost`](crate::monitor::StreamSpec::expected_cost)).

/// CPU nanoseconds the calling thread has run, if this platform has a thread CPU clock.
#[inline]
pub(crate) fn thread_ns() -> Option<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        clock(libc::CLOCK_THREAD_CPUTIME_ID)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        None
    }
}

/// CPU nanoseconds the whole process has run (every thread), if known.
pub(crate) fn process_ns() -> Option<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        clock(libc::CLOCK_PROCESS_CPUTIME_ID)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        None
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
fn clock(id: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes one `timespec` through the pointer, which points to a
    // live, properly aligned local; the clock ids used are constants the kernel knows.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn the_thread_clock_counts_work_and_not_sleep() {
        let t0 = super::thread_ns().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let slept = super::thread_ns().unwrap() - t0;
        assert!(slept < 20_000_000, "sleeping cost {slept} ns of CPU");
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let worked = super::thread_ns().unwrap() - t0 - slept;
        assert!(worked > 1_000_000, "30 ms of spinning counted {worked} ns");
        assert!(super::process_ns().unwrap() >= worked);
    }
}
