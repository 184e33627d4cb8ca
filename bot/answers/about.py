"""Questions about the article itself: who wrote it, when it was published, who its author is.

These are not answered by the article's text but by what the page says around it: the byline
(``Article.author``, ``Article.published``) and the author's bio (``Article.author_bio``), all
three stored at import. Retrieval over the text gets them wrong ("Who is the writer of this
piece?" shares no word with the byline; "What does the author do for a living?" finds a sentence
about policy), so they are recognised first and answered from those fields.

Recognising them must not catch questions about people *in* the article ("Who settled the
wrangling?", "Who wrote the commission's report?") or about what the author argues ("What does
the author say about jobs?"): a question is about the article only when it names the article
(this, it, the piece, the post…) or its author (the author, the writer, the byline's name) in one
of the shapes below, and otherwise goes to the text.

Quotes stay verbatim: the byline's name is quoted as stored in ``Article.author`` (the line
``by … on …`` itself is not part of the stored body), and the bio by a slice of
``Article.author_bio``. The date is stated, not quoted: it is stored as a date.
"""

from __future__ import annotations

import functools
import re
import time

from bot.articles.sentences import sentence_spans
from bot.domain.answer import About, AboutKind, Answer, Quote
from bot.domain.article import Article
from bot.search.ranking import MAX_QUOTE_CHARS

_ARTICLE = r"(?:article|piece|post|blog\s+post|blog|essay|text|op-?ed|column|editorial|story|entry|writing)"
_THIS = rf"(?:this|it|that|the\s+{_ARTICLE}|this\s+{_ARTICLE}|that\s+{_ARTICLE})"
_WRITER = r"(?:author|writer|columnist|blogger)"
_END = r"\s*[?.!]*\s*$"
_OF_THIS = rf"(?:\s+(?:of|behind|for)\s+{_THIS})?"
_WORK = (
    r"(?:job|profession|occupation|career|background|bio|biography|credentials|nationality|employer"
    r"|day\s+job|line\s+of\s+work|(?:position|role|title)(?!\s+(?:on|in|about|regarding|towards?|of|at)\b))"
)

_WRITER_PATTERNS = [
    r"\bbyline\b",
    # Who wrote this? Who penned the piece? (Not: who wrote the report.)
    rf"\bwho\s+(?:wrote|writes|penned|authored|has\s+written|is\s+writing)(?:\s+{_THIS})?(?:\s+and\s+when)?{_END}",
    rf"\bwho\s+(?:is|was)\s+{_THIS}\s+(?:written|authored|penned|by)\b",
    rf"\b{_THIS}\s+(?:was\s+|is\s+)?(?:written|authored|penned)\s+by\s+whom\b",
    rf"\bby\s+whom\s+(?:is|was)\s+{_THIS}\b",
    rf"\b(?:name|identity)\s+of\s+(?:the|this|its)\s+{_WRITER}\b",
    rf"\b{_WRITER}'?s\s+name\b",
    rf"\bwho\s+is\s+behind\s+{_THIS}{_END}",
]
_AUTHOR_PATTERNS = [
    # Who is the author (of this piece)? Who's the writer?
    rf"\bwho(?:'s|\s+is|\s+was)\s+(?:the\s+|its\s+|this\s+)?{_WRITER}{_OF_THIS}{_END}",
    # What does the author do (for a living)? Where does the writer work?
    rf"\bwhat\s+(?:does|did)\s+(?:the\s+|its\s+)?(?:{_WRITER}|{{name}})\s+do"
    rf"(?:\s+(?:for\s+(?:a\s+)?(?:living|work|job)|professionally|in\s+life|for\s+a\s+career))?{_END}",
    rf"\bwhere\s+(?:does|did)\s+(?:the\s+|its\s+)?(?:{_WRITER}|{{name}})\s+work\b",
    # The author's job, the writer's background; the job of the author.
    rf"\b(?:{_WRITER}|{{name}})(?:'s|s'|')\s+{_WORK}\b",
    rf"\b{_WORK}\s+of\s+(?:the\s+|this\s+|its\s+)?{_WRITER}\b",
    rf"\bwhat\s+(?:is|was)\s+(?:the\s+)?{_WRITER}(?:'s)?\s+{_WORK}\b",
    # Is the author a politician? Tell me about the writer.
    rf"\b(?:is|was)\s+(?:the\s+|this\s+)?{_WRITER}\s+(?:an?|the)\s+\w+(?:\s+\w+){{0,4}}{_END}",
    rf"\babout\s+(?:the\s+|this\s+|its\s+)?{_WRITER}{_END}",
    # Who is Erlan Idrissov? (the byline's name, or one of its parts)
    rf"\bwho\s+(?:is|was)\s+{{name}}{_END}",
]
_DATE_PATTERNS = [
    rf"\bwhen\s+(?:was|is|were)\s+{_THIS}\s+(?:first\s+)?(?:written|published|posted|dated|released|put\s+out|out)\b",
    rf"\bwhen\s+did\s+(?:the\s+|its\s+)?(?:{_WRITER}|{{name}}|they|he|she)\s+(?:write|publish|post)\s+{_THIS}\b",
    rf"\bwhen\s+did\s+{_THIS}\s+(?:come\s+out|appear|get\s+published)\b",
    rf"\b(?:publication|publishing|posting|release)\s+date(?:\s+of\s+{_THIS})?{_END}",
    rf"\bdate\s+of\s+(?:publication(?:\s+of\s+{_THIS})?|{_THIS}){_END}",
    rf"\bwhat\s+(?:date|day|year|month)\s+(?:was|is)\s+{_THIS}\s+(?:written|published|posted|dated|from)\b",
    rf"\bwho\s+(?:wrote|penned|authored)\s+{_THIS}\s+and\s+when{_END}",
    rf"\b(?:date|year)\s+(?:was|is)\s+{_THIS}\s+(?:written|published|from)\b",
    rf"\bhow\s+old\s+is\s+{_THIS}\b",
]


