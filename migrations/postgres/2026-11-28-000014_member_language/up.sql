-- The member's language (en, es) from the roll's optional `language` column;
-- empty when the roll does not say. Messages and letters are written in it.
ALTER TABLE members ADD COLUMN language TEXT NOT NULL DEFAULT '';
