-- Token delivery by e-mail: one row per member and kind of message, so that
-- nothing is sent twice by accident and failures can be retried.
CREATE TABLE deliveries (
    election_id TEXT NOT NULL REFERENCES elections (id),
    member_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder')),
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
    attempts BIGINT NOT NULL,
    error TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, member_id, kind)
);

-- The officer's own wording of each message (defaults are built in).
CREATE TABLE mail_templates (
    election_id TEXT NOT NULL REFERENCES elections (id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (election_id, kind)
);
