//! Memory and CPU of processes, read from Linux's `/proc`: `VmRSS` (resident
//! now) and `VmHWM` (the resident high-water mark) from `/proc/PID/status`,
//! user + system CPU time from `/proc/PID/stat`, and how busy the whole
//! machine was from `/proc/stat` (the CPUs are shared with the database and
//! with whatever else runs). The crate has no libc
//! binding and forbids unsafe code, so `/proc` is the way in.
//!
//! A child's peak is taken by polling its `VmHWM` every few milliseconds
//! until it exits. `VmHWM` only grows, so polling misses only growth in the
//! last interval before exit; once the process has exited, `/proc` no longer
//! shows its memory at all.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// Resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resident {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the most that was ever resident.
    pub hwm_kib: u64,
}

/// Read `VmRSS` and `VmHWM` from the text of `/proc/PID/status`. `None` when
/// either is missing, as for a kernel thread or a process that has exited.
pub fn parse_status(text: &str) -> Option<Resident> {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            let mut words = rest.split_whitespace();
            let n = words.next()?.parse::<u64>().ok()?;
            // The kernel always says kB (meaning KiB); anything else is not understood.
            (words.next() == Some("kB")).then_some(n)
        })
    };
    Some(Resident {
        rss_kib: field("VmRSS")?,
        hwm_kib: field("VmHWM")?,
    })
}

/// The resident memory of process `pid`, if it is alive.
pub fn resident(pid: u32) -> Option<Resident> {
    parse_status(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

/// User + system CPU time, in clock ticks, from the text of `/proc/PID/stat`.
/// The command name (field 2) may hold spaces and parentheses, so fields are
/// counted from the last `)`: utime and stime are fields 14 and 15.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    // Fields 3 (state) to 13 come first: skip 11 of them.
    let utime = fields.nth(11)?.parse::<u64>().ok()?;
    let stime = fields.next()?.parse::<u64>().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second of `/proc` CPU times (`getconf CLK_TCK`; Linux
/// has used 100 on every mainstream architecture for decades).
fn ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|t| *t > 0)
            .unwrap_or(100)
    })
}

/// CPU time (user + system) used so far by process `pid` ("self" for this one),
/// including threads that have already ended.
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let ticks = parse_cpu_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?;
    Some(Duration::from_millis(ticks * 1000 / ticks_per_second()))
}

/// The command name (field 2) from the text of `/proc/PID/stat`.
pub fn parse_comm(stat: &str) -> Option<&str> {
    Some(&stat[stat.find('(')? + 1..stat.rfind(')')?])
}

/// CPU time used so far by every process whose command name is `comm`
/// (for example all of PostgreSQL's `postgres` processes, which serve the
/// casts on that backend). Processes that end in between are not counted.
pub fn cpu_time_of_all(comm: &str) -> Duration {
    let mut ticks = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if parse_comm(&stat) == Some(comm) {
            ticks += parse_cpu_ticks(&stat).unwrap_or(0);
        }
    }
    Duration::from_millis(ticks * 1000 / ticks_per_second())
}

/// Busy and total CPU ticks of the whole machine, summed over its CPUs,
/// from the text of `/proc/stat` (its first, `cpu`, line). Idle and I/O
/// wait are not busy; steal (time a hypervisor gave to someone else) is.
pub fn parse_machine_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line.split_whitespace().skip(1).map_while(|w| w.parse().ok()).collect();
    let [user, nice, system, idle, iowait, irq, softirq, rest @ ..] = v.as_slice() else {
        return None;
    };
    let steal = rest.first().copied().unwrap_or(0);
    let busy = user + nice + system + irq + softirq + steal;
    Some((busy, busy + idle + iowait))
}

/// A reading of the whole machine's CPU counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineTicks {
    busy: u64,
    total: u64,
}

impl MachineTicks {
    /// Read `/proc/stat` now.
    pub fn now() -> Option<Self> {
        let (busy, total) = parse_machine_ticks(&std::fs::read_to_string("/proc/stat").ok()?)?;
        Some(MachineTicks { busy, total })
    }

    /// The share of all CPUs that was busy between `self` and `later`, times
    /// `cpus`: how many CPUs' worth of work the machine did.
    pub fn cpus_busy_until(&self, later: &MachineTicks, cpus: usize) -> f64 {
        let total = later.total.saturating_sub(self.total);
        if total == 0 {
            return 0.0;
        }
        later.busy.saturating_sub(self.busy) as f64 / total as f64 * cpus as f64
    }
}

/// Samples a running process's memory on a thread until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Resident>,
}

impl Sampler {
    /// Start sampling `pid` every `every`.
    pub fn start(pid: u32, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut peak = Resident::default();
            loop {
                if let Some(now) = resident(pid) {
                    peak.rss_kib = peak.rss_kib.max(now.rss_kib);
                    peak.hwm_kib = peak.hwm_kib.max(now.hwm_kib);
                }
                if flag.load(Ordering::Relaxed) {
                    return peak;
                }
                std::thread::sleep(every);
            }
        });
        Sampler { stop, handle }
    }

    /// Stop and return the largest `VmRSS` seen and the last `VmHWM`.
    pub fn stop(self) -> Resident {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}

