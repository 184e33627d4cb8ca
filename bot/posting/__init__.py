"""Posting an article into a channel: what to send (``plan``), and sending it exactly once."""
