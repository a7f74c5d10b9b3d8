//! The Markdown report: the machine, the targets and whether each was met,
//! then every figure with how it was measured.

use std::fmt::Write as _;
use std::time::Duration;

use super::casting::{Casting, Level};
use super::machine::Machine;
use super::memory::{mib, POLL};
use super::raw_commit::RawCommits;
use super::record::{RecordRun, BATCH, SEAL_EVERY};
use super::scratch::Backend;

/// A measurement that was made, or why not.
#[derive(Debug, Clone)]
pub enum Measured<T> {
    /// It was made.
    Done(T),
    /// It was not asked for, or could not be (for example no PostgreSQL URL).
    Skipped(String),
    /// It failed; the error.
    Failed(String),
}

impl<T> Measured<T> {
    /// The figures, if made.
    pub fn done(&self) -> Option<&T> {
        match self {
            Measured::Done(t) => Some(t),
            _ => None,
        }
    }
}

/// Everything a run found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Where.
    pub machine: Machine,
    /// Database versions and durability settings, one line per backend.
    pub databases: Vec<(Backend, String)>,
    /// The command as run.
    pub command: String,
    /// The source revision measured, when known (`TELLER_BENCH_REVISION`, set by bench/run.sh).
    pub revision: Option<String>,
    /// When the run started (Unix seconds).
    pub started_at: i64,
    /// How long the whole run took.
    pub total: Duration,
    /// Whether this was a `--quick` smoke test.
    pub quick: bool,
    /// The bounds of each casting level.
    pub max_casts: usize,
    /// The time bound of each casting level.
    pub level_time_limit: Duration,
    /// The raw commit rate per backend.
    pub raw: Vec<(Backend, Measured<RawCommits>)>,
    /// Casting per backend.
    pub casting: Vec<(Backend, Measured<Casting>)>,
    /// Export and verification per backend and size.
    pub records: Vec<(Backend, u64, Measured<RecordRun>)>,
}

impl Report {
    /// Whether any measurement failed (as opposed to being skipped).
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (b, m) in &self.raw {
            if let Measured::Failed(e) = m {
                out.push(format!("raw commit rate on {b}: {e}"));
            }
        }
        for (b, m) in &self.casting {
            if let Measured::Failed(e) = m {
                out.push(format!("casting on {b}: {e}"));
            }
        }
        for (b, n, m) in &self.records {
            if let Measured::Failed(e) = m {
                out.push(format!("record of {} ballots on {b}: {e}", thousands(*n)));
            }
        }
        out
    }

    /// The raw commit rate measured on `backend`, if it was.
    pub fn raw_rate(&self, backend: Backend) -> Option<f64> {
        self.raw
            .iter()
            .find(|(b, _)| *b == backend)
            .and_then(|(_, m)| m.done())
            .map(RawCommits::per_second)
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Seconds with one decimal (two below ten).
pub fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.1} s")
    }
}

pub(super) fn yes_no(ok: bool) -> &'static str {
    if ok {
        "**yes**"
    } else {
        "**no**"
    }
}

/// Render the report as Markdown.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Teller benchmark results\n");
    let _ = writeln!(
        s,
        "Measured {} by `teller bench` in {}.{}\n",
        crate::time::format(r.started_at),
        secs(r.total),
        if r.quick {
            " **Quick mode: a smoke test of the harness; these figures are not the benchmark.**"
        } else {
            ""
        }
    );
    machine(&mut s, r);
    super::targets::render(&mut s, r);
    raw(&mut s, r);
    casting(&mut s, r);
    memory(&mut s, r);
    records(&mut s, r);
    problems(&mut s, r);
    s
}

fn machine(s: &mut String, r: &Report) {
    let m = &r.machine;
    let _ = writeln!(s, "## Machine\n\n| | |\n|---|---|");
    let _ = writeln!(
        s,
        "| CPU | {} × {} ({} available to the benchmark; shared by server, load generator and any other load) |",
        m.cpu_model, m.cpus, m.available_cpus
    );
    let _ = writeln!(s, "| Memory | {:.1} GiB |", m.memory_kib as f64 / 1_048_576.0);
    let _ = writeln!(s, "| Kernel | Linux {} |", m.kernel);
    let _ = writeln!(s, "| Filesystem of the databases | {} |", m.filesystem);
    for (b, line) in &r.databases {
        let _ = writeln!(s, "| {b} | {line} |");
    }
    if let Some(revision) = &r.revision {
        let _ = writeln!(s, "| Revision | {revision} |");
    }
    let _ = writeln!(s, "| Command | `{}` |\n", r.command);
}

/// "1,000", or "1,000, paced: 2,150/s offered".
fn voters_cell(l: &Level) -> String {
    match l.offered {
        None => thousands(l.voters as u64),
        Some(rate) => format!("{}, paced: {rate:.0}/s offered", thousands(l.voters as u64)),
    }
}

