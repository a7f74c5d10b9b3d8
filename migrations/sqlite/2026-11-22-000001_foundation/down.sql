DROP TABLE ballots;
DROP TABLE members;
DROP TABLE checkpoints;
DROP TABLE log_entries;
DROP TABLE log_heads;
DROP TABLE elections;
