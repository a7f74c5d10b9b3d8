-- Turnout as staff and the public see it, stored so that reading it costs one
-- row and changes only when a seal (or, before the polls open, the roll) does.
CREATE TABLE turnout (
    election_id TEXT PRIMARY KEY NOT NULL REFERENCES elections (id),
    -- Members on the roll (the roll changes only before the polls open).
    eligible BIGINT NOT NULL,
    -- Members who had voted as of the last seal.
    voted BIGINT NOT NULL
);
INSERT INTO turnout (election_id, eligible, voted)
SELECT e.id,
       (SELECT COUNT(*) FROM members m WHERE m.election_id = e.id),
       (SELECT COUNT(*) FROM members m WHERE m.election_id = e.id AND m.voted_sealed)
FROM elections e;

-- A notice to a member that their code was replaced (no code in it).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check CHECK (kind IN ('invitation', 'reminder', 'notice'));
