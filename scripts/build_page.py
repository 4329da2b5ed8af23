"""Build one chapter as the book would, with warnings as errors (make page CHAPTER=...).

    python scripts/build_page.py chapters/tuning.md [--out DIR]

A throw-away book in DIR (default ``_build/page/<chapter>``) holds the book's
configuration and a table of contents with that one chapter; the chapter is
executed afresh and rendered with ``-W``, exactly as ``make book`` renders it,
but without waiting for the other chapters (or touching the book's own
``_build/html`` and execution cache). Links to other chapters cannot resolve in
a one-chapter book, so only their warnings are silenced; ``make book`` checks
them. Open ``DIR/_build/html/index.html``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ["references.bib", "_ext", "_static"]
# Links to other chapters cannot resolve in a one-chapter book; the full build
# (make book) checks them. Only these warnings are silenced here.
CROSS_CHAPTER_WARNINGS = ["ref.doc", "ref.ref", "ref.numref", "myst.xref_missing"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "chapter", type=Path, help="the chapter's .md, e.g. chapters/tuning.md"
    )
    parser.add_argument("--out", type=Path, default=None, help="where to build")
    args = parser.parse_args()
    chapter = args.chapter.resolve()
    if (
        chapter.suffix != ".md"
        or not chapter.exists()
        or chapter.parent != ROOT / "chapters"
    ):
        parser.error(f"{args.chapter} is not a chapter's .md in chapters/")
    out = (args.out or ROOT / "_build" / "page" / chapter.stem).resolve()
    if out.exists():
        shutil.rmtree(out)
    (out / "chapters").mkdir(parents=True)
    for name in SHARED:
        (out / name).symlink_to(ROOT / name)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["suppress_warnings"] = [
        *sphinx_config.get("suppress_warnings", []),
        *CROSS_CHAPTER_WARNINGS,
    ]
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    # The chapter and its notebook sit in a folder of their own, so the build
    # reads nothing else; the cells still run with chapters/ as their folder's name.
    for path in (chapter, chapter.with_suffix(".ipynb")):
        if path.exists():
            shutil.copy(path, out / "chapters" / path.name)
    (out / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Chapter\n    numbered: true\n"
        f"    chapters:\n      - file: chapters/{chapter.stem}\n"
    )
    (out / "intro.md").write_text(f"# One chapter: {chapter.stem}\n")
    command = [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        "--warningiserror",
        "--keep-going",
        str(out),
    ]
    done = subprocess.run(command, check=False)
    print(f"open {out / '_build' / 'html' / 'chapters' / (chapter.stem + '.html')}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
