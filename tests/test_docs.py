"""The docs name only routes the server has and commands the CLI has."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from starlette.routing import Mount, Route, compile_path

from telephonist.api.routes import routes
from telephonist.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Absolute paths the docs may name; relative ones after a method live under one of the roots.
ABSOLUTE = re.compile(
    r"(?:/2010-04-01|/telephonist/v1|/v1/(?:Services|a2p|CustomerProfiles|TrustProducts)|/healthz"
    r"|/v2/)[^\s`'\"()<>\[\]|,;]*"
)
ROOTS = ("/telephonist/v1", "/2010-04-01/Accounts/{AccountSid}", "/2010-04-01")
METHODS = "GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS"
METHOD_PATH = re.compile(rf"^({METHODS})\s+(/[^\s`]*)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
SHELL = {"", "sh", "bash", "shell", "console"}
COMMAND = re.compile(r"(?<![\w.-])telephonist((?:[ \t]+[^\s`]+)+)")


def route_table() -> list[tuple[re.Pattern[str], set[str]]]:
    """Every (path regex, methods) the app answers, with Mounts flattened."""

    def walk(items: list[Any], prefix: str) -> Iterator[tuple[re.Pattern[str], set[str]]]:
        for item in items:
            if isinstance(item, Mount):
                yield from walk(list(item.routes), prefix + item.path)
            elif isinstance(item, Route):
                regex, _, _ = compile_path(prefix + item.path)
                yield regex, set(item.methods or ())

    return list(walk(routes, ""))


TABLE = route_table()


def exists(path: str, method: str | None = None) -> bool:
    """Whether a documented path (``{Placeholder}``s, a trailing ``...`` for a prefix) is
    served, with ``method`` if given."""
    concrete = re.sub(r"\{[^}/]*\}", "x1", path.split("?", 1)[0])
    if concrete.endswith(("...", "…")):
        prefix = concrete.rstrip(".…")
        return any(_regex_prefix(regex).startswith(prefix) for regex, _ in TABLE)
    concrete = concrete.rstrip(".:")  # the end of a sentence
    matches = [methods for regex, methods in TABLE if regex.match(concrete)]
    if not matches and concrete in ("/2010-04-01", "/telephonist/v1"):
        return any(_regex_prefix(regex).startswith(concrete + "/") for regex, _ in TABLE)
    return bool(matches) and (method is None or any(method in m for m in matches))


def _regex_prefix(regex: re.Pattern[str]) -> str:
    """The literal start of a compiled route path."""
    return re.split(r"\(\?P<", regex.pattern.lstrip("^"), maxsplit=1)[0].replace("\\", "")


def documented_routes() -> Iterator[tuple[str, str, str | None]]:
    for doc in DOCS:
        text = doc.read_text("utf-8")
        for span in CODE_SPAN.findall(text):
            found = METHOD_PATH.match(span)
            if found and not ABSOLUTE.match(found.group(2)):
                method, path = found.groups()
                yield doc.name, f"{method} {path}", method
        for line in text.splitlines():
            before = ""
            for found in ABSOLUTE.finditer(line):
                verb = re.search(rf"\b({METHODS})\s+`?$", line[: found.start()])
                before = verb.group(1) if verb else ""
                yield doc.name, found.group(0), before or None


def test_route_checker_can_fail() -> None:
    """The checker itself tells a served path from a misspelt one and checks methods."""
    assert exists("/telephonist/v1/Clock", "POST")
    assert not exists("/telephonist/v1/clock")
    assert exists("/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}/Media/{Sid}.json", "DELETE")
    assert not exists("/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}/Media/{Sid}.json", "PUT")
    assert exists("/2010-04-01/...") and not exists("/2010-04-02/...")
    assert exists("/v2/PhoneNumbers/{PhoneNumber}", "GET")
    assert not exists("/v2/PhoneNumbers/{PhoneNumber}/Overrides/{Field}")
    assert exists("/v1/Services/{Sid}", "DELETE") and not exists("/v1/Services/{Sid}", "PUT")
    assert not exists("/v1/Services/{ServiceSid}/Senders")
    assert exists("/v1/a2p/BrandRegistrations/{Sid}", "POST")
    assert not exists("/v1/a2p/BrandRegistrations/{Sid}", "DELETE")
    assert exists("/v1/CustomerProfiles/{Sid}", "DELETE")
    assert not exists("/v1/CustomerProfiles/{Sid}/EntityAssignments")


@pytest.mark.parametrize(
    ("doc", "named", "method"),
    sorted(set(documented_routes()), key=lambda r: (r[0], r[1], r[2] or "")),
)
def test_documented_route_exists(doc: str, named: str, method: str | None) -> None:
    """Every API path README.md and docs/*.md name is in the route table."""
    method_and_path = METHOD_PATH.match(named)
    if method_and_path:
        path = method_and_path.group(2)
        assert any(exists(root + path, method) for root in ROOTS), f"{doc}: {named}"
    else:
        assert exists(named, method), f"{doc}: {method or ''} {named}"


def documented_commands() -> Iterator[tuple[str, str]]:
    """(doc, "telephonist …" invocation) for each one in inline code and shell code blocks."""
    for doc in DOCS:
        text = doc.read_text("utf-8")
        chunks = CODE_SPAN.findall(FENCE.sub("", text))
        for language, body in FENCE.findall(text):
            if language in SHELL:
                chunks += body.splitlines()
        for chunk in chunks:
            for found in COMMAND.finditer(chunk.split(" #", 1)[0]):
                # `telephonist serve | worker | send [--wait]` names several commands.
                for part in found.group(1).split(" | "):
                    yield doc.name, "telephonist " + part.strip()


def check_invocation(invocation: str) -> str | None:
    """What is wrong with ``telephonist …`` as the CLI would parse it, or None."""
    command: Any = typer.main.get_command(cli)
    words = invocation.split()[1:]
    path = ["telephonist"]
    while words and hasattr(command, "commands"):
        word = words[0]
        if word in ("…", "...", "--help"):
            return None
        if word not in command.commands:
            return f"{' '.join(path)} has no command {word!r}"
        command = command.commands[word]
        path.append(word)
        words.pop(0)
    options = {"--help"}
    for param in command.params:
        options.update(param.opts, param.secondary_opts)
    for word in words:
        flag = word.strip("[]").split("=", 1)[0]
        if flag.startswith("--") and flag not in options:
            return f"{' '.join(path)} has no option {flag}"
    return None


def test_command_checker_can_fail() -> None:
    assert check_invocation("telephonist sim inbox +14155550142") is None
    assert check_invocation("telephonist serve --no-worker --setting clock manual") is None
    assert check_invocation("telephonist sim outbox") is not None
    assert check_invocation("telephonist serve --no-such-flag") is not None


@pytest.mark.parametrize(("doc", "invocation"), sorted(set(documented_commands())))
def test_documented_command_exists(doc: str, invocation: str) -> None:
    """Every `telephonist …` command (and flag) the docs show is one the CLI has."""
    problem = check_invocation(invocation)
    assert problem is None, f"{doc}: `{invocation}`: {problem}"


def documented_paths() -> list[tuple[str, str | None]]:
    """Every (concrete path, method or None) README.md and docs/*.md name, relative paths
    after a method tried under each root."""
    found: list[tuple[str, str | None]] = []
    for _, named, method in documented_routes():
        method_and_path = METHOD_PATH.match(named)
        paths = [root + method_and_path.group(2) for root in ROOTS] if method_and_path else [named]
        for path in paths:
            concrete = re.sub(r"\{[^}/]*\}", "x1", path.split("?", 1)[0]).rstrip(".:")
            found.append((concrete, method))
    return found


def control_routes() -> list[tuple[str, str, re.Pattern[str]]]:
    """(path as in the route table, method, regex) for every route of the control API (and
    /healthz), HEAD aside. The REST API's are listed by resource in docs/api.md's table."""

    def walk(items: list[Any], prefix: str) -> Iterator[tuple[str, str, re.Pattern[str]]]:
        for item in items:
            if isinstance(item, Mount):
                yield from walk(list(item.routes), prefix + item.path)
            elif isinstance(item, Route):
                regex, _, _ = compile_path(prefix + item.path)
                for method in sorted(set(item.methods or ()) - {"HEAD"}):
                    yield prefix + item.path, method, regex

    return [r for r in walk(routes, "") if r[0].startswith(("/telephonist/v1/", "/healthz"))]


DOCUMENTED = documented_paths()


@pytest.mark.parametrize(
    ("path", "method", "regex"), control_routes(), ids=[f"{m} {p}" for p, m, _ in control_routes()]
)
def test_every_control_route_is_documented(path: str, method: str, regex: re.Pattern[str]) -> None:
    """Every control-API route is named in the docs, with its method or without any."""
    assert any(regex.match(p) and m in (None, method) for p, m in DOCUMENTED), f"{method} {path}"


def leaf_commands() -> list[str]:
    def walk(command: Any, path: list[str]) -> Iterator[str]:
        if not hasattr(command, "commands"):
            yield " ".join(path)
            return
        for name, sub in command.commands.items():
            yield from walk(sub, [*path, name])

    return list(walk(typer.main.get_command(cli), ["telephonist"]))


@pytest.mark.parametrize("command", leaf_commands())
def test_every_command_is_documented(command: str) -> None:
    """Every command the CLI has is shown in the docs."""
    shown = {invocation for _, invocation in documented_commands()}
    assert any(i == command or i.startswith(command + " ") for i in shown), command
