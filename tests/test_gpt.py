"""Tests of mlcourse.gpt: the model, the data, checkpoints, the training script and its runner."""

import json
import math
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mlcourse.gpt import checkpoint as ckpt
from mlcourse.gpt import data, runs
from mlcourse.gpt.model import GPT, GPTConfig
from mlcourse.gpt.train import (
    TrainConfig,
    evaluate,
    learning_rate_schedule,
    main,
    make_optimizer,
    parse_args,
    progress_line,
    read_jsonl,
    seed_all,
    train,
)

TINY = GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)
# A training run of a few milliseconds a step; dropout makes the RNG matter.
TINY_RUN = TrainConfig(
    n_layer=1,
    n_head=2,
    n_embd=16,
    block_size=8,
    dropout=0.1,
    batch_size=4,
    max_steps=6,
    warmup_steps=2,
    eval_every=3,
    eval_batches=1,
    checkpoint_every=3,
    log_every=3,
    device="cpu",
    threads=1,  # tiny matrices: one thread is faster, and steadier on a busy machine
)


@pytest.fixture(autouse=True)
def _restore_torch_threads():
    """train() sets torch's thread count; give the next test the count it had."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


# ------------------------------------------------------------------------ the model


def test_logits_have_one_row_per_position_and_character():
    torch.manual_seed(0)
    model = GPT(TINY)
    idx = torch.randint(0, 11, (3, 5))
    assert model(idx).shape == (3, 5, 11)
    assert model.loss(idx, idx).shape == ()


def test_parameter_count_matches_the_formula_and_the_head_is_tied():
    model = GPT(TINY)
    V, T, C, L = 11, 8, 16, 2
    per_block = (
        2 * C + 3 * C * C + C * C + 4 * C * C + 4 * C * C
    )  # 2 norms, attn, mlp
    expected = V * C + T * C + L * per_block + C  # + the final norm; head tied
    assert model.num_parameters() == expected
    assert model.num_parameters(include_positions=False) == expected - T * C
    assert model.lm_head.weight is model.transformer.wte.weight


def test_attention_matches_the_formula_and_sdpa():
    torch.manual_seed(0)
    attention = GPT(TINY).transformer.h[0].attn.double()
    x = torch.randn(2, 7, 16, dtype=torch.float64)
    q, k, v = attention.c_attn(x).split(16, dim=2)
    heads = [z.view(2, 7, 2, 8).transpose(1, 2) for z in (q, k, v)]
    scores = heads[0] @ heads[1].transpose(-2, -1) / math.sqrt(8)
    future = torch.triu(torch.ones(7, 7, dtype=torch.bool), diagonal=1)
    weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
    by_hand = (weights @ heads[2]).transpose(1, 2).reshape(2, 7, 16)
    sdpa = F.scaled_dot_product_attention(*heads, is_causal=True)
    torch.testing.assert_close(sdpa.transpose(1, 2).reshape(2, 7, 16), by_hand)
    torch.testing.assert_close(attention(x), attention.c_proj(by_hand))


def test_a_position_never_sees_the_future():
    torch.manual_seed(0)
    model = GPT(TINY).eval()
    idx = torch.randint(0, 11, (1, 8))
    changed = idx.clone()
    changed[0, 5:] = (changed[0, 5:] + 1) % 11
    torch.testing.assert_close(model(idx)[:, :5], model(changed)[:, :5])
    assert not torch.allclose(model(idx)[:, 5:], model(changed)[:, 5:])


def test_generate_extends_the_context_and_top_k_restricts_the_choice():
    torch.manual_seed(0)
    model = GPT(TINY).eval()
    out = model.generate(torch.zeros(2, 3, dtype=torch.long), 12, top_k=1)
    assert out.shape == (2, 15)
    # top_k=1 is greedy: the same as the argmax of each step's logits.
    greedy = torch.zeros(1, 3, dtype=torch.long)
    for _ in range(12):
        nxt = model(greedy[:, -8:])[:, -1].argmax(-1, keepdim=True)
        greedy = torch.cat([greedy, nxt], dim=1)
    assert torch.equal(out[:1], greedy)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_embd=10, n_head=3), ValueError, "multiple of n_head"),
        (dict(n_layer=0), ValueError, "n_layer"),
        (dict(dropout=float("nan")), ValueError, "dropout"),
        (dict(block_size=2.0), TypeError, "block_size"),
        (dict(bias="no"), TypeError, "bias"),
    ],
)
def test_bad_model_configurations_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        GPTConfig(**kwargs)


def test_bad_generate_and_forward_arguments_are_named():
    model = GPT(TINY).eval()
    idx = torch.zeros(1, 2, dtype=torch.long)
    with pytest.raises(ValueError, match="temperature"):
        model.generate(idx, 3, temperature=0.0)
    with pytest.raises(ValueError, match="top_k"):
        model.generate(idx, 3, top_k=12)
    with pytest.raises(ValueError, match="block_size=8"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(TypeError, match="config"):
        GPT({"n_layer": 2})


# ------------------------------------------------------------------------- the data


def test_the_shakespeare_text_splits_as_nanogpt_splits_it():
    text = data.load_text()
    vocab = data.CharVocabulary.from_text(text)
    ids = vocab.encode(text)
    train_ids, val_ids = data.split(ids)
    assert (len(text), len(vocab)) == (1_115_394, 65)
    assert (len(train_ids), len(val_ids)) == (1_003_854, 111_540)
    assert vocab.decode(val_ids[:20]) == text[1_003_854 : 1_003_854 + 20]


def test_vocabulary_round_trip_and_bad_input():
    vocab = data.CharVocabulary.from_text("hello world")
    assert vocab.chars == " dehlorw"
    assert vocab.decode(vocab.encode("world hello")) == "world hello"
    assert vocab.decode(torch.tensor([1, 2])) == "de"
    with pytest.raises(
        ValueError, match=r"3 character\(s\) outside the vocabulary, e.g. 'a'"
    ):
        vocab.encode("hazy")
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 8\)"):
        vocab.decode([8])
    with pytest.raises(ValueError, match="sorted"):
        data.CharVocabulary("ba")
    with pytest.raises(ValueError, match="empty"):
        data.CharVocabulary.from_text("")
    with pytest.raises(TypeError, match="text"):
        vocab.encode(b"bytes")


def test_targets_are_the_inputs_shifted_by_one():
    ids = np.arange(100)
    sampler = data.BatchSampler(ids, block_size=6, batch_size=5, seed=3)
    x, y = sampler.next_batch()
    assert x.shape == y.shape == (5, 6) and x.dtype == np.int64
    np.testing.assert_array_equal(y, x + 1)
    cx, cy = data.consecutive_windows(ids, 6)
    assert cx.shape == (16, 6) and cx[1, 0] == 6
    np.testing.assert_array_equal(cy, cx + 1)


def test_the_sampler_state_is_the_data_position():
    ids = np.arange(1000)
    sampler = data.BatchSampler(ids, block_size=4, batch_size=3, seed=0)
    for _ in range(3):
        sampler.next_batch()
    saved = sampler.state_dict()
    expected = [sampler.next_batch()[0] for _ in range(2)]
    restarted = data.BatchSampler(ids, block_size=4, batch_size=3, seed=0)
    restarted.load_state_dict(saved)
    for batch in expected:
        np.testing.assert_array_equal(restarted.next_batch()[0], batch)
    assert restarted.batches_drawn == 5
    with pytest.raises(
        ValueError, match="seeded with 0, this one is seeded with 1"
    ):
        data.BatchSampler(ids, 4, 3, seed=1).load_state_dict(saved)
    with pytest.raises(ValueError, match="lacks"):
        restarted.load_state_dict({"seed": 0})


def test_rank_shares_make_up_the_single_process_batch():
    ids = np.arange(500)
    whole = data.BatchSampler(ids, 4, batch_size=6, seed=2).next_batch()[0]
    shares = [
        data.BatchSampler(ids, 4, batch_size=3, seed=2).next_batch(rank, 2)[0]
        for rank in range(2)
    ]
    np.testing.assert_array_equal(np.concatenate(shares), whole)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: data.split(np.arange(10), 0.0), ValueError, "val_fraction"),
        (
            lambda: data.split(np.arange(10), float("nan")),
            ValueError,
            "val_fraction",
        ),
        (lambda: data.split(np.ones(10), 0.1), TypeError, "integer"),
        (lambda: data.split(np.arange(3), 0.1), ValueError, "fewer than 2"),
        (lambda: data.BatchSampler(np.arange(5), 5, 2), ValueError, "block_size"),
        (lambda: data.BatchSampler(np.arange(50), 4, 0), ValueError, "batch_size"),
        (
            lambda: data.BatchSampler(np.arange(50), 4, 2).next_batch(2, 2),
            ValueError,
            "rank",
        ),
        (
            lambda: data.windows_at(np.arange(9), np.array([5]), 4),
            ValueError,
            "offsets",
        ),
        (
            lambda: data.fixed_batches(np.arange(50), 4, 2, 0),
            ValueError,
            "n_batches",
        ),
    ],
)
def test_bad_data_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------------ checkpoints


def test_checkpoint_round_trip_restores_every_generator(tmp_path):
    torch.manual_seed(1)
    weights = GPT(TINY).state_dict()
    state = {
        "format": ckpt.FORMAT,
        "step": 3,
        "config": {"a": 1},
        "rng": ckpt.rng_state(),
    }
    state.update({part: {} for part in ckpt.PARTS if part not in ("rng", "model")})
    state["model"] = weights
    path = ckpt.save_checkpoint(state, ckpt.checkpoint_path(tmp_path, 3))
    expected = (
        torch.rand(3),
        np.random.rand(3),
        __import__("random").random(),
    )
    loaded = ckpt.load_checkpoint(path)
    ckpt.set_rng_state(loaded["rng"])
    again = (torch.rand(3), np.random.rand(3), __import__("random").random())
    assert torch.equal(expected[0], again[0])
    np.testing.assert_array_equal(expected[1], again[1])
    assert expected[2] == again[2]
    for name, tensor in state["model"].items():
        assert torch.equal(loaded["model"][name], tensor)
    assert (
        path.name == "ckpt_000003.pt" and ckpt.latest_checkpoint(tmp_path) == path
    )


def _state(step):
    state = {"format": ckpt.FORMAT, "step": step, "config": {}}
    state.update(
        {part: {"weights": torch.full((1000,), float(step))} for part in ckpt.PARTS}
    )
    return state


def test_an_exception_while_writing_leaves_the_old_checkpoint(
    tmp_path, monkeypatch
):
    path = tmp_path / "ckpt_000001.pt"
    ckpt.save_checkpoint(_state(1), path)
    before = path.read_bytes()
    real_save = torch.save

    def crash_halfway(obj, file):
        real_save(obj, file)
        file.truncate(file.tell() // 2)
        raise KeyboardInterrupt("simulated crash")

    monkeypatch.setattr(torch, "save", crash_halfway)
    with pytest.raises(KeyboardInterrupt):
        ckpt.save_checkpoint(_state(2), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt_000001.pt"]


def test_a_kill_in_the_middle_of_a_write_leaves_the_old_checkpoint(tmp_path):
    path = tmp_path / "ckpt_000001.pt"
    ckpt.save_checkpoint(_state(1), path)
    before = path.read_bytes()
    child = textwrap.dedent(
        f"""
        import io, os, signal, torch
        from mlcourse.gpt import checkpoint as ckpt
        state = {{"format": ckpt.FORMAT, "step": 2, "config": {{}}}}
        state.update({{part: {{"w": torch.ones(1000)}} for part in ckpt.PARTS}})
        real_save = torch.save
        def killed_halfway(obj, file):
            buffer = io.BytesIO()
            real_save(obj, buffer)
            file.write(buffer.getvalue()[: buffer.tell() // 2])
            file.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        torch.save = killed_halfway
        ckpt.save_checkpoint(state, {str(path)!r})
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child], cwd=os.getcwd(), check=False
    )
    assert done.returncode == -9
    assert path.read_bytes() == before  # the old checkpoint, whole
    # The half-written temporary file is still there, but it is not a checkpoint.
    assert ckpt.list_checkpoints(tmp_path) == [path]
    assert ckpt.load_checkpoint(path)["step"] == 1


