"""Run several experiments in one launch of the ranks.

    torchrun --standalone --nproc-per-node=2 -m mlcourse.parallel \\
        collectives:basics  collectives:ring numel=4096

Starting ranks costs seconds (every rank imports PyTorch), so the chapter runs
several experiments per launch. An experiment is a function
``f(me: RankInfo, **options) -> dict`` in a module of this package; ``name=value``
words after it are its options (values are read as JSON when they parse,
else kept as text). Every rank joins the process group once, runs the
experiments in the order given (with a barrier after each), and saves
``{"module:function": its dict, ...}`` as its result; each dict also gets the
``"seconds"`` the experiment took on that rank.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from mlcourse.parallel import rank

ExperimentCall = tuple[str, Callable[..., dict], dict[str, Any]]


def parse_experiments(words: list[str]) -> list[ExperimentCall]:
    """``["mod:fn", "a=1", "mod2:fn2"]`` -> ``[("mod:fn", fn, {"a": 1}), ...]``."""
    calls: list[ExperimentCall] = []
    for word in words:
        if "=" in word and calls:
            key, _, text = word.partition("=")
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = text
            calls[-1][2][key] = value
        elif ":" in word and "=" not in word:
            module_name, _, function_name = word.partition(":")
            module = importlib.import_module(f"mlcourse.parallel.{module_name}")
            function = getattr(module, function_name, None)
            if not callable(function):
                raise ValueError(
                    f"mlcourse.parallel.{module_name} has no {function_name}"
                )
            calls.append((word, function, {}))
        else:
            raise ValueError(
                f"cannot read {word!r}: expected module:function or name=value "
                "after an experiment"
            )
    if not calls:
        raise ValueError(
            "no experiment given: python -m mlcourse.parallel module:function"
        )
    return calls


def main(words: list[str]) -> None:
    """Join the group, run each experiment on every rank, save the results."""
    backend = "gloo"
    if words[:1] == ["--backend"]:
        backend, words = words[1], words[2:]
    calls = parse_experiments(words)
    import torch.distributed as dist

    me = rank.init_process_group(backend)
    results = {}
    for name, function, options in calls:
        start = time.perf_counter()
        result = function(me, **options)
        dist.barrier()
        results[name] = {**result, "seconds": time.perf_counter() - start}
    rank.save_result(results)
    rank.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
