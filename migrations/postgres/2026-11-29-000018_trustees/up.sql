-- Encrypted elections' key ceremony (issue 13, docs/design/encrypted-ballots.md
-- §16). An election with a row in `ceremonies` is encrypted under `threshold`
-- of `trustees` trustees (set in its definition file or the builder while a
-- draft); without one it is a plain election.
CREATE TABLE ceremonies (
    election_id TEXT PRIMARY KEY REFERENCES elections (id),
    trustees BIGINT NOT NULL,
    threshold BIGINT NOT NULL
);

-- The trustees staff named, numbered 1 … N in naming order (a number is
-- never reused). `code_hash` is SHA-256 of the trustee's access code, which
-- staff hand to the trustee once; the server keeps no trustee secret.
CREATE TABLE trustees (
    election_id TEXT NOT NULL REFERENCES elections (id),
    trustee BIGINT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    code_hash TEXT NOT NULL UNIQUE,
    named_by TEXT NOT NULL,
    named_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, trustee)
);

-- Every accepted ceremony message (the signed envelope, canonical JSON),
-- in the order accepted. Appends run under the election's log-head lock;
-- the unique keys refuse a second message for the same place or round
-- even if that were ever bypassed.
CREATE TABLE ceremony_messages (
    election_id TEXT NOT NULL REFERENCES elections (id),
    position BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    trustee BIGINT NOT NULL,
    round TEXT NOT NULL,
    envelope TEXT NOT NULL,
    digest TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, position),
    UNIQUE (election_id, attempt, trustee, round)
);

-- Every exclusion (§16.4), in the order made; `actor` names staff for
-- `absent` and is NULL for the rules the board applies itself.
CREATE TABLE ceremony_exclusions (
    election_id TEXT NOT NULL REFERENCES elections (id),
    position BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    trustee BIGINT NOT NULL,
    rule TEXT NOT NULL,
    actor TEXT,
    PRIMARY KEY (election_id, position),
    UNIQUE (election_id, trustee)
);
