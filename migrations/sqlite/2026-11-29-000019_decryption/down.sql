DROP TABLE decryption_refusals;
DROP TABLE decryption_shares;
DROP TABLE aggregates;
