DROP TABLE election_texts;
