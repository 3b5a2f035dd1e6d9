"""A Lightning callback that guards a LightningModule's loss modules, with no change to the module.

    from lossadvisor.guard.lightning import GuardCallback
    trainer = Trainer(callbacks=[GuardCallback()])

On fit start, every attribute of the module that is a PyTorch loss module lossadvisor knows
(`self.criterion = nn.CrossEntropyLoss()`, also inside an nn.ModuleDict / ModuleList) is guarded
in place: same object, same state_dict, so checkpoints are unchanged. A loss called as a function
inside `training_step` (F.cross_entropy) is not an attribute and is not seen: wrap it with
lossadvisor.guard in the code instead.
"""

from __future__ import annotations

from typing import Any

import torch

try:
    from lightning.pytorch import Callback
except ImportError:  # the older package name
    from pytorch_lightning import Callback

from lossadvisor.guard import guard
from lossadvisor.guard import spec as specs


class GuardCallback(Callback):
    def __init__(self, batches: int = 3, on: str = "warn") -> None:
        self.batches, self.on = batches, on
        self.guarded: list[str] = []  # the attribute paths guarded, for the user and the tests

    def on_fit_start(self, trainer: Any, pl_module: torch.nn.Module) -> None:
        for path, child in pl_module.named_modules():
            if path and _known_loss(child):
                guard(child, batches=self.batches, on=self.on)
                self.guarded.append(path)


def _known_loss(module: torch.nn.Module) -> bool:
    framework = specs.framework_of(f"{type(module).__module__}.{type(module).__qualname__}")
    return framework is not None and specs.family_of(framework) == "pytorch" and specs.find(type(module).__name__, framework, {}) is not None
