"""The scraped blog-post format: a title, a byline ("by NAME on M/D/YYYY · N comments"), the
body, the author's bio, and the comments, each under a "NAME Month D, YYYY at H:MM pm" header.
The blog's theme (subscribe boxes, previous/next links, trackbacks) is left out.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.articles.parsed import Parsed, RawBlock
from bot.domain.article import Comment
from bot.errors import ArticleFormatError

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
"""Month names as bylines and comment headers spell them (and as questions about dates do)."""
BYLINE = re.compile(
    r"^by\s+(?P<author>.+?)\s+on\s+(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?:\s*[·•|-]\s*(?P<count>\d[\d,]*|no|one)\s+comments?)?\s*$",
    re.IGNORECASE,
)
COMMENT_HEADER = re.compile(
    r"^(?P<name>\S.{0,299}?)\s+(?P<month>" + "|".join(MONTHS) + r")\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})"
    r"\s+at\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[ap])\.?m\.?\s*$",
    re.IGNORECASE,
)
COMMENTS_HEADING = re.compile(
    r"^\{\s*(?P<count>\d[\d,]*|no|one)\s+comments?\s*(?:…|\.\.\.)?\s*\}$", re.IGNORECASE
)
POST_IMAGE = re.compile(r"^Post image for\b", re.IGNORECASE)
# Site furniture: text the blog's theme adds around every post, never part of the article.
FURNITURE = re.compile(
    r"^(?:Subscribe to receive updates from\b.*"
    r"|This post was written by.*"
    r"|(?:.*\s)?[–—-]\s*author of [\d,]+ posts? on\b.*"
    r"|For information on reproducing this article, see our Terms of Use.*"
    r"|Previous post:.*|Next post:.*"
    r"|Tagged as:.*|Filed under.*"
    r"|\{\s*[\d,]+\s+trackbacks?\s*\}"
    r"|Comments on this entry are closed.*|Leave a Comment.*)$",
    re.IGNORECASE,
)
END_OF_COMMENTS = re.compile(
    r"^(?:Previous post:.*|Next post:.*|Comments on this entry are closed.*|Leave a Comment.*"
    r"|\{\s*[\d,]+\s+trackbacks?\s*\})$",
    re.IGNORECASE,
)
SHORT_NAME_CHARS = 100
"""A header line's name up to this long is a name; a longer one (a name with an affiliation) must look
like one (:func:`_comment_header`)."""
_LOWER_WORDS = frozenset(
    ["a", "an", "and", "at", "by", "de", "for", "from", "in", "of", "on", "the", "to", "und", "van", "von"]
)


def parse_blog(lines: list[str]) -> Parsed:
    """The title (the lines above the byline), the byline's author, date and comment count, then
    the body up to the site's furniture or the comments, the bio between, and each comment."""
    position = 0
    before_byline: list[str] = []
    byline: re.Match[str] | None = None
    while position < len(lines) and byline is None:
        stripped = lines[position].strip()
        position += 1
        if not stripped:
            continue
        byline = BYLINE.match(stripped)
        if byline is None:
            before_byline.append(stripped)
    assert byline is not None, "detect_format saw a byline in the first lines"
    title = " ".join(before_byline) or None
    published = _date_or_none(int(byline["year"]), int(byline["month"]), int(byline["day"]))
    declared = _count(byline["count"])

    body: list[RawBlock] = []
    bio: list[str] = []
    raw_comments: list[tuple[re.Match[str], list[str]]] = []
    state = "body"
    for number, line in enumerate(lines[position:], start=position + 1):
        stripped = line.strip()
        if not stripped:
            continue
        if state == "body" and not body and POST_IMAGE.match(stripped):
            continue
        header = _comment_header(stripped, number)
        if state == "comments":
            if header:
                raw_comments.append((header, []))
            elif END_OF_COMMENTS.match(stripped):
                state = "end"
            else:
                raw_comments[-1][1].append(stripped)
            continue
        if state == "end":
            if header:
                raw_comments.append((header, []))
                state = "comments"
            continue
        heading = COMMENTS_HEADING.match(stripped)
        if header or heading:
            state = "comments" if header else "tail"
            if header:
                raw_comments.append((header, []))
            if heading and declared is None:
                declared = _count(heading["count"])
            continue
        if FURNITURE.match(stripped):
            state = "tail"
            continue
        if state == "body":
            body.append(RawBlock(stripped))
        else:
            bio.append(stripped)

    comments = tuple(
        Comment(
            index=number, author=match["name"].strip(), posted=_comment_time(match), text="\n\n".join(paras)
        )
        for number, (match, paras) in enumerate(raw_comments, start=1)
    )
    return Parsed(
        title=title,
        blocks=body,
        author=byline["author"].strip(),
        published=published,
        declared_comments=declared,
        bio=tuple(bio),
        comments=comments,
    )


def _comment_time(match: re.Match[str]) -> dt.datetime | None:
    hour = int(match["hour"]) % 12 + (12 if match["ampm"].lower() == "p" else 0)
    try:
        return dt.datetime(
            int(match["year"]),
            MONTHS.index(match["month"].lower()) + 1,
            int(match["day"]),
            hour,
            int(match["minute"]),
        )
    except ValueError:
        return None


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


_MAX_DECLARED = 2**63 - 1
"""The largest count a database column holds (SQLite's INTEGER, PostgreSQL's BIGINT)."""


def _count(word: str | None) -> int | None:
    """A byline's "N comments" as a number; a number no database holds is not a count, None."""
    if word is None:
        return None
    lowered = word.lower()
    if not lowered[0].isdigit():
        return {"no": 0, "one": 1}.get(lowered)
    number = int(lowered.replace(",", ""))
    return number if number <= _MAX_DECLARED else None


def _comment_header(line: str, number: int) -> re.Match[str] | None:
    """The line as a comment's header (``NAME Month D, YYYY at H:MM pm``), or None.

    A name of more than :data:`SHORT_NAME_CHARS` characters (a name with an affiliation) is a header
    when it reads like a name: capitalised words, commas, initials, with a small word ("of", "and")
    here and there but not last. Otherwise the line could be a comment's sentence ending in a date as
    well as a header: it is refused in one line, naming the line, rather than guessed either way."""
    header = COMMENT_HEADER.match(line)
    if header is None or len(header["name"]) <= SHORT_NAME_CHARS:
        return header
    words = [w.strip(",.;:()'\"") for w in header["name"].split()]
    words = [w for w in words if w]
    capitalised = sum(1 for w in words if w[0].isupper() or w[0].isdigit())
    small = sum(1 for w in words if w.lower() in _LOWER_WORDS)
    if (
        words
        and words[-1].lower() not in _LOWER_WORDS
        and capitalised + small == len(words)
        and small * 3 <= len(words)
    ):
        return header
    raise ArticleFormatError(
        f"line {number} looks like a comment header but its name is {len(header['name'])} characters of"
        " running text: if it is a comment's header, shorten the name; if it is text, end the line"
        " with something other than the date"
    )
