//! The election file staff write in TOML (see `examples/board-election.toml`),
//! turned into the canonical definition plus schedule and sealing policy.

use serde::Deserialize;
use teller_audit::definition::{Candidate, Comparison, Contest, Definition, Method, SkippedRanks, Threshold};

/// Default seconds between seals while the polls are open.
pub const DEFAULT_SEAL_INTERVAL: u64 = 600;
/// Default smallest batch sealed before the close.
pub const DEFAULT_SEAL_MIN_BALLOTS: u64 = 5;

/// An election as staff define it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionSpec {
    /// What is on the ballot.
    pub definition: Definition,
    /// When the polls open by themselves, if scheduled.
    pub opens_at: Option<i64>,
    /// When they close by themselves, if scheduled.
    pub closes_at: Option<i64>,
    /// Seconds between seals.
    pub seal_interval_seconds: u64,
    /// A seal before the close waits for at least this many ballots, so that
    /// a batch hides the order of casting among several voters.
    pub seal_min_ballots: u64,
    /// Certifiers who must sign the result (0: no committee certification).
    pub certification_quorum: u32,
    /// The zone times are shown in (and times without an offset read in).
    pub time_zone: crate::time::Zone,
    /// List the draft publicly, with its opening time, before it opens.
    pub announced: bool,
    /// Members may ask for an e-mail with their tracker when their ballot
    /// is sealed (off unless asked for).
    pub send_confirmations: bool,
    /// Ballots encrypted under trustees' keys (`encryption = "trustees"`);
    /// `None` for a plain election, the default.
    pub encryption: Option<Encryption>,
}

/// `encryption = "trustees"`, `trustees = N`, `threshold = K`: ballots are
/// encrypted under a key that any `K` of the `N` trustees can use to decrypt
/// the totals, and no fewer (audit/FORMAT.md §16.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encryption {
    /// `N`.
    pub trustees: u32,
    /// `K`.
    pub threshold: u32,
}

/// An election as written in its file, or as the console's election
/// builder submits it: loose strings and options, checked by [`assemble`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileElection {
    /// The election's title.
    pub title: String,
    /// Introduction shown above the ballot.
    #[serde(default)]
    pub description: String,
    /// The IANA time zone times are shown in, and times written without an
    /// offset are read in (UTC when absent).
    pub time_zone: Option<String>,
    /// Announce the election on the public home before it opens (needs
    /// `opens_at`).
    #[serde(default)]
    pub announce: bool,
    /// When the polls open by themselves.
    pub opens_at: Option<toml::value::Datetime>,
    /// When they close by themselves.
    pub closes_at: Option<toml::value::Datetime>,
    /// Sealing policy.
    #[serde(default)]
    pub sealing: FileSealing,
    /// The committee's quorum.
    #[serde(default)]
    pub certification: FileCertification,
    /// `confirmation_emails = true`: members may ask for an e-mail with
    /// their tracker once their ballot is sealed.
    #[serde(default)]
    pub confirmation_emails: bool,
    /// `"trustees"` to encrypt ballots under trustees' keys; absent (or
    /// `"none"`) for a plain election.
    pub encryption: Option<String>,
    /// With `encryption = "trustees"`: how many trustees (`N`).
    pub trustees: Option<u32>,
    /// With `encryption = "trustees"`: how many of them decrypt (`K`).
    pub threshold: Option<u32>,
    /// The contests, in ballot order.
    #[serde(default, rename = "contest")]
    pub contests: Vec<FileContest>,
}

/// `[sealing]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileSealing {
    /// Seconds between seals.
    pub interval_seconds: Option<u64>,
    /// Smallest batch sealed before the close.
    pub min_ballots: Option<u64>,
}

/// `[certification]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileCertification {
    /// Certifiers who must sign.
    pub quorum: Option<u32>,
}

