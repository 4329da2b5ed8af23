"""Tests of mlcourse.parallel: the launcher, the rank helpers and the rank programs.

The launcher's promise is that no process outlives the call, whatever happens:
each test process records its pid (and start time) in a file, and the tests
check with psutil that every recorded process is gone afterwards, including
grandchildren started in their own sessions, which a plain process-group kill
would miss.
"""

import _thread
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from mlcourse.parallel import launcher, rank
from mlcourse.parallel.__main__ import parse_experiments

PY = sys.executable


def python(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def recorder(folder: Path) -> str:
    """Python code that records this process's pid and start time in `folder`."""
    return textwrap.dedent(f"""
        import os, psutil
        me = psutil.Process()
        with open(os.path.join({str(folder)!r}, f"pid{{me.pid}}"), "w") as f:
            f.write(str(me.create_time()))
    """)


def recorded(folder: Path) -> dict[int, float]:
    return {
        int(path.name[3:]): float(path.read_text() or 0)
        for path in folder.glob("pid*")
        if path.read_text()
    }


def alive(pid: int, created: float) -> bool:
    try:
        process = psutil.Process(pid)
        return (
            abs(process.create_time() - created) < 0.01
            and process.status() != psutil.STATUS_ZOMBIE
        )
    except psutil.NoSuchProcess:
        return False


def assert_all_gone(folder: Path, expected: int) -> None:
    pids = recorded(folder)
    assert len(pids) >= expected, f"only {len(pids)} processes recorded their pid"
    deadline = time.monotonic() + 5  # processes re-parented to init: reaped soon
    while time.monotonic() < deadline:
        left = [pid for pid, created in pids.items() if alive(pid, created)]
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError(f"processes outlived the launcher: {left}")


def wait_for_pids(folder: Path, count: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while len(recorded(folder)) < count and time.monotonic() < deadline:
        time.sleep(0.05)


HANG_WITH_GRANDCHILD = """
import subprocess, sys, time
code = {grandchild!r}
subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
time.sleep(300)
"""


def hanging_command(folder: Path) -> list[str]:
    """A process that records itself, starts a grandchild in a new session
    (which records itself too), then hangs."""
    grandchild = recorder(folder) + "\nimport time\ntime.sleep(300)\n"
    return python(
        recorder(folder) + HANG_WITH_GRANDCHILD.format(grandchild=grandchild)
    )


# ------------------------------------------------------------------ run_processes


def test_free_port_can_be_bound():
    import socket

    port = launcher.free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_results_come_back_in_rank_order():
    save = """
        import os
        from mlcourse.parallel import rank
        r = int(os.environ["RANK"])
        rank.save_result({"rank": r, "world": int(os.environ["WORLD_SIZE"]),
                          "square": [r * r]})
    """
    run = launcher.run_processes([python(save)] * 3, timeout=60)
    assert run.results == [
        {"rank": r, "world": 3, "square": [r * r]} for r in range(3)
    ]
    assert run.returncodes == [0, 0, 0] and run.seconds > 0
    assert run.command_lines[0].startswith("python -c")


def test_only_rank_0_output_is_streamed(capsys):
    talk = """
        import os, time
        print("hello from", os.environ["RANK"])
        time.sleep(0.2)
        print("bye from", os.environ["RANK"])
    """
    run = launcher.run_processes([python(talk)] * 2, timeout=60)
    shown = capsys.readouterr()
    assert shown.out == "hello from 0\nbye from 0\n" == run.output
    assert shown.err == ""
    assert run.results == [None, None]  # nobody saved a result


def test_a_crash_stops_the_others_and_shows_its_stderr(tmp_path):
    crash = recorder(tmp_path) + "\nraise SystemExit('rank 1 fails on purpose')"
    start = time.monotonic()
    with pytest.raises(launcher.RankFailure, match="rank 1 fails on purpose"):
        launcher.run_processes(
            [hanging_command(tmp_path), python(crash)], timeout=120
        )
    assert time.monotonic() - start < 60  # not the timeout: stopped at once
    assert_all_gone(tmp_path, expected=2)


def test_a_hang_times_out_and_the_whole_tree_is_killed(tmp_path):
    with pytest.raises(launcher.LaunchTimeout, match="did not finish within 5 s"):
        launcher.run_processes([hanging_command(tmp_path)] * 2, timeout=5)
    assert_all_gone(tmp_path, expected=3)  # 2 processes and at least 1 grandchild


def test_an_interrupt_kills_everything(tmp_path):
    def interrupt_once_all_started():
        wait_for_pids(tmp_path, 4)  # 2 processes, 2 grandchildren
        _thread.interrupt_main()  # what the notebook's stop button does

    threading.Thread(target=interrupt_once_all_started, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        launcher.run_processes([hanging_command(tmp_path)] * 2, timeout=120)
    assert_all_gone(tmp_path, expected=4)


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal: Linux")
def test_children_die_with_the_launching_process(tmp_path):
    caller = python(f"""
        import sys
        from mlcourse.parallel import launcher
        launcher.run_processes([{hanging_command(tmp_path)!r}], timeout=300)
    """)
    # The killed caller cannot remove its run folder: keep it inside tmp_path.
    parent = subprocess.Popen(caller, env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        wait_for_pids(tmp_path, 2)
        parent.send_signal(signal.SIGKILL)  # no chance to clean up
        parent.wait(timeout=30)
    finally:
        parent.kill()
    # The direct child gets SIGTERM from the kernel; its grandchild is in its own
    # session and survives by design, so kill it here and check only the child.
    pids = recorded(tmp_path)
    deadline = time.monotonic() + 10
    child = min(pids, key=lambda pid: pids[pid])  # the first to start
    while alive(child, pids[child]) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid, created in pids.items():
        if pid != child and alive(pid, created):
            os.kill(pid, signal.SIGKILL)
    assert not alive(child, pids[child])


def test_without_check_failures_are_returned():
    fail = "import sys; print('broken input', file=sys.stderr); sys.exit(3)"
    run = launcher.run_processes([python(fail)], timeout=60, check=False)
    assert run.returncodes == [3]
    assert "broken input" in run.stderr["process 0"]


def test_children_get_a_quiet_environment_and_overrides():
    show = """
        import os
        from mlcourse.parallel import rank
        names = ["OMP_NUM_THREADS", "TORCH_CPP_LOG_LEVEL", "TF_CPP_MIN_LOG_LEVEL",
                 "PYTHONUNBUFFERED", "EXTRA"]
        rank.save_result({name: os.environ.get(name) for name in names})
    """
    run = launcher.run_processes([python(show)], timeout=60, env={"EXTRA": "yes"})
    assert run.results[0] == {
        "OMP_NUM_THREADS": "1",
        "TORCH_CPP_LOG_LEVEL": "ERROR",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
        "EXTRA": "yes",
    }
    assert run.peak_memory >= 0


def test_tf_workers_get_a_tf_config_each():
    show = """
        import json, os
        from mlcourse.parallel import rank
        config = json.loads(os.environ["TF_CONFIG"])
        rank.save_result(config, rank=config["task"]["index"])
    """
    path = None
    try:
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
            script.write(textwrap.dedent(show))
            path = script.name
        run = launcher.run_tf_workers(path, nworkers=2, timeout=60)
    finally:
        if path:
            os.unlink(path)
    first, second = run.results
    assert first["cluster"] == second["cluster"]
    addresses = first["cluster"]["worker"]
    assert len(set(addresses)) == 2 and all(
        a.startswith("127.0.0.1:") for a in addresses
    )
    assert [first["task"], second["task"]] == [
        {"type": "worker", "index": 0},
        {"type": "worker", "index": 1},
    ]


def test_proportional_memory_of_this_process():
    assert launcher.proportional_memory(os.getpid()) > 10_000_000
    assert launcher.proportional_memory(2**22 + 12345) == 0  # no such process


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: launcher.run_torchrun("m", nprocs=0), ValueError, "nprocs"),
        (lambda: launcher.run_torchrun("m", nnodes=1.5), TypeError, "nnodes"),
        (lambda: launcher.run_torchrun(42), TypeError, "target"),
        (lambda: launcher.run_torchrun("not a module!"), ValueError, "target"),
        (lambda: launcher.run_torchrun("missing.py"), FileNotFoundError, "missing"),
        (lambda: launcher.run_torchrun("m", "--flag"), TypeError, "args"),
        (lambda: launcher.run_tf_workers("m", nworkers=0), ValueError, "nworkers"),
        (lambda: launcher.run_processes([]), ValueError, "commands"),
        (lambda: launcher.run_processes("ls"), TypeError, "commands"),
        (lambda: launcher.run_processes([[]]), ValueError, "empty command"),
        (lambda: launcher.run_processes([[1]]), TypeError, "strings"),
        (
            lambda: launcher.run_processes([["true"]], timeout=float("nan")),
            ValueError,
            "timeout",
        ),
        (
            lambda: launcher.run_processes([["true"]], timeout=0),
            ValueError,
            "timeout",
        ),
        (
            lambda: launcher.run_processes([["true"]], check="no"),
            TypeError,
            "check",
        ),
        (
            lambda: launcher.run_processes([["true"]], env={"A": 1}),
            TypeError,
            "env",
        ),
        (lambda: launcher.run_processes([["true"]], env=["A"]), TypeError, "env"),
    ],
)
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -------------------------------------------------------------------- torchrun

RANK_SCRIPT = """
import sys, time
import torch, torch.distributed as dist
from mlcourse.parallel import rank
{record}
me = rank.init_process_group()
total = torch.tensor([float(me.rank + 1)])
dist.all_reduce(total)
rank.print0("sum of ranks + 1:", total.item())
if "crash" in sys.argv and me.rank == 1:
    raise RuntimeError("rank 1 crashes on purpose")
dist.barrier()  # under "crash", rank 0 waits here for a rank that is gone
rank.save_result({{"rank": me.rank, "world": me.world_size, "total": total}})
rank.destroy_process_group()
"""


@pytest.fixture
def rank_script(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    path = tmp_path / "ranks.py"
    path.write_text(RANK_SCRIPT.format(record=recorder(pids)))
    return path, pids


def test_torchrun_runs_the_ranks_and_collects_their_results(rank_script, capsys):
    path, pids = rank_script
    run = launcher.run_torchrun(path, nprocs=2, timeout=240)
    assert [r["total"] for r in run.results] == [[3.0], [3.0]]
    assert [(r["rank"], r["world"]) for r in run.results] == [(0, 2), (1, 2)]
    assert capsys.readouterr().out == "sum of ranks + 1: 3.0\n" == run.output
    assert run.command_lines == [
        f"torchrun --standalone --nproc-per-node=2 {path.resolve()}"
    ]
    assert run.peak_memory > 0
    assert_all_gone(pids, expected=2)


def test_torchrun_rank_crash_is_reported_with_its_rank(rank_script):
    path, pids = rank_script
    with pytest.raises(launcher.RankFailure) as failure:
        launcher.run_torchrun(path, ["crash"], nprocs=2, timeout=240)
    message = str(failure.value)
    assert "stderr of rank 1" in message and "crashes on purpose" in message
    assert_all_gone(pids, expected=2)


# ---------------------------------------------------------------- rank helpers


@pytest.mark.parametrize(
    "backend, gpus, local_ranks, expected",
    [
        ("gloo", 8, 2, "gloo"),
        ("nccl", 0, 2, "nccl"),
        ("auto", 0, 2, "gloo"),
        ("auto", 1, 2, "gloo"),  # two ranks cannot share one GPU under NCCL
        ("auto", 2, 2, "nccl"),
    ],
)
def test_choose_backend(backend, gpus, local_ranks, expected):
    assert rank.choose_backend(backend, gpus, local_ranks) == expected


def test_choose_backend_refuses_unknown_names():
    with pytest.raises(ValueError, match="unknown backend 'mpi'"):
        rank.choose_backend("mpi", 0, 1)


def test_to_json_turns_arrays_and_tensors_into_lists():
    import torch

    value = {
        "a": np.arange(3),
        "t": torch.ones(2, 2),
        "s": np.float32(0.5),
        "n": [1, (2.5, None), "x", True],
    }
    assert rank.to_json(value) == {
        "a": [0, 1, 2],
        "t": [[1.0, 1.0], [1.0, 1.0]],
        "s": 0.5,
        "n": [1, [2.5, None], "x", True],
    }
    with pytest.raises(TypeError, match="cannot save a set"):
        rank.to_json({"bad": {1, 2}})


def test_save_result_writes_json_where_the_launcher_looks(tmp_path, monkeypatch):
    monkeypatch.setenv(rank.RESULTS_DIR_VARIABLE, str(tmp_path))
    monkeypatch.setenv("RANK", "3")
    path = rank.save_result({"loss": np.float64(0.25)})
    assert path == tmp_path / "rank3.json"
    assert json.loads(path.read_text()) == {"loss": 0.25}
    with pytest.raises(TypeError, match="data must be a dict"):
        rank.save_result([1, 2])


def test_save_result_without_a_launcher_says_so(monkeypatch, capsys):
    monkeypatch.delenv(rank.RESULTS_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("RANK", "0")
    assert rank.save_result({"a": 1}) is None
    assert "not saved" in capsys.readouterr().out


@pytest.mark.parametrize("rank_text, shown", [("0", True), ("1", False)])
def test_print0_prints_on_rank_0_only(monkeypatch, capsys, rank_text, shown):
    monkeypatch.setenv("RANK", rank_text)
    rank.print0("a line")
    assert (capsys.readouterr().out == "a line\n") is shown


def test_a_bad_rank_variable_is_named(monkeypatch):
    monkeypatch.setenv("RANK", "one")
    with pytest.raises(ValueError, match="RANK must be an integer, got 'one'"):
        rank.current_rank()


def test_experiments_and_their_options_are_parsed():
    calls = parse_experiments(
        ["collectives:ring", "numel=10", "name=text", "collectives:basics"]
    )
    assert [(name, options) for name, _, options in calls] == [
        ("collectives:ring", {"numel": 10, "name": "text"}),
        ("collectives:basics", {}),
    ]
    with pytest.raises(ValueError, match="has no nothing"):
        parse_experiments(["collectives:nothing"])
    with pytest.raises(ValueError, match="cannot read 'numel=3'"):
        parse_experiments(["numel=3"])
    with pytest.raises(ValueError, match="no experiment"):
        parse_experiments([])


def test_importing_the_package_loads_no_framework():
    done = subprocess.run(
        python("""
            import sys
            import mlcourse.parallel
            print("torch" in sys.modules, "tensorflow" in sys.modules)
        """),
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["False", "False"]


def test_train_arrays_come_from_the_notebook_file_or_the_split(
    tmp_path, monkeypatch
):
    from mlcourse.data import load_digits_splits
    from mlcourse.parallel import data

    monkeypatch.delenv(data.DIGITS_VARIABLE, raising=False)
    x, y = data.train_arrays()
    train = load_digits_splits(seed=0).train
    assert np.array_equal(x, train.x) and np.array_equal(y, train.y)
    path = tmp_path / "digits.npz"
    np.savez(path, x=x[:5], y=y[:5])
    monkeypatch.setenv(data.DIGITS_VARIABLE, str(path))
    x5, y5 = data.train_arrays()
    assert np.array_equal(x5, x[:5]) and np.array_equal(y5, y[:5])
    assert x5.dtype == np.float32 and y5.dtype == np.int64


# ------------------------------------------------------------- rank programs


def test_parameter_server_batches_split_each_round_between_workers():
    from mlcourse.parallel.parameter_server import worker_batches

    first, second = (
        worker_batches(w, 2, steps=80, batch=16, seed=0) for w in (0, 1)
    )
    assert first.shape == second.shape == (80, 16)
    for a, b in zip(first, second):  # one round: two disjoint batches
        assert not set(a.tolist()) & set(b.tolist())


def test_the_rank_programs_on_two_ranks():
    """Every torch experiment, small, in one launch, with its main claims."""
    experiments = [
        "collectives:basics",
        "collectives:ring",
        "numel=1001",
        "collectives:timings",
        "numels=[4, 64]",
        "repeats=1",
        "collectives:hello",
        "data_parallel:ddp_training",
        "steps=3",
        "data_parallel:hand_all_reduce",
        "data_parallel:accumulation",
        "micro_batches=2",
        "data_parallel:buckets",
        "sharding:fsdp_vs_ddp",
        "steps=3",
        "tensor_parallel:linear_layers",
        "scaling:throughput",
        "hiddens=[8]",
        "steps=2",
        "parameter_server:train",
        "steps=3",
    ]
    run = launcher.run_torchrun("mlcourse.parallel", experiments, timeout=300)
    zero, one = run.results
    basics = one["collectives:basics"]
    assert basics["broadcast"] == [0.0, 1.0]
    assert basics["all_reduce"] == [10.0, 12.0]
    assert basics["reduce_scatter"] == [12.0]
    assert basics["all_gather"] == [0.0, 1.0, 10.0, 11.0]
    ring = zero["collectives:ring"]
    assert ring["bytes_sent"] + one["collectives:ring"]["bytes_sent"] == 2 * 4004
    assert ring["max_diff_ring_vs_float64"] < 1e-5
    assert len(zero["collectives:timings"]["ring"]) == 2
    assert zero["collectives:hello"]["sum_of_ranks"] == [1.0]
    ddp = zero["data_parallel:ddp_training"]
    assert (
        ddp["initial_after_ddp"]
        == one["data_parallel:ddp_training"]["initial_after_ddp"]
    )
    assert ddp["initial_after_ddp"] == ddp["initial_before_ddp"]
    assert (
        len(ddp["indices"]) == 3 and ddp["state_dict_keys"][0] == "module.0.weight"
    )
    assert zero["data_parallel:hand_all_reduce"]["max_diff_hand_vs_ddp"] == 0.0
    accumulation = zero["data_parallel:accumulation"]
    assert accumulation["forward_inside"]["all_reduce_calls"] == [0, 1]
    assert accumulation["forward_outside"]["all_reduce_calls"] == [1, 1]
    assert accumulation["forward_inside"]["max_diff_vs_big_batch"] < 1e-6
    assert zero["data_parallel:buckets"]["default"][1] == [9610]
    sharding = zero["sharding:fsdp_vs_ddp"]
    assert sharding["shard_shapes"]["0.weight"] == [64, 64]
    difference = np.subtract(sharding["final_fsdp"], sharding["final_ddp"])
    assert np.abs(difference).max() < 1e-6
    tensor = zero["tensor_parallel:linear_layers"]
    assert (
        tensor["max_diff_column_row"] < 1e-5 and tensor["max_diff_library"] < 1e-5
    )
    rows = zero["scaling:throughput"]["rows"]
    assert [row["ranks"] for row in rows] == [1, 2]
    # one rank has nothing to communicate: its two timings are one measurement
    assert rows[0]["seconds_per_step"] == rows[0]["compute_seconds_per_step"]
    server = zero["parameter_server:train"]
    assert server["synchronous"]["updates"] == 3
    assert server["asynchronous"]["updates"] == 3  # one worker: 3 pushes


def test_the_tensorflow_workers_train_like_one_process(tmp_path):
    import torch

    from mlcourse.data import load_digits_splits
    from mlcourse.models import digits_mlp

    model = digits_mlp(0, hidden=16)
    plan = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    rng = np.random.default_rng(0)
    plan["batches"] = np.stack([rng.permutation(1077)[:8] for _ in range(3)])
    plan["lr"] = np.array(0.1)
    np.savez(tmp_path / "plan.npz", **plan)
    run = launcher.run_tf_workers(
        "mlcourse.parallel.tf_workers", [str(tmp_path / "plan.npz")], timeout=300
    )
    train = load_digits_splits(seed=0).train
    x, y = torch.as_tensor(train.x), torch.as_tensor(train.y)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for rows in plan["batches"]:
        loss = torch.nn.functional.cross_entropy(model(x[rows]), y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for name, value in model.state_dict().items():
        for result in run.results:
            np.testing.assert_allclose(
                result[f"final/{name}"], value.numpy(), rtol=0, atol=1e-6
            )


def test_parent_death_hook_is_a_preexec_fn_on_linux_only(monkeypatch):
    # (That a child started with it dies with its parent is tested above through
    # run_processes, and in test_gpt.py through the capstone's training runs.)
    hook = launcher.parent_death_hook()
    assert callable(hook) if sys.platform == "linux" else hook is None
    done = subprocess.run(
        [sys.executable, "-c", "print('started')"],
        preexec_fn=hook,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "started\n"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert launcher.parent_death_hook() is None
