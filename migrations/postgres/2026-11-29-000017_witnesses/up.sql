-- Witnesses (issue 14, audit/FORMAT.md §6b): the independent servers an
-- election names to co-sign its tree checkpoints. Set while the election
-- is a draft and frozen into its `polls_opened` entry; `quorum` is the
-- election's (the same on each of its rows). `cosigned_size` is the
-- largest checkpoint the witness has co-signed for us (0: none yet), and
-- `last_error` why the latest submission failed (NULL once one succeeds).
CREATE TABLE witnesses (
    election_id TEXT NOT NULL REFERENCES elections (id),
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    public_key TEXT NOT NULL,
    url TEXT NOT NULL,
    quorum BIGINT NOT NULL,
    cosigned_size BIGINT NOT NULL DEFAULT 0,
    cosigned_at BIGINT,
    attempted_at BIGINT,
    last_error TEXT,
    PRIMARY KEY (election_id, name)
);

-- Each witness's cosignature line of a tree checkpoint of `size` entries,
-- served with that checkpoint's note.
CREATE TABLE cosignatures (
    election_id TEXT NOT NULL REFERENCES elections (id),
    size BIGINT NOT NULL,
    name TEXT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (election_id, size, name)
);