def test_corrupt_and_foreign_files_give_clear_errors(tmp_path):
    path = ckpt.save_checkpoint(_state(1), tmp_path / "ckpt_000001.pt")
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ckpt.CheckpointError, match="truncated or corrupt"):
        ckpt.load_checkpoint(path)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.ones(2)}, other)
    with pytest.raises(ckpt.CheckpointError, match="not a checkpoint of format"):
        ckpt.load_checkpoint(other)
    incomplete = _state(1)
    del incomplete["rng"]
    torch.save(incomplete, other)
    with pytest.raises(ckpt.CheckpointError, match=r"lacks \['rng'\]"):
        ckpt.load_checkpoint(other)
    with pytest.raises(ckpt.CheckpointError, match="no checkpoint at"):
        ckpt.load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(TypeError, match="path"):
        ckpt.load_checkpoint(None)


def test_configuration_differences_are_listed():
    with pytest.raises(
        ckpt.CheckpointError, match=r"n_embd: checkpoint 128, this run 64"
    ):
        ckpt.check_same_config(
            {"n_embd": 128, "lr": 1.0}, {"n_embd": 64, "lr": 1.0}
        )
    ckpt.check_same_config({"threads": 1}, {"threads": 2}, may_differ=("threads",))


def test_bad_checkpoint_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="step"):
        ckpt.checkpoint_path(tmp_path, -1)
    with pytest.raises(TypeError, match="state"):
        ckpt.save_checkpoint([1, 2], tmp_path / "x.pt")
    with pytest.raises(ValueError, match="lacks"):
        ckpt.set_rng_state({"python": None})


