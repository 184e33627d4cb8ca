"""An answer to a question: its quotes, each an exact slice of stored text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from bot.domain.article import article_slug
from bot.domain.passage import Source


@dataclass(frozen=True, slots=True)
class Reader:
    """A reader's message in the article's discussion, as archived."""

    message_id: int
    channel_id: int
    guild_id: int | None
    author: str
    content: str


@dataclass(frozen=True, slots=True)
class Quote:
    """One verbatim excerpt an answer shows, with where it comes from so it can be checked and linked."""

    text: str
    """Verbatim: ``quoted_text(article, quote)[start:end]``."""
    source: Source
    section: int | None
    comment: int | None
    """The original comment's index; None for the article, the bio and readers' messages."""
    start: int
    end: int
    score: float
    coverage: float
    article_id: str = ""
    reader: Reader | None = None
    """Set when the quote is from a reader's message in the discussion, not the original page."""

    def to_record(self) -> dict[str, object]:
        """Every field, and the reader's message it is from (not that message's whole text): what
        the log keeps to render the answer again (without a quote whose reader's message was
        deleted since)."""
        reader = self.reader
        return {
            "text": self.text,
            "source": self.source,
            "section": self.section,
            "comment": self.comment,
            "start": self.start,
            "end": self.end,
            "score": self.score,
            "coverage": self.coverage,
            "article": self.article_id,
            "reader": None
            if reader is None
            else {
                "message": reader.message_id,
                "channel": reader.channel_id,
                "guild": reader.guild_id,
                "author": reader.author,
            },
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Quote:
        """The quote :meth:`to_record` kept."""
        found = record.get("reader")
        reader = (
            None
            if found is None
            else Reader(found["message"], found["channel"], found["guild"], found["author"], "")
        )
        return cls(
            record["text"],
            cast(Source, record["source"]),
            record["section"],
            record["comment"],
            record["start"],
            record["end"],
            record["score"],
            record["coverage"],
            record.get("article", ""),
            reader,
        )

    def to_json(self) -> dict[str, object]:
        """The fields ``readalong ask --json`` prints and the log of questions keeps; offsets and the reader
        are left out."""
        return {
            "text": self.text,
            "source": self.source,
            "section": self.section,
            "comment": self.comment,
            "score": round(self.score, 4),
        }


def overlap(a: Quote, b: Quote) -> bool:
    """Whether two quotes share characters of the same stored text (then only one is shown)."""
    return (
        a.reader == b.reader
        and a.article_id == b.article_id
        and a.source == b.source
        and a.comment == b.comment
        and a.start < b.end
        and b.start < a.end
    )


AboutKind = Literal["writer", "author", "date"]
"""``writer``: who wrote it; ``author``: who the author is, what they do; ``date``: when it was
published."""


@dataclass(frozen=True, slots=True)
class About:
    """What the article's page says about the article, for the kinds of facts asked for."""

    kinds: frozenset[AboutKind]
    byline: Quote | None
    """The author's name as stored (``Article.author``), when asked who wrote it or who they are."""
    bio: Quote | None
    """The start of the author's bio (``Article.author_bio``), when asked who the author is."""
    published: str | None
    """The date of publication, written out ("18 December 2012"), when asked when."""
    missing: tuple[AboutKind, ...]
    """The kinds asked for that the article's page does not give."""

    @property
    def answered(self) -> bool:
        """Whether the page gives at least one of the facts asked for (else the answer says it does not)."""
        return bool(self.byline or self.bio or self.published)

    @property
    def quotes(self) -> tuple[Quote, ...]:
        """The quoted facts (byline, bio), each a verbatim slice of the stored article; the date is written
        out, not quoted."""
        return tuple(q for q in (self.byline, self.bio) if q is not None)

    @property
    def not_said(self) -> str | None:
        """The sentence saying what was asked and the page does not give ("The article does not say
        who wrote it."), the same words on Discord and on a terminal; None if it gives it all."""
        said = [_NOT_SAID[kind] for kind in self.missing if kind in _NOT_SAID]
        return "The article does not say " + " or ".join(said) + "." if said else None


_NOT_SAID = {
    "writer": "who wrote it",
    "author": "more about its author than their name",
    "date": "when it was published",
}


@dataclass(frozen=True, slots=True)
class Chosen:
    """Which article a question was answered from when the asker did not name it and the place
    did not settle it (a channel holding several articles' postings, or none): said in the
    answer, never chosen silently."""

    article_id: str
    title: str
    others: tuple[str, ...] = ()
    """The ids (as members type them) of the other articles posted where it was asked, newest
    first: the choices the answer offers."""
    in_place: bool = True
    """True: the latest article posted in the channel asked in; False: none is posted there, so
    the latest posted in the server (that the asker can see)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A question's answer as data: the quotes it stands on, with their places; ``answered`` False
    means nothing in the article answers it. Each front end renders it its own way (Discord:
    :mod:`bot.discordfmt.answers`; the command line: :mod:`bot.cli.ask`), within its own limits."""

    question: str
    article_id: str
    answered: bool
    quotes: tuple[Quote, ...]
    """Answered: the quotes to show, best first. Not answered: at most the closest passage."""
    latency_ms: float
    written_by: str | None = None
    """The model that wrote the prose, or None for a purely extractive answer."""
    unposted_section: int | None = None
    """During a posting: the section, not posted yet in the asker's server, that answers better
    than what has been posted. It is named, never quoted (no spoilers)."""
    prose: str = ""
    """The model's answer in its own words (checked: no made-up quotation), when ``written_by``."""
    about: About | None = None
    """Set for a question about the article itself (who wrote it, when): answered from its page."""
    section_urls: Mapping[int, str] = field(default_factory=dict)
    """Where each posted section is on Discord, for the quotes' "jump to it" links (empty: none)."""
    chosen: Chosen | None = None
    """Set when the article was not named and the place did not settle it: the answer says
    which article it answered from, and which others it could have."""

    def to_json(self) -> dict[str, object]:
        """The machine-readable answer without its rendering (``readalong ask --json`` adds that)."""
        found: dict[str, object] = {
            "question": self.question,
            "article": article_slug(self.article_id),
            "answered": self.answered,
            "quotes": [q.to_json() for q in self.quotes],
        }
        if self.chosen is not None:
            found["chosen"] = {"others": list(self.chosen.others), "in_place": self.chosen.in_place}
        return found


@dataclass(frozen=True, slots=True)
class Rendering:
    """What an answer posted on Discord was rendered from, kept in the log with it: when a reader
    deletes (or edits away) a message it quotes, the answer is rendered again from this, without
    that quote, and the posted message edited to match."""

    @classmethod
    def of(cls, answer: Answer) -> Rendering:
        """What the log keeps of ``answer`` to render it again."""
        return cls(
            answer.quotes,
            answer.answered,
            dict(answer.section_urls),
            answer.unposted_section,
            written=answer.written_by is not None,
            chosen=answer.chosen,
        )

    quotes: tuple[Quote, ...]
    answered: bool
    section_urls: Mapping[int, str] = field(default_factory=dict)
    unposted_section: int | None = None
    written: bool = False
    """A model wrote prose from the quotes: dropped with any of them (it may repeat their words)."""
    chosen: Chosen | None = None
    """The article the answer said it answered from (the asker named none): said again."""

    def to_json(self) -> dict[str, object]:
        """As the log keeps it (JSON)."""
        kept: dict[str, object] = {
            "quotes": [q.to_record() for q in self.quotes],
            "answered": self.answered,
            "section_urls": {str(k): v for k, v in self.section_urls.items()},
            "unposted_section": self.unposted_section,
            "written": self.written,
        }
        if self.chosen is not None:
            chosen = self.chosen
            kept["chosen"] = {
                "article": chosen.article_id,
                "title": chosen.title,
                "others": list(chosen.others),
                "in_place": chosen.in_place,
            }
        return kept

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rendering:
        """The rendering :meth:`to_json` kept (an older row's ``max_chars`` is ignored: the room
        left for the answer follows from what the message shows before it)."""
        chosen = data.get("chosen")  # rows written before issue 22 have none
        return cls(
            tuple(Quote.from_record(q) for q in data["quotes"]),
            bool(data["answered"]),
            {int(k): str(v) for k, v in data["section_urls"].items()},
            data["unposted_section"],
            bool(data["written"]),
            None
            if chosen is None
            else Chosen(chosen["article"], chosen["title"], tuple(chosen["others"]), chosen["in_place"]),
        )


@dataclass(frozen=True, slots=True)
class PostedAnswer:
    """A logged answer that quotes readers' messages, as the log keeps it: where the bot posted
    it (``/ask``'s follow-up, a mention's reply; None when not known), what the message shows
    before the answer, and what it was rendered from (None: forgotten, where the server purges
    deleted messages' words; only a note is shown then)."""

    ask_id: int
    article_id: str
    channel_id: int | None
    message_id: int | None
    head: str
    rendering: Rendering | None


QUOTED_DELETED = "(The answer quoted a reader's message that has since been deleted.)"
"""Shown in place of a logged answer that quoted a reader's message since deleted (members'
exports; the log itself, where the server purges deleted messages' words)."""


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    """A question put with ``/ask`` (or a mention, or ``readalong ask``) as the log keeps it, for
    the exports: who asked, when, where, and the answer shown."""

    asked_at: str
    """ISO 8601, UTC."""
    asker: str | None
    """The asker's name when they asked; None for questions logged before names were kept."""
    user_id: int | None
    """The member; None for the operator's ``readalong ask``."""
    guild_id: int | None
    channel_id: int | None
    """The channel or thread it was asked in; None from the command line, and before it was kept."""
    question: str
    answer: str
    answered: bool
