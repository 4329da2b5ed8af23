"""The environment files declare every package the chapters and mlcourse import.

pyproject.toml chooses the versions; environment.yml (Binder, conda) must
repeat the same specifiers. A new import in a chapter fails here until its
package is declared in both.
"""

import ast
import re
import sys
import tomllib
from pathlib import Path

import jupytext
import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]

# Import name -> distribution name, where they differ or matter.
DISTRIBUTION_OF = {
    "numpy": "numpy",
    "sklearn": "scikit-learn",
    "matplotlib": "matplotlib",
    "torch": "torch",
    "tensorflow": "tensorflow-cpu",
    "myst_nb": "myst-nb",
    "IPython": "ipython",
    "tensorboard": "tensorboard",
    "pandas": "pandas",
    "scipy": "scipy",
    "optuna": "optuna",
    "ml_dtypes": "ml-dtypes",
    "torchao": "torchao",
    "ai_edge_litert": "ai-edge-litert",
    "psutil": "psutil",
}


def top_level_imports(source: str) -> set[str]:
    # Notebook magics (%timeit, !pip) are not Python: each becomes `pass`, which
    # keeps an indented block (the Colab cell's `if`) valid.
    lines = [
        re.sub(r"^(\s*)(%%?[A-Za-z]|!(?!=)).*", r"\1pass", line)
        for line in source.splitlines()
    ]
    names = set()
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def third_party_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    sources = [
        (p, p.read_text()) for p in sorted((ROOT / "mlcourse").rglob("*.py"))
    ]
    for chapter in sorted((ROOT / "chapters").glob("*.md")):
        cells = jupytext.read(chapter).cells
        sources.append(
            (chapter, "\n".join(c.source for c in cells if c.cell_type == "code"))
        )
    for path, source in sources:
        for name in (
            top_level_imports(source) - set(sys.stdlib_module_names) - {"mlcourse"}
        ):
            found.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    return found


def pyproject_requirements() -> dict[str, list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + sum(
        project["optional-dependencies"].values(), []
    )
    by_name: dict[str, list[Requirement]] = {}
    for text in listed:
        requirement = Requirement(text)
        by_name.setdefault(requirement.name, []).append(requirement)
    return by_name


def environment_requirements() -> dict[str, Requirement]:
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(
        item["pip"] for item in spec["dependencies"] if isinstance(item, dict)
    )
    lines = [
        line for line in pip_section if not line.startswith("-")
    ]  # options, -e .
    return {Requirement(line).name: Requirement(line) for line in lines}


def test_every_import_is_declared_in_both_files():
    core = {
        Requirement(r).name
        for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
            "dependencies"
        ]
    }
    environment = environment_requirements()
    for module, users in sorted(third_party_imports().items()):
        assert module in DISTRIBUTION_OF, (
            f"{module!r} (imported in {', '.join(sorted(users))}) is not known to this test: "
            "declare its package in pyproject.toml and environment.yml, then add it to DISTRIBUTION_OF"
        )
        distribution = DISTRIBUTION_OF[module]
        assert distribution in core, (
            f"{distribution} (for {module!r}) is missing from pyproject's dependencies"
        )
        assert distribution in environment, (
            f"{distribution} (for {module!r}) is missing from environment.yml"
        )


def test_environment_repeats_the_versions_chosen_in_pyproject():
    chosen = pyproject_requirements()
    for name, requirement in environment_requirements().items():
        assert name in chosen, (
            f"environment.yml lists {name}, which pyproject.toml does not"
        )
        specifiers = {str(r.specifier) for r in chosen[name]}
        assert str(requirement.specifier) in specifiers, (
            f"{name}: environment.yml says {requirement.specifier or 'any version'}, "
            f"pyproject.toml says {' / '.join(sorted(specifiers))}"
        )


def test_binder_gets_cpu_only_torch():
    pip_section = next(
        item["pip"]
        for item in yaml.safe_load((ROOT / "environment.yml").read_text())[
            "dependencies"
        ]
        if isinstance(item, dict)
    )
    assert any("download.pytorch.org/whl/cpu" in line for line in pip_section)
    assert "tensorflow-cpu" in environment_requirements()


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import numpy as np\nfrom torch.nn import functional", {"numpy", "torch"}),
        ("%matplotlib inline\nfrom . import x\nimport os.path", {"os"}),
    ],
)
def test_import_scanner(source, expected):
    assert top_level_imports(source) == expected
