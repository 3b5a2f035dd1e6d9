"""The pre-commit hook, with the real `pre-commit` tool: `.pre-commit-hooks.yaml` of this repository
installed the way users install it, in a throwaway git repository: `pre-commit try-repo`, and a
real `git commit` through `pre-commit install`.

pre-commit installs a hook from a git revision, so the working tree (tracked files and new ones
not ignored) is first committed to a snapshot repository. Installing the hook's environment takes
~15 s (pip, from PyPI or pip's cache): once for try-repo (which always uses a fresh store), once
for the installed hook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cli_samples import CLEAN, DOUBLE_SOFTMAX, write
from conftest import ROOT

PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")


def git(*args: str, cwd: Path, env: dict) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    """Isolated from the user's git configuration (hooksPath, signing) and pre-commit cache."""
    home = tmp_path_factory.mktemp("precommit-home")
    gitconfig = home / "gitconfig"
    gitconfig.write_text("[user]\n\tname = lossadvisor tests\n\temail = tests@example.invalid\n[commit]\n\tgpgsign = false\n[init]\n\tdefaultBranch = main\n")
    skip = ("FORCE_COLOR", "PRE_COMMIT_COLOR", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
    return {
        **{k: v for k, v in os.environ.items() if k not in skip},
        "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1",
        "PRE_COMMIT_HOME": str(home / "cache"), "NO_COLOR": "1",
    }  # fmt: skip


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory, env) -> tuple[Path, str]:
    """This repository's working tree, committed: (path, revision)."""
    target = tmp_path_factory.mktemp("lossadvisor-snapshot")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git("init", "-q", cwd=target, env=env)
    git("add", "-A", cwd=target, env=env)
    git("commit", "-q", "-m", "snapshot", cwd=target, env=env)
    return target, git("rev-parse", "HEAD", cwd=target, env=env)


@pytest.fixture
def project(tmp_path, env) -> Path:
    git("init", "-q", cwd=tmp_path, env=env)
    return tmp_path


def try_repo(snapshot, project, env) -> subprocess.CompletedProcess:
    repo, rev = snapshot
    return subprocess.run(
        [PRE_COMMIT, "try-repo", str(repo), "lossadvisor", "--ref", rev], cwd=project, env=env, capture_output=True, text=True, timeout=900
    )


def test_manifest_is_what_users_expect():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"], hook["require_serial"]) == ("lossadvisor", "lossadvisor check", "python", True)
    import re

    pattern = re.compile(hook["files"])
    for name in ("train.py", "nb.ipynb", "a.yaml", "b.yml", "c.json", "m.keras", "y.npy", "y.csv", "dir/sub/cfg.yaml"):
        assert pattern.search(name), name
    for name in ("README.md", "setup.cfg", "yaml.txt", "model.pyc"):
        assert not pattern.search(name), name


def test_try_repo_fails_on_the_buggy_staged_file_only(snapshot, project, env):
    # try-repo installs the hook into a fresh store on every call (~15 s), so one call covers both:
    # the buggy file fails the run and is named with its code; the clean one is checked silently.
    write(project, "configs/train.yaml", DOUBLE_SOFTMAX)
    write(project, "configs/clean.yaml", CLEAN)
    write(project, "README.md", "not ours\n")
    git("add", ".", cwd=project, env=env)
    proc = try_repo(snapshot, project, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "lossadvisor" in proc.stdout and "Failed" in proc.stdout
    assert "configs/train.yaml:5:3: LA101 [error]" in proc.stdout
    assert "configs/clean.yaml" not in proc.stdout
    assert "Found 1 problem (1 error) in 2 checked files." in proc.stdout  # README.md is not passed to the hook


def test_installed_hook_blocks_the_commit(snapshot, project, env):
    repo, rev = snapshot
    config = {"repos": [{"repo": str(repo), "rev": rev, "hooks": [{"id": "lossadvisor"}]}]}
    write(project, ".pre-commit-config.yaml", yaml.safe_dump(config))
    subprocess.run([PRE_COMMIT, "install"], cwd=project, env=env, check=True, capture_output=True)
    git("add", ".pre-commit-config.yaml", cwd=project, env=env)

    write(project, "train.yaml", DOUBLE_SOFTMAX)
    git("add", "train.yaml", cwd=project, env=env)
    blocked = subprocess.run(["git", "commit", "-m", "buggy"], cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert blocked.returncode != 0
    assert "train.yaml:5:3: LA101" in blocked.stdout + blocked.stderr
    assert subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=project, env=env, capture_output=True).returncode != 0

    write(project, "train.yaml", CLEAN)
    git("add", "train.yaml", cwd=project, env=env)
    committed = subprocess.run(["git", "commit", "-m", "clean"], cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert "lossadvisor" in committed.stdout + committed.stderr and "Passed" in committed.stdout + committed.stderr


# --------------------------------------------------------------------------- the documented snippets work when pasted


def _doc_block(containing: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [chunk.split("```", 1)[0] for chunk in text.split("```yaml\n")[1:]]
    (block,) = [b for b in blocks if containing in b]
    return block


def test_documented_local_hook(project, env):
    (project / ".pre-commit-config.yaml").write_text(_doc_block("repo: local"), encoding="utf-8")
    write(project, "train.yaml", DOUBLE_SOFTMAX)
    write(project, "ok.yaml", CLEAN)
    git("add", ".", cwd=project, env=env)
    run_env = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"}
    proc = subprocess.run([PRE_COMMIT, "run"], cwd=project, env=run_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "train.yaml:5:3: LA101" in proc.stdout and "ok.yaml" not in proc.stdout


def test_documented_github_workflow(project, env):
    workflow = yaml.safe_load(_doc_block("upload-sarif"))
    (job,) = workflow["jobs"].values()
    assert workflow["permissions"]["security-events"] == "write"
    upload = next(s for s in job["steps"] if "upload-sarif" in s.get("uses", ""))
    check = next(s for s in job["steps"] if s.get("run", "").startswith("lossadvisor check"))
    write(project, "configs/train.yaml", DOUBLE_SOFTMAX)
    run_env = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"}
    proc = subprocess.run(["bash", "-c", check["run"]], cwd=project, env=run_env, capture_output=True, text=True)
    assert proc.returncode == 1  # findings fail the step; the upload still runs
    assert "cancelled" in upload["if"] or "always" in upload["if"]
    import json

    log = json.loads((project / upload["with"]["sarif_file"]).read_text())
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "configs/train.yaml"
