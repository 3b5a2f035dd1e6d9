"""Configuration files, and how they merge with command-line flags into `Settings`.

Where: `[tool.lossadvisor]` in `pyproject.toml`, or `lossadvisor.toml` / `.lossadvisor.toml` (the
same keys, no table). The nearest one above each checked path applies to it: discovery walks up
from the path and stops at the repository root (a folder holding `.git` or `.hg`) or the home
folder. In one folder `.lossadvisor.toml` beats `lossadvisor.toml` beats `pyproject.toml` (ruff's
order), and a `pyproject.toml` without `[tool.lossadvisor]` is passed over. `--config FILE` uses
that file for every path; `--isolated` uses none.

Keys: select, extend-select, ignore (codes, prefixes, rule names or ALL), per-file-ignores (glob ->
codes), severity (code or prefix -> error|warning|info), exclude (globs), framework, fail-on. Globs
are relative to the configuration file's folder. An unknown key, code or value is exit 2 with a
suggestion, as in yamllint and ruff.

Precedence, as in ruff: flags beat the file. `--select` replaces the file's select, extend-select
and ignore (the command line takes over the selection); `--extend-select`, `--ignore` and
`--exclude` add to the file's; `--framework` and `--fail-on` replace.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from lossadvisor.options import FAIL_ON, UsageError
from lossadvisor.suggest import UnknownFramework, did_you_mean, find_framework
from lossadvisor.findings import SEVERITIES
from lossadvisor.settings import Settings

CONFIG_FILES = (".lossadvisor.toml", "lossadvisor.toml", "pyproject.toml")
KEYS = ("select", "extend-select", "ignore", "per-file-ignores", "severity", "exclude", "framework", "fail-on")
REPO_MARKERS = (".git", ".hg")


# --------------------------------------------------------------------------- rule selectors


def _rule_names() -> tuple[frozenset[str], dict[str, str]]:
    from lossadvisor import knowledge

    rules = knowledge.load().rules
    return frozenset(rules), {r.name: r.code for r in rules.values()}


def selectors(values, where: str) -> tuple[str, ...]:
    """Validated selectors from strings that may hold several, comma-separated. A rule's name
    stands for its code; `la3` is `LA3`. An unknown one is a UsageError naming `where`."""
    if not values:
        return ()
    codes, names = _rule_names()
    out = []
    for value in values:
        for item in str(value).split(","):
            item = item.strip()
            if not item:
                continue
            upper = item.upper()
            if upper == "ALL":
                out.append("ALL")
            elif item in names:
                out.append(names[item])
            elif re.fullmatch(r"LA[0-9]{0,3}", upper) and any(code.startswith(upper) for code in codes):
                out.append(upper)
            else:
                hint = did_you_mean(upper if upper.startswith("LA") else item, [*sorted(codes), *names, "ALL"])
                raise UsageError(f"{where}: unknown rule `{item}`{hint} (see `lossadvisor rules`)")
    return tuple(out)


class CliSettings(NamedTuple):
    """What the command line says about settings; None / () where it says nothing."""

    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    framework: str | None = None
    fail_on: str | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> CliSettings:
        return cls(
            selectors(options["select"], "--select"), selectors(options["extend_select"], "--extend-select"),
            selectors(options["ignore"], "--ignore"), tuple(options["exclude"] or ()),
            framework_option(options["framework"], "--framework"), options["fail_on"],
        )  # fmt: skip


# --------------------------------------------------------------------------- finding and reading files


# Per run (settings_by_path clears them): pre-commit passes many files from the same few folders.
_found: dict[Path, Path | None] = {}
_read: dict[Path, dict[str, Any]] = {}


def find_config(start: Path) -> Path | None:
    """The nearest configuration file at or above the folder `start` (a loop, not recursion: a
    folder may be thousands deep)."""
    start = Path(os.path.abspath(start))
    visited: list[Path] = []
    home = Path(os.path.expanduser("~"))
    folder: Path | None = start
    found = None
    while folder is not None:
        if folder in _found:
            found = _found[folder]
            break
        visited.append(folder)
        found = next(
            (folder / name for name in CONFIG_FILES if (folder / name).is_file() and (name != "pyproject.toml" or _has_our_table(folder / name))),
            None,
        )  # fmt: skip
        at_top = folder == home or folder.parent == folder or any((folder / m).exists() for m in REPO_MARKERS)
        if found is not None or at_top:
            break
        folder = folder.parent
    for seen in visited:
        _found[seen] = found
    return found


def _has_our_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    # Most pyproject.toml files are someone else's: skip them without importing tomllib.
    maybe_ours = "tool.lossadvisor" in text or ("[tool]" in text and "lossadvisor" in text)
    return maybe_ours and _table(pyproject, _parse(pyproject, text)) is not None


def _parse(path: Path, text: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{_shown(path)}: invalid TOML: {exc}") from None
    except RecursionError:
        raise UsageError(f"{_shown(path)}: invalid TOML: nested too deeply to read") from None


def _shown(path: Path) -> str:
    """The path as the user would write it: relative to the working folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _table(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    if path.name != "pyproject.toml":
        return data
    table = data.get("tool", {}).get("lossadvisor") if isinstance(data.get("tool"), dict) else None
    return table if isinstance(table, dict) else None


def read_config(path: Path) -> dict[str, Any]:
    """A configuration file's validated values, keyed by Settings field names."""
    path = Path(os.path.abspath(path))
    if path not in _read:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read configuration file {_shown(path)}: {getattr(exc, 'strerror', None) or exc}") from None
        table = _table(path, _parse(path, text)) or {}
        where = f"{_shown(path)} [tool.lossadvisor]" if path.name == "pyproject.toml" else _shown(path)
        _read[path] = validate(table, where)
    return _read[path]


# --------------------------------------------------------------------------- validating values


def validate(table: dict[str, Any], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KEYS:
            raise UsageError(f"{where}: unknown key `{key}`{did_you_mean(key, KEYS)} (valid keys: {', '.join(KEYS)})")
        field = key.replace("-", "_")
        at = f"{where}: `{key}`"
        if key in ("select", "extend-select", "ignore"):
            values[field] = selectors(_strings(value, at, 'e.g. ["LA1", "LA301"]'), at)
        elif key == "exclude":
            values[field] = _strings(value, at, 'e.g. ["data/", "*.generated.yaml"]')
        elif key == "per-file-ignores":
            table_ = _mapping(value, at, '{"tests/*.json" = ["LA3"]}')
            values[field] = {glob: selectors(_strings(codes, f"{at} {glob!r}", '["LA3"]'), f"{at} {glob!r}") for glob, codes in table_.items()}
        elif key == "severity":
            table_ = _mapping(value, at, '{LA5 = "info"}')
            values[field] = {_one_selector(sel, at): _choice(level, f"{at} {sel!r}", SEVERITIES) for sel, level in table_.items()}
        elif key == "framework":
            values[field] = framework_option(value, at)
        else:  # fail-on
            values[field] = _choice(value, at, FAIL_ON)
    return values


def framework_option(value: Any, where: str) -> str | None:
    """A framework as the command line or a configuration file names it (any spelling in
    rules/frameworks.yaml, or `all`) → its id; `all` → "all". An unknown name is a UsageError."""
    if value is None:
        return None
    from lossadvisor import knowledge

    if isinstance(value, str) and value.strip().lower() == "all":
        return "all"
    try:
        return find_framework(knowledge.load().vocabulary, value, also=("all",)).id
    except UnknownFramework as exc:
        raise UsageError(f"{where}: {exc}") from None


def _one_selector(value: str, at: str) -> str:
    found = selectors([value], at)
    if len(found) != 1:
        raise UsageError(f"{at}: `{value}` must be one code, prefix or rule name")
    return found[0]


def _strings(value: Any, at: str, example: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{at} must be a list of strings, {example}")
    return tuple(value)


def _mapping(value: Any, at: str, example: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"{at} must be a table, e.g. {example}")
    return value


def _choice(value: Any, at: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        hint = did_you_mean(str(value), choices)
        raise UsageError(f"{at}: `{value}` is not one of {', '.join(choices)}{hint}")
    return value


# --------------------------------------------------------------------------- merging


def merge(file_values: dict[str, Any], root: Path | None, cli: CliSettings) -> Settings:
    """File values under command-line flags (precedence in the module docstring)."""
    f = file_values
    if cli.select:
        select, extend_select, ignore = cli.select, cli.extend_select, cli.ignore
    else:
        select = f.get("select", ())
        extend_select = f.get("extend_select", ()) + cli.extend_select
        ignore = f.get("ignore", ()) + cli.ignore
    framework = cli.framework or f.get("framework")
    return Settings(
        select=select, extend_select=extend_select, ignore=ignore,
        per_file_ignores=f.get("per_file_ignores", {}), severity=f.get("severity", {}),
        exclude=f.get("exclude", ()) + cli.exclude, framework=None if framework == "all" else framework,
        fail_on=cli.fail_on or f.get("fail_on", "warning"), root=str(root) if root else None,
    )  # fmt: skip


def settings_by_path(paths: list[str], cli: CliSettings, *, config: str | None = None, isolated: bool = False) -> list[tuple[Settings, list[str]]]:
    """The checked paths grouped by the configuration that applies to them, in their order."""
    _found.clear()
    _read.clear()
    if config and isolated:
        raise UsageError("--config and --isolated cannot be used together")
    if isolated or config:
        chosen = Path(config) if config else None
        if chosen is not None and not chosen.is_file():
            raise UsageError(f"configuration file {config} does not exist")
        values = read_config(chosen) if chosen else {}
        return [(merge(values, Path(os.path.abspath(chosen)).parent if chosen else None, cli), list(paths))]
    groups: dict[Path | None, list[str]] = {}
    for raw in paths:
        path = Path(raw)
        found = find_config(path if path.is_dir() else path.parent)
        groups.setdefault(found, []).append(raw)
    return [(merge(read_config(found) if found else {}, found.parent if found else None, cli), group) for found, group in groups.items()]
