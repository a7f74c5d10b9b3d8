//! The ballot form: reading marks from form fields, and the fields, labels
//! and messages the ballot and review pages show.

use std::collections::BTreeMap;

use serde::Serialize;
use teller_audit::ballot::{normalise_write_in, BallotProblem};
use teller_audit::definition::{options, Contest, Definition, Method, WRITE_IN_PREFIX};

use crate::ops::cast::Choices;

/// Write-in boxes shown per contest, at most.
const MAX_WRITE_IN_BOXES: u32 = 5;

/// Field name of a contest's marks: `c.{contest}`.
fn mark_field(contest: &str) -> String {
    format!("c.{contest}")
}

/// Field name of a contest's write-ins: `w.{contest}`.
fn write_in_field(contest: &str) -> String {
    format!("w.{contest}")
}

/// Read the marks in submitted fields. Options keep ballot order; write-ins
/// follow them; values the form never offered are kept, so that validation
/// can name them instead of silently dropping them.
pub fn choices_from_fields(definition: &Definition, fields: &[(String, String)]) -> Choices {
    let mut choices = Choices::new();
    for contest in &definition.contests {
        let marks: Vec<&str> = fields
            .iter()
            .filter(|(k, v)| *k == mark_field(&contest.id) && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect();
        let mut chosen: Vec<String> = options(contest)
            .into_iter()
            .filter(|(id, _)| marks.contains(&id.as_str()))
            .map(|(id, _)| id)
            .collect();
        for m in &marks {
            if !chosen.iter().any(|c| c == m) {
                chosen.push(m.to_string());
            }
        }
        for (_, value) in fields.iter().filter(|(k, _)| *k == write_in_field(&contest.id)) {
            let name = normalise_write_in(value);
            if !name.is_empty() {
                chosen.push(format!("{WRITE_IN_PREFIX}{name}"));
            }
        }
        choices.insert(contest.id.clone(), chosen);
    }
    choices
}

/// The instruction shown with a contest: "Vote for up to 3".
pub fn instructions(contest: &Contest) -> String {
    match &contest.method {
        Method::Plurality { .. } if contest.seats == 1 => "Vote for one.".to_string(),
        Method::Plurality { .. } => format!("Vote for up to {}.", contest.seats),
        Method::Referendum { threshold } => {
            format!("Choose yes, no or abstain. Passing needs {}.", threshold.describe())
        }
    }
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
    options: Vec<OptionField>,
    write_ins: Vec<WriteInField>,
}

/// The ballot page's fields.
#[derive(Serialize)]
pub struct BallotPage {
    description: String,
    contests: Vec<ContestForm>,
    errors: Vec<BallotProblem>,
}

/// Build the ballot page, with `choices` marked and `problems` shown.
pub fn ballot_page(definition: &Definition, choices: &Choices, problems: Vec<BallotProblem>) -> BallotPage {
    let contests = definition
        .contests
        .iter()
        .map(|contest| {
            let chosen = choices.get(&contest.id).cloned().unwrap_or_default();
            let referendum = matches!(contest.method, Method::Referendum { .. });
            let statements: BTreeMap<&str, &str> = contest
                .candidates
                .iter()
                .map(|c| (c.id.as_str(), c.statement.as_str()))
                .collect();
            let mut opts: Vec<OptionField> = options(contest)
                .into_iter()
                .enumerate()
                .map(|(i, (id, name))| OptionField {
                    checked: chosen.contains(&id),
                    statement: statements.get(id.as_str()).unwrap_or(&"").to_string(),
                    input_id: format!("c-{}-{i}", contest.id),
                    input_type: if referendum { "radio" } else { "checkbox" },
                    contest: contest.id.clone(),
                    id,
                    name,
                })
                .collect();
            if referendum {
                opts.push(OptionField {
                    id: String::new(),
                    name: "Leave this question blank".into(),
                    statement: String::new(),
                    checked: chosen.is_empty(),
                    input_id: format!("c-{}-blank", contest.id),
                    input_type: "radio",
                    contest: contest.id.clone(),
                });
            }
            let write_ins = match contest.method {
                Method::Plurality { write_ins: true, .. } => {
                    let typed: Vec<&str> = chosen.iter().filter_map(|c| c.strip_prefix(WRITE_IN_PREFIX)).collect();
                    let boxes = contest.seats.clamp(1, MAX_WRITE_IN_BOXES) as usize;
                    (0..boxes.max(typed.len()))
                        .map(|i| WriteInField {
                            label: if boxes == 1 {
                                "Write in another name (optional)".into()
                            } else {
                                format!("Write in another name {} (optional)", i + 1)
                            },
                            value: typed.get(i).map(|s| s.to_string()).unwrap_or_default(),
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
                    .find(|p| p.contest == contest.id)
                    .map(|p| p.message.clone()),
                options: opts,
                write_ins,
            }
        })
        .collect();
    BallotPage {
        description: definition.description.clone(),
        contests,
        errors: problems,
    }
}

#[derive(Serialize)]
pub struct ContestSummary {
    id: String,
    title: String,
    chosen: Vec<String>,
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
            let names = options(contest);
            let chosen = choices
                .get(&contest.id)
                .map(|c| {
                    c.iter()
                        .map(|id| match id.strip_prefix(WRITE_IN_PREFIX) {
                            Some(name) => format!("{name} (written in)"),
                            None => names
                                .iter()
                                .find(|(oid, _)| oid == id)
                                .map(|(_, n)| n.clone())
                                .unwrap_or_else(|| id.clone()),
                        })
                        .collect()
                })
                .unwrap_or_default();
            ContestSummary {
                id: contest.id.clone(),
                title: contest.title.clone(),
                chosen,
            }
        })
        .collect()
}

/// Hidden fields that carry the choices from the review page to the cast.
pub fn hidden_fields(choices: &Choices) -> Vec<Hidden> {
    let mut out = Vec::new();
    for (contest, chosen) in choices {
        for c in chosen {
            match c.strip_prefix(WRITE_IN_PREFIX) {
                Some(name) => out.push(Hidden {
                    name: write_in_field(contest),
                    value: name.to_string(),
                }),
                None => out.push(Hidden {
                    name: mark_field(contest),
                    value: c.clone(),
                }),
            }
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
        let c = choices_from_fields(&d, &fields);
        assert_eq!(c["directors"], vec!["amara-okafor", "samuel-adeyemi"]);
        assert_eq!(c["treasurer"], vec!["write-in:Jo Bloggs"]);
        assert_eq!(c["bylaw-amendment-7"], vec!["yes"]);
    }

    #[test]
    fn unknown_values_are_kept_for_validation_to_name() {
        let c = choices_from_fields(&def(), &[f("c.directors", "mallory")]);
        assert_eq!(c["directors"], vec!["mallory"]);
    }

    #[test]
    fn hidden_fields_round_trip_through_the_form() {
        let d = def();
        let fields = vec![
            f("c.directors", "priya-raman"),
            f("w.treasurer", "Jo Bloggs"),
            f("c.bylaw-amendment-7", "no"),
        ];
        let c = choices_from_fields(&d, &fields);
        let hidden: Vec<(String, String)> = hidden_fields(&c).into_iter().map(|h| (h.name, h.value)).collect();
        assert_eq!(choices_from_fields(&d, &hidden), c);
    }
}
