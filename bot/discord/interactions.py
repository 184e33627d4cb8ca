"""Discord-side presentation helpers shared by the cogs: article autocomplete, a pager that
re-reads on every press."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from bot.discord.client import ReadalongBot
from bot.discord.views import OwnedView
from bot.discord.visibility import viewer_for
from bot.discordfmt.limits import CHOICE_NAME_LIMIT, CHOICES_LIMIT
from bot.discordfmt.posting import clip, posting_label
from bot.errors import DatabaseError, ReadalongError
from bot.services import places
from bot.store import DatabaseUnavailableError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a paged reply as it is now: its text, its number (from 0) and how many there are."""

    text: str
    index: int
    count: int


PageSource = Callable[[discord.Interaction[Any], int], Awaitable[Page]]
"""How to show page ``n`` to the member of this interaction (the command, or a press of a button):
works out their viewer afresh and reads the store again, so a page shows what they may read and
what still exists at the moment it is shown. Raises :class:`ReadalongError` when there is nothing
left for them to see."""


def page_of(pages: list[str], index: int) -> Page:
    """Page ``index`` of ``pages``, or the last one if there are fewer now than when it was asked."""
    last = len(pages) - 1
    chosen = max(0, min(index, last))
    return Page(pages[chosen], chosen, len(pages))


class Pager(OwnedView):
    """Previous/next buttons over a paged reply; only the member who asked can turn them.

    The pager keeps how to compute a page, never the pages: a press works out the member's view
    again and re-reads the archive (:data:`PageSource`), so a member who lost access to a channel,
    or a message deleted since, is not shown by an old reply. If the pages are fewer now, the
    pager shows the last; if nothing is left, it says so and drops its buttons. On timeout the
    buttons are removed, so an old pager never answers with an error.
    """

    refusal = "Only the member who asked can turn these pages."

    def __init__(self, source: PageSource, first: Page, owner_id: int, *, timeout: float = 300.0) -> None:
        super().__init__(owner_id, timeout=timeout)
        self.source = source
        self.page = first
        self.message: discord.Message | discord.InteractionMessage | None = None
        self._update_buttons()

    def render(self) -> str:
        """The current page with its ``page i/n`` footer (none for a single page)."""
        page = self.page
        footer = f"\n-# page {page.index + 1}/{page.count}" if page.count > 1 else ""
        return page.text + footer

    def _update_buttons(self) -> None:
        self.previous.disabled = self.page.index == 0
        self.next.disabled = self.page.index >= self.page.count - 1

    async def _turn(self, interaction: discord.Interaction, index: int) -> None:
        # Working out the viewer may take a Discord lookup per private thread: acknowledge first.
        await interaction.response.defer()
        try:
            page = await self.source(interaction, index)
        except DatabaseError as error:  # passing (busy, say): the page stays, the member is told
            await interaction.followup.send(str(error), ephemeral=True)
            return
        except ReadalongError as gone:  # nothing left they may see: say so, no more buttons
            self.stop()
            await interaction.edit_original_response(content=str(gone), view=None)
            return
        self.page = page
        self._update_buttons()
        await interaction.edit_original_response(content=self.render(), view=self if page.count > 1 else None)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button[Pager]) -> None:
        """Show the previous page (the button is disabled on the first)."""
        await self._turn(interaction, self.page.index - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[Pager]) -> None:
        """Show the next page (the button is disabled on the last)."""
        await self._turn(interaction, self.page.index + 1)

    async def on_timeout(self) -> None:
        """Remove the buttons, so an old pager is not pressed into an error."""
        if self.message is not None:
            # The message may be gone or the token expired: then there is nothing left to tidy.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=None)


async def send_paged(
    interaction: discord.Interaction, source: PageSource, *, ephemeral: bool = False
) -> None:
    """Answer with the first page, and buttons if there are more: as the response, or as the
    follow-up that replaces a deferred one. Each later page is computed when it is asked for."""
    deferred = interaction.response.is_done()
    first = await source(interaction, 0)
    if first.count == 1:
        if deferred:
            await interaction.followup.send(first.text, ephemeral=ephemeral)
        else:
            await interaction.response.send_message(first.text, ephemeral=ephemeral)
        return
    pager = Pager(source, first, interaction.user.id)
    if deferred:
        pager.message = await interaction.followup.send(
            pager.render(), view=pager, ephemeral=ephemeral, wait=True
        )
        return
    await interaction.response.send_message(pager.render(), view=pager, ephemeral=ephemeral)
    pager.message = await interaction.original_response()


