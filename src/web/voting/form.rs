//! The ballot form: what a member marked, read from form fields (and written
//! back as hidden fields), turned into choices, and shown on the ballot and
//! review pages — for every method, without JavaScript.
//!
//! Field names: `c.{contest}` an option (checkbox or radio), `w.{contest}` a
//! write-in, `r.{contest}.{candidate}` a rank, `p.{contest}.{candidate}` points.

use std::collections::BTreeMap;

use serde::Serialize;
use teller_audit::ballot::{normalise_write_in, BallotProblem};
use teller_audit::definition::{options, Contest, Definition, Method, SkippedRanks, WRITE_IN_PREFIX};

use crate::i18n::{t, Arg};
use crate::ops::cast::Choices;

/// Write-in boxes shown per contest, at most.
const MAX_WRITE_IN_BOXES: u32 = 5;

/// What the form holds for one contest, as typed (possibly wrong).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContestMarks {
    /// Options ticked (plurality, approval, referendum), in ballot order.
    pub selected: Vec<String>,
    /// Write-in names typed.
    pub write_ins: Vec<String>,
    /// Candidate → rank as typed (ranked methods).
    pub ranks: BTreeMap<String, String>,
    /// Candidate → points as typed (cumulative).
    pub points: BTreeMap<String, String>,
}

/// What the form holds, per contest.
pub type Marks = BTreeMap<String, ContestMarks>;

/// Read the submitted fields.
pub fn marks_from_fields(definition: &Definition, fields: &[(String, String)]) -> Marks {
    let mut marks = Marks::new();
    for contest in &definition.contests {
        let mut m = ContestMarks::default();
        let mark = format!("c.{}", contest.id);
        let write_in = format!("w.{}", contest.id);
        let rank = format!("r.{}.", contest.id);
        let point = format!("p.{}.", contest.id);
        let ticked: Vec<&str> = fields
            .iter()
            .filter(|(k, v)| *k == mark && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect();
        // Options in ballot order, then anything the form never offered (kept
        // so that validation names it instead of silently dropping it).
        m.selected = member_options(contest)
            .into_iter()
            .filter(|(id, _)| ticked.contains(&id.as_str()))
            .map(|(id, _)| id)
            .collect();
        for t in ticked {
            if !m.selected.iter().any(|s| s == t) {
                m.selected.push(t.to_string());
            }
        }
        for (k, v) in fields {
            if *k == write_in {
                let name = normalise_write_in(v);
                if !name.is_empty() {
                    m.write_ins.push(name);
                }
            } else if let Some(candidate) = k.strip_prefix(&rank) {
                if !v.trim().is_empty() {
                    m.ranks.insert(candidate.to_string(), v.trim().to_string());
                }
            } else if let Some(candidate) = k.strip_prefix(&point) {
                if !v.trim().is_empty() && v.trim() != "0" {
                    m.points.insert(candidate.to_string(), v.trim().to_string());
                }
            }
        }
        marks.insert(contest.id.clone(), m);
    }
    marks
}

fn name_of<'a>(contest: &'a Contest, id: &str) -> &'a str {
    contest
        .candidates
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.name.as_str())
        .unwrap_or("a candidate")
}

