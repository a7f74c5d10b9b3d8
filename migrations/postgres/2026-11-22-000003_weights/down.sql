ALTER TABLE members DROP COLUMN weight;
