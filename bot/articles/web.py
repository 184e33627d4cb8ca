"""Reading a web page (an article's address) into an :class:`Article`: the main text and its metadata by
trafilatura, the comment section structurally (WordPress's comment lists, Blogger's comment threads,
schema.org ``Comment`` data), and the pages that are not the article (a bot challenge, a paywall, a page
that needs JavaScript, a consent wall) refused in one line.

Nothing here fetches: :mod:`bot.services.webfetch` brings the pages and this module reads them, so every
rule is tested on saved pages. The body is kept paragraph by paragraph as the page shows it (each
paragraph's text with its whitespace runs folded, the way a browser renders it), so every quote is a
slice of it like a file's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.articles.parse import (
    MIN_QUOTE_CHARS,
    MONTHS,
    _EarlierComments,
    _join_blocks,
    _RawBlock,
    normalise_for_quotes,
)
from bot.articles.sections import DEFAULT_TARGET_CHARS, make_sections
from bot.domain.article import Article, Comment, CommentQuote
from bot.errors import ArticleFormatError

MAX_COMMENT_PAGES = 10
"""Comment pages followed beyond the article's own ("Older comments"): a post with thousands of
comments stops there rather than fetching for minutes."""

WAYBACK = re.compile(
    r"^https?://web\.archive\.org/web/(?P<time>\d{1,14})(?P<flag>[a-z]{2}_)?/(?P<original>.+)$", re.I
)
_WAYBACK_PREFIX = re.compile(
    r"(?:https?:)?(?://web\.archive\.org)?/web/\d{1,14}(?:[a-z]{2}_)?/(?=https?:)", re.I
)
_TOOLBAR = re.compile(r"<!-- BEGIN WAYBACK TOOLBAR INSERT -->.*?<!-- END WAYBACK TOOLBAR INSERT -->", re.S)
_WAYBACK_HEAD = re.compile(
    r"<script[^>]*(?:archive\.org|wombat|__wm)[^>]*>.*?</script>|<link[^>]*archive\.org[^>]*>", re.S | re.I
)
_COMMENT_PAGE = re.compile(r"/comment-page-(?P<n>\d+)/?(?:#.*)?$|[?&]cpage=(?P<q>\d+)")


@dataclass(frozen=True, slots=True)
class WaybackCapture:
    """A Wayback Machine address taken apart: the capture's time and the page's own address."""

    time: str
    original: str

    @property
    def raw(self) -> str:
        """The capture as it was saved (``id_``): no toolbar, the page's own links."""
        return self.raw_of(self.original)

    def raw_of(self, address: str) -> str:
        """Another page of the same site at the same time (a comment page), raw."""
        return f"https://web.archive.org/web/{self.time}id_/{address}"


def wayback_capture(url: str) -> WaybackCapture | None:
    """The capture a ``web.archive.org/web/<time>/<address>`` URL names, or None for any other URL."""
    match = WAYBACK.match(url.strip())
    if match is None:
        return None
    original = match["original"]
    if not re.match(r"^https?://", original, re.I):
        original = "http://" + original.lstrip("/")
    return WaybackCapture(match["time"], original)


def unwrap_wayback(html: str) -> str:
    """A capture served with the archive's toolbar and rewritten links, as the page was: the toolbar and
    the archive's scripts left out, each ``/web/<time>/https://…`` link back to ``https://…``."""
    html = _TOOLBAR.sub("", html)
    html = _WAYBACK_HEAD.sub("", html)
    return _WAYBACK_PREFIX.sub("", html)


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


@dataclass(frozen=True, slots=True)
class WebPage:
    """What one fetched HTML page holds: the article's metadata and body blocks, its comments, the other
    pages of its comment section."""

    title: str | None
    author: str | None
    published: dt.date | None
    url: str | None
    blocks: tuple[tuple[str, str | None], ...]
    """(text, heading) per block: a heading block has its text as its heading."""
    bio: str | None
    comments: tuple[WebComment, ...]
    comment_pages: tuple[str, ...]
    shows_older_links: bool = False
    """Whether this page links to older comment pages ("Older comments", page 1): it is then a later page
    (the newest, where WordPress shows the article's own address)."""


# --- refusals -------------------------------------------------------------------------------------------

