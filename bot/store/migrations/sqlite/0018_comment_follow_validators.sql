-- Issue 27: comment follow fetches a followed post's page conditionally, as the feeds are polled.
-- The page's validators from its last fetch (`ETag`, `Last-Modified`), sent back as
-- `If-None-Match` and `If-Modified-Since`; a 304 means the page and its comments have not
-- changed. NULL: not fetched again since the import (the next fetch is a whole one).
ALTER TABLE articles ADD COLUMN page_etag TEXT;
ALTER TABLE articles ADD COLUMN page_last_modified TEXT;
