-- An encrypted election's running totals (issue 13, docs/design/
-- encrypted-ballots.md §16.6): the products of its cast ballots'
-- ciphertexts, grouped by weight (teller-audit's `AggregatorState`, JSON),
-- updated in each batch of casts' own transaction, so that they always
-- equal the product of the ballots stored. The close forms the aggregate
-- from them instead of decoding every stored ballot again; `ballots` is
-- checked against the stored ballots' count first, and the close falls back
-- to decoding them all if the two ever differ.
CREATE TABLE encrypted_totals (
    election_id TEXT PRIMARY KEY REFERENCES elections (id),
    ballots BIGINT NOT NULL,
    state TEXT NOT NULL
);
