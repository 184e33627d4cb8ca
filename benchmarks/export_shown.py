"""What showing messages as Discord shows them costs an export: mentions as names, custom emoji,
times (``bot/shown.py``), on a large discussion.

The sample article with N readers' messages (default 5,000), every third mentioning a member,
a role and a channel, with a custom emoji and a ``<t:…:R>``, is rendered as Markdown and as HTML
with the names known (what exports do). Baseline, measured in the same run: the same messages
rendered with the old path's cost, the text passed through untouched (``shown`` replaced by the
identity), so the figure is the rendering's own cost and nothing else.

    .venv/bin/python benchmarks/export_shown.py [--messages 5000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from bot.archive.export import common
from bot.archive.export.common import ExportContext
from bot.archive.export.html import to_html
from bot.archive.export.markdown import to_markdown
from bot.articles import parse_article, read_article_file
from bot.domain.message import StoredMessage
from bot.shown import Names

SAMPLE = Path(__file__).parents[1] / "bot" / "data" / "the-lessons-of-zhanaozen.txt"


def messages(total: int) -> list[StoredMessage]:
    said = []
    for n in range(total):
        text = f"Message {n}: the commission's findings matter here, says the reader. " * 3
        if n % 3 == 0:
            text += f" <@{7000 + n % 50}> and <@&21>, see <#500> <:blob:123> <t:{1_765_000_000 + n}:R>"
        said.append(
            StoredMessage(
                id=10_000 + n,
                guild_id=1,
                channel_id=501 + n % 6,
                parent_id=500,
                article_id="zh",
                section=1 + n % 6,
                author_id=7000 + n % 50,
                author_name=f"reader{n % 50}",
                author_bot=False,
                webhook_id=None,
                content=text,
                created_at="2026-12-01T10:00:00+00:00",
                reply_to=10_000 + n - 1 if n % 4 else None,
            )
        )
    return said


def timed(render: Callable[[], str], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        render()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    article = parse_article(read_article_file(SAMPLE), source=SAMPLE.name)
    said = messages(args.messages)
    names = Names(
        users={7000 + i: f"Reader {i}" for i in range(50)}, roles={21: "Readers"}, channels={500: "general"}
    )
    context = ExportContext(guild_id=1, channel_names={500: "general"}, names=names)
    for label, render in (
        ("markdown", lambda: to_markdown(article, said, context=context)),
        ("html", lambda: to_html(article, said, context=context)),
    ):
        shown = timed(render)
        original = common.shown
        common.shown = lambda text, *_a, **_k: text  # type: ignore[assignment]
        try:
            baseline = timed(render)
        finally:
            common.shown = original
        print(
            f"{label:8} {args.messages:,} messages: {shown * 1000:7.1f} ms shown as Discord shows them,"
            f" {baseline * 1000:7.1f} ms baseline (text untouched): +{(shown / baseline - 1) * 100:.0f}%"
        )


if __name__ == "__main__":
    main()
