"""The capstone's small GPT, trained on Shakespeare character by character.

The modules, by job (import them as ``from mlcourse.gpt import model``):

- :mod:`mlcourse.gpt.model`: :class:`GPTConfig` and :class:`GPT` (PyTorch).
- :mod:`mlcourse.gpt.data`: the text, its character vocabulary, the 90/10
  split and a batch sampler whose state is the data position (NumPy only).
- :mod:`mlcourse.gpt.checkpoint`: atomic checkpoints of the full training state.
- :mod:`mlcourse.gpt.train`: the training script, ``python -m mlcourse.gpt.train``.
- :mod:`mlcourse.gpt.runs`: start that script from a notebook, read its run folder.

Importing this package imports no framework; the modules that need PyTorch
import it themselves.
"""
