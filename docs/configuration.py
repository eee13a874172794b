"""Regenerate the settings table in docs/configuration.md from telephonist.settings.SETTINGS."""

from __future__ import annotations

from pathlib import Path

from telephonist.settings import render_doc

DOC = Path(__file__).with_name("configuration.md")

if __name__ == "__main__":
    DOC.write_text(render_doc(DOC.read_text("utf-8")), "utf-8")
