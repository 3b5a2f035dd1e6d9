"""A folder of class sub-folders (ImageFolder, `image_dataset_from_directory`): each sub-folder is a
class, each file in it (at any depth) a sample labelled with that class. The profile is that of the
class ids the loaders give (the index of the sub-folder's name in sorted order), one per file; the
class count is the number of sub-folders, empty ones included, since the loaders give every
sub-folder an index and the head needs a unit for each.

Only names are listed and counted, nothing is opened. Hidden entries ('.git', '.DS_Store') are not
classes or samples; symbolic links to folders are not followed (a link cycle would never end).
The walk is bounded: past MAX_FILES files or MAX_SECONDS (a `labels.file: /` in a config from
someone else's repository) it stops with an error rather than run for minutes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from lossadvisor.inputs import InputError
from lossadvisor.labels.profile import LabelProfile

MAX_FILES = 20_000_000  # ImageNet-21k has 14M images; counting 20M names takes about half a minute
MAX_SECONDS = 60.0


def profile_class_folders(root: Path) -> tuple[LabelProfile, tuple[str, ...]]:
    """The profile of the files' class ids, and every class (sub-folder) name, sorted as the
    loaders sort them to give class indices."""
    try:
        with os.scandir(root) as entries:
            classes = sorted(e.name for e in entries if not e.name.startswith(".") and e.is_dir(follow_symlinks=True))
    except OSError as exc:
        raise InputError(f"cannot read the folder: {exc.strerror or exc}") from None
    if not classes:
        raise InputError("no class sub-folders: `lossadvisor labels DIR` reads a folder whose sub-folders are the classes (DIR/cat/…, DIR/dog/…)")
    budget = [MAX_FILES]
    deadline = time.monotonic() + MAX_SECONDS
    files = {name: _count_files(root / name, budget, deadline) for name in classes}
    present = [i for i, name in enumerate(classes) if files[name]]
    total = sum(files.values())
    if total == 0:
        raise InputError(f"the {len(classes)} class sub-folders ({_few(classes)}) hold no files")
    values = np.array(present, dtype=np.int64)
    counts = np.array([files[classes[i]] for i in present], dtype=np.int64)
    profile = LabelProfile(dtype="int64", shape=(total,), minimum=present[0], maximum=present[-1], values=values, counts=counts)
    return profile, tuple(classes)


def _count_files(folder: Path, budget: list[int], deadline: float) -> int:
    """Files under `folder`; `budget[0]` is how many more may be counted in all, until `deadline`."""
    count, pending = 0, [folder]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
                    elif entry.is_file():
                        count += 1
        except OSError as exc:
            raise InputError(f"cannot read {folder.name}/: {exc.strerror or exc}") from None
        if count > budget[0]:
            raise InputError(f"more than {MAX_FILES:,} files in the class folders: too many to count")
        if time.monotonic() > deadline:
            raise InputError(f"counting the files of the class folders took over {MAX_SECONDS:g} s: is this a folder of class sub-folders?")
    budget[0] -= count
    return count


def _few(names: list[str], shown: int = 5) -> str:
    return ", ".join(names[:shown]) + (", …" if len(names) > shown else "")
