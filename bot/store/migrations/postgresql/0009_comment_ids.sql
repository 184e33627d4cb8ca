-- SQLite's 0019 (see there): the blog's own id for each comment, NULL where the page gives none.
ALTER TABLE comments ADD COLUMN blog_id TEXT COLLATE "C";
