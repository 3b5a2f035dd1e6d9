"""Qualified names: what an imported name refers to, whatever the spelling.

    import torch.nn as nn                  nn.CrossEntropyLoss        -> torch.nn.CrossEntropyLoss
    from tensorflow.keras import layers    layers.Dense               -> tensorflow.keras.layers.Dense
    import tensorflow as tf                tf.keras.losses.MSE        -> tensorflow.keras.losses.MSE

`binding` turns one import statement into (local name, qualified name) pairs; `Api` splits a
qualified name into the framework it belongs to and a canonical path, so that `tensorflow.keras.X`,
`tf_keras.X` and `keras.X` are matched by the same code (`keras.X`) but keep their own framework.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import NamedTuple

# Root of a qualified name -> (framework, canonical root). Longest prefix wins.
ROOTS = {
    "keras": ("keras", "keras"),
    "tf_keras": ("tf_keras", "keras"),
    "tensorflow.keras": ("tf_keras", "keras"),
    "tensorflow.python.keras": ("tf_keras", "keras"),
    "tensorflow": ("tf_keras", "tensorflow"),
    "torch": ("pytorch", "torch"),
    "torchvision": ("pytorch", "torchvision"),
    "pytorch_lightning": ("pytorch", "lightning"),
    "lightning.pytorch": ("pytorch", "lightning"),
    "lightning": ("pytorch", "lightning"),
    "optax": ("jax", "optax"),
    "jax": ("jax", "jax"),
    "flax": ("jax", "flax"),
    "numpy": (None, "numpy"),
    "pandas": (None, "pandas"),
}
# Code that names none of these (case aside) spells no loss, compiles no Keras model and writes no
# head activation: a file without them is not parsed, a function without them is read only when
# something else calls it. Searched as plain substrings of the lowercased text (a case-insensitive
# regex is five times slower on a large tree).
TRAINING_WORDS = (
    "loss", "criterion", "entropy", "kl_div", "divergence", "squared_error", ".compile(", "sequential", "softmax",
    "sigmoid", "activation",
)  # fmt: skip


def names_training(lowered: str, start: int = 0, end: int | None = None) -> bool:
    """Whether lowercased source text (or a slice of it) holds a training word."""
    end = len(lowered) if end is None else end
    return any(lowered.find(word, start, end) != -1 for word in TRAINING_WORDS)


class Api(NamedTuple):
    """A name from a library: `torch.nn.functional.softmax` → framework pytorch, path
    ('torch', 'nn', 'functional', 'softmax')."""

    qualified: str
    framework: str | None
    path: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path[-1]

    def child(self, attribute: str) -> Api:
        """`tf` . `keras` is `tensorflow.keras`, which re-roots to Keras' path."""
        return api(f"{self.qualified}.{attribute}")

    def under(self, *prefix: str) -> bool:
        """`keras.losses.MSE`.under('keras', 'losses') is True."""
        return self.path[: len(prefix)] == prefix

    def has(self, part: str) -> bool:
        """Whether a namespace part occurs before the name (`keras.src.losses.losses.MSE` has 'losses')."""
        return part in self.path[:-1]


@lru_cache(maxsize=8192)
def api(qualified: str) -> Api:
    parts = qualified.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in ROOTS:
            framework, root = ROOTS[prefix]
            return Api(qualified, framework, (root, *parts[cut:]))
    return Api(qualified, None, tuple(parts))


def binding(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str | None]]:
    """Local names an import statement binds, with what they refer to. `from x import *` binds
    ('*', 'x'); a relative import binds its names to None (a local module)."""
    out: list[tuple[str, str | None]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                out.append((alias.asname, alias.name))
            else:  # `import torch.nn` binds `torch`
                root = alias.name.split(".")[0]
                out.append((root, root))
        return out
    module = node.module or ""
    for alias in node.names:
        if node.level:
            out.append((alias.asname or alias.name, None))
        elif alias.name == "*":
            out.append(("*", module))
        else:
            out.append((alias.asname or alias.name, f"{module}.{alias.name}"))
    return out
