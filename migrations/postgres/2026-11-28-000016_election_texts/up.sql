-- The election's own texts in other languages (title, description, contest
-- titles and descriptions, candidates' statements), entered in the builder
-- while the election is a draft. Presentation only: the election definition
-- (what is hashed and published) keeps its own language.
CREATE TABLE election_texts (
    election_id TEXT NOT NULL REFERENCES elections (id),
    lang TEXT NOT NULL,
    text_key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (election_id, lang, text_key)
);
