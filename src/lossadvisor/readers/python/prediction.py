"""What models, activations and losses do to a prediction, as the interpreter meets them.

    model(x), layer(x), nn.Sequential(...)(x)   the model's head reaches the result
    F.softmax(x, dim=1), x.log(), torch.clamp    an activation composed onto the head
    criterion(outputs, labels), F.nll_loss(...)  a pairing: the loss, the head that reaches it, the labels
"""

from __future__ import annotations

import ast
from typing import Any

from lossadvisor.facts import Fact, Position
from lossadvisor.readers.python import activations, losses, shapes
from lossadvisor.readers.python.imports import Api
from lossadvisor.readers.python.values import (
    UNKNOWN, UNKNOWN_HEAD, Const, Function, Graph, Instance, Items, Labels, Layer, LossFn, Module, Opaque, Pairing, Ref, Score,
    Stack, Tensor, Value,
)  # fmt: skip

PREDICTION_KEYWORDS = ("input", "logits", "y_pred", "predictions", "preds", "output", "outputs")
TARGET_KEYWORDS = ("target", "labels", "y_true", "targets", "label", "y", "onehot_labels", "multi_class_labels")
# Tensor methods that change a prediction's shape or type, not what it is.
SHAPE_METHODS = shapes.KEEP_SHAPE | shapes.RESHAPING


# --------------------------------------------------------------------------- models


def apply_module(interp, module: Module, call) -> Value:
    module.uses["called"] = interp.tick()  # `model(x)`: a layer of another model, or eager inference
    if isinstance(module, Instance):
        return call_instance(interp, module, call)
    incoming = call.value(0, ("inputs", "input", "x"))
    return through(interp, module, incoming if incoming is not None else UNKNOWN, call.frame, call)


def through(interp, module: Value, incoming: Value, frame, site=None) -> Value:
    """What `module` makes of the prediction `incoming` (applied at `site`, when known)."""
    if isinstance(module, Layer) and module.step.role in ("identity", "passes", "reshapes") and not isinstance(incoming, Tensor):
        if module.step.rank is not None and incoming is UNKNOWN:  # nn.Flatten() of the model's input: two axes
            return Tensor(UNKNOWN_HEAD._replace(rank=module.step.rank), module.framework)
        return incoming
    if isinstance(module, Layer) and module.step.role == "sequence":  # nn.LSTM: (output, state)
        return Items([Tensor(module.head(UNKNOWN_HEAD), module.framework), UNKNOWN])
    if isinstance(module, Layer):
        head = module.head(incoming.head if isinstance(incoming, Tensor) else UNKNOWN_HEAD)
        if module.implicit and head.activation and site is not None and site.frame.forward:
            # No activation is written: say where the layer's output is returned (`Net.forward`).
            head = head._replace(activation=site.fact(head.activation.value))
        name = module.attrs.get("name")  # Keras names an output after its last layer
        return Tensor(head._replace(name=name.value if isinstance(name, Const) else None), module.framework)
    if isinstance(module, Stack):
        value = incoming
        for layer in module.layers:
            value = through(interp, layer, value, frame, site)
        return value
    if isinstance(module, Ref) and (activation := activations.function_activation(interp.kb, module.api)) is not None:
        # a function in a JAX Sequential: nn.Sequential([nn.Dense(10), nn.softmax])
        at = module.at or (site.at if site is not None else Position(interp.path))
        fact = Fact(activation, at)  # where the function was named
        return activations.apply(interp.kb, incoming, activation, fact, module.api.framework)
    if isinstance(module, Function):
        return interp.run_function(module, interp.empty_call(frame, [incoming]))
    if isinstance(module, Graph):
        return module.outputs
    if isinstance(module, Opaque):
        return Tensor(module.fixed_head, module.framework)
    if isinstance(module, Instance):
        return call_instance(interp, module, interp.empty_call(frame, [incoming]))
    return UNKNOWN


