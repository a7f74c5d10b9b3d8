DROP TABLE certifications;
DROP TABLE certifier_keys;
DROP TABLE staff_sessions;
DROP TABLE staff;
