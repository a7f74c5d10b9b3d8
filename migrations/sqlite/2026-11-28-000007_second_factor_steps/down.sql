ALTER TABLE staff_sessions DROP COLUMN password_failures;
ALTER TABLE staff DROP COLUMN totp_last_step;
