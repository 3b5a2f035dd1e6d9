"""From-scratch reference implementations of the losses in rules/losses.yaml, in numpy.

    from lossadvisor.reference import binary_crossentropy
    binary_crossentropy([1, 0], [0.9, 0.2])          # 0.164…

One function per loss id, named as the id; what each computes, its formula and how it relates to
the frameworks' versions are in rules/explain/*.yaml, which `lossadvisor explain LOSS` prints
(`--code` prints the function). tests/test_reference*.py check every one against PyTorch, Keras 3
and optax (and the third-party libraries that install next to them) on random and edge inputs.
"""

from __future__ import annotations

import functools
import importlib

# The modules that hold reference functions, one per family of losses.
FAMILIES = ("crossentropy", "focal", "regression", "margin", "segmentation", "embedding", "sequence")


@functools.cache
def functions() -> dict:
    """loss id -> its reference function."""
    found = {}
    for family in FAMILIES:
        module = importlib.import_module(f"lossadvisor.reference.{family}")
        own = {name: value for name, value in vars(module).items() if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) == module.__name__}
        found.update(own)
    return found


def __getattr__(name: str):
    table = functions()
    if name in table:
        return table[name]
    raise AttributeError(f"module 'lossadvisor.reference' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *functions()})
