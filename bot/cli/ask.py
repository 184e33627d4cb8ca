"""``readalong ask``: the same answers as ``/ask``, from the shell, one question or many."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Iterator

from bot.answers.embeddings import Embedder
from bot.answers.llm import AnswerWriter
from bot.domain.answer import Answer
from bot.domain.viewer import Viewer
from bot.errors import ReadalongError
from bot.services import articles as articles_service
from bot.services.ask import ask
from bot.services.stores import open_existing_store
from bot.settings import Settings

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``readalong ask`` to the command line."""
    ask = commands.add_parser("ask", help="answer questions about an article with verbatim quotes")
    ask.add_argument("article_id", metavar="ID")
    ask.add_argument("question", nargs="?", help="the question (default: one per line of standard input)")
    ask.add_argument("--top", type=int, default=3, metavar="K", help="at most K quotes (1-10, default 3)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.set_defaults(handler=_cmd_ask)


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.top <= 10:
        raise ReadalongError(f"--top {args.top}: must be between 1 and 10")
    question = None if args.question is None else safe_text(args.question)
    if question is not None and not question.strip():
        raise ReadalongError("the question is empty")

    async def run() -> int:
        store = await open_existing_store(settings)
        # The same writer as /ask: with an API key set, a model writes the answer from the quotes.
        writer = AnswerWriter.from_settings(settings)
        embedder = Embedder.from_settings(settings)
        status = 0
        log_questions = True
        try:
            article = await articles_service.article(store, args.article_id)
            name = await articles_service.operator_name(store, article.id)
            questions = [question] if question is not None else stdin_lines()
            for asked in questions:
                if not asked.strip():
                    continue
                try:
                    result = await ask(
                        store,
                        article,
                        asked,
                        viewer=Viewer.operator(),
                        writer=writer,
                        top_k=args.top,
                        record=log_questions,
                        embedder=embedder,
                    )
                except ReadalongError as error:
                    # One question refused; the rest of the batch is still answered.
                    print(f"readalong: error: {error}", file=sys.stderr, flush=True)
                    status = 2
                    continue
                _print(result.answer, as_json=args.json, name=name)
                log_questions = log_questions and result.logged
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


def _print(answer: Answer, *, as_json: bool, name: str) -> None:
    """One answer; in JSON the article named as the command line takes it (``ID`` or ``SERVER/ID``)."""
    if as_json:
        print(json.dumps({**answer.to_json(), "article": name}, ensure_ascii=False), flush=True)
    else:
        print(f"Q: {answer.question}\n{answer.text}\n", flush=True)
