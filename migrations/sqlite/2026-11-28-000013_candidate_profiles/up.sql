-- Candidates presented properly (issue 12): an optional photo and a longer
-- profile per candidate. Presentation only: none of it is in the election
-- definition, its hash, the log or the record. Written only while the
-- election is a draft (ops::profiles), so what members see cannot change
-- once the polls open. The photo is Teller's own re-encoding of the upload
-- (PNG or JPEG, square, no metadata); photo_digest names its bytes (the
-- public URL and ETag carry it).
CREATE TABLE candidate_profiles (
    election_id TEXT NOT NULL REFERENCES elections (id),
    contest_id TEXT NOT NULL,
    candidate_id TEXT NOT NULL,
    photo BLOB,
    photo_type TEXT,
    photo_digest TEXT,
    width BIGINT,
    height BIGINT,
    profile TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, contest_id, candidate_id)
);
