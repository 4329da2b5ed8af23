"""Tests of mlcourse.diagnostics: per-layer statistics, recorded, snapshotted, plotted."""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import mlcourse as mc
from mlcourse import diagnostics


def small_mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def batch(seed=0, n=16):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, generator=generator), torch.randint(
        0, 3, (n,), generator=generator
    )


def norm(tensors):
    return math.sqrt(sum(float(t.double().pow(2).sum()) for t in tensors))


def test_importing_diagnostics_loads_no_framework():
    code = (
        "import sys, mlcourse.diagnostics\n"
        "print('torch' in sys.modules, 'tensorflow' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False"]


# ------------------------------------------------------------------ choosing layers


def test_default_layers_are_those_with_parameters():
    model = small_mlp()
    assert list(diagnostics.select_layers(model)) == ["0", "2"]
    assert list(diagnostics.select_layers(model, nn.ReLU)) == ["1"]
    assert list(diagnostics.select_layers(model, (nn.ReLU, nn.Linear))) == [
        "0",
        "1",
        "2",
    ]
    # Names come back in the model's order, whatever order they were given in.
    assert list(diagnostics.select_layers(model, ["2", "0"])) == ["0", "2"]
    assert list(diagnostics.select_layers(model, "1")) == ["1"]


def test_bad_layer_choices_are_named():
    model = small_mlp()
    with pytest.raises(ValueError, match="no layer named 'fc1'; the model has"):
        diagnostics.select_layers(model, ["0", "fc1"])
    with pytest.raises(ValueError, match="no layer of type"):
        diagnostics.select_layers(model, nn.Conv2d)
    with pytest.raises(ValueError, match="layers is empty"):
        diagnostics.select_layers(model, [])
    with pytest.raises(TypeError, match="layers must be None, a layer name"):
        diagnostics.select_layers(model, 3)
    with pytest.raises(TypeError, match="layers must be None"):
        diagnostics.select_layers(model, ["0", 2])
    with pytest.raises(ValueError, match="no layer with parameters"):
        diagnostics.select_layers(nn.Sequential(nn.ReLU()))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        diagnostics.select_layers("model")


# ------------------------------------------------------------------ record


