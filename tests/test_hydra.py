"""Hydra / OmegaConf / LightningCLI configs.

The findings of each fixture are its `# expect:` comments (tests/test_fixtures.py). These tests
cover what comments cannot: which documents the reader claims, how heads and losses are paired,
which targets are losses at all, and the command line on a real `conf/` tree.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from lossadvisor.readers import Source
from lossadvisor.readers import document, hydra

HYDRA = FIXTURES / "hydra"


def parse(text: str, name: str = "conf.yaml") -> document.Document:
    [doc] = document.parse(Source(Path(name), name, textwrap.dedent(text).encode()))
    return doc


def setups(text: str):
    doc = parse(text)
    assert hydra.claims(doc)
    return hydra.read(doc, doc.source)


@pytest.mark.parametrize(
    "text",
    [
        "name: CI\non: [push]\njobs: {test: {runs-on: ubuntu-latest}}\n",
        "services:\n  model:\n    image: pytorch/pytorch\n",
        "defaults:\n  - model: mlp\n  - _self_\nseed: 0\n",
        "model:\n  output: {units: 10, activation: softmax}\nloss: {name: CrossEntropyLoss}\n",  # native config
    ],
    ids=["workflow", "compose", "defaults-only", "native-config"],
)
def test_documents_without_targets_are_not_claimed(text):
    assert not hydra.claims(parse(text))


def test_the_native_config_reader_still_reads_native_configs():
    doc = parse("framework: pytorch\nmodel:\n  output: {units: 10, activation: softmax}\nloss: {name: CrossEntropyLoss}\n")
    [setup] = document.read(doc.source)
    assert setup.loss.id == "cross_entropy" and setup.head.activation.value == "softmax"


def test_one_head_and_one_loss_are_paired_with_their_lines():
    [setup] = setups(
        """\
        model:
          _target_: torch.nn.Sequential
          _args_:
            - {_target_: torch.nn.Linear, in_features: 8, out_features: 3}
            - {_target_: torch.nn.Tanh}
            - {_target_: torch.nn.Dropout, p: 0.2}
            - _target_: torch.nn.Softmax
              dim: -1
        criterion:
          _target_: torch.nn.CrossEntropyLoss
          ignore_index: 255
        """
    )
    # The activation nearest the end is the head; the units come from the Linear behind the Dropout.
    assert setup.framework == "pytorch"
    assert (setup.head.activation.value, setup.head.activation.at.line, setup.head.units.value, setup.head.units.at.line) == ("softmax", 7, 3, 4)
    assert (setup.loss.id, setup.loss.written.at.line, setup.loss.args["ignore_index"].value) == ("cross_entropy", 10, 255)


def test_a_net_nested_in_a_net_is_one_head():
    [setup] = setups(
        """        model:
          _target_: torch.nn.Sequential
          _args_:
            - {_target_: torch.nn.Linear, in_features: 8, out_features: 16}
            - _target_: torch.nn.Sequential
              _args_:
                - {_target_: torch.nn.Linear, in_features: 16, out_features: 4}
                - {_target_: torch.nn.LogSoftmax, dim: -1}
        criterion: {_target_: torch.nn.NLLLoss}
        """
    )
    assert (setup.head.activation.value, setup.head.units.value, setup.loss.id) == ("log_softmax", 4, "nll")


def test_two_losses_are_not_paired_with_the_one_head():
    found = hydra.read(*_doc_and_source(HYDRA / "ok_two_losses_one_head.yaml"))
    assert sorted((s.head is not None, s.loss is not None) for s in found) == [(False, True), (False, True), (True, False)]


def test_a_similarity_function_that_shares_a_keras_loss_name_is_not_a_loss():
    found = hydra.read(*_doc_and_source(HYDRA / "LA201_functional_similarity_not_a_loss.yaml"))
    assert [s.loss for s in found] == [None]


@pytest.mark.parametrize(
    ("loss", "kept"),
    [
        ("{_target_: keras.losses.BinaryCrossentropy, from_logits: '${model.logits}'}", False),  # changes the expectation
        ("{_target_: keras.losses.BinaryCrossentropy, _args_: [true]}", False),  # positional: which argument?
        ("{_target_: torch.nn.CrossEntropyLoss, ignore_index: '${data.void}'}", False),  # a rule reads it
        ("{_target_: torch.nn.CrossEntropyLoss, weight: '${data.weights}'}", True),  # no rule reads it
        ("{_target_: keras.losses.BinaryCrossentropy, from_logits: true}", True),
    ],
)
def test_a_loss_whose_decisive_arguments_are_unknown_is_dropped(loss, kept):
    losses = [s.loss for s in setups(f"loss: {loss}\n")]
    assert len(losses) == (1 if kept else 0)
    assert all("${" not in str(fact.value) for use in losses for fact in use.args.values())


def test_lightning_init_args_are_the_arguments():
    [setup] = setups(
        """\
        model:
          class_path: app.Lit
          init_args:
            output_activation: torch.nn.Sigmoid
            loss_fn:
              class_path: keras.losses.BinaryCrossentropy
              init_args: {from_logits: true, label_smoothing: 0.1}
        """
    )
    assert setup.framework == "keras" and setup.head.activation.value == "sigmoid"
    assert {k: f.value for k, f in setup.loss.args.items()} == {"from_logits": True, "label_smoothing": 0.1}


def test_output_activation_null_is_linear_as_in_the_native_config():
    # An explicit null is "no activation" in every config lossadvisor reads (issue: the drift between
    # the native config and Hydra's output-activation keys); an interpolation stays unknown.
    [setup] = setups("model: {_target_: app.MLP, output_activation: null, out_features: 1}\nloss: {_target_: torch.nn.BCELoss}\n")
    assert setup.head.activation.value == "linear" and setup.head.units.value == 1
    [setup] = setups("model: {_target_: app.MLP, output_activation: '${act}', out_features: 1}\nloss: {_target_: torch.nn.BCELoss}\n")
    assert setup.head.activation is None


def _doc_and_source(path: Path):
    source = Source(path, str(path))
    return document.parse(source)[0], source


def test_check_a_conf_tree_from_the_command_line(tmp_path):
    conf = tmp_path / "conf"
    (conf / "model").mkdir(parents=True)
    (conf / "config.yaml").write_text("defaults:\n  - model: mlp\n  - _self_\ntrainer: {max_epochs: 3}\n")
    (conf / "model" / "mlp.yaml").write_text((HYDRA / "LA101_sequential_softmax_cross_entropy.yaml").read_text())
    result = run_cli("check", str(conf))
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(f"{conf / 'model' / 'mlp.yaml'}:19:3: LA101 [error] `torch.nn.CrossEntropyLoss(label_smoothing=0.1)`")
    # the root config composes the model but instantiates nothing itself
    assert result.stdout.splitlines()[-1] == "Found 1 problem (1 error) in 1 checked file; 1 file had nothing to check (-v lists them)."
