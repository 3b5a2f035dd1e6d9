"""Reference implementations: sequence losses (see lossadvisor/reference/crossentropy.py for the conventions)."""

from __future__ import annotations
