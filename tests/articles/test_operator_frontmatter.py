"""Hostile front matter, as an operator importing files from elsewhere meets it: each is refused
in one line (or read as plain data) without building anything large, and nothing is stored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.articles import parse_article
from bot.articles.parse import decode_article_bytes
from bot.errors import ArticleFormatError

BODY = "# Title\n\nSome body text that is long enough to be an article.\n"

# Nine levels of nine aliases: 9**10 strings if anything walks it as a tree (PyYAML shares them).
LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


@pytest.mark.parametrize("key", ["date", "title", "author", "url"])
def test_operator_alias_bomb_in_a_known_key_is_refused_in_one_line(key: str) -> None:
    text = f"---\n{LAUGHS}{key}: [*i, *i, *i, *i, *i, *i, *i, *i, *i]\n---\n{BODY}"
    with pytest.raises(ArticleFormatError) as caught:
        parse_article(text, source="bomb.md")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"bomb.md: front matter `{key}`")
    assert len(message) < 200


def test_operator_alias_bomb_import_stores_nothing(tmp_path: Path) -> None:
    """Through the real CLI, with memory capped: one line on stderr, exit 1, no article."""
    path = tmp_path / "bomb.md"
    path.write_text(f"---\n{LAUGHS}date: [*i, *i, *i, *i, *i, *i, *i, *i, *i]\n---\n{BODY}")
    db = tmp_path / "r.db"
    cap = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))"
    run = [sys.executable, "-c", f"{cap}; import sys; from bot.cli import main; sys.exit(main())"]
    done = subprocess.run(
        [*run, "--db", str(db), "import", str(path)], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "front matter `date`" in done.stderr
    listed = subprocess.run(
        [*run, "--db", str(db), "list"], check=False, capture_output=True, text=True, timeout=60
    )
    assert "bomb" not in listed.stdout.lower() and "Title" not in listed.stdout


def test_operator_front_matter_bigger_than_any_real_one_is_refused_quickly() -> None:
    """A front matter block is a few lines; a megabyte of one is refused before PyYAML reads it
    (pure-Python YAML takes seconds per megabyte, on a thread an upload can occupy)."""
    block = "".join(f"k{i}: v\n" for i in range(100_000))
    text = decode_article_bytes(f"---\n{block}---\n{BODY}".encode(), "big.md")
    with pytest.raises(ArticleFormatError) as caught:
        parse_article(text, source="big.md")
    assert str(caught.value).startswith("big.md: front matter is too long (")


def test_operator_crlf_and_bom_front_matter_read_as_fields() -> None:
    """Windows line endings and a UTF-8 BOM: the fields are read, the fence never becomes text."""
    raw = "\ufeff---\r\ntitle: Windows\r\ndate: 2020-01-02\r\n---\r\n" + BODY.replace("\n", "\r\n")
    article = parse_article(decode_article_bytes(raw.encode(), "w.md"), source="w.md")
    assert article.title == "Windows"
    assert article.published is not None and article.published.isoformat() == "2020-01-02"
    assert "---" not in article.body and "title:" not in article.body
