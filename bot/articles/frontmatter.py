"""YAML front matter at the top of a Markdown article: ``title``, ``author``, ``date``, ``url``.

The block between a first line ``---`` and the next ``---`` (or ``...``) line is read with
PyYAML's ``safe_load`` (plain data only: no tags that build objects) and never becomes article
text. Other keys (``tags``, ``layout``…, as static-site generators write them) are ignored. A block
that cannot be read is refused in one line naming what is wrong, so nothing is imported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.errors import ArticleFormatError

OPEN = "---"
CLOSE = ("---", "...")
MAX_URL_CHARS = 2048
MAX_FRONT_MATTER_CHARS = 64_000
"""Front matter is a few lines; PyYAML (pure Python) takes seconds to read a megabyte of it."""


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The fields a Markdown file's front matter may set; each is None when the file does not give it (the
    title then comes from the body's first heading)."""

    title: str | None = None
    author: str | None = None
    date: dt.date | None = None
    url: str | None = None


def has_front_matter(lines: list[str]) -> bool:
    """Whether the text opens with a front matter fence (``---`` alone on the first line)."""
    return bool(lines) and lines[0].rstrip() == OPEN


def split_front_matter(lines: list[str], name: str) -> tuple[FrontMatter, list[str]]:
    """The front matter read from the top of ``lines`` and the lines after it (all of ``lines``
    and an empty :class:`FrontMatter` when there is none)."""
    if not has_front_matter(lines):
        return FrontMatter(), lines
    for end in range(1, len(lines)):
        if lines[end].rstrip() in CLOSE:
            return read_front_matter("\n".join(lines[1:end]), name), lines[end + 1 :]
    raise ArticleFormatError(f"{name}: front matter opened by --- on line 1 is never closed by a --- line")


def read_front_matter(block: str, name: str) -> FrontMatter:
    """The known keys of a front matter block (the text between the fences)."""
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise ArticleFormatError(
            f"{name}: front matter is too long ({len(block):,} characters; the limit is"
            f" {MAX_FRONT_MATTER_CHARS:,}): it is for title, author, date and url"
        )
    import yaml  # here, not with the module: only a Markdown file with front matter needs it

    try:
        data = yaml.safe_load(block)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" on line {mark.line + 2}" if mark is not None else ""  # +1: 0-based, +1: the fence
        problem = error.problem or error.context or "cannot be read"
        raise ArticleFormatError(f"{name}: front matter is not valid YAML{where} ({problem})") from None
    except yaml.YAMLError as error:
        raise ArticleFormatError(
            f"{name}: front matter is not valid YAML ({_one_line(str(error))})"
        ) from None
    except (ValueError, OverflowError) as error:
        # PyYAML builds dates as it reads: 2012-13-45 fails there, not as a syntax error.
        raise ArticleFormatError(
            f"{name}: front matter holds an impossible value ({_one_line(str(error))}); dates are YYYY-MM-DD"
        ) from None
    except RecursionError:
        raise ArticleFormatError(f"{name}: front matter is nested too deeply to read") from None
    if data is None:
        return FrontMatter()
    if not isinstance(data, dict):
        raise ArticleFormatError(
            f"{name}: front matter must be `key: value` lines (title, author, date, url), not {_kind(data)}"
        )
    return FrontMatter(
        title=_text(data, "title", name),
        author=_text(data, "author", name),
        date=_date(data, name),
        url=_url(data, name),
    )


def _text(data: dict[object, object], key: str, name: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ArticleFormatError(f"{name}: front matter `{key}` must be text, not {_kind(value)}")
    text = " ".join(str(value).split())
    return text or None


def _date(data: dict[object, object], name: str) -> dt.date | None:
    value = data.get("date")
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).date()
        except ValueError:
            pass
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        # Never str() a list or mapping: aliases can make one that prints to gigabytes.
        raise ArticleFormatError(
            f"{name}: front matter `date` must be a date (YYYY-MM-DD), not {_kind(value)}"
        )
    shown = _one_line(str(value)[:200])[:40]
    raise ArticleFormatError(f"{name}: front matter `date` {shown!r} is not a date (write it as YYYY-MM-DD)")


def _url(data: dict[object, object], name: str) -> str | None:
    value = data.get("url")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ArticleFormatError(f"{name}: front matter `url` must be a web address, not {_kind(value)}")
    url = value.strip()
    parts = urlsplit(url) if len(url) <= MAX_URL_CHARS and not any(c.isspace() for c in url) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        shown = _one_line(url)[:60]
        raise ArticleFormatError(
            f"{name}: front matter `url` {shown!r} is not a web address (http:// or https://)"
        )
    return url


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    return "text" if isinstance(value, str) else type(value).__name__


def _one_line(text: str) -> str:
    return " ".join(text.split())
