//! Helpers shared by the counting tests (included with `#[path]`): loading
//! the shared reference data and reading Droop / stv-rs transcripts.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use teller_audit::count::{parse_blt, parse_soi, Profile, RankedBallots, TieBreaker};

/// The shared ranked-ballot data directory.
pub fn data_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/ranked"))
}

/// Reads a file under the data directory.
pub fn read(rel: &str) -> String {
    let path = data_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses a BLT file under the data directory.
pub fn blt(rel: &str) -> Profile<RankedBallots> {
    parse_blt(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Parses a `.soi` file under the data directory.
pub fn soi(rel: &str) -> Profile<RankedBallots> {
    parse_soi(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Droop's default tie-breaking: the file's `[tie]` order, else candidate
/// order, first chosen first (what Droop calls lots).
pub fn droop_ties<B>(p: &Profile<B>) -> TieBreaker {
    let order = p.tie_order.clone().unwrap_or_else(|| (0..p.candidates.len()).collect());
    TieBreaker::new([0; 32]).with_order(order)
}

/// One candidate line of a reference transcript.
#[derive(Clone, Debug)]
pub struct RefCand {
    pub state: String,
    pub name: String,
    pub value: String,
}

/// One `Action:` block of a reference transcript.
#[derive(Clone, Debug, Default)]
pub struct RefAction {
    /// 1-based line of the `Action:` line.
    pub line: usize,
    /// Round number in force (`Round N:`), 0 before the first.
    pub round: usize,
    /// Text after `Action: `.
    pub text: String,
    pub cands: Vec<RefCand>,
    pub stats: BTreeMap<String, String>,
    /// `Stable state detected (x)` printed just before this action.
    pub stable: Option<String>,
}

impl RefAction {
    /// The value shown for candidate `name`, if listed.
    pub fn value_of(&self, name: &str) -> Option<&str> {
        self.cands.iter().find(|c| c.name == name).map(|c| c.value.as_str())
    }
}

/// A reference transcript (Droop report or stv-rs log).
#[derive(Clone, Debug, Default)]
pub struct RefReport {
    pub header: BTreeMap<String, String>,
    pub actions: Vec<RefAction>,
}

fn split_value(rest: &str) -> Option<(&str, &str)> {
    let rest = rest.trim();
    let open = rest.rfind(" (")?;
    let value = rest[open + 2..].strip_suffix(')')?;
    Some((&rest[..open], value))
}

/// Parses a Droop `.report.txt` or stv-rs `.log`.
pub fn parse_report(text: &str) -> RefReport {
    let mut report = RefReport::default();
    let mut round = 0usize;
    let mut stable: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if let Some(r) = line.strip_prefix("Round ") {
            round = r.trim_end_matches(':').parse().unwrap();
            continue;
        }
        if let Some(a) = line.strip_prefix("Action: ") {
            report.actions.push(RefAction {
                line: i + 1,
                round,
                text: a.to_owned(),
                stable: stable.take(),
                ..RefAction::default()
            });
            continue;
        }
        let Some(body) = line.strip_prefix('\t') else {
            continue;
        };
        if let Some(s) = body.strip_prefix("Stable state detected (") {
            stable = Some(s.trim_end_matches(')').to_owned());
            continue;
        }
        let Some(action) = report.actions.last_mut() else {
            if let Some((k, v)) = body.split_once(": ") {
                report.header.insert(k.trim().to_owned(), v.trim().to_owned());
            }
            continue;
        };
        let mut is_cand = false;
        for state in ["Hopeful:", "Elected:", "Pending:", "Defeated:", "Withdrawn:"] {
            if let Some(rest) = body.strip_prefix(state) {
                let (names, value) = split_value(rest).unwrap();
                for name in names.split(", ") {
                    action.cands.push(RefCand {
                        state: state.trim_end_matches(':').to_owned(),
                        name: name.trim().to_owned(),
                        value: value.to_owned(),
                    });
                }
                is_cand = true;
            }
        }
        if !is_cand {
            if let Some((k, v)) = body.split_once(": ") {
                action.stats.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }
    report
}

/// The candidate named in an action text, after the first `: `.
pub fn action_subject(text: &str) -> &str {
    let after = text.split_once(": ").map_or(text, |(_, s)| s);
    // "Surplus transferred: Name (682.00000)".
    match after.rfind(" (") {
        Some(p) if after.ends_with(')') => &after[..p],
        _ => after,
    }
}

/// A parsed `Break tie …: [A, B] -> A` action: (kind, tied names, chosen).
pub fn parse_tie(text: &str) -> Option<(String, Vec<String>, String)> {
    let rest = text.strip_prefix("Break tie ")?;
    let (kind, rest) = rest.split_once(": [")?;
    let (names, chosen) = rest.split_once("] -> ")?;
    let mut names: Vec<String> = names.split(", ").map(str::to_owned).collect();
    names.sort();
    Some((kind.to_owned(), names, chosen.to_owned()))
}
