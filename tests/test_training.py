"""Tests of mlcourse.training: the fits, the history, the callbacks and the progress line."""

import math

import numpy as np
import pytest

import mlcourse as mc
from mlcourse import training
from mlcourse.training.callbacks import Totals, TrainingRun, run_epochs
from mlcourse.training.history import ProgressBar, check_metrics

# ---------------------------------------------------------------- framework-free parts


def test_unknown_metric_is_named_with_the_choices():
    with pytest.raises(
        ValueError, match="unknown metric 'f1'; choose from 'accuracy', 'mae'"
    ):
        check_metrics(("accuracy", "f1"))
    with pytest.raises(TypeError, match="not a string"):
        check_metrics("accuracy")
    with pytest.raises(ValueError, match="repeat"):
        check_metrics(("mae", "mae"))


def test_history_records_epochs_and_finds_the_best():
    history = training.History()
    for epoch, (loss, acc) in enumerate(
        [(1.0, 0.5), (0.4, 0.8), (0.6, 0.9)], start=1
    ):
        history.append(
            epoch,
            {"val_loss": loss, "val_accuracy": acc},
            [loss, loss],
            seconds=0.1,
        )
    assert history.epochs == [1, 2, 3] and len(history.step_losses) == 6
    assert history.best("val_loss") == (2, 0.4)  # losses go down
    assert history.best("val_accuracy") == (3, 0.9)  # accuracies go up
    assert history.best("val_accuracy", mode="min") == (1, 0.5)
    with pytest.raises(KeyError, match="no metric 'val_f1'"):
        history["val_f1"]
    with pytest.raises(ValueError, match="logs"):
        history.append(
            4, {"val_loss": 0.3}, [0.3], seconds=0.1
        )  # a metric went missing


def test_history_best_skips_nan():
    history = training.History()
    for epoch, loss in enumerate([math.nan, 0.5, 0.7], start=1):
        history.append(epoch, {"val_loss": loss}, [], seconds=0.0)
    assert history.best("val_loss") == (2, 0.5)


class ScriptedRun(TrainingRun):
    """A fake framework: each epoch's losses are given; the 'weights' are the epoch number."""

    def __init__(self, train_losses, val_losses=None):
        super().__init__(
            model=None, metric_names=(), has_validation=val_losses is not None
        )
        self.train_losses, self.val_losses = train_losses, val_losses
        self.weights = 0
        self.saved = []

    def train_epoch(self, progress):
        self.weights = self.epoch  # "training" changes the weights
        losses = self.train_losses[self.epoch - 1]
        return Totals(losses, [10] * len(losses), {})

    def validate(self):
        if self.val_losses is None:
            return None
        return Totals([self.val_losses[self.epoch - 1]], [5], {})

    def get_weights(self):
        return self.weights

    def set_weights(self, weights):
        self.weights = weights

    def save(self, path):
        self.saved.append((path, self.weights))


def run_scripted(run, epochs, callbacks=()):
    return run_epochs(
        run, epochs, list(callbacks), ProgressBar(epochs, enabled=False)
    )


def test_loop_names_the_step_where_the_loss_became_nan():
    run = ScriptedRun([[1.0, 0.9], [0.8, 0.7, math.inf, math.nan]])
    with pytest.raises(
        FloatingPointError, match=r"^loss became inf at epoch 2, step 3$"
    ):
        run_scripted(run, epochs=2)


def test_loop_refuses_an_epoch_without_batches():
    with pytest.raises(ValueError, match="no batches in epoch 1"):
        run_scripted(ScriptedRun([[]]), epochs=1)


def test_loop_averages_the_loss_over_examples_not_batches():
    run = ScriptedRun([[1.0, 2.0]])
    run.train_epoch = lambda progress: Totals([1.0, 2.0], [30, 10], {})
    history = run_scripted(run, epochs=1)
    assert history["train_loss"] == [pytest.approx((30 * 1.0 + 10 * 2.0) / 40)]


def test_early_stopping_waits_patience_epochs_and_restores_the_best():
    val = [
        1.0,
        0.5,
        0.55,
        0.52,
        0.6,
        0.1,
    ]  # best at epoch 2, then three epochs without improvement
    run = ScriptedRun([[1.0]] * 6, val)
    early = training.EarlyStopping(patience=3)
    history = run_scripted(run, epochs=6, callbacks=[early])
    assert history.epochs == [1, 2, 3, 4, 5]  # never reached epoch 6
    assert (early.best_epoch, early.best_value, early.stopped_epoch) == (2, 0.5, 5)
    assert run.weights == 2  # the weights of epoch 2 were put back