/// `[[contest]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileContest {
    /// Identifier; derived from the title when absent.
    pub id: Option<String>,
    /// Title.
    pub title: String,
    /// Instructions or the question put.
    #[serde(default)]
    pub description: String,
    /// Method name, such as `plurality` or `stv-scottish`.
    pub method: String,
    /// Seats (1 when absent).
    pub seats: Option<u32>,
    /// Plurality: a winner needs a majority.
    #[serde(default)]
    pub majority_required: bool,
    /// Plurality: write-ins allowed.
    #[serde(default)]
    pub write_ins: bool,
    /// Referendum: the threshold, such as `two-thirds`.
    pub threshold: Option<String>,
    /// Ranked methods: `refuse` or `close-up`.
    pub skipped_ranks: Option<String>,
    /// Cumulative: points per member.
    pub points: Option<u32>,
    /// The candidates, in ballot order.
    #[serde(default, rename = "candidate")]
    pub candidates: Vec<FileCandidate>,
}

/// `[[contest.candidate]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCandidate {
    /// Identifier; derived from the name when absent.
    pub id: Option<String>,
    /// The name on the ballot.
    pub name: String,
    /// Short statement.
    #[serde(default)]
    pub statement: String,
}

/// Turn a name into an identifier: lower-case letters and digits joined by `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let out: String = out.chars().take(48).collect();
    if out.is_empty() {
        "item".to_string()
    } else {
        out.trim_end_matches('-').to_string()
    }
}

fn unique(base: String, taken: &[String]) -> String {
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !taken.contains(c))
        .unwrap_or(base)
}

/// Parse a threshold such as `two-thirds`, `simple-majority`, `at-least 3/5`
/// or `more-than 1/2`.
pub fn parse_threshold(text: &str) -> Result<Threshold, String> {
    let t = text.trim().to_ascii_lowercase();
    let named = |comparison, numerator, denominator| Threshold {
        comparison,
        numerator,
        denominator,
    };
    match t.as_str() {
        "simple-majority" | "majority" => return Ok(Threshold::SIMPLE_MAJORITY),
        "two-thirds" => return Ok(Threshold::TWO_THIRDS),
        "three-fifths" => return Ok(named(Comparison::AtLeast, 3, 5)),
        "three-quarters" => return Ok(named(Comparison::AtLeast, 3, 4)),
        _ => {}
    }
    let bad = || {
        format!(
            "threshold {text:?} is not understood; use simple-majority, two-thirds, three-fifths, three-quarters, \"at-least N/D\" or \"more-than N/D\""
        )
    };
    let (comparison, fraction) = if let Some(rest) = t.strip_prefix("at-least ") {
        (Comparison::AtLeast, rest)
    } else if let Some(rest) = t.strip_prefix("more-than ") {
        (Comparison::MoreThan, rest)
    } else {
        return Err(bad());
    };
    let (n, d) = fraction.trim().split_once('/').ok_or_else(bad)?;
    let numerator: u32 = n.trim().parse().map_err(|_| bad())?;
    let denominator: u32 = d.trim().parse().map_err(|_| bad())?;
    if denominator == 0 || numerator > denominator {
        return Err(bad());
    }
    Ok(named(comparison, numerator, denominator))
}

/// Parse an election file. Every problem is returned, each saying where.
pub fn parse(text: &str) -> Result<ElectionSpec, Vec<String>> {
    let file: FileElection = toml::from_str(text).map_err(|e| vec![format!("the election file is not valid: {e}")])?;
    let (spec, mut problems) = assemble(file);
    problems.extend(spec.definition.problems());
    if problems.is_empty() {
        Ok(spec)
    } else {
        Err(problems)
    }
}

