"""What a member may view right now: the Discord side of the trust model (see :mod:`bot.viewer`).

One function, :func:`viewer_for`, works out for a member the channels and threads they can view:
a server channel if ``permissions_for(member).view_channel``; a public thread if its parent is
visible; a private thread if its parent is visible and the member either has Manage Threads there
or is a member of the thread (asked of Discord: ``GET /channels/{id}/thread-members/{user}``, 404
meaning "not a member"). Threads come from the archive (:meth:`GuildQueries.threads`) as well as
discord.py's cache, because Discord does not send archived threads over the gateway: a thread that
is not cached is looked up, never assumed visible. Whatever cannot be established is hidden.
The result is worked out per request and not kept.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.store import Store
from bot.store.guilds import KnownThread
from bot.viewer import Viewer

log = logging.getLogger(__name__)


async def viewer_for(client: discord.Client, store: Store, member: discord.Member) -> Viewer:
    """The viewer for ``member`` in their server, now."""
    guild = member.guild
    visible: set[int] = set()
    manages_threads: set[int] = set()
    for channel in guild.channels:
        permissions = channel.permissions_for(member)
        if permissions.view_channel:
            visible.add(channel.id)
            if permissions.manage_threads:
                manages_threads.add(channel.id)
    threads = {t.id: t for t in await store.guilds.threads(guild.id)}
    for cached in guild.threads:
        if cached.id not in threads and cached.parent_id is not None:
            private = cached.type is discord.ChannelType.private_thread
            threads[cached.id] = KnownThread(cached.id, cached.parent_id, private)
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
