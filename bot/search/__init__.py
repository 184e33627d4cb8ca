"""Retrieval: query building, the passages of an article, and ranking them for a question."""
