-- Readers' attachments kept in the archive (issue 22): Discord's attachment links are signed and
-- expire, so an archive or export that points at them loses its images months later. The bytes are
-- fetched when a message is recorded (live or by backfill) and kept here, one row per attachment.
-- data: the file's bytes; NULL when not kept, and then note says why ("over the 8 MiB cap").
-- guild_id: the message's server, so a server's total is one indexed sum (its cap).
-- A row goes with its message (deleted, purged, or its article deleted: ON DELETE CASCADE, and
-- the deletion of a message removes its rows in the deletion's transaction).
CREATE TABLE message_files (
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,
    guild_id     INTEGER,
    name         TEXT    NOT NULL,
    content_type TEXT,
    size         INTEGER NOT NULL,
    data         BLOB,
    note         TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (message_id, idx)
) STRICT;
CREATE INDEX message_files_guild ON message_files (guild_id);

-- The caps, per server (/article settings): the largest file kept and the most a server keeps in
-- all, in MiB; 0 keeps no files.
ALTER TABLE guild_settings ADD COLUMN file_cap_mib INTEGER NOT NULL DEFAULT 8 CHECK (file_cap_mib >= 0);
ALTER TABLE guild_settings ADD COLUMN server_cap_mib INTEGER NOT NULL DEFAULT 500 CHECK (server_cap_mib >= 0);
