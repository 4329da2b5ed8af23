"""NumPy reference implementations: what the Foundations chapters derive, plainly.

Each module is the from-scratch version of something a framework does, which
the chapters check PyTorch and TensorFlow against and later chapters build on:

- :mod:`~mlcourse.reference.losses`: stable losses (softmax, cross-entropy,
  Huber...).
- :mod:`~mlcourse.reference.optimizers`, :mod:`~mlcourse.reference.schedules`:
  SGD, momentum, AdaGrad, RMSProp, Adam, AdamW and learning-rate schedules.
- :mod:`~mlcourse.reference.autograd_scalar`, :mod:`~mlcourse.reference.autograd`:
  a small reverse-mode autograd engine, on numbers and on arrays.
- :mod:`~mlcourse.reference.surfaces`: 2-D test functions and trajectory plots.

Imports no framework.
"""

from mlcourse.reference import (
    autograd,
    autograd_scalar,
    losses,
    optimizers,
    schedules,
    surfaces,
)

__all__ = [
    "autograd",
    "autograd_scalar",
    "losses",
    "optimizers",
    "schedules",
    "surfaces",
]