_CHALLENGE = re.compile(
    r"cf-browser-verification|challenge-platform|cf-chl-|<title>\s*(?:Just a moment\.\.\.|Attention Required!"
    r"|Access denied)[^<]*</title>|_Incapsula_Resource|captcha-delivery\.com|px-captcha|"
    r"<title>\s*DDoS-Guard",
    re.I,
)
_PAYWALL = re.compile(
    r"subscribe (?:now )?to (?:continue )?read|subscribers? only|to continue reading,? (?:please )?"
    r"(?:subscribe|log in|sign in)|already a subscriber\?|this (?:article|content) is (?:only )?"
    r"(?:available|reserved) (?:to|for) (?:our )?(?:paying )?subscribers|paywall",
    re.I,
)
_CONSENT = re.compile(
    r"before you continue|consent\.(?:google|yahoo)|we value your privacy|cookie consent|"
    r"accept (?:all )?cookies to (?:continue|view)|manage (?:your )?consent|<title>[^<]*consent[^<]*</title>",
    re.I,
)
_NEEDS_JS = re.compile(
    r"enable javascript|javascript (?:is )?(?:required|disabled)|requires javascript|"
    r'id="(?:root|app|__next|__nuxt)"\s*>\s*</div>',
    re.I,
)
THIN_TEXT_CHARS = 400
"""An article's text is longer than this: a page with less text and a paywall, consent or JavaScript sign
is that sign, not a short article."""
WHAT_TO_DO = (
    "import its Wayback Machine capture (web.archive.org/web/…) or save the article as a Markdown file"
)


def refuse_non_article(html: str, *, name: str, status: int = 200) -> None:
    """Raise an :class:`ArticleFormatError` naming what the page is when it is not the article: a bot
    challenge (whatever its status), or a paywall, consent wall or JavaScript shell with hardly any text."""
    if _CHALLENGE.search(html):
        raise ArticleFormatError(
            f"{name}: is a bot-protection challenge (HTTP {status}), not the article; {WHAT_TO_DO}"
        )
    visible = _visible_text(html)
    if len(visible) >= THIN_TEXT_CHARS * 3:
        return
    if _PAYWALL.search(html) and len(visible) < THIN_TEXT_CHARS * 3:
        raise ArticleFormatError(f"{name}: is behind a paywall (it asks to subscribe); {WHAT_TO_DO}")
    if _CONSENT.search(html):
        raise ArticleFormatError(f"{name}: is a consent wall (it asks to accept cookies first); {WHAT_TO_DO}")
    if len(visible) < THIN_TEXT_CHARS and (_NEEDS_JS.search(html) or html.lower().count("<script") >= 3):
        raise ArticleFormatError(
            f"{name}: shows its text only with JavaScript (the page holds {len(visible)} characters of text);"
            f" {WHAT_TO_DO}"
        )


def _visible_text(html: str) -> str:
    tree = _tree(html)
    if tree is None:
        return ""
    for dead in tree.xpath("//script|//style|//noscript|//template"):
        dead.drop_tree()
    return " ".join(tree.text_content().split())


def _tree(html: str) -> Any:
    import lxml.html

    try:
        return lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None


# --- the page -------------------------------------------------------------------------------------------


def read_page(html: str, *, url: str, name: str) -> WebPage:
    """The article's title, author, date, address, body blocks and bio, the comments of this page, and the
    addresses of its other comment pages. Refuses a page that is not an article."""
    import trafilatura
    from lxml import etree

    refuse_non_article(html, name=name)
    extracted = trafilatura.extract(
        html,
        url=url,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        with_metadata=True,
        deduplicate=False,
    )
    if not extracted:
        raise ArticleFormatError(f"{name}: no article text found on the page; {WHAT_TO_DO}")
    doc = etree.fromstring(extracted.encode("utf-8"))
    tree = _tree(html)
    meta = _schema_article(tree)
    title = _clean(meta.get("headline") or doc.get("title"))
    author = _author(meta.get("author")) or _byline(doc.get("author"))
    published = _date(meta.get("datePublished")) or _date(doc.get("date"))
    blocks = _blocks(doc, title)
    if not blocks:
        raise ArticleFormatError(f"{name}: no article text found on the page; {WHAT_TO_DO}")
    comments = _comments(tree) if tree is not None else ()
    return WebPage(
        title=title,
        author=author,
        published=published,
        url=doc.get("url") or None,
        blocks=tuple(blocks),
        bio=_bio(tree) if tree is not None else None,
        comments=comments,
        comment_pages=tuple(_comment_page_links(tree, url)) if tree is not None else (),
        shows_older_links=_links_older(tree, url) if tree is not None else False,
    )


