-- This version also marks article ids per server (issue 21): from it on an article may be keyed
-- ``SERVER/SLUG`` when another server's article has its slug as key (bot/domain/article.py
-- article_slug); keys written before are plain slugs and stay the ids servers use. A release
-- before this one would show such keys as ids, so the version moving on keeps it off.
-- SQLite's 0014 (see there): where each answer was posted on Discord, and what re-renders it.
ALTER TABLE asks ADD COLUMN posted_channel_id BIGINT;
ALTER TABLE asks ADD COLUMN posted_message_id BIGINT;
ALTER TABLE asks ADD COLUMN posted_head TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE asks ADD COLUMN rendering TEXT COLLATE "C";
CREATE INDEX asks_by_posted_message ON asks (posted_message_id) WHERE posted_message_id IS NOT NULL;
