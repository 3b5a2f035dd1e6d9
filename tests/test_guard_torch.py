"""The first-batch guard on real PyTorch losses: every check fires on its mistake, stays silent on the
correct setups around it (the precision matrix), and never changes the loss or its gradient."""
# lossadvisor: noqa: LA101 -- the double softmaxes here are planted for the guard to find

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

import lossadvisor  # noqa: E402
from lossadvisor import LossAdvisorError, LossAdvisorWarning  # noqa: E402

pytestmark = pytest.mark.frameworks

N, C = 16, 5


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def fresh_logits(n: int = N, c: int = C, *shape: int, seed: int = 0) -> torch.Tensor:
    """What a freshly initialised linear head outputs: small logits, with a gradient."""
    torch.manual_seed(seed)
    head = nn.Linear(8, c)
    x = torch.randn(n, *shape, 8, generator=_gen(seed))
    out = head(x)
    return out.movedim(-1, 1) if shape else out


def ids(n: int = N, c: int = C, *shape: int, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, c, (n, *shape), generator=_gen(seed))


def codes(loss, *args) -> list[str]:
    """The rule codes the guarded `loss` reports on one call (the call itself may then raise, as the
    framework would without the guard)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            loss(*args)
        except (RuntimeError, ValueError, IndexError):
            pass
    return [w.message.code or "step-aside" for w in caught if issubclass(w.category, LossAdvisorWarning)]


def g(loss):
    return lossadvisor.guard(loss)


# --------------------------------------------------------------------------- each check fires

FIRING = {
    "LA101 softmax into CrossEntropyLoss": ("LA101", lambda: (g(nn.CrossEntropyLoss()), fresh_logits().softmax(1), ids())),
    "LA101 softmax into F.cross_entropy": ("LA101", lambda: (g(F.cross_entropy), fresh_logits().softmax(dim=1), ids())),
    "LA101 softmax over masks (N,C,H,W)": ("LA101", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(2, 4, 6, 6).softmax(1), ids(2, 4, 6, 6))),
    "LA101 sigmoid into BCEWithLogitsLoss": ("LA101", lambda: (g(nn.BCEWithLogitsLoss()), torch.sigmoid(fresh_logits(N, 1)), torch.ones(N, 1))),
    "LA101 sigmoid output (values) into BCEWithLogitsLoss": (
        "LA101", lambda: (g(nn.BCEWithLogitsLoss()), torch.sigmoid(torch.linspace(-6, 6, 64)), torch.ones(64))
    ),
    "LA102 logits into BCELoss": ("LA102", lambda: (g(nn.BCELoss()), fresh_logits(N, 1), torch.ones(N, 1))),
    "LA103 logits into NLLLoss": ("LA103", lambda: (g(nn.NLLLoss()), fresh_logits(), ids())),
    "LA103 softmax into F.nll_loss": ("LA103", lambda: (g(F.nll_loss), fresh_logits().softmax(1), ids())),
    "LA103 softmax into KLDivLoss": (
        "LA103", lambda: (g(nn.KLDivLoss(reduction="batchmean")), fresh_logits().softmax(1), torch.full((N, C), 1 / C))
    ),
    "LA108 log-probabilities as KLDivLoss target": (
        "LA108", lambda: (g(nn.KLDivLoss(reduction="batchmean")), fresh_logits().log_softmax(1), fresh_logits(seed=3).log_softmax(1))
    ),
    "LA108 probabilities with log_target=True": (
        "LA108", lambda: (g(nn.KLDivLoss(reduction="batchmean", log_target=True)), fresh_logits().log_softmax(1), fresh_logits(seed=3).softmax(1))
    ),
    "LA108 teacher logits as KL target": (
        "LA108", lambda: (g(F.kl_div), fresh_logits().log_softmax(1), fresh_logits(seed=3) * 5, None, None, None, "batchmean")
    ),
    "LA110 softmax over the batch": ("LA110", lambda: (g(nn.CrossEntropyLoss()), fresh_logits().softmax(0), ids())),
    "LA110 log_softmax over the batch into NLLLoss": ("LA110", lambda: (g(nn.NLLLoss()), fresh_logits().log_softmax(0), ids())),
    "LA110 log_softmax over CTCLoss's batch (T,N,C)": (
        "LA110", lambda: (g(nn.CTCLoss()), fresh_logits(20, 6, 4).movedim(1, -1).log_softmax(1), torch.randint(1, 6, (4, 5)), torch.full((4,), 20), torch.full((4,), 5))
    ),
    "LA205 (N,1) against (N,) into MSELoss": ("LA205", lambda: (g(nn.MSELoss()), fresh_logits(N, 1), torch.randn(N))),
    "LA205 (N,1) against (N,) into PoissonNLLLoss": ("LA205", lambda: (g(nn.PoissonNLLLoss()), fresh_logits(N, 1), torch.ones(N))),
    "LA205 (N,) against (N,1) into BCEWithLogitsLoss": ("LA205", lambda: (g(nn.BCEWithLogitsLoss()), fresh_logits(N, 1)[:, 0], torch.ones(N, 1))),
    "LA206 channels-last scores": ("LA206", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(2, 4, 6, 7).movedim(1, -1), ids(2, 4, 6, 7))),
    "LA206 (N,T,C) sequence scores": ("LA206", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(4, 7, 9).movedim(1, -1), ids(4, 7, 9))),
    "LA207 (N,1) class ids": ("LA207", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(), ids().unsqueeze(1))),
    "LA207 (N,1,H,W) masks": ("LA207", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(2, 4, 6, 6), ids(2, 4, 6, 6).unsqueeze(1))),
    "LA301 class ids into BCEWithLogitsLoss": ("LA301", lambda: (g(nn.BCEWithLogitsLoss()), fresh_logits(N, 1)[:, 0], ids().float())),
    "LA303 one-hot into NLLLoss": ("LA303", lambda: (g(nn.NLLLoss()), fresh_logits().log_softmax(1), F.one_hot(ids(), C))),
    "LA304 multi-hot into CrossEntropyLoss": (
        "LA304", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(), (F.one_hot(ids(), C) + F.one_hot(ids(seed=2), C)).clamp(max=1).float())
    ),
    "LA305 real targets into BCEWithLogitsLoss": ("LA305", lambda: (g(nn.BCEWithLogitsLoss()), fresh_logits(N, 1), torch.rand(N, 1) * 30)),
    "LA307 ±1 into BCEWithLogitsLoss": ("LA307", lambda: (g(nn.BCEWithLogitsLoss()), fresh_logits(N, 1), torch.randint(0, 2, (N, 1)).float() * 2 - 1)),
    "LA310 1-based ids": ("LA310", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(), torch.arange(N) % C + 1)),
    "LA310 ids beyond the classes": ("LA310", lambda: (g(F.cross_entropy), fresh_logits(N, 3), ids(N, 7))),
    "LA311 255 without ignore_index": ("LA311", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(2, 4, 6, 6), torch.where(ids(2, 4, 6, 6) == 0, 255, ids(2, 4, 6, 6)))),
    "LA311 -1 padding without ignore_index": ("LA311", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(), torch.where(ids() == 0, -1, ids()))),
    "LA313 NaN targets": ("LA313", lambda: (g(nn.MSELoss()), fresh_logits(N, 1), torch.where(torch.arange(N).view(N, 1) == 3, float("nan"), 1.0))),
    "LA315 float class ids into CrossEntropyLoss": ("LA315", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(), ids().float())),
    "LA315 int32 class ids into CrossEntropyLoss": ("LA315", lambda: (g(nn.CrossEntropyLoss()), fresh_logits(), ids().int())),
    "LA315 integer 0/1 targets into BCEWithLogitsLoss": ("LA315", lambda: (g(nn.BCEWithLogitsLoss()), fresh_logits(N, 1)[:, 0], torch.randint(0, 2, (N,)))),
    "LA502 KLDivLoss mean": ("LA502", lambda: (g(nn.KLDivLoss()), fresh_logits().log_softmax(1), fresh_logits(seed=3).softmax(1))),
}


@pytest.mark.parametrize("case", FIRING, ids=str)
def test_each_check_fires_on_its_mistake(case):
    code, make = FIRING[case]
    loss, *args = make()
    assert codes(loss, *args) == [code]


@pytest.mark.parametrize("case", ["LA101 softmax into CrossEntropyLoss", "LA310 1-based ids", "LA205 (N,1) against (N,) into MSELoss"])
def test_on_raise_raises_before_the_loss_runs(case):
    code, make = FIRING[case]
    guarded, *args = make()
    loss = lossadvisor.guard(type(guarded)(), on="raise") if isinstance(guarded, nn.Module) else lossadvisor.guard(guarded.__wrapped__, on="raise")
    with pytest.raises(LossAdvisorError) as raised:
        loss(*args)
    assert raised.value.codes == [code] and str(raised.value).startswith(code)


# --------------------------------------------------------------------------- silence on correct setups


def _segmentation_with_void(ignore: int):
    masks = ids(2, 4, 6, 6)
    return torch.where(torch.rand(2, 6, 6, generator=_gen(5)) > 0.8, ignore, masks)


SILENT = {
    "CrossEntropyLoss, fresh logits": lambda: (nn.CrossEntropyLoss(), fresh_logits(), ids()),
    "CrossEntropyLoss, tiny logits": lambda: (nn.CrossEntropyLoss(), fresh_logits() * 1e-3, ids()),
    "CrossEntropyLoss, logits all in [0, 1]": lambda: (nn.CrossEntropyLoss(), torch.rand(N, C, generator=_gen(4)), ids()),
    "CrossEntropyLoss, two classes": lambda: (nn.CrossEntropyLoss(), fresh_logits(N, 2), ids(N, 2)),
    "CrossEntropyLoss, label smoothing": lambda: (nn.CrossEntropyLoss(label_smoothing=0.1), fresh_logits(), ids()),
    "CrossEntropyLoss, soft labels": lambda: (nn.CrossEntropyLoss(), fresh_logits(), torch.randn(N, C, generator=_gen(6)).softmax(1)),
    "CrossEntropyLoss, float one-hot": lambda: (nn.CrossEntropyLoss(), fresh_logits(), F.one_hot(ids(), C).float()),
    "CrossEntropyLoss, mixup targets": lambda: (nn.CrossEntropyLoss(), fresh_logits(), 0.7 * F.one_hot(ids(), C).float() + 0.3 * F.one_hot(ids(seed=2), C).float()),
    "CrossEntropyLoss, ignore_index -100 present": lambda: (nn.CrossEntropyLoss(), fresh_logits(), torch.where(ids() == 0, -100, ids())),
    "CrossEntropyLoss, class weights": lambda: (nn.CrossEntropyLoss(weight=torch.ones(C)), fresh_logits(), ids()),
    "CrossEntropyLoss, uint8 ids": lambda: (nn.CrossEntropyLoss(), fresh_logits(), ids().to(torch.uint8)),
    "CrossEntropyLoss, segmentation (N,C,H,W)": lambda: (nn.CrossEntropyLoss(), fresh_logits(2, 4, 6, 6), ids(2, 4, 6, 6)),
    "CrossEntropyLoss, segmentation with ignore_index=255": lambda: (nn.CrossEntropyLoss(ignore_index=255), fresh_logits(2, 4, 6, 6), _segmentation_with_void(255)),
    "CrossEntropyLoss, square masks H = W = C": lambda: (nn.CrossEntropyLoss(), fresh_logits(2, 6, 6, 6), ids(2, 6, 6, 6)),
    "CrossEntropyLoss, sequence (N,C,T)": lambda: (nn.CrossEntropyLoss(), fresh_logits(4, 9, 7), ids(4, 9, 7)),
    "CrossEntropyLoss, one sample": lambda: (nn.CrossEntropyLoss(), fresh_logits(1, C), ids(1)),
    "CrossEntropyLoss, log_softmax input (same loss)": lambda: (nn.CrossEntropyLoss(), fresh_logits().log_softmax(1), ids()),
    "CrossEntropyLoss, an unbatched sample (C,)": lambda: (nn.CrossEntropyLoss(), fresh_logits(1, C)[0], ids(1)[0]),
    "F.cross_entropy, ignore_index=-1 passed": lambda: (F.cross_entropy, fresh_logits(), torch.where(ids() == 0, -1, ids()), None, None, -1),
    "F.cross_entropy, soft labels": lambda: (F.cross_entropy, fresh_logits(), torch.randn(N, C, generator=_gen(6)).softmax(1)),
    "NLLLoss, log_softmax": lambda: (nn.NLLLoss(), fresh_logits().log_softmax(1), ids()),
    "NLLLoss, log_softmax over time (N,C,T)": lambda: (nn.NLLLoss(), fresh_logits(4, 9, 7).log_softmax(1), ids(4, 9, 7)),
    "NLLLoss, confident log_softmax": lambda: (nn.NLLLoss(), (fresh_logits() * 50).log_softmax(1), ids()),
    "F.nll_loss, log_softmax": lambda: (F.nll_loss, F.log_softmax(fresh_logits(), dim=1), ids()),
    "BCEWithLogitsLoss, fresh logits": lambda: (nn.BCEWithLogitsLoss(), fresh_logits(N, 1), torch.randint(0, 2, (N, 1), generator=_gen(7)).float()),
    "BCEWithLogitsLoss, logits all in (0, 1) (prior bias)": lambda: (nn.BCEWithLogitsLoss(), 0.4 + 0.01 * torch.randn(64, 1, generator=_gen(8)), torch.ones(64, 1)),
    "BCEWithLogitsLoss, few logits spanning (0, 1)": lambda: (nn.BCEWithLogitsLoss(), torch.tensor([0.01, 0.5, 0.99]), torch.tensor([0.0, 1.0, 1.0])),
    "BCEWithLogitsLoss, pos_weight": lambda: (nn.BCEWithLogitsLoss(pos_weight=torch.full((C,), 3.0)), fresh_logits(), F.one_hot(ids(), C).float()),
    "BCEWithLogitsLoss, multi-hot": lambda: (nn.BCEWithLogitsLoss(), fresh_logits(), (F.one_hot(ids(), C) + F.one_hot(ids(seed=2), C)).clamp(max=1).float()),
    "BCEWithLogitsLoss, soft targets": lambda: (nn.BCEWithLogitsLoss(), fresh_logits(), torch.rand(N, C, generator=_gen(9))),
    "BCEWithLogitsLoss, smoothed targets": lambda: (nn.BCEWithLogitsLoss(), fresh_logits(N, 1), torch.randint(0, 2, (N, 1), generator=_gen(7)).float() * 0.9 + 0.05),
    "BCEWithLogitsLoss, binary masks": lambda: (nn.BCEWithLogitsLoss(), fresh_logits(2, 1, 6, 6), torch.randint(0, 2, (2, 1, 6, 6), generator=_gen(7)).float()),
    "BCELoss, sigmoid": lambda: (nn.BCELoss(), torch.sigmoid(fresh_logits(N, 1)), torch.ones(N, 1)),
    "F.binary_cross_entropy_with_logits": lambda: (F.binary_cross_entropy_with_logits, fresh_logits(N, 1)[:, 0], torch.ones(N)),
    "MSELoss, same shapes": lambda: (nn.MSELoss(), fresh_logits(N, 1), torch.randn(N, 1)),
    "MSELoss, scalar target": lambda: (nn.MSELoss(), fresh_logits(N, 1), torch.zeros(N, 1)),
    "L1Loss, sigmoid output against 0/1 (Brier-like)": lambda: (nn.L1Loss(), torch.sigmoid(fresh_logits(N, 1)), torch.ones(N, 1)),
    "PoissonNLLLoss, log-rate": lambda: (nn.PoissonNLLLoss(), fresh_logits(N, 1), torch.randint(0, 5, (N, 1), generator=_gen(7)).float()),
    "HuberLoss": lambda: (nn.HuberLoss(), fresh_logits(N, 3), torch.randn(N, 3)),
    "KLDivLoss, batchmean, probabilities target": lambda: (nn.KLDivLoss(reduction="batchmean"), fresh_logits().log_softmax(1), fresh_logits(seed=3).softmax(1)),
    "KLDivLoss, batchmean, one-hot target": lambda: (nn.KLDivLoss(reduction="batchmean"), fresh_logits().log_softmax(1), F.one_hot(ids(), C).float()),
    "KLDivLoss, log_target=True": lambda: (nn.KLDivLoss(reduction="batchmean", log_target=True), fresh_logits().log_softmax(1), fresh_logits(seed=3).log_softmax(1)),
    "KLDivLoss, log_target=True, one-hot in log space": lambda: (
        nn.KLDivLoss(reduction="batchmean", log_target=True), fresh_logits().log_softmax(1), F.one_hot(ids(), C).float().log()
    ),
    "CTCLoss, (T,N,C) log_softmax": lambda: (
        nn.CTCLoss(), fresh_logits(20, 6, 4).movedim(1, -1).log_softmax(2), torch.randint(1, 6, (4, 5), generator=_gen(7)), torch.full((4,), 20), torch.full((4,), 5)
    ),
    "F.ctc_loss, concatenated targets": lambda: (
        F.ctc_loss, fresh_logits(20, 6, 4).movedim(1, -1).log_softmax(2), torch.randint(1, 6, (20,), generator=_gen(7)), torch.full((4,), 20), torch.full((4,), 5)
    ),
    "CosineEmbeddingLoss (target third)": lambda: (nn.CosineEmbeddingLoss(), torch.randn(N, 8), torch.randn(N, 8), torch.randint(0, 2, (N,)) * 2 - 1),
    "MultiLabelSoftMarginLoss": lambda: (nn.MultiLabelSoftMarginLoss(), fresh_logits(), F.one_hot(ids(), C).float()),
    "CrossEntropyLoss under CPU autocast (bfloat16 logits)": lambda: (nn.CrossEntropyLoss(), fresh_logits().bfloat16(), ids()),
    "CrossEntropyLoss, float16 logits": lambda: (nn.CrossEntropyLoss(), fresh_logits().half(), ids()),
}


@pytest.mark.parametrize("case", SILENT, ids=str)
def test_correct_setups_are_silent(case):
    loss, *args = SILENT[case]()
    guarded = lossadvisor.guard(loss)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LossAdvisorWarning)
        guarded(*args)


def test_a_real_model_at_initialisation_is_silent_for_every_seed():
    """Fresh models put out small logits; none of 50 initialisations may read as probabilities."""
    for seed in range(50):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))
        x, y = torch.randn(4, 20), torch.randint(0, 3, (4,))
        for loss, target in ((nn.CrossEntropyLoss(), y), (nn.BCEWithLogitsLoss(), F.one_hot(y, 3).float())):
            with warnings.catch_warnings():
                warnings.simplefilter("error", LossAdvisorWarning)
                lossadvisor.guard(loss)(model(x), target)


# --------------------------------------------------------------------------- unchanged loss, then out of the way


def _loss_and_grad(loss, logits_source: torch.Tensor, target: torch.Tensor):
    logits = logits_source.clone().requires_grad_(True)
    value = loss(logits, target)
    value.backward()
    return value.detach(), logits.grad


@pytest.mark.parametrize("make", [nn.CrossEntropyLoss, lambda: F.cross_entropy, lambda: nn.CrossEntropyLoss(label_smoothing=0.1)], ids=["module", "function", "smoothing"])
def test_value_and_gradient_are_bit_identical(make):
    plain, guarded = make(), lossadvisor.guard(make())
    for call in range(6):  # the inspected calls and the pass-through after them
        logits, target = torch.randn(N, C, generator=_gen(call)).softmax(1), ids(seed=call)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LossAdvisorWarning)
            got = _loss_and_grad(guarded, logits, target)
        want = _loss_and_grad(plain, logits, target)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_a_guarded_module_is_the_same_module_and_steps_out_after_its_batches():
    loss = nn.CrossEntropyLoss(weight=torch.ones(C))
    before = {k: v.clone() for k, v in loss.state_dict().items()}
    guarded = lossadvisor.guard(loss, batches=2)
    assert guarded is loss and len(loss._forward_pre_hooks) == 1
    reported = codes(loss, fresh_logits().softmax(1), ids()) + codes(loss, fresh_logits().softmax(1), ids())
    assert reported == ["LA101"]  # once per finding
    assert not loss._forward_pre_hooks and not loss._forward_pre_hooks_with_kwargs  # PyTorch's hook-free path again
    assert codes(loss, fresh_logits().softmax(1), ids(N, 9)) == []  # no longer inspected
    assert loss.state_dict().keys() == before.keys() and all(torch.equal(loss.state_dict()[k], v) for k, v in before.items())


def test_a_guarded_model_can_be_deep_copied_and_pickled():
    """EMA copies and torch.save of a whole model take the criterion along, hook and all."""
    import copy
    import pickle

    model = nn.Module()
    model.criterion = lossadvisor.guard(nn.CrossEntropyLoss())
    for clone in (copy.deepcopy(model), torch.load(_saved(model), weights_only=False), pickle.loads(pickle.dumps(model))):
        assert codes(clone.criterion, fresh_logits().softmax(1), ids()) == ["LA101"]
    assert codes(model.criterion, fresh_logits().softmax(1), ids()) == ["LA101"]  # each copy has its own watch


def _saved(model):
    import io

    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    return buffer


def test_batches_sets_how_many_calls_are_inspected():
    loss = lossadvisor.guard(F.cross_entropy, batches=1)
    assert codes(loss, fresh_logits(), ids()) == []
    assert codes(loss, fresh_logits().softmax(1), ids()) == []


def test_what_it_does_not_understand_makes_it_step_aside_once():
    loss = lossadvisor.guard(nn.CrossEntropyLoss())
    with pytest.warns(LossAdvisorWarning, match="stepped aside: CrossEntropyLoss: TypeError: its prediction is a tuple"):
        with pytest.raises(TypeError):  # the loss itself refuses the tuple, as without the guard
            loss((fresh_logits(),), ids())
    assert codes(loss, fresh_logits().softmax(1), ids()) == []  # out of the way from then on


def test_an_unknown_loss_comes_back_unchanged_with_one_note():
    class MyLoss(nn.Module):
        def forward(self, a, b):
            return (a - b).abs().mean()

    mine = MyLoss()
    with pytest.warns(LossAdvisorWarning, match="stepped aside: MyLoss is not a loss lossadvisor knows"):
        assert lossadvisor.guard(mine) is mine
    assert not mine._forward_pre_hooks


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="on='loud'"):
        lossadvisor.guard(nn.MSELoss(), on="loud")
    with pytest.raises(ValueError, match="batches=-1"):
        lossadvisor.guard(nn.MSELoss(), batches=-1)


def test_the_warning_points_at_the_users_line():
    loss = lossadvisor.guard(nn.CrossEntropyLoss())
    with pytest.warns(LossAdvisorWarning) as caught:
        loss(fresh_logits().softmax(1), ids())  # this line
    assert caught[0].filename == __file__


def test_inside_torch_compile_it_stays_out_of_the_graph():
    """Compiled code (even fullgraph) runs the plain loss; the eager calls are inspected."""
    torch._dynamo.reset()
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    criterion = lossadvisor.guard(nn.CrossEntropyLoss())
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))

    def step(x, y):
        return criterion(model(x), y)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for backend in ("eager", "aot_eager"):
            compiled = torch.compile(step, backend=backend, fullgraph=True)
            assert torch.equal(compiled(x, y), nn.CrossEntropyLoss()(model(x), y))
    assert not [w for w in caught if issubclass(w.category, LossAdvisorWarning)]
    compiled_model = torch.compile(model, backend="aot_eager")  # the usual layout: the model compiled, the loss eager
    assert codes(criterion, compiled_model(x), y) == ["LA101"]


def test_import_lossadvisor_imports_no_framework():
    code = "import sys, lossadvisor; lossadvisor.LossAdvisorWarning; print(sorted(m for m in ('torch', 'keras', 'jax', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_readme_example_prints_what_the_readme_shows(tmp_path):
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Guard a training loop\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    shown = section.split("```console\n$ python train.py\n", 1)[1].split("```", 1)[0].splitlines()
    (tmp_path / "train.py").write_text(code, encoding="utf-8")
    out = subprocess.run([sys.executable, "train.py"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    got = (out.stderr + out.stdout).replace(str(tmp_path / "train.py"), "/tmp/demo/train.py").splitlines()
    assert got == shown


def test_under_cpu_autocast_it_judges_bfloat16_outputs():
    torch.manual_seed(0)
    head, x, y = nn.Linear(8, C), torch.randn(N, 8), ids()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = head(x)
        assert logits.dtype == torch.bfloat16
        assert codes(lossadvisor.guard(nn.CrossEntropyLoss()), logits, y) == []
        assert codes(lossadvisor.guard(nn.CrossEntropyLoss()), logits.softmax(1).bfloat16(), y) == ["LA101"]
        assert codes(lossadvisor.guard(nn.NLLLoss()), logits.log_softmax(1).bfloat16(), y) == []
