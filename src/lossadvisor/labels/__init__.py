"""Sample labels, the library: stream label arrays in bounded memory, profile them, and say what
they are.

    profile.py   LabelProfile: mergeable statistics (`profile(array)`, `.merge`, `profile_batches`)
    arrays.py    .npy / .npz, read chunk by chunk (never `np.load` of the whole array, never unpickled)
    tables.py    one column of a .csv / .tsv / .txt, streamed row by row
    infer.py     a profile → label format, classes, ignore values, the problem types they fit

Each other job lives with its kind: the label-file reader is `readers/label_file.py`, the losses
that fit a reading are `recommend.losses_for`, the `labels` command's output is `render/labels.py`.

The public entry points are `lossadvisor.profile(array)` and `lossadvisor.profile_batches(iterable)`
(also importable from here). Nothing here is imported by `import lossadvisor`: numpy loads only
when labels are read.
"""

from __future__ import annotations

__all__ = ["profile_batches", "LabelProfile"]  # `profile` is the submodule's name here


def __getattr__(name: str):
    if name in __all__:
        from lossadvisor.labels import profile as module

        return getattr(module, name)
    raise AttributeError(name)
