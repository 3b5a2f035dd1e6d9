"""LA0xx: names the knowledge base does not know (a typo in a loss, activation, task or label format).

LA001 (invalid input) is not a check: the engine reports it when a reader cannot read a file.
"""

from __future__ import annotations

from collections.abc import Iterator

from lossadvisor.checks import Hit, rule
from lossadvisor.checks.context import Context
from lossadvisor.suggest import did_you_mean


@rule("LA002")
def unknown_loss(c: Context) -> Iterator[Hit]:
    use = c.setup.loss
    if use and use.id is None:
        bare = use.written.value.rsplit(".", 1)[-1]
        yield Hit("LA002", use.written.at, {
            "loss": use.written.value,
            "framework": f" in {use.framework}" if use.framework else "",
            "suggestion": did_you_mean(bare, c.kb.loss_names(use.framework)),
        })  # fmt: skip


@rule("LA006")
def tf_keras_only_name(c: Context) -> Iterator[Hit]:
    """A spelling only tf.keras 2.x accepts, in a setup declared as Keras 3: the loss matched in a
    framework that inherits the setup's (frameworks.yaml `inherits`), with a spelling of its own."""
    use = c.setup.loss
    spelled_in = c.kb.vocabulary.frameworks.get(use.framework or "") if use else None
    if not use or not c.loss or spelled_in is None or spelled_in.inherits is None or spelled_in.inherits != c.setup.framework:
        return
    own = c.loss.spellings(c.setup.framework)
    keras3 = [s.name for s in own if not s.strings_only]
    if keras3 and all(s.name != use.written.value for s in own):
        yield Hit("LA006", use.written.at, {"loss": use.written.value, "instead": keras3[0]})


@rule("LA008")
def unknown_loss_argument(c: Context) -> Iterator[Hit]:
    """A keyword argument the loss does not take (Keras SparseCategoricalCrossentropy(label_smoothing=…)):
    the constructor raises, or the argument is silently meant for something else. The arguments
    come from the real frameworks (rules/loss_arguments.yaml); a framework or spelling that table
    does not cover is never checked."""
    use = c.setup.loss
    if not use or not use.args or not c.loss:
        return
    spelling = use.written.value.rsplit(".", 1)[-1]
    takes = (c.kb.loss_arguments.get(use.framework or "") or {}).get(spelling)
    if takes is None or "**" in takes:
        return
    if use.namespace is not None and use.namespace not in c.kb.loss_argument_namespaces.get(use.framework or "", ()):
        return  # keras.ops.binary_crossentropy(target=, output=) is not keras.losses
    for name, fact in use.args.items():
        if name in takes or name.startswith("_"):  # Hydra's _partial_, _recursive_
            continue
        valid = ", ".join(a for a in _declared_order(c, use.framework, spelling) if a in takes)
        detail = did_you_mean(name, sorted(takes)) or f": its arguments are {valid}"
        yield Hit("LA008", fact.at, {"loss": spelling, "argument": name, "detail": detail})


def _declared_order(c: Context, framework: str | None, spelling: str) -> list[str]:
    return list(c.kb.raw["loss_arguments"].get(framework or "", {}).get(spelling) or ())


@rule("LA003")
def unknown_activation(c: Context) -> Iterator[Hit]:
    written = c.setup.head.activation_written if c.setup.head else None
    if written:
        yield Hit("LA003", written.at, {"activation": written.value, "suggestion": did_you_mean(written.value, c.kb.activation_names())})


@rule("LA004")
def unknown_task(c: Context) -> Iterator[Hit]:
    if written := c.setup.task_written:
        names = {a: t.id for t in c.kb.tasks.values() for a in (t.id, *t.aliases)}
        yield Hit("LA004", written.at, {"task": written.value, "suggestion": did_you_mean(written.value, names)})


@rule("LA005")
def unknown_label_format(c: Context) -> Iterator[Hit]:
    written = c.setup.labels.format_written if c.setup.labels else None
    if written:
        names = {a: f.id for f in c.kb.label_formats.values() for a in (f.id, *f.aliases)}
        yield Hit("LA005", written.at, {"format": written.value, "suggestion": did_you_mean(written.value, names)})
