//! The machine the figures were measured on: CPU, memory, kernel, and the
//! filesystem holding the databases (durable-commit speed is mostly the
//! disk's fsync).

use std::path::Path;

/// What the report says about the machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Machine {
    /// CPU model name.
    pub cpu_model: String,
    /// Logical CPUs listed in `/proc/cpuinfo`.
    pub cpus: usize,
    /// Logical CPUs this process may run on.
    pub available_cpus: usize,
    /// Total memory, in KiB.
    pub memory_kib: u64,
    /// Kernel release.
    pub kernel: String,
    /// The filesystem of the work directory: device, type, mount point, options.
    pub filesystem: String,
}

/// Read the machine's description from `/proc`; `work_dir` is where the
/// databases live.
pub fn describe(work_dir: &Path) -> Machine {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let (cpu_model, cpus) = parse_cpuinfo(&cpuinfo);
    let canonical = std::fs::canonicalize(work_dir).unwrap_or_else(|_| work_dir.to_path_buf());
    Machine {
        cpu_model,
        cpus,
        available_cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        memory_kib: parse_mem_total(&read("/proc/meminfo")).unwrap_or(0),
        kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
        filesystem: mount_of(&read("/proc/mounts"), &canonical.to_string_lossy())
            .unwrap_or_else(|| "unknown".to_string()),
    }
}

/// The first `model name` and the number of `processor` entries.
pub fn parse_cpuinfo(text: &str) -> (String, usize) {
    let value = |line: &str, key: &str| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_string())
    };
    let model = text
        .lines()
        .find_map(|l| value(l, "model name"))
        .unwrap_or_else(|| "unknown".to_string());
    let count = text.lines().filter(|l| value(l, "processor").is_some()).count();
    (model, count)
}

/// `MemTotal` in KiB.
pub fn parse_mem_total(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// The mount holding `path` (the longest mount point that is a prefix of
/// it), as "device, type, on mount point (options)".
pub fn mount_of(mounts: &str, path: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for line in mounts.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [device, point, fstype, options, ..] = f.as_slice() else {
            continue;
        };
        let inside =
            *point == "/" || path == *point || path.strip_prefix(*point).is_some_and(|rest| rest.starts_with('/'));
        // Later mounts on the same point hide earlier ones, hence `>=`.
        if inside && best.as_ref().is_none_or(|(len, _)| point.len() >= *len) {
            best = Some((point.len(), format!("{device}, {fstype}, on {point} ({options})")));
        }
    }
    best.map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_gives_model_and_count() {
        let text = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t: fpu\n\n\
                    processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Processor\n";
        assert_eq!(parse_cpuinfo(text), ("Intel(R) Xeon(R) Processor".to_string(), 2));
        assert_eq!(parse_cpuinfo(""), ("unknown".to_string(), 0));
    }

    #[test]
    fn meminfo_gives_total() {
        assert_eq!(
            parse_mem_total("MemTotal:       24684000 kB\nMemFree: 1 kB\n"),
            Some(24_684_000)
        );
        assert_eq!(parse_mem_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn the_longest_matching_mount_point_wins() {
        let mounts = "/dev/vda / ext4 rw,relatime 0 0\ntmpfs /tmp tmpfs rw 0 0\n/dev/vdb /tmpfoo xfs rw 0 0\n";
        assert_eq!(
            mount_of(mounts, "/tmp/teller-bench-1").as_deref(),
            Some("tmpfs, tmpfs, on /tmp (rw)")
        );
        assert_eq!(
            mount_of(mounts, "/work/x").as_deref(),
            Some("/dev/vda, ext4, on / (rw,relatime)")
        );
        assert_eq!(
            mount_of(mounts, "/tmpfoo").as_deref(),
            Some("/dev/vdb, xfs, on /tmpfoo (rw)")
        );
        assert_eq!(mount_of("", "/x"), None);
    }
}
