"""The Discord side's shell: the Bot, its command tree, and the one factory that builds it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib
import logging
import pkgutil
import random
import secrets
from importlib import metadata
from types import ModuleType

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

import cogs
from bot.answers.embeddings import Embedder
from bot.answers.llm import AnswerWriter
from bot.discord import heartbeat
from bot.discord.health import HealthServer, Metrics
from bot.discord.posting.worker import Publisher
from bot.discord.reminders import RemindView
from bot.domain.clock import Clock, SystemClock
from bot.errors import ReadalongError
from bot.services.ask import Asker
from bot.services.events import ArticleEvents
from bot.services.feeds import FeedPoller, PollOptions
from bot.services.posting import PostingEvents
from bot.services.webfetch import Fetcher
from bot.settings import Settings
from bot.store import Store

log = logging.getLogger(__name__)

IDENTIFY_WINDOW = 5.0
"""Seconds in which Discord allows one IDENTIFY per ``shard_id % max_concurrency`` bucket."""
IDENTIFY_MARGIN = 0.5
"""Added to the window: the wait is timed from this hook, before discord.py opens the websocket
and sends the IDENTIFY, and two IDENTIFYs do not take the same time to reach Discord; without it
they may arrive 4.999 s apart. 0.25 s was seen to be too little on a loaded machine: a killed
process's IDENTIFY reached the sandbox 0.29 s later after its hook than its successor's did."""


def version() -> str:
    """The installed package's version, for ``/about``; ``0+unknown`` when run from a checkout that is not
    installed."""
    try:
        return metadata.version("readalong")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def point_discord_at(base_url: str) -> None:
    """Send the client's REST calls and gateway connection to a Discord-compatible server (the
    sandbox). discord.py keeps both as class attributes, so this holds for the whole process."""
    root = base_url.rstrip("/")
    discord.http.Route.BASE = f"{root}/api/v10"
    scheme = "wss" if root.startswith("https") else "ws"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(root).with_scheme(scheme) / "gateway"


def extension_names() -> list[str]:
    """Every module in ``cogs/``, in a fixed order, so adding a cog file is all it takes."""
    return sorted(
        f"{cogs.__name__}.{m.name}" for m in pkgutil.iter_modules(cogs.__path__) if not m.name.startswith("_")
    )


def cog_modules() -> list[ModuleType]:
    """The modules of :func:`extension_names`, imported (once a process, as any module)."""
    return [importlib.import_module(name) for name in extension_names()]


class ReadalongTree(app_commands.CommandTree["ReadalongBot"]):
    """Turns expected errors into a short private reply; logs the rest with an id the user can quote."""

    async def interaction_check(self, interaction: discord.Interaction[ReadalongBot], /) -> bool:
        """No command is started once the bot is stopping (its cogs are being unloaded): the
        member is told to try again, rather than "something went wrong"."""
        if interaction.client.stopping:
            await send_ephemeral(interaction, "Readalong is restarting: try again in a minute.")
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction[ReadalongBot], error: app_commands.AppCommandError
    ) -> None:
        """Tell the member what went wrong, ephemerally: our own errors and Discord's check failures say why;
        anything else is logged with an error id the member can give the admins."""
        cause: BaseException = error
        if isinstance(error, app_commands.CommandInvokeError):
            cause = error.original
        if isinstance(cause, ReadalongError):
            message = str(cause)
        elif isinstance(cause, app_commands.CommandOnCooldown):
            message = f"Slow down a little: try again in {cause.retry_after:.0f} s."
        elif isinstance(cause, app_commands.MissingPermissions):
            message = (
                "You need the "
                + ", ".join(p.replace("_", " ").title() for p in cause.missing_permissions)
                + (" permission to use this command.")
            )
        elif isinstance(cause, app_commands.CheckFailure):
            message = str(cause) or "You cannot use this command here."
        elif isinstance(cause, app_commands.TransformerError):
            message = f"{cause.value!r} is not a valid {cause.type.name.lower()} here."
        else:
            error_id = secrets.token_hex(4)
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("command /%s failed (error id %s)", command, error_id, exc_info=cause)
            message = f"Something went wrong on our side (error id `{error_id}`); the admins can find it in the log."
        await send_ephemeral(interaction, message)


_PUBLIC_DEFERRAL = "readalong.public_deferral"
"""``interaction.extras`` key: the response was deferred publicly and nothing replaced it yet."""


async def defer_reply(interaction: discord.Interaction[ReadalongBot], *, ephemeral: bool) -> None:
    """Acknowledge now ("thinking…") and answer later with follow-ups.

    Discord refuses a first response later than 3 s after the interaction (404 10062) and the
    member sees "The application did not respond"; any command that may take longer (a model,
    a big export, one Discord lookup per private thread to work out the viewer) defers first.
    ``thinking=True`` because the first follow-up replaces the "thinking…" message and takes its
    privacy: an ephemeral deferral keeps answers and error messages private alike."""
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    interaction.extras[_PUBLIC_DEFERRAL] = not ephemeral


async def send_ephemeral(interaction: discord.Interaction[ReadalongBot], message: str) -> None:
    """Reply privately, whether or not the interaction was already answered or deferred.

    After a public deferral the first follow-up would replace the public "thinking…" message and
    be public too, so that message is deleted first and the error goes out as a private follow-up.
    """
    try:
        if interaction.response.is_done():
            if interaction.extras.pop(_PUBLIC_DEFERRAL, False):
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user about an error in interaction %s", interaction.id, exc_info=True)


class ReadalongBot(commands.AutoShardedBot):
    """The bot. Sharded always, as discord.py's ``AutoShardedBot``: without shard settings it runs
    every shard of the count Discord recommends (``GET /gateway/bot``; one for most bots) in this
    process; with ``--shards 0-3 --shard-count 8`` only those, and :attr:`shard_set` tells the
    background work (postings, backfill) which servers are this process's to serve."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        writer: AnswerWriter | None = None,
        embedder: Embedder | None = None,
        sync_global: bool = False,
        guild_ready_timeout: float = 2.0,
        clock: Clock | None = None,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=ReadalongTree,
            chunk_guilds_at_startup=False,
            max_messages=None,
            guild_ready_timeout=guild_ready_timeout,
            shard_count=settings.shards.count,
            # None (every shard) is discord.py's own default; its typing only spells out a list.
            shard_ids=settings.shards.shard_ids,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        """The one clock of scheduled releases: the publisher's waits and the commands' "now"."""
        self.shard_set = settings.shards
        self.store = store
        self.writer = writer
        """Writes /ask answers with a model when an OpenAI key is set; None means quotes alone."""
        self.embedder = embedder
        """Ranks /ask's passages by meaning too when ``READALONG_SEMANTIC`` is on; None: by words."""
        self.asker = Asker(store, writer=writer, embedder=embedder)
        """Answers ``/ask`` and mentions: one, holding what answering needs, for every question."""
        self.article_events = ArticleEvents()
        """Told when ``/article delete`` deletes an article; every cache of articles listens."""
        if embedder is not None:
            self.article_events.on_deleted(embedder.forget)
        self.sync_global = sync_global
        self._max_concurrency: int | None = None
        self._identified_at: dict[int, float] = {}
        """Loop time of the last IDENTIFY in each bucket (``shard_id % max_concurrency``)."""
        self._identify_locks: dict[int, asyncio.Lock] = {}
        self._shards_identified: set[int] = set()
        self._stop_logged = False
        self.stopping = False
        """Set when :meth:`close` begins: commands are answered "restarting", not started."""
        self.metrics = Metrics.create(store)
        """Counted always; served on ``READALONG_HEALTH_PORT`` when it is set (:attr:`health`)."""
        self.health: HealthServer | None = None
        self.posting_events = PostingEvents()
        """Posts, pauses, resumes, cancels and deletes, announced by the posting service."""
        self._publisher: Publisher | None = None
        self.feed_poller: FeedPoller | None = None
        """Polls followed feeds (``/feed``); made and started in :meth:`setup_hook`."""

    @property
    def publisher(self) -> Publisher:
        """Sends the postings' items when they fall due; made and started in :meth:`setup_hook`."""
        if self._publisher is None:
            raise RuntimeError("the publisher is started in setup_hook: the bot has not been started")
        return self._publisher

    def gateway_connected(self) -> bool:
        """Whether every shard of this process is connected to Discord's gateway (the health check)."""
        if self.is_closed() or not self.is_ready():
            return False
        return all(not shard.is_closed() for shard in self.shards.values())

    def recorder_waiting(self) -> int:
        """Discussion changes waiting in memory for the database (0 before the recorder exists)."""
        recorder = getattr(self.get_cog("Discussion"), "recorder", None)
        return int(getattr(recorder, "waiting", 0))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait as Discord's identify limit asks (Gateway, "Sharding", Max Concurrency): one
        IDENTIFY per bucket ``shard_id % max_concurrency`` every 5 s, buckets started in order;
        and a random 1-5 s before identifying again after Discord invalidated a session.
        discord.py's own hook waits 5 s before every IDENTIFY but the first, which is right for
        ``max_concurrency`` 1 and slower than needed above it. On PostgreSQL the slots are
        reserved in the database, so processes sharing a bucket take turns too."""
        shard = shard_id or 0
        if shard in self._shards_identified:
            await asyncio.sleep(random.uniform(1.0, IDENTIFY_WINDOW))
        if self._max_concurrency is None:
            try:
                self._max_concurrency = max(1, (await self.fetch_session_start_limits()).max_concurrency)
            except (discord.GatewayNotFound, aiohttp.ClientError, OSError):
                self._max_concurrency = 1  # the safe assumption: one shard every 5 s
        bucket = shard % self._max_concurrency
        async with self._identify_locks.setdefault(bucket, asyncio.Lock()):
            loop = asyncio.get_running_loop()
            last = self._identified_at.get(bucket)
            if last is not None:
                await asyncio.sleep(max(0.0, last + IDENTIFY_WINDOW + IDENTIFY_MARGIN - loop.time()))
            try:
                shared = await self.store.identify_wait(bucket, IDENTIFY_WINDOW + IDENTIFY_MARGIN)
            except Exception as error:  # discord.py would end every shard on an error here
                log.warning(
                    "IDENTIFY slot not reserved in the database (%s); pacing this process alone", error
                )
                shared = 0.0
            if shared > 0:
                await asyncio.sleep(shared)
            self._identified_at[bucket] = loop.time()
            self._shards_identified.add(shard)

    async def on_message(self, message: discord.Message, /) -> None:
        """Readalong has slash commands only; mentions are answered by the ask cog, not parsed as
        prefix commands (which would log "command not found" for every question)."""

    def __repr__(self) -> str:
        return f"<ReadalongBot user={self.user!s} db={str(self.settings.database)!r}>"

    async def setup_hook(self) -> None:
        """Open the store (exclusively: a second bot on the same database would post everything twice), load
        the cogs, start the publisher, and sync commands to the dev guild (and globally only when asked)."""
        # exclusive: one bot per database, or every comment would be posted twice.
        await self.store.open(exclusive=True)
        # Each cog module's ``setup`` called as it is, not through ``load_extension``: discord.py
        # runs an extension's file again on every load, to reload it in place (which a running
        # Readalong never does), and searches every loaded module on unload: 16 ms of CPU per
        # start and stop, against 0.4 ms.
        for module in cog_modules():
            await module.setup(self)
        self._publisher = Publisher(
            self,
            self.store,
            events=self.posting_events,
            article_events=self.article_events,
            metrics=self.metrics,
            shards=self.shard_set,
            clock=self.clock,
        )
        self._publisher.start()  # postings left active by the last run carry on where they stopped
        self.feed_poller = FeedPoller(
            self.store,
            PollOptions(
                Fetcher(allow_private=self.settings.allow_private_urls),
                self.posting_events,
                self.settings.section_target_chars,
                every=dt.timedelta(minutes=self.settings.feed_poll_minutes),
                comment_follow_hours=self.settings.comment_follow_hours,
                clock=self.clock,
            ),
        )
        self.feed_poller.start()
        self.add_view(RemindView())  # intros' "Remind me" answered after a restart too
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), self.settings.dev_guild_id)
        if self.sync_global:
            synced = await self.tree.sync()
            log.info("synced %d global commands (may take up to an hour to show everywhere)", len(synced))
        if self.settings.health_port is not None:
            self.health = HealthServer(
                self.store,
                self.metrics,
                gateway_connected=self.gateway_connected,
                recorder_queue=self.recorder_waiting,
                behind_schedule=lambda grace: self.store.postings.behind_schedule(
                    grace, self.shard_set, self.clock.now()
                ),
                host=self.settings.health_host,
                port=self.settings.health_port,
            )
            await self.health.start()

    async def close(self) -> None:
        """Stop: commands are answered "restarting" from now on; the publisher stops first (it
        finishes the item it is sending, within 10 s, and starts no other, while the recorder
        still records); then the cogs are unloaded in the reverse order of loading (the recorder
        writes its queue); then the gateway is closed, one line says what is left for the next
        start, and the answer writer and the store are closed, even if disconnecting failed."""
        self.stopping = True
        try:
            loop: object = self.loop  # discord.py's placeholder until started, typed as a loop
            if not isinstance(loop, asyncio.AbstractEventLoop):
                # Built but never started (the extension test): AutoShardedClient.close needs the
                # event queue that starting makes, so make it the way ``async with bot`` does.
                await self._async_setup_hook()
            if self.feed_poller is not None:
                with contextlib.suppress(Exception):  # no new posting is made while stopping
                    await self.feed_poller.stop()
            if self._publisher is not None:
                with contextlib.suppress(Exception):  # as discord.py's own close: stop the rest
                    await self._publisher.stop()
            for name in reversed(list(self.cogs)):
                with contextlib.suppress(Exception):  # as discord.py's own close: stop the others
                    await self.remove_cog(name)
            await super().close()
            await self._log_stopped()
        finally:
            if self.health is not None:
                await self.health.stop()
            if self.writer is not None:
                await self.writer.close()
            if self.embedder is not None:
                await self.embedder.close()
            await self.store.close()

    async def _log_stopped(self) -> None:
        """The last line of a run, once: how many postings stopped with items still to send."""
        if self._stop_logged or self.store.closed:
            return
        self._stop_logged = True
        try:
            left = len(await self.store.postings.active_ids(self.shard_set))
        except Exception as error:  # the database gone: the line is still written
            log.warning("stopped; the postings left could not be counted (%s)", error)
            return
        log.info("stopped: %d postings paused mid-way, resumed at next start", left)


def create_bot(
    settings: Settings,
    *,
    store: Store | None = None,
    sync_global: bool = False,
    guild_ready_timeout: float = 2.0,
    clock: Clock | None = None,
) -> ReadalongBot:
    """The bot as ``readalong run``, the sandbox and the tests all build it.

    ``guild_ready_timeout`` is how long discord.py waits after the last GUILD_CREATE before
    ``on_ready``; the sandbox sends them all at once, so it passes a fraction of a second.
    """
    heartbeat.install()  # heartbeat latency measured from the right heartbeat (issue 22, finding 7)
    return ReadalongBot(
        settings,
        store if store is not None else Store(settings.database),
        writer=AnswerWriter.from_settings(settings),
        embedder=Embedder.from_settings(settings),
        sync_global=sync_global,
        guild_ready_timeout=guild_ready_timeout,
        clock=clock,
    )
