"""The SDK shims move twilio.com URLs, and only those, to the telephonist base URL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from telephonist import shims
from telephonist.shims.sitecustomize import install, rewrite

BASE = "http://127.0.0.1:8080"
CASES = [
    ("https://api.twilio.com/2010-04-01/Accounts.json", f"{BASE}/2010-04-01/Accounts.json"),
    ("https://messaging.twilio.com/v1/Services?PageSize=2", f"{BASE}/v1/Services?PageSize=2"),
    ("https://api.sydney.au1.twilio.com/2010-04-01/A.json", f"{BASE}/2010-04-01/A.json"),
    ("https://API.Twilio.com./x", f"{BASE}/x"),
    ("https://twilio.com/x", f"{BASE}/x"),
    # Hosts the app chose itself stay as they are.
    ("https://nottwilio.com/x", "https://nottwilio.com/x"),
    ("https://api.twilio.com.example.net/x", "https://api.twilio.com.example.net/x"),
    ("http://127.0.0.1:9000/2010-04-01/A.json", "http://127.0.0.1:9000/2010-04-01/A.json"),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_python_rewrite(url: str, expected: str) -> None:
    assert rewrite(url, BASE) == expected


def test_python_rewrite_keeps_a_base_path() -> None:
    assert rewrite("https://api.twilio.com/a.json?b=1", "https://t.example/tp/") == (
        "https://t.example/tp/a.json?b=1"
    )


def test_python_shim_refuses_a_url_it_cannot_use(capsys: pytest.CaptureFixture[str]) -> None:
    """A TELEPHONIST_URL without a scheme is reported, not half-applied; none is a no-op."""
    assert install({"TELEPHONIST_URL": "127.0.0.1:8080"}) is False
    assert "must be an http(s) URL" in capsys.readouterr().err
    assert install({}) is False


def python_with_shim(code: str, path: list[Path], **env: str) -> str:
    """Run ``code`` in a fresh interpreter with the shim directory first on PYTHONPATH."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TELEPHONIST_URL")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env, "PYTHONPATH": os.pathsep.join(str(p) for p in path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


HOOKED = "import sys; print(any(type(f).__name__ == 'Finder' for f in sys.meta_path))"


def test_python_shim_hooks_only_with_a_url() -> None:
    """Without TELEPHONIST_URL the interpreter is left exactly as it was."""
    assert python_with_shim(HOOKED, [shims.DIRECTORY]) == "False"
    assert python_with_shim(HOOKED, [shims.DIRECTORY], TELEPHONIST_URL=BASE) == "True"


def test_python_shim_runs_the_sitecustomize_it_shadows(tmp_path: Path) -> None:
    """A sitecustomize later on the path (a distribution's, a virtualenv's) still runs."""
    (tmp_path / "sitecustomize.py").write_text("import os\nos.environ['SHADOWED'] = 'ran'\n")
    code = "import os; print(os.environ.get('SHADOWED'))"
    assert python_with_shim(code, [shims.DIRECTORY, tmp_path], TELEPHONIST_URL=BASE) == "ran"


def test_shims_ship_in_the_package() -> None:
    assert shims.PYTHON.is_file() and shims.NODE.is_file()
    assert shims.PYTHON.parent == shims.DIRECTORY


@pytest.mark.node
def test_node_rewrite() -> None:
    """register.js makes the same decisions as the Python shim."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is needed for the Node shim")
    script = (
        f"const shim = require({json.dumps(str(shims.NODE))});"
        "const cases = JSON.parse(process.argv[1]);"
        f"process.stdout.write(JSON.stringify(cases.map(([u]) => shim.rewrite(u, {BASE!r}))));"
    )
    done = subprocess.run(
        [node, "-e", script, json.dumps(CASES)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PATH": ""},
    )
    assert json.loads(done.stdout) == [expected for _, expected in CASES]
