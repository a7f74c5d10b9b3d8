DROP TABLE encrypted_totals;