def test_record_matches_statistics_computed_by_hand():
    model, (x, y) = small_mlp(), batch()
    lr = 0.1
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    expected = []
    with diagnostics.record(model, optimizer, layers=["0", "1", "2"]) as recorder:
        for _ in range(3):
            with torch.no_grad():
                hidden = model[1](model[0](x))
            weights = [p.detach().clone() for p in model[2].parameters()]
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            grads = [p.grad.clone() for p in model[2].parameters()]
            optimizer.step()
            expected.append((hidden, weights, grads))
    table = recorder.table()
    assert list(table.columns) == ["step", "layer", *diagnostics.STATS]
    assert table["step"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert table["layer"].tolist() == ["0", "1", "2"] * 3
    for step, (hidden, weights, grads) in enumerate(expected, start=1):
        relu = table[(table.step == step) & (table.layer == "1")].iloc[0]
        assert relu.act_mean == pytest.approx(float(hidden.mean()), rel=1e-6)
        assert relu.act_std == pytest.approx(
            float(hidden.std(correction=0)), rel=1e-6
        )
        dead = float((hidden.amax(dim=0) <= 0).float().mean())
        assert relu.act_dead == dead
        assert math.isnan(relu.grad_norm) and math.isnan(relu.update_ratio)
        last = table[(table.step == step) & (table.layer == "2")].iloc[0]
        assert last.grad_norm == pytest.approx(norm(grads), rel=1e-5)
        assert last.weight_norm == pytest.approx(norm(weights), rel=1e-5)
        # Plain SGD moves the weights by lr * gradient: the ratio is lr |g| / |w|.
        assert last.update_ratio == pytest.approx(
            lr * norm(grads) / norm(weights), rel=1e-4
        )


def test_record_every_skips_steps_and_ignores_passes_without_gradients():
    model, (x, y) = small_mlp(), batch()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    with diagnostics.record(model, optimizer, every=2) as recorder:
        for _ in range(5):
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():  # a validation pass on other data: not recorded
                model(1000 * x)
    table = recorder.table()
    assert sorted(set(table["step"])) == [1, 3, 5]
    assert recorder.steps_taken == 5
    assert table["act_std"].max() < 100  # the x1000 passes would give thousands


def test_record_removes_its_hooks_also_after_an_error():
    model = small_mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(RuntimeError, match="boom"):
        with diagnostics.record(model, optimizer, layers=nn.Module):
            raise RuntimeError("boom")
    assert all(not m._forward_hooks for m in model.modules())
    assert not optimizer._optimizer_step_pre_hooks
    assert not optimizer._optimizer_step_post_hooks
    recorder = diagnostics.record(model, optimizer)
    recorder.close()
    recorder.close()  # twice is fine
    assert recorder.table().empty and "update_ratio" in recorder.table().columns


def test_record_works_inside_fit_torch():
    splits = mc.load_digits_splits(seed=0)
    model = mc.models.digits_mlp(0, hidden=16)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = mc.torch_loader(splits.train, 256, seed=0)
    with diagnostics.record(model, optimizer) as recorder:
        mc.training.fit_torch(
            model,
            loader,
            loss_fn=nn.CrossEntropyLoss(),
            optimizer=optimizer,
            epochs=2,
            val_loader=mc.torch_loader(splits.val, 512, shuffle=False),
            progress=False,
        )
    table = recorder.table()
    assert table["step"].max() == 2 * len(loader)
    assert np.isfinite(table[list(diagnostics.STATS)].to_numpy()).all()


def test_record_takes_the_first_tensor_of_a_tuple_output():
    torch.manual_seed(0)
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    optimizer = torch.optim.SGD(attention.parameters(), lr=0.1)
    x = torch.randn(2, 5, 4)
    with diagnostics.record(attention, optimizer) as recorder:
        out, _ = attention(x, x, x)  # (output, attention weights)
        out.sum().backward()
        optimizer.step()
    table = recorder.table().set_index("layer")
    assert list(table.index) == ["(model)", "out_proj"]
    assert table.loc["(model)", "act_std"] == pytest.approx(
        float(out.detach().std(correction=0)), rel=1e-6
    )
    # out_proj's weights are used without calling the module: no activation, but
    # its gradient and update are there.
    assert math.isnan(table.loc["out_proj", "act_std"])
    assert table.loc["out_proj", "update_ratio"] > 0


def test_record_rejects_bad_arguments():
    model = small_mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="optimizer must be a torch optimizer"):
        diagnostics.record(model, "sgd")
    with pytest.raises(ValueError, match="every must be an integer >= 1, got 0"):
        diagnostics.record(model, optimizer, every=0)
    with pytest.raises(TypeError, match="every must be an integer"):
        diagnostics.record(model, optimizer, every=1.5)
    with pytest.raises(TypeError, match="every must be an integer"):
        diagnostics.record(model, optimizer, every=True)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        diagnostics.record(None, optimizer)


# ------------------------------------------------------------------ snapshot


def test_snapshot_gradients_match_backward_and_leave_the_model_alone():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)
    )
    x, y = batch()
    running_mean = model[1].running_mean.clone()
    frame = diagnostics.snapshot(model, x, y, F.cross_entropy)
    assert frame["layer"].tolist() == ["0", "1", "3"]
    assert all(p.grad is None for p in model.parameters())
    assert torch.equal(model[1].running_mean, running_mean)
    F.cross_entropy(model(x), y).backward()
    for name in ["0", "1", "3"]:
        layer = dict(model.named_modules())[name]
        row = frame[frame.layer == name].iloc[0]
        assert row.grad_norm == pytest.approx(
            norm([p.grad for p in layer.parameters()]), rel=1e-5
        )
        assert math.isnan(row.update_ratio)
    # In training mode the batch norm output has mean 0 and std 1 per unit.
    assert abs(frame.iloc[1].act_mean) < 1e-6
    assert frame.attrs["loss"] == pytest.approx(
        float(F.cross_entropy(model(x), y).detach()), rel=1e-6
    )