def test_early_stopping_min_delta_and_no_restore():
    val = [1.0, 0.95, 0.92, 0.91]  # each improvement smaller than min_delta=0.1
    run = ScriptedRun([[1.0]] * 4, val)
    early = training.EarlyStopping(patience=2, min_delta=0.1, restore_best=False)
    history = run_scripted(run, epochs=4, callbacks=[early])
    assert (
        early.best_epoch == 1
        and early.stopped_epoch == 3
        and len(history.epochs) == 3
    )
    assert run.weights == 3  # not restored


def test_early_stopping_restores_even_without_stopping():
    run = ScriptedRun([[1.0]] * 3, [0.3, 0.2, 0.4])
    early = training.EarlyStopping(patience=5)
    run_scripted(run, epochs=3, callbacks=[early])
    assert early.stopped_epoch is None and run.weights == 2


def test_callbacks_refuse_a_metric_the_fit_does_not_log():
    run = ScriptedRun([[1.0]])  # no validation data
    with pytest.raises(
        ValueError, match="monitors 'val_loss'.*pass validation data"
    ):
        run_scripted(run, epochs=1, callbacks=[training.EarlyStopping()])
    with pytest.raises(ValueError, match="cannot tell whether 'val_f1'"):
        training.EarlyStopping(monitor="val_f1")
    with pytest.raises(ValueError, match="patience"):
        training.EarlyStopping(patience=-1)


def test_checkpoint_saves_only_improvements():
    run = ScriptedRun([[1.0]] * 4, [0.5, 0.7, 0.4, 0.45])
    checkpoint = training.Checkpoint("/unused/model-{epoch}.pt")
    checkpoint.on_train_begin(run)
    for epoch, val in enumerate(run.val_losses, start=1):
        run.epoch = epoch
        run.weights = epoch
        checkpoint.on_epoch_end(run, epoch, {"train_loss": 1.0, "val_loss": val})
    assert run.saved == [("/unused/model-1.pt", 1), ("/unused/model-3.pt", 3)]
    assert checkpoint.saved == [
        (1, "/unused/model-1.pt"),
        (3, "/unused/model-3.pt"),
    ]


def test_progress_is_quiet_under_tests_and_never_uses_stderr(capsys, monkeypatch):
    assert not training.progress_enabled(None)  # PYTEST_CURRENT_TEST is set
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert not training.progress_enabled(None)  # not in a notebook
    monkeypatch.setenv("MLCOURSE_PROGRESS", "0")
    assert not training.progress_enabled(None)
    assert training.progress_enabled(True) and not training.progress_enabled(False)
    bar = ProgressBar(epochs=2, enabled=True, interval=0.0)
    bar.start_epoch(1, steps=4)
    bar.update(2, 0.5)
    bar.end_epoch({"train_loss": 0.25}, seconds=0.1)
    bar.note("stopped after epoch 1")
    out, err = capsys.readouterr()
    assert err == ""
    assert "[##########..........] 2/4  loss 0.5000" in out
    assert "epoch 1/2  train_loss 0.2500" in out and "stopped after epoch 1" in out


def test_progress_lines_overwrite_only_within_an_epoch(capsys):
    bar = ProgressBar(epochs=2, enabled=True, interval=0.0)
    bar.start_epoch(1, steps=None)  # unknown length: a step counter, no bar
    bar.update(3, 1.25)
    bar.end_epoch({"train_loss": 1.0}, seconds=0.1)
    bar.start_epoch(2, steps=None)
    bar.update(1, 0.5)
    out = capsys.readouterr().out
    first, second = out.split("\n")
    assert "step 3  loss 1.2500" in first and first.endswith("(0.10 s)")
    assert (
        second == "\repoch 2/2 step 1  loss 0.5000"
    )  # not padded to the longer line above


def test_importing_training_imports_no_framework():
    import subprocess
    import sys

    code = "import sys, mlcourse.training; print('torch' in sys.modules, 'tensorflow' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False"]


# ---------------------------------------------------------------- PyTorch


@pytest.fixture(scope="module")
def digits():
    return mc.load_digits_splits(seed=0)


def torch_mlp(seed=0, hidden=16):
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    )


