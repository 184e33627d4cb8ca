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
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.articles.parse import join_blocks
from bot.articles.parsed import RawBlock
from bot.articles.quotes import MIN_QUOTE_CHARS, EarlierComments, normalise_for_quotes
from bot.articles.sections import DEFAULT_TARGET_CHARS, make_sections
from bot.articles.web_comments import WebComment, page_comments
from bot.articles.web_html import (
    author_name,
    class_xpath,
    clean_text,
    first,
    flat_text,
    html_tree,
    json_ld,
    schema_types,
)
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
    tree = html_tree(html)
    if tree is None:
        return ""
    for dead in tree.xpath("//script|//style|//noscript|//template"):
        dead.drop_tree()
    return " ".join(tree.text_content().split())


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
    tree = html_tree(html)
    meta = _schema_article(tree)
    title = clean_text(meta.get("headline") or doc.get("title"))
    author = author_name(meta.get("author")) or _byline(doc.get("author"))
    published = _date(meta.get("datePublished")) or _date(doc.get("date"))
    blocks = _blocks(doc, title)
    if not blocks:
        raise ArticleFormatError(f"{name}: no article text found on the page; {WHAT_TO_DO}")
    comments = page_comments(tree) if tree is not None else ()
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
            text = flat_text(element)
            if text and not (not blocks and title and text == title):
                blocks.append((text, text))
        elif element.tag == "list":
            for item in element.iter("item"):
                text = flat_text(item)
                if text:
                    blocks.append((text, None))
        elif element.tag == "table":
            for row in element.iter("row"):
                text = " | ".join(t for cell in row.iter("cell") if (t := flat_text(cell)))
                if text:
                    blocks.append((text, None))
        else:
            text = flat_text(element)
            if text:
                blocks.append((text, None))
    return blocks


_BYLINE_NOISE = re.compile(r"^(?:view all posts by|posted by|written by|by)\s+", re.I)


def _byline(text: str | None) -> str | None:
    cleaned = clean_text(text)
    return _BYLINE_NOISE.sub("", cleaned) if cleaned else None


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


_ARTICLE_TYPES = {"Article", "BlogPosting", "NewsArticle", "Report", "SocialMediaPosting", "TechArticle"}


def _schema_article(tree: Any) -> dict[str, Any]:
    return next((item for item in json_ld(tree) if schema_types(item) & _ARTICLE_TYPES), {})


_BIO_LINKS = re.compile(r"^(?:view all posts|all posts by|more posts by)\b", re.I)


def _bio(tree: Any) -> str | None:
    """The author's box under the post (WordPress themes' ``author-bio``/``author-info``/``about-author``)."""
    for name in ("author-bio", "author-info", "about-author", "author-description", "author-box"):
        box = first(tree, f"//*[{class_xpath(name)}]")
        if box is not None:
            paragraphs = [t for p in box.xpath(".//p") if (t := flat_text(p))] or flat_text(box).split("\n")
            text = "\n\n".join(p for p in paragraphs if p and not _BIO_LINKS.match(p))
            if text:
                return text
    return None


# --- comments -------------------------------------------------------------------------------------------


def _comment_page_links(tree: Any, url: str) -> Iterator[str]:
    """Addresses of the other pages of this comment section (WordPress's ``/comment-page-N/`` and
    ``?cpage=N``, the "Older comments" / "Newer comments" links)."""
    seen: set[str] = set()
    for link in tree.xpath("//a[@href]"):
        href = urljoin(url, link.get("href"))
        text = flat_text(link).lower()
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
        if number == 1 or _OLDER.search(flat_text(link)) or "nav-previous" in boxes or "prev" in boxes:
            return True
    return False


def page_key(url: str) -> str:
    """How a comment page is known from one fetch to the next: its address's path and query,
    without the fragment or a trailing slash."""
    parts = urlsplit(url.split("#", maxsplit=1)[0])
    return parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")


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
    pages: list[tuple[int, str, list[WebComment]]] = []
    numbers = [n for address, _ in more if (n := comment_page_number(address)) is not None]
    own = comment_page_number(url)
    if own is None:
        # The article's own address shows the newest page when it links back to older ones (WordPress's
        # default), else the first page (a blog set to show the oldest comments first).
        own = max(numbers, default=0) + 1 if first.shows_older_links else min(numbers, default=2) - 1
    pages.append((own, "", list(first.comments)))
    for address, page in more:
        pages.append((comment_page_number(address) or 0, page_key(address), list(page.comments)))
    pages.sort(key=lambda p: p[0])
    ordered: list[WebComment] = []
    read_on: list[str] = []
    keys: set[str] = set()
    for _, key, on_page in pages:
        for raw_comment in on_page:
            if raw_comment.key and raw_comment.key in keys:
                continue
            keys.add(raw_comment.key)
            ordered.append(raw_comment)
            read_on.append(key)
    index_of = {c.key: number for number, c in enumerate(ordered, start=1) if c.key}
    earlier = EarlierComments()
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
        comments.append(
            Comment(
                number,
                raw.author,
                raw.posted,
                text,
                tuple(quotes),
                page=read_on[number - 1],
                blog_id=raw.blog_id,
            )
        )
        earlier.add(number, normalise_for_quotes(text))
    body, blocks = join_blocks(RawBlock(text, heading) for text, heading in first.blocks)
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
