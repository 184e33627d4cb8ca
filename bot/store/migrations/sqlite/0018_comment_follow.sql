-- Issue 27, comment follow. A followed post's page is fetched conditionally, as feeds are polled:
-- the page's validators from its last fetch (`ETag`, `Last-Modified`), sent back as
-- `If-None-Match` and `If-Modified-Since`; a 304 means the page and its comments have not
-- changed. NULL: not fetched again since the import (the next fetch is a whole one).
ALTER TABLE articles ADD COLUMN page_etag TEXT;
ALTER TABLE articles ADD COLUMN page_last_modified TEXT;

-- The page of the blog's comment section each comment was read from ('' the post's own address,
-- else the comment page's path and query), so that a comment a later fetch does not show is only
-- taken for deleted if that fetch read its page (not one that failed to load or lay past the
-- tenth). NULL: not known (a file's comments, web articles imported before).
ALTER TABLE comments ADD COLUMN page TEXT;
