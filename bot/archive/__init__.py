"""The archive of discussions: exports (and, later, review helpers). Never imports discord."""
