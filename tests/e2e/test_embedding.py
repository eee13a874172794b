"""telephonist inside someone else's process (a test suite's ``running_server()``)."""

from __future__ import annotations

import gc

from telephonist.testing import running_server


def test_running_server_leaves_the_callers_gc_alone() -> None:
    """Only the ``serve``/``worker`` entry points freeze start-up objects; a library must not
    freeze the objects of the process it is embedded in."""
    gc.unfreeze()
    before = gc.get_freeze_count()
    with running_server() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert gc.get_freeze_count() == before
    assert gc.get_freeze_count() == before
