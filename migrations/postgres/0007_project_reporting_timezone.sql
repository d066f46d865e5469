-- The time zone a project's reports use: a day, week or month of a chart is one in this zone (IANA name).
ALTER TABLE projects ADD COLUMN reporting_timezone text NOT NULL DEFAULT 'UTC'
    CHECK (length(reporting_timezone) BETWEEN 1 AND 64);
