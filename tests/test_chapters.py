"""Static checks of the chapters: pairing, clean notebooks, table of contents, anatomy,
and the page conventions of the README's "Writing or editing a chapter".

Executing the chapters is nbmake's job (``make test`` passes ``--nbmake``); what
the executed cells print and draw is checked by ``conftest.py``.
"""

import ast
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))


# The first code cell of every chapter: on Colab it installs what Colab lacks
# (mlcourse itself, without touching Colab's frameworks, and the extra packages
# the chapter imports); anywhere else it does nothing. Tagged remove-cell.
COLAB_CELL = """\
# On Colab, install the book's helper package and what Colab lacks.
# Anywhere else (a clone of the book, Binder) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    %pip install -q --no-deps "mlcourse @ git+{repository}"
    %pip install -q {packages}"""
# Packages a chapter's imports need on Colab besides mlcourse (import: package).
COLAB_EXTRAS = {
    "optuna": "optuna",
    "torchao": "torchao",
    "ai_edge_litert": "ai-edge-litert",
}
HIDDEN = {"remove-cell", "remove-input", "hide-input", "hide-cell"}
GLUE_CALLS = {"glue", "glue_sci"}


def cell_summary(notebook) -> list[tuple[str, str, list[str], dict]]:
    return [
        (
            c.cell_type,
            c.source.strip(),
            sorted(c.metadata.get("tags", [])),
            c.metadata.get("mystnb", {}),
        )
        for c in notebook.cells
    ]


def code_cells(chapter: Path) -> list:
    return [c for c in jupytext.read(chapter).cells if c.cell_type == "code"]


def python_of(source: str) -> ast.Module:
    """The cell's code as Python (IPython magics become ``pass``)."""
    lines = [
        re.sub(r"^(\s*)(%%?[A-Za-z]|!(?!=)).*", r"\1pass", line)
        for line in source.splitlines()
    ]
    return ast.parse("\n".join(lines))


def is_glue(statement: ast.stmt) -> bool:
    call = getattr(statement, "value", None)
    if not isinstance(statement, ast.Expr) or not isinstance(call, ast.Call):
        return False
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in GLUE_CALLS


def colab_cell(chapter: Path) -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    imported = set()
    for cell in code_cells(chapter):
        for node in ast.walk(python_of(cell.source)):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    extras = [COLAB_EXTRAS[name] for name in sorted(imported & set(COLAB_EXTRAS))]
    return COLAB_CELL.format(
        repository=config["repository"]["url"],
        packages=" ".join(["myst-nb", *extras]),
    )


def toc_files() -> list[str]:
    def walk(entries):
        for entry in entries:
            if "file" in entry:
                yield entry["file"]
            yield from walk(entry.get("chapters", []) + entry.get("sections", []))

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"], *walk(toc.get("parts", []) + toc.get("chapters", []))]


def test_there_are_chapters():
    assert CHAPTERS, "no chapters found in chapters/"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_md_and_ipynb_are_paired_and_in_sync(chapter):
    notebook_path = chapter.with_suffix(".ipynb")
    assert notebook_path.exists(), (
        f"{notebook_path.name} is missing: run `make sync`"
    )
    assert cell_summary(jupytext.read(chapter)) == cell_summary(
        jupytext.read(notebook_path)
    ), (
        f"{chapter.name} and {notebook_path.name} differ: edit the .md, then run `make sync`"
    )
    formats = jupytext.read(chapter).metadata.get("jupytext", {}).get("formats", "")
    assert "ipynb" in formats and "md:myst" in formats, (
        f"{chapter.name} is not paired (formats: {formats!r})"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_committed_notebook_holds_no_outputs(chapter):
    notebook = nbformat.read(chapter.with_suffix(".ipynb"), as_version=4)
    dirty = [
        i
        for i, c in enumerate(notebook.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count is not None)
    ]
    assert not dirty, (
        f"{chapter.with_suffix('.ipynb').name}: cells {dirty} hold outputs; run `make sync` to regenerate it from the .md"
    )


def test_table_of_contents_matches_the_files():
    listed = toc_files()
    for entry in listed:
        assert (ROOT / f"{entry}.md").exists(), (
            f"_toc.yml lists {entry}, which does not exist"
        )
    for chapter in CHAPTERS:
        name = chapter.relative_to(ROOT).with_suffix("").as_posix()
        assert name in listed, f"{name} is not in _toc.yml"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_first_cell_installs_what_colab_lacks(chapter):
    first = code_cells(chapter)[0]
    expected = colab_cell(chapter)
    assert first.source.strip() == expected, (
        f"the first code cell must be the Colab install cell:\n{expected}"
    )
    assert first.metadata.get("tags") == ["remove-cell"], (
        "the Colab cell must be tagged remove-cell (it is not part of the page)"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_chapter_follows_the_anatomy(chapter):
    code = [c.source for c in code_cells(chapter)]
    text = chapter.read_text()
    assert len(code) > 1 and "mc.setup(" in code[1], (
        "the code cell after the Colab cell must call mc.setup(...)"
    )
    assert "{exercise}" in text and "{solution-start}" in text, (
        "exercises with solutions are missing"
    )
    assert "{bibliography}" in text, "the chapter has no bibliography"
    assert "glue(" in "\n".join(code), "numbers in the prose must come from glue"
    assert "({eq}" not in text, (
        "{eq} already prints its parentheses: '({eq}`x`)' shows '((3))'"
    )


GLUED = r"""glue(?:_sci)?\(\s*["']([^"']+)["']"""


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_bookkeeping_stays_off_the_page(chapter):
    for cell in code_cells(chapter):
        tags = set(cell.metadata.get("tags", []))
        body = python_of(cell.source).body
        head = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        if body and all(is_glue(s) for s in body):
            assert "remove-cell" in tags, (
                f"a cell that only glues numbers must be tagged remove-cell: {head!r}"
            )
        elif body and all(is_glue(s) or isinstance(s, ast.Assert) for s in body):
            assert tags & HIDDEN, (
                "a cell of checks (asserts and glue) must be collapsed or removed "
                f"(tags hide-input, hide-cell, remove-input or remove-cell): {head!r}"
            )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_figures_are_referenced_and_quoted_numbers_glued(chapter):
    text = chapter.read_text()
    for cell in code_cells(chapter):
        name = cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
        if name:
            assert f"{{numref}}`{name}`" in text or f"<{name}>`" in text, (
                f"figure {name} is never referenced from the prose ({{numref}}`{name}`)"
            )
    glued = set(re.findall(GLUED, text))
    # Keys glued in a loop, glue(f"chapter_x_{name}", ...): known by their prefix.
    prefixes = tuple(re.findall(r"""glue(?:_sci)?\(\s*f["']([^"'{]+)""", text))
    for key in re.findall(r"\{glue(?::text|:md)?\}`([^`:]+)", text):
        assert key in glued or (prefixes and key.startswith(prefixes)), (
            f"{{glue}}`{key}` is quoted but never glued in {chapter.name}"
        )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_no_reference_to_material_readers_lack(chapter):
    text = chapter.read_text().lower()
    assert "source notes" not in text, (
        "the book speaks to its readers only: describe the mistake, not its source"
    )


def test_glue_keys_are_unique_across_chapters():
    seen: dict[str, str] = {}
    for chapter in CHAPTERS:
        for key in re.findall(GLUED, chapter.read_text()):
            assert seen.get(key, chapter.name) == chapter.name, (
                f"glue key {key!r} is used in {seen[key]} and {chapter.name}"
            )
            seen[key] = chapter.name