fn raw(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "## 1. Raw durable commit rate\n\nOne connection, one small row per transaction, each committed before the \
         next begins, through Teller's own connection setup and write transaction (SQLite WAL, \
         `synchronous=FULL`, `BEGIN IMMEDIATE`; PostgreSQL `synchronous_commit=on`). SQLite in its own file \
         beside the casting database; PostgreSQL in the casting database, before the election is made.\n"
    );
    let _ = writeln!(
        s,
        "| backend | transactions | time | commits/s | mean commit |\n|---|---:|---:|---:|---:|"
    );
    for (b, m) in &r.raw {
        match m {
            Measured::Done(x) => {
                let _ = writeln!(
                    s,
                    "| {b} | {} | {} | {:.0} | {} |",
                    thousands(x.transactions),
                    secs(x.elapsed),
                    x.per_second(),
                    ms(x.mean())
                );
            }
            Measured::Skipped(why) => {
                let _ = writeln!(s, "| {b} | skipped: {why} | | | |");
            }
            Measured::Failed(e) => {
                let _ = writeln!(s, "| {b} | **failed**: {} | | | |", one_line(e));
            }
        }
    }
    s.push('\n');
}

fn casting(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "## 2. Casting over HTTP\n\nThe real server (`teller serve`, a child process, default settings) on \
         loopback; the example election; N voters, each a keep-alive HTTP/1.1 connection casting \
         `POST /api/v1/elections/{{id}}/ballots` with a fresh token, one request at a time (closed loop). A level \
         stops after {} casts or {} s, whichever first; throughput is 201 answers over the time from all voters \
         connected to the last answer. Latency is per request, send to full response. Unpaced, each voter sends \
         its next ballot as soon as the last is answered (zero think time), so by Little's law the mean latency is \
         voters ÷ throughput whatever the server does; the paced level offers a fixed rate instead (each voter on \
         a fixed schedule, staggered), with latency counted from when each cast was due. The load generator is \
         one thread in the benchmark process. CPU times come from `/proc/PID/stat` (the server, this process, and \
         every process named `postgres`) and `/proc/stat` (the whole machine).\n",
        thousands(r.max_casts as u64),
        r.level_time_limit.as_secs(),
    );
    let _ = writeln!(
        s,
        "| backend | voters | casts (201) | other answers | time | casts/s | × raw | p50 | p95 | p99 | max |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (b, m) in &r.casting {
        match m {
            Measured::Done(c) => {
                let raw = r.raw_rate(*b);
                for l in &c.levels {
                    let o = &l.outcome;
                    let _ = writeln!(
                        s,
                        "| {b} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
                        voters_cell(l),
                        thousands(o.created),
                        o.problems(),
                        secs(o.elapsed),
                        o.casts_per_second(),
                        match (raw, l.offered) {
                            (Some(raw), None) => format!("{:.2}", o.casts_per_second() / raw),
                            _ => "—".to_string(),
                        },
                        ms(o.latencies.p50),
                        ms(o.latencies.p95),
                        ms(o.latencies.p99),
                        ms(o.latencies.max),
                    );
                }
            }
            Measured::Skipped(why) => {
                let _ = writeln!(s, "| {b} | skipped: {why} |||||||||| ");
            }
            Measured::Failed(e) => {
                let _ = writeln!(s, "| {b} | **failed**: {} |||||||||| ", one_line(e));
            }
        }
    }
    let _ = writeln!(
        s,
        "\nWhere the CPU went during each level, in CPUs (CPU seconds per second of the level) and per cast. \
         \"Everything else\" is the whole machine's busy time less the server, PostgreSQL and the load generator: \
         other programs sharing the machine, and the kernel's work for them.\n"
    );
    let _ = writeln!(
        s,
        "| backend | voters | server | server per cast | PostgreSQL | PostgreSQL per cast | load generator | \
         machine busy (of {}) | everything else |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        r.machine.available_cpus
    );
    for (b, m) in &r.casting {
        let Some(c) = m.done() else { continue };
        for l in &c.levels {
            let o = &l.outcome;
            let wall = o.elapsed.as_secs_f64().max(1e-9);
            let per_cast = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6 / (o.created.max(1) as f64));
            let pg = l.postgres_cpu.unwrap_or_default();
            let ours = (l.server_cpu + pg + l.load_cpu).as_secs_f64() / wall;
            let _ = writeln!(
                s,
                "| {b} | {} | {:.2} | {} | {} | {} | {:.2} | {:.2} | {:.2} |",
                voters_cell(l),
                l.server_cpu.as_secs_f64() / wall,
                per_cast(l.server_cpu),
                l.postgres_cpu
                    .map_or("—".to_string(), |d| format!("{:.2}", d.as_secs_f64() / wall)),
                l.postgres_cpu.map_or("—".to_string(), per_cast),
                l.load_cpu.as_secs_f64() / wall,
                o.machine_cpus_busy,
                (o.machine_cpus_busy - ours).max(0.0),
            );
        }
    }
    s.push('\n');
}