def _blocks(doc: Any, title: str | None) -> list[tuple[str, str | None]]:
    main = doc.find("main")
    if main is None:
        return []
    blocks: list[tuple[str, str | None]] = []
    for element in main:
        if element.tag == "head":
            text = _flat(element)
            if text and not (not blocks and title and text == title):
                blocks.append((text, text))
        elif element.tag == "list":
            for item in element.iter("item"):
                text = _flat(item)
                if text:
                    blocks.append((text, None))
        elif element.tag == "table":
            for row in element.iter("row"):
                text = " | ".join(t for cell in row.iter("cell") if (t := _flat(cell)))
                if text:
                    blocks.append((text, None))
        else:
            text = _flat(element)
            if text:
                blocks.append((text, None))
    return blocks


def _flat(element: Any) -> str:
    """An element's text as a browser shows it: whitespace runs folded to one space, ``<lb/>`` and
    ``<br>`` as line breaks."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.tag in ("lb", "br"):
            parts.append("\n")
        elif node.text:
            parts.append(node.text)
        for child in node:
            if not isinstance(child.tag, str):  # an HTML comment or processing instruction
                if child.tail:
                    parts.append(child.tail)
                continue
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _clean(text: str | None) -> str | None:
    folded = " ".join((text or "").split())
    return folded or None


_BYLINE_NOISE = re.compile(r"^(?:view all posts by|posted by|written by|by)\s+", re.I)


def _byline(text: str | None) -> str | None:
    cleaned = _clean(text)
    return _BYLINE_NOISE.sub("", cleaned) if cleaned else None


def _author(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for v in value if (n := _author(v))]
        return ", ".join(names) or None
    if isinstance(value, dict):
        return _clean(str(value.get("name") or "")) if value.get("name") else None
    return _clean(value) if isinstance(value, str) else None


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None


def _json_ld(tree: Any) -> Iterator[dict[str, Any]]:
    """Every object of the page's JSON-LD blocks, nested ones (``@graph``) included."""
    if tree is None:
        return
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "null")
        except ValueError:
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type")
    return set(kind) if isinstance(kind, list) else {str(kind)}


_ARTICLE_TYPES = {"Article", "BlogPosting", "NewsArticle", "Report", "SocialMediaPosting", "TechArticle"}


def _schema_article(tree: Any) -> dict[str, Any]:
    return next((item for item in _json_ld(tree) if _types(item) & _ARTICLE_TYPES), {})


def _classes(element: Any) -> set[str]:
    return set((element.get("class") or "").split())


def _has_class(element: Any, *names: str) -> bool:
    return bool(_classes(element) & set(names))


def _first(element: Any, xpath: str) -> Any:
    found = element.xpath(xpath)
    return found[0] if found else None


def _first_of(element: Any, *xpaths: str) -> Any:
    for xpath in xpaths:
        found = _first(element, xpath)
        if found is not None:
            return found
    return None


