-- Placeholder: schema number 0010 belongs to another branch of session 5 (issue 15); the
-- archive-and-exports branch needed its own migration numbered 0011. Delete this file when the
-- branch that owns 0010 is merged.
SELECT 1;
