-- Forums that require a tag (issue 12): the forum tag chosen with `/article post tag:`, applied to
-- every post of the posting (its sections and its comments post), after a restart too.
ALTER TABLE postings ADD COLUMN tag_id INTEGER;