# ------------------------------------------------------------------- the training run


def _run(folder, config=TINY_RUN, **kwargs):
    return train(config, folder, **kwargs)


def _final_weights(folder):
    return ckpt.load_checkpoint(ckpt.latest_checkpoint(folder))["model"]


def test_a_resumed_run_is_bit_for_bit_the_uninterrupted_one(tmp_path):
    _run(tmp_path / "whole")
    # An interrupted run: its checkpoint at step 3, and metrics written past it.
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ckpt_000003.pt").write_bytes(
        (tmp_path / "whole/ckpt_000003.pt").read_bytes()
    )
    lines = read_jsonl(tmp_path / "whole/metrics.jsonl")
    (broken / "metrics.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines if line["step"] <= 4)
        + '{"st'
    )
    _run(broken, resume=True)
    whole, resumed = (
        runs.read_metrics(tmp_path / "whole"),
        runs.read_metrics(broken),
    )
    np.testing.assert_array_equal(whole["step"], resumed["step"])
    np.testing.assert_array_equal(whole["loss"], resumed["loss"])  # exactly
    np.testing.assert_array_equal(whole["val_loss"], resumed["val_loss"])
    for name, tensor in _final_weights(tmp_path / "whole").items():
        assert torch.equal(_final_weights(broken)[name], tensor)