def test_snapshot_without_a_loss_has_no_gradients_and_accepts_arrays():
    model, (x, _) = small_mlp(), batch()
    frame = diagnostics.snapshot(model, x.numpy(), layers=nn.ReLU)
    assert frame["layer"].tolist() == ["1"]
    assert frame["grad_norm"].isna().all() and math.isnan(frame.attrs["loss"])
    # A unit that is never positive on the batch is dead: force two of eight.
    with torch.no_grad():
        model[0].bias[:2] = -1e3
    assert diagnostics.snapshot(model, x, layers="1").iloc[0].act_dead == 0.25


def test_snapshot_rejects_bad_arguments():
    model, (x, y) = small_mlp(), batch()
    with pytest.raises(ValueError, match="give both y and loss_fn"):
        diagnostics.snapshot(model, x, y)
    with pytest.raises(TypeError, match="loss_fn must be a function"):
        diagnostics.snapshot(model, x, y, "cross_entropy")
    with pytest.raises(ValueError, match="loss_fn must return one number"):
        diagnostics.snapshot(
            model, x, y, lambda out, t: F.cross_entropy(out, t, reduction="none")
        )
    with pytest.raises(TypeError, match="x must be a tensor or an array"):
        diagnostics.snapshot(model, "pixels")


# ------------------------------------------------------------------ Keras


def test_keras_snapshot_agrees_with_pytorch_on_the_same_weights():
    tf = mc.import_tensorflow()
    keras = tf.keras
    torch_model, (x, y) = small_mlp(), batch()
    keras_model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(3, name="logits"),
        ]
    )
    for layer, linear in zip(keras_model.layers, [torch_model[0], torch_model[2]]):
        layer.set_weights(
            [linear.weight.detach().numpy().T, linear.bias.detach().numpy()]
        )
    torch_frame = diagnostics.snapshot(torch_model, x, y, F.cross_entropy)
    keras_frame = diagnostics.keras_snapshot(
        keras_model,
        x.numpy(),
        y.numpy(),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    assert keras_frame["layer"].tolist() == ["hidden", "logits"]
    # Keras's "hidden" includes its ReLU; compare it with PyTorch's ReLU output.
    relu = diagnostics.snapshot(torch_model, x, layers="1").iloc[0]
    assert keras_frame.iloc[0].act_mean == pytest.approx(relu.act_mean, rel=1e-5)
    assert keras_frame.iloc[0].act_dead == relu.act_dead
    for column in ["act_mean", "act_std", "grad_norm", "weight_norm"]:
        assert keras_frame.iloc[1][column] == pytest.approx(
            torch_frame.iloc[1][column], rel=1e-5
        )
    assert keras_frame.iloc[0].grad_norm == pytest.approx(
        torch_frame.iloc[0].grad_norm, rel=1e-5
    )
    assert keras_frame.attrs["loss"] == pytest.approx(
        torch_frame.attrs["loss"], rel=1e-5
    )


def test_keras_snapshot_restores_batch_norm_statistics_and_checks_arguments():
    tf = mc.import_tensorflow()
    keras = tf.keras
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(2),
        ]
    )
    x = 5 + 3 * np.random.default_rng(0).standard_normal((32, 4)).astype("float32")
    training_mode = diagnostics.keras_snapshot(model, x)
    inference_mode = diagnostics.keras_snapshot(model, x, training=False)
    assert np.allclose(model.layers[0].moving_mean.numpy(), 0.0)
    assert abs(training_mode.iloc[0].act_mean) < 1e-3  # the batch's statistics
    assert inference_mode.iloc[0].act_mean > 4  # the initial ones: mean 0, std 1
    assert diagnostics.keras_snapshot(model, x, layers=keras.layers.Dense)[
        "layer"
    ].tolist() == [model.layers[1].name]
    with pytest.raises(TypeError, match="model must be a Keras model"):
        diagnostics.keras_snapshot(small_mlp(), x)
    with pytest.raises(TypeError, match="training must be True or False"):
        diagnostics.keras_snapshot(model, x, training="yes")
    with pytest.raises(ValueError, match="no layer named 'dense_99'"):
        diagnostics.keras_snapshot(model, x, layers=["dense_99"])
    with pytest.raises(ValueError, match="give both y and loss_fn"):
        diagnostics.keras_snapshot(
            model, x, loss_fn=keras.losses.MeanSquaredError()
        )
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no known inputs"):
        diagnostics.keras_snapshot(unbuilt, x)


