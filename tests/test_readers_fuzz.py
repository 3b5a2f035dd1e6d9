"""Property-based: whatever bytes a file of each kind holds — arbitrary, or a valid input mutated —
checking it gives findings or one LA001 line, never an internal error and never a hang (hypothesis,
a bounded number of examples each, with a deadline)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossadvisor import configfile
from lossadvisor.engine import check_paths
from lossadvisor.options import UsageError

ROOT = Path(__file__).resolve().parents[1]


def _npz() -> bytes:
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, x=np.zeros((4, 2)), y=np.array([0, 1, 2, 1]))
    return buffer.getvalue()


SEEDS = {
    ".yaml": (ROOT / "examples/configs/double_softmax_pytorch.yaml").read_bytes(),
    ".json": json.dumps({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 1, "activation": "softmax"}}]}}).encode(),
    ".ipynb": (ROOT / "examples/notebooks/tagging.ipynb").read_bytes(),
    ".py": (ROOT / "examples/python/train.py").read_bytes(),
    ".csv": b"label,x\n0,1.5\n1,2.5\n2,0.1\n",
    ".npy": (ROOT / "examples/labels/y_train.npy").read_bytes()[:400],
    ".keras": (ROOT / "examples/keras/classifier.keras").read_bytes(),
}
# More valid inputs to mutate, under the suffix their reader is chosen by: a Hydra / LightningCLI
# config, a Flax model into optax, and the other label file formats.
MORE_SEEDS = {
    "hydra": (".yaml", (ROOT / "tests/fixtures/hydra/LA101_lightning_cli.yaml").read_bytes()),
    "flax": (".py", (ROOT / "tests/fixtures/python/jax/LA101_flax_linen_setup_train_state.py").read_bytes()),
    "tsv": (".tsv", b"label\tx\n0\t1.5\n1\t2.5\n2\t0.1\n"),
    "txt": (".txt", b"0\n1\n2\n1\n0\n"),
    "npz": (".npz", _npz()),
}
FUZZ = settings(max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def mutated(seed: bytes):
    """A valid input with a slice replaced, cut short, or bytes inserted."""
    return st.tuples(st.integers(0, len(seed)), st.integers(0, 64), st.binary(max_size=64)).map(
        lambda t: seed[: t[0]] + t[2] + seed[t[0] + t[1] :]
    )


def check_bytes(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        report = check_paths([str(path)])  # an internal error raises here
        for finding in report.findings:
            assert "\n" not in finding.message
            assert finding.code != "LA001" or len([f for f in report.findings if f.code == "LA001"]) == 1


def _reader_test(suffix: str, seed: bytes | None = None, name: str | None = None):
    seed = SEEDS[suffix] if seed is None else seed

    @FUZZ
    @given(st.one_of(st.binary(max_size=2048), mutated(seed)))
    def test(data: bytes) -> None:
        check_bytes(suffix, data)

    test.__name__ = f"test_{name or suffix[1:]}_reader_never_crashes"
    return test


test_yaml_reader_never_crashes = _reader_test(".yaml")
test_json_reader_never_crashes = _reader_test(".json")
test_ipynb_reader_never_crashes = _reader_test(".ipynb")
test_py_reader_never_crashes = _reader_test(".py")
test_csv_reader_never_crashes = _reader_test(".csv")
test_npy_reader_never_crashes = _reader_test(".npy")
test_keras_reader_never_crashes = _reader_test(".keras")
test_hydra_reader_never_crashes = _reader_test(*MORE_SEEDS["hydra"], "hydra")
test_flax_reader_never_crashes = _reader_test(*MORE_SEEDS["flax"], "flax")
test_tsv_reader_never_crashes = _reader_test(*MORE_SEEDS["tsv"], "tsv")
test_txt_reader_never_crashes = _reader_test(*MORE_SEEDS["txt"], "txt")
test_npz_reader_never_crashes = _reader_test(*MORE_SEEDS["npz"], "npz")


@FUZZ
@given(st.sampled_from([".py", ".yaml", ".ipynb", ".npy"]).flatmap(lambda s: st.tuples(st.just(s), st.one_of(st.binary(max_size=2048), mutated(SEEDS[s])))))
def test_standard_input_never_crashes(case) -> None:
    """`check - --stdin-filename NAME`: the same readers on bytes that come from standard input."""
    from lossadvisor.inputs import Source

    suffix, data = case
    report = check_paths([], stdin=Source(Path(f"stdin{suffix}"), f"stdin{suffix}", data, named=True))
    assert len([f for f in report.findings if f.code == "LA001"]) <= 1
    assert all("\n" not in f.message for f in report.findings)


@FUZZ
@given(st.text(max_size=400))
def test_yaml_text_never_crashes(text: str) -> None:
    check_bytes(".yaml", text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.binary(max_size=1024))
def test_configuration_file_is_read_or_refused_in_one_line(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lossadvisor.toml"
        path.write_bytes(data)
        configfile._read.clear()
        try:
            configfile.read_config(path)
        except UsageError as exc:
            assert "\n" not in str(exc).strip() or "invalid TOML" in str(exc)
