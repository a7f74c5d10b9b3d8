-- Confirmation e-mails (issue 12): an election may offer members an e-mail,
-- sent when their ballot is sealed, with its tracker. Off unless staff turn
-- it on; not part of the definition or the record.
ALTER TABLE elections ADD COLUMN send_confirmations BOOLEAN NOT NULL DEFAULT 0;

-- A member who asked for one, from the cast (status 'pending', no seal)
-- until the message is sent, when the row is deleted. It holds the link
-- between a member and a tracker that nothing else stores, so it keeps as
-- little as it can: no time of casting (`updated_at` is first written by
-- the seal), no sequence; keyed by the tracker and stored WITHOUT ROWID, so
-- that its physical order is the tracker's, not the order of casting.
-- `send_order` is drawn at random, so that messages leave in an order that
-- is neither the casting's nor the trackers'.
CREATE TABLE confirmations (
    election_id TEXT NOT NULL REFERENCES elections (id),
    tracker TEXT NOT NULL,
    member_id TEXT NOT NULL,
    send_order TEXT NOT NULL,
    seal BIGINT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'queued', 'sending', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    updated_at BIGINT,
    PRIMARY KEY (election_id, tracker)
) WITHOUT ROWID;
