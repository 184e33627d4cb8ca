"""Answering a question from an article: the extractive answer (verbatim quotes), the model
writer (a short answer citing verified quotes), and the verification of what the model quotes."""
