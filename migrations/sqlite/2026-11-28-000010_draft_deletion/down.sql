DROP TRIGGER log_entries_append_only_delete;
CREATE TRIGGER log_entries_append_only_delete BEFORE DELETE ON log_entries
BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END;