def torch_setup(digits, lr=0.1, seed=0):
    import torch

    model = torch_mlp(seed)
    return dict(
        model=model,
        train_loader=mc.torch_loader(digits.train, 64, seed=seed),
        loss_fn=torch.nn.CrossEntropyLoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=lr),
    )


def test_fit_torch_records_metrics_per_epoch_and_loss_per_step(digits):
    setup = torch_setup(digits)
    history = training.fit_torch(
        **setup,
        epochs=2,
        val_loader=mc.torch_loader(digits.val, 100, shuffle=False),
    )
    steps = len(setup["train_loader"])
    assert history.epochs == [1, 2] and len(history.step_losses) == 2 * steps
    assert set(history.metrics) == {
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
    }
    assert history["val_loss"][1] < history["val_loss"][0]
    assert 0.5 < history["val_accuracy"][1] <= 1.0
    assert setup["model"].training  # left in training mode
    again = training.evaluate_torch(
        setup["model"],
        mc.torch_loader(digits.val, 37, shuffle=False),
        loss_fn=setup["loss_fn"],
    )
    assert again["loss"] == pytest.approx(
        history["val_loss"][-1], rel=1e-6
    )  # batch size does not matter
    assert again["accuracy"] == pytest.approx(history["val_accuracy"][-1])


def test_fit_torch_accuracy_and_mae_match_numpy(digits):
    import torch

    setup = torch_setup(digits)
    training.fit_torch(**setup, epochs=1)
    loader = mc.torch_loader(digits.val, 50, shuffle=False)
    scores = training.evaluate_torch(
        setup["model"], loader, loss_fn=setup["loss_fn"]
    )
    with torch.no_grad():
        logits = setup["model"](torch.as_tensor(digits.val.x)).numpy()
    assert scores["accuracy"] == pytest.approx(
        np.mean(logits.argmax(1) == digits.val.y)
    )
    # mae on a regression: predict each image's mean pixel
    regression = mc.Dataset(digits.val.x, digits.val.x.mean(axis=1, keepdims=True))
    linear = torch.nn.Linear(64, 1)
    scores = training.evaluate_torch(
        linear,
        mc.torch_loader(regression, 64, shuffle=False),
        loss_fn=torch.nn.MSELoss(),
        metrics=("mae",),
    )
    with torch.no_grad():
        predicted = linear(torch.as_tensor(digits.val.x)).numpy()
    assert scores["mae"] == pytest.approx(
        np.mean(np.abs(predicted - regression.y)), rel=1e-5
    )
    assert scores["loss"] == pytest.approx(
        np.mean((predicted - regression.y) ** 2), rel=1e-5
    )


def test_fit_torch_refuses_bad_input(digits):
    import torch

    setup = torch_setup(digits)
    x, y = (
        torch.as_tensor(digits.train.x[:32]),
        torch.as_tensor(digits.train.y[:30]),
    )
    with pytest.raises(
        ValueError, match="epoch 1, step 1: the batch has 32 inputs but 30 targets"
    ):
        training.fit_torch(**{**setup, "train_loader": [(x, y)]}, epochs=1)
    with pytest.raises(ValueError, match="no batches in epoch 1"):
        training.fit_torch(**{**setup, "train_loader": []}, epochs=1)
    with pytest.raises(ValueError, match="validation data gave no batches"):
        training.fit_torch(**setup, epochs=1, val_loader=[])
    with pytest.raises(
        ValueError, match="unknown metric 'f1'; choose from 'accuracy', 'mae'"
    ):
        training.fit_torch(**setup, epochs=1, metrics=("f1",))
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        training.fit_torch(**setup, epochs=0)
    with pytest.raises(ValueError, match="shape \\(64,\\); use reduction='mean'"):
        training.fit_torch(
            **{**setup, "loss_fn": torch.nn.CrossEntropyLoss(reduction="none")},
            epochs=1,
        )
    with pytest.raises(ValueError, match="updates none of the model's parameters"):
        training.fit_torch(**{**setup, "model": torch_mlp(seed=1)}, epochs=1)
    with pytest.raises(TypeError, match="Callback"):
        training.fit_torch(**setup, epochs=1, callbacks=[print])
    with pytest.raises(ValueError, match="accuracy needs outputs of shape"):
        training.evaluate_torch(
            setup["model"],
            [(x[:4], torch.zeros(4, 3))],
            loss_fn=lambda o, t: o.sum(),
        )


