-- Retrieval: the article's sentences as passages with exact offsets into their source text, an
-- FTS5 index over them (porter stemming), the log of questions asked, full-text search over
-- readers' messages, and per-server settings.
CREATE TABLE passages (
    id         INTEGER PRIMARY KEY,
    article_id TEXT    NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    source     TEXT    NOT NULL CHECK (source IN ('body', 'bio', 'comment')),
    section    INTEGER,
    comment    INTEGER,
    position   INTEGER NOT NULL,          -- order within its source
    start      INTEGER NOT NULL,          -- offsets into the source text (body, bio or comment text)
    end        INTEGER NOT NULL,
    text       TEXT    NOT NULL,
    CHECK (start < end)
) STRICT;
CREATE INDEX passages_by_article ON passages (article_id, source, comment, position);

CREATE VIRTUAL TABLE passages_fts USING fts5 (
    text, content = 'passages', content_rowid = 'id', tokenize = 'porter unicode61'
);
CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts (passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

CREATE TABLE asks (
    id         INTEGER PRIMARY KEY,
    asked_at   TEXT    NOT NULL,
    guild_id   INTEGER,
    user_id    INTEGER,
    article_id TEXT    NOT NULL,
    question   TEXT    NOT NULL,
    answered   INTEGER NOT NULL,
    quotes     TEXT    NOT NULL,          -- JSON: the quotes shown, best first
    latency_ms REAL    NOT NULL
) STRICT;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content, content = 'messages', content_rowid = 'id', tokenize = 'porter unicode61'
);
INSERT INTO messages_fts (rowid, content) SELECT id, content FROM messages;
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
