"""LA0xx: names the knowledge base does not know (a typo in a loss, activation, task or label format).

LA001 (invalid input) is not a check: the engine reports it when a reader cannot read a file.
"""

from __future__ import annotations

from collections.abc import Iterator

from lossadvisor.checks import Hit, rule
from lossadvisor.checks.context import Context
from lossadvisor.knowledge import normalize


def did_you_mean(name: str, candidates: list[str] | dict[str, str]) -> str:
    """'; did you mean `BinaryCrossentropy`?' or '' — forgiving about case, '-' and '_'.
    `candidates` may map each spelling to what to suggest (an alias to its canonical id)."""
    import difflib  # only when a name is unknown: ~2 ms of start-up otherwise

    shown = candidates if isinstance(candidates, dict) else {c: c for c in candidates}
    # BinaryCrossEntropy should suggest the class BinaryCrossentropy, not the function: among
    # spellings that normalise alike, prefer the one written in the same case style.
    same_style = sorted(shown, key=lambda c: c[:1].isupper() == name[:1].isupper())
    candidates = list(shown)
    by_norm = {normalize(c): shown[c] for c in same_style}
    close = difflib.get_close_matches(normalize(name), list(by_norm), n=1, cutoff=0.75)
    if close:
        return f"; did you mean `{by_norm[close[0]]}`?"
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean `{shown[close[0]]}`?" if close else ""


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
    """A spelling only tf.keras 2.x accepts, in a setup declared as Keras 3."""
    use = c.setup.loss
    if not use or use.framework != "tf_keras" or c.setup.framework != "keras" or not c.loss:
        return
    keras3 = [s.name for s in c.loss.spellings("keras") if not s.strings_only]
    if keras3 and all(s.name != use.written.value for s in c.loss.spellings("keras")):
        yield Hit("LA006", use.written.at, {"loss": use.written.value, "instead": keras3[0]})


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
