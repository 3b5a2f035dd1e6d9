"""Losses as code spells them → `LossFn` values.

    nn.CrossEntropyLoss(label_smoothing=0.1)      a PyTorch loss object (prediction, target)
    F.binary_cross_entropy_with_logits            a PyTorch loss function
    keras.losses.BinaryCrossentropy(from_logits=True), keras.losses.mse, compile(loss="bce")
    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)
    optax.softmax_cross_entropy(logits, labels)

Which modules hold losses, and in which argument order they take them, comes from
rules/frameworks.yaml (`loss_modules`); what a spelling means from losses.yaml (`kb.find_loss`),
accepted only when the match is in the namespace's own framework family (`F.cosine_similarity` is not Keras' cosine_similarity loss).
A name the knowledge base does not know is recorded with `id=None` only when it sits where a loss
is meant: Keras' `losses` namespace, a `compile()` string, a PyTorch name that reads like a loss.
"""

from __future__ import annotations

import ast
import difflib
from functools import lru_cache
from typing import Any

from lossadvisor.facts import Fact, LossUse, Position
from lossadvisor.knowledge import Knowledge, Loss
from lossadvisor.readers.python.values import Const, Labels, LossFn, Value
from lossadvisor.vocabulary import Api, LossModule

def is_class(kb: Knowledge, api: Api) -> bool:
    """`CrossEntropyLoss`, `BinaryCrossentropy` are classes; `mse`, `MSE`, `cross_entropy` functions;
    losses.yaml says so where the case misleads (`kind: class` for Keras' `CTC`)."""
    match = kb.find_loss(api.name, api.framework)
    if match is not None and match.spelling.kind:
        return match.spelling.kind == "class"
    return api.name[:1].isupper() and not api.name.isupper()


def _reads_like_a_loss(kb: Knowledge, module: LossModule, api: Api) -> bool:
    """Whether an unknown name is meant as a loss (a typo to report): only names directly in a
    public loss namespace count (`keras.losses.X`, `nn.X`, `F.X`), not helpers of internal modules.
    Which namespaces hold only losses, and which hold losses among other things, is data
    (`unknown_names` in rules/frameworks.yaml); tf.nn and optax hold far more than losses, so only
    known spellings count there."""
    name = api.name
    if module.unknown_names is None or api.path[:-1] not in module.directly_in or name.startswith("_") or name in module.not_losses:
        return False
    if module.unknown_names == "all" or "loss" in name.lower():
        return True
    return _close_to_a_loss(kb, name, api.framework)


@lru_cache(maxsize=4096)
def _close_to_a_loss(kb: Knowledge, name: str, framework: str | None) -> bool:
    """`nn.CrossEntropyLos` is a misspelt loss; `nn.Linear` is not (asked once per name: difflib is slow)."""
    return bool(difflib.get_close_matches(name, kb.loss_names(framework), n=1, cutoff=0.88))


def from_api(kb: Knowledge, api: Api, written: Fact[str]) -> LossFn | None:
    """A loss named by a library name, or None when the name is not a loss. Arguments are added
    by `with_arguments`."""
    module = kb.vocabulary.loss_module(api)
    if module is None:
        return None
    framework = api.framework
    match = kb.find_loss(api.name, framework)
    if match is not None and match.framework not in kb.vocabulary.family_of(framework or ""):
        match = None
    if match is None and not _reads_like_a_loss(kb, module, api):
        return None
    text = written.value if written.value.rsplit(".", 1)[-1] == api.name else api.name
    use = LossUse(Fact(text, written.at), match.loss.id if match else None, match.framework if match else framework, namespace=".".join(api.path[:-1]))
    return LossFn(use, module.target_first, function=not is_class(kb, api), framework=framework)


def from_string(kb: Knowledge, const: Const, framework: str | None) -> LossFn | None:
    """`compile(loss="categorical_crossentropy")`: any string there is meant as a Keras loss."""
    if not isinstance(const.value, str):
        return None
    match = kb.find_loss(const.value, framework)
    written = Fact(const.value, const.at)
    if match is None:
        return LossFn(LossUse(written, None, framework), True, framework=framework)
    return LossFn(LossUse(written, match.loss.id, match.framework), True, framework=framework)


def with_arguments(
    kb: Knowledge, loss: LossFn, keywords: dict[str, tuple[Value, Position, ast.expr]], extra_positional: bool, unexpanded: bool
) -> LossFn:
    """Record the keyword arguments: literals with their value, anything else as an `Expression`
    (passed, value unknown: a check never takes the parameter's default for it). A non-literal
    value for a parameter that changes what the loss expects (`from_logits=flag`), or positional /
    `**kwargs` arguments that may set one, make the loss uncertain: it stays named but is never
    paired."""
    use = loss.use
    known = kb.losses.get(use.id) if use.id else None
    decisive = _decisive(known)
    args: dict[str, Fact[Any]] = dict(use.args)
    certain = loss.certain and not ((extra_positional or unexpanded) and decisive)
    for name, (value, at, node) in keywords.items():
        if isinstance(value, Const) and not value.assumed:
            args[name] = Fact(value.value, at)
        else:
            args[name] = Fact(Expression(ast.unparse(node), _literal_length(value, node)), at)
            certain = certain and name not in decisive
    unseen = use.unseen_arguments or extra_positional or unexpanded
    return LossFn(use._replace(args=args, unseen_arguments=unseen), loss.labels_first, certain, loss.function, loss.framework)


def _literal_length(value: Value, node: ast.expr) -> int | None:
    """How many values a one-axis tensor written in the call holds (`weight=torch.tensor([1.0, 5.0])`:
    2); None for anything else."""
    if not isinstance(value, Labels):  # torch.tensor / FloatTensor / np.array of a literal (labels.yaml conversions)
        return None
    from lossadvisor.readers.python.labels import Converted, WrittenLabels

    while isinstance(value, Converted):
        value = value.inner
    if isinstance(value, WrittenLabels):  # the literal itself, whatever conversions were chained on it (`.to(device)`)
        node = value.node
    literal = node.args[0] if isinstance(node, ast.Call) and node.args else node
    if isinstance(literal, (ast.List, ast.Tuple)) and all(isinstance(e, (ast.Constant, ast.UnaryOp)) for e in literal.elts):
        return len(literal.elts)
    return None


class Expression:
    """A loss argument that is not a literal (`reduction=mode`): passed, value unknown. It equals
    no literal, so a check neither matches it nor falls back to the parameter's default. `length`:
    the number of values of a one-axis tensor written in place (`torch.tensor([1.0, 5.0])`)."""

    __slots__ = ("text", "length")

    def __init__(self, text: str, length: int | None = None):
        self.text, self.length = text, length

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _decisive(loss: Loss | None) -> set[str]:
    if loss is None:
        return set()
    return {p.name for p in loss.params.values() if p.when or p.ignores_label}


def dotted(node: ast.expr) -> str | None:
    """`nn.CrossEntropyLoss` for the expression `nn.CrossEntropyLoss`, None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))