/// Turn marks into choices, with the problems only the form can see
/// (ranks repeated or skipped, numbers that are not numbers). The ballot's
/// own rules are checked afterwards by `teller_audit::ballot::problems`.
pub fn choices_from_marks(definition: &Definition, marks: &Marks) -> (Choices, Vec<BallotProblem>) {
    let mut choices = Choices::new();
    let mut problems = Vec::new();
    for contest in &definition.contests {
        let m = marks.get(&contest.id).cloned().unwrap_or_default();
        let problem = |message: String| BallotProblem {
            contest: contest.id.clone(),
            message: in_contest(&contest.title, message),
        };
        let chosen: Vec<String> = match &contest.method {
            Method::Cumulative { .. } => {
                let mut list = Vec::new();
                for c in &contest.candidates {
                    if let Some(text) = m.points.get(&c.id) {
                        match text.parse::<u32>() {
                            Ok(n) if n <= 1000 => list.extend(std::iter::repeat_n(c.id.clone(), n as usize)),
                            _ => problems.push(problem(t(
                                "problem-points-not-number",
                                &[("name", c.name.as_str().into())],
                            ))),
                        }
                    }
                }
                list
            }
            method if method.ranks() => {
                let mut ranked: Vec<(u32, String)> = Vec::new();
                for (candidate, text) in &m.ranks {
                    match text.parse::<u32>() {
                        Ok(n) if n >= 1 && n as usize <= contest.candidates.len() => {
                            ranked.push((n, candidate.clone()))
                        }
                        _ => problems.push(problem(t(
                            "problem-rank-range",
                            &[
                                ("name", name_of(contest, candidate).into()),
                                ("max", contest.candidates.len().into()),
                            ],
                        ))),
                    }
                }
                ranked.sort();
                for pair in ranked.windows(2) {
                    if pair[0].0 == pair[1].0 {
                        problems.push(problem(t(
                            "problem-rank-twice",
                            &[
                                ("rank", pair[0].0.into()),
                                ("first", name_of(contest, &pair[0].1).into()),
                                ("second", name_of(contest, &pair[1].1).into()),
                            ],
                        )));
                    }
                }
                if method.skipped_ranks() == Some(SkippedRanks::Refuse) {
                    let mut expected = 1;
                    for (n, _) in &ranked {
                        if *n > expected {
                            problems.push(problem(t("problem-rank-gap", &[("rank", expected.into())])));
                            break;
                        }
                        expected = n + 1;
                    }
                }
                ranked.into_iter().map(|(_, c)| c).collect()
            }
            _ => {
                let mut list = m.selected.clone();
                list.extend(m.write_ins.iter().map(|w| format!("{WRITE_IN_PREFIX}{w}")));
                list
            }
        };
        choices.insert(contest.id.clone(), chosen);
    }
    (choices, problems)
}

/// The marks that stand for `choices` (back from the review page).
pub fn marks_from_choices(definition: &Definition, choices: &Choices) -> Marks {
    let mut marks = Marks::new();
    for contest in &definition.contests {
        let chosen = choices.get(&contest.id).cloned().unwrap_or_default();
        let mut m = ContestMarks::default();
        match &contest.method {
            Method::Cumulative { .. } => {
                for c in &contest.candidates {
                    let n = chosen.iter().filter(|x| **x == c.id).count();
                    if n > 0 {
                        m.points.insert(c.id.clone(), n.to_string());
                    }
                }
            }
            method if method.ranks() => {
                for (i, c) in chosen.iter().enumerate() {
                    m.ranks.insert(c.clone(), (i + 1).to_string());
                }
            }
            _ => {
                for c in chosen {
                    match c.strip_prefix(WRITE_IN_PREFIX) {
                        Some(name) => m.write_ins.push(name.to_string()),
                        None => m.selected.push(c),
                    }
                }
            }
        }
        marks.insert(contest.id.clone(), m);
    }
    marks
}

/// A contest's options as members read them: candidates by name, and a
/// referendum's answers in the page's language.
pub fn member_options(contest: &Contest) -> Vec<(String, String)> {
    let mut out = options(contest);
    if matches!(contest.method, Method::Referendum { .. }) {
        for (id, name) in &mut out {
            *name = t(&format!("answer-{id}"), &[]);
        }
    }
    out
}

