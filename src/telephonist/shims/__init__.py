"""Shims that point unchanged apps' Twilio SDK clients at telephonist.

Most apps build their own ``Client`` deep inside their code, with no base-URL setting to turn.
This directory holds two small files that, when ``TELEPHONIST_URL`` is set, send every request
the official SDKs would make to ``*.twilio.com`` to that URL instead, keeping path and query:

- ``sitecustomize.py`` for Python: put this directory first on ``PYTHONPATH``.
- ``register.js`` for Node: ``NODE_OPTIONS="--require <this directory>/register.js"``.

``telephonist env`` prints the lines to export. Neither file imports telephonist: they run
inside the app's own interpreter, where telephonist need not be installed.
"""

from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
PYTHON = DIRECTORY / "sitecustomize.py"
NODE = DIRECTORY / "register.js"
