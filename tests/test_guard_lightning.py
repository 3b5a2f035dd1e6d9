"""The Lightning callback guards a LightningModule's criterion attribute, with no change to the module."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
pl = pytest.importorskip("lightning.pytorch")
from torch import nn  # noqa: E402

from lossadvisor import LossAdvisorWarning  # noqa: E402
from lossadvisor.guard.lightning import GuardCallback  # noqa: E402

pytestmark = pytest.mark.frameworks


class Classifier(pl.LightningModule):
    def __init__(self, softmax: bool):
        super().__init__()
        layers = [nn.Linear(8, 4)] + ([nn.Softmax(dim=1)] if softmax else [])
        self.net = nn.Sequential(*layers)
        self.criterion = nn.CrossEntropyLoss()

    def training_step(self, batch, batch_idx):
        x, y = batch
        return self.criterion(self.net(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _fit(softmax: bool) -> tuple[GuardCallback, Classifier, list[str]]:
    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(32, 8), torch.randint(0, 4, (32,)))
    module, callback = Classifier(softmax), GuardCallback()
    trainer = pl.Trainer(max_steps=2, logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", callbacks=[callback])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(module, torch.utils.data.DataLoader(data, batch_size=8))
    return callback, module, [w.message.code for w in caught if issubclass(w.category, LossAdvisorWarning)]


def test_the_callback_guards_the_criterion_and_reports():
    callback, module, codes = _fit(softmax=True)
    assert callback.guarded == ["criterion"]
    assert codes == ["LA101"]
    assert isinstance(module.criterion, nn.CrossEntropyLoss) and list(module.state_dict()) == ["net.0.weight", "net.0.bias"]


def test_a_correct_module_trains_silently():
    callback, _, codes = _fit(softmax=False)
    assert callback.guarded == ["criterion"] and codes == []
