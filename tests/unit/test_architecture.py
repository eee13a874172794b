"""The layout is the architecture: the domain core imports nothing from the edges."""

from __future__ import annotations

import ast
from pathlib import Path

import telephonist

PACKAGE = Path(telephonist.__file__).parent
# Pure functions of their input, like the domain itself: number parsing, and grapheme
# clusters for SMS segmentation (regex's \X).
ALLOWED_THIRD_PARTY = {"phonenumbers", "regex"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_is_pure() -> None:
    """domain/ may use the stdlib, phonenumbers, regex and itself: no web, storage or I/O."""
    for path in sorted((PACKAGE / "domain").glob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top == "telephonist":
                assert name.startswith("telephonist.domain"), f"{path.name} imports {name}"
            else:
                assert top in ALLOWED_THIRD_PARTY or _is_stdlib(top), f"{path.name} imports {name}"


def _is_stdlib(name: str) -> bool:
    import sys

    return name in sys.stdlib_module_names or name == "__future__"


def test_public_surface() -> None:
    assert telephonist.__all__ == ["Settings", "TelephonistError", "TwilioError", "create_app"]
