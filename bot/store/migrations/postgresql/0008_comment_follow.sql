-- SQLite's 0018 (see there): a followed post's page validators from its last fetch again (comment follow),
-- sent back so that an unchanged page costs a 304.
ALTER TABLE articles ADD COLUMN page_etag TEXT COLLATE "C";
ALTER TABLE articles ADD COLUMN page_last_modified TEXT COLLATE "C";

-- SQLite's 0018: the comment page each comment was read from ('' the post's own), NULL unknown.
ALTER TABLE comments ADD COLUMN page TEXT COLLATE "C";
