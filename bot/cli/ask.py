"""``readalong ask``: the same answers as ``/ask``, from the shell, one question or many."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
from collections.abc import Iterator

from bot.answers.embeddings import Embedder
from bot.answers.llm import AnswerWriter
from bot.discordfmt.answers import answer_text
from bot.domain.answer import Answer, Quote
from bot.domain.article import Article
from bot.domain.viewer import Viewer
from bot.errors import ReadalongError
from bot.services import articles as articles_service
from bot.services.ask import Asked, Asker, Question
from bot.services.stores import open_existing_store
from bot.settings import Settings

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``readalong ask`` to the command line."""
    ask = commands.add_parser("ask", help="answer questions about an article with verbatim quotes")
    ask.add_argument("article_id", metavar="ID")
    ask.add_argument("question", nargs="?", help="the question (default: one per line of standard input)")
    ask.add_argument("--top", type=int, default=3, metavar="K", help="at most K quotes (1-10, default 3)")
    ask.add_argument(
        "--format",
        choices=FORMATS,
        type=str.lower,
        default=None,
        help="plain (text for a terminal, the default), markdown (as /ask posts it on Discord) "
        "or json (one object per question)",
    )
    ask.add_argument("--json", action="store_true", help="the same as --format json")
    ask.set_defaults(handler=_cmd_ask)


FORMATS = ("plain", "markdown", "json")
"""``readalong ask --format``: a terminal reads plain text; Discord's markup only when asked for."""


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.top <= 10:
        raise ReadalongError(f"--top {args.top}: must be between 1 and 10")
    if args.json and args.format not in (None, "json"):
        raise ReadalongError(f"--json and --format {args.format}: give one of them")
    chosen = "json" if args.json else args.format or "plain"
    render = markdown_text if chosen == "markdown" else plain_text
    question = None if args.question is None else safe_text(args.question)
    if question is not None and not question.strip():
        raise ReadalongError("the question is empty")

    async def run() -> int:
        store = await open_existing_store(settings)
        # The same writer as /ask: with an API key set, a model writes the answer from the quotes.
        writer = AnswerWriter.from_settings(settings)
        embedder = Embedder.from_settings(settings)
        asker = Asker(store, writer=writer, embedder=embedder)
        status = 0
        try:
            article = await articles_service.article(store, args.article_id)
            name = await articles_service.operator_name(store, article.id)
            questions = [question] if question is not None else stdin_lines()
            for text in questions:
                if not text.strip():
                    continue
                request = Question(text, Viewer.operator(), article=args.article_id, top_k=args.top)
                try:
                    asked = await asker.ask(request, render)
                except ReadalongError as error:
                    # One question refused; the rest of the batch is still answered.
                    print(f"readalong: error: {error}", file=sys.stderr, flush=True)
                    status = 2
                    continue
                _print(asked, as_json=chosen == "json", name=name)
        finally:
            if writer is not None:
                await writer.close()
            if embedder is not None:
                await embedder.close()
            await store.close()
        return status

    return asyncio.run(run())


def safe_text(text: str) -> str:
    """``text`` with lone surrogates (from undecodable command-line bytes, or a JSON escape)
    replaced by U+FFFD, so it can be printed and stored; proper pairs become the character."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def stdin_lines() -> Iterator[str]:
    """Standard input, a question a line; bytes that are not UTF-8 become U+FFFD instead of
    ending the batch with a UnicodeDecodeError."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:  # already text (a StringIO in tests)
        for line in sys.stdin:
            yield safe_text(line.rstrip("\n"))
        return
    for index, raw in enumerate(binary):
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        yield text.removeprefix("\ufeff") if index == 0 else text


def _print(asked: Asked, *, as_json: bool, name: str) -> None:
    """One answer; in JSON the article named as the command line takes it (``ID`` or ``SERVER/ID``)."""
    answer = asked.answer
    if as_json:
        shown = {**answer.to_json(), "article": name, "answer": asked.shown}
        print(json.dumps(shown, ensure_ascii=False), flush=True)
    else:
        print(f"Q: {answer.question}\n{asked.shown}\n", flush=True)


def markdown_text(answer: Answer, article: Article) -> str:
    """An answer in Discord's Markdown, as ``/ask`` posts it (``--format markdown``): for pasting
    where that markup is read, not for a terminal."""
    return answer_text(answer, article)


def plain_text(answer: Answer, article: Article) -> str:
    """An answer as the terminal shows it: each quote verbatim after ``> ``, with where it comes
    from on the line below; no length limit and no markup (the article's words as stored). An
    article the asker did not name is said first (:attr:`Answer.chosen`)."""
    if answer.chosen is not None:
        others = ", ".join(answer.chosen.others)
        where = f"also posted there: {others}" if others else "none is posted where it was asked"
        said = f"Answered from {answer.chosen.title} ({article.slug}); {where}."
        return said + "\n\n" + plain_text(dataclasses.replace(answer, chosen=None), article)
    blocks: list[list[str]] = []
    about = answer.about
    if about is not None:
        if about.byline is not None:
            blocks.append([*_quoted(about.byline), "  — the article's byline"])
        if about.published is not None:
            blocks.append([f"Published on {about.published} (the article's byline)."])
        if about.bio is not None:
            blocks.append([*_quoted(about.bio), "  — the author's bio, on the article's page"])
        if about.not_said is not None:
            blocks.append([about.not_said])
        return _joined(blocks)
    if not answer.answered:
        if answer.unposted_section is not None:
            return f"§{answer.unposted_section} answers this; it has not been posted yet."
        blocks.append(["Not found in the article. It does not seem to answer that."])
        if answer.quotes:
            closest = answer.quotes[0]
            blocks.append(
                ["Closest passage, which may not answer it:", *_quoted(closest), _label(article, closest)]
            )
        return _joined(blocks)
    if answer.written_by is not None and answer.prose:
        blocks.append(
            [answer.prose, "(Written by a language model from the passages below, quoted exactly.)"]
        )
    for quote in sorted(answer.quotes, key=lambda q: q.source != "body"):
        blocks.append([*_quoted(quote), _label(article, quote)])
    if answer.unposted_section is not None:
        blocks.append([f"§{answer.unposted_section}, not posted yet, may say more on this."])
    return _joined(blocks)


def _quoted(quote: Quote) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in quote.text.splitlines()]


def _label(article: Article, quote: Quote) -> str:
    if quote.reader is not None:
        return f"  — {quote.reader.author}, a reader in the discussion (not the article)"
    if quote.source == "comment":
        author = next((c.author for c in article.comments if c.index == quote.comment), "a commenter")
        return f"  — {author}, in the original comments (a reader, not the article)"
    if quote.source == "bio":
        return "  — the author's bio"
    if quote.source == "byline":
        return "  — the article's byline"
    return f"  — §{quote.section}"


def _joined(blocks: list[list[str]]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks)
