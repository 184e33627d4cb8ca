-- A posting is the unit (issue 22): an article may be posted again in a channel once its
-- earlier posting there was cancelled or finished. 0003's UNIQUE (article_id, channel_id) forbade
-- it; only a posting still going (active or paused) now excludes another of the same article in
-- the same channel (the partial index below; the store says so in one line before it is hit).
--
-- SQLite cannot drop a table's constraint, so both tables are rebuilt. The order matters with
-- foreign keys on (they cannot be switched off inside the migration's transaction): dropping
-- ``postings`` deletes every row referencing it first, so the new items reference the new
-- postings table, the old items go before the old postings, and renaming ``postings_new``
-- carries the new items' reference along with it.
CREATE TABLE postings_new (
    id                INTEGER PRIMARY KEY,
    article_id        TEXT    NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    guild_id          INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,
    channel_kind      TEXT    NOT NULL CHECK (channel_kind IN ('text', 'forum')),
    pace_minutes      INTEGER NOT NULL CHECK (pace_minutes >= 0),
    with_comments     INTEGER NOT NULL CHECK (with_comments IN (0, 1)),
    state             TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'done')),
    created_by        INTEGER NOT NULL,
    created_at        TEXT    NOT NULL,
    paused_reason     TEXT,
    notify_channel_id INTEGER,
    tag_id            INTEGER,
    cancelled_at      TEXT
) STRICT;
INSERT INTO postings_new (id, article_id, guild_id, channel_id, channel_kind, pace_minutes, with_comments,
                          state, created_by, created_at, paused_reason, notify_channel_id, tag_id, cancelled_at)
    SELECT id, article_id, guild_id, channel_id, channel_kind, pace_minutes, with_comments,
           state, created_by, created_at, paused_reason, notify_channel_id, tag_id, cancelled_at
    FROM postings;

CREATE TABLE posting_items_new (
    posting_id   INTEGER NOT NULL REFERENCES postings_new (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('intro', 'section', 'comments', 'comment')),
    section      INTEGER,
    comment      INTEGER,
    part         INTEGER NOT NULL DEFAULT 1,
    due_at       TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'done')),
    message_id   INTEGER,
    thread_id    INTEGER,
    container_id INTEGER,
    sent_at      TEXT,
    PRIMARY KEY (posting_id, seq)
) STRICT;
INSERT INTO posting_items_new (posting_id, seq, kind, section, comment, part, due_at, status, message_id,
                               thread_id, container_id, sent_at)
    SELECT posting_id, seq, kind, section, comment, part, due_at, status, message_id,
           thread_id, container_id, sent_at
    FROM posting_items;

DROP TABLE posting_items;
DROP TABLE postings;
ALTER TABLE postings_new RENAME TO postings;
ALTER TABLE posting_items_new RENAME TO posting_items;

CREATE INDEX posting_items_due ON posting_items (status, due_at);
CREATE INDEX posting_items_thread ON posting_items (thread_id);
CREATE INDEX posting_items_message ON posting_items (message_id);
CREATE INDEX postings_channel ON postings (channel_id, id);
CREATE UNIQUE INDEX postings_going ON postings (article_id, channel_id) WHERE state != 'done';
