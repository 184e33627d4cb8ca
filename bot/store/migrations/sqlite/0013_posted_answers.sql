-- This version also marks article ids per server (issue 21): from it on an article may be keyed
-- ``SERVER/SLUG`` when another server's article has its slug as key (bot/domain/article.py
-- article_slug); keys written before are plain slugs and stay the ids servers use. A release
-- before this one would show such keys as ids, so the version moving on keeps it off.
-- Where each answer was posted on Discord, and what re-renders it: when a reader deletes (or
-- edits away) a message an answer quotes, the bot edits its posted answer without the quote and
-- the archived copy of that message changes with it (issue 21).
-- posted_channel_id, posted_message_id: the bot's message showing the answer (NULL for the
-- command line's, and for answers logged before this migration).
-- posted_head: what the posted message shows before the answer (``/ask``'s "**Q:** …" line).
-- rendering: the answer as data (JSON): its quotes with the readers' messages they are from (ids
-- and names, not the messages' text), whether it
-- answered, the section links and the size it was cut to; NULL where not kept.
ALTER TABLE asks ADD COLUMN posted_channel_id INTEGER;
ALTER TABLE asks ADD COLUMN posted_message_id INTEGER;
ALTER TABLE asks ADD COLUMN posted_head TEXT NOT NULL DEFAULT '';
ALTER TABLE asks ADD COLUMN rendering TEXT;
CREATE INDEX asks_by_posted_message ON asks (posted_message_id) WHERE posted_message_id IS NOT NULL;
