"""Keras model JSON (`model.to_json()`, `get_config()` dumps). Placeholder until the Keras reader lands."""

from __future__ import annotations


def claims(doc) -> bool:
    return False


def read(doc, source):
    return []
