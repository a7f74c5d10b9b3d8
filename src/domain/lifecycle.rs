//! An election's lifecycle: draft → open → closed → tallied → certified.

use std::fmt;
use std::str::FromStr;

/// Where an election is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Being defined; the roll can be imported.
    Draft,
    /// The polls are open (or scheduled to be, within the window).
    Open,
    /// The polls are closed; ready to count.
    Closed,
    /// Counted; results and ballots published.
    Tallied,
    /// Certified by the committee (a later capability).
    Certified,
}

impl State {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Open => "open",
            State::Closed => "closed",
            State::Tallied => "tallied",
            State::Certified => "certified",
        }
    }

    /// Whether results (and ballots) may be shown.
    pub fn results_public(self) -> bool {
        self >= State::Tallied
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "draft" => State::Draft,
            "open" => State::Open,
            "closed" => State::Closed,
            "tallied" => State::Tallied,
            "certified" => State::Certified,
            other => return Err(format!("unknown election state {other:?}")),
        })
    }
}

/// Why a ballot cannot be cast right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotOpen {
    /// The polls have not opened yet (`Some` when a time is scheduled).
    NotYet(Option<i64>),
    /// The polls have closed.
    Closed,
}

/// Whether the polls take ballots at `now`: the state is open and `now` is
/// inside the window (the scheduler may not have closed it yet).
pub fn voting_window(state: State, opens_at: Option<i64>, closes_at: Option<i64>, now: i64) -> Result<(), NotOpen> {
    match state {
        State::Draft => Err(NotOpen::NotYet(opens_at)),
        State::Open => {
            if closes_at.is_some_and(|c| now >= c) {
                Err(NotOpen::Closed)
            } else {
                Ok(())
            }
        }
        State::Closed | State::Tallied | State::Certified => Err(NotOpen::Closed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_closes_at_its_time_even_before_the_scheduler_acts() {
        assert_eq!(voting_window(State::Open, None, Some(100), 99), Ok(()));
        assert_eq!(voting_window(State::Open, None, Some(100), 100), Err(NotOpen::Closed));
        assert_eq!(
            voting_window(State::Draft, Some(5), None, 0),
            Err(NotOpen::NotYet(Some(5)))
        );
        assert_eq!(voting_window(State::Tallied, None, None, 0), Err(NotOpen::Closed));
    }

    #[test]
    fn states_round_trip_and_order_along_the_lifecycle() {
        for s in [
            State::Draft,
            State::Open,
            State::Closed,
            State::Tallied,
            State::Certified,
        ] {
            assert_eq!(s.as_str().parse::<State>().unwrap(), s);
        }
        assert!(State::Closed < State::Tallied);
        assert!(!State::Closed.results_public());
    }
}
