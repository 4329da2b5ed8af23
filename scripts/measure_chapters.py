"""Run each chapter alone, in a fresh kernel, and report its run time and peak memory.

    python scripts/measure_chapters.py chapters/*.ipynb      (or: make budgets)

Each notebook runs in its own child process, which starts the kernel, executes
every cell and shuts the kernel down; the kernel's peak resident memory is then
read from the operating system (``getrusage`` of the child's children). The
script exits non-zero when a chapter exceeds the book's budget.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

BUDGET_SECONDS = 90.0
BUDGET_BYTES = 1.5e9


def run_one(path: Path) -> None:
    """Execute one notebook (in this child process) and print its measurements as JSON."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(
        resource.RUSAGE_CHILDREN
    ).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_bytes": peak_kib * 1024}))


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: measure_chapters.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    failures = 0
    print(
        f"{'chapter':<40} {'seconds':>8} {'peak MB':>8}  budget: {BUDGET_SECONDS:.0f} s, {BUDGET_BYTES / 1e6:.0f} MB"
    )
    for name in paths:
        done = subprocess.run(
            [sys.executable, __file__, "--one", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"{name:<40} FAILED\n{done.stderr[-2000:]}")
            failures += 1
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        over = (
            result["seconds"] > BUDGET_SECONDS
            or result["peak_bytes"] > BUDGET_BYTES
        )
        failures += over
        flag = "  OVER BUDGET" if over else ""
        print(
            f"{name:<40} {result['seconds']:8.1f} {result['peak_bytes'] / 1e6:8.0f}{flag}"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        run_one(Path(sys.argv[2]))
    else:
        sys.exit(main(sys.argv[1:]))
