"""Configuration: discovery of pyproject.toml / lossadvisor.toml, validation with suggestions, and
how flags and files merge. Through the installed CLI, plus the merge rules in-process."""

from __future__ import annotations

import pytest
from cli_samples import CLEAN, DOUBLE_SOFTMAX, INFO_ONLY, MISSPELT_LOSS, write
from conftest import run_cli

from lossadvisor.configfile import CliSettings, merge, selectors, validate
from lossadvisor.cli import UsageError
from lossadvisor.settings import Settings


@pytest.fixture
def repo(tmp_path):
    """A repository root (it holds .git) inside a folder with a configuration that must not leak in."""
    write(tmp_path, "lossadvisor.toml", 'select = ["LA2"]\n')  # above the repository: never read
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


def codes(proc) -> list[str]:
    return [line.split(": ")[1].split()[0] for line in proc.stdout.splitlines() if ": LA" in line]


# --------------------------------------------------------------------------- discovery


def test_pyproject_table_applies(repo):
    write(repo, "pyproject.toml", '[project]\nname = "x"\n\n[tool.lossadvisor]\nignore = ["LA101"]\n')
    write(repo, "configs/train.yaml", DOUBLE_SOFTMAX)
    proc = run_cli("check", "configs/train.yaml", cwd=repo)
    assert (proc.returncode, codes(proc)) == (0, [])


def test_found_from_the_checked_path_not_the_working_folder(repo, tmp_path):
    write(repo, "lossadvisor.toml", 'ignore = ["LA101"]\n')
    write(repo, "train.yaml", DOUBLE_SOFTMAX)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run_cli("check", str(repo / "train.yaml"), cwd=elsewhere).returncode == 0


def test_walk_stops_at_the_repository_root(repo):
    write(repo, "train.yaml", DOUBLE_SOFTMAX)  # the select = ["LA2"] above the repo would hide LA101
    assert codes(run_cli("check", "train.yaml", cwd=repo)) == ["LA101"]


def test_pyproject_without_our_table_is_passed_over(repo):
    write(repo, "lossadvisor.toml", 'ignore = ["LA101"]\n')
    write(repo, "sub/pyproject.toml", '[tool.ruff]\nline-length = 100\n')
    write(repo, "sub/train.yaml", DOUBLE_SOFTMAX)
    assert run_cli("check", "sub/train.yaml", cwd=repo).returncode == 0


def test_order_in_one_folder(repo):
    write(repo, "pyproject.toml", '[tool.lossadvisor]\nignore = ["LA101"]\n')
    write(repo, "train.yaml", DOUBLE_SOFTMAX)
    write(repo, "lossadvisor.toml", "ignore = []\n")  # beats pyproject.toml
    assert codes(run_cli("check", "train.yaml", cwd=repo)) == ["LA101"]
    write(repo, ".lossadvisor.toml", 'ignore = ["LA1"]\n')  # beats lossadvisor.toml
    assert codes(run_cli("check", "train.yaml", cwd=repo)) == []


def test_nearest_configuration_applies_to_each_path(repo):
    write(repo, "lossadvisor.toml", 'ignore = ["LA101"]\n')
    write(repo, "strict/lossadvisor.toml", 'select = ["ALL"]\n')
    write(repo, "train.yaml", DOUBLE_SOFTMAX)
    write(repo, "strict/train.yaml", DOUBLE_SOFTMAX)
    proc = run_cli("check", "train.yaml", "strict/train.yaml", cwd=repo)
    assert [line.split(":")[0] for line in proc.stdout.splitlines() if ": LA" in line] == ["strict/train.yaml"]
    assert proc.stdout.splitlines()[-1] == "Found 1 problem (1 error) in 2 checked files."


def test_config_flag_and_isolated(repo):
    write(repo, "lossadvisor.toml", 'ignore = ["LA101"]\n')
    write(repo, "other.toml", 'ignore = ["LA2"]\n')
    write(repo, "train.yaml", DOUBLE_SOFTMAX)
    assert codes(run_cli("check", "train.yaml", "--config", "other.toml", cwd=repo)) == ["LA101"]
    assert codes(run_cli("check", "train.yaml", "--isolated", cwd=repo)) == ["LA101"]
    assert run_cli("check", "train.yaml", cwd=repo).returncode == 0