def call_instance(interp, instance: Instance, call) -> Value:
    """Calling a model object runs its forward (PyTorch) / call (Keras) in training mode."""
    cls = instance.cls
    entry = cls.kind.runs if cls.kind else "__call__"
    found = cls.method(entry) or cls.method("__call__")
    if found is None:
        return UNKNOWN
    key = (entry, tuple(_const_key(v) for v in call.args), tuple((k, _const_key(v)) for k, (v, _) in sorted(call.kwargs.items())))
    if key not in instance.heads:
        owner, method = found
        instance.heads[key] = UNKNOWN  # against recursion
        overrides = {"training": Const(True, call.at)} if cls.kind and cls.kind.training == "argument" else {}
        fn = Function(method, owner.frame, f"{owner.node.name}.{method.name}", owner, instance)
        instance.heads[key] = interp.run_function(fn, call, overrides)
    return instance.heads[key]


def _const_key(value: Value) -> Any:
    return ("const", repr(value.value)) if isinstance(value, Const) else type(value).__name__


# --------------------------------------------------------------------------- activations


def activation_call(interp, ref: Api, call) -> Value | None:
    """`F.softmax(x, dim=1)`, `tf.nn.sigmoid(z)`, `torch.log(p + 1e-8)`, `torch.clamp(p, eps, 1)`."""
    kb = interp.kb
    activation = activations.function_activation(kb, ref)
    if activation is None:
        if ref.name == "round" and ref.framework and isinstance(x := call.value(0, ("input", "x")), Tensor):
            threshold(interp, x, call)
            return UNKNOWN
        if ref.name in ("clamp", "clip", "clip_by_value") and ref.framework:
            x = call.value(0, ("input", "x", "t"))
            return activations.clamp(kb, x) if x is not None else UNKNOWN
        return None
    x = call.value(0, ("input", "x", "features", "logits"))
    node = call.arg_node(0, ("input", "x"))
    guarded = False
    if activation == "log" and node is not None and (inner := activations.log_argument(node)) is not node:
        x, guarded = interp.eval(inner, call.frame), True
    given = call.value(1, ("dim", "axis"))
    axis = activations.axis_literal(given) if activations.normalising(kb, activation) else None
    guessed = given is None and not call.unexpanded and kb.vocabulary.guesses_axis(ref)
    return activations.apply(kb, x if x is not None else UNKNOWN, activation, call.fact(activation), ref.framework, axis, guessed, guarded)


def _flattens_to_two_axes(name: str, call) -> bool:
    """`x.view(x.size(0), -1)`, `x.reshape(n, -1)`, `x.flatten(1)`: a result with two axes, so that
    `softmax(dim=1)` after the next Linear is over its units."""
    if call.unexpanded or call.node is None:
        return False
    args = call.node.args
    if name in ("view", "reshape") and not call.kwargs:
        return len(args) == 2 or (len(args) == 1 and isinstance(args[0], ast.Tuple) and len(args[0].elts) == 2 and not any(isinstance(e, ast.Starred) for e in args[0].elts))
    if name == "flatten" and "end_dim" not in call.kwargs and len(args) <= 1:
        start = call.const(0, "start_dim", MISSING_ARG)
        return start == 1
    return False


MISSING_ARG = object()


def threshold(interp, prediction: Tensor, call) -> None:
    """`torch.round(outputs)`: a cut at 0.5, as accuracy code makes (so is `outputs > 0.5`)."""
    text = ast.unparse(call.node) if call.node is not None else "round()"
    interp.thresholds.append((prediction.head, call.fact(text)))


