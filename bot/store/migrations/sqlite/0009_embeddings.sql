-- Semantic retrieval (optional, READALONG_SEMANTIC): a vector per passage text and embedding
-- model, computed once and kept across restarts. Keyed by the text's hash, not the passage id, so
-- a sentence shared by two articles is embedded once and a re-import reuses what it had.
CREATE TABLE embeddings (
    model      TEXT    NOT NULL,
    text_hash  BLOB    NOT NULL,          -- sha256 of the embedded text, UTF-8
    dimensions INTEGER NOT NULL,
    vector     BLOB    NOT NULL,          -- float32, unit length, machine byte order (array('f'))
    PRIMARY KEY (model, text_hash),
    CHECK (length(vector) = 4 * dimensions)
) STRICT, WITHOUT ROWID;