/// A referendum's threshold in words ("more than half of the votes cast").
pub fn threshold_text(threshold: &teller_audit::definition::Threshold) -> String {
    use teller_audit::definition::Comparison;
    let share = match (threshold.numerator, threshold.denominator) {
        (1, 2) => t("share-half", &[]),
        (2, 3) => t("share-two-thirds", &[]),
        (3, 4) => t("share-three-quarters", &[]),
        (3, 5) => t("share-three-fifths", &[]),
        (n, d) => format!("{n}/{d}"),
    };
    let key = match threshold.comparison {
        Comparison::AtLeast => "threshold-at-least",
        Comparison::MoreThan => "threshold-more-than",
    };
    t(key, &[("share", share.into())])
}

/// "Directors: …": a problem, naming its contest.
pub fn in_contest(title: &str, problem: String) -> String {
    t(
        "problem-in-contest",
        &[("contest", title.into()), ("problem", problem.into())],
    )
}

/// The instruction shown with a contest.
pub fn instructions(contest: &Contest) -> String {
    let seats = || [("seats", Arg::from(contest.seats))];
    match &contest.method {
        Method::Plurality { .. } if contest.seats == 1 => t("vote-for-one", &[]),
        Method::Plurality { .. } => t("vote-for-up-to", &seats()),
        Method::Referendum { threshold } => t("vote-referendum", &[("threshold", threshold_text(threshold).into())]),
        Method::Approval => t("vote-approval", &seats()),
        Method::Cumulative { points } => t(
            "vote-cumulative",
            &[("points", Arg::from(*points)), ("seats", Arg::from(contest.seats))],
        ),
        Method::Irv { skipped_ranks }
        | Method::StvScottish { skipped_ranks }
        | Method::StvMeek { skipped_ranks }
        | Method::Schulze { skipped_ranks } => format!(
            "{} {}",
            t("vote-ranked", &[]),
            t(
                match skipped_ranks {
                    SkippedRanks::Refuse => "vote-ranked-no-gaps",
                    SkippedRanks::CloseUp => "vote-ranked-close-up",
                },
                &[]
            )
        ),
    }
}

#[derive(Serialize)]
pub struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
pub struct OptionField {
    id: String,
    name: String,
    statement: String,
    checked: bool,
    input_id: String,
    input_type: &'static str,
    contest: String,
    /// For ranks and points: the field name and its choices.
    field: String,
    choices: Vec<Choice>,
    /// The candidate's photo and profile page, if any (`BallotPage::present`).
    photo: Option<String>,
    profile: Option<String>,
}

#[derive(Serialize)]
pub struct WriteInField {
    label: String,
    value: String,
    input_id: String,
    contest: String,
}

#[derive(Serialize)]
pub struct ContestForm {
    id: String,
    title: String,
    description: String,
    instructions: String,
    error: Option<String>,
    /// Which kind of inputs: exactly one is true.
    ticks: bool,
    ranks: bool,
    points: bool,
    options: Vec<OptionField>,
    write_ins: Vec<WriteInField>,
    /// Some candidate has a photo: the names line up beside the photos.
    photos: bool,
}

/// The ballot page's fields.
#[derive(Serialize)]
pub struct BallotPage {
    description: String,
    contests: Vec<ContestForm>,
    errors: Vec<BallotProblem>,
    /// Set when staff preview the ballot: the election's id.
    pub preview: Option<String>,
    /// Said to staff previewing, above the ballot.
    pub preview_notice: Option<String>,
    /// When voting closes, and how long is left (members' ballot).
    pub closing: Option<crate::time::Closing>,
    /// An encrypted election's booth (members' ballot): the page contract
    /// of browser/README.md.
    pub booth: Option<super::encrypted::Booth>,
    /// Why the last attempt to cast was refused, above the ballot.
    pub notice: Option<String>,
}

impl BallotPage {
    /// Show each candidate's photo and a link to their profile page, for
    /// `audience` (members, or staff previewing a draft).
    pub fn present(
        &mut self,
        election: &str,
        media: &crate::web::candidates::Media,
        audience: crate::web::candidates::Audience,
    ) {
        for contest in &mut self.contests {
            for option in &mut contest.options {
                if option.id.is_empty() {
                    continue;
                }
                let links = media.links(election, &contest.id, &option.id, audience);
                option.photo = links.photo;
                option.profile = links.profile;
            }
            contest.photos = contest.options.iter().any(|o| o.photo.is_some());
        }
    }
}

