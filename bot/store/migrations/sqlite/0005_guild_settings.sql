-- Per-server settings. purge_deleted: when a member deletes a message, forget its words (content,
-- attachments, embeds, earlier versions) and keep only the fact that a message was deleted.
CREATE TABLE guild_settings (
    guild_id      INTEGER PRIMARY KEY,
    purge_deleted INTEGER NOT NULL DEFAULT 0 CHECK (purge_deleted IN (0, 1))
) STRICT;