def test_config_flag_errors(repo):
    write(repo, "train.yaml", CLEAN)
    missing = run_cli("check", "train.yaml", "--config", "nope.toml", cwd=repo)
    assert missing.returncode == 2 and "nope.toml does not exist" in missing.stderr
    both = run_cli("check", "train.yaml", "--config", "x.toml", "--isolated", cwd=repo)
    assert both.returncode == 2 and "cannot be used together" in both.stderr


def test_standard_input_uses_the_configuration_of_its_name(repo):
    write(repo, "configs/lossadvisor.toml", 'ignore = ["LA101"]\n')
    proc = run_cli("check", "-", "--stdin-filename", "configs/train.yaml", stdin=DOUBLE_SOFTMAX, cwd=repo)
    assert proc.returncode == 0


# --------------------------------------------------------------------------- keys


def test_per_file_ignores_are_relative_to_the_config_folder(repo):
    write(repo, "lossadvisor.toml", '[per-file-ignores]\n"experiments/*.yaml" = ["LA101"]\n')
    write(repo, "experiments/train.yaml", DOUBLE_SOFTMAX)
    write(repo, "train.yaml", DOUBLE_SOFTMAX)
    assert codes(run_cli("check", ".", cwd=repo)) == ["LA101"]  # only the top-level one
    assert run_cli("check", "train.yaml", cwd=repo / "experiments").returncode == 0  # run from inside


def test_per_file_ignores_for_json(repo):
    write(repo, "pyproject.toml", '[tool.lossadvisor.per-file-ignores]\n"*.json" = ["LA1"]\n')
    write(repo, "model.json", '{"framework": "pytorch", "model": {"output": {"units": 10, "activation": "softmax"}}, "loss": {"name": "CrossEntropyLoss"}}')
    assert run_cli("check", "model.json", cwd=repo).returncode == 0
    assert codes(run_cli("check", "model.json", "--isolated", cwd=repo)) == ["LA101"]


def test_exclude(repo):
    write(repo, "lossadvisor.toml", 'exclude = ["generated/"]\n')
    write(repo, "generated/train.yaml", DOUBLE_SOFTMAX)
    write(repo, "train.yaml", CLEAN)
    assert run_cli("check", ".", cwd=repo).stdout == "All clear: no problems in 1 checked file.\n"
    # named on the command line (as pre-commit does): still excluded
    assert run_cli("check", "generated/train.yaml", cwd=repo).returncode == 0
    assert run_cli("check", ".", "--exclude", "train.yaml", cwd=repo).stdout == "Nothing checked: no file lossadvisor reads was found.\n"


def test_severity_override_and_fail_on(repo):
    write(repo, "lossadvisor.toml", 'fail-on = "error"\n\n[severity]\nLA1 = "warning"\n')
    write(repo, "train.yaml", DOUBLE_SOFTMAX)
    proc = run_cli("check", "train.yaml", cwd=repo)
    assert "LA101 [warning]" in proc.stdout and proc.returncode == 0  # a warning no longer fails
    assert run_cli("check", "train.yaml", "--fail-on", "warning", cwd=repo).returncode == 1  # flag beats file


@pytest.mark.parametrize(("flags", "expected"), [((), "keras"), (("--framework", "jax"), "jax"), (("--framework", "all"), None)])
def test_framework_default_reaches_the_engine(repo, monkeypatch, flags, expected):
    from lossadvisor import cli, engine

    write(repo, "lossadvisor.toml", 'framework = "keras"\n')
    write(repo, "train.yaml", CLEAN)
    calls = []
    real = engine.check_paths
    monkeypatch.setattr(engine, "check_paths", lambda *a, **kw: calls.append(kw["framework"]) or real(*a, **kw))
    monkeypatch.chdir(repo)
    assert cli.run_check(cli.parse_check_args(["train.yaml", *flags])) == 0
    assert calls == [expected]


