-- Encrypted elections' casting (issue 13, docs/design/encrypted-ballots.md
-- §15.7, §16.10). An encrypted ballot is stored in `ballots` like a plain
-- one (its body is the published form, without `election`); these tables
-- hold what the cast checks need across ballots.

-- Every ciphertext's `alpha` (hex) of every cast and audited ballot: no
-- `alpha` may be stored twice (a replayed ciphertext, Helios issue #8's
-- attack, or reused randomness). The primary key refuses a second one even
-- if the check before the insert were ever bypassed.
CREATE TABLE ballot_alphas (
    election_id TEXT NOT NULL REFERENCES elections (id),
    alpha TEXT NOT NULL,
    PRIMARY KEY (election_id, alpha)
);

-- Audited (spoiled) ballots (§16.10): the audited ballot file a device
-- sent, canonical JSON. Its tracker can never be cast; its alphas are in
-- `ballot_alphas`. No token, no member: an audit is anonymous. Its
-- `audited` log entry is appended with the next seal (NULL until then),
-- after that seal's ballot entries.
CREATE TABLE audited_ballots (
    election_id TEXT NOT NULL REFERENCES elections (id),
    tracker TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    seal BIGINT,
    PRIMARY KEY (election_id, tracker)
);
