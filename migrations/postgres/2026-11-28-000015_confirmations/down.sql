DROP TABLE confirmations;
ALTER TABLE elections DROP COLUMN send_confirmations;
