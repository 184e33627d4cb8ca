-- Comment follow knows a comment by the blog's own id for it (`comment-123`, a schema.org `@id`)
-- where the page gives one, so a commenter renamed or a time shown differently is the same
-- comment, not a deletion and a new one. NULL: the page gives none (the reader numbers such
-- comments itself, and those numbers move as comments are deleted), or not known (a file's
-- comments; web articles imported before, which are known by author and time until a fetch finds
-- them so and keeps their id).
ALTER TABLE comments ADD COLUMN blog_id TEXT;
