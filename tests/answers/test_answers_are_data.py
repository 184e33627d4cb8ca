"""An answer is data, rendered by each front end in its own way (issue 24): ``bot/answers`` neither
renders nor knows Discord's limits, and its modules form no circle of imports."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import grimp

from bot.answers.extractive import answer_question
from bot.articles import parse_article, read_article_file
from bot.cli.ask import plain_text
from bot.discordfmt.answers import answer_text, heading
from bot.discordfmt.limits import MESSAGE_LIMIT
from bot.domain.answer import Answer
from bot.domain.article import Article
from bot.domain.viewer import Viewer
from bot.store import Store

QUESTION = "How many people died in Zhanaozen?"


def test_the_answers_package_has_no_circle_and_renders_nothing() -> None:
    graph = grimp.build_graph("bot")
    answers = sorted(m for m in graph.modules if m.startswith("bot.answers."))
    for importer in answers:
        for imported in answers:
            if importer != imported and graph.chain_exists(importer=importer, imported=imported):
                assert not graph.chain_exists(importer=imported, imported=importer), (importer, imported)
        assert not graph.chain_exists(importer=importer, imported="bot.discordfmt", as_packages=True), (
            importer
        )
    assert "text" not in {f.name for f in dataclasses.fields(Answer)}


async def test_each_front_end_renders_the_same_answer_its_own_way(tmp_path: Path, sample_path: Path) -> None:
    async with Store(tmp_path / "r.db") as store:
        article: Article = await store.articles.add(
            parse_article(read_article_file(sample_path), source=sample_path.name)
        )
        answer = dataclasses.replace(
            await answer_question(store, article, QUESTION, viewer=Viewer.operator(), top_k=3),
            section_urls={s.index: f"https://discord.com/channels/1/2/{s.index}" for s in article.sections},
        )
    assert answer.answered and "16 people died" in answer.quotes[0].text

    # Discord: links to the sections, and the message's limit counted after what precedes it.
    shown = answer_text(answer, article)
    assert "16 people died" in shown and "[jump to it](https://discord.com/channels/1/2/" in shown
    head = heading("x" * 1900)
    after_head = answer_text(answer, article, head=head)
    assert len(head + after_head) <= MESSAGE_LIMIT and len(after_head) < len(shown)
    assert heading("@everyone hi") == "**Q:** @\u200beveryone hi\n"

    # The terminal: every quote whole, no Discord markup, no limit.
    plain = plain_text(answer, article)
    for quote in answer.quotes:
        assert "\n".join(f"> {line}" if line.strip() else ">" for line in quote.text.splitlines()) in plain
    assert "-#" not in plain and "**" not in plain and "](" not in plain
