"""Check what each executed chapter shows on the page, not only that it runs.

nbmake executes every chapter's notebook (``make test`` passes ``--nbmake``);
this plugin then reads the outputs it produced and fails the chapter when a
page rule is broken:

- a printed line is wider than the book's code box (``[tool.ruff] line-length``
  in pyproject.toml, the width the code itself is formatted to);
- a cell writes to stderr (the book build would fail on it too, later and
  with less context);
- a cell draws a figure without a caption, a ``fig-`` name to reference it by,
  and alt text (cell metadata ``mystnb: {figure: {caption, name}, image: {alt}}``).

Each executed notebook is also written to ``_build/executed/`` for a look at
its outputs.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nbformat
from nbmake import pytest_items
from nbmake.nb_result import NotebookError

ROOT = Path(__file__).resolve().parent
PAGE_WIDTH = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"][
    "line-length"
]
EXECUTED = ROOT / "_build" / "executed"


def _text_outputs(cell) -> list[tuple[str, str]]:
    """(kind, text) of each output a reader sees as text: streams and plain results."""
    shown = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            shown.append((output["name"], output["text"]))
        elif output["output_type"] in ("execute_result", "display_data"):
            data = output.get("data", {})
            rich = {
                "text/html",
                "text/markdown",
                "text/latex",
                "image/png",
                "image/svg+xml",
            }
            if "text/plain" in data and not rich & set(data):
                shown.append(("text/plain", data["text/plain"]))
    return shown


def page_problems(notebook) -> list[tuple[int, str]]:
    """(cell index, problem) for every page rule an executed notebook breaks."""
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if "remove-cell" in tags or "remove-output" in tags:
            continue
        for kind, text in _text_outputs(cell):
            if kind == "stderr":
                problems.append(
                    (index, f"writes to stderr: {text.strip()[:200]!r}")
                )
                continue
            for line in text.splitlines():
                if len(line) > PAGE_WIDTH:
                    problems.append(
                        (
                            index,
                            f"prints a line of {len(line)} characters (page: {PAGE_WIDTH}): "
                            f"{line[:100]!r}",
                        )
                    )
                    break
        draws = any(
            "image/png" in o.get("data", {}) for o in cell.get("outputs", [])
        )
        if draws:
            settings = cell.metadata.get("mystnb", {})
            figure, image = settings.get("figure", {}), settings.get("image", {})
            missing = [
                what
                for what, ok in (
                    ("a caption", bool(figure.get("caption"))),
                    (
                        "a name starting with 'fig-'",
                        str(figure.get("name", "")).startswith("fig-"),
                    ),
                    ("alt text", bool(image.get("alt"))),
                )
                if not ok
            ]
            if missing:
                problems.append(
                    (
                        index,
                        f"draws a figure without {', '.join(missing)} "
                        "(cell metadata mystnb.figure / mystnb.image)",
                    )
                )
    return problems


_execute = pytest_items.NotebookRun.execute


def _execute_and_check(self):
    result = _execute(self)
    EXECUTED.mkdir(parents=True, exist_ok=True)
    nbformat.write(result.nb, EXECUTED / Path(self.filename).name)
    if result.error is None:
        problems = page_problems(result.nb)
        if problems:
            lines = [
                f"cell {index} ({result.nb.cells[index].source.splitlines()[0][:50]!r}...): {problem}"
                for index, problem in problems
            ]
            result.error = NotebookError(
                summary=f"{len(problems)} page rule(s) broken; first: {lines[0]}",
                trace="The chapter ran, but its page breaks the book's rules:\n"
                + "\n".join(lines),
                failing_cell_index=problems[0][0],
            )
    return result


pytest_items.NotebookRun.execute = _execute_and_check
