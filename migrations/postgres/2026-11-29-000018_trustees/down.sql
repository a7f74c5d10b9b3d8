DROP TABLE ceremony_exclusions;
DROP TABLE ceremony_messages;
DROP TABLE trustees;
DROP TABLE ceremonies;
