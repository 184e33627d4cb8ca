-- SQLite's 0014 (see there): where each answer was posted on Discord, and what re-renders it.
ALTER TABLE asks ADD COLUMN posted_channel_id BIGINT;
ALTER TABLE asks ADD COLUMN posted_message_id BIGINT;
ALTER TABLE asks ADD COLUMN posted_head TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE asks ADD COLUMN rendering TEXT COLLATE "C";
CREATE INDEX asks_by_posted_message ON asks (posted_message_id) WHERE posted_message_id IS NOT NULL;