def test_fit_torch_names_the_step_where_the_loss_became_nan(digits):
    import torch

    setup = torch_setup(digits)
    x, y = (
        torch.as_tensor(digits.train.x[:96]),
        torch.as_tensor(digits.train.y[:96]),
    )
    bad = x[64:].clone()
    bad[0, 0] = float("nan")
    batches = [(x[:32], y[:32]), (x[32:64], y[32:64]), (bad, y[64:])]
    with pytest.raises(
        FloatingPointError, match=r"^loss became nan at epoch 1, step 3$"
    ):
        training.fit_torch(**{**setup, "train_loader": batches}, epochs=2)


def overfitting_run(digits, callbacks, epochs=40):
    """A big MLP on 60 training images: the validation loss falls, then rises."""
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    )
    small = mc.Dataset(digits.train.x[:60], digits.train.y[:60])
    val_loader = mc.torch_loader(digits.val, 360, shuffle=False)
    history = training.fit_torch(
        model,
        mc.torch_loader(small, 20, seed=0),
        loss_fn=torch.nn.CrossEntropyLoss(),
        optimizer=torch.optim.Adam(model.parameters(), lr=1e-2),
        epochs=epochs,
        val_loader=val_loader,
        callbacks=callbacks,
    )
    return model, history, val_loader


def test_early_stopping_restores_the_best_weights_torch(digits):
    early = training.EarlyStopping(patience=3)
    model, history, val_loader = overfitting_run(digits, [early])
    assert (
        early.stopped_epoch is not None and early.stopped_epoch < 40
    )  # it did stop
    assert history.epochs[-1] == early.stopped_epoch == early.best_epoch + 3
    assert history.best("val_loss") == (early.best_epoch, early.best_value)
    assert history["val_loss"][-1] > early.best_value
    import torch

    scores = training.evaluate_torch(
        model, val_loader, loss_fn=torch.nn.CrossEntropyLoss()
    )
    assert scores["loss"] == pytest.approx(
        early.best_value, rel=1e-6
    )  # the best weights are back

    early_no_restore = training.EarlyStopping(patience=3, restore_best=False)
    model, history, val_loader = overfitting_run(digits, [early_no_restore])
    scores = training.evaluate_torch(
        model, val_loader, loss_fn=torch.nn.CrossEntropyLoss()
    )
    assert scores["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)


def test_checkpoint_writes_a_loadable_state_dict(digits, tmp_path):
    import torch

    checkpoint = training.Checkpoint(tmp_path / "sub" / "best-{epoch}.pt")
    _, history, val_loader = overfitting_run(digits, [checkpoint], epochs=12)
    assert [epoch for epoch, _ in checkpoint.saved][-1] == history.best(
        "val_loss"
    ).epoch
    assert all(
        (tmp_path / "sub" / f"best-{epoch}.pt").exists()
        for epoch, _ in checkpoint.saved
    )
    restored = torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    )
    restored.load_state_dict(torch.load(checkpoint.saved[-1][1]))
    scores = training.evaluate_torch(
        restored, val_loader, loss_fn=torch.nn.CrossEntropyLoss()
    )
    assert scores["loss"] == pytest.approx(history.best("val_loss").value, rel=1e-6)


# ---------------------------------------------------------------- TensorFlow


@pytest.fixture(scope="module")
def tf():
    return mc.import_tensorflow()


def keras_mlp(torch_model, tf, regularizer=None):
    """A Keras copy of torch_mlp: Dense kernels are the transposed Linear weights."""
    keras = tf.keras
    hidden = torch_model[0].out_features
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(
                hidden, activation="relu", kernel_regularizer=regularizer
            ),
            keras.layers.Dense(10),
        ]
    )
    weights = [p.detach().cpu().numpy() for p in torch_model.parameters()]
    model.set_weights([weights[0].T, weights[1], weights[2].T, weights[3]])
    return model


def tf_setup(digits, tf, lr=0.1, seed=0, regularizer=None):
    keras = tf.keras
    return dict(
        model=keras_mlp(torch_mlp(seed), tf, regularizer),
        train_dataset=mc.tf_dataset(digits.train, 64, seed=seed),
        loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.SGD(lr),
    )