@pytest.mark.parametrize("left_out", ["rng", "data"])
def test_leaving_out_a_piece_of_state_changes_the_resumed_run(tmp_path, left_out):
    _run(tmp_path / "whole")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ckpt_000003.pt").write_bytes(
        (tmp_path / "whole/ckpt_000003.pt").read_bytes()
    )
    _run(broken, resume=True, ignore_state=(left_out,))
    whole, resumed = (
        runs.read_metrics(tmp_path / "whole"),
        runs.read_metrics(broken),
    )
    assert resumed["loss"][-1] != whole["loss"][-1]


def test_resuming_with_another_configuration_changes_nothing(tmp_path):
    _run(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    other = TrainConfig(**{**TINY_RUN.__dict__, "n_embd": 32})
    with pytest.raises(
        ckpt.CheckpointError, match="n_embd: checkpoint 16, this run 32"
    ):
        _run(tmp_path, other, resume=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_corrupt_latest_checkpoint_stops_the_resume_and_changes_nothing(tmp_path):
    _run(tmp_path)
    latest = ckpt.latest_checkpoint(tmp_path)
    latest.write_bytes(latest.read_bytes()[:1000])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(
        ckpt.CheckpointError, match="ckpt_000006.pt is not a readable"
    ):
        _run(tmp_path, resume=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_new_run_never_overwrites_an_old_one(tmp_path):
    _run(tmp_path)
    with pytest.raises(ckpt.CheckpointError, match="pass --resume"):
        _run(tmp_path)
    with pytest.raises(ckpt.CheckpointError, match="there is no checkpoint"):
        _run(tmp_path / "empty", resume=True)
    with pytest.raises(ValueError, match="ignore_state"):
        _run(tmp_path / "x", ignore_state=("weights",))


def test_the_first_loss_is_that_of_a_uniform_guess(tmp_path):
    _run(tmp_path)
    metrics = runs.read_metrics(tmp_path)
    assert abs(metrics["loss"][0] - math.log(65)) < 0.05
    assert metrics["step"].tolist() == [1, 2, 3, 4, 5, 6]
    assert metrics["val_step"].tolist() == [3, 6]
    model, step = runs.load_model(ckpt.latest_checkpoint(tmp_path))
    assert step == 6 and not model.training


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(lr=float("nan")), ValueError, "lr"),
        (dict(warmup_steps=6), ValueError, "warmup_steps"),
        (dict(min_lr=1.0), ValueError, "min_lr"),
        (dict(dtype="float8"), ValueError, "dtype"),
        (dict(n_embd=15), ValueError, "multiple of n_head"),
        (dict(batch_size=0), ValueError, "batch_size"),
    ],
)
def test_bad_training_configurations_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        TrainConfig(**{**TINY_RUN.__dict__, **kwargs})


