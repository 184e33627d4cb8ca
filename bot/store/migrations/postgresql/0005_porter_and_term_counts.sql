-- Issue 26: PostgreSQL's full-text search as FTS5's, and a question's word statistics kept at
-- write time (bot/store/postgres_search.py tells how the queries use them).
--
-- 1. ``readalong_porter``: FTS5's ``porter unicode61`` as near as PostgreSQL's own parts go. The
--    original Porter stemmer (Snowball's ``porter``, which FTS5's porter is; not ``english``,
--    which is Porter 2 and stems "one" as "one" where FTS5 has "on") and no stop words (FTS5
--    indexes every word). A hyphenated word is indexed as its parts only, as unicode61 cuts it.
--    Every tsvector column is made again under it (a generated column's expression cannot be
--    changed in place before PostgreSQL 17), with its GIN index; 'english' and
--    ``readalong_english_all`` (which matched 'english''s stop words in the text) are no longer
--    used, and the latter goes.
-- 2. Passages' word statistics, kept by triggers as passages are written (an article's import)
--    and removed (an article deleted): per article, how many passages and words it has and how
--    many passages hold each lexeme; over the whole table, the same (FTS5's N, average length and
--    n). A question then reads a handful of rows instead of counting over the table. The
--    triggers take a transaction-scoped advisory lock first, so two imports at once update the
--    shared rows one after the other instead of deadlocking on them.

CREATE TEXT SEARCH DICTIONARY readalong_porter_stem (TEMPLATE = snowball, Language = porter);
CREATE TEXT SEARCH CONFIGURATION readalong_porter (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION readalong_porter
    ALTER MAPPING FOR asciiword, word, numword, hword_asciipart, hword_part, hword_numpart
    WITH readalong_porter_stem;
ALTER TEXT SEARCH CONFIGURATION readalong_porter DROP MAPPING FOR asciihword, hword, numhword;

DROP TEXT SEARCH CONFIGURATION readalong_english_all;
DROP TEXT SEARCH DICTIONARY readalong_english_stem;

ALTER TABLE passages DROP COLUMN tsv;
ALTER TABLE passages ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('readalong_porter', text)) STORED;
CREATE INDEX passages_tsv ON passages USING GIN (tsv) WITH (fastupdate = off);

ALTER TABLE comments DROP COLUMN tsv;
ALTER TABLE comments ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('readalong_porter', text)) STORED;
CREATE INDEX comments_tsv ON comments USING GIN (tsv) WITH (fastupdate = off);

ALTER TABLE messages DROP COLUMN tsv;
ALTER TABLE messages ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('readalong_porter', content)) STORED;
CREATE INDEX messages_tsv ON messages USING GIN (tsv);

-- Per article: its passages and their words; how many of its passages hold each lexeme.
CREATE TABLE article_passage_counts (
    article_id TEXT COLLATE "C" PRIMARY KEY,
    passages   BIGINT NOT NULL,
    tokens     BIGINT NOT NULL
);
CREATE TABLE article_lexemes (
    article_id TEXT COLLATE "C" NOT NULL,
    lexeme     TEXT COLLATE "C" NOT NULL,
    passages   BIGINT NOT NULL,
    PRIMARY KEY (article_id, lexeme)
);
-- Over every article: the same (one row of totals; one row per lexeme).
CREATE TABLE passage_counts (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    passages BIGINT NOT NULL,
    tokens   BIGINT NOT NULL
);
CREATE TABLE passage_lexemes (
    lexeme   TEXT COLLATE "C" PRIMARY KEY,
    passages BIGINT NOT NULL
);

INSERT INTO passage_counts (passages, tokens) SELECT count(*), COALESCE(sum(tokens), 0) FROM passages;
INSERT INTO passage_lexemes (lexeme, passages)
    SELECT l.lexeme, count(*) FROM passages p CROSS JOIN unnest(p.tsv) AS l GROUP BY l.lexeme;
