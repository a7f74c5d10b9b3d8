-- Teller foundation schema (SQLite). Keep in step with ../../postgres.
-- Times are whole seconds since the Unix epoch, on both backends.

CREATE TABLE elections (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed', 'tallied', 'certified')),
    -- Canonical JSON of the definition; frozen once the polls open.
    definition TEXT NOT NULL,
    opens_at BIGINT,
    closes_at BIGINT,
    seal_interval_seconds BIGINT NOT NULL,
    seal_min_ballots BIGINT NOT NULL,
    public_key TEXT NOT NULL,
    -- Encrypted under a key derived from the master secret, never plain.
    secret_key TEXT NOT NULL,
    lot_seed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Canonical JSON of the tally, once made.
    tally TEXT
);

-- One row per election; every write to an election takes it first, so
-- appends to one log are serialised in the database.
CREATE TABLE log_heads (
    election_id TEXT PRIMARY KEY NOT NULL REFERENCES elections (id),
    size BIGINT NOT NULL,
    head TEXT NOT NULL,
    next_seal BIGINT NOT NULL,
    last_seal_at BIGINT NOT NULL,
    sealed_ballots BIGINT NOT NULL
);

CREATE TABLE log_entries (
    election_id TEXT NOT NULL REFERENCES elections (id),
    seq BIGINT NOT NULL,
    -- Canonical JSON of the entry; `hash` chains it to the one before.
    body TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (election_id, seq)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    election_id TEXT NOT NULL REFERENCES elections (id),
    size BIGINT NOT NULL,
    reason TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (election_id, size, reason)
) WITHOUT ROWID;

-- The roll. A token is stored only as its keyed hash.
CREATE TABLE members (
    election_id TEXT NOT NULL REFERENCES elections (id),
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    voted BOOLEAN NOT NULL DEFAULT 0,
    -- `voted` as of the last seal: the only voting status staff see.
    voted_sealed BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (election_id, member_id)
) WITHOUT ROWID;

-- Ballots: no voter, no time, no row id. WITHOUT ROWID stores them in
-- tracker order, which is independent of the order of casting.
CREATE TABLE ballots (
    election_id TEXT NOT NULL REFERENCES elections (id),
    tracker TEXT NOT NULL,
    body TEXT NOT NULL,
    -- NULL while awaiting its seal.
    seal BIGINT,
    PRIMARY KEY (election_id, tracker)
) WITHOUT ROWID;

CREATE TRIGGER log_entries_append_only_update BEFORE UPDATE ON log_entries
BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END;
CREATE TRIGGER log_entries_append_only_delete BEFORE DELETE ON log_entries
BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END;
CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints is append-only'); END;
CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints is append-only'); END;
CREATE TRIGGER ballots_no_delete BEFORE DELETE ON ballots
BEGIN SELECT RAISE(ABORT, 'ballots cannot be deleted'); END;
-- A ballot's only change is being sealed, once.
CREATE TRIGGER ballots_seal_only BEFORE UPDATE ON ballots
WHEN OLD.seal IS NOT NULL OR NEW.seal IS NULL OR NEW.body IS NOT OLD.body
  OR NEW.tracker IS NOT OLD.tracker OR NEW.election_id IS NOT OLD.election_id
BEGIN SELECT RAISE(ABORT, 'a ballot can only be sealed, once'); END;