def _cls(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


_BIO_LINKS = re.compile(r"^(?:view all posts|all posts by|more posts by)\b", re.I)


def _bio(tree: Any) -> str | None:
    """The author's box under the post (WordPress themes' ``author-bio``/``author-info``/``about-author``)."""
    for name in ("author-bio", "author-info", "about-author", "author-description", "author-box"):
        box = _first(tree, f"//*[{_cls(name)}]")
        if box is not None:
            paragraphs = [t for p in box.xpath(".//p") if (t := _flat(p))] or _flat(box).split("\n")
            text = "\n\n".join(p for p in paragraphs if p and not _BIO_LINKS.match(p))
            if text:
                return text
    return None


# --- comments -------------------------------------------------------------------------------------------


def _comments(tree: Any) -> tuple[WebComment, ...]:
    """The page's comments: WordPress's list, else Blogger's threads, else schema.org data."""
    for read in (_wordpress, _blogger_threads, _blogger_classic, _schema_comments, _microdata_comments):
        found = tuple(read(tree))
        if found:
            return found
    return ()


def _wordpress(tree: Any) -> Iterator[WebComment]:
    lists = tree.xpath(
        "//ol[" + " or ".join(_cls(c) for c in ("commentlist", "comment-list", "comments-list")) + "]"
        "|//ul[" + " or ".join(_cls(c) for c in ("commentlist", "comment-list", "comments-list")) + "]"
    )
    # Nested lists (a theme's ``children`` lists carrying the same class) are walked from their top one.
    tops = [el for el in lists if not any(a in lists for a in el.iterancestors())]
    for top in tops:
        yield from _wordpress_list(top, None)


def _wordpress_list(container: Any, parent: str | None) -> Iterator[WebComment]:
    for item in container:
        if item.tag != "li":
            continue
        if _has_class(item, "pingback", "trackback"):
            continue
        key = item.get("id") or _first(item, './/*[starts-with(@id, "comment-")]/@id') or ""
        if not (_has_class(item, "comment") or key.startswith(("comment-", "li-comment-"))):
            continue
        key = key.removeprefix("li-")
        replies = [c for c in item if c.tag in ("ul", "ol") and _has_class(c, "children")]
        body = _first_of(item, "./*[" + _cls("comment-body") + "]", "./article|./div")
        body = item if body is None else body
        comment = _wordpress_comment(body, key, parent, skip=replies)
        if comment is not None:
            yield comment
        for sub in replies:
            yield from _wordpress_list(sub, key)


def _wordpress_comment(body: Any, key: str, parent: str | None, skip: list[Any]) -> WebComment | None:
    name = _first_of(body, ".//*[" + _cls("fn") + "]", ".//cite", ".//*[" + _cls("comment-author") + "]")
    # The name's first line: themes put a badge ("Author") or "says:" after it.
    shown = _flat(name).split("\n")[0] if name is not None else ""
    author = re.sub(r"\s*(?:says|sagt|dit|dice)\s*:?\s*$", "", shown)
    time_el = _first(body, ".//time[@datetime]")
    posted = _iso_time(time_el.get("datetime")) if time_el is not None else None
    if posted is None:
        meta = _first(body, ".//*[" + _cls("comment-meta") + " or " + _cls("commentmetadata") + "]")
        posted = _shown_time(_flat(meta)) if meta is not None else None
    content = _first(body, ".//*[" + _cls("comment-content") + " or " + _cls("comment-text") + "]")
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
            if isinstance(c.tag, str)
            and c not in skip
            and not _has_class(c, *furniture)
            and c.tag != "footer"
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
        if not isinstance(element.tag, str) or _has_class(element, "reply", "comment-reply-link"):
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
        text = _flat(element)
        if text:
            paragraphs.append(text)
            if quote:
                quoted.append(text)

    for element in elements:
        visit(element, False)
    return paragraphs, quoted


def _blogger_threads(tree: Any) -> Iterator[WebComment]:
    """Blogger's threaded layout: ``li.comment`` in the top-level thread, replies under ``.comment-replies``."""
    top = _first(tree, "//*[" + _cls("comment-thread") + " and " + _cls("toplevel-thread") + "]")
    if top is None:
        return
    lists = top.xpath("./ol")
    for ol in lists:
        yield from _blogger_list(ol, None)


def _blogger_list(ol: Any, parent: str | None) -> Iterator[WebComment]:
    for item in ol.xpath("./li[" + _cls("comment") + "]"):
        key = item.get("id") or ""
        block = _first(item, "./*[" + _cls("comment-block") + "]")
        if block is not None:
            name = _first_of(block, ".//cite", ".//*[" + _cls("user") + "]")
            when = _first(block, ".//*[" + _cls("datetime") + "]")
            content = _first(block, ".//*[" + _cls("comment-content") + "]")
            if content is not None and not _has_class(content, "deleted-comment"):
                paragraphs = [p for p in _flat(content).split("\n\n") if p]
                posted = _blogger_time(when)
                yield WebComment(
                    key,
                    _flat(name) if name is not None else "Anonymous",
                    posted,
                    tuple(paragraphs),
                    (),
                    parent,
                )
        for replies in item.xpath("./*[" + _cls("comment-replies") + "]//ol"):
            yield from _blogger_list(replies, key)


_SHOW_COMMENT = re.compile(r"showComment=(\d{10,13})")


def _blogger_time(when: Any) -> dt.datetime | None:
    """A Blogger comment's time as the blog shows it (its own time, like WordPress's), else from the link's
    ``showComment=`` milliseconds (UTC) when the shown text is in a language not read here."""
    if when is None:
        return None
    shown = _shown_time(_flat(when))
    if shown is not None:
        return shown
    link = _first(when, ".//a/@href") or ""
    match = _SHOW_COMMENT.search(link)
    if match:
        stamp = int(match.group(1))
        seconds = stamp // 1000 if stamp > 10**11 else stamp
        return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)
    return None


