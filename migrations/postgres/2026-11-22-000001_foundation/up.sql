-- Teller foundation schema (PostgreSQL). Keep in step with ../../sqlite.
-- Times are whole seconds since the Unix epoch, on both backends.

CREATE TABLE elections (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed', 'tallied', 'certified')),
    definition TEXT NOT NULL,
    opens_at BIGINT,
    closes_at BIGINT,
    seal_interval_seconds BIGINT NOT NULL,
    seal_min_ballots BIGINT NOT NULL,
    public_key TEXT NOT NULL,
    secret_key TEXT NOT NULL,
    lot_seed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    tally TEXT
);

-- Every write to an election locks this row first (FOR UPDATE; casts take
-- FOR KEY SHARE), so appends to one log are serialised in the database.
CREATE TABLE log_heads (
    election_id TEXT PRIMARY KEY REFERENCES elections (id),
    size BIGINT NOT NULL,
    head TEXT NOT NULL,
    next_seal BIGINT NOT NULL,
    last_seal_at BIGINT NOT NULL,
    sealed_ballots BIGINT NOT NULL
);

CREATE TABLE log_entries (
    election_id TEXT NOT NULL REFERENCES elections (id),
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (election_id, seq)
);

CREATE TABLE checkpoints (
    election_id TEXT NOT NULL REFERENCES elections (id),
    size BIGINT NOT NULL,
    reason TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (election_id, size, reason)
);

CREATE TABLE members (
    election_id TEXT NOT NULL REFERENCES elections (id),
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    voted BOOLEAN NOT NULL DEFAULT FALSE,
    voted_sealed BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (election_id, member_id)
);

CREATE TABLE ballots (
    election_id TEXT NOT NULL REFERENCES elections (id),
    tracker TEXT NOT NULL,
    body TEXT NOT NULL,
    seal BIGINT,
    PRIMARY KEY (election_id, tracker)
);

CREATE FUNCTION teller_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

CREATE FUNCTION teller_ballot_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ballots cannot be deleted';
END $$;

CREATE FUNCTION teller_ballot_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.seal IS NOT NULL OR NEW.seal IS NULL OR NEW.body IS DISTINCT FROM OLD.body
       OR NEW.tracker IS DISTINCT FROM OLD.tracker OR NEW.election_id IS DISTINCT FROM OLD.election_id THEN
        RAISE EXCEPTION 'a ballot can only be sealed, once';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION teller_refuse_change();
CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
    FOR EACH STATEMENT EXECUTE FUNCTION teller_refuse_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION teller_refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION teller_refuse_change();
CREATE TRIGGER ballots_no_delete BEFORE DELETE ON ballots
    FOR EACH ROW EXECUTE FUNCTION teller_ballot_no_delete();
CREATE TRIGGER ballots_no_truncate BEFORE TRUNCATE ON ballots
    FOR EACH STATEMENT EXECUTE FUNCTION teller_ballot_no_delete();
CREATE TRIGGER ballots_seal_only BEFORE UPDATE ON ballots
    FOR EACH ROW EXECUTE FUNCTION teller_ballot_seal_only();
