-- SQLite's 0014 (see there): an article may be posted again in a channel once its earlier
-- posting there was cancelled or finished; only a posting still going (active or paused)
-- excludes another of the same article in the same channel. 0001's constraint was unnamed, so
-- it carries PostgreSQL's default name.
ALTER TABLE postings DROP CONSTRAINT postings_article_id_channel_id_key;
CREATE INDEX postings_channel ON postings (channel_id, id);
CREATE UNIQUE INDEX postings_going ON postings (article_id, channel_id) WHERE state != 'done';
