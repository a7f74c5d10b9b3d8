//! Varied, valid ballots for the example election (and any contest of the
//! methods Teller counts), so that casting, tallying and verifying do the
//! work real ballots make them do: partly filled contests, blank contests,
//! popular and unpopular candidates, rankings of every length, the
//! occasional write-in. A fixed seed makes the mix the same on every run.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use teller_audit::definition::{Definition, Method, WRITE_IN_PREFIX};

use crate::domain::token::Token;
use crate::ops::cast::Choices;

enum Shape {
    Plurality {
        seats: usize,
        candidates: Vec<String>,
        write_ins: bool,
    },
    Referendum,
    Approval {
        candidates: Vec<String>,
    },
    Cumulative {
        points: usize,
        candidates: Vec<String>,
    },
    Ranked {
        candidates: Vec<String>,
    },
    /// A method this generator does not know yet: the contest is left blank.
    Blank,
}

/// Makes choices for one election's ballots.
pub struct BallotMaker {
    rng: StdRng,
    contests: Vec<(String, Shape)>,
}

impl BallotMaker {
    /// A maker for `definition`'s contests, seeded for repeatable mixes.
    pub fn new(definition: &Definition, seed: u64) -> Self {
        let contests = definition
            .contests
            .iter()
            .map(|c| {
                let candidates = c.candidates.iter().map(|k| k.id.clone()).collect();
                let shape = match &c.method {
                    Method::Plurality { write_ins, .. } => Shape::Plurality {
                        seats: c.seats as usize,
                        candidates,
                        write_ins: *write_ins,
                    },
                    Method::Referendum { .. } => Shape::Referendum,
                    Method::Approval => Shape::Approval { candidates },
                    Method::Cumulative { points } => Shape::Cumulative {
                        points: *points as usize,
                        candidates,
                    },
                    m if m.ranks() => Shape::Ranked { candidates },
                    _ => Shape::Blank,
                };
                (c.id.clone(), shape)
            })
            .collect();
        BallotMaker {
            rng: StdRng::seed_from_u64(seed),
            contests,
        }
    }

    /// The next ballot's choices.
    pub fn choices(&mut self) -> Choices {
        let mut out = Choices::new();
        for (id, shape) in &self.contests {
            let chosen = match shape {
                Shape::Plurality {
                    seats,
                    candidates,
                    write_ins,
                } => plurality(&mut self.rng, *seats, candidates, *write_ins),
                Shape::Referendum => referendum(&mut self.rng),
                Shape::Approval { candidates } => {
                    let k = self.rng.gen_range(0..=candidates.len());
                    pick(&mut self.rng, candidates, k)
                }
                Shape::Cumulative { points, candidates } => {
                    // Points may pile up on one candidate: draws with repetition.
                    let k = self.rng.gen_range(0..=*points);
                    (0..k)
                        .map(|_| candidates[skewed(&mut self.rng, candidates.len())].clone())
                        .collect()
                }
                Shape::Ranked { candidates } => {
                    // Rankings of every length, favourites first more often.
                    let k = self.rng.gen_range(0..=candidates.len());
                    pick(&mut self.rng, candidates, k)
                }
                Shape::Blank => Vec::new(),
            };
            out.insert(id.clone(), chosen);
        }
        out
    }
}

/// An index below `n`, favouring small ones: the smaller of two draws, so
/// the results have clear winners and losers rather than a flat tie.
fn skewed(rng: &mut StdRng, n: usize) -> usize {
    rng.gen_range(0..n).min(rng.gen_range(0..n))
}

/// `k` distinct candidates, earlier ones more likely, in order of drawing.
fn pick(rng: &mut StdRng, candidates: &[String], k: usize) -> Vec<String> {
    let k = k.min(candidates.len());
    let mut picked: Vec<usize> = Vec::with_capacity(k);
    while picked.len() < k {
        let i = skewed(rng, candidates.len());
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked.into_iter().map(|i| candidates[i].clone()).collect()
}

fn plurality(rng: &mut StdRng, seats: usize, candidates: &[String], write_ins: bool) -> Vec<String> {
    // Most voters fill every seat; some leave places, or the contest, blank.
    let k = if rng.gen_bool(0.7) {
        seats
    } else {
        rng.gen_range(0..=seats)
    };
    let mut chosen = pick(rng, candidates, k);
    chosen.shuffle(rng);
    if write_ins && !chosen.is_empty() && rng.gen_bool(0.01) {
        chosen[0] = format!("{WRITE_IN_PREFIX}Jordan Example");
    }
    chosen
}

fn referendum(rng: &mut StdRng) -> Vec<String> {
    let roll: f64 = rng.gen();
    let answer = match roll {
        r if r < 0.60 => "yes",
        r if r < 0.85 => "no",
        r if r < 0.95 => "abstain",
        _ => return Vec::new(),
    };
    vec![answer.to_string()]
}

/// The JSON body of `POST /api/v1/elections/{id}/ballots`.
pub fn cast_body(token: &Token, choices: &Choices) -> Vec<u8> {
    serde_json::json!({ "token": token.as_str(), "choices": choices })
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::cast::normalise_choices;

    fn example() -> Definition {
        crate::domain::spec::parse(include_str!("../../examples/board-election.toml"))
            .unwrap()
            .definition
    }

    #[test]
    fn every_ballot_made_is_valid_and_the_mix_varies() {
        let definition = example();
        let mut maker = BallotMaker::new(&definition, 7);
        let mut distinct = std::collections::HashSet::new();
        for _ in 0..2000 {
            let choices = normalise_choices(&definition, maker.choices());
            let problems = teller_audit::ballot::problems(&definition, &choices);
            assert!(problems.is_empty(), "{choices:?}: {problems:?}");
            distinct.insert(format!("{choices:?}"));
        }
        assert!(distinct.len() > 100, "only {} distinct ballots", distinct.len());
    }

    #[test]
    fn every_method_gets_valid_ballots() {
        use teller_audit::definition::SkippedRanks;
        let mut definition = example();
        let base = definition.contests[0].clone();
        let methods = [
            Method::Approval,
            Method::Cumulative { points: 4 },
            Method::Irv {
                skipped_ranks: SkippedRanks::Refuse,
            },
            Method::Schulze {
                skipped_ranks: SkippedRanks::CloseUp,
            },
        ];
        for (i, method) in methods.into_iter().enumerate() {
            let mut contest = base.clone();
            contest.id = format!("extra-{i}");
            contest.method = method;
            definition.contests.push(contest);
        }
        let mut maker = BallotMaker::new(&definition, 3);
        for _ in 0..1000 {
            let choices = normalise_choices(&definition, maker.choices());
            let problems = teller_audit::ballot::problems(&definition, &choices);
            assert!(problems.is_empty(), "{choices:?}: {problems:?}");
        }
    }

    #[test]
    fn the_same_seed_makes_the_same_ballots() {
        let definition = example();
        let (mut a, mut b) = (BallotMaker::new(&definition, 1), BallotMaker::new(&definition, 1));
        for _ in 0..50 {
            assert_eq!(a.choices(), b.choices());
        }
    }

    #[test]
    fn the_body_is_the_documented_json() {
        let token = Token::generate().unwrap();
        let mut choices = Choices::new();
        choices.insert("treasurer".into(), vec!["omar-haddad".into()]);
        let body: serde_json::Value = serde_json::from_slice(&cast_body(&token, &choices)).unwrap();
        assert_eq!(body["token"], token.as_str());
        assert_eq!(body["choices"]["treasurer"][0], "omar-haddad");
    }
}
