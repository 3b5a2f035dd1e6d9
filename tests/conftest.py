from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Tests never read or write the user's rules cache."""
    os.environ["LOSSADVISOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The installed entry point, as users and CI call it."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("FORCE_COLOR", None) if "FORCE_COLOR" not in (env or {}) else None
    return subprocess.run(
        [sys.executable, "-m", "lossadvisor", *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=full_env, timeout=120
    )
