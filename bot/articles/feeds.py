"""A blog's feed read into its entries (RSS 2.0 and Atom), and a blog page's own feed found
through its ``<link rel="alternate">``: what ``/feed follow`` needs to know which posts are new.

Parsed with the standard library's ``xml.etree`` (expat), which never fetches external entities;
what it would still do is expand entities declared inside the document (the "billion laughs"),
so a feed that declares any is refused before it is parsed: no real feed needs one.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

from bot.errors import ReadalongError

ATOM = "{http://www.w3.org/2005/Atom}"
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
_DECLARES_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)


class FeedFormatError(ReadalongError):
    """The document is not an RSS or Atom feed we read; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One post of the feed: ``key`` is what identifies it for good (its guid or Atom id, else its
    link), ``link`` the address its article is imported from. ``published`` may be unknown."""

    key: str
    link: str
    title: str
    published: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed's title and its entries, newest first (dated ones by date; undated ones keep the
    feed's own order, which blogs write newest first), each key once."""

    title: str
    entries: tuple[FeedEntry, ...]


def looks_like_feed(text: str) -> bool:
    """Whether ``text`` is XML with an RSS or Atom root rather than a web page."""
    head = text.lstrip()[:2048].lower()
    return head.startswith("<?xml") or "<rss" in head or "<feed" in head


def parse_feed(text: str, *, url: str) -> Feed:
    """The entries of an RSS 2.0 or Atom document found at ``url`` (relative links resolved
    against it); a :class:`FeedFormatError` for anything else."""
    if _DECLARES_ENTITY.search(text):
        raise FeedFormatError(f"{url}: the feed declares XML entities, which are refused")
    try:
        root = ET.fromstring(text.lstrip("\ufeff \t\r\n"))
    except ET.ParseError as error:
        raise FeedFormatError(f"{url}: is not a readable feed (XML error: {error})") from None
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise FeedFormatError(f"{url}: an RSS document without a <channel>")
        title = (channel.findtext("title") or "").strip()
        entries = [_rss_item(item, url) for item in channel.findall("item")]
    elif root.tag == f"{ATOM}feed":
        title = (root.findtext(f"{ATOM}title") or "").strip()
        entries = [_atom_entry(entry, url) for entry in root.findall(f"{ATOM}entry")]
    else:
        raise FeedFormatError(f"{url}: is neither an RSS 2.0 nor an Atom feed")
    return Feed(title or url, _ordered(entries))


def _ordered(entries: list[FeedEntry | None]) -> tuple[FeedEntry, ...]:
    seen: set[str] = set()
    kept: list[tuple[int, FeedEntry]] = []
    for place, entry in enumerate(entries):
        if entry is None or entry.key in seen:
            continue  # an entry without an address cannot be imported; a repeated one is one entry
        seen.add(entry.key)
        kept.append((place, entry))
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    # Newest first by date; an undated entry stays where the feed put it among its neighbours.
    if all(entry.published is not None for _, entry in kept):
        kept.sort(key=lambda pair: pair[1].published or epoch, reverse=True)
    return tuple(entry for _, entry in kept)


def _rss_item(item: ET.Element, base: str) -> FeedEntry | None:
    link = (item.findtext("link") or "").strip()
    guid = (item.findtext("guid") or "").strip()
    if not link and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        return None
    link = urljoin(base, link)
    return FeedEntry(
        key=guid or link,
        link=link,
        title=(item.findtext("title") or "").strip() or link,
        published=_rfc822(item.findtext("pubDate")),
    )


def _atom_entry(entry: ET.Element, base: str) -> FeedEntry | None:
    link = ""
    for candidate in entry.findall(f"{ATOM}link"):
        rel = candidate.get("rel", "alternate")
        if rel == "alternate" and candidate.get("href"):
            link = candidate.get("href", "")
            break
    if not link:
        return None
    link = urljoin(base, link.strip())
    published = entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated")
    return FeedEntry(
        key=(entry.findtext(f"{ATOM}id") or "").strip() or link,
        link=link,
        title=(entry.findtext(f"{ATOM}title") or "").strip() or link,
        published=_iso(published),
    )


def _rfc822(text: str | None) -> dt.datetime | None:
    if not text or not text.strip():
        return None
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _iso(text: str | None) -> dt.datetime | None:
    if not text or not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class _Alternates(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        if "alternate" in rels and values.get("type", "").lower() in FEED_TYPES and values.get("href"):
            self.found.append(values["href"])


def discover_feed(html: str, *, url: str) -> str | None:
    """The address of the first feed a blog page names in ``<link rel="alternate"
    type="application/rss+xml|atom+xml">``, resolved against ``url``; None if it names none."""
    parser = _Alternates()
    parser.feed(html[:500_000])
    return urljoin(url, parser.found[0].strip()) if parser.found else None
