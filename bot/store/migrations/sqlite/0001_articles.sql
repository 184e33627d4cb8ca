-- Articles as imported: the body exactly as written, its sections as spans of it, and the
-- original comment section with the quotes found between comments.
CREATE TABLE articles (
    id                TEXT PRIMARY KEY,
    title             TEXT,
    author            TEXT,
    published         TEXT,             -- YYYY-MM-DD
    declared_comments INTEGER,
    source            TEXT NOT NULL,
    format            TEXT NOT NULL CHECK (format IN ('blog', 'markdown', 'text')),
    body              TEXT NOT NULL,
    author_bio        TEXT,
    imported_at       TEXT NOT NULL     -- ISO 8601, UTC
) STRICT;

CREATE TABLE sections (
    article_id TEXT    NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    heading    TEXT,
    start      INTEGER NOT NULL,
    end        INTEGER NOT NULL,
    PRIMARY KEY (article_id, idx),
    CHECK (start < end)
) STRICT;

CREATE TABLE comments (
    article_id TEXT    NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    author     TEXT    NOT NULL,
    posted     TEXT,                    -- YYYY-MM-DDTHH:MM:SS, as the blog showed it
    text       TEXT    NOT NULL,
    PRIMARY KEY (article_id, idx)
) STRICT;

CREATE TABLE comment_quotes (
    article_id  TEXT    NOT NULL,
    comment_idx INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    quoted_idx  INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    PRIMARY KEY (article_id, comment_idx, position),
    FOREIGN KEY (article_id, comment_idx) REFERENCES comments (article_id, idx) ON DELETE CASCADE,
    FOREIGN KEY (article_id, quoted_idx) REFERENCES comments (article_id, idx) ON DELETE CASCADE
) STRICT;
