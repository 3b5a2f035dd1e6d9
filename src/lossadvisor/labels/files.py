"""Label files (.npy, .npz, .csv, .tsv, .txt) → LabelFacts. Placeholder until the label issue lands."""

from __future__ import annotations

from pathlib import Path

from lossadvisor.facts import LabelFacts
from lossadvisor.readers import InputError


def label_facts(path: Path, *, display: str | None = None, key: str | None = None, column: str | int | None = None) -> LabelFacts:
    raise InputError("label files are not read yet")