fn memory(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "## 3. Server memory\n\n`VmRSS` of the server child sampled every 20 ms from `/proc/PID/status` during \
         each level, and its `VmHWM` (the kernel's high-water mark of resident memory) at the end of the level. \
         One server runs every level of a backend in turn, so the high-water mark includes earlier levels.\n"
    );
    let _ = writeln!(
        s,
        "| backend | idle (before load) | voters | peak VmRSS sampled | VmHWM |\n|---|---:|---:|---:|---:|"
    );
    for (b, m) in &r.casting {
        let Some(c) = m.done() else { continue };
        for l in &c.levels {
            let _ = writeln!(
                s,
                "| {b} | {:.0} MiB | {} | {:.0} MiB | {:.0} MiB |",
                mib(c.server_idle.rss_kib),
                voters_cell(l),
                mib(l.server_memory.rss_kib),
                mib(l.server_memory.hwm_kib)
            );
        }
    }
    s.push('\n');
}

fn records(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "## 4. Record export and offline verification\n\nEach election is made in a fresh database by the bulk \
         path: `ops::cast::cast_batch` (the function the server's cast queue calls) with batches of {} requests, \
         a seal every {} ballots, then close and tally through `ops::lifecycle` — the same records the HTTP path \
         makes. Then `teller export ID --out FILE` and `teller-audit verify FILE` run as child processes; wall \
         time is spawn to exit, and peak memory is the largest `VmHWM` read from `/proc/PID/status`, polled \
         every {} ms until the process exits.\n",
        thousands(BATCH as u64),
        thousands(SEAL_EVERY),
        POLL.as_millis()
    );
    let _ = writeln!(
        s,
        "| backend | ballots | setup (roll, tokens) | bulk casting | close + tally | record | export | export peak | \
         verify | verify peak | verified |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for (b, n, m) in &r.records {
        match m {
            Measured::Done(x) => {
                let _ = writeln!(
                    s,
                    "| {b} | {} | {} | {} ({:.0}/s) | {} | {:.0} MiB | {} | {:.0} MiB | {} | {:.0} MiB | {} |",
                    thousands(*n),
                    secs(x.setup),
                    secs(x.casting),
                    *n as f64 / x.casting.as_secs_f64().max(1e-9),
                    secs(x.close_and_tally),
                    x.record_bytes as f64 / 1_048_576.0,
                    secs(x.export.wall),
                    mib(x.export.peak_kib),
                    secs(x.verify.wall),
                    mib(x.verify.peak_kib),
                    if x.verified() {
                        "yes".to_string()
                    } else {
                        format!("**no** ({})", x.verify.status)
                    }
                );
            }
            Measured::Skipped(why) => {
                let _ = writeln!(s, "| {b} | {} | skipped: {why} |||||||||", thousands(*n));
            }
            Measured::Failed(e) => {
                let _ = writeln!(s, "| {b} | {} | **failed**: {} |||||||||", thousands(*n), one_line(e));
            }
        }
    }
    s.push('\n');
}

fn problems(s: &mut String, r: &Report) {
    let mut lines = Vec::new();
    for (b, m) in &r.casting {
        let Some(c) = m.done() else { continue };
        for l in &c.levels {
            if let Some(p) = &l.outcome.first_problem {
                lines.push(format!(
                    "{b}, {} voters: {} non-201 answers ({:?}) and {} failed requests; the first: {}",
                    voters_cell(l),
                    l.outcome.other.values().sum::<u64>(),
                    l.outcome.other,
                    l.outcome.failed,
                    one_line(p)
                ));
            }
        }
        for line in &c.server_problems {
            lines.push(format!("{b} server log: {}", one_line(line)));
        }
    }
    for (_, _, m) in &r.records {
        if let Some(x) = m.done().filter(|x| !x.verified()) {
            lines.push(format!("teller-audit verify: {}", one_line(&x.verify.output_tail)));
        }
    }
    lines.extend(r.failures());
    let _ = writeln!(s, "## Problems\n");
    if lines.is_empty() {
        let _ = writeln!(s, "None: every cast answered 201 and every record verified.");
    }
    for l in lines {
        let _ = writeln!(s, "- {l}");
    }
}

/// Text on one line, for table cells and bullets.
pub(super) fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = joined.chars().take(600).collect();
    cut.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(ms(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(secs(Duration::from_millis(1234)), "1.23 s");
        assert_eq!(secs(Duration::from_millis(12_345)), "12.3 s");
    }

    #[test]
    fn cells_stay_on_one_line_and_in_their_column() {
        assert_eq!(one_line("a |\n  b"), "a \\| b");
    }

    #[test]
    fn a_report_without_measurements_says_what_was_skipped() {
        let r = Report {
            machine: Machine::default(),
            databases: Vec::new(),
            command: "teller bench".into(),
            revision: None,
            started_at: 0,
            total: Duration::from_secs(1),
            quick: true,
            max_casts: 10,
            level_time_limit: Duration::from_secs(1),
            raw: vec![(Backend::Postgres, Measured::Skipped("no URL".into()))],
            casting: vec![(Backend::Postgres, Measured::Failed("boom".into()))],
            records: Vec::new(),
        };
        let text = render(&r);
        assert!(text.contains("| PostgreSQL | skipped: no URL |"), "{text}");
        assert!(text.contains("casting on PostgreSQL: boom"), "{text}");
        assert!(text.contains("Quick mode"), "{text}");
        assert_eq!(r.failures().len(), 1);
    }
}
