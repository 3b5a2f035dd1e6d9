"""What the reference-vs-framework tests (tests/test_reference_*.py) share: the comparison at a
stated tolerance (the frameworks compute in float32, the references in float64), and the tensor
the frameworks are fed."""

from __future__ import annotations

import numpy as np

RTOL, ATOL = 1e-5, 1e-6


def close(a, b, rtol=RTOL, atol=ATOL) -> None:
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol)


def t(x, dtype=None):
    """A float32 torch tensor (or `dtype`) of the same values."""
    import torch

    return torch.tensor(np.ascontiguousarray(x), dtype=dtype or torch.float32)
