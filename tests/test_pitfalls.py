"""docs/pitfalls.md: the status of each of the reference's 25 common pitfalls (§7). Every code it
names is a rule, every rule it names has a fixture that triggers it, and a pitfall called caught or
partly caught names at least one."""

from __future__ import annotations

import re

from conftest import ROOT

from lossadvisor import knowledge

STATUSES = {"caught", "partly", "not yet", "beyond static reach", "explained"}
FIXTURES = ROOT / "tests" / "fixtures"


def _rows() -> list[list[str]]:
    text = (ROOT / "docs" / "pitfalls.md").read_text(encoding="utf-8")
    rows = [line.strip().strip("|").split("|") for line in text.splitlines() if re.match(r"\|\s*\d+\s*\|", line)]
    return [[cell.strip() for cell in row] for row in rows]


def _codes_with_fixtures() -> set[str]:
    found: set[str] = set()
    for path in FIXTURES.rglob("*"):
        if path.is_file():
            found.update(re.findall(r"LA\d{3}", path.name))
            if path.suffix in {".py", ".yaml", ".yml", ".ipynb", ".json"}:
                for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                    if "expect:" in line:
                        found.update(re.findall(r"LA\d{3}", line.split("expect:", 1)[1]))
    return found


def test_the_table_has_the_25_pitfalls_in_order_with_a_status():
    rows = _rows()
    assert [int(row[0]) for row in rows] == list(range(1, 26))
    assert all(row[2] in STATUSES for row in rows), [row[:3] for row in rows if row[2] not in STATUSES]


def test_every_code_named_is_a_rule_with_a_fixture_that_triggers_it():
    rules, fixtures = knowledge.load().rules, _codes_with_fixtures()
    for number, _pitfall, status, codes, missing in _rows():
        named = re.findall(r"LA\d{3}", codes)
        assert all(code in rules for code in named), (number, named)
        assert all(code in fixtures for code in named), (number, [c for c in named if c not in fixtures])
        if status in {"caught", "partly"}:
            assert named, f"pitfall {number} is {status} but names no rule"
        if status != "caught":
            assert missing, f"pitfall {number} is {status}: say what is missing, or why"
