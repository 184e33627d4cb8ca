"""Readalong's tests (``tests/conftest.py`` says what every test may use).

No cyclic garbage collection while pytest imports the tests and the bot and collects them: each
full collection walks the growing heap of imports, 0.15 s of every worker's start. The conftest
turns the collector back on once the tests are collected (``pytest_collection_finish``), as
``readalong run`` sets it. This package is imported before the conftest and its imports."""

import gc

gc.disable()
