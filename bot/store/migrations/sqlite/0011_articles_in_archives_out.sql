-- Articles in, archives out (issue 15).
--
-- url: where the article was published, from a Markdown file's front matter (`url:`).
ALTER TABLE articles ADD COLUMN url TEXT;

-- The question log feeds the exports, which show each /ask question and its answer with who asked
-- and when, to those who could see it asked: so the log keeps where it was asked (the channel or
-- thread), whether the answer was posted for everyone there, the asker's name then, and the answer
-- as shown. Rows logged before this have no channel: exports made on Discord leave them out (no
-- one can tell who saw them); the operator's `readalong export` includes them.
ALTER TABLE asks ADD COLUMN channel_id INTEGER;
ALTER TABLE asks ADD COLUMN public INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1));
ALTER TABLE asks ADD COLUMN user_name TEXT;
ALTER TABLE asks ADD COLUMN answer TEXT;
CREATE INDEX asks_by_article ON asks (article_id, asked_at);

-- Archive search covers the original comments (part of the article) beside readers' messages.
-- A table of its own (the comments table has no stable integer rowid for an external-content
-- index), kept in step by triggers; comments never change after import, they only come and go
-- with their article (so its rows go in one pass when the article does).
CREATE VIRTUAL TABLE comments_fts USING fts5 (
    text, article_id UNINDEXED, idx UNINDEXED, tokenize = 'porter unicode61'
);
INSERT INTO comments_fts (text, article_id, idx) SELECT text, article_id, idx FROM comments;
CREATE TRIGGER comments_fts_ai AFTER INSERT ON comments BEGIN
    INSERT INTO comments_fts (text, article_id, idx) VALUES (new.text, new.article_id, new.idx);
END;
CREATE TRIGGER comments_fts_article_ad AFTER DELETE ON articles BEGIN
    DELETE FROM comments_fts WHERE article_id = old.id;
END;
