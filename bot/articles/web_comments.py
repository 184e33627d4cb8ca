"""A page's comment section read structurally: WordPress's comment lists (threaded replies in
``.children``), Blogger's comment threads and its classic comment block, and schema.org ``Comment``
data (JSON-LD or microdata), each comment with its author, time, paragraphs, quoted paragraphs and the
comment it answers. Split from :mod:`bot.articles.web`, which reads the article around it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.articles.scrape import MONTHS
from bot.articles.web_html import (
    author_name,
    class_xpath,
    first,
    first_of,
    flat_text,
    has_class,
    json_ld,
    schema_types,
)


@dataclass(frozen=True, slots=True)
class WebComment:
    """A comment as one page shows it; ``key`` is the page's id for it (``comment-123``), ``parent`` the key
    of the comment it answers."""

    key: str
    author: str
    posted: dt.datetime | None
    paragraphs: tuple[str, ...]
    quoted: tuple[str, ...] = ()
    """Paragraphs the commenter set as a quotation (a ``<blockquote>``)."""
    parent: str | None = None
    positional: bool = False
    """``key`` is the reader's own numbering, where the layout gives the comment no id (classic
    Blogger without anchors, schema.org data without ``@id``): it moves as earlier comments are
    deleted, so it names no comment from one fetch to the next."""

    @property
    def blog_id(self) -> str | None:
        """The blog's own id for the comment, if the page gives one."""
        return None if self.positional or not self.key else self.key


def page_comments(tree: Any) -> tuple[WebComment, ...]:
    """The page's comments: WordPress's list, else Blogger's threads, else schema.org data."""
    for read in (_wordpress, _blogger_threads, _blogger_classic, _schema_comments, _microdata_comments):
        found = tuple(read(tree))
        if found:
            return found
    return ()


def _wordpress(tree: Any) -> Iterator[WebComment]:
    lists = tree.xpath(
        "//ol[" + " or ".join(class_xpath(c) for c in ("commentlist", "comment-list", "comments-list")) + "]"
        "|//ul[" + " or ".join(class_xpath(c) for c in ("commentlist", "comment-list", "comments-list")) + "]"
    )
    # Nested lists (a theme's ``children`` lists carrying the same class) are walked from their top one.
    tops = [el for el in lists if not any(a in lists for a in el.iterancestors())]
    for top in tops:
        yield from _wordpress_list(top, None)


def _wordpress_list(container: Any, parent: str | None) -> Iterator[WebComment]:
    for item in container:
        if item.tag != "li":
            continue
        if has_class(item, "pingback", "trackback"):
            continue
        key = item.get("id") or first(item, './/*[starts-with(@id, "comment-")]/@id') or ""
        if not (has_class(item, "comment") or key.startswith(("comment-", "li-comment-"))):
            continue
        key = key.removeprefix("li-")
        replies = [c for c in item if c.tag in ("ul", "ol") and has_class(c, "children")]
        body = first_of(item, "./*[" + class_xpath("comment-body") + "]", "./article|./div")
        body = item if body is None else body
        comment = _wordpress_comment(body, key, parent, skip=replies)
        if comment is not None:
            yield comment
        for sub in replies:
            yield from _wordpress_list(sub, key)


def _wordpress_comment(body: Any, key: str, parent: str | None, skip: list[Any]) -> WebComment | None:
    name = first_of(
        body, ".//*[" + class_xpath("fn") + "]", ".//cite", ".//*[" + class_xpath("comment-author") + "]"
    )
    # The name's first line: themes put a badge ("Author") or "says:" after it.
    shown = flat_text(name).split("\n")[0] if name is not None else ""
    author = re.sub(r"\s*(?:says|sagt|dit|dice)\s*:?\s*$", "", shown)
    time_el = first(body, ".//time[@datetime]")
    posted = _iso_time(time_el.get("datetime")) if time_el is not None else None
    if posted is None:
        meta = first(
            body, ".//*[" + class_xpath("comment-meta") + " or " + class_xpath("commentmetadata") + "]"
        )
        posted = _shown_time(flat_text(meta)) if meta is not None else None
    content = first(
        body, ".//*[" + class_xpath("comment-content") + " or " + class_xpath("comment-text") + "]"
    )
    if content is None:
        furniture = (
            "comment-author",
            "comment-meta",
            "commentmetadata",
            "reply",
            "comment-awaiting-moderation",
        )
        content_children = [
            c
            for c in body
            if isinstance(c.tag, str) and c not in skip and not has_class(c, *furniture) and c.tag != "footer"
        ]
    else:
        content_children = [content]
    paragraphs, quoted = _paragraphs(content_children)
    if not author and not paragraphs:
        return None
    return WebComment(key, author or "Anonymous", posted, tuple(paragraphs), tuple(quoted), parent)


