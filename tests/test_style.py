"""All code is formatted and linted by ruff, at the width the book's pages show.

``make format`` fixes what ruff can fix; what it cannot (a string longer than
the page) is listed there and fails here. The chapters are checked through
their notebooks, whose code cells are the .md's (test_chapters checks the pair).
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = str(Path(sys.executable).parent / "ruff")
TARGETS = ["mlcourse", "scripts", "tests", "_ext", "conftest.py"] + [
    str(p.relative_to(ROOT)) for p in sorted((ROOT / "chapters").glob("*.ipynb"))
]


@pytest.mark.parametrize("command", ["format --check", "check"])
def test_ruff(command):
    done = subprocess.run(
        [RUFF, *command.split(), "--no-cache", *TARGETS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (
        f"ruff {command} found problems; run `make format`, then fix what "
        f"remains by hand:\n{done.stdout[-4000:]}{done.stderr[-1000:]}"
    )
