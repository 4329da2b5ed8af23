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
import inspect
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from mlcourse.parallel import rank
from mlcourse.validation import (
    check_choice,
    check_int,
    check_number,
    check_sequence,
)

ExperimentCall = tuple[str, Callable[..., dict], dict[str, Any]]


def check_option(word: str, function: Callable, key: str, value: Any) -> Any:
    """`value` for the option `key` of the experiment `function`, checked and
    converted like its default: a seed an int >= 0, another int >= 1, ``lr``
    a float > 0, ``momentum`` in [0, 1), a tuple a non-empty list of ints >= 1.
    An option the experiment does not take is returned as it is."""
    parameter = inspect.signature(function).parameters.get(key)
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return value
    name, default = f"{word} option {key}", parameter.default
    if isinstance(default, int):
        return check_int(name, value, low=0 if key == "seed" else 1)
    if isinstance(default, float):
        if key == "momentum":
            return check_number(name, value, low=0, high=1, high_open=True)
        return check_number(name, value, low=0, low_open=True)
    if isinstance(default, tuple):
        items = check_sequence(name, value, non_empty=True)
        return tuple(
            check_int(f"{name}[{i}]", v, low=1) for i, v in enumerate(items)
        )
    return value


def parse_experiments(words: list[str]) -> list[ExperimentCall]:
    """``["mod:fn", "a=1", "mod2:fn2"]`` -> ``[("mod:fn", fn, {"a": 1}), ...]``.

    The options an experiment takes are checked (:func:`check_option`).
    """
    words = check_sequence("words", words, of=str, what="strings")
    calls: list[ExperimentCall] = []
    for word in words:
        if "=" in word and calls:
            key, _, text = word.partition("=")
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = text
            name, function, options = calls[-1]
            options[key] = check_option(name, function, key, value)
        elif ":" in word and "=" not in word:
            module_name, _, function_name = word.partition(":")
            try:
                module = importlib.import_module(f"mlcourse.parallel.{module_name}")
            except ModuleNotFoundError:
                raise ValueError(
                    f"cannot read {word!r}: there is no module "
                    f"mlcourse.parallel.{module_name}"
                ) from None
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
    words = list(check_sequence("words", words, of=str, what="strings"))
    backend = "gloo"
    if words[:1] == ["--backend"]:
        if len(words) < 2:
            raise ValueError("--backend needs a value: gloo, nccl or auto")
        backend, words = words[1], words[2:]
    backend = check_choice("backend", backend, rank.BACKENDS)
    calls = parse_experiments(words)
    for name, function, options in calls:  # before any rank joins the group
        taken = inspect.signature(function).parameters
        unknown = [key for key in options if key not in taken or key == "me"]
        if unknown:
            known = ", ".join(key for key in taken if key != "me") or "none"
            raise ValueError(
                f"{name} has no option {unknown[0]!r}; its options: {known}"
            )
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