# ------------------------------------------------------------------ plot


def recorded_table():
    model, (x, y) = small_mlp(), batch()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with diagnostics.record(model, optimizer) as recorder:
        for _ in range(4):
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return recorder.table()


def test_plot_draws_one_line_per_layer_or_per_step():
    import matplotlib.pyplot as plt

    table = recorded_table()
    ax = diagnostics.plot(table, "grad_norm")
    assert [line.get_label() for line in ax.lines] == ["0", "2"]
    assert ax.get_yscale() == "log"
    ax = diagnostics.plot(table, "act_mean", against="layer")
    assert [line.get_label() for line in ax.lines] == ["step 1", "step 4"]
    assert ax.get_yscale() == "linear"
    ax = diagnostics.plot(table, "update_ratio", layers="2", logy=False)
    assert len(ax.lines) == 1 and ax.get_yscale() == "linear"
    model, (x, _) = small_mlp(), batch()
    frame = diagnostics.snapshot(model, x)
    ax = diagnostics.plot(frame, "act_std", against="layer", label="init")
    assert [line.get_label() for line in ax.lines] == ["init"]
    plt.close("all")


def test_plot_rejects_bad_arguments():
    import matplotlib.pyplot as plt

    table = recorded_table()
    with pytest.raises(ValueError, match="unknown stat 'loss'"):
        diagnostics.plot(table, "loss")
    with pytest.raises(ValueError, match="unknown against 'epoch'"):
        diagnostics.plot(table, "grad_norm", against="epoch")
    with pytest.raises(ValueError, match="'9' is not in the table"):
        diagnostics.plot(table, "grad_norm", layers=["9"])
    with pytest.raises(ValueError, match="step 7 was not recorded"):
        diagnostics.plot(table, "grad_norm", against="layer", steps=[7])
    with pytest.raises(ValueError, match="table is empty"):
        diagnostics.plot(table.iloc[:0], "grad_norm")
    with pytest.raises(TypeError, match="table must be a table"):
        diagnostics.plot(table.to_numpy(), "grad_norm")
    frame = diagnostics.snapshot(*[small_mlp(), batch()[0]])
    with pytest.raises(ValueError, match="a snapshot has no steps"):
        diagnostics.plot(frame, "act_std")
    plt.close("all")


def test_layer_choice_helpers_work_on_plain_lists():
    from mlcourse.diagnostics.layers import first_tensor, select_from

    named = [("a", 1), ("b", "x"), ("c", 2.5)]
    assert select_from(named, None, lambda v: isinstance(v, int)) == {"a": 1}
    assert select_from(named, (str, float), None) == {"b": "x", "c": 2.5}
    assert select_from(named, ["c", "a"], None) == {"a": 1, "c": 2.5}
    with pytest.raises(ValueError, match="no layer with parameters"):
        select_from(named, None, lambda v: False)
    x = torch.zeros(2)
    assert first_tensor((None, x, torch.ones(1)), torch.Tensor) is x
    assert first_tensor({"out": x}, torch.Tensor) is None
