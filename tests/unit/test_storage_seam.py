"""SQL lives in the repositories: the handlers behind the storage seam run none of their own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import telephonist

API = Path(telephonist.__file__).parent / "api"
BEHIND_THE_SEAM = [
    "accounts.py",
    "auth.py",
    "messages.py",
    "notifications.py",
    "numbers.py",
    "simulator.py",
]
# A handler may name the connection type in a unit of work it composes, nothing else.
SQLALCHEMY_ALLOWED = {("sqlalchemy", "Connection")}


def imports(path: Path) -> set[tuple[str, str]]:
    """(module, name) for each ``from module import name`` and (module, "") for ``import``."""
    found: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update((alias.name, "") for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.update((node.module, alias.name) for alias in node.names)
    return found


@pytest.mark.parametrize("module", BEHIND_THE_SEAM)
def test_handler_imports_no_table_and_no_query_builder(module: str) -> None:
    """The module reaches storage only through ``storage.repositories``."""
    for name, member in imports(API / module):
        assert not name.startswith("telephonist.storage.schema"), f"{module} imports {member}"
        if name.split(".")[0] == "sqlalchemy":
            assert (name, member) in SQLALCHEMY_ALLOWED, f"{module} imports {name}.{member}"
