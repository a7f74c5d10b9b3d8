-- The last TOTP time step (Unix time / 30) a staff member signed in with, so
-- that a code works once: a sign-in must use a later step. NULL when none
-- has been used since the second factor was enrolled.
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT;

-- Wrong current passwords typed in this session (account page): at the
-- third the session ends, so a session alone cannot be used to guess the
-- password.
ALTER TABLE staff_sessions ADD COLUMN password_failures INTEGER NOT NULL DEFAULT 0;
