-- Commands people expect (issue 15).
--
-- content_hash: SHA-256 of what an article says (title, author, date, body, bio, comments), so
-- importing the same file again finds the article already there instead of storing a copy under
-- "...-2". Articles stored before this migration get theirs computed on the next import.
ALTER TABLE articles ADD COLUMN content_hash TEXT;
CREATE INDEX articles_content_hash ON articles (content_hash);

-- cancelled_at: /article cancel stops a posting for good. Its state becomes 'done' (so nothing
-- ever picks it up again, after a restart too) and this says it ended by cancellation, when.
ALTER TABLE postings ADD COLUMN cancelled_at TEXT;