def test_the_command_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        parse_args(["--help"])
    assert stop.value.code == 0
    assert "--ignore-state" in capsys.readouterr().out
    assert parse_args(["--out", "x", *TINY_RUN.to_args()]).n_embd == 16
    assert main(["--out", str(tmp_path), "--lr", "-1"]) == 2
    assert "lr must be > 0" in capsys.readouterr().err


def test_seed_all_seeds_every_global_generator():
    import random

    draws = []
    for _ in range(2):
        seed_all(7)
        draws.append((random.random(), np.random.rand(), torch.rand(1).item()))
    assert draws[0] == draws[1]


def test_the_schedule_warms_up_then_decays_to_min_lr():
    config = TrainConfig(lr=1e-2, min_lr=1e-3, warmup_steps=10, max_steps=110)
    rates = learning_rate_schedule(config)
    assert rates(0) == pytest.approx(1e-3) and rates(5) == pytest.approx(5.5e-3)
    assert rates(10) == pytest.approx(1e-2) and rates(110) == pytest.approx(1e-3)
    assert rates(60) == pytest.approx(5.5e-3)  # half-way down the cosine


def test_weight_decay_applies_to_matrices_only():
    model = GPT(TINY)
    decayed, kept = make_optimizer(
        model, TrainConfig(weight_decay=0.5)
    ).param_groups
    assert decayed["weight_decay"] == 0.5 and kept["weight_decay"] == 0.0
    assert all(p.dim() == 2 for p in decayed["params"])
    assert all(p.dim() == 1 for p in kept["params"])  # layer-norm gains
    assert len(decayed["params"]) + len(kept["params"]) == len(
        list(model.parameters())
    )


def test_evaluation_is_the_mean_loss_over_fixed_batches():
    torch.manual_seed(0)
    model = GPT(TINY)
    batches = data.fixed_batches(np.arange(500) % 11, 8, 4, n_batches=3, seed=1)
    again = data.fixed_batches(np.arange(500) % 11, 8, 4, n_batches=3, seed=1)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again))
    with torch.no_grad():
        expected = np.mean(
            [
                model.loss(torch.from_numpy(x), torch.from_numpy(y)).item()
                for x, y in batches
            ]
        )
    got = evaluate(
        model, batches, "cpu", lambda: torch.autocast("cpu", enabled=False)
    )
    assert got == pytest.approx(expected) and model.training


