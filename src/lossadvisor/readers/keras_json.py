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
        return {"class_name": _container("outputs" if "output_layers" in data else "layers"), "config": data}
    return None


def _container(holds: str) -> str:
    """The Keras model class that holds a graph (`outputs`) or a layer list (`layers`)."""
    from lossadvisor import knowledge

    kinds = [k for fw in knowledge.load().vocabulary.frameworks.values() for k in fw.layers.values() if k.role == "contains"]
    return next(k.name for k in kinds if getattr(k, holds) is not None and k.layers != "*")


MARKER = r'"class_name"[ \t]*:'  # in text that does not parse: document.MARKER


def claims(doc: Document) -> bool:
    return looks_like_model(_config_dump(doc.data) or doc.data)


def read(doc: Document, source: Source) -> list[TrainingSetup]:
    if (wrapped := _config_dump(doc.data)) is not None:
        # Every key of the wrapped model starts with our "config": drop it to find the document's key.
        return setups(SavedModel(wrapped), source.display, lambda *keys: doc.at(*keys[1:]))
    return setups(from_config(doc.data), source.display, doc.at)
