DELETE FROM deliveries WHERE kind = 'notice';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check CHECK (kind IN ('invitation', 'reminder'));
DROP TABLE turnout;
