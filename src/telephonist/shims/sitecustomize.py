"""Points every ``twilio`` SDK client in this Python process at telephonist, unedited.

Python imports ``sitecustomize`` at start-up from the first directory on ``sys.path`` that has
one; with this directory first on ``PYTHONPATH`` and ``TELEPHONIST_URL`` set (``telephonist
env`` prints both), this file waits until the app imports the SDK and wraps the one method
every request of every ``Client`` passes through, ``get_hostname`` (the place where the SDK
puts TWILIO_REGION and TWILIO_EDGE into the host name). Whatever URL it returns on a
``twilio.com`` host (``api``, ``messaging``, ``api.sydney.au1`` …) becomes the same path and
query on TELEPHONIST_URL; URLs on other hosts, ones the app chose itself, are left alone. So
region and edge settings, custom HTTP clients and the async client all end up here.

Without TELEPHONIST_URL the file changes nothing. Either way it then runs the
``sitecustomize`` it shadows, if a later directory on the path has one.

Standard library only, and no telephonist import: it runs in the app's own interpreter.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ENV = "TELEPHONIST_URL"
# Where get_hostname is defined: ClientBase in twilio 8 and later, Client in twilio 6 and 7.
TARGETS = {"twilio.base.client_base": "ClientBase", "twilio.rest": "Client"}
_MARK = "_telephonist_rewrites"


def is_twilio_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "twilio.com" or host.endswith(".twilio.com")


def rewrite(url: str, base: str) -> str:
    """``url`` moved to ``base`` (scheme, host, port and path prefix) if it is on twilio.com."""
    parts = urlsplit(url)
    if not is_twilio_host(parts.hostname or ""):
        return url
    target = urlsplit(base)
    path = target.path.rstrip("/") + parts.path
    return urlunsplit((target.scheme, target.netloc, path, parts.query, parts.fragment))


def patch(cls: type, base: str) -> bool:
    """Wrap ``cls.get_hostname`` (if ``cls`` defines it) so its URLs go to ``base``."""
    original: Callable[[Any, str], str] | None = cls.__dict__.get("get_hostname")
    if original is None or getattr(original, _MARK, False):
        return False

    def get_hostname(self: Any, uri: str) -> str:
        return rewrite(original(self, uri), base)

    get_hostname.__doc__ = original.__doc__
    setattr(get_hostname, _MARK, True)
    setattr(cls, "get_hostname", get_hostname)  # noqa: B010 (a method, replaced on purpose)
    return True


class Finder:
    """A ``sys.meta_path`` entry that patches the SDK as it is imported, not before: an app
    that never imports twilio pays nothing, and one without it installed is not disturbed."""

    def __init__(self, base: str) -> None:
        self.base = base

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in TARGETS:
            return None
        spec = None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module
        cls_name, base = TARGETS[fullname], self.base

        def exec_module(module: ModuleType) -> None:
            run(module)
            cls = getattr(module, cls_name, None)
            if isinstance(cls, type):
                patch(cls, base)

        setattr(loader, "exec_module", exec_module)  # noqa: B010 (this loader, this module)
        return spec


def install(environ: Mapping[str, str] = os.environ) -> bool:
    """Patch what is loaded and hook what is not, if ``TELEPHONIST_URL`` is a usable URL."""
    base = environ.get(ENV, "").strip()
    if not base:
        return False
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        sys.stderr.write(f"telephonist shim: {ENV} must be an http(s) URL, not {base!r}\n")
        return False
    for name, cls_name in TARGETS.items():
        module = sys.modules.get(name)
        cls = getattr(module, cls_name, None)
        if isinstance(cls, type):
            patch(cls, base)
    if not any(isinstance(finder, Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, Finder(base))
    return True


def run_shadowed() -> None:
    """Run the ``sitecustomize`` this one hides (a distribution's, a virtualenv's), if any."""
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


if __name__ == "sitecustomize":  # imported by Python at start-up, not as a library module
    install()
    run_shadowed()
