DROP TABLE candidate_profiles;