fn numbered(max: usize, selected: Option<&String>, none: &str) -> Vec<Choice> {
    let mut out = vec![Choice {
        value: String::new(),
        label: none.to_string(),
        selected: selected.is_none(),
    }];
    out.extend((1..=max).map(|n| Choice {
        value: n.to_string(),
        label: n.to_string(),
        selected: selected.is_some_and(|s| *s == n.to_string()),
    }));
    out
}

/// Build the ballot page, with `marks` shown and `problems` listed.
pub fn ballot_page(definition: &Definition, marks: &Marks, problems: Vec<BallotProblem>) -> BallotPage {
    let contests = definition
        .contests
        .iter()
        .map(|contest| {
            let m = marks.get(&contest.id).cloned().unwrap_or_default();
            let referendum = matches!(contest.method, Method::Referendum { .. });
            // "Vote for one": radio buttons, with a way to choose no one.
            let single = matches!(contest.method, Method::Plurality { .. }) && contest.seats == 1;
            let one_choice = referendum || single;
            let ranks = contest.method.ranks();
            let points = matches!(contest.method, Method::Cumulative { .. });
            let statements: BTreeMap<&str, &str> = contest
                .candidates
                .iter()
                .map(|c| (c.id.as_str(), c.statement.as_str()))
                .collect();
            let mut opts: Vec<OptionField> = member_options(contest)
                .into_iter()
                .enumerate()
                .map(|(i, (id, name))| {
                    let (field, choices) = if ranks {
                        (
                            format!("r.{}.{id}", contest.id),
                            numbered(contest.candidates.len(), m.ranks.get(&id), &t("not-ranked", &[])),
                        )
                    } else if let Method::Cumulative { points } = contest.method {
                        (
                            format!("p.{}.{id}", contest.id),
                            numbered(points as usize, m.points.get(&id), "0"),
                        )
                    } else {
                        (String::new(), vec![])
                    };
                    OptionField {
                        checked: m.selected.contains(&id),
                        statement: statements.get(id.as_str()).unwrap_or(&"").to_string(),
                        input_id: format!("c-{}-{i}", contest.id),
                        input_type: if one_choice { "radio" } else { "checkbox" },
                        contest: contest.id.clone(),
                        field,
                        choices,
                        photo: None,
                        profile: None,
                        id,
                        name,
                    }
                })
                .collect();
            if one_choice {
                opts.push(OptionField {
                    id: String::new(),
                    name: t(
                        if referendum {
                            "leave-question-blank"
                        } else {
                            "leave-contest-blank"
                        },
                        &[],
                    ),
                    statement: String::new(),
                    checked: m.selected.is_empty(),
                    input_id: format!("c-{}-blank", contest.id),
                    input_type: "radio",
                    contest: contest.id.clone(),
                    field: String::new(),
                    choices: vec![],
                    photo: None,
                    profile: None,
                });
            }
            let write_ins = match contest.method {
                Method::Plurality { write_ins: true, .. } => {
                    let boxes = contest.seats.clamp(1, MAX_WRITE_IN_BOXES) as usize;
                    (0..boxes.max(m.write_ins.len()))
                        .map(|i| WriteInField {
                            label: if boxes == 1 {
                                t("write-in", &[])
                            } else {
                                t("write-in-n", &[("n", (i + 1).into())])
                            },
                            value: m.write_ins.get(i).cloned().unwrap_or_default(),
                            input_id: format!("w-{}-{i}", contest.id),
                            contest: contest.id.clone(),
                        })
                        .collect()
                }
                _ => vec![],
            };
            ContestForm {
                id: contest.id.clone(),
                title: contest.title.clone(),
                description: contest.description.clone(),
                instructions: instructions(contest),
                error: problems
                    .iter()
                    .filter(|p| p.contest == contest.id)
                    .map(|p| p.message.clone())
                    .reduce(|a, b| format!("{a} {b}")),
                ticks: !ranks && !points,
                ranks,
                points,
                options: opts,
                write_ins,
                photos: false,
            }
        })
        .collect();
    BallotPage {
        description: definition.description.clone(),
        contests,
        errors: problems,
        preview: None,
        preview_notice: None,
        closing: None,
        booth: None,
        notice: None,
    }
}

