-- Posting an article into a channel: the plan of messages, each recorded before it is sent so a
-- restart can reconcile it with the channel's history instead of sending it twice.
CREATE TABLE postings (
    id            INTEGER PRIMARY KEY,
    article_id    TEXT    NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    channel_kind  TEXT    NOT NULL CHECK (channel_kind IN ('text', 'forum')),
    pace_minutes  INTEGER NOT NULL CHECK (pace_minutes >= 0),
    with_comments INTEGER NOT NULL CHECK (with_comments IN (0, 1)),
    state         TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'done')),
    created_by    INTEGER NOT NULL,
    created_at    TEXT    NOT NULL,
    UNIQUE (article_id, channel_id)
) STRICT;

CREATE TABLE posting_items (
    posting_id   INTEGER NOT NULL REFERENCES postings (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('intro', 'section', 'comments', 'comment')),
    section      INTEGER,
    comment      INTEGER,
    part         INTEGER NOT NULL DEFAULT 1,
    due_at       TEXT    NOT NULL,          -- ISO 8601 UTC; sends happen in seq order once due
    status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'done')),
    message_id   INTEGER,                   -- known as soon as the message exists
    thread_id    INTEGER,                   -- the thread (or forum post) the item opened
    container_id INTEGER,                   -- the channel or thread the message is in
    sent_at      TEXT,
    PRIMARY KEY (posting_id, seq)
) STRICT;

CREATE INDEX posting_items_due ON posting_items (status, due_at);
CREATE INDEX posting_items_thread ON posting_items (thread_id);
CREATE INDEX posting_items_message ON posting_items (message_id);

-- Every message of a tracked discussion (readers', the bot's, the comment personas'),
-- with its place in the article. The archive builds on this.
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,        -- the Discord message id
    guild_id    INTEGER,
    channel_id  INTEGER NOT NULL,           -- the channel or thread it was posted in
    parent_id   INTEGER,                    -- the thread's parent channel, if in a thread
    article_id  TEXT REFERENCES articles (id) ON DELETE CASCADE,
    section     INTEGER,
    author_id   INTEGER NOT NULL,
    author_name TEXT    NOT NULL,
    author_bot  INTEGER NOT NULL DEFAULT 0,
    webhook_id  INTEGER,
    content     TEXT    NOT NULL,
    attachments TEXT    NOT NULL DEFAULT '[]',   -- JSON: [{name, url, size}]
    embeds      TEXT    NOT NULL DEFAULT '',     -- the embeds' text, for search and export
    reply_to    INTEGER,
    created_at  TEXT    NOT NULL,
    edited_at   TEXT,
    deleted_at  TEXT
) STRICT;

CREATE INDEX messages_channel ON messages (channel_id, id);
CREATE INDEX messages_article ON messages (article_id, section);

CREATE TABLE message_edits (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    edited_at  TEXT    NOT NULL,
    content    TEXT    NOT NULL,            -- the content before this edit
    PRIMARY KEY (message_id, edited_at)
) STRICT;
