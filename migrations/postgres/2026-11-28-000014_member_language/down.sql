ALTER TABLE members DROP COLUMN language;
