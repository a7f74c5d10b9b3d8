-- Decryption of an encrypted election after the close (issue 13,
-- docs/design/encrypted-ballots.md §16.6–§16.9).
--
-- `aggregates`: the encrypted totals formed at the close from the cast
-- ballots (§16.6), as the canonical JSON `{"weight_decimals", "targets"}`
-- the `aggregated` log entry's digest pins; `totals` is the canonical JSON
-- `[{"target", "trustees", "value"}, …]` once K partial decryptions are
-- combined (§16.8), NULL until then.
CREATE TABLE aggregates (
    election_id TEXT PRIMARY KEY REFERENCES elections (id),
    ballots BIGINT NOT NULL,
    weight TEXT NOT NULL,
    weight_decimals BIGINT NOT NULL,
    aggregate TEXT NOT NULL,
    digest TEXT NOT NULL,
    totals TEXT
);

-- Every accepted partial decryption (the signed `decrypt` envelope,
-- canonical JSON), in the order accepted (the log's order); one per
-- trustee. Appends run under the election's log-head lock.
CREATE TABLE decryption_shares (
    election_id TEXT NOT NULL REFERENCES elections (id),
    position BIGINT NOT NULL,
    trustee BIGINT NOT NULL,
    envelope TEXT NOT NULL,
    digest TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, position),
    UNIQUE (election_id, trustee)
);

-- Every refused partial decryption, with the reason logged and the words
-- shown to trustees and staff (`detail`); the envelope is not kept.
CREATE TABLE decryption_refusals (
    election_id TEXT NOT NULL REFERENCES elections (id),
    position BIGINT NOT NULL,
    trustee BIGINT NOT NULL,
    reason TEXT NOT NULL,
    target BIGINT,
    detail TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, position)
);
