"""Articles: the model, the parsers for each source format, and sectioning."""

from bot.articles.model import Article, Comment, CommentQuote, Section
from bot.articles.parse import parse_article, read_article_file

__all__ = ["Article", "Comment", "CommentQuote", "Section", "parse_article", "read_article_file"]
