ALTER TABLE elections DROP COLUMN announced;
ALTER TABLE elections DROP COLUMN time_zone;