def test_select_and_extend_select(repo):
    write(repo, "lossadvisor.toml", 'select = ["LA2"]\nextend-select = ["LA0"]\n')
    write(repo, "bug.yaml", DOUBLE_SOFTMAX)
    write(repo, "typo.yaml", MISSPELT_LOSS)
    assert codes(run_cli("check", ".", cwd=repo)) == ["LA002"]
    assert codes(run_cli("check", ".", "--extend-select", "LA1", cwd=repo)) == ["LA101", "LA002"]
    assert codes(run_cli("check", ".", "--select", "LA1", cwd=repo)) == ["LA101"]  # replaces the file's


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('selct = ["LA1"]\n', "unknown key `selct`; did you mean `select`?"),
        ('extend_select = ["LA1"]\n', "did you mean `extend-select`?"),
        ('ignore = ["LA999"]\n', "`ignore`: unknown rule `LA999`"),
        ('ignore = ["probabilities-into-logit-loss"]\n', "did you mean `probabilities-into-logits-loss`?"),
        ('ignore = "LA1"\n', "`ignore` must be a list of strings"),
        ('[severity]\nLA1 = "fatal"\n', "`fatal` is not one of info, warning, error"),
        ('[severity]\nLA9 = "info"\n', "unknown rule `LA9`"),
        ('framework = "pytorh"\n', "did you mean `pytorch`?"),
        ('fail-on = "warn"\n', "did you mean `warning`?"),
        ('[per-file-ignores]\n"*.json" = "LA1"\n', "must be a list of strings"),
        ("select = [\n", "invalid TOML"),
    ],
)
def test_bad_configuration_exits_2_naming_the_problem(repo, toml, message):
    write(repo, "lossadvisor.toml", toml)
    write(repo, "train.yaml", CLEAN)
    proc = run_cli("check", "train.yaml", cwd=repo)
    assert proc.returncode == 2
    assert proc.stderr.startswith("lossadvisor: error: ") and "lossadvisor.toml" in proc.stderr
    assert message in proc.stderr
    assert proc.stdout == ""


def test_bad_pyproject_table_names_the_table(repo):
    write(repo, "pyproject.toml", '[tool.lossadvisor]\nselect = ["LA1"]\nformat = "json"\n')
    write(repo, "train.yaml", CLEAN)
    proc = run_cli("check", "train.yaml", cwd=repo)
    assert proc.returncode == 2 and "pyproject.toml [tool.lossadvisor]: unknown key `format`" in proc.stderr


# --------------------------------------------------------------------------- in-process


def test_selectors_normalise():
    assert selectors(["la1, LA301", "ALL", "unknown-loss"], "x") == ("LA1", "LA301", "ALL", "LA002")
    with pytest.raises(UsageError, match="LA7"):
        selectors(["LA7"], "x")
    with pytest.raises(UsageError):
        selectors(["LA1x"], "x")


def test_merge_precedence():
    file_values = validate({"select": ["LA1"], "extend-select": ["LA5"], "ignore": ["LA101"], "exclude": ["a/"], "framework": "keras", "fail-on": "error"}, "f")
    merged = merge(file_values, None, CliSettings(extend_select=("LA3",), ignore=("LA2",), exclude=("b/",)))
    assert merged == Settings(select=("LA1",), extend_select=("LA5", "LA3"), ignore=("LA101", "LA2"), exclude=("a/", "b/"), framework="keras", fail_on="error")
    replaced = merge(file_values, None, CliSettings(select=("LA101",), framework="all", fail_on="info"))
    assert (replaced.select, replaced.extend_select, replaced.ignore) == (("LA101",), (), ())
    assert (replaced.framework, replaced.fail_on) == (None, "info")
    assert replaced.is_enabled("LA101")


def test_settings_specificity_and_paths(tmp_path):
    settings = Settings(select=("ALL",), ignore=("LA3",), extend_select=("LA301",), per_file_ignores={"tests/*.json": ("LA1",)}, root=str(tmp_path))
    assert settings.is_enabled("LA301") and not settings.is_enabled("LA302")
    assert not settings.is_enabled("LA101", path=str(tmp_path / "tests" / "a.json"))
    assert settings.is_enabled("LA101", path=str(tmp_path / "a.json"))
    assert Settings(exclude=(".hidden/",)).is_excluded("./.hidden/x.yaml")
    assert not Settings(exclude=("hidden/",)).is_excluded("./.hidden/x.yaml")


def test_info_rules_follow_their_severity_override(repo):
    write(repo, "lossadvisor.toml", '[severity]\nprefer-logits-form = "error"\n')
    write(repo, "train.yaml", INFO_ONLY)
    proc = run_cli("check", "train.yaml", cwd=repo)
    assert "LA501 [error]" in proc.stdout and proc.returncode == 1
