"""`lossadvisor check` as users and CI call it: exit codes, formats, flags, colour, standard input,
the typer-free fast path (and its agreement with the typer app), completion and start-up imports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_samples import CLEAN, DOUBLE_SOFTMAX, INFO_ONLY, MALFORMED, MISSPELT_LOSS, write
from conftest import run_cli

import lossadvisor
from lossadvisor import cli

ANSI = re.compile(r"\x1b\[[0-9;]*m")
CONSOLE_SCRIPT = Path(sys.executable).parent / "lossadvisor"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder that is its own repository root, so no configuration above it applies."""
    (tmp_path / ".git").mkdir()
    return tmp_path


# --------------------------------------------------------------------------- exit codes and text


def test_finding_line_summary_and_exit_1(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    proc = run_cli("check", "train.yaml", cwd=project)
    assert proc.returncode == 1
    first, summary = proc.stdout.splitlines()
    assert re.fullmatch(r"train\.yaml:5:3: LA101 \[error\] `CrossEntropyLoss` applies softmax itself.*", first)
    assert summary == "Found 1 problem (1 error) in 1 checked file."
    assert proc.stderr == ""


def test_installed_console_script(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([str(CONSOLE_SCRIPT), "check", "train.yaml"], cwd=project, capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and "train.yaml:5:3: LA101 [error]" in proc.stdout


def test_clean_file_exits_0(project):
    write(project, "train.yaml", CLEAN)
    proc = run_cli("check", "train.yaml", cwd=project)
    assert (proc.returncode, proc.stdout) == (0, "All clear: no problems in 1 checked file.\n")


def test_directory_default_is_current_folder(project):
    write(project, "a/train.yaml", DOUBLE_SOFTMAX)
    write(project, "b/ok.yaml", CLEAN)
    proc = run_cli("check", cwd=project)
    assert proc.returncode == 1
    assert "a/train.yaml:5:3: LA101" in proc.stdout and "in 2 checked files." in proc.stdout


def test_a_file_named_twice_or_also_inside_a_named_folder_is_checked_once(project):
    write(project, "a/train.yaml", DOUBLE_SOFTMAX)
    proc = run_cli("check", "a/train.yaml", "a", "./a/train.yaml", cwd=project)
    assert proc.stdout.count("LA101") == 1 and "in 1 checked file." in proc.stdout


def test_unreadable_file_exits_2_even_with_exit_zero(project):
    write(project, "bad.yaml", MALFORMED)
    for extra in ((), ("--exit-zero",)):
        proc = run_cli("check", "bad.yaml", *extra, cwd=project)
        assert proc.returncode == 2
        assert "bad.yaml:" in proc.stdout and "LA001" in proc.stdout


def test_exit_zero_with_findings(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    proc = run_cli("check", "train.yaml", "--exit-zero", cwd=project)
    assert proc.returncode == 0 and "LA101" in proc.stdout


@pytest.mark.parametrize(
    ("text", "fail_on", "expected"),
    [
        (MISSPELT_LOSS, None, 1),  # default: warning
        (MISSPELT_LOSS, "error", 0),
        (INFO_ONLY, None, 0),
        (INFO_ONLY, "info", 1),
        (DOUBLE_SOFTMAX, "error", 1),
    ],
)
def test_fail_on(project, text, fail_on, expected):
    write(project, "train.yaml", text)
    args = ("--fail-on", fail_on) if fail_on else ()
    assert run_cli("check", "train.yaml", *args, cwd=project).returncode == expected


def test_missing_path_is_an_input_error(project):
    proc = run_cli("check", "nope.yaml", cwd=project)
    assert proc.returncode == 2 and "nope.yaml: LA001" in proc.stdout


def test_quiet_prints_findings_only(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    write(project, "ok.yaml", CLEAN)
    assert run_cli("check", "train.yaml", "-q", cwd=project).stdout.splitlines()[-1].startswith("train.yaml:5:3: LA101")
    assert run_cli("check", "ok.yaml", "--quiet", cwd=project).stdout == ""


def test_show_source_points_at_the_column(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    lines = run_cli("check", "train.yaml", "--show-source", cwd=project).stdout.splitlines()
    assert lines[1] == "5 |   name: CrossEntropyLoss"
    assert lines[2] == "  |   ^"  # column 3


def test_show_source_shows_the_other_half_of_the_mismatch(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    lines = run_cli("check", "train.yaml", "--show-source", cwd=project).stdout.splitlines()
    assert lines[3:6] == [
        "  = train.yaml:3:23",
        "3 |   output: {units: 10, activation: softmax}",
        "  |                       - the other half of the mismatch",
    ]


def test_show_source_names_the_other_half_in_another_notebook_cell(project):
    import json

    sources = ["import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))", "criterion = nn.CrossEntropyLoss()\nloss = criterion(model(x), y)"]
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text} for text in sources]
    write(project, "train.ipynb", json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    lines = run_cli("check", "train.ipynb", "--show-source", cwd=project).stdout.splitlines()
    assert lines[0].startswith("train.ipynb:cell 2:1:")
    assert lines[3] == "  = train.ipynb:cell 1:2:40"
    assert lines[4] == "2 | model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))"


def test_show_source_from_standard_input(project):
    proc = run_cli("check", "-", "--stdin-filename", "train.yaml", "--show-source", stdin=DOUBLE_SOFTMAX, cwd=project)
    assert proc.stdout.splitlines()[1:3] == ["5 |   name: CrossEntropyLoss", "  |   ^"]


def test_statistics_counts_per_rule(project):
    for i in range(3):
        write(project, f"bad{i}.yaml", DOUBLE_SOFTMAX)
    write(project, "typo.yaml", MISSPELT_LOSS)
    lines = run_cli("check", ".", "--statistics", cwd=project).stdout.splitlines()
    assert [line.split() for line in lines[:2]] == [["3", "LA101", "probabilities-into-logits-loss"], ["1", "LA002", "unknown-loss"]]
    assert lines[2] == "Found 4 problems (3 errors, 1 warning) in 4 checked files."


# --------------------------------------------------------------------------- formats and output files


def test_json_format_and_env_var(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    for proc in (run_cli("check", "train.yaml", "--format", "json", cwd=project), run_cli("check", "train.yaml", cwd=project, env={"LOSSADVISOR_FORMAT": "json"})):
        doc = json.loads(proc.stdout)
        assert proc.returncode == 1
        assert doc["summary"] == {"error": 1, "warning": 0, "info": 0}
        (finding,) = doc["findings"]
        assert (finding["code"], finding["path"], finding["line"], finding["column"]) == ("LA101", "train.yaml", 5, 3)
        assert finding["url"] is None  # no rule URL until the project publishes its docs (test_render)


def test_flag_beats_env_var(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    proc = run_cli("check", "train.yaml", "-f", "text", cwd=project, env={"LOSSADVISOR_FORMAT": "json"})
    assert proc.stdout.startswith("train.yaml:5:3: LA101")


def test_bad_env_format_is_a_usage_error(project):
    write(project, "train.yaml", CLEAN)
    proc = run_cli("check", "train.yaml", cwd=project, env={"LOSSADVISOR_FORMAT": "xml"})
    assert proc.returncode == 2
    assert "LOSSADVISOR_FORMAT" in proc.stderr and "xml" in proc.stderr


def test_output_file(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    proc = run_cli("check", "train.yaml", "-f", "sarif", "--output-file", "reports/out.sarif", "--color", "always", cwd=project)
    assert proc.returncode == 1 and proc.stdout == ""
    log = json.loads((project / "reports/out.sarif").read_text())
    assert log["runs"][0]["results"][0]["ruleId"] == "LA101"


def test_text_output_file_is_never_coloured(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    run_cli("check", "train.yaml", "-o", "out.txt", "--color", "always", cwd=project)
    assert "\x1b[" not in (project / "out.txt").read_text()


# --------------------------------------------------------------------------- colour


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        ((), {}, False),  # not a terminal
        (("--color", "always"), {}, True),
        ((), {"FORCE_COLOR": "1"}, True),
        ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR beats FORCE_COLOR
        (("--color", "always"), {"NO_COLOR": "1"}, True),  # the flag beats both
        (("--color", "never"), {"FORCE_COLOR": "1"}, False),
        (("--color", "always", "--format", "json"), {}, False),  # machine formats: never
        (("--color", "always", "--format", "github"), {}, False),
    ],
)
def test_colour_decision(project, args, env, coloured):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    proc = run_cli("check", "train.yaml", *args, cwd=project, env={"NO_COLOR": "", **env})
    assert bool(ANSI.search(proc.stdout)) is coloured
    if "--format" not in args:  # colour never changes the text itself
        assert ANSI.sub("", proc.stdout).startswith("train.yaml:5:3: LA101 [error] `CrossEntropyLoss`")


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX-only")
def test_colour_on_a_terminal(project):
    import pty

    sample = write(project, "train.yaml", DOUBLE_SOFTMAX)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm"
    outputs = {}
    for term in ("xterm", "dumb"):
        leader, follower = pty.openpty()
        proc = subprocess.run([sys.executable, "-m", "lossadvisor", "check", str(sample)], stdout=follower, stderr=subprocess.PIPE, env={**env, "TERM": term})
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        outputs[term] = (proc.returncode, b"".join(chunks).decode())
    assert outputs["xterm"][0] == 1 and ANSI.search(outputs["xterm"][1])
    assert not ANSI.search(outputs["dumb"][1])


# --------------------------------------------------------------------------- standard input


def test_standard_input_with_stdin_filename(project):
    proc = run_cli("check", "-", "--stdin-filename", "configs/train.yaml", stdin=DOUBLE_SOFTMAX, cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.startswith("configs/train.yaml:5:3: LA101")


def test_standard_input_json_by_name(project):
    proc = run_cli("check", "-", "--stdin-filename", "x.json", stdin='{"model": [', cwd=project)
    assert proc.returncode == 2 and proc.stdout.startswith("x.json:")


def test_dash_cannot_mix_with_paths(project):
    write(project, "train.yaml", CLEAN)
    proc = run_cli("check", "-", "train.yaml", stdin="", cwd=project)
    assert proc.returncode == 2 and "standard input" in proc.stderr


# --------------------------------------------------------------------------- usage errors, version, help


def test_version():
    for proc in (run_cli("--version"), subprocess.run([str(CONSOLE_SCRIPT), "--version"], capture_output=True, text=True)):
        assert (proc.returncode, proc.stdout) == (0, f"lossadvisor {lossadvisor.__version__}\n")


@pytest.mark.parametrize("args", [("--bogus",), ("--format", "xml"), ("--fail-on", "fatal"), ("--color", "sometimes"), ("--form", "json")])
def test_bad_flags_exit_2_with_typer_usage_message(project, args):
    proc = run_cli("check", ".", *args, cwd=project)
    assert proc.returncode == 2
    assert "Usage: " in proc.stderr and "lossadvisor check" in proc.stderr and args[0] in proc.stderr
    assert proc.stdout == ""


def test_missing_flag_value_exits_2(project):
    proc = run_cli("check", ".", "--format", cwd=project)
    assert proc.returncode == 2 and "'--format' requires an argument" in proc.stderr


def test_unknown_rule_in_select_suggests_one(project):
    proc = run_cli("check", ".", "--select", "LA10l", cwd=project)
    assert proc.returncode == 2
    assert proc.stderr.startswith("lossadvisor: error: --select: unknown rule `LA10l`; did you mean `LA101`?")


def test_select_ignore_and_rule_names(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    assert run_cli("check", "train.yaml", "--ignore", "LA1", cwd=project).returncode == 0
    assert run_cli("check", "train.yaml", "--ignore", "probabilities-into-logits-loss", cwd=project).returncode == 0
    assert run_cli("check", "train.yaml", "--select", "LA2,LA3", cwd=project).returncode == 0
    assert run_cli("check", "train.yaml", "--select", "la1", cwd=project).returncode == 1


def test_check_help_lists_every_option_of_the_table():
    proc = run_cli("check", "--help", env={"COLUMNS": "200"})
    assert proc.returncode == 0
    for opt in cli.CHECK_OPTIONS:
        for flag in opt.flags:
            assert flag in proc.stdout, flag


def test_python_dash_m_help_names_itself():
    proc = run_cli("--help", env={"COLUMNS": "200"})
    assert proc.returncode == 0
    assert "python -m lossadvisor" in proc.stdout
    for command in ("check", "recommend", "labels", "rules", "rule"):
        assert re.search(rf"^\s+{command}\s", proc.stdout, re.M), command


# --------------------------------------------------------------------------- one option table, two parsers


SAMPLE_ARGS = [
    [],
    ["a.yaml", "b.py"],
    ["a.yaml", "--format", "json", "b.yaml"],  # options between paths
    ["-f", "sarif", "-o", "out.sarif", "-q", "--exit-zero", "--show-source", "--statistics"],
    ["--select", "LA1", "--select", "LA301,LA302", "--extend-select", "LA5", "--ignore", "LA2", "--exclude", "data/"],
    ["--framework", "keras", "--labels", "y.npy", "--loss", "mse", "--fail-on", "error", "--color", "never"],
    ["-", "--stdin-filename", "x.yaml", "--config", "pyproject.toml"],
    ["--isolated", "--format=github", "--", "-weird.yaml"],
    ["-fjson", "-oout.json", "--loss=", "--format", "text", "--format", "sarif", "-", "x.yaml"],  # last one wins
    ["--labels", "-", "--exclude=a", "--exclude", "b"],
]


@pytest.mark.parametrize("args", SAMPLE_ARGS, ids=lambda a: " ".join(a) or "no-args")
def test_fast_parser_agrees_with_typer(monkeypatch, args):
    """Both parsers must hand run_check the same options for the same command line."""
    from lossadvisor import app as app_module

    seen = {}
    monkeypatch.setattr(app_module, "run_check", lambda options: seen.update(options) or 0)
    with pytest.raises(SystemExit) as exit_info:
        app_module.app(args=["check", *args], prog_name="lossadvisor")
    assert exit_info.value.code == 0
    assert cli.parse_check_args(args) == seen


def test_fast_parser_reads_env_default(monkeypatch):
    monkeypatch.setenv("LOSSADVISOR_FORMAT", "github")
    assert cli.parse_check_args([])["output_format"] == "github"


@pytest.mark.parametrize(
    "args",
    [["--help"], ["-h"], ["--form", "json"], ["--format", "xml"], ["--format"], ["-qf", "json"], ["--quiet=yes"], ["--loss", "--quiet"], ["-x"]],
)
def test_fast_parser_hands_over_what_it_does_not_know(args):
    with pytest.raises(cli._NotForUs):
        cli.parse_check_args(args)


def test_forms_left_to_typer_still_work(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    proc = run_cli("check", "-qf", "json", "train.yaml", cwd=project)  # combined short flags
    assert proc.returncode == 1 and json.loads(proc.stdout)["findings"][0]["code"] == "LA101"


def test_in_process_main(project, monkeypatch, capsys):
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    monkeypatch.chdir(project)
    monkeypatch.setenv("NO_COLOR", "1")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", "train.yaml", "--format", "json"])
    assert exit_info.value.code == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["code"] == "LA101"


# --------------------------------------------------------------------------- completion and start-up cost


def test_shell_completion_goes_through_typer():
    def complete(words: str) -> list[str]:
        env = {**os.environ, "_LOSSADVISOR_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
        return subprocess.run([str(CONSOLE_SCRIPT)], capture_output=True, text=True, env=env).stdout.split()

    assert complete("lossadvisor check --for") == ["--format"]
    assert complete("lossadvisor check --format ") == ["text", "json", "sarif", "github"]
    assert complete("lossadvisor ru") == ["rules", "rule"]


def test_completion_script_is_offered():
    proc = subprocess.run([str(CONSOLE_SCRIPT), "--show-completion", "bash"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "_LOSSADVISOR_COMPLETE=complete_bash" in proc.stdout and "complete -o default -F _lossadvisor_completion lossadvisor" in proc.stdout


PROBE = """
import sys
sys.argv = ["lossadvisor", "check", *sys.argv[1:]]
from lossadvisor.cli import main
try:
    main()
except SystemExit:
    pass
print("MODULES", *sorted({m.split(".")[0] for m in sys.modules}))
"""


@pytest.mark.parametrize(
    ("name", "text", "absent"),
    [
        ("train.yaml", DOUBLE_SOFTMAX, {"typer", "rich", "numpy", "click"}),
        ("model.py", "import torch\nfrom torch import nn\n\nloss = nn.CrossEntropyLoss()\n", {"typer", "rich", "numpy", "click", "yaml"}),
    ],
)
@pytest.mark.parametrize("args", [(), ("--color", "always", "--show-source")])
def test_check_does_not_import_heavy_modules(project, name, text, absent, args):
    write(project, name, text)
    write(project, "pyproject.toml", '[project]\nname = "demo"\n')
    proc = subprocess.run([sys.executable, "-c", PROBE, name, *args], cwd=project, capture_output=True, text=True)
    modules = set(proc.stdout.split("MODULES", 1)[1].split())
    assert not absent & modules, f"imported: {absent & modules}\n{proc.stderr}"
    assert "tomllib" not in modules  # a pyproject.toml without [tool.lossadvisor] is not parsed


def test_show_source_in_a_notebook_cell(project):
    from cli_samples import NOTEBOOK_CELL, notebook

    write(project, "train.ipynb", notebook(NOTEBOOK_CELL))
    lines = run_cli("check", "train.ipynb", "--show-source", cwd=project).stdout.splitlines()
    assert lines[0].startswith("train.ipynb:cell 2:5:")
    assert lines[1] == "5 | criterion = nn.CrossEntropyLoss()"
    assert lines[2].endswith("^")


def test_show_source_in_json(project):
    write(project, "model.json", '{\n  "framework": "pytorch",\n  "model": {"output": {"units": 10, "activation": "softmax"}},\n  "loss": {"name": "CrossEntropyLoss"}\n}\n')
    lines = run_cli("check", "model.json", "--show-source", cwd=project).stdout.splitlines()
    assert lines[0].startswith("model.json:4:")
    assert lines[1] == '4 |   "loss": {"name": "CrossEntropyLoss"}'


def test_output_a_console_cannot_encode_is_replaced_not_a_crash(project):
    write(project, "train.yaml", DOUBLE_SOFTMAX.replace("CrossEntropyLoss", "CrossEntropyLöss"))
    proc = run_cli("check", "train.yaml", cwd=project, env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 1 and "CrossEntropyL?ss" in proc.stdout