def _blogger_classic(tree: Any) -> Iterator[WebComment]:
    """Blogger's classic layout: ``dl#comments-block`` of ``dt.comment-author`` / ``dd.comment-body`` /
    ``dd.comment-footer``."""
    block = _first(tree, '//dl[@id="comments-block"]')
    if block is None:
        return
    author: str | None = None
    key = ""
    paragraphs: list[str] = []
    for element in block:
        if element.tag == "dt":
            author = re.sub(
                r"\s*(?:said|dijo|a dit|hat gesagt)\s*\.{0,3}:?\s*$", "", _flat(element), flags=re.I
            )
            key = element.get("id") or _first(element, ".//a/@name") or f"c{len(paragraphs)}"
        elif element.tag == "dd" and _has_class(element, "comment-body"):
            paragraphs = [p for p in _flat(element).split("\n\n") if p]
        elif element.tag == "dd" and _has_class(element, "comment-footer") and author is not None:
            yield WebComment(key, author or "Anonymous", _blogger_time(element), tuple(paragraphs))
            author, paragraphs = None, []


def _schema_comments(tree: Any) -> Iterator[WebComment]:
    """schema.org ``Comment`` objects in JSON-LD (under the article's ``comment``), replies nested in theirs."""
    seen: set[int] = set()
    counter = iter(range(1, 1_000_000))

    def walk(item: Any, parent: str | None) -> Iterator[WebComment]:
        if not isinstance(item, dict) or id(item) in seen or "Comment" not in _types(item):
            return
        seen.add(id(item))
        key = str(item.get("@id") or item.get("url") or f"ld-{next(counter)}")
        text = str(item.get("text") or "")
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
        posted = _iso_time(str(item.get("dateCreated") or item.get("datePublished") or ""))
        yield WebComment(
            key, _author(item.get("author")) or "Anonymous", posted, tuple(paragraphs), (), parent
        )
        replies = item.get("comment") or []
        for reply in replies if isinstance(replies, list) else [replies]:
            yield from walk(reply, key)

    for item in _json_ld(tree):
        if "Comment" in _types(item):
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

        key = item.get("id") or f"md-{number}"
        parent_el = next((a for a in item.iterancestors() if a in items), None)
        parent = (
            (parent_el.get("id") or f"md-{items.index(parent_el) + 1}") if parent_el is not None else None
        )
        author_el = own("author")
        name_el = _first(author_el, './/*[@itemprop="name"]') if author_el is not None else None
        author = _flat(name_el if name_el is not None else author_el) if author_el is not None else ""
        when = own("dateCreated")
        when = own("datePublished") if when is None else when
        posted = (
            _iso_time(when.get("datetime") or when.get("content") or _flat(when))
            if when is not None
            else None
        )
        text_el = own("text")
        paragraphs, quoted = _paragraphs([text_el]) if text_el is not None else ([], [])
        yield WebComment(key, author or "Anonymous", posted, tuple(paragraphs), tuple(quoted), parent)


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


def _comment_page_links(tree: Any, url: str) -> Iterator[str]:
    """Addresses of the other pages of this comment section (WordPress's ``/comment-page-N/`` and
    ``?cpage=N``, the "Older comments" / "Newer comments" links)."""
    seen: set[str] = set()
    for link in tree.xpath("//a[@href]"):
        href = urljoin(url, link.get("href"))
        text = _flat(link).lower()
        if _COMMENT_PAGE.search(href.split("#")[0] + ("#" if "#" in href else "")) or (
            ("older comments" in text or "newer comments" in text) and "comment" in href
        ):
            address = href.split("#")[0]
            if address not in seen and address.rstrip("/") != url.split("#", maxsplit=1)[0].rstrip("/"):
                seen.add(address)
                yield address


