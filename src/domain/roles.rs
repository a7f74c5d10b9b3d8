//! Staff roles and what each may do.

use std::fmt;
use std::str::FromStr;

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Accounts, and every election.
    Administrator,
    /// Runs elections: builds, imports the roll, sends links, opens, closes, tallies.
    Officer,
    /// A member of the election committee: reviews and signs results.
    Certifier,
    /// Reads everything staff may see; changes nothing.
    Observer,
}

impl Role {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Officer => "officer",
            Role::Certifier => "certifier",
            Role::Observer => "observer",
        }
    }

    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::Officer => "Election officer",
            Role::Certifier => "Certifier (election committee)",
            Role::Observer => "Observer (read-only)",
        }
    }

    /// May create accounts and change roles.
    pub fn manages_accounts(self) -> bool {
        self == Role::Administrator
    }

    /// May change an election (build, roll, tokens, open, close, tally).
    pub fn runs_elections(self) -> bool {
        matches!(self, Role::Administrator | Role::Officer)
    }

    /// May register a key and sign results.
    pub fn certifies(self) -> bool {
        self == Role::Certifier
    }

    /// Every role.
    pub const ALL: [Role; 4] = [Role::Administrator, Role::Officer, Role::Certifier, Role::Observer];
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a role; use administrator, officer, certifier or observer"))
    }
}
