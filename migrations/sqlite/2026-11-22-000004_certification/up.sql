-- How many registered certifiers must sign the result to certify it (0: none).
ALTER TABLE elections ADD COLUMN certification_quorum BIGINT NOT NULL DEFAULT 0;

-- One row per seal, for the turnout chart (the log holds the same facts).
CREATE TABLE seals (
    election_id TEXT NOT NULL REFERENCES elections (id),
    seal BIGINT NOT NULL,
    sealed_at BIGINT NOT NULL,
    ballots BIGINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (election_id, seal)
);
