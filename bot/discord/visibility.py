"""What a member may view right now: the Discord side of the trust model (see :mod:`bot.domain.viewer`).

One function, :func:`viewer_for`, works out for a member the channels and threads they can read:
a server channel if the member has both View Channel and Read Message History there (without the
second, Discord shows them none of the channel's past messages, so neither does the archive); a
public thread if its parent is readable (threads take their parent's permissions); a private
thread if its parent is readable and the member either has Manage Threads there or is a member
of the thread (asked of Discord: ``GET /channels/{id}/thread-members/{user}``, 404 meaning "not a
member"). Threads come from the archive (:meth:`GuildQueries.threads`) as well as
discord.py's cache, because Discord does not send archived threads over the gateway: a thread that
is not cached is looked up, never assumed visible. Whatever cannot be established is hidden.
The result is worked out per request and not kept.

Nothing here is inferred from what the bot itself can see. With the invite permissions Discord
shows the bot a private thread only once someone adds it; granted Manage Threads (optional, for
``/article close``), the bot sees and archives every private thread, including those nobody added
it to. Either way a member gets a private thread only on the two grounds above, Manage Threads on
its parent or Discord confirming they are in it (tests/e2e/test_private_threads_managed.py). The
membership lookup needs nothing more than seeing the thread (Get Thread Member); if the bot can no
longer see one, the lookup fails and the thread is hidden. Working this out costs one request per
private thread, so commands that use it defer first.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.domain.viewer import Viewer
from bot.store import Store
from bot.store.guilds import KnownThread

log = logging.getLogger(__name__)


async def viewer_for(client: discord.Client, store: Store, member: discord.Member) -> Viewer:
    """The viewer for ``member`` in their server, now."""
    return await _member_view(client, member, await _known_threads(store, member.guild))


async def _member_view(
    client: discord.Client, member: discord.Member, threads: dict[int, KnownThread]
) -> Viewer:
    """The channels of the member's server, and those of ``threads``, the member can view now."""
    guild = member.guild
    visible: set[int] = set()
    manages_threads: set[int] = set()
    for channel in guild.channels:
        permissions = channel.permissions_for(member)
        if _reads(permissions):
            visible.add(channel.id)
            if permissions.manage_threads:
                manages_threads.add(channel.id)
    to_ask: list[int] = []
    for thread in threads.values():
        if thread.parent_id not in visible:
            continue
        if not thread.private or thread.parent_id in manages_threads:
            visible.add(thread.id)
        else:
            to_ask.append(thread.id)
    # One question per private thread, asked together (each thread is its own rate-limit bucket).
    answers = await asyncio.gather(*(_in_thread(client, t, member.id) for t in to_ask))
    visible.update(t for t, member_of in zip(to_ask, answers, strict=True) if member_of)
    return Viewer.member(guild.id, member.id, visible)


async def answer_viewer(
    client: discord.Client, store: Store, member: discord.Member, channel_id: int
) -> Viewer:
    """The viewer for an answer the member asks for and everyone reading ``channel_id`` sees.

    A public answer is read by the whole audience of its channel, not only by the member who
    asked: a member of #staff asking in #general must not have #staff quoted there. So this is
    the member's view narrowed to what every reader of ``channel_id`` can see as well: the
    channel itself (or, in a thread, its parent channel) with its public threads; the private
    thread the answer is posted in, if it is one; and channels that the whole server can read
    (:func:`open_to_all`), with their public threads. Anything else stays out of a public answer,
    even if the member could see it.
    """
    guild = member.guild
    threads = await _known_threads(store, guild)
    # Of private threads, only the one the answer is posted in can be quoted: Discord is asked
    # about the member's membership of that one alone, not of every private thread.
    viewer = await _member_view(
        client, member, {i: t for i, t in threads.items() if not t.private or i == channel_id}
    )
    here = threads.get(channel_id)
    root = here.parent_id if here is not None else channel_id
    cached = guild.get_thread(channel_id)
    if here is None and cached is not None and cached.parent_id is not None:
        root = cached.parent_id
    everyones = {c.id for c in guild.channels if open_to_all(c)}
    shared: set[int] = set()
    for seen in viewer.channel_ids:
        thread = threads.get(seen)
        if thread is None:
            ok = seen == root or seen in everyones
        elif thread.private:
            ok = seen == channel_id
        else:
            ok = thread.parent_id == root or thread.parent_id in everyones
        if ok:
            shared.add(seen)
    return Viewer.member(guild.id, member.id, shared)


def _reads(permissions: discord.Permissions) -> bool:
    """View Channel and Read Message History: what it takes to read a channel's past messages."""
    return permissions.view_channel and permissions.read_message_history


def readable_channels(guild: discord.Guild, member: discord.Member) -> list[int]:
    """The server's channels (text and forum) whose history ``member`` can read now: View
    Channel and Read Message History, from their roles and the channels' overwrites as they are
    at this moment."""
    return [channel.id for channel in guild.channels if _reads(channel.permissions_for(member))]


def open_to_all(channel: discord.abc.GuildChannel) -> bool:
    """Whether every member of the server can read the channel's history: ``@everyone`` may view
    it and read its history, and no overwrite (a role's or a member's) takes either away."""
    if not _reads(channel.permissions_for(channel.guild.default_role)):
        return False
    return all(
        overwrite.view_channel is not False and overwrite.read_message_history is not False
        for overwrite in channel.overwrites.values()
    )


def readers_see(client: discord.Client, place_id: int, channel_id: int) -> bool:
    """Whether everyone who reads ``place_id`` (a channel or thread) can see ``channel_id``, so that
    a message there may name it: the same channel, a thread of it, or a channel open to all."""
    place = client.get_channel(place_id)
    if place_id == channel_id or (isinstance(place, discord.Thread) and place.parent_id == channel_id):
        return True
    channel = client.get_channel(channel_id)
    return isinstance(channel, discord.abc.GuildChannel) and open_to_all(channel)


async def _known_threads(store: Store, guild: discord.Guild) -> dict[int, KnownThread]:
    """Threads from the archive (archived ones included) and from discord.py's cache."""
    threads = {t.id: t for t in await store.guilds.threads(guild.id)}
    for cached in guild.threads:
        if cached.id not in threads and cached.parent_id is not None:
            private = cached.type is discord.ChannelType.private_thread
            threads[cached.id] = KnownThread(cached.id, cached.parent_id, private)
    return threads


async def _in_thread(client: discord.Client, thread_id: int, user_id: int) -> bool:
    """Whether the user is a member of the (private) thread, archived or not; False when Discord
    says no or cannot be asked (fail closed)."""
    try:
        await client.http.get_thread_member(thread_id, user_id)
    except discord.NotFound:
        return False
    except discord.HTTPException as error:
        log.warning(
            "cannot check membership of thread %s (%s); treating it as hidden", thread_id, error.status
        )
        return False
    return True
