DROP TABLE mail_templates;
DROP TABLE deliveries;
