"""Keras model JSON: `model.to_json()` (Keras 3, tf.keras 2.x), a `.keras` archive's `config.json`
saved on its own, and `model.get_config()` dumps (the layer list without the model wrapper).

The model is read by keras_model, with positions from the document: a finding points at the line
(and, in one-line `to_json()` output, the column) of the layer's `activation` or of the loss. A model
saved without a loss (tf.keras `to_json()` never has one) is still checked for what needs no loss,
and `lossadvisor check --loss NAME` supplies one.
"""

from __future__ import annotations

from typing import Any

from lossadvisor.facts import TrainingSetup
from lossadvisor.readers import Source
from lossadvisor.readers.document import Document
from lossadvisor.readers.keras_model import SavedModel, from_config, looks_like_model, setups


def _config_dump(data: Any) -> dict[str, Any] | None:
    """A `get_config()` dump as a serialized model: it lacks the {class_name, config} wrapper."""
    if isinstance(data, dict) and "class_name" not in data and isinstance(data.get("layers"), list):
        return {"class_name": "Functional" if "output_layers" in data else "Sequential", "config": data}
    return None


def claims(doc: Document) -> bool:
    return looks_like_model(_config_dump(doc.data) or doc.data)


def read(doc: Document, source: Source) -> list[TrainingSetup]:
    if (wrapped := _config_dump(doc.data)) is not None:
        # Every key of the wrapped model starts with our "config": drop it to find the document's key.
        return setups(SavedModel(wrapped), source.display, lambda *keys: doc.at(*keys[1:]))
    return setups(from_config(doc.data), source.display, doc.at)
