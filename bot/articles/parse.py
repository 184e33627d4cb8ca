"""Reading article files: the scraped blog-post format, Markdown and plain text, each parsed in a
module of its own (:mod:`~bot.articles.scrape`, :mod:`~bot.articles.markdown`,
:mod:`~bot.articles.plain`); here the file is read and decoded, its format told, and the body
joined and sectioned.

The body is rebuilt from its paragraphs joined by one blank line, each paragraph kept exactly as
written: quotes are later checked verbatim against it, so only the whitespace *between*
paragraphs is normalised. Parsing never guesses beyond what the text shows; a scrape that stops
in the middle of a comment gives the comments that are there.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from bot.articles.frontmatter import has_front_matter
from bot.articles.markdown import parse_markdown
from bot.articles.parsed import RawBlock
from bot.articles.plain import parse_plain
from bot.articles.quotes import find_quotes
from bot.articles.scrape import BYLINE, parse_blog
from bot.articles.sections import DEFAULT_TARGET_CHARS, Block, make_sections
from bot.domain.article import Article
from bot.errors import ArticleFormatError

MAX_ARTICLE_BYTES = 2_000_000
"""Far above any blog post; keeps a stray upload from filling the database."""


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
            parsed = parse_blog(lines)
        except ArticleFormatError as error:
            raise ArticleFormatError(f"{_basename(source)}: {error}") from None
    elif fmt == "markdown":
        parsed = parse_markdown(lines, _basename(source))
    else:
        parsed = parse_plain(lines)
    body, blocks = join_blocks(parsed.blocks)
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
        comments=tuple(find_quotes(parsed.comments)),
        url=parsed.url,
    )


def join_blocks(raw: Iterable[RawBlock]) -> tuple[str, list[Block]]:
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


def _basename(source: str) -> str:
    return Path(source).name or source
