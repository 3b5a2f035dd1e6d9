"""Regenerate the binary examples: `python examples/make_examples.py` (needs numpy; the .keras
example additionally needs keras with KERAS_BACKEND=torch, and is copied from the test fixtures
made by tests/fixtures/keras/_make_fixtures.py)."""

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent

# 500 digit-like labels: integer class ids 0..9, a little imbalanced.
rng = np.random.default_rng(7)
y = rng.choice(10, size=500, p=[0.16, 0.12, 0.1, 0.1, 0.1, 0.1, 0.08, 0.08, 0.08, 0.08]).astype(np.int64)
np.save(HERE / "labels" / "y_train.npy", y)
