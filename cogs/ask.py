"""``/ask`` and mentions: questions answered with the article's own words, quoted verbatim."""

from __future__ import annotations

import functools
import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.client import ReadalongBot, defer_reply
from bot.discord.cooldowns import AnsweredCooldowns
from bot.discord.followups import send_follow_up
from bot.discord.interactions import posting_autocomplete
from bot.discord.visibility import answer_viewer
from bot.discordfmt.answers import answer_text, heading
from bot.errors import ReadalongError
from bot.services.ask import Asked, Question, Render

log = logging.getLogger(__name__)

_NO_MENTIONS = discord.AllowedMentions.none()
THREAD_LOCKED = 160005
CANNOT_REPLY_WITHOUT_HISTORY = 160002


class Ask(commands.Cog):
    """``/ask`` and questions asked by mentioning the bot; each member has a cooldown, and a question that is
    not answered gives its turn back."""

    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot
        self.cooldowns = AnsweredCooldowns(bot.settings.ask_cooldown_seconds)
        """Keyed (server, member, ``"ask"`` or ``"mention"``): ``/ask`` and mentions have a
        cooldown each, so a member may ask in a thread and by command."""

    async def answer(
        self,
        member: discord.Member,
        channel_id: int,
        question: str,
        article: str | None,
        *,
        render: Render,
        ahead: bool = False,
        message_id: int | None = None,
    ) -> Asked:
        """Answer ``question`` in ``channel_id`` for ``member``, shown as ``render`` shows it. The
        answer is public, so it quotes only what everyone reading that channel may see, never
        what only the asker may."""
        started = time.perf_counter()
        viewer = await answer_viewer(self.bot, self.bot.store, member, channel_id)
        asked = await self.bot.asker.ask(
            Question(
                question,
                viewer,
                article=article,
                ahead=ahead,
                channel_id=channel_id,
                message_id=message_id,
                asker_name=member.display_name,
            ),
            render,
        )
        self.bot.metrics.ask_latency.observe(time.perf_counter() - started)
        return asked

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="Your question about the article (up to 300 characters)",
        article="Which article or posting (default: the one posted where you ask, else the latest posted here)",
        ahead="Also quote sections not posted here yet (default: only those already posted, no spoilers)",
    )
    @app_commands.autocomplete(article=posting_autocomplete)
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction[ReadalongBot],
        question: app_commands.Range[str, 1, 300],
        article: str | None = None,
        ahead: bool = False,
    ) -> None:
        """Ask the article a question; the answer quotes it word for word, with links to its sections."""
        if not question.strip():
            raise ReadalongError("Type a question after `question:`.")
        assert interaction.channel_id is not None
        if not isinstance(interaction.user, discord.Member):
            raise ReadalongError("This command works in a server only.")
        asker = (interaction.user.guild.id, interaction.user.id, "ask")
        on_cooldown = self.cooldowns.take(asker)
        if on_cooldown is not None:
            raise app_commands.CommandOnCooldown(on_cooldown, on_cooldown.get_retry_after())
        async with self.cooldowns.turn(asker) as turn:
            # Public, like the answer. Always: a model may take longer than Discord's 3 s, and so
            # may working out the viewer (one Discord lookup per private thread).
            await defer_reply(interaction, ephemeral=False)
            head = heading(question)
            asked = await self.answer(
                interaction.user,
                interaction.channel_id,
                question,
                article,
                ahead=ahead,
                render=functools.partial(answer_text, head=head),
            )
            # Past discord.py's own retries of a 429 too: the answer is worked out, never lost.
            sent = await send_follow_up(interaction, head + asked.shown, allowed_mentions=_NO_MENTIONS)
            turn.answered = asked.answer.answered
        # Kept so that a quoted reader's deletion reaches this answer, after the token expired too;
        # after the turn, so the member's next question is not taken for one asked too soon.
        await self.bot.asker.posted(asked, channel_id=sent.channel.id, message_id=sent.id, head=head)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A member mentioning the bot with a question in an article's thread gets the answer there."""
        me = self.bot.user
        if (
            message.guild is None
            or message.author.bot
            or me is None
            or me not in message.mentions
            or not isinstance(message.author, discord.Member)
        ):
            return
        if not await self.bot.asker.in_article(message.channel.id):
            return
        question = message.content.replace(f"<@{me.id}>", "").replace(f"<@!{me.id}>", "").strip()
        if not question:
            return
        channel = message.channel
        if (
            isinstance(channel, discord.Thread)
            and channel.locked
            and not channel.permissions_for(message.guild.me).manage_threads
        ):
            # Discord refuses messages in a locked thread without Manage Threads (160005), which the
            # invite permissions do not include: nowhere to answer, so stay quiet and say why here.
            log.info(
                "not answering a mention in locked thread %s: posting there needs Manage Threads", channel.id
            )
            return
        asker = (message.guild.id, message.author.id, "mention")
        if self.cooldowns.take(asker) is not None:
            return  # asked again too soon: stay quiet rather than scold in public
        async with self.cooldowns.turn(asker) as turn:
            async with channel.typing():
                asked = await self.answer(
                    message.author,
                    channel.id,
                    question[:300],
                    None,
                    render=answer_text,
                    message_id=message.id,
                )
            try:
                sent = await message.reply(asked.shown, mention_author=False, allowed_mentions=_NO_MENTIONS)
            except discord.HTTPException as error:
                if error.code == CANNOT_REPLY_WITHOUT_HISTORY:
                    # A reply needs Read Message History; without it, answer as a plain message.
                    sent = await channel.send(asked.shown, allowed_mentions=_NO_MENTIONS)
                elif error.code == THREAD_LOCKED:
                    log.info("not answering a mention in thread %s: it was locked meanwhile", channel.id)
                    return
                else:
                    raise
            turn.answered = asked.answer.answered
        # After the turn, so the member's next question is not taken for one asked too soon.
        await self.bot.asker.posted(asked, channel_id=channel.id, message_id=sent.id)


async def setup(bot: ReadalongBot) -> None:
    """Add the cog (the bot's ``setup_hook`` calls this, as ``load_extension`` would)."""
    await bot.add_cog(Ask(bot))
