DELETE FROM deliveries WHERE kind = 'notice';
CREATE TABLE deliveries_old (
    election_id TEXT NOT NULL REFERENCES elections (id),
    member_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder')),
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
    attempts BIGINT NOT NULL,
    error TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, member_id, kind)
);
INSERT INTO deliveries_old SELECT election_id, member_id, kind, status, attempts, error, updated_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_old RENAME TO deliveries;
DROP TABLE turnout;