#[derive(Serialize)]
pub struct ContestSummary {
    id: String,
    title: String,
    chosen: Vec<String>,
    ordered: bool,
}

#[derive(Serialize)]
pub struct Hidden {
    name: String,
    value: String,
}

/// Each contest's choices in words, for the review and receipt pages.
pub fn summaries(definition: &Definition, choices: &Choices) -> Vec<ContestSummary> {
    definition
        .contests
        .iter()
        .map(|contest| {
            let names = member_options(contest);
            let name = |id: &String| {
                names
                    .iter()
                    .find(|(oid, _)| oid == id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| id.clone())
            };
            let chosen = choices.get(&contest.id).cloned().unwrap_or_default();
            let words: Vec<String> = match contest.method {
                Method::Cumulative { .. } => contest
                    .candidates
                    .iter()
                    .filter_map(|c| {
                        let n = chosen.iter().filter(|x| **x == c.id).count();
                        (n > 0).then(|| t("summary-points", &[("name", c.name.as_str().into()), ("n", n.into())]))
                    })
                    .collect(),
                _ => chosen
                    .iter()
                    .map(|id| match id.strip_prefix(WRITE_IN_PREFIX) {
                        Some(n) => t("summary-written-in", &[("name", n.into())]),
                        None => name(id),
                    })
                    .collect(),
            };
            ContestSummary {
                id: contest.id.clone(),
                title: contest.title.clone(),
                ordered: contest.method.ranks(),
                chosen: words,
            }
        })
        .collect()
}