/// Turn a loose election into a spec. The problems returned are those of the
/// form (unknown methods, bad thresholds, times, sealing, quorum); a contest
/// whose method cannot be read is left out of the spec. The definition's
/// own problems ([`Definition::problems`]) are not included.
pub fn assemble(file: FileElection) -> (ElectionSpec, Vec<String>) {
    let mut problems = Vec::new();
    let zone = match file.time_zone.as_deref().map(crate::time::Zone::parse) {
        None => None,
        Some(Ok(zone)) => Some(zone),
        Some(Err(e)) => {
            problems.push(format!("time_zone: {e}"));
            None
        }
    };
    let mut time = |what: &str, dt: &Option<toml::value::Datetime>| {
        // Without a time_zone line a time needs its offset, as before zones.
        let read = |dt: &toml::value::Datetime| match (&zone, &file.time_zone) {
            (Some(zone), _) => zone.from_toml(dt),
            (None, Some(_)) if dt.offset.is_none() => Err(format!("{dt} is read in the time zone, which is not known")),
            (None, _) => crate::time::from_toml(dt),
        };
        dt.as_ref().and_then(|dt| match read(dt) {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(format!("{what}: {e}"));
                None
            }
        })
    };
    let opens_at = time("opens_at", &file.opens_at);
    let closes_at = time("closes_at", &file.closes_at);
    if let (Some(o), Some(c)) = (opens_at, closes_at) {
        if c <= o {
            problems.push("closes_at must be after opens_at".to_string());
        }
    }
    if file.announce && file.opens_at.is_none() {
        problems.push("announce: an election is announced with its opening time; set opens_at too".to_string());
    }
    let mut contests: Vec<Contest> = Vec::new();
    for (i, fc) in file.contests.into_iter().enumerate() {
        let at = format!("contest {} ({:?})", i + 1, fc.title);
        let taken: Vec<String> = contests.iter().map(|c| c.id.clone()).collect();
        let id = fc.id.clone().unwrap_or_else(|| unique(slugify(&fc.title), &taken));
        let method = match fc.method.as_str() {
            "plurality" => {
                if fc.threshold.is_some() {
                    problems.push(format!("{at}: threshold applies only to a referendum"));
                }
                Method::Plurality {
                    majority_required: fc.majority_required,
                    write_ins: fc.write_ins,
                }
            }
            "referendum" => {
                if fc.majority_required || fc.write_ins {
                    problems.push(format!("{at}: majority_required and write_ins apply only to plurality"));
                }
                match fc.threshold.as_deref().map(parse_threshold) {
                    Some(Ok(threshold)) => Method::Referendum { threshold },
                    Some(Err(e)) => {
                        problems.push(format!("{at}: {e}"));
                        continue;
                    }
                    None => {
                        problems.push(format!("{at}: a referendum needs a threshold, such as \"two-thirds\""));
                        continue;
                    }
                }
            }
            other => {
                if fc.majority_required || fc.write_ins || fc.threshold.is_some() {
                    problems.push(format!(
                        "{at}: majority_required, write_ins and threshold apply only to plurality and referendum"
                    ));
                }
                let skipped_ranks = match fc.skipped_ranks.as_deref() {
                    None | Some("refuse") => SkippedRanks::Refuse,
                    Some("close-up") => SkippedRanks::CloseUp,
                    Some(bad) => {
                        problems.push(format!(
                            "{at}: skipped_ranks {bad:?} is not understood; use \"refuse\" or \"close-up\""
                        ));
                        SkippedRanks::Refuse
                    }
                };
                match other {
                    "irv" => Method::Irv { skipped_ranks },
                    "stv-scottish" => Method::StvScottish { skipped_ranks },
                    "stv-meek" => Method::StvMeek { skipped_ranks },
                    "schulze" => Method::Schulze { skipped_ranks },
                    "approval" => Method::Approval,
                    "cumulative" => match fc.points {
                        Some(points) => Method::Cumulative { points },
                        None => {
                            problems.push(format!("{at}: cumulative voting needs points, such as points = 5"));
                            continue;
                        }
                    },
                    _ => {
                        problems.push(format!(
                            "{at}: method {other:?} is not available; use plurality, referendum, approval, cumulative, irv, stv-scottish, stv-meek or schulze"
                        ));
                        continue;
                    }
                }
            }
        };
        if fc.points.is_some() && !matches!(method, Method::Cumulative { .. }) {
            problems.push(format!("{at}: points applies only to cumulative voting"));
        }
        if fc.skipped_ranks.is_some() && !method.ranks() {
            problems.push(format!("{at}: skipped_ranks applies only to ranked methods"));
        }
        let mut candidates: Vec<Candidate> = Vec::new();
        for fcand in fc.candidates {
            let taken: Vec<String> = candidates.iter().map(|c| c.id.clone()).collect();
            let cid = fcand.id.unwrap_or_else(|| unique(slugify(&fcand.name), &taken));
            candidates.push(Candidate {
                id: cid,
                name: fcand.name.trim().to_string(),
                statement: fcand.statement.trim().to_string(),
            });
        }
        let seats = fc.seats.unwrap_or(1);
        contests.push(Contest {
            id,
            title: fc.title.trim().to_string(),
            description: fc.description.trim().to_string(),
            seats,
            candidates,
            method,
        });
    }
    let definition = Definition {
        title: file.title.trim().to_string(),
        description: file.description.trim().to_string(),
        contests,
    };
    let seal_interval_seconds = file.sealing.interval_seconds.unwrap_or(DEFAULT_SEAL_INTERVAL);
    if !(10..=86_400).contains(&seal_interval_seconds) {
        problems.push("sealing.interval_seconds must be between 10 and 86400 (a day), so voters can check their ballot the same day".into());
    }
    let seal_min_ballots = file.sealing.min_ballots.unwrap_or(DEFAULT_SEAL_MIN_BALLOTS);
    if !(1..=10_000).contains(&seal_min_ballots) {
        problems.push("sealing.min_ballots must be between 1 and 10000".into());
    }
    let certification_quorum = file.certification.quorum.unwrap_or(0);
    if certification_quorum > 50 {
        problems.push("certification.quorum must be at most 50".into());
    }
    let encryption = encryption_of(
        &file.encryption,
        file.trustees,
        file.threshold,
        &definition,
        &mut problems,
    );
    let spec = ElectionSpec {
        encryption,
        certification_quorum,
        send_confirmations: file.confirmation_emails,
        definition,
        opens_at,
        closes_at,
        seal_interval_seconds,
        seal_min_ballots,
        time_zone: zone.unwrap_or_default(),
        announced: file.announce,
    };
    (spec, problems)
}