def tensor_method(interp, obj: Value, name: str, call) -> Value:
    """`x.softmax(1)`, `x.log()`, `p.clamp(eps, 1 - eps)`, and shape methods that keep the form."""
    if name in shapes.AXIS_MOVES and isinstance(obj, Tensor):
        head = shapes.moved(obj.head, name, call)
        return Tensor(head, obj.framework) if head is not None else UNKNOWN
    if name in SHAPE_METHODS:
        if isinstance(obj, Labels):
            from lossadvisor.readers.python.labels import converted

            return converted(obj, name, call)
        if not isinstance(obj, Tensor) and obj is not UNKNOWN:
            return obj
        head = obj.head if isinstance(obj, Tensor) else UNKNOWN_HEAD
        framework = obj.framework if isinstance(obj, Tensor) else None
        shaped = shapes.reshaped(head, name, call)
        if _flattens_to_two_axes(name, call):  # the model's input, flattened, when obj is UNKNOWN
            units = head.units if head.rank == 2 and head.units_axis in (-1, 1) else None  # else merged away
            return Tensor(shaped._replace(rank=2, units=units, units_axis=-1), framework)
        if obj is UNKNOWN:  # a target: `y.view(-1)` shows its shape and nothing else
            return Tensor(shaped, framework) if shaped.trailing or shaped.singleton_axis is not None else UNKNOWN
        return Tensor(shaped, framework)
    if isinstance(obj, Labels):
        return UNKNOWN
    if name in ("clamp", "clip", "clamp_min", "clamp_max"):
        return activations.clamp(interp.kb, obj)
    if name == "round" and isinstance(obj, Tensor) and not call.args and not call.kwargs:
        threshold(interp, obj, call)
        return UNKNOWN
    framework = obj.framework if isinstance(obj, Tensor) and obj.framework else interp.kb.vocabulary.tensor_methods_framework()
    activation = "log" if name == "log" else activations.spelled_in(interp.kb, name, framework)
    if activation is None:
        return UNKNOWN
    axis = activations.axis_literal(call.value(0, ("dim", "axis"))) if activations.normalising(interp.kb, activation) else None
    return activations.apply(interp.kb, obj, activation, call.fact(activation), framework, axis)


# --------------------------------------------------------------------------- losses


def gathered_loss(interp, ref: Api, call) -> None:
    """`jnp.take_along_axis(jax.nn.log_softmax(x), y[:, None], axis=-1)`: a loss written out whose
    log-probabilities meet the targets through a function (returns None: the call's value is
    the other handlers')."""
    fw = interp.kb.vocabulary.frameworks.get(ref.framework or "")
    if fw is not None and fw.written_losses and call.node is not None and not call.unexpanded and len(call.args) >= 2:
        by = ".".join(ref.path)
        if any(w.by == by for w in fw.written_losses):
            written_loss(interp, call.node, by, call.args[:2], call.node.args[:2], call.frame)
    return None


def written_loss(interp, node: ast.expr, by: str, values: list[Value], nodes: list[ast.expr], frame) -> None:
    """A loss written out by hand, read as the loss it computes (rules/frameworks.yaml
    `written_losses`): `-jnp.sum(t * jax.nn.log_softmax(x), axis=-1)` is
    `optax.softmax_cross_entropy(x, t)`, so what reaches `x` and what `t` is are checked alike."""
    for i, value in enumerate(values[:2]):
        if not isinstance(value, Tensor) or value.applied_to is None or value.head.activation is None:
            continue
        written = interp.kb.vocabulary.written_loss(value.framework, value.head.activation.value, by)
        if written is None:
            continue
        at = interp.at(node, frame)
        loss = losses.from_api(interp.kb, interp.kb.vocabulary.api(written.loss), Fact(written.loss, at))
        if loss is None:
            return
        use = loss.use._replace(written=Fact(ast.unparse(node), at, frame.context), spelling=loss.use.written.value.rsplit(".", 1)[-1])
        # The loss as if it had been called with what reached the activation and the targets, in
        # the loss's own order (tf.nn takes labels first).
        order = [1 - i, i] if loss.labels_first else [i, 1 - i]
        reached = value.applied_to
        if value.head.log_of is not None:  # what reaches the loss, and the unguarded log on the way
            head = reached.head if isinstance(reached, Tensor) else UNKNOWN_HEAD  # tf.matmul(x, W) + b: not known
            reached = Tensor(head._replace(log_of=value.head.log_of), value.framework, applied_to=getattr(reached, "applied_to", None))
        arguments = [reached if k == i else values[k] for k in order]
        call = interp.empty_call(frame, arguments)
        call.node = ast.copy_location(ast.Call(func=node, args=[nodes[k] for k in order], keywords=[]), node)
        apply_loss(interp, LossFn(use, loss.labels_first, function=True, framework=loss.framework), call)
        return


