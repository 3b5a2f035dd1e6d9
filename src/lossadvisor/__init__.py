"""lossadvisor: catch loss / last-activation / label-format mismatches before training.

The small public API, for notebooks and other tools (imports are lazy, so `import lossadvisor`
stays cheap and pulls in neither numpy nor the engine):

    lossadvisor.check_paths(["train.yaml", "model.py"])            -> Report (.findings, .coverage, .exit_code())
    lossadvisor.check_paths(paths, lossadvisor.Settings(ignore=("LA5",)), labels="y.npy")
    lossadvisor.recommend("multiclass", framework="pytorch", classes=10)   -> Advice
    lossadvisor.profile(labels_array)                               -> LabelProfile
    lossadvisor.profile(dask_array_or_series)                       -> LabelProfile (per partition, on the cluster)
    lossadvisor.profile(spark_df, column="label")                   -> LabelProfile (per partition, on the executors)
    lossadvisor.check_paths(["model.py"], labels=profile)           -> Report, with those labels paired
    lossadvisor.profile_batches(loader_targets)                     -> LabelProfile (merged)
    lossadvisor.guard(nn.CrossEntropyLoss())                        -> the loss, inspecting its first calls

`check_paths` does not read configuration files: pass `Settings` (the command line's
`[tool.lossadvisor]` keys, as fields: select, extend_select, ignore, per_file_ignores, severity,
exclude, framework, fail_on).
"""

from __future__ import annotations

import sys as _sys

__version__ = "0.1.0"
__all__ = [
    "check_paths", "recommend", "profile", "profile_batches", "Settings", "guard", "LossAdvisorWarning", "LossAdvisorError", "__version__",
]  # fmt: skip

_LAZY = {
    "check_paths": ("lossadvisor.engine", "check_paths"),
    "recommend": ("lossadvisor.recommend", "recommend"),
    "profile": ("lossadvisor.labels.engines", "profile"),
    "profile_batches": ("lossadvisor.labels.profile", "profile_batches"),
    "Settings": ("lossadvisor.settings", "Settings"),
    "guard": ("lossadvisor.guard", "guard"),
    "LossAdvisorWarning": ("lossadvisor.guard", "LossAdvisorWarning"),
    "LossAdvisorError": ("lossadvisor.guard", "LossAdvisorError"),
}


class _Package(type(_sys)):
    """The package module, with the API names as properties. A property (a data descriptor) wins
    over the module's own attributes, and that matters: `lossadvisor.recommend` is also a
    submodule, and importing it (the CLI does) sets the package attribute `recommend` to the
    module. The setter ignores that, so `lossadvisor.recommend(...)` stays the function; the
    module is still `sys.modules["lossadvisor.recommend"]` and `from lossadvisor.recommend import …`
    works as usual."""

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *_LAZY})


def _api(name: str) -> property:
    module, attribute = _LAZY[name]

    def get(self):
        import importlib

        return getattr(importlib.import_module(module), attribute)

    def ignore_submodule(self, value) -> None:
        pass

    return property(get, ignore_submodule)


for _name in _LAZY:
    setattr(_Package, _name, _api(_name))
_sys.modules[__name__].__class__ = _Package
