"""Where a message belongs (:class:`bot.services.recording.Discussions`), over a real database (SQLite and PostgreSQL):
the rule the discussion cog records by, without Discord."""

from __future__ import annotations

from bot.articles import Article
from bot.domain.database import Database
from bot.domain.posting import Placement
from bot.services.recording import Discussions
from bot.store import Store
from tests.conftest import both_backends
from tests.services.test_services import CHANNEL, COMMENTS_THREAD, SECTION_THREAD, post_first_section

READERS_THREAD, ELSEWHERE = 700, 11


@both_backends
async def test_section_threads_readers_threads_replies_and_the_channel_are_placed(
    database: Database, parsed: Article
) -> None:
    async with Store(database) as store:
        article, posting_id = await post_first_section(store, parsed)
        discussions = Discussions(store)

        in_section = await discussions.placement(SECTION_THREAD, thread_parent_id=CHANNEL)
        assert in_section == Placement(posting_id, article.id, 1)
        # A reader's own thread under the article's channel: the posting, no section.
        assert await discussions.placement(READERS_THREAD, thread_parent_id=CHANNEL) == Placement(
            posting_id, article.id, None
        )
        # A reply to the first section's message (9000 + its seq), outside the thread.
        section_message = next(
            i.message_id
            for i in await store.postings.items(posting_id)
            if i.kind == "section" and i.section == 1
        )
        assert section_message is not None
        assert await discussions.placement(CHANNEL, replied_to=section_message) == in_section
        # A plain message in the article's channel belongs to the posting; elsewhere, to nothing.
        assert await discussions.placement(CHANNEL) == Placement(posting_id, article.id, None)
        assert await discussions.placement(ELSEWHERE) is None
        assert await discussions.placement(READERS_THREAD, thread_parent_id=ELSEWHERE) is None
        assert (await discussions.placement(COMMENTS_THREAD, thread_parent_id=CHANNEL)) is not None


@both_backends
async def test_an_original_comment_is_recorded_under_its_commenters_own_name(
    database: Database, parsed: Article
) -> None:
    async with Store(database) as store:
        article, posting_id = await post_first_section(store, parsed)
        placement = Placement(posting_id, article.id, None)
        discussions = Discussions(store)
        assert await discussions.commenter(placement, "Nathan Hamm") == "Nathan Hamm"
        assert await discussions.commenter(placement, "a reader") is None
        assert await discussions.commenter(Placement(posting_id, "no-such-article", None), "Kuda") is None
