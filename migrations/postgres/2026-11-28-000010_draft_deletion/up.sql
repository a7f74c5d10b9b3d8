-- A draft may be deleted (issue 12): its log entries go with it. Once the
-- polls have opened, a signed checkpoint commits to the log (checkpoints
-- can never be deleted), so an opened election's log stays append-only even
-- if its state were forged back to draft.
CREATE FUNCTION teller_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR EXISTS (SELECT 1 FROM checkpoints WHERE election_id = OLD.election_id) THEN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
    END IF;
    RETURN OLD;
END $$;
DROP TRIGGER log_entries_append_only ON log_entries;
CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION teller_log_append_only();
