"""``/article delete`` is one event every cache of articles hears (issue 24, item 4). Before it,
only the publisher's cache forgot a deleted article: the discussion cog still remembered where a
deleted posting's threads belonged, so a reader going on in one of them after the delete was
archived again as that posting's discussion — the archive the admin had just deleted coming back.
A shared-library article shows it: the delete removes this server's posting and archive but the
article stays, so nothing else stops the recording."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from bot.articles import parse_article
from bot.articles.parse import read_article_file
from bot.discord.client import ReadalongBot
from bot.domain.viewer import Viewer
from bot.sandbox import Sandbox, Seed
from bot.services.articles import import_article
from tests.e2e.conftest import wait_archived

if TYPE_CHECKING:
    from cogs.discussion import Discussion

ARTICLE = "the-lessons-of-zhanaozen"


def discussion(bot: ReadalongBot) -> Discussion:
    cog = bot.get_cog("Discussion")
    assert cog is not None and type(cog).__name__ == "Discussion"
    return cast("Discussion", cog)


async def test_a_deleted_postings_thread_is_not_archived_again_after_the_delete(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    # The operator's shared library: the server's delete removes its posting and archive only.
    shared = parse_article(read_article_file(sample_path), source=sample_path.name)
    assert (await import_article(bot.store, shared)).article.id == ARTICLE
    posted = await sandbox.run("ada", "general", f"/article post article:{ARTICLE} channel:#general")
    assert not posted.failed, posted.text
    await sandbox.wait_until(lambda: len(sandbox.threads("general")) >= 1, within=30)
    await sandbox.wait_idle()
    thread = sandbox.threads("general")[0]
    said = sandbox.send("ben", thread, "The commission's report matters most.")
    await wait_archived(bot, said)  # the thread's place in the posting is remembered now

    prompt = await sandbox.run("ada", "general", f"/article delete article:{ARTICLE} archive:True")
    (message,) = prompt.messages
    await sandbox.press("ada", message, "Confirm")
    assert await bot.store.postings.for_guild(int(seed.guild_id)) == []
    assert await bot.store.messages.get(int(said["id"]), Viewer.operator()) is None
    assert (await bot.store.articles.get(ARTICLE)).id == ARTICLE  # the shared article stays

    later = sandbox.send("ben", thread, "Still thinking about the commission.")
    await sandbox.wait_idle(quiet=0.5)
    await discussion(bot).recorder.drain()
    assert await bot.store.messages.get(int(later["id"]), Viewer.operator()) is None
    assert await bot.store.messages.in_channel(int(thread["id"]), Viewer.operator()) == []
