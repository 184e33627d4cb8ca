-- SQLite's kept_files migration (see there): readers' attachments kept in the archive, and the caps per server.
CREATE TABLE message_files (
    message_id   BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    idx          BIGINT NOT NULL,
    guild_id     BIGINT,
    name         TEXT COLLATE "C" NOT NULL,
    content_type TEXT COLLATE "C",
    size         BIGINT NOT NULL,
    data         BYTEA,
    note         TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (message_id, idx)
);
CREATE INDEX message_files_guild ON message_files (guild_id);
ALTER TABLE guild_settings ADD COLUMN file_cap_mib BIGINT NOT NULL DEFAULT 8 CHECK (file_cap_mib >= 0);
ALTER TABLE guild_settings ADD COLUMN server_cap_mib BIGINT NOT NULL DEFAULT 500 CHECK (server_cap_mib >= 0);
