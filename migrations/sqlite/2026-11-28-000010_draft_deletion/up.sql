-- A draft may be deleted (issue 12): its log entries go with it. Once the
-- polls have opened, a signed checkpoint commits to the log (checkpoints
-- can never be deleted), so an opened election's log stays append-only even
-- if its state were forged back to draft.
DROP TRIGGER log_entries_append_only_delete;
CREATE TRIGGER log_entries_append_only_delete BEFORE DELETE ON log_entries
WHEN EXISTS (SELECT 1 FROM checkpoints WHERE checkpoints.election_id = OLD.election_id)
BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END;
