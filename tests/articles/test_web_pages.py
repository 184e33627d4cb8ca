"""Saved blog pages read into articles (issue 23): each page's title, author, date, body and every comment
with its author, time and reply structure, against facts read from the page by hand; the pages that are
not the article refused in one line. No network: the pages are files (web_pages/ORIGIN.md)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import string
from collections.abc import Sequence
from html import escape as html_escape

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.articles.parse import parse_article
from bot.articles.web import (
    WebPage,
    build_article,
    read_page,
    refuse_non_article,
    unwrap_wayback,
    wayback_capture,
)
from bot.domain.article import Article
from bot.errors import ArticleFormatError
from tests.articles.web_server import page, wayback_wrapped

LEMIRE = "https://lemire.me/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/"
FRANZI = "http://www.franziska-elea.de/2019/02/10/das-louis-vuitton-missgeschick/"
LADY = "https://lady50plus.de/2019/06/19/sekre-mystery-bag/"
NETZ = (
    "https://netzpolitik.org/2016/die-cider-connection-abmahnungen-gegen-nutzer-von-creative-commons-bildern/"
)
BLOGGER = "https://plentylife.blogspot.com/2017/05/strong-beautiful-pamela-reif-rezension.html"


def article_of(file: str, url: str) -> Article:
    first = read_page(page(file), url=url, name=file)
    return build_article(first, url=url, source=file)


def check_slices(article: Article) -> None:
    for section in article.sections:
        assert article.body[section.start : section.end] == section.text


def test_wordpress_lemire_comment_list_with_replies_and_bio() -> None:
    article = article_of("lemire.me.json.html", LEMIRE)
    assert article.title == "JSON parsing: simdjson vs. JSON for Modern C++"
    assert article.author == "Daniel Lemire"
    assert article.published == dt.date(2019, 8, 2)
    assert article.url == LEMIRE and article.format == "blog"
    assert article.body.startswith("JSON is the ubiquitous data format on the Internet.")
    assert "\n\nLet us run some benchmarks" in article.body
    assert article.author_bio is not None and "University of Quebec" in article.author_bio
    assert "View all posts" not in article.author_bio
    check_slices(article)
    assert [(c.author, c.reply_to) for c in article.comments] == [
        ("degski", None),
        ("degski", None),
        ("Daniel Lemire", 2),
        ("wmu", None),
        ("Daniel Lemire", 4),
    ]
    assert article.comments[1].text == "vcpkg has simdjson in its repo (for those that did not know)."
    assert article.comments[1].posted == dt.datetime(2019, 8, 5, 2, 51, 17)  # noqa: DTZ001
    assert article.comments[2].text == "We are working toward releasing version 0.2 on vcpkg."


def test_wordpress_older_theme_german_dates_and_children() -> None:
    article = article_of("franziska-elea.de.vuitton.html", FRANZI)
    assert article.title == "Das Louis Vuitton Missgeschick"
    assert article.author == "Franziska Dully"
    assert article.published == dt.date(2019, 2, 10)
    assert article.body.startswith("Zuerst dachte ich, ich könnte das")
    assert len(article.comments) == 17
    first, second = article.comments[:2]
    assert (first.author, first.posted, first.reply_to) == ("Jasmin", dt.datetime(2019, 2, 10, 18, 5), None)  # noqa: DTZ001
    assert first.text.startswith("Liebe Franzi, also ich wäre ja der Typ")
    assert first.text.endswith("Lieben Gruß\nJasmin")
    assert (second.author, second.posted, second.reply_to) == (
        "Franziska Elea",
        dt.datetime(2019, 2, 10, 18, 7),  # noqa: DTZ001
        1,
    )
    # The reply button, the date line and the author box are not comment text.
    assert all("Antworten" not in c.text and "Uhr" not in c.text.split("\n")[0] for c in article.comments)
    check_slices(article)


def test_wordpress_third_theme_headings_are_sections_and_badges_are_not_names() -> None:
    article = article_of("lady50plus.de.sekre.html", LADY)
    assert article.author == "Martina Berg" and article.published == dt.date(2019, 6, 19)
    headings = [s.heading for s in article.sections if s.heading]
    assert "160 Designerinnen für eine einzige Handtasche" in headings
    assert "Made in Germany" in headings
    assert [c.author for c in article.comments[:4]] == ["Beate", "Martina Berg", "Astrid", "Martina Berg"]
    assert [c.reply_to for c in article.comments[:4]] == [None, 1, None, 3]
    assert len(article.comments) == 10
    check_slices(article)


def test_wordpress_deep_threads_keep_every_parent() -> None:
    article = article_of("netzpolitik.org.abmahnungen.html", NETZ)
    assert article.title == "Die Cider Connection: Abmahnungen gegen Nutzer von Creative-Commons-Bildern"
    assert article.author == "Markus Reuter" and article.published == dt.date(2016, 6, 23)
    assert len(article.comments) == 74
    # blah blubb (1) ← Rafael (2) ← Yan tuygi (3) ← mirdochegal (4) ← Volker Rieck (5); John Weitzmann answers 3.
    assert [(c.author, c.reply_to) for c in article.comments[:6]] == [
        ("blah blubb", None),
        ("Rafael", 1),
        ("Yan tuygi", 2),
        ("mirdochegal", 3),
        ("Volker Rieck", 4),
        ("John Weitzmann", 3),
    ]
    assert article.comments[0].posted == dt.datetime(2016, 6, 23, 17, 21, 9)  # noqa: DTZ001
    assert all(c.reply_to is None or c.reply_to < c.index for c in article.comments)


def test_blogger_threaded_comments() -> None:
    article = article_of("plentylife.blogspot.pamela-reif.html", BLOGGER)
    assert article.title == "Strong & Beautiful - Pamela Reif [Rezension]"
    assert article.author == "Sandra" and article.published == dt.date(2017, 5, 10)
    assert article.body.startswith("Vielen Dank an den den Verlag")
    [comment] = article.comments
    assert comment.author == "Andjela Gligorijevic"
    assert comment.text == (
        "Great post, I like your blog and I just followed you. Would you like to visit my blog? :*\n"
        "mybeautydiary123.blogspot.com"
    )
    # Shown as "Mittwoch, Mai 10, 2017 4:14:00 PM": the blog's own time, like WordPress's.
    assert comment.posted == dt.datetime(2017, 5, 10, 16, 14)  # noqa: DTZ001


def numbered_pages(html: str, url: str, cuts: Sequence[int], newest: str | None = None) -> list[str]:
    """netzpolitik's page as a WordPress site with comment paging shows it, its threads cut at
    ``cuts``: ``comment-page-1/``, ``comment-page-2/``, … the oldest first, the newest last, each
    page linking to the one before ("Older Comments") and after it ("Newer Comments"). The last
    page is at ``newest``, which the one before it links (default the article's address, where
    WordPress's default shows the newest)."""
    spans = list(itertools.pairwise((0, *cuts, None)))
    pages = []
    for number, (start, end) in enumerate(spans, 1):
        tree = lxml.html.document_fromstring(html)
        [top] = tree.xpath('//ol[contains(@class, "comment-list")]')
        threads = [li for li in top if li.tag == "li"]
        for li in threads[:start] + (threads[end:] if end is not None else []):
            top.remove(li)
        links = [("nav-previous", f"{url}comment-page-{number - 1}/", "Older")] if number > 1 else []
        if number < len(spans):
            newer = f"{url}comment-page-{number + 1}/" if number + 1 < len(spans) else (newest or url)
            links.append(("nav-next", newer, "Newer"))
        nav = "".join(
            f'<div class="{kind}"><a href="{to}#comments">{word} Comments</a></div>'
            for kind, to, word in links
        )
        top.addnext(lxml.html.fragment_fromstring(f'<nav class="comment-navigation">{nav}</nav>'))
        pages.append(lxml.html.tostring(tree, encoding="unicode"))
    return pages


def split_comment_pages(html: str, url: str, newer: str | None = None) -> tuple[str, str]:
    """:func:`numbered_pages` on two pages, the first six threads on ``comment-page-1/``: the newer
    page at ``newer`` (default ``comment-page-2/``, where a blog shows the oldest at the article's
    address; WordPress's default, the newest at the article's address, is ``url``)."""
    older, newest = numbered_pages(html, url, (6,), newest=newer or url + "comment-page-2/")
    return older, newest


def test_paged_comments_are_ordered_by_page_and_threads_kept() -> None:
    html = page("netzpolitik.org.abmahnungen.html")
    older, newest = split_comment_pages(html, NETZ)
    first = read_page(newest, url=NETZ, name="netz")
    assert first.comment_pages == (NETZ + "comment-page-1/",)
    one = read_page(older, url=NETZ + "comment-page-1/", name="netz")
    paged = build_article(first, [(NETZ + "comment-page-1/", one)], url=NETZ, source="netz")
    whole = article_of("netzpolitik.org.abmahnungen.html", NETZ)
    assert [(c.author, c.text, c.reply_to) for c in paged.comments] == [
        (c.author, c.text, c.reply_to) for c in whole.comments
    ]
    assert 0 < len(first.comments) < 74


def test_wayback_capture_is_the_original_page() -> None:
    capture = wayback_capture("https://web.archive.org/web/20190806000000/" + LEMIRE)
    assert capture is not None and capture.original == LEMIRE
    assert capture.raw == "https://web.archive.org/web/20190806000000id_/" + LEMIRE
    assert wayback_capture(LEMIRE) is None
    wrapped = wayback_wrapped(page("lemire.me.json.html"), "20190806000000")
    unwrapped = unwrap_wayback(wrapped)
    assert "Wayback Machine" not in unwrapped and "wombat" not in unwrapped and "/web/2019" not in unwrapped
    read = build_article(read_page(unwrapped, url=LEMIRE, name="x"), url=LEMIRE, source="x")
    assert read.body == article_of("lemire.me.json.html", LEMIRE).body
    assert "Wayback" not in read.body and len(read.comments) == 5


SCHEMA_PAGE = """<!doctype html><html><head><title>Notes from Aktau</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [{"@type": "BlogPosting",
"headline": "Notes from Aktau", "author": {"@type": "Person", "name": "Jane Roe"},
"datePublished": "2013-02-01T09:00:00+06:00",
"comment": [{"@type": "Comment", "@id": "#c1", "author": {"@type": "Person", "name": "Kuda"},
  "dateCreated": "2013-02-02T20:36:00+06:00", "text": "The port was quiet that winter.\\n\\nNobody spoke of the strike.",
  "comment": [{"@type": "Comment", "@id": "#c2", "author": {"name": "Nathan Hamm"},
  "dateCreated": "2013-02-03T10:20:00+06:00", "text": "It was not quiet in Zhanaozen."}]},
 {"@type": "Comment", "@id": "#c3", "author": "Ann", "dateCreated": "2013-02-04T08:00:00+06:00",
  "text": "Thank you for writing this."}]}]}</script></head>
<body><article><h1>Notes from Aktau</h1>
<p>The road from the airport runs along the sea, past the old reactor and the new hotels.</p>
<p>In the evenings the promenade fills with families, and the talk is of prices and of the oil work.</p>
<p>Few want to speak of the strike, two years on, though everyone remembers where they were.</p>
</article></body></html>"""

MICRODATA_PAGE = """<!doctype html><html><head><title>A walk in Almaty</title></head><body>
<article><h1>A walk in Almaty</h1>
<p>The mountains are close enough to walk to from the last stop of the bus, in an hour or two.</p>
<p>The path climbs through apple orchards that were once the largest in the Soviet Union.</p>
<p>At the top the city is a grey smudge under the smog, and the snow line is very near.</p></article>
<section id="comments">
<div itemscope itemtype="https://schema.org/Comment" id="m1">
 <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Aigerim</span></span>
 <time itemprop="dateCreated" datetime="2020-05-01T12:30:00">May 1</time>
 <div itemprop="text"><p>The orchards are mostly gone now.</p></div>
 <div itemscope itemtype="https://schema.org/Comment" id="m2">
  <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Tom</span></span>
  <time itemprop="dateCreated" datetime="2020-05-02T08:00:00">May 2</time>
  <div itemprop="text"><blockquote><p>The orchards are mostly gone now.</p></blockquote><p>Some are left above Medeu.</p></div>
 </div>
</div></section></body></html>"""


def test_schema_org_comments_json_ld_and_microdata() -> None:
    url = "https://example.org/notes-from-aktau"
    article = build_article(read_page(SCHEMA_PAGE, url=url, name="x"), url=url, source="x")
    assert (article.title, article.author, article.published) == (
        "Notes from Aktau",
        "Jane Roe",
        dt.date(2013, 2, 1),
    )
    assert [(c.author, c.reply_to, c.posted) for c in article.comments] == [
        ("Kuda", None, dt.datetime(2013, 2, 2, 20, 36)),  # noqa: DTZ001
        ("Nathan Hamm", 1, dt.datetime(2013, 2, 3, 10, 20)),  # noqa: DTZ001
        ("Ann", None, dt.datetime(2013, 2, 4, 8, 0)),  # noqa: DTZ001
    ]
    assert article.comments[0].text == "The port was quiet that winter.\n\nNobody spoke of the strike."
    micro = build_article(read_page(MICRODATA_PAGE, url=url, name="x"), url=url, source="x")
    assert [(c.author, c.reply_to) for c in micro.comments] == [("Aigerim", None), ("Tom", 1)]
    tom = micro.comments[1]
    assert tom.text == "The orchards are mostly gone now.\n\nSome are left above Medeu."
    assert tom.quotes[0].text == "The orchards are mostly gone now."


CHALLENGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body>
<div class="main-wrapper"><h1>registan.net</h1><h2>Checking if the site connection is secure</h2>
<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></div></body></html>"""
PAYWALL = """<html><head><title>The oil town</title></head><body><article><h1>The oil town</h1>
<p>The strike began in May, when the first workers walked out of the fields.</p>
<div class="paywall"><h2>Subscribe to read the full story</h2><p>Already a subscriber? Sign in.</p></div>
</article></body></html>"""
JS_SHELL = """<!doctype html><html><head><title>Blog</title><script src="/a.js"></script>
<script src="/b.js"></script><script src="/c.js"></script></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>"""
CONSENT = """<html><head><title>Before you continue to the site</title></head><body>
<form action="https://consent.example.com/save"><p>We use cookies and data to deliver our services.</p>
<button>Accept all</button><button>Reject all</button></form></body></html>"""
NO_ARTICLE = "<html><head><title>Home</title></head><body><nav><a href='/'>Home</a></nav></body></html>"


@pytest.mark.parametrize(
    ("html", "said"),
    [
        (CHALLENGE, "is a bot-protection challenge"),
        (PAYWALL, "is behind a paywall"),
        (JS_SHELL, "shows its text only with JavaScript"),
        (CONSENT, "is a consent wall"),
        (NO_ARTICLE, "no article text found"),
    ],
)
def test_pages_that_are_not_the_article_are_refused_in_one_line(html: str, said: str) -> None:
    with pytest.raises(ArticleFormatError) as refused:
        read_page(html, url="https://registan.net/x/", name="registan.net/x/")
    message = str(refused.value)
    assert message.startswith("registan.net/x/: " + said) and "\n" not in message
    if said != "no article text found":
        assert "Wayback Machine capture" in message and "Markdown file" in message


def test_a_long_article_that_mentions_subscribing_is_not_a_paywall() -> None:
    refuse_non_article(page("lemire.me.json.html"), name="x")  # its sidebar has "subscribe" links
    html = (
        "<html><body><article>"
        + "<p>Subscribe to read more about the strike. "
        + "word " * 400
        + "</p></article></body></html>"
    )
    refuse_non_article(html, name="x")


def test_json_ld_comment_count_does_not_depend_on_dict_order() -> None:
    data = json.loads(SCHEMA_PAGE.split('json">')[1].split("</script>", maxsplit=1)[0])
    assert len(data["@graph"][0]["comment"]) == 2


# --- the scrape importer: a commenter's name longer than 100 characters ----------------------------------

LONG_NAME = (
    "Dr. Aigerim Nurlanovna Bekmukhambetova-Smith, Senior Research Fellow, Central Asia Program, "
    "Institute for European, Russian and Eurasian Studies"
)


def test_scrape_comment_header_with_a_very_long_name_is_a_comment() -> None:
    assert len(LONG_NAME) > 100
    text = (
        "The Lessons of Zhanaozen\n\nby Erlan Idrissov on 12/18/2012 · 2 comments\n\n"
        "It is now exactly a year since the violence in Zhanaozen.\n\n"
        "Kuda January 2, 2013 at 8:36 pm\n\nI wrote a long mail.\n\n"
        f"{LONG_NAME} January 3, 2013 at 10:20 am\n\nA reply from the institute.\n"
    )
    article = parse_article(text, source="scrape.txt")
    assert [c.author for c in article.comments] == ["Kuda", LONG_NAME]
    assert article.comments[0].text == "I wrote a long mail."
    assert article.comments[1].text == "A reply from the institute."


def test_scrape_header_like_line_that_is_a_sentence_is_named() -> None:
    text = (
        "Title\n\nby A B on 12/18/2012\n\nBody text here.\n\n"
        "Kuda January 2, 2013 at 8:36 pm\n\n"
        + "we waited for news from the town " * 4
        + "and then it all changed on January 3, 2013 at 10:20 am\n\nMore.\n"
    )
    with pytest.raises(ArticleFormatError) as refused:
        parse_article(text, source="scrape.txt")
    message = str(refused.value)
    assert "\n" not in message and "line 9" in message and "comment header" in message


def test_web_page_dataclass_is_plain_data() -> None:
    empty = WebPage(None, None, None, None, (("Body.", None),), None, (), ())
    assert build_article(empty, url="https://x.org/", source="x").body == "Body."


BLOGGER_CLASSIC = """<html><head><title>Steppe notes: The long road</title></head><body>
<div class="post"><h3 class="post-title">The long road</h3>
<div class="post-body"><p>The bus from Atyrau to Aktau takes a night and most of a morning, along the sea.</p>
<p>Nobody sleeps much: the road is broken and the driver plays the radio loud the whole way.</p>
<p>At dawn the camels stand by the road as if waiting for the bus, and then the city appears.</p></div></div>
<div id="comments"><h4>2 comments:</h4><dl id="comments-block">
<dt class="comment-author" id="c101"><a name="c101"></a><a href="https://www.blogger.com/profile/1">Aidos</a> said...</dt>
<dd class="comment-body"><p>I took that bus in 2009.<br />It was worse then.</p></dd>
<dd class="comment-footer"><span class="comment-timestamp"><a href="https://steppe.blogspot.com/2012/05/road.html?showComment=1337000000000#c101">May 14, 2012 at 7:33 PM</a></span></dd>
<dt class="comment-author" id="c102"><a name="c102"></a>Anonymous said...</dt>
<dd class="comment-body"><p>The camels are the best part.</p></dd>
<dd class="comment-footer"><span class="comment-timestamp"><a href="#c102">May 15, 2012 at 8:01 AM</a></span></dd>
</dl></div></body></html>"""


def test_blogger_classic_comment_block() -> None:
    url = "https://steppe.blogspot.com/2012/05/road.html"
    article = build_article(read_page(BLOGGER_CLASSIC, url=url, name="x"), url=url, source="x")
    assert [(c.author, c.posted, c.text) for c in article.comments] == [
        ("Aidos", dt.datetime(2012, 5, 14, 19, 33), "I took that bus in 2009.\nIt was worse then."),  # noqa: DTZ001
        ("Anonymous", dt.datetime(2012, 5, 15, 8, 1), "The camels are the best part."),  # noqa: DTZ001
    ]


WORDS = st.text(alphabet=string.ascii_letters + "äöüéñ", min_size=1, max_size=10)


@st.composite
def threads(draw: st.DrawFn) -> list[tuple[int | None, str, str]]:
    """Comments as (parent position or None, author, text), each parent before its replies."""
    count = draw(st.integers(min_value=1, max_value=12))
    made: list[tuple[int | None, str, str]] = []
    for position in range(count):
        parent = (
            draw(st.one_of(st.none(), st.integers(min_value=0, max_value=position - 1))) if position else None
        )
        author = " ".join(draw(st.lists(WORDS, min_size=1, max_size=3)))
        paragraphs = [
            " ".join(draw(st.lists(WORDS, min_size=1, max_size=8))) for _ in range(draw(st.integers(1, 3)))
        ]
        made.append((parent, author, "\n\n".join(paragraphs)))
    return made


def wordpress_html(comments: list[tuple[int | None, str, str]]) -> tuple[str, list[int]]:
    """The comments as WordPress's HTML5 comment list (replies in ``ol.children``), and the order the page
    shows them in (each thread depth first)."""
    shown: list[int] = []

    def items(parent: int | None, depth: int) -> str:
        out = []
        for position, (of, author, text) in enumerate(comments):
            if of != parent:
                continue
            shown.append(position)
            body = "".join(f"<p>{html_escape(p)}</p>" for p in text.split("\n\n"))
            replies = items(position, depth + 1)
            out.append(
                f'<li id="comment-{position + 100}" class="comment depth-{depth}">'
                f'<article id="div-comment-{position + 100}" class="comment-body"><footer class="comment-meta">'
                f'<div class="comment-author vcard"><b class="fn">{html_escape(author)}</b> <span class="says">says:</span></div>'
                f'<div class="comment-metadata"><a href="#comment-{position + 100}"><time datetime="2019-08-0{1 + depth % 8}T10:0{position % 10}:00+00:00">'
                f"then</time></a></div></footer>"
                f'<div class="comment-content">{body}</div>'
                f'<div class="reply"><a class="comment-reply-link" href="#">Reply</a></div></article>'
                + (f'<ol class="children">{replies}</ol>' if replies else "")
                + "</li>"
            )
        return "".join(out)

    listing = items(None, 1)
    article = "".join(
        f"<p>{'Paragraph of the post with enough words to be the article. ' * 4}{n}</p>" for n in range(4)
    )
    page_html = (
        "<html><head><title>A post</title></head><body><article><h1>A post</h1>"
        f"{article}</article><section id='comments'><ol class='comment-list'>{listing}</ol></section></body></html>"
    )
    return page_html, shown


@settings(max_examples=30, deadline=None)
@given(comments=threads())
def test_any_wordpress_thread_is_read_back_as_written(comments: list[tuple[int | None, str, str]]) -> None:
    html, shown = wordpress_html(comments)
    url = "https://example.org/a-post/"
    article = build_article(read_page(html, url=url, name="x"), url=url, source="x")
    number = {position: index for index, position in enumerate(shown, start=1)}
    assert [(c.author, c.text) for c in article.comments] == [(comments[p][1], comments[p][2]) for p in shown]
    assert [c.reply_to for c in article.comments] == [
        number[parent] if (parent := comments[p][0]) is not None else None for p in shown
    ]


def test_an_unthreaded_comment_quoting_an_earlier_one_in_a_blockquote_points_at_it() -> None:
    flat: list[tuple[int | None, str, str]] = [
        (None, "Kuda", "The strike was about wages, nothing more.\n\nEveryone knew it."),
        (None, "Ann", "I agree."),
        (None, "Nathan", "The strike was about wages, nothing more.\n\nNot quite: it was about housing too."),
    ]
    html, _ = wordpress_html(flat)
    html = html.replace(
        "<p>The strike was about wages, nothing more.</p><p>Not quite",
        "<blockquote><p>The strike was about wages, nothing more.</p></blockquote><p>Not quite",
    )
    url = "https://example.org/a-post/"
    article = build_article(read_page(html, url=url, name="x"), url=url, source="x")
    assert [c.reply_to for c in article.comments] == [None, None, 1]
    assert article.comments[2].quotes[0].text == "The strike was about wages, nothing more."


def test_a_blog_showing_its_oldest_comments_first_is_ordered_too() -> None:
    """The article's address shows comment page 1 ("Newer Comments" leads on): its comments come first."""
    older, newest = split_comment_pages(page("netzpolitik.org.abmahnungen.html"), NETZ)
    first = read_page(older, url=NETZ, name="netz")
    assert not first.shows_older_links and first.comment_pages == (NETZ + "comment-page-2/",)
    two = read_page(newest, url=NETZ + "comment-page-2/", name="netz")
    paged = build_article(first, [(NETZ + "comment-page-2/", two)], url=NETZ, source="netz")
    whole = article_of("netzpolitik.org.abmahnungen.html", NETZ)
    assert [(c.author, c.reply_to) for c in paged.comments] == [
        (c.author, c.reply_to) for c in whole.comments
    ]
