"""Hostile and unlucky inputs, one per defect found by attacking lossadvisor (issue: hardening).
Used by tests/test_hostile_inputs.py and benchmarks/hostile_inputs.py. Each maker writes its input
under a folder and returns the path to check; `expect` is what the run must say about it:
"LA001" (one clear line), "LA007", or "read" (findings or none, but no LA001)."""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple


class Hostile(NamedTuple):
    name: str
    make: Callable[[Path], Path]
    expect: str


def _write(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    return make


def _npy(shape: str, descr: str = "<i8") -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (118 - len(header)) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + b"\0" * 64


def _encrypted_keras() -> bytes:
    """A .keras zip whose config.json is flagged encrypted (zipfile's error carries a ZipInfo repr)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", '{"class_name": "Sequential", "config": {"layers": []}}')
    data = bytearray(buffer.getvalue())
    data[data.find(b"PK\x03\x04") + 6] |= 1  # the general purpose flag's "encrypted" bit, local header
    data[data.find(b"PK\x01\x02") + 8] |= 1  # … and central directory
    return bytes(data)


def _laughs() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(9):
        prev, name = chr(97 + i), chr(98 + i)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
    return "\n".join(lines) + "\n"


def _fifo(folder: Path) -> Path:
    path = folder / "pipe.yaml"
    os.mkfifo(path)
    return path


def _deep_tree(folder: Path) -> Path:
    root = folder / "deep"
    root.mkdir()
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(1100):  # one level at a time: Path.mkdir(parents=True) recurses
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        config = os.open("train.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(config, b"loss: CrossEntropyLoss\nmodel: {output: {units: 3, activation: softmax}}\n")
        os.close(config)
    finally:
        os.close(fd)
    return root


def _non_utf8_name(folder: Path) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), b"bad\xff.yaml")))
    path.write_text("loss: [\n")
    return path


def _vocab(folder: Path) -> Path:
    path = folder / "vocab.json"
    path.write_text(json.dumps({f"\u0120tok\u00e9n{i}": i for i in range(60_000)}, ensure_ascii=False))
    return path


def _notebook(cells: object) -> bytes:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


HOSTILE = [
    Hostile("yaml merge key", _write("merge.yaml", "base: &b {activation: softmax, units: 3}\nmodel:\n  output:\n    <<: *b\nloss: CrossEntropyLoss\n"), "read"),
    Hostile("yaml !!set and tagged keys", _write("tags.yaml", "a: !!set {x, y}\n!tag k: 1\n? [1, 2]\n: 3\nloss: mse\n"), "read"),
    Hostile("yaml other people's tags", _write("cfn.yaml", "Resources:\n  B: !Ref Bucket\n  C: !GetAtt [A, Arn]\nnav: !!python/name:os.system\n"), "read"),
    Hostile("yaml several documents", _write("multi.yaml", "loss: mse\n---\nloss: CrossEntropyLoss\n"), "read"),
    Hostile("yaml billion laughs", _write("laughs.yaml", "loss: mse\n" + _laughs()), "LA001"),
    Hostile("yaml too large", _write("huge.yaml", "loss: mse\nx: " + "a" * (3 * 1024 * 1024) + "\n"), "LA001"),
    # The same in a file nothing marks as a training config: not ours, so nothing to check.
    Hostile("yaml billion laughs, not a config", _write("laughs.yaml", _laughs()), "read"),
    Hostile("yaml too large, not a config", _write("huge.yaml", "x: " + "a" * (3 * 1024 * 1024) + "\n"), "read"),
    Hostile("yaml nul byte", _write("nul.yaml", "loss: mse\x00\n"), "LA001"),
    Hostile("integer of 5,000 digits in yaml", _write("bigint.yaml", "num_classes: " + "1" * 5000 + "\n"), "LA001"),
    Hostile("integer of 5,000 digits in json", _write("bigint.json", '{"loss": ' + "1" * 5000 + "}"), "LA001"),
    Hostile("integer of 5,000 digits in a notebook", _write("bigint.ipynb", '{"cells": [], "n": ' + "1" * 5000 + "}"), "LA001"),
    Hostile("notebook cells null", _write("null.ipynb", _notebook(None)), "LA001"),
    Hostile("notebook cells a number", _write("number.ipynb", _notebook(3)), "LA001"),
    Hostile("notebook worksheet without cells", _write("ws.ipynb", b'{"worksheets": [{"cells": null}]}'), "LA001"),
    Hostile("notebook U+2028 in a string", _write("sep.ipynb", _notebook([{"cell_type": "code", "source": "s = 'a\u2028b'\nimport torch\nloss = torch.nn.CrossEntropyLoss()"}])), "read"),
    Hostile("npy negative shape", _write("neg.npy", _npy("(-5,)")), "LA001"),
    Hostile("npy shape overflowing int64", _write("ovf.npy", _npy("(9999999999999, 9999999999999)")), "LA001"),
    Hostile("npy one huge string", _write("str.npy", _npy("(1,)", "<U268435456")), "LA001"),
    Hostile("a tree 1,100 folders deep", _deep_tree, "read"),
    Hostile("a FIFO named *.yaml", _fifo, "LA001"),
    Hostile("a file name that is not UTF-8", _non_utf8_name, "LA001"),
    Hostile("a tokenizer vocab.json with non-ASCII keys", _vocab, "read"),
    Hostile("python with a form feed before a noqa", _write("ff.py", "import torch\nfrom torch import nn\n# \x0c\nm = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=-1))\nc = nn.CrossEntropyLoss()  # noqa: LA101\nloss = c(m(x), y)\n"), "read"),
    Hostile("python declared latin-1", _write("latin.py", b"# -*- coding: latin-1 -*-\n# \xe9\nimport torch\nloss = torch.nn.CrossEntropyLoss()\n"), "read"),
    Hostile("python of 5 MiB", _write("big.py", "import torch\nloss = torch.nn.CrossEntropyLoss()\n" + "x = 1\n" * (900 * 1024)), "LA001"),
    Hostile("python of 1.4 MiB, dense", _write("dense.py", "import torch\nfrom torch import nn\n" + "".join(
        f"def f{i}(x):\n    y = nn.Linear(3, {i % 7 + 1})(x) + x * 2 - (x ** 2) / 3\n    return torch.softmax(y, dim=-1)\n" for i in range(14_000)
    ) + "loss = nn.CrossEntropyLoss()\n"), "LA001"),  # 616,000 tokens: 354 MiB of syntax tree
    Hostile("python of 600 KiB, dense, under the token bound", _write("dense_ok.py", "import torch\nfrom torch import nn\n" + "".join(
        f"def f{i}(x):\n    y = nn.Linear(3, {i % 7 + 1})(x) + x * 2 - (x ** 2) / 3\n    return torch.softmax(y, dim=-1)\n" for i in range(6_000)
    ) + "loss = nn.CrossEntropyLoss()\n"), "read"),
    Hostile("a 600-term expression", _write("chain.py", "import torch\nloss = torch.nn.CrossEntropyLoss()\nx = " + " + ".join(["a"] * 600) + "\ny = z" + ".f()" * 600 + "\n"), "read"),
    Hostile("10,000 helper functions with a loss", _write("helpers.py", "import torch\nfrom torch import nn\n" + "".join(
        f"def helper{i}(x):\n    return nn.CrossEntropyLoss()(x, y)\n" for i in range(10_000)
    )), "read"),
    Hostile("csv with an unclosed quote", _write("quote.csv", "label\n1\n\"2\n3\n" + "4\n" * 1000), "LA001"),
    Hostile("a .keras archive with an encrypted member", lambda folder: _write("enc.keras", _encrypted_keras())(folder), "LA001"),
    Hostile("csv with a 4 MB line", _write("long.csv", "label\n" + "1," * 2_000_000 + "\n"), "LA001"),
    Hostile("python 3.12 syntax", _write("new.py", "import torch\ntype Batch = list[int]\nloss = torch.nn.CrossEntropyLoss()\n"), "LA007"),
    Hostile("a loss string with a newline and an escape", _write("inject.yaml", 'loss: "mse\\n::error file=x::pwned\\u001b[31m"\n'), "read"),
]
