"""Readers turn one kind of input into `TrainingSetup`s. They never judge: an unknown name is
recorded as written, and a file that cannot be read raises `InputError` (one clear line)."""

from __future__ import annotations

from lossadvisor.inputs import MAX_DOCUMENT_BYTES, InputError, NewerSyntax, NothingToCheck, PartlyRead, Source

__all__ = ["MAX_DOCUMENT_BYTES", "InputError", "NewerSyntax", "NothingToCheck", "PartlyRead", "Source"]