def test_torch_and_tf_fits_give_the_same_loss_curve(digits, tf):
    torch_setup_ = torch_setup(digits)
    tf_setup_ = tf_setup(digits, tf)
    torch_history = training.fit_torch(
        **torch_setup_,
        epochs=2,
        val_loader=mc.torch_loader(digits.val, 128, shuffle=False),
    )
    tf_history = training.fit_tf(
        **tf_setup_,
        epochs=2,
        val_dataset=mc.tf_dataset(digits.val, 128, shuffle=False),
    )
    assert (
        len(torch_history.step_losses)
        == len(tf_history.step_losses)
        == 2 * len(torch_setup_["train_loader"])
    )
    # float32 arithmetic in a different order: agreement to a relative 1e-5 over 34 steps
    mc.assert_agree(
        {
            "torch": np.array(torch_history.step_losses),
            "tf": np.array(tf_history.step_losses),
        },
        rtol=1e-5,
        atol=1e-6,
    )
    for name in torch_history.metrics:
        mc.assert_agree(
            {"torch": torch_history[name][-1], "tf": tf_history[name][-1]},
            rtol=1e-5,
            atol=1e-6,
        )


def test_fit_tf_matches_keras_fit_including_regularization(digits, tf):
    keras = tf.keras
    regularizer = keras.regularizers.L2(1e-3)
    ours = tf_setup(digits, tf, regularizer=regularizer)
    theirs = tf_setup(digits, tf, regularizer=regularizer)
    history = training.fit_tf(**ours, epochs=2, metrics=())
    theirs["model"].compile(optimizer=theirs["optimizer"], loss=theirs["loss_fn"])
    batches = theirs["train_dataset"].apply(
        tf.data.experimental.assert_cardinality(len(digits.train) // 64 + 1)
    )
    keras_history = theirs["model"].fit(batches, epochs=2, verbose=0, shuffle=False)
    mc.assert_agree(
        {
            "fit_tf": np.array(history["train_loss"]),
            "keras": np.array(keras_history.history["loss"]),
        },
        rtol=1e-5,
        atol=1e-6,
    )


def test_fit_tf_builds_a_model_without_an_input_layer(digits, tf):
    keras = tf.keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.layers.Dense(8, activation="relu"), keras.layers.Dense(10)]
    )
    assert not model.built
    history = training.fit_tf(
        model,
        mc.tf_dataset(digits.train, 128),
        epochs=1,
        optimizer=keras.optimizers.SGD(0.1),
        loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    assert model.built and len(history.step_losses) == len(digits.train) // 128 + 1


def test_fit_tf_refuses_bad_input(digits, tf):
    setup = tf_setup(digits, tf)
    x, y = digits.train.x[:64], digits.train.y[:64]
    mismatched = tf.data.Dataset.from_tensors((x[:32], y[:30]))
    with pytest.raises(
        ValueError, match="epoch 1, step 1: the batch has 32 inputs but 30 targets"
    ):
        training.fit_tf(**{**setup, "train_dataset": mismatched}, epochs=1)
    empty = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).take(0)
    with pytest.raises(ValueError, match="no batches in epoch 1"):
        training.fit_tf(**{**setup, "train_dataset": empty}, epochs=1)
    with pytest.raises(
        ValueError, match="unknown metric 'f1'; choose from 'accuracy', 'mae'"
    ):
        training.fit_tf(**setup, epochs=1, metrics=("accuracy", "f1"))
    with pytest.raises(TypeError, match="tf.data.Dataset"):
        training.fit_tf(**{**setup, "train_dataset": [(x, y)]}, epochs=1)
    with pytest.raises(ValueError, match="call .batch"):
        training.fit_tf(
            **{
                **setup,
                "train_dataset": tf.data.Dataset.from_tensor_slices((x, y)),
            },
            epochs=1,
        )
    per_example = tf.keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction=None
    )
    with pytest.raises(ValueError, match="loss_fn must return one number"):
        training.fit_tf(**{**setup, "loss_fn": per_example}, epochs=1)


@pytest.mark.parametrize("compile", [True, False])
def test_fit_tf_names_the_step_where_a_nan_appeared(digits, tf, compile):
    setup = tf_setup(digits, tf)
    x, y = digits.train.x[:96].copy(), digits.train.y[:96]
    x[70, 3] = np.nan  # in the third batch of 32
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    # Eagerly the loss is NaN. Compiled, on a CPU, the fused Dense+ReLU kernel turns the NaN
    # into 0 and the loss stays finite: the NaN shows only in the gradients.
    message = (
        r"^loss became nan" if not compile else r"^(loss|gradients) became nan"
    )
    with pytest.raises(FloatingPointError, match=message + " at epoch 1, step 3"):
        training.fit_tf(
            **{**setup, "train_dataset": dataset}, epochs=1, compile=compile
        )