_BLOCK_TAGS = {"p", "blockquote", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "div", "li", "dl"}


def _paragraphs(elements: Iterable[Any]) -> tuple[list[str], list[str]]:
    """The paragraphs of a comment's content and those of them inside a ``<blockquote>``."""
    paragraphs: list[str] = []
    quoted: list[str] = []

    def visit(element: Any, in_quote: bool) -> None:
        if not isinstance(element.tag, str) or has_class(element, "reply", "comment-reply-link"):
            return
        inner_blocks = [c for c in element if isinstance(c.tag, str) and c.tag in _BLOCK_TAGS]
        quote = in_quote or element.tag in ("blockquote", "q")
        if inner_blocks:
            loose = (element.text or "").strip()
            if loose:
                paragraphs.append(" ".join(loose.split()))
            for child in element:
                visit(child, quote)
                tail = (child.tail or "").strip() if isinstance(child.tag, str) else ""
                if tail and child.tag in _BLOCK_TAGS:
                    paragraphs.append(" ".join(tail.split()))
            return
        text = flat_text(element)
        if text:
            paragraphs.append(text)
            if quote:
                quoted.append(text)

    for element in elements:
        visit(element, False)
    return paragraphs, quoted


def _blogger_threads(tree: Any) -> Iterator[WebComment]:
    """Blogger's threaded layout: ``li.comment`` in the top-level thread, replies under ``.comment-replies``."""
    top = first(tree, "//*[" + class_xpath("comment-thread") + " and " + class_xpath("toplevel-thread") + "]")
    if top is None:
        return
    lists = top.xpath("./ol")
    for ol in lists:
        yield from _blogger_list(ol, None)


def _blogger_list(ol: Any, parent: str | None) -> Iterator[WebComment]:
    for item in ol.xpath("./li[" + class_xpath("comment") + "]"):
        key = item.get("id") or ""
        block = first(item, "./*[" + class_xpath("comment-block") + "]")
        if block is not None:
            name = first_of(block, ".//cite", ".//*[" + class_xpath("user") + "]")
            when = first(block, ".//*[" + class_xpath("datetime") + "]")
            content = first(block, ".//*[" + class_xpath("comment-content") + "]")
            if content is not None and not has_class(content, "deleted-comment"):
                paragraphs = [p for p in flat_text(content).split("\n\n") if p]
                posted = _blogger_time(when)
                yield WebComment(
                    key,
                    flat_text(name) if name is not None else "Anonymous",
                    posted,
                    tuple(paragraphs),
                    (),
                    parent,
                )
        for replies in item.xpath("./*[" + class_xpath("comment-replies") + "]//ol"):
            yield from _blogger_list(replies, key)


_SHOW_COMMENT = re.compile(r"showComment=(\d{10,13})")


def _blogger_time(when: Any) -> dt.datetime | None:
    """A Blogger comment's time as the blog shows it (its own time, like WordPress's), else from the link's
    ``showComment=`` milliseconds (UTC) when the shown text is in a language not read here."""
    if when is None:
        return None
    shown = _shown_time(flat_text(when))
    if shown is not None:
        return shown
    link = first(when, ".//a/@href") or ""
    match = _SHOW_COMMENT.search(link)
    if match:
        stamp = int(match.group(1))
        seconds = stamp // 1000 if stamp > 10**11 else stamp
        return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)
    return None


def _blogger_classic(tree: Any) -> Iterator[WebComment]:
    """Blogger's classic layout: ``dl#comments-block`` of ``dt.comment-author`` / ``dd.comment-body`` /
    ``dd.comment-footer``."""
    block = first(tree, '//dl[@id="comments-block"]')
    if block is None:
        return
    author: str | None = None
    key = ""
    paragraphs: list[str] = []
    for element in block:
        if element.tag == "dt":
            author = re.sub(
                r"\s*(?:said|dijo|a dit|hat gesagt)\s*\.{0,3}:?\s*$", "", flat_text(element), flags=re.I
            )
            given = element.get("id") or first(element, ".//a/@name")
            key = given or f"c{len(paragraphs)}"
        elif element.tag == "dd" and has_class(element, "comment-body"):
            paragraphs = [p for p in flat_text(element).split("\n\n") if p]
        elif element.tag == "dd" and has_class(element, "comment-footer") and author is not None:
            posted = _blogger_time(element)
            yield WebComment(key, author or "Anonymous", posted, tuple(paragraphs), positional=not given)
            author, paragraphs = None, []


