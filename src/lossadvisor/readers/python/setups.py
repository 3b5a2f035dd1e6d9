"""From what the dataflow recorded to `TrainingSetup`s: one per (model output, loss) pairing.

    a loss called on a prediction      criterion(model(x), y), F.cross_entropy(logits, y)
    a Keras compile()                  each loss paired with the output it is meant for
    a loss nobody calls                still named, so a misspelt loss is reported
    a model nobody trains here         its head alone (a softmax over one unit is wrong anyway)
    a compile whose loss never runs    compiled again before training, or a model only predicted or
                                       used inside another model (a GAN's generator): `unused` says why

A setup that says less than another one about the same loss (no head, or no labels, where the
other has them) is dropped: reading a function once with unknown arguments and once with real ones
must not report twice.
"""

from __future__ import annotations

from lossadvisor.facts import Fact, Head, LossUse, MetricUse, TrainingSetup
from lossadvisor.readers.python import keras, losses
from lossadvisor.readers.python.dataflow import Frame, Interpreter
from lossadvisor.readers.python.labels import facts_of
from lossadvisor.readers.python.values import Const, Items, LossFn, Mapping, Module, Ref, Stack, Value


def assemble(interp: Interpreter) -> list[TrainingSetup]:
    path = interp.path
    setups = [
        TrainingSetup(
            path, p.framework or p.loss.framework, head=p.head, loss=p.loss, labels=p.labels, target=p.target,
            applied_at=p.applied_at, autocast=p.autocast or (interp.mixed_trainer if p.in_training_step else None),
            minimised=p.minimised,
        )
        for p in interp.pairings
    ]  # fmt: skip
    frame = Frame(None, None)
    for model in interp.modules:
        if isinstance(model, Stack):  # Sequential([generator, discriminator]): each is used inside it
            for layer in model.layers:
                if isinstance(layer, Module):
                    layer.uses["called"] = interp.tick()  # structural: whenever it was built
    for model in interp.modules:
        setups.extend(_compiled(interp, model, frame))
    named = {_key(s.loss) for s in setups if s.loss is not None}
    for loss in interp.losses:
        if _key(loss.use) not in named:
            setups.append(TrainingSetup(path, loss.framework, loss=loss.use))
    for model in interp.modules:
        if not model.compiles:
            for head in keras.outputs(interp, model, frame):
                written = head and (head.activation or head.activation_written)
                if written and interp.in_checked_file(written.at):
                    setups.append(TrainingSetup(path, model.framework, head=head))
    setups = _with_thresholds(interp, setups)
    # A loss written in a project module is that module's finding, reported when it is checked.
    return _most_informative([s for s in setups if s.loss is None or interp.in_checked_file(s.loss.written.at)])


def _with_thresholds(interp: Interpreter, setups: list[TrainingSetup]) -> list[TrainingSetup]:
    """`preds = outputs > 0.5` / `torch.round(outputs)` is a metric on the prediction a loss gets,
    when it is the same model output (the same head): LA601 then says whether the cut fits."""
    if not interp.thresholds:
        return setups
    cuts = [(head, fact) for head, fact in interp.thresholds if head.activation is not None and interp.in_checked_file(fact.at)]
    out = []
    for setup in setups:
        mine = dict.fromkeys(fact for head, fact in cuts if setup.loss is not None and setup.head == head)
        out.append(setup._replace(metrics=setup.metrics + tuple(MetricUse(fact, "threshold") for fact in mine)) if mine else setup)
    return out


def _compiled(interp: Interpreter, model: Module, frame: Frame) -> list[TrainingSetup]:
    """Each compile() with the training calls that run its loss: those after it and before the
    next compile of the same model, with the labels as they were at each call."""
    out = []
    compiles = sorted(model.compiles, key=lambda c: c[2])
    for k, (value, _, when, metrics) in enumerate(compiles):
        until = compiles[k + 1][2] if k + 1 < len(compiles) else None
        fits = [(labels, weighted) for labels, at, weighted in model.fits if at > when and (until is None or at < until)]
        window = [labels for labels, _ in fits]
        class_weight = next((Fact("class_weight", weighted) for _, weighted in fits if weighted is not None), None)
        heads = keras.outputs(interp, model, frame)
        labels = [facts_of(interp, y) for y in window] if len(heads) == 1 and window else [None]
        unused = None if window else _never_trained(model, when, until)
        reported = keras.metrics_of(interp, metrics, model.framework or "keras")
        for head, loss in _pairs(interp, model, value, heads):
            certain = loss.certain
            for facts in labels:
                out.append(TrainingSetup(
                    interp.path, model.framework or loss.framework, head=head if certain else None,
                    loss=loss.use, labels=facts if certain else None, unused=unused, metrics=reported,
                    class_weight=class_weight,
                ))  # fmt: skip
    return out


def _never_trained(model: Module, compiled: int, next_compile: int | None) -> str | None:
    """Why a compile's loss never runs here, when the file shows it; None when it may run (the
    model may be trained by code this file does not show)."""
    if next_compile is not None:
        return "the model is compiled again before it is trained, so this loss is never used"
    if model.fits:
        return None
    if any(at > compiled for at in model.uses.values()):  # what the compiled model is then used for
        return "the model is never trained in this file, only used for prediction or inside another model"
    return None


def _pairs(interp: Interpreter, model: Module, value: Value, heads: list[Head | None]) -> list[tuple[Head | None, LossFn]]:
    """compile(loss=…) may be one loss for every output, a list in output order, or a dict by name."""
    framework = model.framework or "keras"
    if isinstance(value, Mapping):
        named = {h.name: h for h in heads if h is not None and h.name}
        return [(named.get(k), loss) for k, v in value.items.items() if (loss := _loss(interp, v, framework))]
    if isinstance(value, Items):
        matched = len(value.items) == len(heads)
        return [(heads[i] if matched else None, loss) for i, v in enumerate(value.items) if (loss := _loss(interp, v, framework))]
    loss = _loss(interp, value, framework)
    return [(head, loss) for head in heads] if loss else []


def _loss(interp: Interpreter, value: Value, framework: str) -> LossFn | None:
    if isinstance(value, LossFn):
        return value
    if isinstance(value, Const):
        return losses.from_string(interp.kb, value, framework)
    if isinstance(value, Ref) and value.at is not None:
        return losses.from_api(interp.kb, value.api, Fact(value.text or value.api.name, value.at))
    return None  # a function of the user's own, or something the reader cannot follow


def _key(use: LossUse | None):
    return (use.written, use.id) if use is not None else None


def _most_informative(setups: list[TrainingSetup]) -> list[TrainingSetup]:
    distinct: dict[tuple, TrainingSetup] = {}
    for setup in setups:
        distinct.setdefault(_shape(setup), setup)
    # A setup can only cover one that names the same loss (or one that names none): compare within
    # those groups, not every pair, so 10,000 losses in a file stay linear.
    by_loss: dict[object, list[tuple]] = {}
    for key in distinct:
        by_loss.setdefault(key[1], []).append(key)
    every = list(distinct)
    kept = []
    for key, setup in distinct.items():
        rivals = every if key[1] is None else by_loss[key[1]]
        if not any(other != key and _covers(other, key) for other in rivals):
            kept.append(setup)
    return kept


def _shape(setup: TrainingSetup) -> tuple:
    return tuple(None if getattr(setup, f) is None else repr(getattr(setup, f)) for f in ("head", "loss", "labels", "target", "autocast"))


def _covers(big: tuple, small: tuple) -> bool:
    """`big` says everything `small` says, and more."""
    return all(s is None or s == b for s, b in zip(small, big))
