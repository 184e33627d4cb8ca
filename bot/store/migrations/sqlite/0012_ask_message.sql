-- A question asked by mentioning the bot is the member's own message: the log keeps which one
-- (NULL for /ask, whose question is in the bot's own reply, and for the command line). A
-- member's deleted question then leaves the exports made on Discord, as a deleted message's
-- words do, and a server that purges deleted messages' words has the question's forgotten too.
-- quoted_messages: the readers' messages the answer quoted (a JSON array of ids), so that an
-- answer quoting a message since deleted is treated the same way.
ALTER TABLE asks ADD COLUMN message_id INTEGER;
ALTER TABLE asks ADD COLUMN quoted_messages TEXT NOT NULL DEFAULT '[]';
CREATE INDEX asks_by_message ON asks (message_id) WHERE message_id IS NOT NULL;
