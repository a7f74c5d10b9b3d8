-- A roll uploaded in the console waits here, parsed, between its preview
-- and the officer's confirmation: bound to the election, the officer and
-- their session, named by an unguessable id, and deleted when confirmed,
-- cancelled, or an hour old (docs/CONSOLE.md). Only rolls without problems
-- are kept (`ready`); the rows are the members as read, in file order.
CREATE TABLE roll_uploads (
    id TEXT PRIMARY KEY NOT NULL,
    election_id TEXT NOT NULL REFERENCES elections (id),
    staff_id TEXT NOT NULL REFERENCES staff (id),
    -- SHA-256 of the session's anti-forgery token: the upload is this session's.
    session TEXT NOT NULL,
    file_name TEXT NOT NULL,
    members BIGINT NOT NULL,
    ready BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE roll_upload_rows (
    upload_id TEXT NOT NULL REFERENCES roll_uploads (id),
    row_number BIGINT NOT NULL,
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    weight TEXT NOT NULL,
    PRIMARY KEY (upload_id, row_number)
);
