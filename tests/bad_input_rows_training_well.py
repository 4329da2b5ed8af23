"""Bad-input rows for mlcourse.tuning, mlcourse.tuning_worker and mlcourse.diagnostics (the chapters on tuning and troubleshooting).

Imported by :mod:`test_bad_inputs`, which runs the rows and checks that
every public callable of ``MODULES`` has some.
"""

from __future__ import annotations

from bad_input_table import ROWS, add, one  # noqa: F401

# The modules these rows cover in full.
MODULES: list[str] = []

# Public methods only the library calls, after checking what it passes.
HOOKS: dict[str, str] = {}

# Public callables with no bad input to give.
NOTHING_TO_REFUSE: dict[str, str] = {}