/// A child process run to completion with its wall time and peak memory.
#[derive(Debug, Clone)]
pub struct Measured {
    /// From spawn to exit.
    pub wall: Duration,
    /// The largest `VmHWM` seen while it ran, in KiB.
    pub peak_kib: u64,
    /// How it exited.
    pub status: ExitStatus,
    /// The end of what it printed (stdout then stderr), for reports and errors.
    pub output_tail: String,
}

/// How often a measured child's memory is polled.
pub const POLL: Duration = Duration::from_millis(5);

/// Run `command` to completion, its output going to `log`, polling its
/// `VmHWM` every [`POLL`]; give up (killing it) after `limit`.
pub fn run_measured(command: &mut Command, log: &Path, limit: Duration) -> Result<Measured> {
    let out = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let err = out.try_clone()?;
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .with_context(|| format!("cannot run {command:?}"))?;
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if let Some(r) = resident(pid) {
            peak = peak.max(r.hwm_kib);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("{command:?} took more than {} s; stopped", limit.as_secs());
        }
        std::thread::sleep(POLL);
    };
    let wall = start.elapsed();
    Ok(Measured {
        wall,
        peak_kib: peak,
        status,
        output_tail: tail(log, 2000),
    })
}

/// The last `max` bytes of a text file (empty if unreadable).
pub fn tail(path: &Path, max: usize) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let from = bytes.len().saturating_sub(max);
    String::from_utf8_lossy(&bytes[from..]).trim().to_string()
}

/// KiB as MiB, for reports.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tteller\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t  812344 kB\n\
                          VmSize:\t  812340 kB\nVmHWM:\t   45312 kB\nVmRSS:\t   40960 kB\nThreads:\t9\n";

    #[test]
    fn status_gives_rss_and_high_water_mark() {
        assert_eq!(
            parse_status(STATUS),
            Some(Resident {
                rss_kib: 40960,
                hwm_kib: 45312
            })
        );
    }

    #[test]
    fn a_process_without_memory_has_no_figures() {
        // What a zombie's status looks like: no Vm* lines.
        assert_eq!(parse_status("Name:\tteller\nState:\tZ (zombie)\n"), None);
        assert_eq!(parse_status("VmHWM:\t12 MB\nVmRSS:\t1 kB\n"), None);
        // A field whose name only starts like the one wanted is not it.
        assert_eq!(parse_status("VmRSSx:\t1 kB\nVmHWM:\t2 kB\n"), None);
    }

    #[test]
    fn cpu_ticks_are_utime_plus_stime_even_with_odd_names() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194304 1234 0 0 0 250 75 0 0 20 0 9 0 100 812340 10240";
        assert_eq!(parse_cpu_ticks(stat), Some(325));
        assert_eq!(parse_comm(stat), Some("my (odd) name"));
        assert_eq!(parse_cpu_ticks("4242 (x) S 1"), None);
        assert_eq!(parse_cpu_ticks("no parenthesis"), None);
    }

    #[test]
    fn machine_ticks_count_steal_as_busy_and_iowait_as_idle() {
        let stat = "cpu  100 5 50 800 30 2 3 10 0 0\ncpu0 50 2 25 400 15 1 1 5 0 0\nintr 1\n";
        assert_eq!(parse_machine_ticks(stat), Some((170, 1000)));
        // Old kernels without steal.
        assert_eq!(parse_machine_ticks("cpu  1 0 1 8 0 0 0\n"), Some((2, 10)));
        assert_eq!(parse_machine_ticks("intr 1\n"), None);
        let (a, b) = (
            MachineTicks { busy: 0, total: 0 },
            MachineTicks { busy: 50, total: 100 },
        );
        assert!((a.cpus_busy_until(&b, 2) - 1.0).abs() < 1e-9);
        assert_eq!(a.cpus_busy_until(&a, 2), 0.0);
    }

    #[test]
    fn this_process_can_be_read() {
        let me = resident(std::process::id()).unwrap();
        assert!(me.rss_kib > 0 && me.hwm_kib >= me.rss_kib);
        assert!(cpu_time("self").is_some());
        assert!(MachineTicks::now().is_some());
        let me = parse_comm(&std::fs::read_to_string("/proc/self/stat").unwrap())
            .unwrap()
            .to_string();
        assert!(cpu_time_of_all(&me) > Duration::ZERO || cpu_time("self") == Some(Duration::ZERO));
    }

    #[test]
    fn a_child_is_measured_to_its_exit() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let m = run_measured(
            Command::new("sh").args(["-c", "echo hello; sleep 0.1"]),
            &log,
            Duration::from_secs(10),
        )
        .unwrap();
        assert!(m.status.success());
        assert!(m.wall >= Duration::from_millis(100));
        assert!(m.peak_kib > 0);
        assert_eq!(m.output_tail, "hello");
    }
}
