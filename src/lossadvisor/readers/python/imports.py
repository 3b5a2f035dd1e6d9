"""Qualified names: what an imported name refers to, whatever the spelling.

    import torch.nn as nn                  nn.CrossEntropyLoss        -> torch.nn.CrossEntropyLoss
    from tensorflow.keras import layers    layers.Dense               -> tensorflow.keras.layers.Dense
    import tensorflow as tf                tf.keras.losses.MSE        -> tensorflow.keras.losses.MSE

`binding` turns one import statement into (local name, qualified name) pairs; `api` splits a
qualified name into the framework it belongs to and a canonical path (the import roots of
rules/frameworks.yaml), so that `tensorflow.keras.X`, `tf_keras.X` and `keras.X` are matched by the
same code (`keras.X`) but keep their own framework.
"""

from __future__ import annotations

import ast
import re
from functools import cache

from lossadvisor import knowledge
from lossadvisor.vocabulary import Api

__all__ = ["Api", "api", "binding", "imports_a_framework", "is_library", "names_training", "uses_fragment_names"]

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


def api(qualified: str) -> Api:
    """What a qualified name refers to: its framework and canonical path (rules/frameworks.yaml)."""
    return knowledge.load().vocabulary.api(qualified)


def is_library(module: str) -> bool:
    """Whether a module belongs to a framework the vocabulary knows, or to a library that is never
    the project's own (rules/libraries.yaml)."""
    return api(module).framework is not None or module.split(".")[0] in knowledge.load().libraries


@cache
def _framework_import() -> re.Pattern[str]:
    roots = sorted({root.split(".")[0] for root in knowledge.load().vocabulary.import_roots()}, key=len, reverse=True)
    words = "|".join(map(re.escape, roots))
    return re.compile(rf"^[ \t]*(?:from[ \t]+(?:{words})\b|import[ \t]+[^\n#]*\b(?:{words})\b)", re.MULTILINE)


@cache
def _fragment_use() -> re.Pattern[str]:
    names = sorted(knowledge.load().vocabulary.fragment_names(), key=len, reverse=True)
    return re.compile(rf"(?<![\w.])(?:{'|'.join(map(re.escape, names))})[ \t]*[.(]")


def uses_fragment_names(text: str) -> bool:
    """A snippet without imports that calls `Sequential(`, `nn.`, `tf.`: maybe a fragment to read."""
    return _fragment_use().search(text) is not None


def imports_a_framework(text: str) -> bool:
    """A line that imports one of the frameworks (any import root in rules/frameworks.yaml)."""
    return _framework_import().search(text) is not None


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
