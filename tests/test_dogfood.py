"""lossadvisor uses lossadvisor: `lossadvisor check` at the repository root is clean, and the
folders of planted mistakes it leaves out are still reported when named."""

from __future__ import annotations

from conftest import ROOT, run_cli


def test_the_repository_root_is_clean():
    proc = run_cli("check", cwd=ROOT)
    assert proc.returncode == 0, proc.stdout
    assert " LA" not in proc.stdout  # no finding line at all, not even info
    assert proc.stdout.splitlines()[-1].startswith(("All clear: ", "Nothing checked: "))


def test_the_left_out_folders_are_still_checked_when_named():
    for folder in ("examples", "tests/fixtures/python"):
        proc = run_cli("check", folder, cwd=ROOT)
        assert proc.returncode in (1, 2) and " LA101 [error] " in proc.stdout, folder  # 2: a fixture of bad input
