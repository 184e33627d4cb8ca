"""``readalong ask``: the same answers as ``/ask``, from the shell, one question or many."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.errors import ReadalongError
from bot.search.answer import Answer, answer_question
from bot.settings import Settings
from bot.viewer import Viewer


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ask = commands.add_parser("ask", help="answer questions about an article with verbatim quotes")
    ask.add_argument("article_id", metavar="ID")
    ask.add_argument("question", nargs="?", help="the question (default: one per line of standard input)")
    ask.add_argument("--top", type=int, default=3, metavar="K", help="at most K quotes (1-10, default 3)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.set_defaults(handler=_cmd_ask)


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli import open_existing_store

    if not 1 <= args.top <= 10:
        raise ReadalongError(f"--top {args.top}: must be between 1 and 10")
    if args.question is not None and not args.question.strip():
        raise ReadalongError("the question is empty")

    async def run() -> None:
        store = await open_existing_store(settings)
        try:
            article = await store.articles.get(args.article_id)
            questions = (
                [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
            )
            for question in questions:
                if not question.strip():
                    continue
                answer = await answer_question(
                    store, article, question, viewer=Viewer.operator(), top_k=args.top
                )
                await store.search.record_ask(
                    article_id=article.id,
                    question=question,
                    answered=answer.answered,
                    quotes=[q.to_json() for q in answer.quotes],
                    latency_ms=answer.latency_ms,
                )
                _print(answer, as_json=args.json)
        finally:
            await store.close()

    asyncio.run(run())
    return 0


def _print(answer: Answer, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
    else:
        print(f"Q: {answer.question}\n{answer.text}\n", flush=True)
