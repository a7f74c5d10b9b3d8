-- The last TOTP time step (Unix time / 30) a staff member signed in with, so
-- that a code works once: a sign-in must use a later step. NULL when none
-- has been used since the second factor was enrolled.
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT;
