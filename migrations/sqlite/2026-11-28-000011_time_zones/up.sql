-- An election's time zone (an IANA name: the builder and members' pages show
-- times on its clocks; stored times stay UTC seconds) and whether the public
-- home announces it, with its opening time, before the polls open (issue 12).
-- Settings of the service, not part of the hashed election definition.
ALTER TABLE elections ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE elections ADD COLUMN announced BOOLEAN NOT NULL DEFAULT 0;
