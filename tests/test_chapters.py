"""Static checks of the chapters: pairing, clean notebooks, table of contents, anatomy.

Executing the chapters is nbmake's job (``make test`` passes ``--nbmake``).
"""

import re
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))


def cell_summary(notebook) -> list[tuple[str, str, list[str]]]:
    return [
        (c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", [])))
        for c in notebook.cells
    ]


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
def test_chapter_follows_the_anatomy(chapter):
    notebook = jupytext.read(chapter)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    text = chapter.read_text()
    assert code and "mc.setup(" in code[0], (
        "the first code cell must call mc.setup(...)"
    )
    assert "{exercise}" in text and "{solution-start}" in text, (
        "exercises with solutions are missing"
    )
    assert "{bibliography}" in text, "the chapter has no bibliography"
    assert "glue(" in "\n".join(code), "numbers in the prose must come from glue"
    assert "({eq}" not in text, (
        "{eq} already prints its parentheses: '({eq}`x`)' shows '((3))'"
    )


def test_glue_keys_are_unique_across_chapters():
    seen: dict[str, str] = {}
    for chapter in CHAPTERS:
        for key in re.findall(
            r"""glue\(\s*["']([^"']+)["']""", chapter.read_text()
        ):
            assert seen.get(key, chapter.name) == chapter.name, (
                f"glue key {key!r} is used in {seen[key]} and {chapter.name}"
            )
            seen[key] = chapter.name
