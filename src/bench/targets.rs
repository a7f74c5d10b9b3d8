//! The project's performance targets, each set against what was measured.
//! Throughput targets are judged at every unpaced level, so a target met
//! only at some numbers of voters says which.

use std::fmt::Write as _;
use std::time::Duration;

use super::casting::{Casting, Level};
use super::memory::mib;
use super::report::{ms, secs, yes_no, Report};
use super::scratch::Backend;

fn level_at(c: &Casting, voters: usize) -> Option<&Level> {
    c.levels.iter().find(|l| l.voters == voters && l.offered.is_none())
}

fn paced_at(c: &Casting, voters: usize) -> Option<&Level> {
    c.levels.iter().find(|l| l.voters == voters && l.offered.is_some())
}

fn unpaced(c: &Casting) -> impl Iterator<Item = &Level> {
    c.levels.iter().filter(|l| l.offered.is_none())
}

/// The targets table: each target, what was measured, and whether it was met.
pub fn render(s: &mut String, r: &Report) {
    let _ = writeln!(s, "## Targets\n\n| target | measured | met |\n|---|---|---|");
    for (backend, m) in &r.casting {
        let Some(c) = m.done() else { continue };
        match backend {
            Backend::Sqlite => {
                if let Some(raw) = r.raw_rate(Backend::Sqlite) {
                    let ratios: Vec<(usize, f64)> = unpaced(c)
                        .map(|l| (l.voters, l.outcome.casts_per_second() / raw))
                        .collect();
                    let text: Vec<String> = ratios.iter().map(|(v, x)| format!("{v} voters: {x:.2}×")).collect();
                    let _ = writeln!(
                        s,
                        "| SQLite casting ≥ 0.5 × raw commit rate ({raw:.0}/s) | {} | {} |",
                        text.join(", "),
                        met_at(&ratios, |x| x >= 0.5)
                    );
                }
            }
            Backend::Postgres => {
                let rates: Vec<(usize, f64)> = unpaced(c).map(|l| (l.voters, l.outcome.casts_per_second())).collect();
                let text: Vec<String> = rates.iter().map(|(v, x)| format!("{v} voters: {x:.0}/s")).collect();
                let _ = writeln!(
                    s,
                    "| PostgreSQL casting ≥ 1,000/s | {} | {} |",
                    text.join(", "),
                    met_at(&rates, |x| x >= 1000.0)
                );
            }
        }
        if let Some(l) = level_at(c, 1000) {
            let p99 = l.outcome.latencies.p99;
            // Without think time, Little's law fixes the mean latency at
            // voters ÷ throughput: say so beside the figure.
            let _ = writeln!(
                s,
                "| {backend}: p99 < 100 ms at 1,000 voters | {} (mean {}: 1,000 voters ÷ {:.0} casts/s) | {} |",
                ms(p99),
                ms(Duration::from_secs_f64(1000.0 / l.outcome.casts_per_second().max(1e-9))),
                l.outcome.casts_per_second(),
                yes_no(p99 < Duration::from_millis(100))
            );
            if let Some(p) = paced_at(c, 1000) {
                let _ = writeln!(
                    s,
                    "| {backend}: (context) p99 at 1,000 voters paced at {:.0}/s, {:.0}% of the unpaced rate | {} | {} |",
                    p.offered.unwrap_or(0.0),
                    p.offered.unwrap_or(0.0) / l.outcome.casts_per_second().max(1e-9) * 100.0,
                    ms(p.outcome.latencies.p99),
                    yes_no(p.outcome.latencies.p99 < Duration::from_millis(100))
                );
            }
            let peak = c
                .levels
                .iter()
                .filter(|x| x.voters == 1000)
                .map(|x| x.server_memory.rss_kib.max(x.server_memory.hwm_kib))
                .max()
                .unwrap_or(0);
            let _ = writeln!(
                s,
                "| {backend}: server memory < 200 MiB at 1,000 voters | {:.0} MiB (VmHWM) | {} |",
                mib(peak),
                yes_no(mib(peak) < 200.0)
            );
        }
    }
    for (backend, n, m) in &r.records {
        let Some(run) = m.done() else { continue };
        if *n != 1_000_000 {
            continue;
        }
        let v = &run.verify;
        let _ = writeln!(
            s,
            "| {backend}: verify 1,000,000 ballots < 10 s | {} | {} |",
            secs(v.wall),
            yes_no(v.wall < Duration::from_secs(10) && run.verified())
        );
        let _ = writeln!(
            s,
            "| {backend}: verify 1,000,000 ballots in < 1 GiB | {:.0} MiB | {} |",
            mib(v.peak_kib),
            yes_no(mib(v.peak_kib) < 1024.0)
        );
    }
    s.push('\n');
}

/// "yes" if every level meets `ok`, else which levels do.
fn met_at(values: &[(usize, f64)], ok: impl Fn(f64) -> bool) -> String {
    let good: Vec<String> = values
        .iter()
        .filter(|(_, x)| ok(*x))
        .map(|(v, _)| v.to_string())
        .collect();
    if good.len() == values.len() {
        "**yes**".to_string()
    } else if good.is_empty() {
        "**no**".to_string()
    } else {
        format!("**only at {} voters**", good.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_met_at_some_levels_say_which() {
        assert_eq!(met_at(&[(10, 0.6), (100, 2.0)], |x| x >= 0.5), "**yes**");
        assert_eq!(met_at(&[(10, 0.2), (100, 2.0)], |x| x >= 0.5), "**only at 100 voters**");
        assert_eq!(met_at(&[(10, 0.2)], |x| x >= 0.5), "**no**");
    }
}
