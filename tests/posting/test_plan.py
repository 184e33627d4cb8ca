"""The posting plan and its rendering, against the sample article and hostile variants of it."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.articles import Article
from bot.discordfmt.limits import EMBED_DESCRIPTION_LIMIT, MESSAGE_LIMIT, THREAD_NAME_LIMIT
from bot.discordfmt.posting import (
    Outgoing,
    commenter_names,
    render,
    split_comment,
    webhook_username,
)
from bot.domain.article import Comment
from bot.posting.plan import plan_posting
from bot.sandbox.state import webhook_name


@pytest.fixture
def sample(sample_article: Article) -> Article:
    return dataclasses.replace(sample_article, id="zhanaozen")


def render_all(article: Article, pace: int = 0) -> list[Outgoing]:
    items = plan_posting(article, pace_minutes=pace, with_comments=True)
    return [
        render(
            article, item, pace_minutes=pace, with_comments=True, comment_jump_url=lambda n: f"https://x/{n}"
        )
        for item in items
    ]


def test_plan_orders_intro_sections_then_comments(sample: Article) -> None:
    items = plan_posting(sample, pace_minutes=30, with_comments=True)
    assert [i.kind for i in items] == ["intro"] + ["section"] * 6 + ["comments", "comment", "comment"]
    assert [i.seq for i in items] == list(range(1, 11))
    assert [i.offset_minutes for i in items if i.kind == "section"] == [0, 30, 60, 90, 120, 150]
    assert all(i.offset_minutes == 150 for i in items if i.kind.startswith("comment"))


def test_without_comments_the_plan_stops_after_the_sections(sample: Article) -> None:
    items = plan_posting(sample, pace_minutes=0, with_comments=False)
    assert [i.kind for i in items] == ["intro"] + ["section"] * 6


def test_sections_are_headed_and_within_limits(sample: Article) -> None:
    outs = render_all(sample)
    sections = [o for o in outs if o.content.startswith("**§")]
    assert len(sections) == 6
    assert sections[0].content.startswith("**§1/6 · It is now exactly a year since")
    for out, section in zip(sections, sample.sections, strict=True):
        assert section.text in out.content
        assert out.thread_name is not None and len(out.thread_name) <= THREAD_NAME_LIMIT
    for out in outs:
        assert 0 < len(out.content) <= MESSAGE_LIMIT
        if out.embed:
            assert len(out.embed.description) <= EMBED_DESCRIPTION_LIMIT
            assert len(out.embed.text()) <= 6000


def test_comments_keep_names_dates_and_show_the_quote_as_a_reply(sample: Article) -> None:
    outs = render_all(sample)
    kuda, nathan = outs[-2], outs[-1]
    assert kuda.username == "Kuda" and nathan.username == "Nathan Hamm"
    assert "Originally posted January 2, 2013 at 20:36" in kuda.content
    assert "↪ replying to [Kuda](https://x/1)" in nathan.content
    assert "> I was embarassed by my comments, as any like-minded Registan reader" in nathan.content
    assert "\nI think that might be why there aren’t comments." in nathan.content


def test_rendering_is_deterministic(sample: Article) -> None:
    assert render_all(sample, pace=5) == render_all(sample, pace=5)


def test_hostile_names_and_long_comments_stay_within_limits(sample: Article) -> None:
    long_text = "\n\n".join(["word " * 300] * 4) + "@everyone <@123> " + "x" * 5000
    comment = Comment(index=1, author="A" * 200, posted=None, text=long_text)
    article = dataclasses.replace(sample, title="T" * 500, comments=(comment,))
    outs = render_all(article)
    assert len(split_comment(long_text)) == len([o for o in outs if o.username])
    for out in outs:
        assert len(out.content) <= MESSAGE_LIMIT
        assert out.thread_name is None or len(out.thread_name) <= THREAD_NAME_LIMIT
        assert out.username is None or len(out.username) <= 80
    joined = "".join(o.content.split("\n", 1)[1] for o in outs if o.username)
    assert joined.replace("\n", "").replace(" ", "") == long_text.replace("\n", "").replace(" ", "")


@pytest.mark.parametrize(
    ("author", "shown_as_plain"),
    [
        ("Discord Mod", "discord mod"),
        ("clyde", "clyde"),
        ("Mr CLYDE of DISCORD", "mr clyde of discord"),
        ("here", "here"),
        ("EVERYONE", "everyone"),
    ],
)
def test_names_discord_refuses_for_webhooks_become_lookalikes_it_accepts(
    sample: Article, author: str, shown_as_plain: str
) -> None:
    name = webhook_username(author)
    lowered = name.lower()
    assert "clyde" not in lowered and "discord" not in lowered and lowered not in ("everyone", "here")
    assert len(name) == len(author) and lowered != shown_as_plain  # looks the same, is not the same
    comment = Comment(index=1, author=author, posted=None, text="Hello.")
    (out,) = [o for o in render_all(dataclasses.replace(sample, comments=(comment,))) if o.username]
    assert out.username == name and f"by {author}" in out.content.split("\n")[0]  # the real name, in the text


def test_ordinary_names_are_kept_and_whitespace_is_tidied_as_discord_does() -> None:
    assert webhook_username("Nathan Hamm") == "Nathan Hamm"
    assert webhook_username("  Ada \t  Lovelace ") == "Ada Lovelace"
    assert webhook_username("   ") == "Commenter"
    assert webhook_username("Sphere") == "Sphere"  # "here" inside a name is fine


_NAMES = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.sampled_from(["discord", "CLYDE", "everyone", "Here", " ", "\t", "a", "Fan"]), max_size=40
    ).map("".join),
)


@given(_NAMES)
def test_every_commenter_name_becomes_a_webhook_name_discord_keeps_as_it_is(author: str) -> None:
    """The sandbox's check is Discord's documented one (Webhook resource): 1-80 characters once
    trimmed, no "discord"/"clyde", not "everyone"/"here". Whatever the blog's name, the shown name
    passes it unchanged, so a restart compares what Discord shows with what was sent."""
    shown = webhook_username(author)
    assert webhook_name("username", shown) == shown


def test_the_archive_maps_webhook_names_back_to_the_commenters(sample: Article) -> None:
    authors = [
        "Discord Fan",
        "Clyde",
        "everyone",
        "",
        "N" * 120,
        "Commenter",
        "Ada  Lovelace",
        "Ada Lovelace",
    ]
    article = dataclasses.replace(
        sample,
        comments=tuple(Comment(index=n, author=a, posted=None, text="x") for n, a in enumerate(authors, 1)),
    )
    names = commenter_names(article)
    assert names[webhook_username("Discord Fan")] == "Discord Fan"
    assert names[webhook_username("Clyde")] == "Clyde"
    assert names[webhook_username("everyone")] == "everyone"
    assert names[webhook_username("N" * 120)] == "N" * 120
    assert names["Commenter"] == "Commenter"  # the real "Commenter" keeps the name, not the blank one
    assert names["Ada Lovelace"] == "Ada Lovelace"
