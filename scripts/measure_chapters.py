"""Run each chapter alone, in a fresh kernel, and report its run time and peak memory.

    python scripts/measure_chapters.py chapters/*.ipynb      (or: make budgets)

Each notebook runs in its own child process, which starts the kernel, executes
every cell and shuts the kernel down. Meanwhile a thread samples, every 250 ms,
the memory of the kernel *and every process it started* (distributed ranks,
Optuna workers, a training run launched from a cell), and keeps the peak of
their sum. Memory is counted as PSS (proportional set size): a page shared by
several processes, such as PyTorch's libraries loaded by every rank, counts
once in the sum, as it does against a container's memory limit (Binder's
2 GB); plain RSS would count it once per process. The largest single RSS is
reported too.

The script exits non-zero when a chapter exceeds the book's budget: 90 s (the
capstone: 180 s) and 1.5 GB. Run it on an otherwise idle machine: chapters
running at the same time measure each other.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

BUDGET_SECONDS = {"default": 90.0, "capstone_gpt": 180.0}
BUDGET_BYTES = 1.5e9
# Reading a process's PSS walks its page tables: about 18 ms for a process
# holding PyTorch and TensorFlow. Sampled every 50 ms, the meter took most of
# a core from the chapter it timed; every 250 ms it takes a few per cent.
SAMPLE_SECONDS = 0.25


class TreeMemory(threading.Thread):
    """Samples the summed PSS (and the largest RSS) of this process's descendants."""

    def __init__(self):
        super().__init__(daemon=True)
        import psutil

        self.psutil, self.me = psutil, psutil.Process()
        self.peak_pss = self.peak_rss = 0
        self.peak_processes = 0
        self.done = threading.Event()

    def sample(self) -> None:
        total_pss, largest_rss, count = 0, 0, 0
        for process in self.me.children(recursive=True):
            try:
                info = process.memory_full_info()
            except (self.psutil.NoSuchProcess, self.psutil.AccessDenied):
                continue
            total_pss += getattr(info, "pss", info.rss)
            largest_rss = max(largest_rss, info.rss)
            count += 1
        if total_pss > self.peak_pss:
            self.peak_pss, self.peak_processes = total_pss, count
        self.peak_rss = max(self.peak_rss, largest_rss)

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            self.sample()


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
    meter = TreeMemory()
    meter.start()
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    meter.done.set()
    meter.join()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_bytes": meter.peak_pss,
                "largest_rss": meter.peak_rss,
                "processes": meter.peak_processes,
            }
        )
    )


def budget_seconds(path: Path) -> float:
    return BUDGET_SECONDS.get(path.stem, BUDGET_SECONDS["default"])


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: measure_chapters.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    failures = 0
    print(
        f"{'chapter':<36} {'seconds':>8} {'budget':>7} {'peak MB':>8} {'max RSS':>8} "
        f"{'procs':>5}   (memory: kernel + children, PSS; budget {BUDGET_BYTES / 1e6:.0f} MB)"
    )
    for name in paths:
        done = subprocess.run(
            [sys.executable, __file__, "--one", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"{name:<36} FAILED\n{done.stderr[-2000:]}")
            failures += 1
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        limit = budget_seconds(Path(name))
        over = result["seconds"] > limit or result["peak_bytes"] > BUDGET_BYTES
        failures += over
        print(
            f"{name:<36} {result['seconds']:8.1f} {limit:7.0f} {result['peak_bytes'] / 1e6:8.0f} "
            f"{result['largest_rss'] / 1e6:8.0f} {result['processes']:5d}"
            f"{'  OVER BUDGET' if over else ''}",
            flush=True,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        run_one(Path(sys.argv[2]))
    else:
        sys.exit(main(sys.argv[1:]))