def test_the_device_and_the_backend_follow_the_gpus(monkeypatch):
    from mlcourse.gpt import train as script
    from mlcourse.parallel.rank import RankInfo

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert script._device(TrainConfig(device="auto")) == "cpu"  # 2 ranks, 1 GPU
    assert script._device(TrainConfig(device="cpu")) == "cpu"
    with pytest.raises(RuntimeError, match="local rank 1.* 1 CUDA GPU"):
        script._device(TrainConfig(device="cuda"))
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    assert script._device(TrainConfig(device="auto")) == "cuda:0"
    # Under torchrun, ranks on the CPU join with gloo even when a GPU is there.
    backends = []

    def joined(backend):
        backends.append(backend)
        return RankInfo(1, 2, 1, backend, "cpu")

    monkeypatch.setattr(script.ranks, "init_process_group", joined)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert script._distributed("cpu") == (0, 1) and backends == []
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert script._distributed("cpu") == (1, 2)
    assert script._distributed("cuda:1") == (1, 2)
    assert backends == ["gloo", "nccl"]


def test_the_progress_line():
    line = progress_line({"step": 5, "loss": 2.0, "lr": 1e-3, "seconds": 1.5}, 100)
    assert (
        line == "step   5/100 | loss 2.0000 | val   --   | lr 1.00e-03 |    1.5 s"
    )
    assert "val 1.5000" in progress_line(
        {"step": 5, "loss": 2.0, "lr": 1e-3, "seconds": 1.5, "val_loss": 1.5}, 100
    )


# ------------------------------------------------------------------ the runner


def test_a_run_killed_partway_resumes_exactly(tmp_path):
    config = TrainConfig(
        **{**TINY_RUN.__dict__, "max_steps": 400, "checkpoint_every": 100}
    )
    config = TrainConfig(
        **{**config.__dict__, "eval_every": 100, "log_every": 400, "threads": 1}
    )
    with runs.TrainingProcess(tmp_path / "killed", config) as process:
        killed_at = process.kill_at_step(150, timeout=120)
    assert not process.running and process.process.returncode == -9
    assert 150 <= killed_at < 400
    assert ckpt.latest_checkpoint(tmp_path / "killed").name == "ckpt_000100.pt"
    with runs.TrainingProcess(tmp_path / "killed", config, resume=True) as process:
        process.wait(timeout=120, echo=False)
    _run(tmp_path / "whole", config)  # threads=1, as in the subprocesses
    np.testing.assert_array_equal(
        runs.read_metrics(tmp_path / "killed")["loss"],
        runs.read_metrics(tmp_path / "whole")["loss"],
    )


def test_the_runner_reports_failures_and_timeouts(tmp_path):
    config = TrainConfig(
        **{**TINY_RUN.__dict__, "max_steps": 100_000, "threads": 1}
    )
    with runs.TrainingProcess(tmp_path / "slow", config) as process:
        with pytest.raises(TimeoutError, match="more than 1 s"):
            process.wait(timeout=1, echo=False)
    assert process.process.returncode == -9
    _run(tmp_path / "done")
    with runs.TrainingProcess(tmp_path / "done", TINY_RUN) as process:
        with pytest.raises(RuntimeError, match="pass --resume"):
            process.wait(timeout=60, echo=False)
    with pytest.raises(ValueError, match="ignore_state"):
        runs.TrainingProcess(tmp_path, TINY_RUN, ignore_state=("weights",))
    with pytest.raises(TypeError, match="config"):
        runs.TrainingProcess(tmp_path, {"lr": 1})
    with pytest.raises(FileNotFoundError, match="run folder"):
        runs.read_metrics(tmp_path / "nowhere")


def test_a_run_dies_with_the_process_that_started_it(tmp_path):
    psutil = pytest.importorskip("psutil")
    if sys.platform != "linux":
        pytest.skip("the parent-death signal is Linux's")
    parent = textwrap.dedent(
        f"""
        import os, time
        from mlcourse.gpt import runs
        from mlcourse.gpt.train import TrainConfig
        config = TrainConfig(n_layer=1, n_embd=16, n_head=2, block_size=8,
                             max_steps=100_000, warmup_steps=2, threads=1)
        process = runs.TrainingProcess({str(tmp_path / "run")!r}, config).start()
        print(process.process.pid, flush=True)
        time.sleep(0.5)
        os._exit(0)  # dies without cleaning up, as a crashed kernel would
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", parent], capture_output=True, text=True, check=True
    )
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if psutil.Process(child).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    else:
        psutil.Process(child).kill()
        pytest.fail("the training process outlived its parent")