def test_fit_tf_reports_an_exploding_loss(digits, tf):
    setup = tf_setup(digits, tf, lr=1e4)
    with pytest.raises(
        FloatingPointError, match=r"became (nan|inf) at epoch \d+, step \d+"
    ):
        training.fit_tf(**setup, epochs=3)


def test_early_stopping_and_checkpoints_with_tf(digits, tf, tmp_path):
    keras = tf.keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    small = mc.Dataset(digits.train.x[:60], digits.train.y[:60])
    val = mc.tf_dataset(digits.val, 360, shuffle=False)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    early = training.EarlyStopping(patience=3)
    weights_file = training.Checkpoint(tmp_path / "best.weights.h5")
    whole_model = training.Checkpoint(tmp_path / "best.keras")
    history = training.fit_tf(
        model,
        mc.tf_dataset(small, 20, seed=0),
        loss_fn=loss_fn,
        optimizer=keras.optimizers.Adam(1e-2),
        epochs=40,
        val_dataset=val,
        callbacks=[early, weights_file, whole_model],
    )
    assert (
        early.stopped_epoch is not None
        and history["val_loss"][-1] > early.best_value
    )
    best = training.evaluate_tf(model, val, loss_fn=loss_fn)["loss"]
    assert best == pytest.approx(early.best_value, rel=1e-6)
    reloaded = keras.models.load_model(tmp_path / "best.keras")
    assert training.evaluate_tf(reloaded, val, loss_fn=loss_fn)[
        "loss"
    ] == pytest.approx(best, rel=1e-6)
    with pytest.raises(ValueError, match=r"must end in \.weights\.h5 or \.keras"):
        training.fit_tf(
            model,
            mc.tf_dataset(small, 20),
            loss_fn=loss_fn,
            optimizer=keras.optimizers.SGD(0.01),
            epochs=1,
            val_dataset=val,
            callbacks=[training.Checkpoint(tmp_path / "best.h5")],
        )


# ----------------------------------------------------------------- range test


def _range_test_setup(seed=0):
    import torch

    splits = mc.load_digits_splits(seed=0)
    model = mc.models.digits_mlp(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    loader = mc.torch_loader(splits.train, 32, seed=seed)
    return model, optimizer, loader


def test_range_test_rates_grow_geometrically_and_the_test_stops_on_blow_up():
    import torch.nn.functional as F

    model, optimizer, loader = _range_test_setup()
    rates, losses = training.range_test(
        model, optimizer, loader, F.cross_entropy, lr_start=1e-4, lr_end=10.0
    )
    assert len(rates) == len(losses) <= 200
    expected = 1e-4 * (10.0 / 1e-4) ** (np.arange(len(rates)) / 199)
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    assert optimizer.param_groups[0]["lr"] == rates[-1]
    # The rate reaches 10, far too large: the test stops early on the blow-up.
    assert len(rates) < 200
    assert not np.isfinite(losses[-1]) or losses[-1] > 4 * losses.min()


def test_range_test_runs_max_steps_when_nothing_blows_up_and_rereads_the_loader():
    import torch.nn.functional as F

    model, optimizer, loader = _range_test_setup()
    rates, losses = training.range_test(
        model,
        optimizer,
        loader,
        F.cross_entropy,
        lr_start=1e-5,
        lr_end=1e-3,
        max_steps=len(loader) + 5,
    )
    assert len(losses) == len(loader) + 5 and np.all(np.isfinite(losses))


def test_range_test_refuses_an_empty_loader_and_bad_rates():
    import torch.nn.functional as F

    model, optimizer, _ = _range_test_setup()
    with pytest.raises(ValueError, match="loader gave no batches"):
        training.range_test(model, optimizer, [], F.cross_entropy)
    with pytest.raises(ValueError, match="lr_end"):
        training.range_test(model, optimizer, [], F.cross_entropy, lr_end=1e-5)


def test_smooth_is_the_bias_corrected_moving_average():
    values = np.array([4.0, 2.0, 3.0, np.nan])
    smoothed = training.smooth(values, beta=0.5)
    assert smoothed[0] == 4.0  # bias correction: no pull towards 0
    assert smoothed[1] == pytest.approx((0.25 * 4 + 0.5 * 2) / 0.75)
    assert np.isnan(smoothed[-1])
    np.testing.assert_array_equal(training.smooth([1.0, 1.0, 1.0]), [1.0, 1.0, 1.0])