/// The encryption an election file asks for, adding what is wrong to
/// `problems`: `K` and `N` out of range (§16.1), and each contest an
/// encrypted election cannot have (§14.8, the check of
/// `teller_audit::encrypted::ballot::BallotShape`).
fn encryption_of(
    mode: &Option<String>,
    trustees: Option<u32>,
    threshold: Option<u32>,
    definition: &Definition,
    problems: &mut Vec<String>,
) -> Option<Encryption> {
    match mode.as_deref().map(str::trim) {
        None | Some("") | Some("none") => {
            if trustees.is_some() || threshold.is_some() {
                problems.push(
                    "trustees and threshold apply only to an encrypted election (encryption = \"trustees\")".into(),
                );
            }
            None
        }
        Some("trustees") => {
            let (Some(n), Some(k)) = (trustees, threshold) else {
                problems.push("encryption = \"trustees\" needs trustees (how many trustees, N) and threshold (how many of them decrypt, K), such as trustees = 3 and threshold = 2".into());
                return None;
            };
            if k < 2 || n < k || n > teller_audit::trustees::MAX_TRUSTEES {
                problems.push(format!(
                    "encryption: the threshold K = {k} and the number of trustees N = {n} must satisfy 2 <= K <= N <= {} \
                     (with K = 1 one trustee alone could decrypt every ballot)",
                    teller_audit::trustees::MAX_TRUSTEES
                ));
            }
            problems.extend(unencryptable(definition));
            Some(Encryption {
                trustees: n,
                threshold: k,
            })
        }
        Some(other) => {
            problems.push(format!(
                "encryption {other:?} is not available; use \"trustees\" (ballots encrypted under trustees' keys) or leave it out for a plain election"
            ));
            None
        }
    }
}

/// Each contest of `definition` that an encrypted election cannot have
/// (§14.8), in words staff can act on.
pub fn unencryptable(definition: &Definition) -> Vec<String> {
    use teller_audit::encrypted::ballot::BallotShape;
    definition
        .contests
        .iter()
        .filter_map(|contest| {
            let alone = Definition {
                contests: vec![contest.clone()],
                ..definition.clone()
            };
            let refused = BallotShape::of(&alone).err()?;
            let why = match &contest.method {
                m if m.ranks() => "ranked ballots under encryption need a verifiable mixnet, not available yet; \
                                   use plurality, approval, cumulative or a referendum, or a plain election"
                    .to_string(),
                Method::Plurality { write_ins: true, .. } => {
                    "write-ins cannot be counted under encryption yet; turn write-ins off, or use a plain election"
                        .to_string()
                }
                _ => refused.message,
            };
            Some(format!("encryption: contest {:?}: {why}", contest.id))
        })
        .collect()
}

