"""The few ways :mod:`bot.articles.web` and :mod:`bot.articles.web_comments` look into a parsed HTML page
(lxml): a class test, the first match of an XPath, an element's text as a browser shows it, schema.org
JSON-LD items. Shared so that the article's reader and the comments' reader read a page the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def html_tree(html: str) -> Any:
    """The page parsed by lxml, or None when lxml cannot read it at all."""
    import lxml.html

    try:
        return lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None


def flat_text(element: Any) -> str:
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


def clean_text(text: str | None) -> str | None:
    """``text`` with its whitespace runs folded, or None when nothing is left."""
    folded = " ".join((text or "").split())
    return folded or None


def author_name(value: Any) -> str | None:
    """A schema.org ``author`` (a name, a Person, or a list of them) as one name."""
    if isinstance(value, list):
        names = [n for v in value if (n := author_name(v))]
        return ", ".join(names) or None
    if isinstance(value, dict):
        return clean_text(str(value.get("name") or "")) if value.get("name") else None
    return clean_text(value) if isinstance(value, str) else None


def json_ld(tree: Any) -> Iterator[dict[str, Any]]:
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


def schema_types(item: dict[str, Any]) -> set[str]:
    """A JSON-LD item's ``@type``, one or several, as a set."""
    kind = item.get("@type")
    return set(kind) if isinstance(kind, list) else {str(kind)}


def classes_of(element: Any) -> set[str]:
    """The element's classes."""
    return set((element.get("class") or "").split())


def has_class(element: Any, *names: str) -> bool:
    """Whether the element has any of these classes."""
    return bool(classes_of(element) & set(names))


def first(element: Any, xpath: str) -> Any:
    """The first match of ``xpath`` under the element, or None."""
    found = element.xpath(xpath)
    return found[0] if found else None


def first_of(element: Any, *xpaths: str) -> Any:
    """The first match of the first of ``xpaths`` that matches, or None."""
    for xpath in xpaths:
        found = first(element, xpath)
        if found is not None:
            return found
    return None


def class_xpath(name: str) -> str:
    """An XPath test for the class ``name`` (as CSS's ``.name`` matches it)."""
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'
