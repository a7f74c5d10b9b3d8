DROP TABLE roll_upload_rows;
DROP TABLE roll_uploads;
