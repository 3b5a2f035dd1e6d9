"""The one did-you-mean: "; did you mean `BinaryCrossentropy`?" for a name nobody knows.

Used for losses, activations, tasks and label formats in findings, and for rule codes, config keys,
framework names and problem types on the command line. Forgiving about case, '-', '_' and spaces
first; between equally close candidates the longer common prefix wins (`LA10l` is LA101, not LA310),
then the one written in the same case style (`BinaryCrossEntropy` suggests the class
`BinaryCrossentropy`, not the function `binary_crossentropy`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lossadvisor.vocabulary import Framework, Vocabulary, normalize


class UnknownFramework(ValueError):
    """A framework name that no framework in rules/frameworks.yaml answers to."""


def find_framework(vocabulary: Vocabulary, name: object, also: tuple[str, ...] = ()) -> Framework:
    """The framework `name` spells (any name in rules/frameworks.yaml); UnknownFramework, with a
    suggestion and the valid names (and `also`, what the caller accepts besides), otherwise."""
    found = vocabulary.framework(name) if isinstance(name, str) else None
    if found is None:
        names = vocabulary.spellings()
        raise UnknownFramework(f"unknown framework `{name}`{did_you_mean(str(name), names)} (valid: {', '.join([*names, *also])})")
    return found


def did_you_mean(name: str, candidates: Iterable[str] | Mapping[str, str]) -> str:
    """'; did you mean `x`?' or ''. `candidates` may map each spelling to what to suggest (an alias
    to its canonical id)."""
    from difflib import SequenceMatcher  # only when a name is unknown: ~2 ms of start-up otherwise
    from os.path import commonprefix

    shown = dict(candidates) if isinstance(candidates, Mapping) else {c: c for c in candidates}
    if not shown:
        return ""
    plain, lowered = normalize(name), name.lower()

    def closeness(candidate: str) -> tuple[float, int, bool]:
        return (
            SequenceMatcher(None, plain, normalize(candidate)).ratio(),
            len(commonprefix([lowered, candidate.lower()])),
            candidate[:1].isupper() == name[:1].isupper(),
        )

    best = max(shown, key=closeness)
    if closeness(best)[0] >= 0.75:
        return f"; did you mean `{shown[best]}`?"
    best = max(shown, key=lambda c: (SequenceMatcher(None, name, c).ratio(), len(commonprefix([name, c]))))
    return f"; did you mean `{shown[best]}`?" if SequenceMatcher(None, name, best).ratio() >= 0.6 else ""
