"""Micro-benchmark of ``telephonist.domain.encoding.segment``, which runs on every create.

It times ``segment`` (plain and ``smart_encoded=True``) on a few bodies, in this process, with
no server: the best of ``--repeat`` rounds of ``--number`` calls, as microseconds per call.

* ``ascii160``: 160 printable ASCII characters, the common 1-segment GSM-7 message;
* ``ascii1600``: the longest body the API accepts, all GSM-7 (11 segments);
* ``emoji500``: 500 code points of emoji: single ones, skin-tone modifiers, flags, keycaps
  and ZWJ sequences, so UCS-2 with multi-code-point grapheme clusters.

``--against REV`` also loads ``src/telephonist/domain/encoding.py`` as it is at git revision
``REV`` (e.g. ``HEAD~3``) and prints, for each body, the ratio of this checkout's time to that
one's, measured in the same run (A B A B ... so that a drifting machine treats them alike):

    .venv/bin/python bench/bench_encoding.py
    .venv/bin/python bench/bench_encoding.py --against main
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType

from telephonist.domain import encoding

_MODULE = "src/telephonist/domain/encoding.py"

_EMOJI_ATOMS = [
    "😀",
    "👍🏽",  # skin-tone modifier
    "🇫🇷",  # flag: two regional indicators
    "1\ufe0f\u20e3",  # keycap
    "👩\u200d💻",  # ZWJ sequence
    "👨\u200d👩\u200d👧\u200d👦",  # family
    "❤\ufe0f",
    " ",
]


def _emoji_body(code_points: int) -> str:
    out: list[str] = []
    length = 0
    index = 0
    while length < code_points:
        atom = _EMOJI_ATOMS[index % len(_EMOJI_ATOMS)]
        if length + len(atom) > code_points:
            atom = "😀" * (code_points - length)
        out.append(atom)
        length += len(atom)
        index += 1
    return "".join(out)


BODIES = {
    "ascii160": ("Your verification code is 123456. It expires in 10 minutes. " * 3)[:160],
    "ascii1600": ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 30)[:1600],
    "emoji500": _emoji_body(500),
}


def _load_revision(rev: str) -> ModuleType:
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "show", f"{rev}:{_MODULE}"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(f"encoding_at_{rev}", handle.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


def _time(func: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=1)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2000, help="calls per round")
    parser.add_argument("--repeat", type=int, default=7, help="rounds; the best one counts")
    parser.add_argument("--against", metavar="REV", help="git revision to compare with")
    args = parser.parse_args()
    other = _load_revision(args.against) if args.against else None

    header = f"{'body':<10} {'mode':<6} {'now_us':>9}"
    if other is not None:
        header += f" {args.against + '_us':>12} {'ratio':>7}"
    print(header)
    for name, body in BODIES.items():
        for smart in (False, True):
            best_now = best_other = float("inf")
            for _ in range(args.repeat):
                best_now = min(
                    best_now,
                    _time(partial(encoding.segment, body, smart_encoded=smart), args.number),
                )
                if other is not None:
                    best_other = min(
                        best_other,
                        _time(partial(other.segment, body, smart_encoded=smart), args.number),
                    )
            line = f"{name:<10} {'smart' if smart else 'plain':<6} {best_now:>9.2f}"
            if other is not None:
                line += f" {best_other:>12.2f} {best_now / best_other:>7.2f}"
            print(line)


if __name__ == "__main__":
    main()
