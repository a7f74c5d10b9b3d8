DROP TABLE ballots;
DROP TABLE members;
DROP TABLE checkpoints;
DROP TABLE log_entries;
DROP TABLE log_heads;
DROP TABLE elections;
DROP FUNCTION teller_ballot_seal_only();
DROP FUNCTION teller_refuse_change();
