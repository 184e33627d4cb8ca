-- Privacy (issue 11): what the store needs to show each member only what they may see.
--
-- threads: every thread whose messages are archived, with its parent channel and whether it is
-- private (Discord type 12). Discord does not send archived threads over the gateway, so the
-- archive itself must know where a thread hangs and who may see it.
CREATE TABLE threads (
    id        INTEGER PRIMARY KEY,
    guild_id  INTEGER,
    parent_id INTEGER NOT NULL,
    private   INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1))
) STRICT;
CREATE INDEX threads_guild ON threads (guild_id, parent_id);

-- Before this migration only the bot's own threads and forum posts were recorded, and those are
-- public: the threads already known are public threads of their parent.
INSERT OR IGNORE INTO threads (id, guild_id, parent_id, private)
    SELECT channel_id, min(guild_id), min(parent_id), 0 FROM messages
    WHERE parent_id IS NOT NULL GROUP BY channel_id;
INSERT OR IGNORE INTO threads (id, guild_id, parent_id, private)
    SELECT i.thread_id, p.guild_id, p.channel_id, 0 FROM posting_items i
    JOIN postings p ON p.id = i.posting_id WHERE i.thread_id IS NOT NULL;

-- to_bot: the message was addressed to the bot (it mentions it): a question, never an answer.
ALTER TABLE messages ADD COLUMN to_bot INTEGER NOT NULL DEFAULT 0 CHECK (to_bot IN (0, 1));
-- Messages archived before: the bot's own user is the author of its non-webhook messages, so
-- readers' messages that mention it can be marked now.
WITH bots AS (SELECT DISTINCT author_id FROM messages WHERE author_bot = 1 AND webhook_id IS NULL)
UPDATE messages SET to_bot = 1
    WHERE author_bot = 0 AND EXISTS (
        SELECT 1 FROM bots
        WHERE instr(messages.content, '<@' || bots.author_id || '>') > 0
           OR instr(messages.content, '<@!' || bots.author_id || '>') > 0
    );

-- article_guilds: the servers an article was imported in with /article import. An article with
-- no row was imported from the command line: the operator's shared library, listed everywhere.
CREATE TABLE article_guilds (
    article_id TEXT    NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    guild_id   INTEGER NOT NULL,
    PRIMARY KEY (article_id, guild_id)
) STRICT;
