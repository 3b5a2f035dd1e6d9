"""Notebook cells are read as IPython runs them: a cell compiles after our conversion exactly when
it compiles after IPython's own (`InteractiveShell.transform_cell`), on tricky cells of every kind
people write and on every notebook this repository ships."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from lossadvisor import knowledge
from lossadvisor.readers.ipython import split_lines, to_python
from tests.ipython_oracle import compiles, ipython8_dedent, ipython_runs, transformed_compiles

IPython = pytest.importorskip("IPython")
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAMES = knowledge.load().ipython


@pytest.fixture(scope="module")
def shell():
    return InteractiveShell.instance()


def ours(cell: str) -> bool:
    converted = to_python(cell, NAMES["line_magics"], NAMES["python_cell_magics"])
    return compiles("\n".join(converted.lines))


def theirs(shell, cell: str) -> bool:
    return ipython_runs(shell, cell)


# The shapes behind the false "invalid input" on public notebooks, their look-alikes, and cells
# that are broken even for IPython (which must stay broken).
TRICKY = [
    "print('epoch %d loss %.3f'\n      % (epoch, loss))",  # old-style formatting on a continuation line
    "x = (a\n% b)",
    "s = '''\n%not a magic\n'''",
    "!pip install torch \\\n    torchvision \\\n    timm\nimport torch",  # shell continued with backslashes
    "!pip install a\nimport os",
    "  import torch\n  x = torch.zeros(3)",  # a uniformly indented cell
    "\tx = 1\n\ty = 2",
    "pip install transformers",  # automagic
    "ls data/",
    "cd ..",
    "pwd",
    "np.zeros?",
    "?np.zeros",
    "np.zeros??",
    "import sys\nif 'google.colab' in sys.modules:\n    %pip install -q timm\n    !nvidia-smi",
    "for i in range(3):\n    %time f(i)",
    "%%bash\nls -la\nif [ -d x ]; then echo y; fi",
    "%%writefile model.py\nimport torch\nclass Net(torch.nn.Module: pass",
    "%%html\n<b>hi</b>",
    "%%time\nimport torch\nx = torch.ones(3)",
    "%%capture\n!pip install x\nimport os",
    "%%timeit\nsum(range(10))",
    "files = !ls\nprint(files)",
    "t = %timeit -o sum(range(3))",
    "x, y = !echo 1 2",
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "%load_ext autoreload\n%autoreload 2",
    ">>> x = 1\n>>> y = x + 1",
    "In [1]: x = 1\n   ...: y = 2",
    "a = 1 # comment with % and !\nb = a % 2",
    "y = x if x else \\\n    %d",  # a backslash continuation: `%` continues the expression (broken either way)
    "print 'hello'",  # Python 2: broken for IPython too
    "model.add(Dense(10, activation=))",  # an exercise blank: broken
    "x = ",
    "foo bar baz",  # not a magic: broken
    "await asyncio.sleep(0)",
    "def f():\n    return 1\n\n\n\nf()",
    "",
    "   ",
    "x = 1\r\ny = 2",
    "s = 'line\u2028sep'",  # U+2028 inside a string is no line end for Python
    "d = {'a': 1,\n     'b': 2}\n%who",
    "x = [1,\n     2]  # done?\nprint(x)",
    "help(len)\nlen?",
    "x = 3\nx?",
]


@pytest.mark.parametrize("cell", TRICKY, ids=lambda c: repr(c[:40]))
def test_a_tricky_cell_compiles_exactly_when_ipython_says(shell, cell):
    assert ours(cell) == theirs(shell, cell)


def test_generated_combinations_of_lines(shell):
    """Lines that are fine alone combine into cells: every pair and triple, in order."""
    parts = [
        "import torch", "!ls", "%time f()", "x = (1 +", "     % 2)", "files = !ls", "obj?", "    y = 1",
        "if True:", "    %pip install x", "s = '''", "%not magic", "'''", "print('a'\n  % 1)", "!echo a \\", "  b",
    ]
    mismatches, ipython_raised = [], 0
    for n in (2, 3):
        for combo in itertools.product(parts, repeat=n):
            cell = "\n".join(combo)
            if transformed_compiles(shell, cell) is None and transformed_compiles(shell, ipython8_dedent(cell)) is None:
                ipython_raised += 1  # IPython's converter crashes on the cell: nothing to compare with
                continue
            if ours(cell) != theirs(shell, cell):
                mismatches.append(cell)
    assert mismatches == []
    assert ipython_raised < 100  # of 4,352 cells (52 with IPython 9.18)


def _notebook_cells():
    for path in sorted([*ROOT.glob("tests/fixtures/**/*.ipynb"), *ROOT.glob("examples/**/*.ipynb")]):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue  # the broken-JSON fixtures
        for number, cell in enumerate(data.get("cells", []) if isinstance(data, dict) else [], start=1):
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source", "")
                yield f"{path.relative_to(ROOT)}:{number}", "".join(source) if isinstance(source, list) else source


@pytest.mark.parametrize(("where", "cell"), list(_notebook_cells()), ids=lambda v: v if isinstance(v, str) and ".ipynb" in v else "")
def test_every_shipped_notebook_cell_agrees_with_ipython(shell, where, cell):
    assert ours(cell) == theirs(shell, cell), where


def test_lines_keep_their_numbers_and_columns():
    converted = to_python("  x = 1\n  !ls \\\n    -la\n  y = (2\n  % 3)", NAMES["line_magics"], NAMES["python_cell_magics"])
    assert converted.lines == ["x = 1", "pass", "", "y = (2", "% 3)"]
    assert converted.offsets == [2, 2, 2, 2, 2]


def test_split_lines_splits_where_python_does():
    assert split_lines("a\r\nb\rc\nd\u2028e\x0cf\n") == ["a", "b", "c", "d\u2028e\x0cf"]


def test_the_magic_names_cover_ipythons_own(shell):
    magics = shell.magics_manager.lsmagic()
    assert set(magics["line"]) - NAMES["line_magics"] == set()
    assert NAMES["python_cell_magics"] <= set(magics["cell"])