def _schema_comments(tree: Any) -> Iterator[WebComment]:
    """schema.org ``Comment`` objects in JSON-LD (under the article's ``comment``), replies nested in theirs."""
    seen: set[int] = set()
    counter = iter(range(1, 1_000_000))

    def walk(item: Any, parent: str | None) -> Iterator[WebComment]:
        if not isinstance(item, dict) or id(item) in seen or "Comment" not in schema_types(item):
            return
        seen.add(id(item))
        given = item.get("@id") or item.get("url")
        key = str(given or f"ld-{next(counter)}")
        text = str(item.get("text") or "")
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
        posted = _iso_time(str(item.get("dateCreated") or item.get("datePublished") or ""))
        name = author_name(item.get("author")) or "Anonymous"
        yield WebComment(key, name, posted, tuple(paragraphs), (), parent, positional=not given)
        replies = item.get("comment") or []
        for reply in replies if isinstance(replies, list) else [replies]:
            yield from walk(reply, key)

    for item in json_ld(tree):
        if "Comment" in schema_types(item):
            yield from walk(item, None)
        replies = item.get("comment")
        for reply in replies if isinstance(replies, list) else [replies] if replies else []:
            yield from walk(reply, None)


def _microdata_comments(tree: Any) -> Iterator[WebComment]:
    """schema.org ``Comment`` microdata (``itemtype=…/Comment``), a reply being nested in its parent."""
    items = tree.xpath('//*[@itemscope and contains(@itemtype, "schema.org/Comment")]')
    for number, item in enumerate(items, start=1):

        def own(prop: str, item: Any = item) -> Any:
            found = [
                el
                for el in item.xpath(f'.//*[@itemprop="{prop}"]')
                if next((a for a in el.iterancestors() if a in items), None) is item
            ]
            return found[0] if found else None

        given = item.get("id")
        key = given or f"md-{number}"
        parent_el = next((a for a in item.iterancestors() if a in items), None)
        parent = (
            (parent_el.get("id") or f"md-{items.index(parent_el) + 1}") if parent_el is not None else None
        )
        author_el = own("author")
        name_el = first(author_el, './/*[@itemprop="name"]') if author_el is not None else None
        author = flat_text(name_el if name_el is not None else author_el) if author_el is not None else ""
        when = own("dateCreated")
        when = own("datePublished") if when is None else when
        posted = (
            _iso_time(when.get("datetime") or when.get("content") or flat_text(when))
            if when is not None
            else None
        )
        text_el = own("text")
        paragraphs, quoted = _paragraphs([text_el]) if text_el is not None else ([], [])
        yield WebComment(
            key, author or "Anonymous", posted, tuple(paragraphs), tuple(quoted), parent, positional=not given
        )


def _iso_time(value: str | None) -> dt.datetime | None:
    """A comment's time as the page gives it, in the site's own time (its zone dropped, like the
    scrape format's times)."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return _shown_time(value)


_GERMAN_MONTHS = (
    "januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
    "november", "dezember",
)  # fmt: skip
_SHOWN = re.compile(
    r"(?P<month>" + "|".join(MONTHS + _GERMAN_MONTHS) + r")\s+(?P<day>\d{1,2}),?\s*(?P<year>\d{4})"
    r"(?:\s*(?:at|um|@|,)?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::\d{2})?\s*(?P<ampm>[ap])?\.?m?\.?)?",
    re.I,
)
_SHOWN_DAY_FIRST = re.compile(
    r"(?P<day>\d{1,2})\.?\s+(?P<month>" + "|".join(MONTHS + _GERMAN_MONTHS) + r")\s+(?P<year>\d{4})"
    r"(?:\D{1,8}(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[ap])?\.?m?\.?)?",
    re.I,
)


def _shown_time(text: str) -> dt.datetime | None:
    """A time as themes print it: ``August 5, 2019 at 2:51 am`` or ``10. Februar 2019 um 18:05 Uhr``."""
    match = _SHOWN.search(text) or _SHOWN_DAY_FIRST.search(text)
    if match is None:
        return None
    month_name = match["month"].lower()
    month = (MONTHS.index(month_name) if month_name in MONTHS else _GERMAN_MONTHS.index(month_name)) + 1
    hour = int(match["hour"] or 0)
    if match["ampm"]:
        hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
    try:
        return dt.datetime(int(match["year"]), month, int(match["day"]), hour, int(match["minute"] or 0))  # noqa: DTZ001 (the site's local time)
    except ValueError:
        return None
