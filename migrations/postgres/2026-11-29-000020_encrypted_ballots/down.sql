DROP TABLE audited_ballots;
DROP TABLE ballot_alphas;
