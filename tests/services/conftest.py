from __future__ import annotations

import pytest

from bot.articles import Article


@pytest.fixture
def parsed(sample_article: Article) -> Article:
    """The sample article as parsed from its file, not yet stored."""
    return sample_article
