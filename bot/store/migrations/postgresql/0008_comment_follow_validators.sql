-- SQLite's 0018: a followed post's page validators from its last fetch again (comment follow),
-- sent back so that an unchanged page costs a 304.
ALTER TABLE articles ADD COLUMN page_etag TEXT COLLATE "C";
ALTER TABLE articles ADD COLUMN page_last_modified TEXT COLLATE "C";
