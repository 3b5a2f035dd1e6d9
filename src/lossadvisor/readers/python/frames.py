"""Where the interpreter keeps names: one `Frame` per module, function run or comprehension, and
the `Origin` of the code it runs (the checked file or a project module it imports)."""

from __future__ import annotations

from pathlib import Path

from lossadvisor.readers.python.values import Value


class Origin:
    """Where code comes from: the checked file (label None) or a project module (its file name,
    shown in messages: "softmax (line 15 in `Net.forward`, model.py)")."""

    __slots__ = ("path", "locate", "label", "base_dir")

    def __init__(self, path: str, locate, label: str | None, base_dir: Path | None):
        self.path, self.locate, self.label, self.base_dir = path, locate, label, base_dir


class Frame:
    """Local variables of one module, function run or comprehension; reads fall back to the parent."""

    __slots__ = ("vars", "parent", "qualname", "returns", "generator", "forward", "origin")

    def __init__(self, parent: Frame | None, qualname: str | None, origin: Origin | None = None):
        self.vars: dict[str, Value] = {}
        self.parent = parent
        self.qualname = qualname
        self.origin = origin or (parent.origin if parent is not None else None)  # None: the checked file
        self.returns: list[Value] = []
        self.generator = False  # a `yield` ran: calling the function returns a generator
        self.forward = False  # a model's forward / call: what it returns is the prediction

    def lookup(self, name: str) -> Value | None:
        frame: Frame | None = self
        while frame is not None:
            if name in frame.vars:
                return frame.vars[name]
            frame = frame.parent
        return None

    @property
    def context(self) -> str | None:
        """'in `Net.forward`', and the module's file when it is not the checked file."""
        label = self.origin.label if self.origin is not None else None
        if self.qualname:
            return f"in `{self.qualname}`, {label}" if label else f"in `{self.qualname}`"
        return f"in {label}" if label else None
