DROP TABLE seals;
ALTER TABLE elections DROP COLUMN certification_quorum;
