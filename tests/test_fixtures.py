"""Every file under tests/fixtures/ is checked, and its findings must be exactly those its comments
expect (flake8-bugbear style):

    activation: softmax      # expect: LA101
    loss = nn.CrossEntropyLoss()  # expect: LA101, LA501

A comment on a line expects findings on that line. Files that cannot hold comments (JSON, .npy,
.keras) have a sidecar `<name>.expected` with one `LINE CODE` (or `- CODE` for no line) per finding.
Fixtures hold clean look-alikes without comments: any finding on them fails the test. A fixture
folder may hold a `lossadvisor.args` file with extra options (`labels=y.npy`, `loss=mse`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lossadvisor.engine import READERS, check_paths
from lossadvisor.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
EXPECT = re.compile(r"expect:\s*(?P<codes>LA\d{3}(?:\s*,\s*LA\d{3})*)")


def _fixture_files() -> list[Path]:
    files = []
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.suffix in READERS and not path.name.startswith("_") and "_data" not in path.parts:
            files.append(path)
    return files


def expected_findings(path: Path) -> list[tuple[int | None, str]]:
    sidecar = path.with_name(path.name + ".expected")
    if sidecar.exists():
        out = []
        for line in sidecar.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                where, code = line.split()
                out.append((None if where == "-" else int(where), code))
        return sorted(out, key=str)
    out = []
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        return _notebook_expectations(text)
    for number, line in enumerate(text.splitlines(), start=1):
        if m := EXPECT.search(line):
            out.extend((number, code.strip()) for code in m.group("codes").split(","))
    return sorted(out, key=str)


def _notebook_expectations(text: str) -> list[tuple[int | None, str]]:
    import json

    out = []
    for index, cell in enumerate(json.loads(text).get("cells", []), start=1):
        source = cell.get("source", "")
        lines = "".join(source).splitlines() if isinstance(source, list) else source.splitlines()
        for number, line in enumerate(lines, start=1):
            if m := EXPECT.search(line):
                out.extend(((index, number), code.strip()) for code in m.group("codes").split(","))
    return sorted(out, key=str)


def _options(path: Path) -> dict[str, str]:
    args = path.parent / "lossadvisor.args"
    opts: dict[str, str] = {}
    if args.exists():
        for line in args.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                opts[k.strip()] = v.strip()
    return opts


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path: Path) -> None:
    opts = _options(path)
    labels = path.parent / opts["labels"] if "labels" in opts else None
    report = check_paths([path], Settings(select=("ALL",)), labels=labels, loss=opts.get("loss"), framework=opts.get("framework"))
    if path.suffix == ".ipynb":
        actual = sorted((((f.cell, f.line) if f.cell else f.line), f.code) for f in report.findings)
    else:
        actual = sorted((f.line, f.code) for f in report.findings)
    expected = expected_findings(path)
    shown = "\n".join(f"  {f.location}: {f.code} {f.message}" for f in report.findings)
    assert sorted(actual, key=str) == expected, f"findings were:\n{shown}"