/// The threshold as the election file writes it.
pub fn threshold_text(t: &Threshold) -> String {
    match (t.comparison, t.numerator, t.denominator) {
        (Comparison::MoreThan, 1, 2) => "simple-majority".into(),
        (Comparison::AtLeast, 2, 3) => "two-thirds".into(),
        (Comparison::AtLeast, 3, 5) => "three-fifths".into(),
        (Comparison::AtLeast, 3, 4) => "three-quarters".into(),
        (Comparison::AtLeast, n, d) => format!("at-least {n}/{d}"),
        (Comparison::MoreThan, n, d) => format!("more-than {n}/{d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_parses() {
        let text = include_str!("../../examples/board-election.toml");
        let spec = parse(text).unwrap();
        let d = &spec.definition;
        assert_eq!(d.contests.len(), 3);
        assert_eq!(d.contests[0].seats, 3);
        assert_eq!(d.contests[0].candidates.len(), 7);
        assert_eq!(d.contests[1].seats, 1);
        assert!(matches!(d.contests[2].method, Method::Referendum { threshold } if threshold == Threshold::TWO_THIRDS));
    }

    #[test]
    fn problems_are_all_reported() {
        let text = r#"
title = ""
opens_at = 2026-12-01T09:00:00
[[contest]]
title = "Board"
method = "borda"
[[contest]]
title = "Bylaw"
method = "referendum"
threshold = "most"
"#;
        let problems = parse(text).unwrap_err();
        assert!(problems.iter().any(|p| p.contains("time zone")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("borda")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("\"most\"")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("title is empty")), "{problems:?}");
    }

    #[test]
    fn the_time_zone_reads_local_times_and_stays_out_of_the_definition() {
        let example = include_str!("../../examples/board-election.toml");
        let spec = parse(example).unwrap();
        assert_eq!(spec.time_zone.name(), "America/New_York");
        assert!(!spec.announced);
        let utc = parse(&example.replacen("time_zone = \"America/New_York\"", "", 1)).unwrap();
        assert_eq!(utc.time_zone, crate::time::Zone::utc());
        assert_eq!(utc.definition.hash(), spec.definition.hash());
        let local =
            parse(&example.replacen("# opens_at = 2026-12-01T09:00:00", "opens_at = 2026-12-01T09:00:00", 1)).unwrap();
        assert_eq!(local.opens_at, Some(1_796_133_600));
        // Without a zone a time needs its offset, as before.
        let problems = parse(&example.replacen("time_zone = \"America/New_York\"", "", 1).replacen(
            "# opens_at = 2026-12-01T09:00:00",
            "opens_at = 2026-12-01T09:00:00",
            1,
        ))
        .unwrap_err();
        assert!(problems.iter().any(|p| p.contains("has no time zone")), "{problems:?}");
        let problems = parse(&example.replacen("America/New_York", "Mars/Olympus_Mons", 1)).unwrap_err();
        assert!(problems.iter().any(|p| p.starts_with("time_zone: ")), "{problems:?}");
        let problems = parse(&example.replacen("announce = false", "announce = true", 1)).unwrap_err();
        assert!(problems.iter().any(|p| p.contains("set opens_at too")), "{problems:?}");
    }

    #[test]
    fn unknown_keys_are_refused_with_their_place() {
        let problems = parse("title = \"x\"\nseets = 3\n").unwrap_err();
        assert!(problems[0].contains("seets"), "{problems:?}");
    }

    #[test]
    fn slugs_and_thresholds() {
        assert_eq!(slugify("Dr. Amara Okafor-Smith"), "dr-amara-okafor-smith");
        assert_eq!(slugify("!!!"), "item");
        assert_eq!(parse_threshold("at-least 3/5").unwrap().numerator, 3);
        assert!(parse_threshold("at-least 5/3").is_err());
    }
}
