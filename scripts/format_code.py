"""Format and lint all the book's code with ruff (make format).

    python scripts/format_code.py                        everything
    python scripts/format_code.py chapters/tuning.md mlcourse/tuning.py   just these

- ``mlcourse/``, ``scripts/``, ``tests/``: ``ruff format`` and ``ruff check --fix``.
- Chapters: the code cells of each ``.ipynb`` (regenerated from its ``.md``
  first), then the ``.md`` is rewritten from the formatted notebook, so the
  source of truth carries the formatting too. jupytext's round trip leaves
  everything but the code unchanged.

What ruff cannot fix by itself (a string longer than the page, a name that is
never used) is listed at the end; ``tests/test_style.py`` fails until it is
fixed by hand. The settings are in ``pyproject.toml`` (``[tool.ruff]``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "scripts"))

from sync_chapters import sync  # noqa: E402


def ruff(*args: str) -> int:
    return subprocess.run(
        [str(BIN / "ruff"), *args], cwd=ROOT, check=False
    ).returncode


def markdown_from_notebook(markdown: Path) -> None:
    """Rewrite the chapter's .md from its (formatted) .ipynb, where they differ."""
    import jupytext

    notebook = jupytext.read(markdown.with_suffix(".ipynb"))
    text = jupytext.writes(notebook, fmt="md:myst")
    # jupytext records its own version in the header; the committed files do not.
    text = "".join(
        line
        for line in text.splitlines(keepends=True)
        if "jupytext_version:" not in line
    )
    if text != markdown.read_text():
        markdown.write_text(text)
        print(f"reformatted {markdown.relative_to(ROOT)}")


def main(paths: list[str]) -> int:
    if paths:
        chapters = [(ROOT / p).resolve() for p in paths if p.endswith(".md")]
        code = [p for p in paths if not p.endswith(".md")]
    else:
        chapters = sorted((ROOT / "chapters").glob("*.md"))
        code = ["mlcourse", "scripts", "tests", "_ext", "conftest.py"]
    for markdown in chapters:
        sync(markdown)
    notebooks = [str(p.with_suffix(".ipynb").relative_to(ROOT)) for p in chapters]
    targets = [*code, *notebooks]
    if not targets:
        return 0
    ruff("format", "--quiet", *targets)
    ruff("check", "--fix", "--quiet", "--exit-zero", *targets)
    ruff("format", "--quiet", *targets)  # after the fixes (sorted imports)
    for markdown in chapters:
        markdown_from_notebook(markdown)
    print("what is left to fix by hand:")
    return ruff("check", "--output-format", "concise", *targets)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