def loss_call(interp, ref: Api, call) -> Value | None:
    """`nn.CrossEntropyLoss(…)` makes a loss object; `F.cross_entropy(out, y)` is a loss applied."""
    node = call.node.func if call.node is not None else None
    text = losses.dotted(node) if node is not None else None
    made = losses.from_api(interp.kb, ref, Fact(text or ref.name, call.at))
    if made is None:
        return None
    if losses.is_class(interp.kb, ref):
        made = losses.with_arguments(interp.kb, made, call.keyword_facts(), bool(call.args), call.unexpanded)
        if interp.in_checked_file(made.use.written.at):
            interp.losses.append(made)
        return made
    return apply_loss(interp, made, call)


def apply_loss(interp, loss: LossFn, call) -> Value:
    """`criterion(outputs, labels)`: record what reaches the loss."""
    from lossadvisor.readers.python import labels as label_sources

    if loss.function and call.node is not None:
        loss = losses.with_arguments(interp.kb, loss, call.keyword_facts(), len(call.args) > 2, call.unexpanded)
    if not interp.in_checked_file(loss.use.written.at):
        return UNKNOWN  # a project module's own loss: its file's finding, not this one's
    interp.losses.append(loss)
    if interp.inference or not loss.certain:
        interp.pairings.append(Pairing(loss.use, framework=loss.framework))
        return UNKNOWN
    known = interp.kb.losses.get(loss.use.id or "")
    if known is not None and known.target_position is not None:  # (input1, input2, target)
        prediction, target = call.value(0, ("input1",) + PREDICTION_KEYWORDS), call.value(known.target_position, TARGET_KEYWORDS)
    elif loss.labels_first:
        target, prediction = call.value(0, TARGET_KEYWORDS), call.value(1, PREDICTION_KEYWORDS)
    else:
        prediction, target = call.value(0, PREDICTION_KEYWORDS), call.value(1, TARGET_KEYWORDS)
    head = prediction.head if isinstance(prediction, Tensor) else None
    label_facts = label_sources.facts_of(interp, target) if target is not None else None
    target_head = target.head if isinstance(target, Tensor) and (target.head.activation or target.head.activation_written or target.head.trailing or target.head.singleton_axis is not None) else None
    if target_head is None and label_facts is not None and label_facts.shape is not None:
        target_head = shapes.of_stored_labels(label_facts.shape)
    pairing = Pairing(loss.use, head, label_facts, loss.framework, target_head, call.at, interp.autocast, interp.in_training_step)
    interp.pairings.append(pairing)
    return Score(pairing) if known is not None and known.maximised else UNKNOWN


def reduced_score(interp, ref: Api, call) -> Value | None:
    """`jnp.mean(score)`: a reduction keeps a score's sign (frameworks.yaml `reductions`)."""
    if interp.kb.vocabulary.reduces(ref):
        value = call.value(0)
        return value if isinstance(value, Score) else None
    return None


def score_arithmetic(op: ast.operator | ast.unaryop, left: Value, right: Value | None = None) -> Value:
    """The sign of a score after `-s`, `1 - s`, `s * 2`, `s / n`; UNKNOWN for anything else."""
    if right is None:
        return Score(left.pairing, -left.sign) if isinstance(left, Score) and isinstance(op, ast.USub) else UNKNOWN
    score, other, score_left = (left, right, True) if isinstance(left, Score) else (right, left, False)
    if not isinstance(score, Score) or not isinstance(other, Const) or not isinstance(other.value, (int, float)) or isinstance(other.value, bool):
        return UNKNOWN
    if isinstance(op, ast.Add):
        return score
    if isinstance(op, ast.Sub):
        return score if score_left else Score(score.pairing, -score.sign)
    if isinstance(op, ast.Mult) or (isinstance(op, ast.Div) and score_left):
        return Score(score.pairing, score.sign if other.value > 0 else -score.sign) if other.value != 0 else UNKNOWN
    return UNKNOWN
