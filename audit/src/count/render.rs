//! Plain-text rendering of a transcript: stable, one block per round.

use super::lots::TieRule;
use super::transcript::{Action, IterationStop, Round, TieBreak, TiePurpose, Transcript};
use std::fmt::Write;

impl Transcript {
    /// The transcript as plain text. The layout is stable: the same count
    /// always renders to the same bytes.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        self.render_header(&mut out);
        for round in &self.rounds {
            out.push('\n');
            self.render_round(&mut out, round);
        }
        if let Some(p) = &self.pairwise {
            out.push('\n');
            self.render_matrix(&mut out, "Pairwise preferences (row over column)", &p.preferences);
            out.push('\n');
            self.render_matrix(&mut out, "Strongest paths (row to column)", &p.strongest_paths);
        }
        if let Some(ranking) = &self.ranking {
            let _ = writeln!(out, "\nRanking: {}", self.names(ranking));
        }
        let _ = writeln!(out, "\nElected: {}", self.names(&self.elected));
        out
    }

    fn name(&self, c: usize) -> &str {
        self.candidates.get(c).map_or("?", String::as_str)
    }

    fn names(&self, cs: &[usize]) -> String {
        if cs.is_empty() {
            return "(none)".to_owned();
        }
        cs.iter().map(|&c| self.name(c)).collect::<Vec<_>>().join(", ")
    }

    fn render_header(&self, out: &mut String) {
        let _ = writeln!(out, "Method: {} - {}", self.method.name(), self.rule);
        let _ = writeln!(out, "Seats: {}", self.seats);
        let _ = writeln!(out, "Candidates: {}", self.candidates.len());
        let _ = writeln!(out, "Withdrawn: {}", self.names(&self.withdrawn));
        let _ = writeln!(out, "Valid votes: {}", self.total);
        if let Some(q) = &self.quota {
            let _ = writeln!(out, "Quota: {q}");
        }
        for p in &self.parameters {
            let _ = writeln!(out, "{}: {}", p.name, p.value);
        }
    }

    fn action_title(&self, action: &Action) -> String {
        match action {
            Action::FirstPreferences => "first preferences".to_owned(),
            Action::Surplus { candidate, surplus } => {
                format!("transfer of the surplus of {} ({surplus})", self.name(*candidate))
            }
            Action::Exclusion { candidate } => {
                format!("exclusion of {}", self.name(*candidate))
            }
            Action::Iteration { iterations, stop } => {
                let why = match stop {
                    IterationStop::Elected => "a candidate reached the quota",
                    IterationStop::Omega => "surplus below omega",
                    IterationStop::Stable => "surplus no longer decreasing",
                };
                format!("{iterations} iteration(s), stopped: {why}")
            }
            Action::Completion => "count complete".to_owned(),
            Action::Tally => "totals".to_owned(),
            Action::Pairwise => "pairwise comparison".to_owned(),
        }
    }

    fn render_round(&self, out: &mut String, round: &Round) {
        let _ = writeln!(out, "Round {} - {}", round.number, self.action_title(&round.action));
        let name_w = self
            .candidates
            .iter()
            .map(|n| n.chars().count())
            .chain([16])
            .max()
            .unwrap_or(16);
        let tallies: Vec<String> = round.tally.iter().map(|d| d.to_string()).collect();
        let changes: Vec<String> = round
            .transfers
            .iter()
            .map(|d| if d.units() > 0 { format!("+{d}") } else { d.to_string() })
            .collect();
        let num_w = tallies
            .iter()
            .chain(changes.iter())
            .map(String::len)
            .chain([round.exhausted.to_string().len()])
            .max()
            .unwrap_or(1);
        for (c, name) in self.candidates.iter().enumerate() {
            let status = round.status.get(c).map_or("", |s| s.word());
            let tally = tallies.get(c).map_or("", String::as_str);
            let change = changes.get(c).map_or("", String::as_str);
            let pad = name_w - name.chars().count();
            let _ = writeln!(out, "  {name}{:pad$}  {tally:>num_w$}  {change:>num_w$}  {status}", "");
        }
        let line = |out: &mut String, label: &str, value: String| {
            let pad = name_w.saturating_sub(label.len());
            let _ = writeln!(out, "  {label}{:pad$}  {value:>num_w$}", "");
        };
        line(out, "Exhausted", round.exhausted.to_string());
        if let Some(loss) = &round.loss {
            line(out, "Rounding loss", loss.to_string());
        }
        if let Some(q) = &round.quota {
            line(out, "Quota", q.to_string());
        }
        if let Some(s) = &round.surplus {
            line(out, "Surplus", s.to_string());
        }
        for tie in &round.ties {
            let _ = writeln!(out, "  Tie: {}", self.describe_tie(tie));
        }
        for d in &round.elected {
            let _ = writeln!(out, "  Elected: {} ({})", self.name(d.candidate), d.reason.phrase());
        }
        for d in &round.excluded {
            let _ = writeln!(out, "  Excluded: {} ({})", self.name(d.candidate), d.reason.phrase());
        }
        for n in &round.notes {
            let _ = writeln!(out, "  Note: {n}");
        }
    }

    fn describe_tie(&self, tie: &TieBreak) -> String {
        let purpose = match tie.purpose {
            TiePurpose::Exclusion => "which candidate to exclude",
            TiePurpose::SurplusOrder => "whose surplus to transfer first",
            TiePurpose::ElectionOrder => "order of election",
            TiePurpose::Seat => "who takes the last seat",
            TiePurpose::Ranking => "order in the ranking",
        };
        let by = match &tie.rule {
            TieRule::PriorRound { round } => format!("by the totals at the end of round {round}"),
            TieRule::ExplicitOrder => "by the given tie order".to_owned(),
            TieRule::Lots => "BY LOT".to_owned(),
        };
        format!(
            "{} tied on {purpose}; decided {by}: {} (order {})",
            self.names(&tie.tied),
            self.name(tie.chosen),
            self.names(&tie.order)
        )
    }

    fn render_matrix(&self, out: &mut String, title: &str, m: &[Vec<super::decimal::Decimal>]) {
        let _ = writeln!(out, "{title}:");
        let cells: Vec<Vec<String>> = m
            .iter()
            .map(|row| row.iter().map(|d| d.to_string()).collect())
            .collect();
        let w = cells.iter().flatten().map(String::len).chain([3]).max().unwrap_or(3);
        let name_w = self
            .candidates
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{} {n}", i + 1).chars().count())
            .max()
            .unwrap_or(1);
        let mut head = format!("  {:name_w$}", "");
        for j in 0..cells.len() {
            let _ = write!(head, "  {:>w$}", j + 1);
        }
        let _ = writeln!(out, "{}", head.trim_end());
        for (i, row) in cells.iter().enumerate() {
            let label = format!("{} {}", i + 1, self.name(i));
            let pad = name_w.saturating_sub(label.chars().count());
            let mut line = format!("  {label}{:pad$}", "");
            for (j, cell) in row.iter().enumerate() {
                let cell = if i == j { "-" } else { cell.as_str() };
                let _ = write!(line, "  {cell:>w$}");
            }
            let _ = writeln!(out, "{line}");
        }
    }
}

impl std::fmt::Display for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render_text())
    }
}
