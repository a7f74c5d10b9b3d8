-- The society's own look (issue 12): one row for the instance, set in the
-- console (/staff/organisation) and read by every page, message and letter.
-- The logo is stored as Teller re-encoded it (PNG, at most 96 px high).
-- `version` goes up by one on every save: instances sharing the database
-- compare it to their cached copy (web::brand).
CREATE TABLE organisation (
    id BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    primary_colour TEXT NOT NULL,
    accent_colour TEXT NOT NULL,
    office_name TEXT NOT NULL,
    office_email TEXT NOT NULL,
    office_phone TEXT NOT NULL,
    office_hours TEXT NOT NULL,
    privacy_url TEXT NOT NULL,
    logo BLOB,
    logo_mime TEXT,
    logo_width BIGINT,
    logo_height BIGINT,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
