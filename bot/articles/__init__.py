"""Articles: the model, the parsers for each source format, and sectioning."""

from bot.articles.parse import parse_article, read_article_file
from bot.domain.article import Article, Comment, CommentQuote, Section

__all__ = ["Article", "Comment", "CommentQuote", "Section", "parse_article", "read_article_file"]
