DROP TRIGGER log_entries_append_only ON log_entries;
CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION teller_refuse_change();
DROP FUNCTION teller_log_append_only();