/// Hidden fields that carry the choices from the review page to the cast.
pub fn hidden_fields(definition: &Definition, choices: &Choices) -> Vec<Hidden> {
    let mut out = Vec::new();
    for (contest, m) in marks_from_choices(definition, choices) {
        for s in m.selected {
            out.push(Hidden {
                name: format!("c.{contest}"),
                value: s,
            });
        }
        for w in m.write_ins {
            out.push(Hidden {
                name: format!("w.{contest}"),
                value: w,
            });
        }
        for (c, r) in m.ranks {
            out.push(Hidden {
                name: format!("r.{contest}.{c}"),
                value: r,
            });
        }
        for (c, p) in m.points {
            out.push(Hidden {
                name: format!("p.{contest}.{c}"),
                value: p,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::spec;

    fn def() -> Definition {
        spec::parse(include_str!("../../../examples/board-election.toml"))
            .unwrap()
            .definition
    }

    fn ranked() -> Definition {
        spec::parse(
            r#"
title = "Ranked"
[[contest]]
id = "board"
title = "Board"
method = "stv-scottish"
seats = 2
skipped_ranks = "refuse"
[[contest.candidate]]
name = "Ann"
[[contest.candidate]]
name = "Bo"
[[contest.candidate]]
name = "Cy"
[[contest]]
id = "shares"
title = "Shares"
method = "cumulative"
points = 3
seats = 1
[[contest.candidate]]
name = "Di"
[[contest.candidate]]
name = "Ed"
"#,
        )
        .unwrap()
        .definition
    }

    fn f(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn marks_keep_ballot_order_and_write_ins_follow() {
        let d = def();
        let fields = vec![
            f("c.directors", "samuel-adeyemi"),
            f("c.directors", "amara-okafor"),
            f("w.treasurer", "  Jo   Bloggs "),
            f("w.treasurer", ""),
            f("c.bylaw-amendment-7", "yes"),
        ];
        let (c, problems) = choices_from_marks(&d, &marks_from_fields(&d, &fields));
        assert!(problems.is_empty());
        assert_eq!(c["directors"], vec!["amara-okafor", "samuel-adeyemi"]);
        assert_eq!(c["treasurer"], vec!["write-in:Jo Bloggs"]);
        assert_eq!(c["bylaw-amendment-7"], vec!["yes"]);
    }

    #[test]
    fn unknown_values_are_kept_for_validation_to_name() {
        let d = def();
        let (c, _) = choices_from_marks(&d, &marks_from_fields(&d, &[f("c.directors", "mallory")]));
        assert_eq!(c["directors"], vec!["mallory"]);
    }

    #[test]
    fn ranks_become_an_order_and_mistakes_are_named() {
        let d = ranked();
        let (c, p) = choices_from_marks(
            &d,
            &marks_from_fields(&d, &[f("r.board.cy", "1"), f("r.board.ann", "2")]),
        );
        assert!(p.is_empty());
        assert_eq!(c["board"], vec!["cy", "ann"]);
        let (_, p) = choices_from_marks(
            &d,
            &marks_from_fields(&d, &[f("r.board.cy", "1"), f("r.board.ann", "1")]),
        );
        assert!(p[0].message.contains("rank 1 to both Ann and Cy"), "{p:?}");
        let (_, p) = choices_from_marks(
            &d,
            &marks_from_fields(&d, &[f("r.board.cy", "1"), f("r.board.ann", "3")]),
        );
        assert!(p[0].message.contains("there is no rank 2"), "{p:?}");
        let (_, p) = choices_from_marks(&d, &marks_from_fields(&d, &[f("r.board.cy", "first")]));
        assert!(p[0].message.contains("from 1 to 3"), "{p:?}");
    }

    #[test]
    fn every_contest_s_problems_show_at_once() {
        // A skipped rank in one contest and too many points in the next:
        // both are named in one answer, in ballot order.
        let d = ranked();
        let marks = marks_from_fields(
            &d,
            &[
                f("r.board.cy", "1"),
                f("r.board.ann", "3"),
                f("p.shares.di", "3"),
                f("p.shares.ed", "2"),
            ],
        );
        let found = crate::web::voting::ballot::checked_choices(&d, &marks).unwrap_err();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            (found[0].contest.as_str(), found[1].contest.as_str()),
            ("board", "shares")
        );
        assert!(found[0].message.contains("there is no rank 2"), "{found:?}");
        assert!(found[1].message.starts_with("Shares:"), "{found:?}");
    }

    #[test]
    fn points_become_repeated_choices() {
        let d = ranked();
        let (c, p) = choices_from_marks(
            &d,
            &marks_from_fields(&d, &[f("p.shares.di", "2"), f("p.shares.ed", "1")]),
        );
        assert!(p.is_empty());
        assert_eq!(c["shares"], vec!["di", "di", "ed"]);
    }

    #[test]
    fn hidden_fields_round_trip_through_the_form() {
        for d in [def(), ranked()] {
            let fields = vec![
                f("c.directors", "priya-raman"),
                f("w.treasurer", "Jo Bloggs"),
                f("c.bylaw-amendment-7", "no"),
                f("r.board.bo", "1"),
                f("r.board.ann", "2"),
                f("p.shares.ed", "3"),
            ];
            let (c, _) = choices_from_marks(&d, &marks_from_fields(&d, &fields));
            let hidden: Vec<(String, String)> = hidden_fields(&d, &c).into_iter().map(|h| (h.name, h.value)).collect();
            assert_eq!(choices_from_marks(&d, &marks_from_fields(&d, &hidden)).0, c);
        }
    }
}
