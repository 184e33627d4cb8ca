from __future__ import annotations

from pathlib import Path

import pytest

from bot.articles import Article, parse_article, read_article_file


@pytest.fixture
def parsed(sample_path: Path) -> Article:
    """The sample article as parsed from its file, not yet stored."""
    return parse_article(read_article_file(sample_path), source=str(sample_path))
