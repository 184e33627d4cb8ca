"""Reading article files: the scraped blog-post format, Markdown and plain text.

The body is rebuilt from its paragraphs joined by one blank line, each paragraph kept exactly as
written: quotes are later checked verbatim against it, so only the whitespace *between*
paragraphs is normalised. Parsing never guesses beyond what the text shows; a scrape that stops
in the middle of a comment gives the comments that are there.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.articles.frontmatter import has_front_matter, split_front_matter
from bot.articles.sections import DEFAULT_TARGET_CHARS, Block, make_sections
from bot.domain.article import Article, Comment, CommentQuote
from bot.errors import ArticleFormatError

MAX_ARTICLE_BYTES = 2_000_000
"""Far above any blog post; keeps a stray upload from filling the database."""

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
MARKDOWN_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
MIN_QUOTE_CHARS = 20
_QUOTE_MARKS = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_WHITESPACE = re.compile(r"\s+")


def read_article_file(path: Path) -> str:
    """The text of ``path``, or an :class:`ArticleFormatError` saying in one line why not.

    Only a regular file is opened (a FIFO would hang, ``/dev/zero`` would never end), and the size
    is checked while reading, not after: a file that grows, or lies about its size, is still
    read no further than the limit.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ArticleFormatError(f"{path}: no such file") from None
    except OSError as error:
        raise ArticleFormatError(f"{path}: cannot be read ({error.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ArticleFormatError(f"{path}: is a directory, not an article file")
    if not stat.S_ISREG(info.st_mode):
        raise ArticleFormatError(f"{path}: is not a regular file (a device, a pipe or a socket)")
    if info.st_size > MAX_ARTICLE_BYTES:
        raise ArticleFormatError(_too_large(str(path), info.st_size))
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO since the stat, opening it does not hang.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise ArticleFormatError(f"{path}: is not a regular file (a device, a pipe or a socket)")
            data = file.read(MAX_ARTICLE_BYTES + 1)
    except OSError as error:
        raise ArticleFormatError(f"{path}: cannot be read ({error.strerror})") from None
    return decode_article_bytes(data, str(path))


def _too_large(name: str, size: int) -> str:
    over = "over " if size > MAX_ARTICLE_BYTES else ""
    return f"{name}: is too large ({over}{size / 1e6:.1f} MB; the limit is {MAX_ARTICLE_BYTES / 1e6:.0f} MB)"


_UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def decode_article_bytes(data: bytes, name: str) -> str:
    """Text from uploaded or read bytes, refusing what is not an article-sized text.

    UTF-8 (with or without a byte order mark) and UTF-16 with a byte order mark (what Windows
    editors call "Unicode") are read; anything else is named and refused.
    """
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleFormatError(_too_large(name, len(data)))
    encoding = _UTF16_BOMS.get(data[:2]) if not data.startswith(b"\xff\xfe\x00\x00") else None
    if encoding is not None:
        try:
            text = data[2:].decode(encoding)
        except UnicodeDecodeError as error:
            raise ArticleFormatError(
                f"{name}: starts like UTF-16 text but is not (bad bytes at offset {error.start + 2})"
            ) from None
        if not text.strip():
            raise ArticleFormatError(f"{name}: is empty")
        if "\x00" in text:
            raise ArticleFormatError(f"{name}: is a binary file, not text")
        return _checked_text(text, name)
    if not data.strip():
        raise ArticleFormatError(f"{name}: is empty")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise ArticleFormatError(f"{name}: is UTF-32 text; save it as UTF-8")
    if b"\x00" in data:
        raise ArticleFormatError(f"{name}: is a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleFormatError(
            f"{name}: is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None
    return _checked_text(text, name)


def _checked_text(text: str, name: str) -> str:
    controls = sum(1 for ch in text if ch < " " and ch not in "\n\r\t\f")
    if controls > 0.01 * len(text):
        raise ArticleFormatError(f"{name}: is a binary file, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect_format(text: str, source: str) -> str:
    """``markdown`` by the file's name or its front matter, ``blog`` by a byline near the top,
    else ``text``."""
    if source.lower().endswith((".md", ".markdown")):
        return "markdown"
    if has_front_matter(text.split("\n", 1)[:1]) and "\n---" in text[3:]:
        return "markdown"
    head = [line.strip() for line in text.split("\n") if line.strip()][:3]
    return "blog" if any(BYLINE.match(line) for line in head) else "text"


def parse_article(
    text: str,
    *,
    source: str,
    article_id: str = "",
    target_chars: int = DEFAULT_TARGET_CHARS,
) -> Article:
    """Parse ``text`` (from a file named ``source``) in whichever format it is written."""
    fmt = detect_format(text, source)
    lines = [line.rstrip() for line in text.split("\n")]
    if fmt == "blog":
        try:
            parsed = _parse_blog(lines)
        except ArticleFormatError as error:
            raise ArticleFormatError(f"{_basename(source)}: {error}") from None
    elif fmt == "markdown":
        parsed = _parse_markdown(lines, _basename(source))
    else:
        parsed = _parse_plain(lines)
    body, blocks = _join_blocks(parsed.blocks)
    sections = make_sections(body, blocks, target_chars)
    if not sections:
        raise ArticleFormatError(f"{_basename(source)}: has no article text after its title")
    return Article(
        id=article_id,
        title=parsed.title,
        author=parsed.author,
        published=parsed.published,
        declared_comments=parsed.declared_comments,
        source=_basename(source),
        format=fmt,
        body=body,
        sections=sections,
        author_bio="\n\n".join(parsed.bio) or None,
        comments=tuple(_find_quotes(parsed.comments)),
        url=parsed.url,
    )


@dataclass
class _RawBlock:
    text: str
    heading: str | None = None


@dataclass
class _Parsed:
    title: str | None
    blocks: list[_RawBlock]
    author: str | None = None
    published: dt.date | None = None
    declared_comments: int | None = None
    bio: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()
    url: str | None = None


def _parse_blog(lines: list[str]) -> _Parsed:
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

    body: list[_RawBlock] = []
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
            body.append(_RawBlock(stripped))
        else:
            bio.append(stripped)

    comments = tuple(
        Comment(
            index=number, author=match["name"].strip(), posted=_comment_time(match), text="\n\n".join(paras)
        )
        for number, (match, paras) in enumerate(raw_comments, start=1)
    )
    return _Parsed(
        title=title,
        blocks=body,
        author=byline["author"].strip(),
        published=published,
        declared_comments=declared,
        bio=tuple(bio),
        comments=comments,
    )


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


def _parse_markdown(lines: list[str], name: str) -> _Parsed:
    """Markdown: the front matter's fields (never part of the text), then the first ``#``
    heading as the title unless the front matter gave one (a first heading repeating it is
    dropped), ``##``… headings starting sections, and a "By …" first line as the author."""
    front, lines = split_front_matter(lines, name)
    title: str | None = front.title
    blocks: list[_RawBlock] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            blocks.append(_RawBlock("\n".join(paragraph).strip("\n")))
            paragraph.clear()

    in_fence = False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            paragraph.append(line)
            continue
        heading = None if in_fence else MARKDOWN_HEADING.match(line)
        if heading:
            end_paragraph()
            if heading["hashes"] == "#" and not blocks and (title is None or heading["text"] == title):
                title = heading["text"]
            else:
                blocks.append(_RawBlock(line.strip(), heading=heading["text"]))
        elif not line.strip() and not in_fence:
            end_paragraph()
        else:
            paragraph.append(line)
    end_paragraph()
    author = front.author
    if (
        author is None
        and blocks
        and blocks[0].heading is None
        and (byline := re.match(r"^by\s+(.{1,80})$", blocks[0].text, re.I))
    ):
        author = byline.group(1).strip()
        blocks.pop(0)
    return _Parsed(title=title, blocks=blocks, author=author, published=front.date, url=front.url)


def _parse_plain(lines: list[str]) -> _Parsed:
    title: str | None = None
    blocks: list[_RawBlock] = []
    paragraph: list[str] = []
    for line in lines:
        if title is None:
            if line.strip():
                title = line.strip()
            continue
        if line.strip():
            paragraph.append(line)
        elif paragraph:
            blocks.append(_RawBlock("\n".join(paragraph)))
            paragraph = []
    if paragraph:
        blocks.append(_RawBlock("\n".join(paragraph)))
    return _Parsed(title=title, blocks=blocks)


def _join_blocks(raw: Iterable[_RawBlock]) -> tuple[str, list[Block]]:
    """The body text (blocks joined by a blank line) and each block's span in it."""
    parts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    for block in raw:
        text = block.text.strip()
        if not text:
            continue
        if parts:
            offset += 2
        blocks.append(Block(offset, offset + len(text), block.heading))
        parts.append(text)
        offset += len(text)
    return "\n\n".join(parts), blocks


def normalise_for_quotes(text: str) -> str:
    """Text compared up to whitespace and the style of quote marks."""
    return _WHITESPACE.sub(" ", text.translate(_QUOTE_MARKS)).strip()


def _find_quotes(comments: tuple[Comment, ...]) -> list[Comment]:
    """Mark each comment paragraph that repeats an earlier comment's text as a quote of it (the
    latest such comment). Linear in the size of the comments: see :class:`_EarlierComments`."""
    earlier = _EarlierComments()
    result: list[Comment] = []
    for comment in comments:
        quotes: list[CommentQuote] = []
        for paragraph in comment.text.split("\n\n"):
            needle = normalise_for_quotes(paragraph).strip(" \"'>")
            if len(needle) < MIN_QUOTE_CHARS:
                continue
            found = earlier.latest_containing(needle)
            if found is not None:
                quotes.append(CommentQuote(comment=found, text=paragraph))
        result.append(Comment(comment.index, comment.author, comment.posted, comment.text, tuple(quotes)))
        earlier.add(comment.index, normalise_for_quotes(comment.text))
    return result


class _EarlierComments:
    """The comments read so far, indexed by their words, to find which one a paragraph quotes.

    Comparing every paragraph with every earlier comment is quadratic: a scrape with 6,000
    comments took seconds. A quoted paragraph's inner words (those with a space on both sides in
    it) are whole words of the comment it quotes, and so are its runs of three inner words; only
    the comments holding its rarest such word or run are candidates, and only the latest
    ``MAX_CANDIDATES`` of those are compared. A paragraph of fewer than three words is never a
    quote: it has no inner word.
    """

    MAX_CANDIDATES = 64

    def __init__(self) -> None:
        self._texts: list[tuple[int, str]] = []
        self._holding: dict[str, list[int]] = {}

    def add(self, index: int, normalised: str) -> None:
        position = len(self._texts)
        self._texts.append((index, normalised))
        for key in _keys(normalised.split(" ")):
            self._holding.setdefault(key, []).append(position)

    def latest_containing(self, needle: str) -> int | None:
        """The index of the latest comment whose normalised text contains ``needle``, if any."""
        inner = needle.split(" ")[1:-1]
        if not inner:
            return None
        rarest: list[int] | None = None
        for key in _keys(inner):
            holding = self._holding.get(key)
            if holding is None:
                return None  # no earlier comment has this word or run: none holds the paragraph
            if rarest is None or len(holding) < len(rarest):
                rarest = holding
        assert rarest is not None
        for position in reversed(rarest[-self.MAX_CANDIDATES :]):
            index, text = self._texts[position]
            if needle in text:
                return index
        return None


def _keys(words: list[str]) -> set[str]:
    """Each word, and each run of three (joined by spaces, so never equal to a word)."""
    return {*words, *map(" ".join, zip(words, words[1:], words[2:], strict=False))}


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


def _basename(source: str) -> str:
    return Path(source).name or source
