"""The shipped examples do what the README says: every buggy one is reported, the clean ones are
silent, and the README shows the real output of `lossadvisor check examples/`."""

from __future__ import annotations

from conftest import ROOT, run_cli


def test_readme_shows_the_real_output_of_checking_the_examples():
    proc = run_cli("check", "examples/", cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ .venv/bin/lossadvisor check examples/\n", 1)[1].split("```", 1)[0]
    assert proc.stdout == block


def test_clean_examples_are_silent():
    clean = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").rglob("clean_*"))
    assert clean, "the examples include clean setups"
    proc = run_cli("check", *clean, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout
    assert "All clear" in proc.stdout


def test_readme_json_example_is_real_output():
    import json

    proc = run_cli("check", "examples/configs/double_softmax_pytorch.yaml", "-f", "json", cwd=ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("-f json`):\n\n```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(block) == json.loads(proc.stdout)
