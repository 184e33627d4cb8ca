"""Who is asking: the one value every read of readers' words is given.

The trust model. Everything the bot shows from the archive (readers' quotes in ``/ask`` and in
mention answers, ``/archive threads|show|search|export``, each page a pager turns to) is limited
to the asking member's server and to the channels and threads that member can read at the moment
it is shown (View Channel and Read Message History), archived threads included. The Discord side
(:mod:`bot.discord.visibility`) works the set out once per request (and a pager once per page);
the store filters by it in its SQL, so a query cannot return a message the viewer may not see.
A viewer that is not told about a channel does not see it: unknown means hidden.

A public answer (``/ask``, a mention answer) is read by everyone in its channel, so its viewer is
narrower: the asker's view limited to what every reader of that channel can see too
(:func:`bot.discord.visibility.answer_viewer`). Readers' quotes never include the asker's own messages,
messages addressed to the bot, or questions.

The operator (the command line on the bot's machine, which reads the database file directly)
sees everything: :meth:`Viewer.operator`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is reading: every read of readers' words takes one and filters in the query, so a member never sees
    a message from a channel they cannot view."""

    guild_id: int | None
    """The member's server; None only for the operator."""
    user_id: int | None
    """The member asking (their own messages are never quoted back to them)."""
    channel_ids: frozenset[int] = field(default=frozenset(), repr=False)
    """Channels and threads (archived ones included) the member may read right now: View Channel
    and Read Message History."""
    everything: bool = False
    """The operator's view: every server, every channel."""

    @classmethod
    def member(cls, guild_id: int, user_id: int, channel_ids: frozenset[int] | set[int]) -> Viewer:
        """A member of ``guild_id`` who may view ``channel_ids`` (:mod:`bot.discord.visibility` works
        them out from Discord's permissions)."""
        return cls(guild_id, user_id, frozenset(channel_ids))

    @classmethod
    def operator(cls) -> Viewer:
        """Whoever holds the database file: the CLI and the bot's own bookkeeping."""
        return cls(None, None, frozenset(), everything=True)

    def sees(self, guild_id: int | None, channel_id: int) -> bool:
        """Whether a message in this server and channel or thread may be shown to the viewer."""
        if self.everything:
            return True
        return guild_id is not None and guild_id == self.guild_id and channel_id in self.channel_ids
