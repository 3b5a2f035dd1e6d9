"""path → reader → setups → checks → findings. The only module that knows all four.

Which reader reads which file is decided by its suffix (READERS); a directory is walked for the
suffixes in WALKED, skipping VCS folders, virtualenvs, site-packages, node_modules and build output,
never following symlinked directories (so symlink loops end). A file that cannot be read becomes one
LA001 finding and the run goes on with the other files.

Every file ends in one of three columns of the run's `Coverage`: checked (it held a loss, a model,
metrics or numeric labels), nothing to check (with the reason: NOTHING_FOUND), or unreadable.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple
from pathlib import Path

from lossadvisor.facts import Fact, LossUse, Position, TrainingSetup, merge_labels
from lossadvisor.findings import Coverage, Finding, severity_rank
from lossadvisor.readers import InputError, NewerSyntax, NothingToCheck, PartlyRead, Source
from lossadvisor.settings import Settings

# suffix -> "module:function"; the function takes a Source and returns a list of TrainingSetup.
READERS = {
    ".yaml": "lossadvisor.readers.document:read",
    ".yml": "lossadvisor.readers.document:read",
    ".json": "lossadvisor.readers.document:read",
    ".py": "lossadvisor.readers.python:read",
    ".ipynb": "lossadvisor.readers.notebook:read",
    ".keras": "lossadvisor.readers.keras_archive:read",
    ".h5": "lossadvisor.readers.keras_archive:read",
    ".hdf5": "lossadvisor.readers.keras_archive:read",
    ".npy": "lossadvisor.readers.label_file:read",
    ".npz": "lossadvisor.readers.label_file:read",
    ".csv": "lossadvisor.readers.label_file:read",
    ".tsv": "lossadvisor.readers.label_file:read",
    ".txt": "lossadvisor.readers.label_file:read",
}
# .txt is read when named explicitly, never picked up while walking a directory.
WALKED = frozenset(READERS) - {".txt"}
# reader -> why a file it read held nothing to check (the summary and `-v` say it).
NOTHING_FOUND = {
    "lossadvisor.readers.document:read": "not a training config (no loss, model, labels, task or num_classes key; no Keras model, Hydra `_target_` or LightningCLI `class_path`)",
    "lossadvisor.readers.python:read": "no loss or model found",
    "lossadvisor.readers.notebook:read": "no loss or model found in its code cells",
    "lossadvisor.readers.keras_archive:read": "no model in it",
    "lossadvisor.readers.label_file:read": "not a label file: no column or array is named as labels (`lossadvisor labels FILE --column NAME`, or `--key NAME` in an .npz, reads one)",
}
TEXT_LABELS_ALONE = "read as text labels, with no loss or model to check them against (`lossadvisor check --labels FILE train.py` pairs them with one)"
# suffix -> "module:function" giving {cell: lines} for noqa comments (default: the text's lines).
COMMENT_LINES = {".ipynb": "lossadvisor.readers.notebook:comment_lines", ".py": "lossadvisor.readers.python:comment_lines"}
YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # not form feeds: PyYAML counts these only
NO_COMMENTS = frozenset({".json", ".keras", ".h5", ".hdf5", ".npy", ".npz", ".csv", ".tsv", ".txt"})
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "site-packages", "node_modules", "__pycache__",
    "build", "dist", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", ".ipynb_checkpoints",
})  # fmt: skip


class Report:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.coverage = Coverage()

    @property
    def files_checked(self) -> int:
        """Files that held a training setup and were checked."""
        return self.coverage.checked

    @property
    def input_errors(self) -> list[Finding]:
        return [f for f in self.findings if f.code == "LA001"]

    def exit_code(self, fail_on: str = "warning", exit_zero: bool = False) -> int:
        if self.input_errors:
            return 2
        if exit_zero:
            return 0
        threshold = severity_rank(fail_on)
        return 1 if any(severity_rank(f.severity) >= threshold for f in self.findings) else 0


def _call(spec: str, *args):
    module, function = spec.split(":")
    return getattr(importlib.import_module(module), function)(*args)


# --------------------------------------------------------------------------- finding files


def iter_sources(paths: Iterable[str | Path], settings: Settings) -> Iterator[Source | Finding]:
    """Files to check, in a stable order, each once (`check a.py .` reads a.py once, as ruff does).
    A path that does not exist is an LA001 finding."""
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw)
        display = str(raw)
        if path.is_dir():
            for source in _walk(path, settings):
                if _first_time(source.path, seen):
                    yield source
        elif path.is_file():
            if not settings.is_excluded(display) and _first_time(path, seen):
                yield Source(path, display, named=True)
        elif os.path.lexists(path):  # a FIFO, a socket, a device: reading could block forever
            yield _input_error(display, InputError("not a regular file"))
        else:
            yield _input_error(display, InputError("no such file or directory"))


def _first_time(path: Path, seen: set[str]) -> bool:
    key = os.path.abspath(path)
    if key in seen:
        return False
    seen.add(key)
    return True


def _walk(root: Path, settings: Settings) -> Iterator[Source]:
    """Files below `root` in a stable order, depth first, with an explicit stack: a tree thousands
    of folders deep is walked like any other (os.walk recurses in Python 3.11)."""
    stack = [os.fspath(root)]
    while stack:
        dirpath = stack.pop()
        try:
            with os.scandir(dirpath) as entries:
                items = sorted(entries, key=lambda e: e.name)
        except OSError:
            continue  # unreadable folder: os.walk's default is to pass over it too
        rel_dir = os.path.relpath(dirpath, root)
        subdirs = []
        for entry in items:
            rel = os.path.normpath(os.path.join(rel_dir, entry.name))
            if entry.is_dir(follow_symlinks=False):  # symlinked folders are not followed: no loops
                d = entry.name
                if d in SKIPPED_DIRS or d.endswith(".egg-info") or settings.is_excluded(os.path.join(str(root), rel)) or settings.is_excluded(rel):
                    continue
                subdirs.append(entry.path)
                continue
            if os.path.splitext(entry.name)[1].lower() not in WALKED:
                continue
            if not entry.is_file():  # follows links: a dangling one or a FIFO named *.yaml is no file to read
                continue
            if settings.is_excluded(entry.path) or settings.is_excluded(rel):
                continue
            yield Source(Path(entry.path), os.path.normpath(entry.path))
        stack.extend(reversed(subdirs))  # visit them in name order, after this folder's files


# --------------------------------------------------------------------------- reading and checking


def _reader(source: Source) -> str:
    suffix = source.path.suffix.lower() or Path(source.display).suffix.lower()
    spec = READERS.get(suffix)
    if spec is None:
        raise NothingToCheck(f"lossadvisor does not read {f'{suffix!r} files' if suffix else 'files without a suffix'}")
    return spec


def read_setups(source: Source, spec: str | None = None) -> list[TrainingSetup]:
    """Raises InputError for a file that cannot be read, NothingToCheck for one that is not ours.
    `spec` is the reader, when the caller has already chosen it."""
    spec = spec or _reader(source)
    try:
        return _call(spec, source)
    except (InputError, NewerSyntax, NothingToCheck):
        raise
    except MemoryError:
        raise InputError("cannot read: it needs more memory than this machine has") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    except RecursionError:
        raise InputError("too deeply nested to read") from None


def findings_for(setup: TrainingSetup, settings: Settings) -> list[Finding]:
    from lossadvisor import knowledge
    from lossadvisor.checks import all_checks
    from lossadvisor.checks.context import Context

    kb = knowledge.load()
    context = Context(setup, kb)
    hits = []
    for code, check in all_checks().items():
        rule = kb.rules[code]
        if setup.only and code not in setup.only:
            continue
        if settings.is_enabled(code, rule.default_enabled, setup.path):
            hits.extend(check(context))
    # One mistake, one finding: integer ids into BCE is LA301, not also "BCE is not a multiclass
    # loss" and "sigmoid is not a multiclass head". Which rule makes which redundant is data
    # (`supersedes:` in rules/checks/).
    redundant = {code for hit in hits for code in kb.rules[hit.code].supersedes}
    findings = [to_finding(h.code, h.at, h.args, settings, h.also) for h in hits if h.code not in redundant]
    # Advice waits until the setup trains: "the fused form is stabler" is noise next to an error.
    if any(f.severity == "error" for f in findings):
        findings = [f for f in findings if f.severity != "info"]
    if setup.unused:  # a mismatch with a loss that never runs here is worth knowing, not failing on
        alone = findings_for(setup._replace(loss=None, labels=None, unused=None), settings) if setup.head else []
        head_alone = {f._replace(related=None) for f in alone}
        findings = [f if f._replace(related=None) in head_alone else f._replace(severity="info", message=f"{f.message} ({setup.unused})") for f in findings]
    return findings


def to_finding(code: str, at: Position, args: dict, settings: Settings, also: Position | None = None) -> Finding:
    from lossadvisor import knowledge

    rule = knowledge.load().rules[code]
    return Finding(
        code=code, name=rule.name, severity=settings.severity_of(code, rule.severity),
        message=rule.message.format(**args), path=at.path, line=at.line,
        column=at.column if at.column is not None else (1 if at.line is not None else None),
        cell=at.cell, fix=rule.fix, related=_related(at, also),
    )  # fmt: skip


def _related(at: Position, also: Position | None) -> Position | None:
    """The other half's place, when it is a line of its own (not the finding's line, not lineless)."""
    if also is None or also.line is None or (also.path, also.cell, also.line) == (at.path, at.cell, at.line):
        return None
    return also._replace(column=also.column or 1)


def _input_error(display: str, exc: InputError) -> Finding:
    from lossadvisor.settings import Settings

    return to_finding("LA001", Position(display, exc.line, exc.column, exc.cell), {"problem": exc.message}, Settings())


def _comment_lines(source: Source) -> dict[int | None, list[str]]:
    suffix = source.path.suffix.lower() or Path(source.display).suffix.lower()
    if suffix in NO_COMMENTS:
        return {}
    if spec := COMMENT_LINES.get(suffix):
        return _call(spec, source)
    try:
        return {None: YAML_LINE_BREAK.split(source.read_text())}  # numbered as the YAML parser numbers them
    except InputError:
        return {}


class Pairing(NamedTuple):
    """What the command line adds to every setup: `--labels FILE`, `--loss NAME`, `--framework`."""

    labels_file: Path | None = None
    loss: str | None = None
    framework: str | None = None


def _pair(setup: TrainingSetup, pairing: Pairing, paired_labels) -> TrainingSetup:
    from lossadvisor import knowledge

    if pairing.framework and not setup.framework:
        setup = setup._replace(framework=pairing.framework)
    if pairing.loss and setup.loss is None:
        kb = knowledge.load()
        match = kb.find_loss(pairing.loss, setup.framework)
        written = Fact(pairing.loss, Position(setup.path), "(from --loss)")
        loss = LossUse(written, match.loss.id if match else None, match.framework if match else setup.framework)
        setup = setup._replace(loss=loss)
    if paired_labels is not None:
        setup = setup._replace(labels=merge_labels(paired_labels, setup.labels) if setup.labels else paired_labels)
    return setup


class Checked(NamedTuple):
    """What checking one file gave: its findings and, when it held nothing to check, why."""

    findings: list[Finding]
    nothing: str | None = None
    unreadable: bool = False

    def coverage(self, source: Source) -> Coverage:
        if self.unreadable:
            return Coverage(unreadable=1)
        if self.nothing is not None:
            return Coverage(not_checked=((source.display, self.nothing, source.named),))
        return Coverage(checked=1)


def _holds_something_to_check(setup: TrainingSetup) -> bool:
    """A loss, a model's head or metrics; or numeric labels, which are checked alone for NaN and
    infinite values. Text labels alone (a requirements.txt read as labels) are not."""
    if setup.loss or setup.head or setup.metrics or setup.target:
        return True
    return setup.labels is not None and (setup.labels.minimum is not None or setup.labels.nan_count > 0)


def check_source(source: Source, settings: Settings, pairing: Pairing = Pairing(), paired_labels=None) -> Checked:
    try:
        spec = _reader(source)
        setups = read_setups(source, spec)
    except NothingToCheck as exc:
        return Checked([], str(exc))
    except PartlyRead as exc:  # one LA001 for what cannot be read, and the findings of the rest
        checked = _check_setups(source, spec, exc.setups, settings, pairing, paired_labels)
        return Checked([_input_error(source.display, exc), *checked.findings], unreadable=True)
    except InputError as exc:
        return Checked([_input_error(source.display, exc)], unreadable=True)
    except NewerSyntax as exc:  # valid code for a newer Python: not checked, and not an error
        running = f"{sys.version_info[0]}.{sys.version_info[1]}"
        args = {"version": exc.version, "construct": exc.construct, "running": running}
        finding = to_finding("LA007", Position(source.display, exc.line, None, exc.cell), args, settings)
        return Checked([finding], f"Python {exc.version} syntax, and this is Python {running}")
    return _check_setups(source, spec, setups, settings, pairing, paired_labels)


def _check_setups(source: Source, spec: str, setups: list[TrainingSetup], settings: Settings, pairing: Pairing, paired_labels) -> Checked:
    findings: list[Finding] = []
    setups = [_pair(setup, pairing, paired_labels) for setup in setups]
    for setup in setups:
        findings.extend(findings_for(setup, settings))
    if findings:
        from lossadvisor import suppression

        findings = suppression.apply(findings, _comment_lines(source))
    if not setups:
        return Checked(findings, NOTHING_FOUND[spec])
    if not findings and not any(_holds_something_to_check(setup) for setup in setups):
        return Checked(findings, TEXT_LABELS_ALONE)
    return Checked(findings)


def check_paths(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    *,
    labels: str | Path | Any | None = None,
    labels_column: str | None = None,
    loss: str | None = None,
    framework: str | None = None,
    stdin: Source | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Report:
    """Check files and directories; the public entry point (`lossadvisor.check_paths`).
    `labels`: a label file (or folder) to pair with every setup, or a `LabelProfile` made where the
    labels live (`lossadvisor.profile(dask_array)`); `labels_column`: the column of a label table.
    `progress(done, total, path)` is called as each file is done."""
    settings = settings or Settings(framework=framework)
    named = Path(labels) if isinstance(labels, (str, Path)) and str(labels) else None  # "" : no labels
    pairing = Pairing(named, loss, framework or settings.framework)
    report = Report()
    paired_labels = None
    if labels is not None and not isinstance(labels, (str, Path)):
        from lossadvisor.readers.label_file import profile_facts

        paired_labels = profile_facts(labels, display="labels")  # a LabelProfile (TypeError for anything else)
    if pairing.labels_file is not None:
        from lossadvisor.readers.label_file import label_facts

        try:
            paired_labels = label_facts(pairing.labels_file, display=str(labels), column=labels_column)
        except InputError as exc:  # the label file is bad input; every other file is still checked
            report.findings.append(_input_error(str(labels), exc))
    sources: list[Source | Finding] = [stdin] if stdin is not None else list(iter_sources(paths, settings))
    files = [item for item in sources if not isinstance(item, Finding)]
    missing = [item for item in sources if isinstance(item, Finding)]
    report.findings.extend(missing)
    report.coverage = Coverage(unreadable=len(report.findings))  # a bad --labels file, missing paths
    for source, checked in zip(files, _check_all(files, settings, pairing, paired_labels, progress)):
        report.findings.extend(_distinct(checked.findings))
        report.coverage = report.coverage.combined(checked.coverage(source))
    report.findings.sort(key=lambda f: f.sort_key)
    return report


def _distinct(findings: Iterable[Finding]) -> list[Finding]:
    """Each finding once as the user reads it: one loss read with two heads gives one LA002, and a
    loss applied twice on one line to two softmaxes (`f(x.softmax(1)) + f(y.softmax(1))`) one LA101,
    although the two differ in the column of the softmax they relate to."""
    seen: dict[tuple, Finding] = {}
    for f in findings:
        seen.setdefault((f.code, f.path, f.cell, f.line, f.column, f.message), f)
    return list(seen.values())


# Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 48


def _check_all(files: list[Source], settings: Settings, pairing: Pairing, paired_labels, progress=None) -> Iterator[Checked]:
    """Check files in worker processes when there are many (a large tree is dominated by parsing,
    one core per process); results come back in order. LOSSADVISOR_JOBS=1 turns workers off."""
    for done, (source, checked) in enumerate(zip(files, _checked(files, settings, pairing, paired_labels)), 1):
        if progress is not None:
            progress(done, len(files), source.display)
        yield checked


def _checked(files: list[Source], settings: Settings, pairing: Pairing, paired_labels) -> Iterator[Checked]:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = os.environ.get("LOSSADVISOR_JOBS", "")
    workers = int(jobs) if jobs.isdigit() and int(jobs) > 0 else min(cores, 8)
    if workers < 2 or len(files) < PARALLEL_MIN_FILES:
        for source in files:
            yield check_source(source, settings, pairing, paired_labels)
        return
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from lossadvisor import knowledge

    knowledge.load()  # once, inherited by forked workers
    fork = "fork" in multiprocessing.get_all_start_methods() and sys.platform.startswith("linux")
    context = multiprocessing.get_context("fork") if fork else None
    task = functools.partial(check_source, settings=settings, pairing=pairing, paired_labels=paired_labels)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        yield from pool.map(task, files, chunksize=max(1, min(16, len(files) // (workers * 8))))
