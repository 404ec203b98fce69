//! What the load programs read about a server process from `/proc` (proc(5)): its CPU
//! time (`/proc/PID/stat` utime + stime) and resident memory (`/proc/PID/status` VmRSS).

/// utime + stime, in clock ticks, from the text of a `/proc/PID/stat` file; the command
/// name (field 2) may hold spaces and parentheses, so fields are counted after its last `)`.
///
/// ```
/// let stat = "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 2 0";
/// assert_eq!(benches::procfs::cpu_ticks_from_stat(stat), Some(280));
/// assert_eq!(benches::procfs::cpu_ticks_from_stat("garbage"), None);
/// ```
pub fn cpu_ticks_from_stat(stat: &str) -> Option<u64> {
    cpu_split_from_stat(stat).map(CpuTicks::total)
}

/// CPU time of a process in clock ticks, user space and kernel apart (utime, stime).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTicks {
    /// Time in user mode (utime, field 14).
    pub user: u64,
    /// Time in kernel mode (stime, field 15).
    pub system: u64,
}

impl CpuTicks {
    /// User and system time together (utime + stime).
    ///
    /// ```
    /// assert_eq!(benches::procfs::CpuTicks { user: 7, system: 3 }.total(), 10);
    /// ```
    pub fn total(self) -> u64 {
        self.user + self.system
    }

    /// The time spent between `earlier` and this reading, each part apart.
    ///
    /// ```
    /// use benches::procfs::CpuTicks;
    /// let (a, b) = (CpuTicks { user: 5, system: 2 }, CpuTicks { user: 9, system: 3 });
    /// assert_eq!(b.since(a), CpuTicks { user: 4, system: 1 });
    /// ```
    pub fn since(self, earlier: CpuTicks) -> CpuTicks {
        CpuTicks { user: self.user - earlier.user, system: self.system - earlier.system }
    }
}

/// utime and stime apart, from the text of a `/proc/PID/stat` file.
///
/// ```
/// use benches::procfs::{CpuTicks, cpu_split_from_stat};
/// let stat = "42 (a) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 2 0";
/// assert_eq!(cpu_split_from_stat(stat), Some(CpuTicks { user: 250, system: 30 }));
/// ```
pub fn cpu_split_from_stat(stat: &str) -> Option<CpuTicks> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(CpuTicks { user, system })
}

/// The CPU time (utime + stime, clock ticks) of process `pid` so far.
pub fn cpu_ticks(pid: u32) -> std::io::Result<u64> {
    cpu_split_ticks(pid).map(CpuTicks::total)
}

/// The CPU time of process `pid` so far, user space and kernel apart.
pub fn cpu_split_ticks(pid: u32) -> std::io::Result<CpuTicks> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    cpu_split_from_stat(&stat).ok_or_else(|| std::io::Error::other(format!("/proc/{pid}/stat: no utime/stime")))
}

/// Clock ticks per second (`getconf CLK_TCK`); 100 on every Linux this runs on.
pub const CLK_TCK: f64 = 100.0;

/// Microseconds of CPU per unit of work, from a CPU-time difference in clock ticks
/// (NaN for no work).
///
/// ```
/// assert_eq!(benches::procfs::cpu_us_per(150, 3_000), 500.0);
/// assert!(benches::procfs::cpu_us_per(1, 0).is_nan());
/// ```
pub fn cpu_us_per(ticks: u64, count: u64) -> f64 {
    if count == 0 { f64::NAN } else { ticks as f64 / CLK_TCK * 1e6 / count as f64 }
}

/// VmRSS in KiB from the text of a `/proc/PID/status` file.
///
/// ```
/// let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmRSS:\t    1234 kB\nThreads:\t2\n";
/// assert_eq!(benches::procfs::vm_rss_from_status(status), Some(1234));
/// assert_eq!(benches::procfs::vm_rss_from_status("Name:\tx\n"), None);
/// ```
pub fn vm_rss_from_status(status: &str) -> Option<u64> {
    status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()
}

/// The resident set size (KiB) of process `pid` now.
pub fn vm_rss_kib(pid: u32) -> std::io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    vm_rss_from_status(&status).ok_or_else(|| std::io::Error::other(format!("/proc/{pid}/status: no VmRSS")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_the_command_name() {
        let cases: &[(&str, Option<u64>)] = &[
            ("1 (a) R 0 1 1 0 -1 0 0 0 0 0 7 3 0 0", Some(10)),
            ("1 (a b) c) R 0 1 1 0 -1 0 0 0 0 0 7 3 0 0", Some(10)),
            ("1 (a) R 0 1 1 0 -1 0 0 0 0 0 7", None),
            ("1 (a) R 0 1 1 0 -1 0 0 0 0 0 x 3", None),
        ];
        for (text, want) in cases {
            assert_eq!(cpu_ticks_from_stat(text), *want, "{text}");
        }
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let pid = std::process::id();
        let spin: u64 = (0..5_000_000u64).fold(0, |a, b| a.wrapping_add(b * b));
        assert_ne!(spin, 1);
        assert!(cpu_ticks(pid).is_ok());
        assert!(vm_rss_kib(pid).unwrap() > 0);
    }
}
