-- Staff accounts, their sessions, and the certifiers' keys and signatures.

CREATE TABLE staff (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- Argon2id, PHC string format.
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('administrator', 'officer', 'certifier', 'observer')),
    -- TOTP key, encrypted under the master secret; NULL when not enrolled.
    totp_secret TEXT,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- A session is stored as the SHA-256 of its cookie value.
CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    staff_id TEXT NOT NULL REFERENCES staff (id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Each certifier's Ed25519 public key for an election, registered before
-- the polls open; the private key never reaches the server.
CREATE TABLE certifier_keys (
    election_id TEXT NOT NULL REFERENCES elections (id),
    staff_id TEXT NOT NULL REFERENCES staff (id),
    public_key TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, staff_id)
);

CREATE TABLE certifications (
    election_id TEXT NOT NULL REFERENCES elections (id),
    staff_id TEXT NOT NULL REFERENCES staff (id),
    body TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, staff_id)
);