async def article_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Articles listed in this server (imported or posted here, or the shared library) whose
    title or id contains what the member typed, newest first, at most 25."""
    client = interaction.client
    if not isinstance(client, ReadalongBot) or interaction.guild_id is None:
        return []
    needle = current.lower().strip()
    choices = []
    try:
        summaries = await client.store.articles.list(interaction.guild_id)
    except DatabaseUnavailableError:
        return []  # no choices while the database is away (the store logs the outage once)
    for summary in summaries:
        label = f"{summary.title or '(untitled)'} ({summary.slug})"
        if needle in label.lower():
            choices.append(app_commands.Choice(name=label[:CHOICE_NAME_LIMIT], value=summary.slug))
        if len(choices) == CHOICES_LIMIT:
            break
    return choices


AUTOCOMPLETE_BUDGET = 2.0
"""Seconds an autocomplete may spend working out the viewer: it cannot be deferred, and Discord
refuses an answer later than 3 s (10062), so past this the member gets no suggestions instead."""


async def posting_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Where a posting is meant: the postings the member can see in this server, as they see
    them (``The Lessons of Zhanaozen — #general, done``), those of the channel or thread used in
    first, then the articles listed here with no posting they can see; what they typed matched
    against title, id and channel, at most 25. A posting's value is ``ID#POSTING``
    (:func:`bot.services.places.split_reference`), an article's its id."""
    client = interaction.client
    member = interaction.user
    guild = interaction.guild
    if not isinstance(client, ReadalongBot) or guild is None or not isinstance(member, discord.Member):
        return []
    try:
        viewer = await asyncio.wait_for(viewer_for(client, client.store, member), AUTOCOMPLETE_BUDGET)
        found = await places.places(client.store, viewer)
        here = {p.id for p in await places.postings_here(client.store, viewer, interaction.channel_id or 0)}
        summaries = await client.store.articles.list(guild.id)
    except DatabaseUnavailableError:
        return []  # no choices while the database is away (the store logs the outage once)
    except TimeoutError:
        log.info("no posting suggestions: working out the viewer took over %.0f s", AUTOCOMPLETE_BUDGET)
        return []
    needle = current.lower().strip()
    found.sort(key=lambda p: p.posting.id not in here)
    options: list[tuple[str, str]] = []
    for place in found:
        channel = guild.get_channel(place.posting.channel_id)
        label = posting_label(place, channel.name if channel is not None else str(place.posting.channel_id))
        options.append((label, f"{place.posting.article_slug}#{place.posting.id}"))
    posted = {p.posting.article_id for p in found}
    options += [(f"{s.title or '(untitled)'} ({s.slug})", s.slug) for s in summaries if s.id not in posted]
    return [
        app_commands.Choice(name=clip(label, CHOICE_NAME_LIMIT), value=value)
        for label, value in options
        if needle in label.lower() or needle in value
    ][:CHOICES_LIMIT]


def posting_option(value: str | None) -> int | None:
    """The posting a ``posting:`` option names (a suggestion's ``ID#POSTING``, or the number
    alone); a one-line refusal for anything else."""
    if value is None:
        return None
    _, posting_id = places.split_reference(value)
    if posting_id is None:
        raise ReadalongError(f"{value!r} is not a posting: pick one from the list.")
    return posting_id


async def forum_tag_autocomplete(
    interaction: discord.Interaction[ReadalongBot], current: str
) -> list[app_commands.Choice[str]]:
    """The tags of the forum chosen in the command's ``channel`` option (filled in first),
    moderated ones marked: ``/article post`` and ``/feed follow`` both post into it."""
    picked = getattr(interaction.namespace, "channel", None)
    forum = interaction.guild.get_channel(picked.id) if picked is not None and interaction.guild else None
    if not isinstance(forum, discord.ForumChannel):
        return []
    typed = current.strip().lower()
    return [
        app_commands.Choice(name=f"{t.name} (moderated)" if t.moderated else t.name, value=str(t.id))
        for t in forum.available_tags
        if typed in t.name.lower()
    ][:CHOICES_LIMIT]
