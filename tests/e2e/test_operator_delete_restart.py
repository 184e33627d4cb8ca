"""What an operator sees after `/article delete archive:True` and a restart: the backfill at start
does not bring the deleted archive back from Discord's history (the threads it would read were
the deleted posting's), readers still talking in those threads are not recorded, nothing is posted
again, and the article can be imported and posted afresh."""

from __future__ import annotations

from pathlib import Path

from bot.domain.viewer import Viewer
from bot.sandbox import Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from tests.e2e.conftest import wait_archived

ARTICLE = "the-lessons-of-zhanaozen"


async def test_operator_a_deleted_archive_stays_deleted_across_a_restart(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    async with running_bot(settings) as bot:
        await sandbox.run_command(
            "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
        )
        await sandbox.run_command(
            "ada", "general", "article post", {"article": ARTICLE, "channel": "general"}
        )
        await sandbox.wait_until(lambda: len(sandbox.threads("general")) == 7, within=30)
        await sandbox.wait_idle()
        thread = sandbox.threads("general")[0]
        said = sandbox.send("ben", thread, "The commission's report matters most.")
        await wait_archived(bot, said)
        prompt = await sandbox.run("ada", "general", f"/article delete article:{ARTICLE} archive:True")
        (message,) = prompt.messages
        await sandbox.press("ada", message, "Confirm")
        assert await bot.store.messages.get(int(said["id"]), Viewer.operator()) is None
    # While the bot is down a reader goes on in the old thread.
    later = sandbox.send("ben", thread, "Still thinking about the commission.")
    posted = len(sandbox.messages("general"))
    async with running_bot(settings) as bot:
        await sandbox.wait_idle(quiet=0.5)
        for gone in (said, later):
            assert await bot.store.messages.get(int(gone["id"]), Viewer.operator()) is None
        assert await bot.store.postings.for_guild(int(seed.guild_id)) == []
        assert len(sandbox.messages("general")) == posted
        # Imported and posted again: a new article and posting, not the deleted one brought back.
        await sandbox.run_command(
            "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
        )
        assert [a.id for a in await bot.store.articles.list()] == [ARTICLE]
        reposted = await sandbox.run(
            "ada", "general", f"/article post article:{ARTICLE} channel:#reading-room"
        )
        assert not reposted.failed, reposted.text
        await sandbox.wait_until(lambda: len(sandbox.threads("reading-room")) >= 1, within=30)
        for gone in (said, later):
            assert await bot.store.messages.get(int(gone["id"]), Viewer.operator()) is None