INSERT INTO article_passage_counts (article_id, passages, tokens)
    SELECT article_id, count(*), sum(tokens) FROM passages GROUP BY article_id;
INSERT INTO article_lexemes (article_id, lexeme, passages)
    SELECT p.article_id, l.lexeme, count(*) FROM passages p CROSS JOIN unnest(p.tsv) AS l
    GROUP BY p.article_id, l.lexeme;

-- The passages written or removed by one statement, as arrays (a trigger's transition table is
-- visible to its own function only): ``sign`` 1 when added, -1 when removed; rows left at 0 go.
CREATE FUNCTION readalong_count_passages(changed_ids TEXT[], changed_tokens BIGINT[], changed_tsvs tsvector[], sign BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- The schema's own lock (advisory locks are the database's), as the store keys its others.
    PERFORM pg_advisory_xact_lock(hashtextextended(current_schema() || ':passage_counts', 0));
    UPDATE passage_counts t
        SET passages = t.passages + sign * cardinality(changed_ids),
            tokens = t.tokens + sign * (SELECT COALESCE(sum(n), 0) FROM unnest(changed_tokens) AS n);
    INSERT INTO article_passage_counts AS t (article_id, passages, tokens)
        SELECT c.article_id, sign * count(*), sign * sum(c.tokens)
        FROM unnest(changed_ids, changed_tokens) AS c(article_id, tokens)
        GROUP BY c.article_id ORDER BY c.article_id
        ON CONFLICT (article_id) DO UPDATE
        SET passages = t.passages + excluded.passages, tokens = t.tokens + excluded.tokens;
    INSERT INTO article_lexemes AS t (article_id, lexeme, passages)
        SELECT c.article_id, l.lexeme, sign * count(*)
        FROM unnest(changed_ids, changed_tsvs) AS c(article_id, tsv) CROSS JOIN unnest(c.tsv) AS l
        GROUP BY c.article_id, l.lexeme ORDER BY c.article_id, l.lexeme
        ON CONFLICT (article_id, lexeme) DO UPDATE SET passages = t.passages + excluded.passages;
    INSERT INTO passage_lexemes AS t (lexeme, passages)
        SELECT l.lexeme, sign * count(*) FROM unnest(changed_tsvs) AS c(tsv) CROSS JOIN unnest(c.tsv) AS l
        GROUP BY l.lexeme ORDER BY l.lexeme
        ON CONFLICT (lexeme) DO UPDATE SET passages = t.passages + excluded.passages;
    IF sign < 0 THEN
        DELETE FROM article_passage_counts WHERE article_id = ANY(changed_ids) AND passages <= 0;
        DELETE FROM article_lexemes WHERE article_id = ANY(changed_ids) AND passages <= 0;
        DELETE FROM passage_lexemes WHERE passages <= 0 AND lexeme IN
            (SELECT l.lexeme FROM unnest(changed_tsvs) AS c(tsv) CROSS JOIN unnest(c.tsv) AS l);
    END IF;
END
$$;

CREATE FUNCTION readalong_passages_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM readalong_count_passages(array_agg(article_id), array_agg(tokens), array_agg(tsv), 1)
        FROM added HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION readalong_passages_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM readalong_count_passages(array_agg(article_id), array_agg(tokens), array_agg(tsv), -1)
        FROM removed HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER passages_counted_added AFTER INSERT ON passages
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION readalong_passages_added();
CREATE TRIGGER passages_counted_removed AFTER DELETE ON passages
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION readalong_passages_removed();
-- Passages are written and removed, never changed: a change would leave the counts wrong.
CREATE FUNCTION readalong_passages_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'passages are never updated (their word counts would go wrong): delete and insert';
END
$$;
CREATE TRIGGER passages_unchanged BEFORE UPDATE OF article_id, text ON passages
    FOR EACH STATEMENT EXECUTE FUNCTION readalong_passages_unchanged();
