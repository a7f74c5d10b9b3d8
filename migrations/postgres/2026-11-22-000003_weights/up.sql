-- A member's vote weight (decimal text, six places at most; "1" for most).
ALTER TABLE members ADD COLUMN weight TEXT NOT NULL DEFAULT '1';