def _compiled(patterns: list[str], name: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p.replace('{name}', name)})" for p in patterns), re.IGNORECASE)


_NO_NAME = r"(?!x)x"  # matches nothing: an article without a byline has no name to ask about
_FIXED = {
    "writer": _compiled(_WRITER_PATTERNS, _NO_NAME),
    "date": _compiled(_DATE_PATTERNS, _NO_NAME),
}


@functools.lru_cache(maxsize=256)
def _author_patterns(author: str | None) -> re.Pattern[str]:
    """The questions about who the author is, naming this article's author too (one compiled
    pattern per byline, kept: the same few articles are asked about again and again)."""
    return _compiled(_AUTHOR_PATTERNS, _name_pattern(author))


def _name_pattern(author: str | None) -> str:
    """The byline's name, or any of its parts of three letters or more, as a regex alternative."""
    if not author:
        return _NO_NAME
    parts = [author, *(p for p in re.findall(r"[^\W\d_][\w'’-]*", author) if len(p) >= 3)]
    return "(?:" + "|".join(re.escape(p) for p in sorted(set(parts), key=len, reverse=True)) + r")\b"


def _normalised(question: str) -> str:
    return " ".join(question.replace("’", "'").replace("‘", "'").split())


def about_kinds(question: str, author: str | None = None) -> frozenset[AboutKind]:
    """Which facts about the article the question asks for (empty: a question for the text).

    ``author`` is the byline's name, so that "Who is Idrissov?" is recognised too."""
    text = _normalised(question)
    kinds: set[AboutKind] = set()
    if _FIXED["writer"].search(text):
        kinds.add("writer")
    if _FIXED["date"].search(text):
        kinds.add("date")
    if _author_patterns(author).search(text):
        kinds.add("author")
    return frozenset(kinds)


def about_article(article: Article, question: str) -> About | None:
    """The answer from the byline and the bio if ``question`` is about the article itself (who
    wrote it, when, who the author is); None when it is a question for the text."""
    kinds = about_kinds(question, article.author)
    if not kinds:
        return None
    wants_person = bool(kinds & {"writer", "author"})
    byline = (
        Quote(article.author, "byline", None, None, 0, len(article.author), 1.0, 1.0, article.id)
        if wants_person and article.author
        else None
    )
    bio = _bio_quote(article) if wants_person else None
    published = (
        f"{article.published.day} {article.published:%B %Y}"
        if "date" in kinds and article.published is not None
        else None
    )
    missing: list[AboutKind] = []
    if wants_person and byline is None and bio is None:
        missing.append("writer")
    elif "author" in kinds and bio is None:
        missing.append("author")
    if "date" in kinds and published is None:
        missing.append("date")
    return About(kinds, byline, bio, published, tuple(missing))


def _bio_quote(article: Article) -> Quote | None:
    """The bio's first sentences, as many as fit in a quote: a slice of the stored bio."""
    bio = article.author_bio
    if not bio or not bio.strip():
        return None
    spans = sentence_spans(bio) or [(0, len(bio))]
    start, end = spans[0]
    for _, later_end in spans[1:]:
        if later_end - start > MAX_QUOTE_CHARS:
            break
        end = later_end
    end = min(end, start + MAX_QUOTE_CHARS)
    return Quote(bio[start:end], "bio", None, None, start, end, 1.0, 1.0, article.id)


def about_answer(article: Article, question: str) -> Answer | None:
    """The answer to a question about the article itself, as data (:attr:`Answer.about`); None
    when the question is one for the text."""
    started = time.perf_counter()
    about = about_article(article, question)
    if about is None:
        return None
    elapsed = (time.perf_counter() - started) * 1000
    return Answer(question, article.id, about.answered, about.quotes, elapsed, about=about)
