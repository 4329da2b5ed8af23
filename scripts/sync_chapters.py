"""Regenerate each chapter's .ipynb from its .md, the source of truth (make sync).

    python scripts/sync_chapters.py chapters/*.md

jupytext's --update keeps the notebook's cell ids, so an unchanged chapter
gives no diff; outputs are then dropped, since a notebook saved from
JupyterLab carries them and the committed notebooks must not.
"""

import subprocess
import sys
from pathlib import Path

import nbformat


def sync(markdown: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "jupytext",
            "--quiet",
            "--to",
            "ipynb",
            "--update",
            str(markdown),
        ],
        check=True,
    )
    notebook_path = markdown.with_suffix(".ipynb")
    notebook = nbformat.read(notebook_path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if any(cell.outputs or cell.execution_count is not None for cell in code_cells):
        for cell in code_cells:
            cell.outputs, cell.execution_count = [], None
        nbformat.write(notebook, notebook_path)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: sync_chapters.py CHAPTER.md ...")
    for name in sys.argv[1:]:
        sync(Path(name))
