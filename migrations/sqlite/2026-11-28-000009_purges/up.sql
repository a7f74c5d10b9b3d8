-- Personal data deleted after the recount window (`teller election purge`,
-- docs/DEPLOY.md): one row per purged election, saying when, by whom, what
-- was deleted, and the roll's figures as they were, which the record's
-- `counts` are read from once the member rows are gone.
CREATE TABLE purges (
    election_id TEXT PRIMARY KEY NOT NULL REFERENCES elections (id),
    purged_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    members BIGINT NOT NULL,
    tokens_issued BIGINT NOT NULL,
    voted BIGINT NOT NULL,
    voted_sealed BIGINT NOT NULL,
    deliveries BIGINT NOT NULL,
    roll_uploads BIGINT NOT NULL
);