_OLDER = re.compile(r"older|previous|earlier|ältere|vorherige|anciens|précédent", re.I)


def _links_older(tree: Any, url: str) -> bool:
    """Whether a comment-page link of this page leads back: its text or its box says "older"/"previous"
    (WordPress's ``nav-previous``), or it is page 1."""
    for link in tree.xpath("//a[@href]"):
        href = urljoin(url, link.get("href"))
        number = comment_page_number(href)
        if number is None:
            continue
        boxes = " ".join((a.get("class") or "") for a in [link, *link.iterancestors()][:3])
        if number == 1 or _OLDER.search(_flat(link)) or "nav-previous" in boxes or "prev" in boxes:
            return True
    return False


def comment_page_number(url: str) -> int | None:
    """The page number a comment page's address carries, if any."""
    match = _COMMENT_PAGE.search(url.split("#", maxsplit=1)[0])
    if match is None:
        return None
    return int(match["n"] or match["q"])


# --- the article ----------------------------------------------------------------------------------------


def build_article(
    first: WebPage,
    more: Iterable[tuple[str, WebPage]] = (),
    *,
    url: str,
    source: str,
    target_chars: int = DEFAULT_TARGET_CHARS,
) -> Article:
    """The article from its page and the other pages of its comment section (address, page), the comments
    in the order the blog numbers them (comment page 1 first) and each reply pointing at what it answers."""
    pages: list[tuple[int, list[WebComment]]] = []
    numbers = [n for address, _ in more if (n := comment_page_number(address)) is not None]
    own = comment_page_number(url)
    if own is None:
        # The article's own address shows the newest page when it links back to older ones (WordPress's
        # default), else the first page (a blog set to show the oldest comments first).
        own = max(numbers, default=0) + 1 if first.shows_older_links else min(numbers, default=2) - 1
    pages.append((own, list(first.comments)))
    for address, page in more:
        pages.append((comment_page_number(address) or 0, list(page.comments)))
    pages.sort(key=lambda p: p[0])
    ordered: list[WebComment] = []
    keys: set[str] = set()
    for _, on_page in pages:
        for raw_comment in on_page:
            if raw_comment.key and raw_comment.key in keys:
                continue
            keys.add(raw_comment.key)
            ordered.append(raw_comment)
    index_of = {c.key: number for number, c in enumerate(ordered, start=1) if c.key}
    earlier = _EarlierComments()
    comments: list[Comment] = []
    for number, raw in enumerate(ordered, start=1):
        text = "\n\n".join(raw.paragraphs)
        parent = index_of.get(raw.parent) if raw.parent else None
        quotes: list[CommentQuote] = []
        if parent is not None and parent < number:
            quotes.append(CommentQuote(comment=parent, text=raw.quoted[0] if raw.quoted else ""))
        else:
            # An unthreaded comment quoting an earlier one in a <blockquote>: the comment it quotes.
            for paragraph in raw.quoted:
                needle = normalise_for_quotes(paragraph).strip(" \"'>")
                found = earlier.latest_containing(needle) if len(needle) >= MIN_QUOTE_CHARS else None
                if found is not None:
                    quotes.append(CommentQuote(comment=found, text=paragraph))
        comments.append(Comment(number, raw.author, raw.posted, text, tuple(quotes)))
        earlier.add(number, normalise_for_quotes(text))
    body, blocks = _join_blocks(_RawBlock(text, heading) for text, heading in first.blocks)
    sections = make_sections(body, blocks, target_chars)
    if not sections:
        raise ArticleFormatError(f"{source}: no article text found on the page; {WHAT_TO_DO}")
    return Article(
        id="",
        title=first.title,
        author=first.author,
        published=first.published,
        declared_comments=None,
        source=source,
        # The store knows three formats; a web page is a blog post with its comments, as a scrape is.
        format="blog",
        body=body,
        sections=sections,
        author_bio=first.bio,
        comments=tuple(comments),
        url=url,
    )


def page_name(url: str) -> str:
    """How a refusal names a page: its host and path."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path) or url
