"""Tests of mlcourse.timing, the helper the gradient-descent chapter adds."""

import sys

import pytest

from mlcourse import timing


class FakeClock:
    """A perf_counter replacement that advances by the given steps, one per call."""

    def __init__(self, steps):
        self.now, self.steps = 0.0, list(steps)

    def __call__(self):
        self.now += self.steps.pop(0)
        return self.now


def test_measure_times_each_repeat_and_reports_the_median(monkeypatch):
    # Each timed run reads the clock twice: start (advance 1.0) and end (advance the duration).
    durations = [0.3, 0.1, 0.2, 5.0, 0.25]
    clock = FakeClock([x for d in durations for x in (1.0, d)])
    monkeypatch.setattr(timing.time, "perf_counter", clock)
    calls = []
    result = timing.measure(lambda: calls.append(1), repeats=5, warmup=2)
    assert len(calls) == 7  # 2 untimed warm-up calls + 5 timed ones
    assert result.seconds == pytest.approx(durations)
    assert result.median == pytest.approx(0.25)
    assert result.min == pytest.approx(0.1) and result.max == pytest.approx(5.0)
    assert "median 250 ms over 5 runs" in str(result)


def test_measure_on_the_cpu_returns_real_non_negative_durations():
    result = timing.measure(lambda: sum(range(1000)), repeats=3, warmup=0)
    assert len(result.seconds) == 3 and all(s >= 0 for s in result.seconds)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"repeats": 0}, ValueError),
        ({"repeats": 2.5}, TypeError),
        ({"repeats": True}, TypeError),
        ({"warmup": -1}, ValueError),
        ({"device": "tpu"}, ValueError),
        ({"device": 0}, TypeError),
    ],
)
def test_measure_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        timing.measure(lambda: None, **kwargs)


def test_measure_rejects_a_non_callable():
    with pytest.raises(TypeError, match="fn must be a function of no arguments"):
        timing.measure(42)


def test_bad_device_is_rejected_before_fn_runs():
    calls = []
    with pytest.raises(ValueError, match="unknown device"):
        timing.measure(lambda: calls.append(1), device="gpu")
    assert calls == []


def test_synchronize_on_the_cpu_does_not_import_torch(monkeypatch):
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    timing.synchronize("cpu")
    assert "torch" not in sys.modules


def test_timing_validates_its_durations():
    with pytest.raises(ValueError, match="seconds is empty"):
        timing.Timing(())
    with pytest.raises(ValueError, match=r"seconds\[1\] must be >= 0"):
        timing.Timing((0.1, -1.0))
    with pytest.raises(ValueError, match=r"seconds\[0\] must be >= 0 and finite"):
        timing.Timing((float("nan"),))
    assert (
        str(timing.Timing((2e-6,))) == "median 2 us over 1 run (min 2 us, max 2 us)"
    )


def test_importing_mlcourse_timing_imports_no_framework():
    import subprocess

    code = "import mlcourse.timing, sys; print('torch' in sys.modules, 'tensorflow' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False False"
